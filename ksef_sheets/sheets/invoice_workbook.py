"""Writing a client's invoice workbook ``klienci/<NIP>/faktury-<YYYY>.xlsx`` with XlsxWriter.

Sheets: **Zakupy** and **Sprzedaż** (Excel Tables, one row per invoice, then the rows staff added),
**Podsumowanie** (monthly totals computed in Python) and a very hidden snapshot of the staff columns
as written (see ``invoice_readback``). Every piece of third-party text goes in with ``write_string``
(so ``=HYPERLINK(...)`` stays text) after ``safe_text.clean_text``. The file is written to a
temporary path and moved over the old one in one step.

This module only writes; merging with staff work and the archive is ``invoice_refresh``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from openpyxl.formula.tokenizer import TokenizerError
from openpyxl.formula.translate import Translator
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ksef_sheets.files import atomic_path
from ksef_sheets.sheets.invoice_columns import (
    H_ACCEPTED,
    H_ACCOUNT,
    H_BOOKED,
    H_CLIENT_DECISION,
    H_CLIENT_REMARK,
    H_COMMENT,
    H_CORRECTED,
    H_CP_NAME,
    H_CP_NIP,
    H_CURRENCY,
    H_DUE,
    H_GROSS,
    H_GROSS_PLN,
    H_ISSUED,
    H_ITEMS,
    H_KSEF,
    H_NET,
    H_NET_PLN,
    H_NUMBER,
    H_OFFLINE,
    H_PERSON,
    H_SPLIT,
    H_STATUS,
    H_TYPE,
    H_VAT,
    H_VAT_PLN,
    H_XML,
    INVOICE_COLUMNS,
    KNOWN_HEADERS,
    PRINTED_COLUMNS,
    RATES,
    SNAPSHOT_HEADERS,
    SNAPSHOT_SHEET,
    STATUS_ACCEPTED,
    STATUS_BOOKED,
    STATUS_CLIENT_CHECK,
    STATUS_NEW,
    STATUS_REJECTED,
    STATUSES,
    SUMMARY_SHEET,
    YES,
    Column,
    Rate,
    Register,
    net_header,
    vat_header,
)
from ksef_sheets.sheets.invoice_fingerprint import FINGERPRINT_PROPERTY
from ksef_sheets.sheets.invoice_readback import OwnSheet
from ksef_sheets.sheets.invoice_rows import CellValue, Formula, InvoiceRow, SheetRow, StaffFields
from ksef_sheets.sheets.invoice_summary import MONTHS_PL, ZERO, MonthTotals, RegisterSummary, summarize
from ksef_sheets.sheets.jpk_sheet import JPK_SHEET, restyle_jpk_sheet
from ksef_sheets.sheets.printing import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    MONEY_FORMAT,
    PLN_FORMAT,
    SUMMARY_PLN_FORMAT,
    amount_width,
)
from ksef_sheets.sheets.safe_text import clean_text
from ksef_sheets.text import format_date, format_datetime

# Excel refuses more hyperlinks per sheet than this; past it the XML path is written as text.
MAX_LINKS_PER_SHEET = 65_000
MAX_CELL_TEXT = 32_767


STATUS_COLOURS = {
    STATUS_NEW: ("#DDEBF7", "#1F4E78"),
    STATUS_CLIENT_CHECK: ("#FFF2CC", "#7F6000"),
    STATUS_ACCEPTED: ("#E2EFDA", "#375623"),
    STATUS_REJECTED: ("#FCE4D6", "#C00000"),
    STATUS_BOOKED: ("#C6E0B4", "#375623"),
}


@dataclass
class RegisterSheet:
    """What goes into one register sheet: invoice rows, staff's own rows and staff's own columns."""

    register: Register
    rows: list[SheetRow] = field(default_factory=list)
    loose_rows: list[dict[str, CellValue]] = field(default_factory=list)
    extra_headers: list[str] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [column.header for column in INVOICE_COLUMNS] + [
            h for h in self.extra_headers if h not in KNOWN_HEADERS
        ]


@dataclass(frozen=True)
class WorkbookHeader:
    client_nip: str
    client_name: str
    year: int
    generated_at: datetime
    # What the workbook was built from (see ``invoice_fingerprint``); None for a one-off write.
    fingerprint: str | None = None


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        add = workbook.add_format
        self.text = add({"num_format": "@"})
        # Centred: a right-aligned date would touch the left-aligned invoice number beside it.
        self.date = add({"num_format": DATE_FORMAT, "align": "center"})
        self.code = add({"num_format": "@", "align": "center"})
        self.datetime = add({"num_format": DATETIME_FORMAT})
        self.money = add({"num_format": MONEY_FORMAT})
        self.pln = add({"num_format": PLN_FORMAT})
        self.link = add({"font_color": "#0563C1", "underline": 1})
        self.flag = add({"align": "center"})
        self.title = add({"bold": True, "font_size": 14})
        self.subtitle = add({"bold": True, "font_size": 12})
        self.note = add({"italic": True, "font_color": "#595959"})
        self.head = add(
            {"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF", "border": 1, "text_wrap": True}
        )
        self.table_head = add({"bold": True, "text_wrap": True, "valign": "top"})
        self.cell = add({"border": 1, "border_color": "#BFBFBF"})
        self.cell_int = add({"border": 1, "border_color": "#BFBFBF", "num_format": "0"})
        self.cell_pln = add({"border": 1, "border_color": "#BFBFBF", "num_format": SUMMARY_PLN_FORMAT})
        self.total = add({"bold": True, "top": 2, "bottom": 1, "bg_color": "#F2F2F2"})
        self.total_int = add({"bold": True, "top": 2, "bottom": 1, "bg_color": "#F2F2F2", "num_format": "0"})
        self.total_pln = add(
            {"bold": True, "top": 2, "bottom": 1, "bg_color": "#F2F2F2", "num_format": SUMMARY_PLN_FORMAT}
        )
        self.status = {
            status: add({"bg_color": bg, "font_color": fg}) for status, (bg, fg) in STATUS_COLOURS.items()
        }

    def for_kind(self, column: Column) -> Format | None:
        return {
            "text": self.text,
            "status": self.text,
            "date": self.date,
            "datetime": self.datetime,
            "money": self.money,
            "money_pln": self.pln,
            "flag": self.flag,
            "link": None,
            "number": None,
        }[column.kind]


def write_invoice_workbook(
    target: Path,
    header: WorkbookHeader,
    sheets: Sequence[RegisterSheet],
    summaries: Sequence[RegisterSummary] | None = None,
    own_sheets: Sequence[OwnSheet] = (),
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write the whole workbook to ``target`` atomically (``FileLockedError`` if Excel holds it).

    ``own_sheets`` are sheets a person added to the workbook; their values come back after the
    summary (formats are not carried). ``before_replace`` runs after the new file is complete and
    before it replaces the old one; an exception from it leaves the old file in place.
    """
    if summaries is None:
        summaries = [summarize(sheet.register, sheet.rows, header.year) for sheet in sheets]
    with atomic_path(target) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                # Belt and braces: nothing written through ``write()`` is ever turned into a formula,
                # number or URL; all third-party text goes through ``write_string`` anyway.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "remove_timezone": True,
            },
        )
        workbook.set_properties(
            {
                "title": f"Faktury {header.year} — {clean_text(header.client_name)}",
                "subject": f"NIP {header.client_nip}",
                "author": "ksef-sheets",
                # Written as both created and modified, and a moment in the past: any later save
                # (Excel, LibreOffice, openpyxl), even within the same second, moves "modified" past
                # it, which is how ``invoice_fingerprint.is_unchanged`` sees that a person saved.
                "created": datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=2),
                "comments": "Skoroszyt tworzony z archiwum KSeF; kolumny Status, Komentarz, "
                "Data księgowania i Osoba oraz własne kolumny i wiersze są zachowywane.",
            }
        )
        if header.fingerprint:
            workbook.set_custom_property(FINGERPRINT_PROPERTY, header.fingerprint)
        formats = _Formats(workbook)
        for sheet in sheets:
            _write_register(workbook, formats, target.parent, header, sheet)
        _write_summary(workbook, formats, header, summaries)
        for own in own_sheets:
            ws = workbook.add_worksheet(own.name)
            for r, c, value in own.cells:
                _write_value(ws, formats, r, c, value)
            if own.name == JPK_SHEET:  # written by jpk check: its filter, formats and dropdown back
                restyle_jpk_sheet(workbook, ws, max((r for r, _, _ in own.cells), default=0))
        _write_snapshot(workbook, sheets)
        workbook.close()
        if before_replace is not None:
            before_replace()


