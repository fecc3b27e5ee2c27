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
from xlsxwriter.sharedstrings import SharedStringTable
from xlsxwriter.utility import xl_range
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
from ksef_sheets.sheets.invoice_rows import CellValue, Formula, InvoiceRow, SheetRow
from ksef_sheets.sheets.invoice_summary import MONTHS_PL, ZERO, MonthTotals, RegisterSummary, summarize
from ksef_sheets.sheets.invoice_written import remember_written
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
                # Rows go to a temporary file as they are written instead of being kept in memory
                # (a year of invoices: ~290 MB otherwise); every sheet is written top to bottom.
                "constant_memory": True,
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
            # Before its cells: rows are written in order (constant_memory), a row format comes first.
            if own.name == JPK_SHEET:  # written by jpk check: its filter, formats and dropdown back
                restyle_jpk_sheet(workbook, ws, max((r for r, _, _ in own.cells), default=0))
            for r, c, value in own.cells:
                _write_value(ws, formats, r, c, value)
        _write_snapshot(workbook, sheets)
        workbook.close()
        if before_replace is not None:
            before_replace()
    carried = bool(own_sheets) or any(
        sheet.loose_rows or set(sheet.headers) - KNOWN_HEADERS or any(row.extra for row in sheet.rows)
        for sheet in sheets
    )
    remember_written(target, [(sheet.register, sheet.rows) for sheet in sheets], carried_own_work=carried)


