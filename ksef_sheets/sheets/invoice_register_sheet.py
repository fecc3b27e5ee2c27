"""The register sheets (**Zakupy**, **Sprzedaż**) of a client's invoice workbook, written row by row.

One Excel Table per register (one row per invoice, then the rows staff added, then staff's own
columns), the Status dropdown and the booking-date check, status colours, links to the XML files
and the print setup. The sheet is written in XlsxWriter's constant_memory mode, top to bottom.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.sharedstrings import SharedStringTable
from xlsxwriter.utility import xl_range
from xlsxwriter.worksheet import Worksheet

from ksef_sheets.sheets.invoice_cells import (
    MAX_CELL_TEXT,
    Formats,
    date_serial,
    datetime_serial,
    header_footer_text,
    write_value,
)
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
    STATUSES,
    YES,
    net_header,
    vat_header,
)
from ksef_sheets.sheets.invoice_rows import RegisterSheet, SheetRow, WorkbookHeader
from ksef_sheets.sheets.printing import amount_width
from ksef_sheets.sheets.safe_text import clean_text
from ksef_sheets.text import format_date

# Excel refuses more hyperlinks per sheet than this; past it the XML path is written as text.
MAX_LINKS_PER_SHEET = 65_000


def write_register(
    workbook: xlsxwriter.Workbook,
    formats: Formats,
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

    _write_rows(ws, formats, folder, sheet, index)
    _add_checks(ws, formats, index[H_STATUS], index[H_BOOKED], last_row)
    _print_setup(ws, header, sheet, row_count, last_row)


def _write_rows(
    ws: Worksheet, formats: Formats, folder: Path, sheet: RegisterSheet, index: dict[str, int]
) -> None:
    """The invoice rows (with the values of staff's own columns), then the rows staff added."""
    write = _InvoiceWriter(ws, formats, folder)
    own_columns = {name: i for name, i in index.items() if name not in KNOWN_HEADERS}
    row_number = 0
    for row_number, row in enumerate(sheet.rows, start=1):
        write.invoice(row_number, row)
        for name, value in row.extra.items():
            if name in own_columns:
                write_value(ws, formats, row_number, own_columns[name], value)
    for values in sheet.loose_rows:
        row_number += 1
        for name, value in values.items():
            if name in index:
                write_value(ws, formats, row_number, index[name], value)


def _add_checks(ws: Worksheet, formats: Formats, status_col: int, booked_col: int, last_row: int) -> None:
    """The Status dropdown, the booking-date check and the status colours."""
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


def _print_setup(
    ws: Worksheet, header: WorkbookHeader, sheet: RegisterSheet, row_count: int, last_row: int
) -> None:
    headers = sheet.headers
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
    title = header_footer_text(
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


class _InvoiceWriter:
    """Writes invoice rows: the columns' positions, formats and XlsxWriter's cell writers looked up once.

    Calls XlsxWriter's undecorated ``_write_string``/``_write_number`` (the public ``write_*`` only
    add A1-notation parsing) and turns dates into Excel serial numbers itself (what
    ``write_datetime`` stores, without its time zone handling per cell): a year of invoices is
    ~600,000 cells, and per-cell overhead is most of the time.
    """

    def __init__(self, ws: Worksheet, formats: Formats, folder: Path) -> None:
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
            number(r, C_ISSUED, date_serial(invoice.issue_date), date_format)
        if invoice.accepted_at is not None:
            number(r, C_ACCEPTED, datetime_serial(invoice.accepted_at.replace(tzinfo=None)), formats.datetime)
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
            number(r, C_DUE, date_serial(invoice.due_date), date_format)
        put(C_ACCOUNT, invoice.bank_account)
        if invoice.split_payment:
            string(r, C_SPLIT, YES, formats.flag)
        put(C_TYPE, invoice.invoice_type)
        put(C_CORRECTED, invoice.corrected_invoice)
        if invoice.offline:
            string(r, C_OFFLINE, YES, formats.flag)
        if invoice.xml_path is not None:
            self._xml_link(r, invoice.xml_path)
        put(C_CLIENT_DECISION, invoice.client_decision)
        put(C_CLIENT_REMARK, invoice.client_remark)
        staff = row.staff
        put(C_STATUS, staff.status)
        put(C_COMMENT, staff.comment)
        if staff.booked_on is not None:
            number(r, C_BOOKED, date_serial(staff.booked_on), date_format)
        put(C_PERSON, staff.person)

    def _xml_link(self, r: int, xml_path: Path) -> None:
        try:
            relative = os.path.relpath(xml_path, self.folder)
        except ValueError:  # Windows: the archive on another drive than the workbook
            relative = str(xml_path)
        if self.links < MAX_LINKS_PER_SHEET:
            self.ws.write_url(
                r,
                C_XML,
                "external:" + relative,
                self.formats.link,
                string="XML",
                tip=clean_text(relative)[:255],
            )
            self.links += 1
        else:
            cleaned = clean_text(relative)[:MAX_CELL_TEXT]
            if cleaned:
                self.ws._write_string(r, C_XML, cleaned, self.formats.text)


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