def _write_register(
    workbook: xlsxwriter.Workbook,
    formats: _Formats,
    folder: Path,
    header: WorkbookHeader,
    sheet: RegisterSheet,
) -> None:
    ws = workbook.add_worksheet(sheet.register.value)
    headers = sheet.headers
    index = {name: i for i, name in enumerate(headers)}
    for i, column in enumerate(INVOICE_COLUMNS):
        ws.set_column(i, i, _column_width(column, sheet.rows), formats.for_kind(column))
    for i in range(len(INVOICE_COLUMNS), len(headers)):
        ws.set_column(i, i, max(10.0, min(40.0, len(headers[i]) + 4.0)))

    links = 0
    row_number = 0
    for row_number, row in enumerate(sheet.rows, start=1):
        assert row.invoice is not None
        links += _write_invoice(ws, formats, folder, row_number, index, row, links < MAX_LINKS_PER_SHEET)
        for name, value in row.extra.items():
            if name in index and name not in KNOWN_HEADERS:
                _write_value(ws, formats, row_number, index[name], value)
    for values in sheet.loose_rows:
        row_number += 1
        for name, value in values.items():
            if name in index:
                _write_value(ws, formats, row_number, index[name], value)
    last_row = max(row_number, 1)
    last_col = len(headers) - 1
    refused = ws.add_table(
        0,
        0,
        last_row,
        last_col,
        {
            "name": sheet.register.table_name,
            "style": "Table Style Medium 2",
            "columns": [{"header": clean_text(h), "header_format": formats.table_head} for h in headers],
        },
    )
    # XlsxWriter only warns (and writes no table) on bad headers; headers are made unique on reading,
    # so this is a bug, not something the office could fix.
    assert not refused, f"add_table refused the headers of {sheet.register.value}: {refused}"
    status_col = index[H_STATUS]
    ws.data_validation(
        1,
        status_col,
        last_row,
        status_col,
        {
            "validate": "list",
            "source": list(STATUSES),
            "input_title": "Status faktury",
            "input_message": "Wybierz z listy. Zmiana trafi do archiwum przy najbliższym pobraniu.",
            "error_title": "Nieznany status",
            "error_message": "Wybierz status z listy: " + ", ".join(STATUSES) + ".",
        },
    )
    booked_col = index[H_BOOKED]
    ws.data_validation(
        1,
        booked_col,
        last_row,
        booked_col,
        {
            "validate": "date",
            "criteria": "between",
            "minimum": date(2000, 1, 1),
            "maximum": date(2099, 12, 31),
            "error_title": "To nie jest data",
            "error_message": "Wpisz datę księgowania, np. 15.05.2026.",
        },
    )
    for status, fmt in formats.status.items():
        ws.conditional_format(
            1,
            status_col,
            last_row,
            status_col,
            {"type": "cell", "criteria": "==", "value": f'"{status}"', "format": fmt},
        )
    ws.set_row(0, 30)
    ws.freeze_panes(1, 2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    # The columns a person checks, one page wide, the header row on every page; the rest of the
    # columns stay on screen. A register with no rows prints nothing: its print area is the one
    # empty table row (Excel skips an empty print area, LibreOffice suppresses empty pages).
    printed = min(PRINTED_COLUMNS, len(headers)) - 1
    if row_number:
        ws.print_area(0, 0, last_row, printed)
        ws.repeat_rows(0)
    else:
        ws.print_area(1, 0, 1, printed)
    ws.fit_to_pages(1, 0)
    title = _header_footer_text(
        f"{sheet.register.value} {header.year} — {header.client_name} (NIP {header.client_nip})"
    )
    # The date as text: "&D" would print in the machine's locale ("12/05/2026").
    ws.set_header(f"&L&B{title}&R{format_date(header.generated_at)}")
    ws.set_footer("&CStrona &P z &N")


def _column_width(column: Column, rows: Sequence[SheetRow]) -> float:
    """The column's usual width, widened for amounts that would not fit (``###`` on paper)."""
    if column.kind not in ("money", "money_pln"):
        return column.width
    suffix = " zł" if column.kind == "money_pln" else ""
    values = (_AMOUNT_OF[column.header](row.invoice) for row in rows if row.invoice is not None)
    return max(column.width, amount_width(values, suffix=suffix))


def _write_invoice(
    ws: Worksheet,
    formats: _Formats,
    folder: Path,
    r: int,
    index: dict[str, int],
    row: SheetRow,
    links_allowed: bool,
) -> int:
    invoice = row.invoice
    assert invoice is not None
    text = formats.text
    _string(ws, r, index[H_KSEF], invoice.ksef_number, text)
    _string(ws, r, index[H_NUMBER], invoice.invoice_number, text)
    _date(ws, r, index[H_ISSUED], invoice.issue_date, formats.date)
    if invoice.accepted_at is not None:
        ws.write_datetime(r, index[H_ACCEPTED], invoice.accepted_at.replace(tzinfo=None), formats.datetime)
    _string(ws, r, index[H_CP_NIP], invoice.counterparty_nip, text)
    _string(ws, r, index[H_CP_NAME], invoice.counterparty_name, text)
    _string(ws, r, index[H_ITEMS], invoice.items, text)
    for rate in RATES:
        _money(ws, r, index[net_header(rate)], invoice.net_by_rate.get(rate.key), formats.money)
        if rate.has_vat:
            _money(ws, r, index[vat_header(rate)], invoice.vat_by_rate.get(rate.key), formats.money)
    _money(ws, r, index[H_NET], invoice.net_total, formats.money)
    _money(ws, r, index[H_VAT], invoice.vat_total, formats.money)
    _money(ws, r, index[H_GROSS], invoice.gross_total, formats.money)
    _string(ws, r, index[H_CURRENCY], invoice.currency, formats.code)
    _money(ws, r, index[H_NET_PLN], invoice.net_pln, formats.pln)
    _money(ws, r, index[H_VAT_PLN], invoice.vat_pln, formats.pln)
    _money(ws, r, index[H_GROSS_PLN], invoice.gross_pln, formats.pln)
    _date(ws, r, index[H_DUE], invoice.due_date, formats.date)
    _string(ws, r, index[H_ACCOUNT], invoice.bank_account, text)
    if invoice.split_payment:
        ws.write_string(r, index[H_SPLIT], YES, formats.flag)
    _string(ws, r, index[H_TYPE], invoice.invoice_type, text)
    _string(ws, r, index[H_CORRECTED], invoice.corrected_invoice, text)
    if invoice.offline:
        ws.write_string(r, index[H_OFFLINE], YES, formats.flag)
    used_link = 0
    if invoice.xml_path is not None:
        try:
            relative = os.path.relpath(invoice.xml_path, folder)
        except ValueError:  # Windows: the archive on another drive than the workbook
            relative = str(invoice.xml_path)
        if links_allowed:
            ws.write_url(
                r,
                index[H_XML],
                "external:" + relative,
                formats.link,
                string="XML",
                tip=clean_text(relative)[:255],
            )
            used_link = 1
        else:
            _string(ws, r, index[H_XML], relative, text)
    _string(ws, r, index[H_CLIENT_DECISION], invoice.client_decision, text)
    _string(ws, r, index[H_CLIENT_REMARK], invoice.client_remark, text)
    _write_staff(ws, formats, r, index, row.staff)
    return used_link


def _rate_getter(rate_key: str, vat: bool) -> Callable[[InvoiceRow], Decimal | None]:
    if vat:
        return lambda invoice: invoice.vat_by_rate.get(rate_key)
    return lambda invoice: invoice.net_by_rate.get(rate_key)


# The amount each money column shows, for sizing the column to its longest value.
_AMOUNT_OF: dict[str, Callable[[InvoiceRow], Decimal | None]] = {
    H_NET: lambda invoice: invoice.net_total,
    H_VAT: lambda invoice: invoice.vat_total,
    H_GROSS: lambda invoice: invoice.gross_total,
    H_NET_PLN: lambda invoice: invoice.net_pln,
    H_VAT_PLN: lambda invoice: invoice.vat_pln,
    H_GROSS_PLN: lambda invoice: invoice.gross_pln,
    **{net_header(rate): _rate_getter(rate.key, vat=False) for rate in RATES},
    **{vat_header(rate): _rate_getter(rate.key, vat=True) for rate in RATES if rate.has_vat},
}


def _write_staff(ws: Worksheet, formats: _Formats, r: int, index: dict[str, int], staff: StaffFields) -> None:
    _string(ws, r, index[H_STATUS], staff.status, formats.text)
    _string(ws, r, index[H_COMMENT], staff.comment, formats.text)
    _date(ws, r, index[H_BOOKED], staff.booked_on, formats.date)
    _string(ws, r, index[H_PERSON], staff.person, formats.text)


def _string(ws: Worksheet, r: int, c: int, value: str | None, fmt: Format | None) -> None:
    if value is None or value == "":
        return
    text = clean_text(value)[:MAX_CELL_TEXT]
    if text:
        ws.write_string(r, c, text, fmt)


def _date(ws: Worksheet, r: int, c: int, value: date | None, fmt: Format) -> None:
    if value is not None:
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)


