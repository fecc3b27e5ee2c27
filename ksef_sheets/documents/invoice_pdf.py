"""A4 Polish visualisation of an FA(3) invoice, with its KSeF QR codes (reportlab).

What a buyer outside KSeF (a consumer, a foreign buyer, anyone during an outage) gets instead of the
XML: parties, lines (with the before/after rows of a correction), the VAT table per rate, totals in
words, payment, annotations, notes and — as on the Ministry's own visualisation — the QR codes at the
end: KOD I (labelled with the KSeF number, or OFFLINE) and, for an offline invoice, KOD II
(CERTYFIKAT). Layout is not normative beyond the QR rules (PROTOCOL.md §18–§19).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, cast
from xml.sax.saxutils import escape

import zxingcpp
from num2words import num2words
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ksef_sheets.fa3 import PAYMENT_METHODS, Entity, Invoice, Line
from ksef_sheets.text import format_date, format_number

__all__ = ["KIND_TITLES", "QrCode", "amount_in_words", "invoice_pdf"]

KIND_TITLES = {
    "VAT": "Faktura",
    "KOR": "Faktura korygująca",
    "ZAL": "Faktura zaliczkowa",
    "ROZ": "Faktura rozliczeniowa",
    "UPR": "Faktura uproszczona",
    "KOR_ZAL": "Faktura korygująca fakturę zaliczkową",
    "KOR_ROZ": "Faktura korygująca fakturę rozliczeniową",
}

_FONT = "KsefSans"
_BOLD = "KsefSans-Bold"
_GREY = colors.HexColor("#5a5a5a")
_LINE = colors.HexColor("#b4b4b4")
_HEAD = colors.HexColor("#e8eef5")


@dataclass(frozen=True)
class QrCode:
    """One code to print: the link it carries, the label under it, a caption above it."""

    url: str
    label: str
    caption: str


@cache
def _fonts() -> None:
    # Binary (Flate) streams without the ASCII85 layer: smaller files, less work per page.
    rl_config.useA85 = 0
    # DejaVu ships with the package: Polish letters print the same on every office machine.
    folder = resources.files("ksef_sheets.documents") / "fonts"
    for name, file in ((_FONT, "DejaVuSansCondensed.ttf"), (_BOLD, "DejaVuSansCondensed-Bold.ttf")):
        with resources.as_file(folder / file) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_BOLD, italic=_FONT, boldItalic=_BOLD)


@cache
def _styles() -> dict[str, ParagraphStyle]:
    _fonts()
    base = ParagraphStyle("base", fontName=_FONT, fontSize=8.5, leading=10.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9, textColor=_GREY),
        "title": ParagraphStyle("title", parent=base, fontName=_BOLD, fontSize=15, leading=18),
        "h": ParagraphStyle("h", parent=base, fontName=_BOLD, fontSize=9.5, leading=12, spaceBefore=6),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "num": ParagraphStyle("num", parent=base, fontSize=7.5, leading=9, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=_BOLD, fontSize=7, leading=8.5),
        "big": ParagraphStyle(
            "big", parent=base, fontName=_BOLD, fontSize=11, leading=14, alignment=TA_RIGHT
        ),
    }


def _p(text: str | None, style: str = "base") -> Paragraph:
    """Third-party text as a paragraph: escaped, so '<b>' in an invoice prints as written."""
    return Paragraph(escape("—" if text is None else text), _styles()[style])


def _pm(markup: str, style: str = "base") -> Paragraph:
    """Our own markup (callers escape the third-party parts)."""
    return Paragraph(markup, _styles()[style])


def _n(value: Decimal | None, places: int = 2) -> str:
    return "" if value is None else format_number(value, places)


def _qty(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    places = len(text.partition(".")[2])
    return format_number(value, min(places, 6))


def _d(value: date | None) -> str:
    return format_date(value) if value else "—"


def amount_in_words(amount: Decimal, currency: str) -> str:
    """Słownie: 'dwanaście tysięcy … złotych, pięćdziesiąt dziewięć groszy'; other currencies by code."""
    amount = amount.quantize(Decimal("0.01"))
    sign = "minus " if amount < 0 else ""
    amount = abs(amount)
    try:
        return sign + str(num2words(amount, lang="pl", to="currency", currency=currency.upper()))
    except NotImplementedError:
        whole = int(amount)
        cents = int((amount - whole) * 100)
        return f"{sign}{num2words(whole, lang='pl')} {currency.upper()} {cents:02d}/100"


def _party(title: str, entity: Entity, extra: Iterable[str] = ()) -> list[Flowable]:
    rows: list[Flowable] = [_pm(f"<b>{escape(title)}</b>", "h")]
    rows.append(_pm(f"<b>{escape(entity.name or '—')}</b>"))
    if entity.nip:
        rows.append(_p(f"NIP: {entity.nip}"))
    elif entity.eu_vat:
        rows.append(_p(f"Numer VAT UE: {entity.eu_code or ''}{entity.eu_vat}"))
    elif entity.tax_id:
        rows.append(_p(f"Identyfikator podatkowy: {entity.country_code or ''} {entity.tax_id}".strip()))
    elif entity.internal_id:
        rows.append(_p(f"Identyfikator wewnętrzny: {entity.internal_id}"))
    else:
        rows.append(_p("bez identyfikatora podatkowego", "small"))
    if entity.address:
        rows.append(_p(entity.address.text()))
    contact = ", ".join(x for x in (entity.email, entity.phone) if x)
    if contact:
        rows.append(_p(contact, "small"))
    rows.extend(_p(text, "small") for text in extra)
    return rows


def _header(invoice: Invoice, ksef_number: str | None) -> list[Flowable]:
    title = KIND_TITLES.get(invoice.kind or "", "Faktura")
    left = [_p(title, "title"), _pm(f"Numer faktury: <b>{escape(invoice.number or '—')}</b>")]
    if ksef_number:
        left.append(_pm(f"Numer KSeF: <b>{escape(ksef_number)}</b>", "small"))
    right = [_p(f"Data wystawienia: {_d(invoice.issue_date)}")]
    if invoice.place:
        right.append(_p(f"Miejsce wystawienia: {invoice.place}"))
    if invoice.sale_date:
        right.append(_p(f"Data dokonania dostawy / wykonania usługi: {_d(invoice.sale_date)}"))
    if invoice.period_from or invoice.period_to:
        right.append(_p(f"Okres: {_d(invoice.period_from)} – {_d(invoice.period_to)}"))
    table = Table([[left, right]], colWidths=[105 * mm, 75 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [table, Spacer(1, 4 * mm)]


def _parties(invoice: Invoice) -> list[Flowable]:
    seller_extra = [
        f"{label}: {value}"
        for label, value in (("KRS", invoice.krs), ("REGON", invoice.regon), ("BDO", invoice.bdo))
        if value
    ]
    cells = [[_party("Sprzedawca", invoice.seller, seller_extra), _party("Nabywca", invoice.buyer)]]
    table = Table(cells, colWidths=[90 * mm, 90 * mm])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (0, 0), 0.5, _LINE),
                ("BOX", (1, 0), (1, 0), 0.5, _LINE),
            ]
        )
    )
    out: list[Flowable] = [table]
    for third in invoice.third_parties:
        share = f", udział {format_number(third.share, 2)}%" if third.share is not None else ""
        out.extend(_party(f"Podmiot trzeci ({third.role_label}{share})", third.entity))
    if invoice.authorized is not None:
        out.extend(_party("Podmiot upoważniony", invoice.authorized))
    return out


def _correction(invoice: Invoice) -> list[Flowable]:
    info = invoice.correction
    if info is None:
        return []
    out: list[Flowable] = [_p("Dane faktury korygowanej", "h")]
    if info.reason:
        out.append(_p(f"Przyczyna korekty: {info.reason}"))
    kinds = {1: "w okresie faktury pierwotnej", 2: "w okresie wystawienia korekty", 3: "w innym okresie"}
    if info.type in kinds:
        out.append(_p(f"Skutek korekty ujęty {kinds[info.type]}"))
    for ref in info.corrected:
        bits = [f"faktura nr {ref.number or '—'} z {_d(ref.issue_date)}"]
        bits.append(f"numer KSeF: {ref.ksef_number}" if ref.ksef_number else "wystawiona poza KSeF")
        out.append(_p("Korygowana: " + ", ".join(bits)))
    if info.period:
        out.append(_p(f"Okres korygowany: {info.period}"))
    return out


_TABLE_STYLE = (
    ("FONT", (0, 0), (-1, -1), _FONT, 7.5),
    ("LEADING", (0, 0), (-1, -1), 9),
    ("GRID", (0, 0), (-1, -1), 0.4, _LINE),
    ("BACKGROUND", (0, 0), (-1, 0), _HEAD),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
)

_LINE_HEADERS = (
    "Lp.",
    "Nazwa towaru lub usługi",
    "J.m.",
    "Ilość",
    "Cena jedn.",
    "Rabat",
    "Wartość",
    "Stawka",
)
_LINE_WIDTHS = [9 * mm, 68 * mm, 12 * mm, 17 * mm, 20 * mm, 15 * mm, 24 * mm, 15 * mm]


def _line_row(line: Line, with_rate: bool) -> list[Flowable | str]:
    price = line.unit_net_price if line.unit_net_price is not None else line.unit_gross_price
    value = line.net if line.net is not None else line.gross
    name = line.name or "—"
    if line.before_correction:
        name = f"{name} (przed korektą)"
    # Numbers and codes are plain strings (drawn as they are, no wrapping: a Paragraph per cell would
    # cost most of the page's time); free text that may wrap is a Paragraph.
    return [
        str(line.number or ""),
        _p(name, "cell"),
        _p(line.unit, "cell") if line.unit else "",
        _qty(line.quantity),
        _n(price),
        _n(line.discount),
        _n(value),
        line.rate or "",
        *([_n(line.exchange_rate, 4)] if with_rate else []),
    ]


def _lines(
    invoice: Invoice, title: str = "Pozycje faktury", lines: Sequence[Line] | None = None
) -> list[Flowable]:
    lines = invoice.lines if lines is None else lines
    if not lines:
        return []
    gross_prices = all(ln.unit_net_price is None and ln.net is None for ln in lines)
    headers = list(_LINE_HEADERS)
    if gross_prices:
        headers[4], headers[6] = "Cena jedn. brutto", "Wartość brutto"
    else:
        headers[4], headers[6] = "Cena jedn. netto", "Wartość netto"
    # Foreign-currency lines may each carry their own exchange rate (KursWaluty): show it per line.
    with_rate = (invoice.currency or "PLN") != "PLN" and any(ln.exchange_rate is not None for ln in lines)
    widths = list(_LINE_WIDTHS)
    if with_rate:
        headers.append("Kurs waluty")
        widths[1] -= 16 * mm
        widths.append(16 * mm)
    data: list[list[Flowable | str]] = [[_p(h, "head") for h in headers]]
    data.extend(_line_row(line, with_rate) for line in lines)
    table = Table(data, colWidths=widths, repeatRows=1)
    style = [
        *_TABLE_STYLE,
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (3, 1), (6, -1), "RIGHT"),
        *([("ALIGN", (8, 1), (8, -1), "RIGHT")] if with_rate else []),
    ]
    for index, line in enumerate(lines, start=1):
        if line.before_correction:
            style.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor("#f6f6f6")))
    table.setStyle(TableStyle(style))
    currency = invoice.currency or "PLN"
    return [_p(f"{title} (waluta: {currency})", "h"), table]


def _vat_table(invoice: Invoice) -> list[Flowable]:
    if not invoice.buckets:
        return []
    foreign = (invoice.currency or "PLN") != "PLN"
    headers = ["Stawka / rodzaj", "Wartość netto", "Kwota VAT"] + (["Kwota VAT w PLN"] if foreign else [])
    data: list[list[Flowable | str]] = [[_p(h, "head") for h in headers]]
    for bucket in invoice.buckets:
        row: list[Flowable | str] = [bucket.label, _n(bucket.net), _n(bucket.vat)]
        if foreign:
            row.append(_n(bucket.vat_pln))
        data.append(row)
    totals: list[Flowable | str] = ["Razem", _n(invoice.net_total), _n(invoice.vat_total)]
    if foreign:
        pln = [b.vat_pln for b in invoice.buckets if b.vat_pln is not None]
        totals.append(_n(sum(pln, Decimal(0)) if pln else None))
    data.append(totals)
    widths = [50 * mm, 30 * mm, 30 * mm] + ([30 * mm] if foreign else [])
    table = Table(data, colWidths=widths, hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [*_TABLE_STYLE, ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("FONT", (0, -1), (-1, -1), _BOLD, 7.5)]
        )
    )
    return [_p("Podsumowanie stawek podatku", "h"), table]


def _totals(invoice: Invoice) -> list[Flowable]:
    if invoice.total is None:
        return []
    currency = (invoice.currency or "PLN").upper()
    unit = "zł" if currency == "PLN" else currency
    label = "Kwota korekty" if invoice.is_correction else "Kwota należności ogółem"
    out: list[Flowable] = [
        Spacer(1, 3 * mm),
        _pm(f"{label}: {format_number(invoice.total, 2)} {unit}", "big"),
        _p(f"Słownie: {amount_in_words(invoice.total, currency)}", "small"),
    ]
    rate = invoice.exchange_rate
    if currency != "PLN" and rate is not None:
        out.append(_p(f"Kurs waluty: 1 {currency} = {format_number(rate, 4)} zł", "small"))
    return out


def _annotations(invoice: Invoice) -> list[Flowable]:
    notes = invoice.annotations
    texts = []
    if notes.split_payment:
        texts.append("mechanizm podzielonej płatności")
    if notes.cash_method:
        texts.append("metoda kasowa")
    if notes.self_billing:
        texts.append("samofakturowanie")
    if notes.reverse_charge:
        texts.append("odwrotne obciążenie")
    if notes.exempt:
        texts.append(f"zwolnienie z VAT — podstawa: {notes.exemption_basis or 'nie podano'}")
    if notes.new_transport:
        texts.append("wewnątrzwspólnotowa dostawa nowych środków transportu")
    if notes.triangular:
        texts.append("procedura uproszczona — transakcja trójstronna")
    if notes.margin:
        texts.append("procedura marży")
    if invoice.receipt_invoice:
        texts.append("faktura do paragonu")
    if not texts:
        return []
    return [_p("Adnotacje", "h"), *(_p("• " + t) for t in texts)]


def _payment(invoice: Invoice) -> list[Flowable]:
    pay = invoice.payment
    if pay is None:
        return []
    out: list[Flowable] = [_p("Płatność", "h")]
    if pay.paid:
        out.append(_p(f"Zapłacono{' ' + _d(pay.paid_on) if pay.paid_on else ''}"))
    for part in pay.partial:
        out.append(_p(f"Zapłata częściowa: {_n(part.amount)} z {_d(part.paid_on)}"))
    if pay.due_dates:
        out.append(_p("Termin płatności: " + ", ".join(format_date(d) for d in pay.due_dates)))
    for text in pay.due_descriptions:
        out.append(_p(f"Termin płatności: {text}"))
    if pay.method is not None:
        out.append(_p(f"Forma płatności: {PAYMENT_METHODS.get(pay.method, str(pay.method))}"))
    elif pay.other_method:
        out.append(_p(f"Forma płatności: {pay.other_method}"))
    for account in pay.accounts:
        bits = [f"Rachunek{' faktora' if account.factor else ''}: {account.number}"]
        if account.bank_name:
            bits.append(account.bank_name)
        if account.swift:
            bits.append(f"SWIFT {account.swift}")
        out.append(_p(", ".join(bits)))
    if pay.discount:
        out.append(_p(f"Skonto: {pay.discount}"))
    if pay.link:
        out.append(_p(f"Link do płatności: {pay.link}", "small"))
    return out


def _notes(invoice: Invoice) -> list[Flowable]:
    out: list[Flowable] = []
    if invoice.notes:
        out.append(_p("Dodatkowe informacje", "h"))
        out.extend(_p(f"{key}: {value}") for key, value in invoice.notes)
    if invoice.has_attachment:
        out.append(_p("Faktura ma załącznik (Zalacznik) — jego treść jest w pliku XML faktury.", "small"))
    return out


class QrFlowable(Flowable):
    """A QR code (ISO/IEC 18004, error correction M) drawn as vector squares with a 4-module quiet zone.

    The symbol is encoded by zxing-cpp (C++: the mask choice that makes a pure-Python encoder take
    ~20 ms per code costs ~1 ms there); each row's runs of dark modules become one rectangle.
    """

    QUIET = 4

    def __init__(self, text: str, size: float) -> None:
        super().__init__()
        barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        image = memoryview(cast(Any, barcode.to_image(scale=1, add_quiet_zones=False)))
        self.modules = image.shape[0] if image.shape else 0
        self.dark = bytes(image)  # one byte a module, 0 = dark
        self.width = self.height = size

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        n = self.modules
        unit = self.width / (n + 2 * self.QUIET)
        canvas = self.canv
        canvas.setFillColor(colors.black)
        path = canvas.beginPath()
        for row in range(n):
            y = self.height - (row + 1 + self.QUIET) * unit
            line = self.dark[row * n : (row + 1) * n]
            col = 0
            while col < n:
                if line[col] == 0:
                    start = col
                    while col < n and line[col] == 0:
                        col += 1
                    path.rect((start + self.QUIET) * unit, y, (col - start) * unit, unit)
                else:
                    col += 1
        canvas.drawPath(path, stroke=0, fill=1)


def _qr_block(codes: Sequence[QrCode]) -> list[Flowable]:
    if not codes:
        return []
    cells: list[list[Flowable]] = []
    for code in codes:
        cells.append(
            [
                _p(code.caption, "small"),
                QrFlowable(code.url, 42 * mm),
                _pm(f"<b>{escape(code.label)}</b>", "cell"),
                _p(code.url, "small"),
            ]
        )
    table = Table([cells], colWidths=[90 * mm] * len(cells), hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [Spacer(1, 5 * mm), KeepTogether([_p("Weryfikacja w KSeF", "h"), table])]


def invoice_pdf(
    invoice: Invoice, *, ksef_number: str | None = None, qr_codes: Sequence[QrCode] = ()
) -> bytes:
    """The visualisation as PDF bytes."""
    buffer = io.BytesIO()
    title = f"{KIND_TITLES.get(invoice.kind or '', 'Faktura')} {invoice.number or ''}".strip()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author=invoice.seller.name or "",
        creator="ksef-sheets",
    )
    story: list[Flowable] = []
    story += _header(invoice, ksef_number)
    story += _parties(invoice)
    story += _correction(invoice)
    story += _lines(invoice)
    if invoice.order_lines:
        story += _lines(invoice, "Zamówienie", invoice.order_lines)
    story += _vat_table(invoice)
    story += _totals(invoice)
    story += _annotations(invoice)
    story += _payment(invoice)
    story += _notes(invoice)
    story += _qr_block(qr_codes)

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(_FONT, 7)
        canvas.setFillColor(_GREY)
        canvas.drawString(15 * mm, 9 * mm, f"{title} — wizualizacja faktury ustrukturyzowanej KSeF")
        canvas.drawRightString(A4[0] - 15 * mm, 9 * mm, f"strona {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
