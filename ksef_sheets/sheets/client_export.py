"""The client-facing invoice list: one .xlsx out (plus CSV, PDF and a ready e-mail), decisions back in.

``export_client_list(folder, nip, "2026-03", kind)`` writes, into ``klienci/<NIP>/eksport/``:

- ``faktury-<kind>-<NIP>-<YYYY-MM>.xlsx`` — sheet ``Faktury`` (the list, every cell protected except
  the client's columns Decyzja — a dropdown Akceptuję / Odrzucam — and Uwagi), ``Podsumowanie``
  (totals), ``Instrukcja``; in scenario 3 a cell where the client confirms the whole report;
- the same list as CSV for Excel (UTF-8 with BOM, ``;``), a PDF of the workbook when LibreOffice is
  installed, and an .eml draft with the workbook attached.

Integrity. Each row carries an HMAC (hidden column ``Kontrola``) over the client NIP, the period and
the row's invoice data; the very hidden sheet ``_kontrola`` holds the export's id, client, period
and an HMAC over all of them. The key is random, kept in the office folder
(``klucz-eksportu.bin``) and never leaves it, so a returned file can be checked for belonging to
this office, this client and this period, and for rows whose data was changed. Sheet protection
has no password (``PROTECTION_PASSWORD`` is empty): it guards against slips, not against a
determined person — the HMAC is what detects deliberate changes.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import re
import secrets
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, atomic_write_bytes, ensure_writable
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.office import Client, add_business_days, format_day
from ksef_sheets.sheets.printing import DATE_FORMAT, MONEY_FORMAT, PLN_FORMAT, amount_width, text_width
from ksef_sheets.sheets.safe_text import clean_text, csv_text
from ksef_sheets.sync import Archive, ArchivedInvoice, StaffDecision
from ksef_sheets.text import count as count_of
from ksef_sheets.text import format_datetime, plural

ExportKind = Literal["zakupy", "sprzedaz", "wszystkie"]
EXPORT_KINDS: tuple[ExportKind, ...] = ("zakupy", "sprzedaz", "wszystkie")
KIND_LABELS = {"zakupy": "faktury zakupu", "sprzedaz": "faktury sprzedaży", "wszystkie": "sprzedaż i zakupy"}

FORMAT_VERSION = "1"
KEY_FILE = "klucz-eksportu.bin"
PROTECTION_PASSWORD = ""  # documented in docs/exports.md: no password, see the module docstring
LIST_SHEET = "Faktury"
SUMMARY_SHEET = "Podsumowanie"
INSTRUCTION_SHEET = "Instrukcja"
CONTROL_SHEET = "_kontrola"
SIDE_PURCHASE = "Zakup"
SIDE_SALE = "Sprzedaż"
DECISION_ACCEPT = "Akceptuję"
DECISION_REJECT = "Odrzucam"
DECISIONS = (DECISION_ACCEPT, DECISION_REJECT)
CONFIRM_YES = "Potwierdzam"
CONFIRM_NO = "Nie potwierdzam"
CONFIRM_LABEL = "Potwierdzam zestawienie jako całość:"

# Headers of the list (read back by name, never by position).
H_LP = "Lp."
H_SIDE = "Rodzaj"
H_KSEF = "Numer KSeF"
H_NUMBER = "Numer faktury"
H_ISSUE = "Data wystawienia"
H_KSEF_DATE = "Data w KSeF"
H_SELLER_NIP = "NIP sprzedawcy"
H_SELLER = "Sprzedawca"
H_BUYER = "Nabywca"
H_CURRENCY = "Waluta"
H_NET = "Netto"
H_VAT = "VAT"
H_GROSS = "Brutto"
H_STATUS = "Status w biurze"
H_DECISION = "Decyzja"
H_REMARK = "Uwagi"
H_MAC = "Kontrola"
# What the client reads and decides comes first and is what prints (A4 landscape, one page wide,
# PRINTED_HEADERS); the KSeF number, date in KSeF and the office status follow on screen. The reply
# is read by header name, so replies to files with the older column order still import.
HEADERS = (
    H_LP,
    H_SIDE,
    H_NUMBER,
    H_ISSUE,
    H_SELLER,
    H_SELLER_NIP,
    H_BUYER,
    H_NET,
    H_VAT,
    H_GROSS,
    H_CURRENCY,
    H_DECISION,
    H_REMARK,
    H_KSEF,
    H_KSEF_DATE,
    H_STATUS,
    H_MAC,
)
PRINTED_HEADERS = HEADERS[: HEADERS.index(H_REMARK) + 1]
# The CSV is data for other programs: its columns keep their order (the rows in ``export_csv``).
CSV_HEADERS = (
    H_LP,
    H_SIDE,
    H_KSEF,
    H_NUMBER,
    H_ISSUE,
    H_KSEF_DATE,
    H_SELLER_NIP,
    H_SELLER,
    H_BUYER,
    H_CURRENCY,
    H_NET,
    H_VAT,
    H_GROSS,
    H_STATUS,
    H_DECISION,
    H_REMARK,
)
HEADER_ROW = 6  # 0-based row of the list's headers on sheet Faktury
CONFIRM_CELL = (3, 4)  # (row, col) of the scenario-3 confirmation dropdown
MAX_ROWS = 20_000

_WARSAW = ZoneInfo("Europe/Warsaw")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# ----------------------------------------------------------------------------------------------
# Period, key, integrity


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month), or a Polish ``UserError``."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2020 <= int(match.group(1)) <= 2100:
        raise UserError(f"Okres „{text}” ma niepoprawny format; podaj miesiąc jako RRRR-MM, np. 2026-03.")
    return int(match.group(1)), int(match.group(2))


def export_key(folder: OfficeFolder) -> bytes:
    """The office's secret for export integrity; created on first use, kept only in the office folder."""
    path = folder.root / KEY_FILE
    if path.exists():
        data = path.read_bytes()
        if len(data) != 32:
            raise UserError(f"Plik klucza {path} jest uszkodzony (zła długość).")
        return data
    data = secrets.token_bytes(32)
    atomic_write_bytes(path, data)
    if os.name != "nt":
        path.chmod(0o600)
    return data


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(Decimal('0.01'))}"