def _money(ws: Worksheet, r: int, c: int, value: Decimal | None, fmt: Format) -> None:
    if value is not None:
        ws.write_number(r, c, float(value), fmt)


def _write_value(ws: Worksheet, formats: _Formats, r: int, c: int, value: CellValue) -> None:
    """A value a person typed into a column or row of their own, written back as it was read."""
    if value is None:
        return
    if isinstance(value, Formula):
        # Typed by staff in their own column, so theirs to keep; third-party text never gets here.
        ws.write_formula(r, c, _moved_formula(value, r + 1))
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    elif isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        ws.write_datetime(r, c, value, formats.date if midnight else formats.datetime)
    elif isinstance(value, date):
        _date(ws, r, c, value, formats.date)
    else:
        _string(ws, r, c, str(value), formats.text)


def _moved_formula(formula: Formula, row: int) -> str:
    """The formula with its relative row references shifted to the row it is written to now.

    Meant for references within its own row (``=F5*2``); a formula that points at another sheet is
    kept as typed, since moving rows here does not move cells there. Structured references
    (``=[@Brutto]*2``) need no shifting at all.
    """
    if formula.row is None or formula.row == row or "!" in formula.text:
        return formula.text
    try:
        return str(Translator(formula.text, origin=f"A{formula.row}").translate_formula(f"A{row}"))
    except (TokenizerError, ValueError):  # a formula openpyxl cannot read is kept as typed
        return formula.text


