"""Building FA(3) XML from a ``SalesInvoice``: XSD-valid and arithmetically consistent, or a Polish error.

Totals follow the usual Polish method: line net values are summed per rate and the VAT is computed
once per rate from that sum (art. 106e ust. 10 allows either method; this one matches P_14_x checks
exactly). Corrections show the state before (``StanPrzed``) and after; their totals are the
difference. An advance invoice (ZAL) splits the amount received across the ordered rates; the
settlement (ROZ) shows the full delivery less the advances. The result is validated against the
XSD and the business rules before it is returned, so a broken invoice never leaves this module.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal

from lxml import etree

from ksef_sheets.errors import UserError
from ksef_sheets.fa3.rates import BUCKETS, RATE_CODES, fmt_decimal, fmt_money, money
from ksef_sheets.fa3.safe_xml import NS
from ksef_sheets.fa3.sales import ADVANCE_KINDS, CORRECTION_KINDS, Party, SalesInvoice, SalesLine

# Characters XML 1.0 cannot hold (lxml would refuse them with a ValueError).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EARLIEST_CREATED = datetime(2025, 9, 1, tzinfo=UTC)  # DataWytworzeniaFa minInclusive in the XSD


@dataclass
class BucketTotal:
    net: Decimal = Decimal("0.00")
    vat: Decimal = Decimal("0.00")
    vat_pln: Decimal = Decimal("0.00")


@dataclass
class Totals:
    buckets: dict[str, BucketTotal] = field(default_factory=dict)

    @property
    def gross(self) -> Decimal:
        return money(sum((b.net + b.vat for b in self.buckets.values()), Decimal(0)))


def _line_net(line: SalesLine) -> Decimal:
    return money(line.net if line.net is not None else line.quantity * line.unit_price)


def _line_rate(inv: SalesInvoice, line: SalesLine) -> Decimal:
    return line.exchange_rate or inv.exchange_rate or Decimal(1)


def _group_totals(inv: SalesInvoice, lines: list[SalesLine]) -> Totals:
    """Net per (bucket, rate), VAT computed once per group from its net sum."""
    nets: dict[tuple[str, Decimal | None], Decimal] = defaultdict(Decimal)
    nets_pln: dict[tuple[str, Decimal | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        bucket, pct = RATE_CODES[line.rate]
        net = _line_net(line)
        nets[(bucket, pct)] += net
        nets_pln[(bucket, pct)] += net * _line_rate(inv, line)
    totals = Totals()
    for (bucket, pct), net in nets.items():
        bt = totals.buckets.setdefault(bucket, BucketTotal())
        bt.net += net
        if pct is not None:
            bt.vat += money(net * pct / 100)
            bt.vat_pln += money(nets_pln[(bucket, pct)] * pct / 100)
    return totals


def _subtract(a: Totals, b: Totals) -> Totals:
    out = Totals()
    for key in set(a.buckets) | set(b.buckets):
        x, y = a.buckets.get(key, BucketTotal()), b.buckets.get(key, BucketTotal())
        out.buckets[key] = BucketTotal(x.net - y.net, x.vat - y.vat, x.vat_pln - y.vat_pln)
    return out


def _allocate_gross(inv: SalesInvoice, lines: list[SalesLine], gross: Decimal) -> Totals:
    """Split a gross amount (an advance) across the rates of the ordered lines, in proportion."""
    groups: dict[tuple[str, Decimal | None], Decimal] = defaultdict(Decimal)
    for line in lines:
        bucket, pct = RATE_CODES[line.rate]
        net = _line_net(line)
        groups[(bucket, pct)] += net + (money(net * pct / 100) if pct is not None else 0)
    order_gross = sum(groups.values(), Decimal(0))
    if order_gross == 0:
        raise UserError(f"Faktura {inv.number}: zamówienie ma wartość 0, nie można rozliczyć zaliczki.")
    rate = inv.exchange_rate or Decimal(1)
    totals = Totals()
    remaining = money(gross)
    keys = sorted(groups, key=lambda k: (k[0], k[1] or 0))
    for i, (bucket, pct) in enumerate(keys):
        share = remaining if i == len(keys) - 1 else money(gross * groups[(bucket, pct)] / order_gross)
        remaining -= share
        bt = totals.buckets.setdefault(bucket, BucketTotal())
        if pct is None:
            bt.net += share
        else:
            vat = money(share * pct / (100 + pct))
            bt.net += share - vat
            bt.vat += vat
            bt.vat_pln += money(vat * rate)
    return totals


def compute_totals(inv: SalesInvoice) -> Totals:
    after = [ln for ln in inv.lines if not ln.before_correction]
    before = [ln for ln in inv.lines if ln.before_correction]
    if inv.kind in ADVANCE_KINDS:
        if inv.advance_gross is None:
            raise UserError(
                f"Faktura zaliczkowa {inv.number}: podaj kwotę otrzymanej zaliczki (advance_gross)."
            )
        return _allocate_gross(inv, after, inv.advance_gross)
    totals = _group_totals(inv, after)
    if inv.kind in CORRECTION_KINDS and before:
        totals = _subtract(totals, _group_totals(inv, before))
    if inv.kind == "ROZ" and inv.advances:
        paid = sum((a.gross for a in inv.advances), Decimal(0))
        totals = _subtract(totals, _allocate_gross(inv, after, paid))
    return totals


def _check(inv: SalesInvoice) -> None:
    where = f"Faktura {inv.number}"
    if not inv.lines:
        raise UserError(f"{where}: brak pozycji — faktura musi mieć co najmniej jedną pozycję.")
    if not inv.seller.nip:
        raise UserError(f"{where}: sprzedawca (Podmiot1) musi mieć NIP.")
    if not inv.seller.address1:
        raise UserError(f"{where}: podaj adres sprzedawcy (Podmiot1/Adres).")
    for pair in (("23", "22"), ("8", "7"), ("4", "3")):
        if all(any(ln.rate == r for ln in inv.lines) for r in pair):
            raise UserError(
                f"{where}: stawki {pair[0]}% i {pair[1]}% nie mogą wystąpić na jednej fakturze "
                "(obie wykazuje się w tym samym polu podsumowania)."
            )
    if inv.currency != "PLN" and inv.exchange_rate is None and not all(ln.exchange_rate for ln in inv.lines):
        raise UserError(f"{where}: faktura w walucie {inv.currency} wymaga kursu waluty (KursWaluty).")
    if inv.kind in CORRECTION_KINDS and inv.correction is None:
        raise UserError(f"{where}: faktura korygująca ({inv.kind}) wymaga danych faktury korygowanej.")
    if inv.kind not in CORRECTION_KINDS:
        if inv.correction is not None:
            raise UserError(f"{where}: dane korekty podano dla faktury rodzaju {inv.kind}; użyj KOR.")
        if any(ln.before_correction for ln in inv.lines):
            raise UserError(f"{where}: wiersze „stan przed” (StanPrzed) są dozwolone tylko w korekcie.")
        for i, ln in enumerate(inv.lines, 1):
            if ln.quantity < 0 or (ln.net is not None and ln.net < 0):
                raise UserError(
                    f"{where}, pozycja {i}: ujemna ilość lub wartość jest dozwolona tylko w korekcie."
                )
    if inv.kind == "ROZ" and not inv.advances:
        raise UserError(f"{where}: faktura rozliczeniowa (ROZ) wymaga wskazania faktur zaliczkowych.")
    if any(ln.rate == "zw" for ln in inv.lines) and not inv.exemption_basis:
        raise UserError(
            f"{where}: pozycja zwolniona (zw) wymaga podstawy zwolnienia (P_19A), np. „art. 43 ust. 1 pkt 19 ustawy o VAT”."
        )
    roles = {tp.role for tp in inv.third_parties}
    if inv.jst and 8 not in roles:
        raise UserError(f"{where}: faktura dla jednostki JST wymaga Podmiotu3 w roli 8 (JST — odbiorca).")
    if inv.gv and 10 not in roles:
        raise UserError(f"{where}: faktura dla członka grupy VAT wymaga Podmiotu3 w roli 10.")
    if inv.payment and inv.payment.due_date and inv.payment.due_date < inv.issue_date:
        raise UserError(
            f"{where}: termin płatności {inv.payment.due_date} jest przed datą wystawienia {inv.issue_date}."
        )


class _Writer:
    def __init__(self) -> None:
        self.root = etree.Element(f"{{{NS}}}Faktura", nsmap={None: NS})

    @staticmethod
    def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        el = etree.SubElement(parent, f"{{{NS}}}{name}")
        if text is not None:
            if _ILLEGAL_XML.search(text):
                raise UserError(
                    f"Pole {name} zawiera znaki sterujące, których faktura XML nie może zawierać: „{_ILLEGAL_XML.sub('?', text)[:60]}”."
                )
            el.text = text
        return el


def _address(w: _Writer, parent: etree._Element, tag: str, party: Party) -> None:
    if not party.address1:
        return
    adr = w.sub(parent, tag)
    w.sub(adr, "KodKraju", party.country)
    w.sub(adr, "AdresL1", party.address1)
    if party.address2:
        w.sub(adr, "AdresL2", party.address2)


def _identification(w: _Writer, parent: etree._Element, party: Party | None) -> None:
    ids = w.sub(parent, "DaneIdentyfikacyjne")
    if party is None:
        w.sub(ids, "BrakID", "1")
        return
    if party.nip:
        w.sub(ids, "NIP", party.nip)
    elif party.eu_code and party.eu_vat:
        w.sub(ids, "KodUE", party.eu_code)
        w.sub(ids, "NrVatUE", party.eu_vat)
    elif party.tax_id:
        w.sub(ids, "KodKraju", party.country)
        w.sub(ids, "NrID", party.tax_id)
    else:
        w.sub(ids, "BrakID", "1")
    w.sub(ids, "Nazwa", party.name)


def _contact(w: _Writer, parent: etree._Element, party: Party | None) -> None:
    if party is not None and party.email:
        dk = w.sub(parent, "DaneKontaktowe")
        w.sub(dk, "Email", party.email)


def build_tree(inv: SalesInvoice) -> etree._Element:
    _check(inv)
    totals = compute_totals(inv)
    foreign = inv.currency != "PLN"
    w = _Writer()
    root = w.root

    hdr = w.sub(root, "Naglowek")
    kod = w.sub(hdr, "KodFormularza", "FA")
    kod.set("kodSystemowy", "FA (3)")
    kod.set("wersjaSchemy", "1-0E")
    w.sub(hdr, "WariantFormularza", "3")
    created = inv.created_at or datetime.combine(inv.issue_date, time(8, 0), tzinfo=UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    created = max(created.astimezone(UTC), _EARLIEST_CREATED)
    w.sub(hdr, "DataWytworzeniaFa", created.strftime("%Y-%m-%dT%H:%M:%SZ"))
    w.sub(hdr, "SystemInfo", inv.system_info)

    p1 = w.sub(root, "Podmiot1")
    ids = w.sub(p1, "DaneIdentyfikacyjne")
    w.sub(ids, "NIP", inv.seller.nip)
    w.sub(ids, "Nazwa", inv.seller.name)
    _address(w, p1, "Adres", inv.seller)
    _contact(w, p1, inv.seller)

    p2 = w.sub(root, "Podmiot2")
    _identification(w, p2, inv.buyer)
    if inv.buyer is not None:
        _address(w, p2, "Adres", inv.buyer)
        _contact(w, p2, inv.buyer)
    w.sub(p2, "JST", "1" if inv.jst else "2")
    w.sub(p2, "GV", "1" if inv.gv else "2")

    for tp in inv.third_parties:
        p3 = w.sub(root, "Podmiot3")
        _identification(w, p3, tp.party)
        _address(w, p3, "Adres", tp.party)
        w.sub(p3, "Rola", str(tp.role))

    fa = w.sub(root, "Fa")
    w.sub(fa, "KodWaluty", inv.currency)
    w.sub(fa, "P_1", inv.issue_date.isoformat())
    if inv.place:
        w.sub(fa, "P_1M", inv.place)
    w.sub(fa, "P_2", inv.number)
    if inv.sale_date and inv.sale_date != inv.issue_date:
        w.sub(fa, "P_6", inv.sale_date.isoformat())
    for bucket in BUCKETS:
        bt = totals.buckets.get(bucket.key)
        if bt is None:
            continue
        w.sub(fa, bucket.net_field, fmt_money(bt.net))
        if bucket.vat_field:
            w.sub(fa, bucket.vat_field, fmt_money(bt.vat))
            if foreign and bucket.vat_pln_field:
                w.sub(fa, bucket.vat_pln_field, fmt_money(bt.vat_pln))
    w.sub(fa, "P_15", fmt_money(totals.gross))
    if foreign and inv.kind in ADVANCE_KINDS and inv.exchange_rate:
        w.sub(fa, "KursWalutyZ", fmt_decimal(inv.exchange_rate, 6))

    adn = w.sub(fa, "Adnotacje")
    reverse = inv.reverse_charge
    if reverse is None:
        reverse = any(ln.rate in ("oo", "np II") for ln in inv.lines)
    w.sub(adn, "P_16", "1" if inv.cash_method else "2")
    w.sub(adn, "P_17", "1" if inv.self_billing else "2")
    w.sub(adn, "P_18", "1" if reverse else "2")
    w.sub(adn, "P_18A", "1" if inv.split_payment else "2")
    zw = w.sub(adn, "Zwolnienie")
    if any(ln.rate == "zw" for ln in inv.lines):
        w.sub(zw, "P_19", "1")
        w.sub(zw, "P_19A", inv.exemption_basis)
    else:
        w.sub(zw, "P_19N", "1")
    nst = w.sub(adn, "NoweSrodkiTransportu")
    w.sub(nst, "P_22N", "1")
    w.sub(adn, "P_23", "2")
    pm = w.sub(adn, "PMarzy")
    w.sub(pm, "P_PMarzyN", "1")

    w.sub(fa, "RodzajFaktury", inv.kind)
    if inv.correction is not None:
        corr = inv.correction
        if corr.reason:
            w.sub(fa, "PrzyczynaKorekty", corr.reason)
        if corr.type:
            w.sub(fa, "TypKorekty", str(corr.type))
        for ci in corr.corrected:
            d = w.sub(fa, "DaneFaKorygowanej")
            w.sub(d, "DataWystFaKorygowanej", ci.issue_date.isoformat())
            w.sub(d, "NrFaKorygowanej", ci.number)
            if ci.ksef_number:
                w.sub(d, "NrKSeF", "1")
                w.sub(d, "NrKSeFFaKorygowanej", ci.ksef_number)
            else:
                w.sub(d, "NrKSeFN", "1")
    for key, value in inv.notes:
        dop = w.sub(fa, "DodatkowyOpis")
        w.sub(dop, "Klucz", key)
        w.sub(dop, "Wartosc", value)
    for adv in inv.advances:
        fz = w.sub(fa, "FakturaZaliczkowa")
        if adv.ksef_number:
            w.sub(fz, "NrKSeFFaZaliczkowej", adv.ksef_number)
        else:
            w.sub(fz, "NrKSeFZN", "1")
            w.sub(fz, "NrFaZaliczkowej", adv.number)

    if inv.kind not in ADVANCE_KINDS:
        _lines(w, fa, inv, foreign)
    _payment(w, fa, inv)
    if inv.kind in ADVANCE_KINDS:
        _order(w, fa, inv)
    return root


def _lines(w: _Writer, fa: etree._Element, inv: SalesInvoice, foreign: bool) -> None:
    # In a correction the "before" rows and the "after" rows are numbered separately, so a row and
    # its corrected version share NrWierszaFa, as in the Ministry's samples.
    counters = {True: 0, False: 0}
    for line in inv.lines:
        counters[line.before_correction] += 1
        row = w.sub(fa, "FaWiersz")
        w.sub(row, "NrWierszaFa", str(counters[line.before_correction]))
        if line.line_date:
            w.sub(row, "P_6A", line.line_date.isoformat())
        w.sub(row, "P_7", line.name)
        if line.unit:
            w.sub(row, "P_8A", line.unit)
        w.sub(row, "P_8B", fmt_decimal(line.quantity, 6))
        w.sub(row, "P_9A", fmt_decimal(line.unit_price, 8))
        w.sub(row, "P_11", fmt_money(_line_net(line)))
        w.sub(row, "P_12", line.rate)
        if line.annex15:
            w.sub(row, "P_12_Zal_15", "1")
        if line.gtu:
            w.sub(row, "GTU", line.gtu)
        if foreign:
            w.sub(row, "KursWaluty", fmt_decimal(_line_rate(inv, line), 6))
        if line.before_correction:
            w.sub(row, "StanPrzed", "1")


def _payment(w: _Writer, fa: etree._Element, inv: SalesInvoice) -> None:
    pay = inv.payment
    if pay is None:
        return
    account = pay.bank_account or inv.seller.bank_account
    if not (pay.paid_on or pay.due_date or pay.method or account):
        return
    pl = w.sub(fa, "Platnosc")
    if pay.paid_on:
        w.sub(pl, "Zaplacono", "1")
        w.sub(pl, "DataZaplaty", pay.paid_on.isoformat())
    if pay.due_date:
        tp = w.sub(pl, "TerminPlatnosci")
        w.sub(tp, "Termin", pay.due_date.isoformat())
    if pay.method:
        w.sub(pl, "FormaPlatnosci", str(pay.method))
    if account:
        rb = w.sub(pl, "RachunekBankowy")
        w.sub(rb, "NrRB", account.replace(" ", ""))
        bank = pay.bank_name or inv.seller.bank_name
        if bank:
            w.sub(rb, "NazwaBanku", bank)


def _order(w: _Writer, fa: etree._Element, inv: SalesInvoice) -> None:
    zam = w.sub(fa, "Zamowienie")
    total = Decimal(0)
    rows = []
    for line in inv.lines:
        _, pct = RATE_CODES[line.rate]
        net = _line_net(line)
        vat = money(net * pct / 100) if pct is not None else Decimal("0.00")
        total += net + vat
        rows.append((line, net, vat))
    w.sub(zam, "WartoscZamowienia", fmt_money(total))
    for i, (line, net, vat) in enumerate(rows, 1):
        zw = w.sub(zam, "ZamowienieWiersz")
        w.sub(zw, "NrWierszaZam", str(i))
        w.sub(zw, "P_7Z", line.name)
        if line.unit:
            w.sub(zw, "P_8AZ", line.unit)
        w.sub(zw, "P_8BZ", fmt_decimal(line.quantity, 6))
        w.sub(zw, "P_9AZ", fmt_decimal(line.unit_price, 8))
        w.sub(zw, "P_11NettoZ", fmt_money(net))
        w.sub(zw, "P_11VatZ", fmt_money(vat))
        w.sub(zw, "P_12Z", line.rate)
        if line.annex15:
            w.sub(zw, "P_12Z_Zal_15", "1")


def build_invoice_xml(invoice: SalesInvoice) -> bytes:
    """FA(3) XML for a sales invoice; raises ``UserError`` (Polish) instead of producing a bad file."""
    from ksef_sheets.fa3.validate import validate_invoice

    root = build_tree(invoice)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    report = validate_invoice(data, source=f"faktura {invoice.number}")
    if report.errors:
        details = "; ".join(p.describe() for p in report.errors[:3])
        raise UserError(f"Nie można wystawić faktury {invoice.number}: {details}")
    return data