@dataclass
class ExportRow:
    """One invoice as the client sees it (and as the integrity code covers it)."""

    side: str
    ksef_number: str
    number: str
    issue_date: date | None
    ksef_date: date | None
    seller_nip: str
    seller_name: str
    buyer: str
    currency: str
    net: Decimal | None
    vat: Decimal | None
    gross: Decimal | None
    status: str = ""
    decision: str = ""
    remark: str = ""
    mac: str = ""

    def signed_fields(self) -> tuple[str, ...]:
        return (
            self.side,
            self.ksef_number,
            self.number,
            self.issue_date.isoformat() if self.issue_date else "",
            self.seller_nip,
            self.currency,
            money_text(self.net),
            money_text(self.vat),
            money_text(self.gross),
        )


def row_mac(key: bytes, nip: str, period: str, fields: Sequence[str]) -> str:
    message = "\x1f".join((FORMAT_VERSION, nip, period, *fields)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def file_mac(
    key: bytes, nip: str, period: str, kind: str, export_id: str, rows: Sequence[tuple[str, str]]
) -> str:
    body = "\x1e".join(f"{number}\x1f{mac}" for number, mac in rows)
    message = "\x1d".join((FORMAT_VERSION, "plik", nip, period, kind, export_id, body)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------------------------
# Rows from the archive


def ksef_date(number: str) -> date | None:
    """The day KSeF accepted the invoice, from its number (``NIP-YYYYMMDD-...``)."""
    try:
        part = number.split("-")[1]
        return date(int(part[:4]), int(part[4:6]), int(part[6:8]))
    except (IndexError, ValueError):
        return None


def _period_date(invoice: ArchivedInvoice, side: str) -> date | None:
    """Purchases belong to the month KSeF delivered them (art. 106na ust. 3); sales to the issue date."""
    received = None
    if invoice.invoicing_date is not None:
        received = invoice.invoicing_date.astimezone(_WARSAW).date()
    received = received or ksef_date(invoice.ksef_number)
    if side == SIDE_PURCHASE:
        return received or invoice.issue_date
    return invoice.issue_date or received


def _row_from_archive(archive: Archive, invoice: ArchivedInvoice, side: str) -> ExportRow:
    row = ExportRow(
        side=side,
        ksef_number=invoice.ksef_number,
        number=clean_text(invoice.invoice_number or ""),
        issue_date=invoice.issue_date,
        ksef_date=_period_date(invoice, SIDE_PURCHASE),
        seller_nip=invoice.seller_nip or "",
        seller_name=clean_text(invoice.seller_name or ""),
        buyer=clean_text(invoice.buyer_name or invoice.buyer_identifier or ""),
        currency=invoice.currency or "PLN",
        net=invoice.net_amount,
        vat=invoice.vat_amount,
        gross=invoice.gross_amount,
    )
    # The XML is the source of truth for what the invoice says; metadata is the fallback.
    try:
        from ksef_sheets.fa3 import parse_invoice, to_register_row

        parsed = to_register_row(
            parse_invoice(
                archive.read_xml(invoice.client_nip, invoice.ksef_number), source=invoice.ksef_number
            ),
            ksef_number=invoice.ksef_number,
        )
    except UserError:
        return row
    row.number = clean_text(parsed.number or row.number)
    row.issue_date = parsed.issue_date or row.issue_date
    row.seller_nip = parsed.seller_nip or row.seller_nip
    row.seller_name = clean_text(parsed.seller_name or row.seller_name)
    row.buyer = clean_text(parsed.buyer_name or parsed.buyer_id or row.buyer)
    row.currency = parsed.currency or row.currency
    row.net = parsed.net_total if parsed.net_total is not None else row.net
    row.vat = parsed.vat_total if parsed.vat_total is not None else row.vat
    row.gross = parsed.gross_total if parsed.gross_total is not None else row.gross
    return row


def collect_rows(
    archive: Archive, nip: str, year: int, month: int, kind: ExportKind
) -> tuple[list[ExportRow], dict[str, StaffDecision]]:
    sides = {"zakupy": (SIDE_SALE,), "sprzedaz": (SIDE_PURCHASE,), "wszystkie": ()}
    skip = sides[kind]
    decisions = archive.decisions_for(nip)
    rows: list[ExportRow] = []
    for subject, side in (("Subject1", SIDE_SALE), ("Subject2", SIDE_PURCHASE)):
        if side in skip:
            continue
        for invoice in archive.list_invoices(nip, subject_type=subject):
            when = _period_date(invoice, side)
            if when is None or (when.year, when.month) != (year, month):
                continue
            row = _row_from_archive(archive, invoice, side)
            decision = decisions.get(invoice.ksef_number)
            if decision is not None:
                row.status = decision.status or ""
                row.decision = decision.client_decision or ""
                row.remark = decision.client_remark or ""
            rows.append(row)
    rows.sort(key=lambda r: (r.side != SIDE_SALE, r.issue_date or date.min, r.ksef_number))
    if len(rows) > MAX_ROWS:
        raise UserError(
            f"Okres {year}-{month:02d} ma {len(rows)} faktur; zestawienie mieści najwyżej {MAX_ROWS}."
        )
    return rows, decisions


# ----------------------------------------------------------------------------------------------
# The export


@dataclass
class ExportHeader:
    client_nip: str
    client_name: str
    period: str
    kind: ExportKind
    scenario: int | None
    export_id: str
    created_at: datetime
    office_name: str
    office_email: str | None
    reply_days: int
    file_mac: str = ""

    @property
    def confirms_whole(self) -> bool:
        return self.scenario == 3

    @property
    def reply_by(self) -> date:
        """The verification deadline: ``reply_days`` business days after the export's day (Warsaw)."""
        return add_business_days(self.created_at.astimezone(_WARSAW).date(), self.reply_days)

    @property
    def reply_deadline_text(self) -> str:
        """The deadline as the client reads it: w ciągu 5 dni roboczych, czyli do 14.12.2026 (pon.)."""
        days = plural(self.reply_days, "dnia roboczego", "dni roboczych", "dni roboczych")
        return f"w ciągu {self.reply_days} {days}, czyli do {format_day(self.reply_by)}"


@dataclass
class ExportResult:
    client_nip: str
    period: str
    kind: ExportKind
    rows: int
    xlsx: Path
    csv: Path
    pdf: Path | None = None
    eml: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "client_nip": self.client_nip,
            "period": self.period,
            "kind": self.kind,
            "rows": self.rows,
            "xlsx": str(self.xlsx),
            "csv": str(self.csv),
            "pdf": str(self.pdf) if self.pdf else None,
            "eml": str(self.eml) if self.eml else None,
            "warnings": self.warnings,
        }


def export_base_name(kind: ExportKind, nip: str, period: str) -> str:
    return f"faktury-{kind}-{nip}-{period}"


def find_client(folder: OfficeFolder, nip: str) -> Client | None:
    """The client's register row when the office workbook exists (name, e-mail, scenario)."""
    if not folder.office_workbook.exists():
        return None
    from ksef_sheets.documents import load_register

    for client in load_register(folder):
        if client.nip == nip:
            return client
    return None


def _not_a_client(folder: OfficeFolder, config: OfficeConfig, nip: str) -> bool:
    """Whether the office's client list (the register, else the config's list) leaves ``nip`` out."""
    if folder.office_workbook.exists():
        return True  # find_client looked in the register and did not find it
    listed = {normalize_nip(n) for n in config.clients}
    return bool(listed) and nip not in listed


def export_client_list(
    folder: OfficeFolder,
    nip: str,
    month: str,
    kind: ExportKind | None = None,
    *,
    client: Client | None = None,
    pdf: bool | None = None,
    email: bool = True,
    now: datetime | None = None,
) -> ExportResult:
    """Write the client's invoice list for a month (see the module docstring).

    ``kind`` defaults by scenario: the whole report in scenario 3, purchases otherwise. ``pdf``:
    None = when LibreOffice is installed, True = required, False = never.
    """
    problem = nip_problem(nip)
    if problem:
        raise UserError(f"Opcja --client: {problem}")
    nip = normalize_nip(nip)
    year, mon = parse_month(month)
    period = f"{year}-{mon:02d}"
    config = folder.load_config()
    client = client or find_client(folder, nip)
    if client is None and _not_a_client(folder, config, nip):
        where = (
            f"w rejestrze klientów ({folder.office_workbook})"
            if folder.office_workbook.exists()
            else f"na liście „clients” w {folder.config_path}"
        )
        raise UserError(f"NIP {nip} nie jest klientem biura {where} — sprawdź NIP albo dodaj klienta.")
    scenario = client.scenario if client else None
    chosen: ExportKind = kind or ("wszystkie" if scenario == 3 else "zakupy")
    if chosen not in EXPORT_KINDS:
        raise UserError(f"Nieznany zakres „{chosen}”; dostępne: {', '.join(EXPORT_KINDS)}.")
    from ksef_sheets.documents import office_data

    office = office_data(config, config_name=str(folder.config_path))
    key = export_key(folder)
    with Archive.open(folder) as archive:
        rows, _ = collect_rows(archive, nip, year, mon, chosen)
    if not rows:
        raise UserError(
            f"Klient {nip} nie ma w archiwum faktur ({KIND_LABELS[chosen]}) za {period}; "
            "najpierw pobierz faktury (ksef-sheets fetch)."
        )
    for row in rows:
        row.mac = row_mac(key, nip, period, row.signed_fields())
    header = ExportHeader(
        client_nip=nip,
        client_name=clean_text(client.name) if client else "",
        period=period,
        kind=chosen,
        scenario=scenario,
        export_id=uuid.uuid4().hex,
        created_at=(now or datetime.now(UTC)).astimezone(UTC),
        office_name=clean_text(config.office_name),
        office_email=office.email,
        reply_days=office.settings.verification_days,
    )
    header.file_mac = file_mac(
        key, nip, period, chosen, header.export_id, [(r.ksef_number, r.mac) for r in rows]
    )

    base = folder.exports_dir(nip) / export_base_name(chosen, nip, period)
    xlsx_path, csv_path = base.with_suffix(".xlsx"), base.with_suffix(".csv")
    for path in (xlsx_path, csv_path, base.with_suffix(".pdf"), base.with_suffix(".eml")):
        ensure_writable(path)
    with atomic_path(xlsx_path) as tmp:
        write_export_workbook(tmp, header, rows)
    atomic_write_bytes(csv_path, export_csv(header, rows))
    result = ExportResult(nip, period, chosen, len(rows), xlsx_path, csv_path)

    from ksef_sheets.documents import MISSING_MESSAGE, convert_to_pdf, find_soffice

    if pdf is True or (pdf is None and find_soffice() is not None):
        result.pdf = base.with_suffix(".pdf")
        with tempfile.TemporaryDirectory(prefix="ksef-sheets-pdf-") as work:
            printable = Path(work) / xlsx_path.name
            write_summary_workbook(printable, header, rows)
            produced = convert_to_pdf([printable])[printable]
            atomic_write_bytes(result.pdf, produced.read_bytes())
    elif pdf is None:
        result.warnings.append(MISSING_MESSAGE)
    if email:
        result.eml = _write_email(folder, office, client, header, xlsx_path, result)
    with Archive.open(folder) as archive:
        archive.audit(
            "eksport-dla-klienta",
            nip,
            {"okres": period, "zakres": chosen, "plik": xlsx_path.name, "id": header.export_id},
            len(rows),
        )
    return result


def _write_email(
    folder: OfficeFolder,
    office: object,
    client: Client | None,
    header: ExportHeader,
    attachment: Path,
    result: ExportResult,
) -> Path | None:
    from ksef_sheets.documents import (
        OfficeData,
        build_eml,
        client_context,
        email_problem,
        render_text,
        split_subject,
        template_path,
    )

    assert isinstance(office, OfficeData)
    if client is None or email_problem(client.email):
        reason = "nie ma go w rejestrze" if client is None else email_problem(client.email)
        result.warnings.append(
            f"Nie utworzono e-maila do klienta {header.client_nip}: {reason}; plik wyślij samodzielnie."
        )
        return None
    context = client_context(client, office, today=header.created_at.astimezone(_WARSAW).date())
    context["zestawienie"] = {
        "okres": header.period,
        "zakres": KIND_LABELS[header.kind],
        "liczba": result.rows,
        "plik": attachment.name,
        "calosc": header.confirms_whole,
        "termin": format_day(header.reply_by),  # the verification deadline on business days
    }
    template = template_path("email-zestawienie.txt", folder)
    text = split_subject(render_text(template, context), str(template))
    eml = build_eml(
        text,
        to_name=client.name,
        to_email=client.email.strip(),
        from_name=str(office.values["nazwa"]),
        from_email=office.email,
        attachments=[attachment],
    )
    path = attachment.with_suffix(".eml")
    atomic_write_bytes(path, eml)
    return path


# ----------------------------------------------------------------------------------------------
# Writers


def export_csv(header: ExportHeader, rows: Sequence[ExportRow]) -> bytes:
    """The list for Excel: UTF-8 with BOM, ``;``, decimal comma, formula-like text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for i, row in enumerate(rows, start=1):
        writer.writerow(
            [
                str(i),
                row.side,
                row.ksef_number,
                csv_text(row.number),
                row.issue_date.isoformat() if row.issue_date else "",
                row.ksef_date.isoformat() if row.ksef_date else "",
                row.seller_nip,
                csv_text(row.seller_name),
                csv_text(row.buyer),
                row.currency,
                money_text(row.net).replace(".", ","),
                money_text(row.vat).replace(".", ","),
                money_text(row.gross).replace(".", ","),
                row.status,
                csv_text(row.decision),
                csv_text(row.remark),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _totals(rows: Sequence[ExportRow]) -> dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]]:
    totals: dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]] = {}
    for row in rows:
        count, net, vat, gross = totals.get((row.side, row.currency), (0, Decimal(0), Decimal(0), Decimal(0)))
        totals[(row.side, row.currency)] = (
            count + 1,
            net + (row.net or 0),
            vat + (row.vat or 0),
            gross + (row.gross or 0),
        )
    return totals


def write_export_workbook(path: Path, header: ExportHeader, rows: Sequence[ExportRow]) -> None:
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties(
        {
            "title": f"Faktury do weryfikacji {header.period}",
            "subject": f"{header.client_name} NIP {header.client_nip}",
            "author": header.office_name,
            "company": header.office_name,
        }
    )
    workbook.set_custom_property("ksef_sheets_eksport", header.export_id)
    workbook.set_size(1600, 1000)
    f_title = workbook.add_format({"bold": True, "font_size": 14})
    f_bold = workbook.add_format({"bold": True})
    f_text = workbook.add_format({"text_wrap": False})
    f_wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    f_date = workbook.add_format({"num_format": DATE_FORMAT, "align": "left"})
    f_money = workbook.add_format({"num_format": MONEY_FORMAT})
    f_money_bold = workbook.add_format({"num_format": PLN_FORMAT, "bold": True, "align": "left"})
    f_input = workbook.add_format(
        {"locked": False, "bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000"}
    )
    f_input_bold = workbook.add_format({"locked": False, "bg_color": "#FFF2CC", "border": 2, "bold": True})
    # Headers wrap between words within their column instead of running into the next one.
    f_head = workbook.add_format({"bold": True, "text_wrap": True, "valign": "bottom"})
    f_head_right = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "bottom", "align": "right"}
    )
    f_center = workbook.add_format({"align": "center"})
    f_note = workbook.add_format(
        {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"}
    )

    ws = workbook.add_worksheet(LIST_SHEET)
    summary = workbook.add_worksheet(SUMMARY_SHEET)
    guide = workbook.add_worksheet(INSTRUCTION_SHEET)
    control = workbook.add_worksheet(CONTROL_SHEET)

    # -- Faktury -------------------------------------------------------------------------------
    who = (
        f"{header.client_name} (NIP {header.client_nip})"
        if header.client_name
        else f"NIP {header.client_nip}"
    )
    ws.write_string(
        0, 0, f"{KIND_LABELS[header.kind].capitalize()} do weryfikacji — {who} — {header.period}", f_title
    )
    ws.merge_range(
        1,
        0,
        1,
        len(PRINTED_HEADERS) - 1,
        f"W kolumnie „{H_DECISION}” prosimy wybrać „{DECISION_ACCEPT}” albo „{DECISION_REJECT}”; przy "
        f"odrzuceniu prosimy wpisać przyczynę w kolumnie „{H_REMARK}”. Pozostałych komórek nie można "
        f"zmieniać. Plik prosimy odesłać do biura: {header.office_name} {header.reply_deadline_text}.",
        f_note,
    )
    ws.write_string(2, 0, f"Liczba faktur: {len(rows)}", f_bold)
    gross_pln = sum((r.gross or Decimal(0) for r in rows if r.currency == "PLN"), Decimal(0))
    # The label runs over the empty cell beside it; the sum sits in the wide Sprzedawca column.
    ws.write_string(2, 2, "Suma brutto (PLN):", f_bold)
    ws.write_number(2, 4, float(gross_pln), f_money_bold)
    if header.confirms_whole:
        ws.write_string(CONFIRM_CELL[0], 0, CONFIRM_LABEL, f_bold)
        ws.write_blank(CONFIRM_CELL[0], CONFIRM_CELL[1], None, f_input_bold)
        ws.data_validation(
            CONFIRM_CELL[0],
            CONFIRM_CELL[1],
            CONFIRM_CELL[0],
            CONFIRM_CELL[1],
            {
                "validate": "list",
                "source": [CONFIRM_YES, CONFIRM_NO],
                "error_title": "Potwierdzenie",
                "error_message": f"Prosimy wybrać „{CONFIRM_YES}” albo „{CONFIRM_NO}”.",
            },
        )
        ws.merge_range(
            4,
            0,
            4,
            len(PRINTED_HEADERS) - 1,
            "Potwierdzenie oznacza akceptację wszystkich faktur, przy których nie wybrano „Odrzucam” "
            "(pozycje sporne oznacz „Odrzucam” i opisz w Uwagach).",
            f_note,
        )
    col = {h: i for i, h in enumerate(HEADERS)}
    first, last = HEADER_ROW + 1, HEADER_ROW + max(len(rows), 1)
    for i, row in enumerate(rows):
        r = first + i
        ws.write_number(r, col[H_LP], i + 1, f_center)
        ws.write_string(r, col[H_SIDE], row.side)
        ws.write_string(r, col[H_KSEF], row.ksef_number)
        ws.write_string(r, col[H_NUMBER], row.number)
        _write_date(ws, r, col[H_ISSUE], row.issue_date, f_date)
        _write_date(ws, r, col[H_KSEF_DATE], row.ksef_date, f_date)
        ws.write_string(r, col[H_SELLER_NIP], row.seller_nip)
        ws.write_string(r, col[H_SELLER], row.seller_name, f_text)
        ws.write_string(r, col[H_BUYER], row.buyer, f_text)
        ws.write_string(r, col[H_CURRENCY], row.currency)
        for h, value in ((H_NET, row.net), (H_VAT, row.vat), (H_GROSS, row.gross)):
            if value is None:
                ws.write_blank(r, col[h], None, f_money)
            else:
                ws.write_number(r, col[h], float(value), f_money)
        ws.write_string(r, col[H_STATUS], row.status)
        if row.decision in DECISIONS:
            ws.write_string(r, col[H_DECISION], row.decision, f_input)
        else:
            ws.write_blank(r, col[H_DECISION], None, f_input)
        if row.remark:
            ws.write_string(r, col[H_REMARK], clean_text(row.remark), f_input)
        else:
            ws.write_blank(r, col[H_REMARK], None, f_input)
        ws.write_string(r, col[H_MAC], row.mac)
    ws.add_table(
        HEADER_ROW,
        0,
        last,
        len(HEADERS) - 1,
        {
            "name": "FakturyDoWeryfikacji",
            "style": "Table Style Light 9",
            "columns": [
                {"header": h, "header_format": f_head_right if h in (H_NET, H_VAT, H_GROSS) else f_head}
                for h in HEADERS
            ],
            "autofilter": True,
        },
    )
    ws.data_validation(
        first,
        col[H_DECISION],
        last,
        col[H_DECISION],
        {
            "validate": "list",
            "source": list(DECISIONS),
            "input_title": "Decyzja",
            "input_message": f"{DECISION_ACCEPT} albo {DECISION_REJECT}",
            "error_title": "Decyzja",
            "error_message": f"Prosimy wybrać z listy „{DECISION_ACCEPT}” albo „{DECISION_REJECT}”.",
        },
    )
    amounts = [v for row in rows for v in (row.net, row.vat, row.gross)]
    widths = {
        H_LP: 5,
        H_SIDE: 9,
        H_KSEF: 38,
        H_NUMBER: text_width((r.number for r in rows), minimum=14, maximum=24),
        H_ISSUE: 11,
        H_KSEF_DATE: 11,
        H_SELLER_NIP: 12,
        # Names as long as they are, within reason; the sum of the list sits in this column too.
        H_SELLER: max(
            text_width((r.seller_name for r in rows), minimum=20, maximum=32),
            amount_width([gross_pln], suffix=" zł", bold=True),
        ),
        H_BUYER: text_width((r.buyer for r in rows), minimum=12, maximum=28),
        H_CURRENCY: 7,
        H_NET: amount_width(amounts, minimum=10),
        H_VAT: amount_width(amounts, minimum=9),
        H_GROSS: amount_width(amounts, minimum=10),
        H_STATUS: 22,
        H_DECISION: 13,
        H_REMARK: 30,
    }
    for h, width in widths.items():
        ws.set_column(col[h], col[h], width)
    ws.set_column(col[H_MAC], col[H_MAC], 34, None, {"hidden": True})
    ws.set_row(1, 30)
    ws.set_row(HEADER_ROW, 30)
    ws.freeze_panes(HEADER_ROW + 1, 3)
    ws.protect(PROTECTION_PASSWORD, {"autofilter": True, "sort": True, "format_columns": True})
    _print_setup(ws, repeat=HEADER_ROW)
    ws.print_area(0, 0, last, len(PRINTED_HEADERS) - 1)
    ws.activate()

    # -- Podsumowanie ----------------------------------------------------------------------------
    summary.write_string(0, 0, f"Podsumowanie — {who} — {header.period}", f_title)
    for c, h in enumerate(("Rodzaj", "Waluta", "Liczba faktur", "Netto", "VAT", "Brutto")):
        summary.write_string(2, c, h, f_bold)
    r = 3
    for (side, currency), (count, net, vat, gross) in sorted(_totals(rows).items()):
        summary.write_string(r, 0, side)
        summary.write_string(r, 1, currency)
        summary.write_number(r, 2, count)
        summary.write_number(r, 3, float(net), f_money)
        summary.write_number(r, 4, float(vat), f_money)
        summary.write_number(r, 5, float(gross), f_money)
        r += 1
    summary.write_string(r + 1, 0, f"Utworzono: {format_datetime(header.created_at)}")
    summary.write_string(r + 2, 0, f"Biuro: {header.office_name}")
    summary.set_column(0, 1, 14)
    summary.set_column(2, 2, 14)
    totals = [v for t in _totals(rows).values() for v in t[1:]]
    summary.set_column(3, 5, amount_width(totals, minimum=15))
    summary.protect(PROTECTION_PASSWORD)
    _print_setup(summary, repeat=None)

    # -- Instrukcja ------------------------------------------------------------------------------
    steps = [
        "Jak zweryfikować faktury",
        # Addressed to the client as "Państwo" (issue 16), never with "Ty" imperatives.
        f"1. Prosimy otworzyć arkusz „{LIST_SHEET}”. Każdy wiersz to jedna faktura z KSeF "
        f"({KIND_LABELS[header.kind]}).",
        f"2. W kolumnie „{H_DECISION}” prosimy wybrać z listy „{DECISION_ACCEPT}”, gdy faktura dotyczy Państwa "
        f"firmy i jest poprawna, albo „{DECISION_REJECT}”, gdy jej Państwo nie rozpoznają lub jest błędna.",
        f"3. Przy odrzuceniu prosimy wpisać przyczynę w kolumnie „{H_REMARK}” (np. „nie zamawialiśmy”, "
        "„zła cena”).",
        "4. Prosimy nie zmieniać innych kolumn, nie usuwać i nie dodawać wierszy — biuro rozpoznaje faktury po numerze "
        "KSeF i sprawdza, czy ich dane nie zostały zmienione.",
        f"5. Prosimy zapisać plik (może mieć inną nazwę) i odesłać go do biura {header.reply_deadline_text}.",
    ]
    if header.confirms_whole:
        steps.append(
            f"6. Na górze arkusza „{LIST_SHEET}” prosimy wybrać „{CONFIRM_YES}”, aby zatwierdzić całe zestawienie. "
            "Faktury bez decyzji zostaną wtedy uznane za zaakceptowane."
        )
    steps += [
        "",
        "Biuro księguje tylko faktury zaakceptowane. Faktury odrzucone wyjaśnia z Państwem i z wystawcą.",
        "Arkusz jest chroniony bez hasła wyłącznie po to, by uniknąć przypadkowych zmian.",
    ]
    for i, text in enumerate(steps):
        guide.write_string(i, 0, text, f_title if i == 0 else f_wrap)
    guide.set_column(0, 0, 110)
    guide.protect(PROTECTION_PASSWORD)
    _print_setup(guide, repeat=None)

    # -- _kontrola (very hidden) -----------------------------------------------------------------
    meta = [
        ("wersja", FORMAT_VERSION),
        ("nip", header.client_nip),
        ("okres", header.period),
        ("zakres", header.kind),
        ("id", header.export_id),
        ("scenariusz", str(header.scenario or "")),
        ("utworzono", header.created_at.isoformat()),
        ("wierszy", str(len(rows))),
        ("podpis", header.file_mac),
    ]
    for i, (name, meta_value) in enumerate(meta):
        control.write_string(i, 0, name)
        control.write_string(i, 1, meta_value)
    control.write_string(len(meta) + 1, 0, "Numer KSeF")
    control.write_string(len(meta) + 1, 1, H_MAC)
    for i, row in enumerate(rows):
        control.write_string(len(meta) + 2 + i, 0, row.ksef_number)
        control.write_string(len(meta) + 2 + i, 1, row.mac)
    control.protect(PROTECTION_PASSWORD)
    control.very_hidden()
    workbook.close()


def _write_date(ws: Worksheet, r: int, c: int, value: date | None, fmt: Format) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)


def _print_setup(ws: Worksheet, *, repeat: int | None) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&CStrona &P z &N")
    if repeat is not None:
        ws.repeat_rows(repeat)


def write_summary_workbook(path: Path, header: ExportHeader, rows: Sequence[ExportRow]) -> None:
    """A compact, printable list with totals: the source of the PDF summary (A4 landscape)."""
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = workbook.add_worksheet("Zestawienie")
    f_title = workbook.add_format({"bold": True, "font_size": 13})
    f_head = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom"})
    f_head_number = workbook.add_format(
        {"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom", "align": "right"}
    )
    f_cell = workbook.add_format({"font_size": 9, "valign": "top"})
    f_date = workbook.add_format(
        {"font_size": 9, "num_format": DATE_FORMAT, "valign": "top", "align": "center"}
    )
    f_gap = workbook.add_format({"font_size": 9, "valign": "top", "indent": 1})
    f_money = workbook.add_format({"font_size": 9, "num_format": MONEY_FORMAT, "valign": "top"})
    f_total = workbook.add_format({"bold": True, "num_format": MONEY_FORMAT, "top": 1})
    f_total_text = workbook.add_format({"bold": True, "top": 1})
    who = (
        f"{header.client_name} (NIP {header.client_nip})"
        if header.client_name
        else f"NIP {header.client_nip}"
    )
    ws.write_string(0, 0, f"{KIND_LABELS[header.kind].capitalize()} — {who} — {header.period}", f_title)
    ws.write_string(1, 0, f"{header.office_name}; utworzono {format_datetime(header.created_at)}")
    heads = (
        "Lp.",
        "Rodzaj",
        "Numer faktury",
        "Data wyst.",
        "Kontrahent",
        "NIP",
        "Waluta",
        "Netto",
        "VAT",
        "Brutto",
        "Numer KSeF",
    )
    amounts = [v for row in rows for v in (row.net, row.vat, row.gross)]
    amounts += [v for t in _totals(rows).values() for v in t[1:]]
    money = amount_width(amounts, minimum=10, bold=True)
    widths = (4, 8, 17, 10, 34, 11, 6, money, money, money, 36)
    for c, (h, w) in enumerate(zip(heads, widths, strict=True)):
        ws.write_string(3, c, h, f_head_number if h in ("Netto", "VAT", "Brutto") else f_head)
        ws.set_column(c, c, w)
    for i, row in enumerate(rows):
        r = 4 + i
        purchase = row.side == SIDE_PURCHASE
        ws.write_number(r, 0, i + 1, f_cell)
        ws.write_string(r, 1, row.side, f_cell)
        ws.write_string(r, 2, row.number, f_cell)
        _write_date(ws, r, 3, row.issue_date, f_date)
        ws.write_string(r, 4, row.seller_name if purchase else row.buyer, f_cell)
        ws.write_string(r, 5, row.seller_nip if purchase else "", f_cell)
        ws.write_string(r, 6, row.currency, f_cell)
        for c, value in ((7, row.net), (8, row.vat), (9, row.gross)):
            if value is not None:
                ws.write_number(r, c, float(value), f_money)
        ws.write_string(r, 10, row.ksef_number, f_gap)
    r = 5 + len(rows)
    for (side, currency), (count, net, vat, gross) in sorted(_totals(rows).items()):
        ws.write_string(r, 1, f"Razem: {side.lower()}", f_total_text)
        ws.write_string(r, 4, count_of(count, "faktura", "faktury", "faktur"), f_total_text)
        ws.write_string(r, 6, currency, f_total_text)
        ws.write_number(r, 7, float(net), f_total)
        ws.write_number(r, 8, float(vat), f_total)
        ws.write_number(r, 9, float(gross), f_total)
        r += 1
    _print_setup(ws, repeat=3)
    workbook.close()