def _header_footer_text(text: str) -> str:
    # "&" starts a control code in Excel headers; the whole header is limited to 255 characters.
    return clean_text(text).replace("&", "&&")[:200]


def _write_summary(
    workbook: xlsxwriter.Workbook,
    formats: _Formats,
    header: WorkbookHeader,
    summaries: Sequence[RegisterSummary],
) -> None:
    """Per register: a block of PLN amounts per rate and month, then a block of counts per status.

    Rates nobody used this year are left out (23% always shows), so a typical client's summary fits
    one landscape page; the blocks are read by their headers, not by cell address.
    """
    ws = workbook.add_worksheet(SUMMARY_SHEET)
    rates = [
        rate
        for rate in RATES
        if rate.key == "23"
        or any(s.total.net_by_rate.get(rate.key) or s.total.vat_by_rate.get(rate.key) for s in summaries)
    ]
    amount_headers = ["Miesiąc", "Liczba faktur"]
    for rate in rates:
        amount_headers.append(f"Netto {rate.label}")
        if rate.has_vat:
            amount_headers.append(f"VAT {rate.label}")
    amount_headers += ["Netto razem", "VAT razem", "Brutto razem"]
    status_headers = ["Miesiąc", *STATUSES, "Razem"]
    used = [summary for summary in summaries if summary.total.count]
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 9)
    # Each amount column as wide as its longest total ("1 113 233,67 zł" in bold), never "###".
    for c in range(2, max(len(amount_headers), len(status_headers))):
        amounts = [
            values[c - 2]
            for summary in used
            for month in [*summary.months, summary.total]
            for values in [_summary_amounts(month, rates)]
            if c - 2 < len(values)
        ]
        ws.set_column(c, c, max(13.0, amount_width(amounts, suffix=" zł", bold=True)))
    _string(
        ws,
        0,
        0,
        f"Podsumowanie faktur {header.year} — {header.client_name} (NIP {header.client_nip})",
        formats.title,
    )
    _string(
        ws,
        1,
        0,
        f"Stan na {format_datetime(header.generated_at)}. Kwoty w PLN (waluty obce według kursów z faktur), "
        "miesiąc według daty wystawienia. Przeliczane przy każdym odświeżeniu skoroszytu (ksef-sheets fetch).",
        formats.note,
    )
    r = 3
    for summary in summaries:
        if not summary.total.count:
            # No blocks of zeros for a register without invoices: one line says so.
            _string(ws, r, 0, f"{summary.register.value}: brak faktur w {header.year} r.", formats.subtitle)
            r += 2
            continue
        _string(ws, r, 0, f"{summary.register.value} — kwoty", formats.subtitle)
        r = _block_header(ws, r + 1, amount_headers, formats)
        for month in [*summary.months, summary.total]:
            total = month.month is None
            ws.write_string(r, 0, _month_label(month, header.year), formats.total if total else formats.cell)
            ws.write_number(r, 1, month.count, formats.total_int if total else formats.cell_int)
            for c, amount in enumerate(_summary_amounts(month, rates), start=2):
                ws.write_number(r, c, float(amount), formats.total_pln if total else formats.cell_pln)
            r += 1
        if summary.total.missing_pln:
            _string(
                ws,
                r,
                0,
                f"Uwaga: {summary.total.missing_pln} faktur w walucie obcej nie ma kwot w PLN "
                "(brak kursu w pliku XML) i nie są ujęte w sumach PLN.",
                formats.note,
            )
            r += 1
        r += 1
        _string(ws, r, 0, f"{summary.register.value} — statusy (liczba faktur)", formats.subtitle)
        r = _block_header(ws, r + 1, status_headers, formats)
        for month in [*summary.months, summary.total]:
            total = month.month is None
            ws.write_string(r, 0, _month_label(month, header.year), formats.total if total else formats.cell)
            counts = [month.by_status.get(status, 0) for status in STATUSES]
            for c, count in enumerate([*counts, month.count], start=1):
                ws.write_number(r, c, count, formats.total_int if total else formats.cell_int)
            r += 1
        r += 1
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.set_header(
        "&L&B"
        + _header_footer_text(f"Podsumowanie {header.year} — {header.client_name}")
        + f"&R{format_date(header.generated_at)}"
    )
    ws.set_footer("&CStrona &P z &N")