def _write_register(
    workbook: xlsxwriter.Workbook,
    formats: _Formats,
    folder: Path,
    header: WorkbookHeader,
    sheet: RegisterSheet,
) -> None:
    # Written row by row (constant_memory): everything about a row is set before the next row starts.
    ws = workbook.add_worksheet(sheet.register.value)
    headers = sheet.headers
    index = {name: i for i, name in enumerate(headers)}
    for i, (column, width) in enumerate(zip(INVOICE_COLUMNS, _column_widths(sheet.rows), strict=True)):
        ws.set_column(i, i, width, formats.for_kind(column))
    for i in range(len(INVOICE_COLUMNS), len(headers)):
        ws.set_column(i, i, max(10.0, min(40.0, len(headers[i]) + 4.0)))
    ws.set_row(0, 30)
    row_count = len(sheet.rows) + len(sheet.loose_rows)
    last_row = max(row_count, 1)
    last_col = len(headers) - 1
    refused = _add_streamed_table(
        ws,
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

    write = _InvoiceWriter(ws, formats, folder)
    own_columns = {name: i for name, i in index.items() if name not in KNOWN_HEADERS}
    row_number = 0
    for row_number, row in enumerate(sheet.rows, start=1):
        write.invoice(row_number, row)
        for name, value in row.extra.items():
            if name in own_columns:
                _write_value(ws, formats, row_number, own_columns[name], value)
    for values in sheet.loose_rows:
        row_number += 1
        for name, value in values.items():
            if name in index:
                _write_value(ws, formats, row_number, index[name], value)

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
    ws.freeze_panes(1, 2)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    # The columns a person checks, one page wide, the header row on every page; the rest of the
    # columns stay on screen. A register with no rows prints nothing: its print area is the one
    # empty table row (Excel skips an empty print area, LibreOffice suppresses empty pages).
    printed = min(PRINTED_COLUMNS, len(headers)) - 1
    if row_count:
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


def _add_streamed_table(ws: Worksheet, last_row: int, last_col: int, options: dict[str, Any]) -> int:
    """An Excel table over rows 0..``last_row`` of a constant_memory sheet, before any row is written.

    XlsxWriter refuses tables in constant_memory mode because ``add_table`` writes the header cells
    itself (as shared strings) and marks every cell of the range for its overlap check (a dict entry
    per cell: ~800,000 for a year of invoices, most of the old 290 MB). So the table is declared over
    its header and one row with the mode briefly off and a throw-away string table, then given its
    real range, and its header row is written again as in-line strings. The table's XML part is
    written from ``ws.tables`` at close, the same as for any other table.
    """
    strings = ws.str_table
    ws.str_table = SharedStringTable()
    ws.constant_memory = False
    try:
        refused = ws.add_table(0, 0, 1, last_col, options)
    finally:
        ws.constant_memory = True
        ws.str_table = strings
    if refused:
        return int(refused)
    table = ws.tables[-1]
    table["range"] = table["a_range"] = xl_range(0, 0, last_row, last_col)
    if table.get("autofilter"):
        table["autofilter"] = table["a_range"]
    for c, column in enumerate(table["columns"]):
        ws.write_string(0, c, column["name"], column["name_format"])
    return 0


def _column_widths(rows: Sequence[SheetRow]) -> list[float]:
    """Each column's usual width, money columns widened for amounts that would not fit (``###``).

    The longest amount as printed is the largest or the most negative one (the length of
    ``1 234,50`` grows with the magnitude), so only those two per column are formatted.
    """
    low: dict[int, Decimal] = {}
    high: dict[int, Decimal] = {}

    def see(c: int, value: Decimal | None) -> None:
        if value is None:
            return
        if c not in low or value < low[c]:
            low[c] = value
        if c not in high or value > high[c]:
            high[c] = value

    for row in rows:
        invoice = row.invoice
        if invoice is None:
            continue
        for c, value in (
            (C_NET, invoice.net_total),
            (C_VAT, invoice.vat_total),
            (C_GROSS, invoice.gross_total),
            (C_NET_PLN, invoice.net_pln),
            (C_VAT_PLN, invoice.vat_pln),
            (C_GROSS_PLN, invoice.gross_pln),
        ):
            see(c, value)
        for key, value in invoice.net_by_rate.items():
            if key in _NET_COLUMN:
                see(_NET_COLUMN[key], value)
        for key, value in invoice.vat_by_rate.items():
            if key in _VAT_COLUMN:
                see(_VAT_COLUMN[key], value)
    widths = []
    for c, column in enumerate(INVOICE_COLUMNS):
        if column.kind in ("money", "money_pln") and c in low:
            suffix = " zł" if column.kind == "money_pln" else ""
            widths.append(max(column.width, amount_width((low[c], high[c]), suffix=suffix)))
        else:
            widths.append(column.width)
    return widths


# The position of each of the toolkit's columns; staff-added columns follow them.
_COLUMN = {column.header: i for i, column in enumerate(INVOICE_COLUMNS)}
_RATE_COLUMNS = tuple(
    (rate.key, _COLUMN[net_header(rate)], _COLUMN[vat_header(rate)] if rate.has_vat else None)
    for rate in RATES
)
_NET_COLUMN = {key: net_col for key, net_col, _ in _RATE_COLUMNS}
_VAT_COLUMN = {key: vat_col for key, _, vat_col in _RATE_COLUMNS if vat_col is not None}
# Excel's day 0 (1899-12-30 with Excel's 1900 leap-year bug folded in) for dates after February 1900.
_EXCEL_DAY0 = date(1899, 12, 30).toordinal()
_EXCEL_EPOCH = datetime(1899, 12, 31)


class _InvoiceWriter:
    """Writes invoice rows: the columns' positions, formats and XlsxWriter's cell writers looked up once.

    Calls XlsxWriter's undecorated ``_write_string``/``_write_number`` (the public ``write_*`` only
    add A1-notation parsing) and turns dates into Excel serial numbers itself (what
    ``write_datetime`` stores, without its time zone handling per cell): a year of invoices is
    ~600,000 cells, and per-cell overhead is most of the time.
    """

    def __init__(self, ws: Worksheet, formats: _Formats, folder: Path) -> None:
        self.ws = ws
        self.formats = formats
        self.folder = folder
        self.links = 0

    def invoice(self, r: int, row: SheetRow) -> None:
        invoice = row.invoice
        assert invoice is not None
        ws = self.ws
        formats = self.formats
        string = ws._write_string
        number = ws._write_number
        text = formats.text
        money = formats.money
        pln = formats.pln
        date_format = formats.date

        def put(c: int, value: str | None, fmt: Format = text) -> None:
            if value:
                cleaned = clean_text(value)[:MAX_CELL_TEXT]
                if cleaned:
                    string(r, c, cleaned, fmt)

        put(C_KSEF, invoice.ksef_number)
        put(C_NUMBER, invoice.invoice_number)
        if invoice.issue_date is not None:
            number(r, C_ISSUED, _date_serial(invoice.issue_date), date_format)
        if invoice.accepted_at is not None:
            number(
                r, C_ACCEPTED, _datetime_serial(invoice.accepted_at.replace(tzinfo=None)), formats.datetime
            )
        put(C_CP_NIP, invoice.counterparty_nip)
        put(C_CP_NAME, invoice.counterparty_name)
        put(C_ITEMS, invoice.items)
        net_by_rate = invoice.net_by_rate
        vat_by_rate = invoice.vat_by_rate
        for key, net_col, vat_col in _RATE_COLUMNS:
            net = net_by_rate.get(key)
            if net is not None:
                number(r, net_col, float(net), money)
            if vat_col is not None:
                vat = vat_by_rate.get(key)
                if vat is not None:
                    number(r, vat_col, float(vat), money)
        for c, amount, fmt in (
            (C_NET, invoice.net_total, money),
            (C_VAT, invoice.vat_total, money),
            (C_GROSS, invoice.gross_total, money),
            (C_NET_PLN, invoice.net_pln, pln),
            (C_VAT_PLN, invoice.vat_pln, pln),
            (C_GROSS_PLN, invoice.gross_pln, pln),
        ):
            if amount is not None:
                number(r, c, float(amount), fmt)
        put(C_CURRENCY, invoice.currency, formats.code)
        if invoice.due_date is not None:
            number(r, C_DUE, _date_serial(invoice.due_date), date_format)
        put(C_ACCOUNT, invoice.bank_account)
        if invoice.split_payment:
            string(r, C_SPLIT, YES, formats.flag)
        put(C_TYPE, invoice.invoice_type)
        put(C_CORRECTED, invoice.corrected_invoice)
        if invoice.offline:
            string(r, C_OFFLINE, YES, formats.flag)
        if invoice.xml_path is not None:
            try:
                relative = os.path.relpath(invoice.xml_path, self.folder)
            except ValueError:  # Windows: the archive on another drive than the workbook
                relative = str(invoice.xml_path)
            if self.links < MAX_LINKS_PER_SHEET:
                ws.write_url(
                    r,
                    C_XML,
                    "external:" + relative,
                    formats.link,
                    string="XML",
                    tip=clean_text(relative)[:255],
                )
                self.links += 1
            else:
                put(C_XML, relative)
        put(C_CLIENT_DECISION, invoice.client_decision)
        put(C_CLIENT_REMARK, invoice.client_remark)
        staff = row.staff
        put(C_STATUS, staff.status)
        put(C_COMMENT, staff.comment)
        if staff.booked_on is not None:
            number(r, C_BOOKED, _date_serial(staff.booked_on), date_format)
        put(C_PERSON, staff.person)


C_KSEF = _COLUMN[H_KSEF]
C_NUMBER = _COLUMN[H_NUMBER]
C_ISSUED = _COLUMN[H_ISSUED]
C_ACCEPTED = _COLUMN[H_ACCEPTED]
C_CP_NIP = _COLUMN[H_CP_NIP]
C_CP_NAME = _COLUMN[H_CP_NAME]
C_ITEMS = _COLUMN[H_ITEMS]
C_NET = _COLUMN[H_NET]
C_VAT = _COLUMN[H_VAT]
C_GROSS = _COLUMN[H_GROSS]
C_CURRENCY = _COLUMN[H_CURRENCY]
C_NET_PLN = _COLUMN[H_NET_PLN]
C_VAT_PLN = _COLUMN[H_VAT_PLN]
C_GROSS_PLN = _COLUMN[H_GROSS_PLN]
C_DUE = _COLUMN[H_DUE]
C_ACCOUNT = _COLUMN[H_ACCOUNT]
C_SPLIT = _COLUMN[H_SPLIT]
C_TYPE = _COLUMN[H_TYPE]
C_CORRECTED = _COLUMN[H_CORRECTED]
C_OFFLINE = _COLUMN[H_OFFLINE]
C_XML = _COLUMN[H_XML]
C_CLIENT_DECISION = _COLUMN[H_CLIENT_DECISION]
C_CLIENT_REMARK = _COLUMN[H_CLIENT_REMARK]
C_STATUS = _COLUMN[H_STATUS]
C_COMMENT = _COLUMN[H_COMMENT]
C_BOOKED = _COLUMN[H_BOOKED]
C_PERSON = _COLUMN[H_PERSON]


def _date_serial(value: date) -> float:
    """The Excel serial number of a day (what ``write_datetime`` stores for it)."""
    return float(value.toordinal() - _EXCEL_DAY0)


def _datetime_serial(value: datetime) -> float:
    """The Excel serial number of a naive date and time, computed as XlsxWriter does (same float)."""
    delta = value - _EXCEL_EPOCH
    return delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / (60 * 60 * 24) + 1


def _string(ws: Worksheet, r: int, c: int, value: str | None, fmt: Format | None) -> None:
    if value is None or value == "":
        return
    text = clean_text(value)[:MAX_CELL_TEXT]
    if text:
        ws.write_string(r, c, text, fmt)


def _date(ws: Worksheet, r: int, c: int, value: date | None, fmt: Format) -> None:
    if value is not None:
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)


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
    ws.set_row(r, 30)
    for c, name in enumerate(headers):
        ws.write_string(r, c, name, formats.head)
    return r + 1


def _month_label(totals: MonthTotals, year: int) -> str:
    return "Razem" if totals.month is None else f"{MONTHS_PL[totals.month - 1]} {year}"


def _write_snapshot(workbook: xlsxwriter.Workbook, sheets: Sequence[RegisterSheet]) -> None:
    ws = workbook.add_worksheet(SNAPSHOT_SHEET)
    for c, name in enumerate(SNAPSHOT_HEADERS):
        ws.write_string(0, c, name)
    string = ws._write_string  # undecorated, as in ``_InvoiceWriter``: one row per invoice
    r = 0
    for sheet in sheets:
        register = sheet.register.value
        for row in sheet.rows:
            invoice: InvoiceRow | None = row.invoice
            if invoice is None:
                continue
            r += 1
            string(r, 0, register)
            string(r, 1, clean_text(invoice.ksef_number))
            staff = row.staff
            for c, value in (
                (2, staff.status),
                (3, staff.comment),
                (4, staff.booked_on.isoformat() if staff.booked_on else ""),
                (5, staff.person),
            ):
                if value:
                    string(r, c, clean_text(value)[:MAX_CELL_TEXT])
    ws.very_hidden()