def _summary_amounts(month: MonthTotals, rates: Sequence[Rate]) -> list[Decimal]:
    """One row of the amounts block, in the order of its headers."""
    values: list[Decimal] = []
    for rate in rates:
        values.append(month.net_by_rate.get(rate.key, ZERO))
        if rate.has_vat:
            values.append(month.vat_by_rate.get(rate.key, ZERO))
    return [*values, month.net, month.vat, month.gross]


def _block_header(ws: Worksheet, r: int, headers: Sequence[str], formats: _Formats) -> int:
    for c, name in enumerate(headers):
        ws.write_string(r, c, name, formats.head)
    ws.set_row(r, 30)
    return r + 1


def _month_label(totals: MonthTotals, year: int) -> str:
    return "Razem" if totals.month is None else f"{MONTHS_PL[totals.month - 1]} {year}"


def _write_snapshot(workbook: xlsxwriter.Workbook, sheets: Sequence[RegisterSheet]) -> None:
    ws = workbook.add_worksheet(SNAPSHOT_SHEET)
    for c, name in enumerate(SNAPSHOT_HEADERS):
        ws.write_string(0, c, name)
    r = 0
    for sheet in sheets:
        for row in sheet.rows:
            invoice: InvoiceRow | None = row.invoice
            if invoice is None:
                continue
            r += 1
            ws.write_string(r, 0, sheet.register.value)
            ws.write_string(r, 1, clean_text(invoice.ksef_number))
            _snapshot_staff(ws, r, row.staff)
    ws.very_hidden()


def _snapshot_staff(ws: Worksheet, r: int, staff: StaffFields) -> None:
    values: list[Any] = [
        staff.status,
        staff.comment,
        staff.booked_on.isoformat() if staff.booked_on else "",
        staff.person,
    ]
    for c, value in enumerate(values, start=2):
        if value:
            ws.write_string(r, c, clean_text(str(value))[:MAX_CELL_TEXT])
