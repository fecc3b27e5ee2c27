"""Cells of a client's invoice workbook: the formats, and the writers of one value each.

Shared by the register sheets, the summary and a person's own sheets (``invoice_workbook``): every
piece of text goes in with ``write_string`` after ``safe_text.clean_text``, dates as Excel serial
numbers, and a formula a person typed moves with its row.
"""

from __future__ import annotations

from datetime import date, datetime

import xlsxwriter
from openpyxl.formula.tokenizer import TokenizerError
from openpyxl.formula.translate import Translator
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ksef_sheets.sheets.invoice_columns import (
    STATUS_ACCEPTED,
    STATUS_BOOKED,
    STATUS_CLIENT_CHECK,
    STATUS_NEW,
    STATUS_REJECTED,
    Column,
)
from ksef_sheets.sheets.invoice_rows import CellValue, Formula
from ksef_sheets.sheets.printing import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    MONEY_FORMAT,
    PLN_FORMAT,
    SUMMARY_PLN_FORMAT,
)
from ksef_sheets.sheets.safe_text import clean_text

MAX_CELL_TEXT = 32_767

STATUS_COLOURS = {
    STATUS_NEW: ("#DDEBF7", "#1F4E78"),
    STATUS_CLIENT_CHECK: ("#FFF2CC", "#7F6000"),
    STATUS_ACCEPTED: ("#E2EFDA", "#375623"),
    STATUS_REJECTED: ("#FCE4D6", "#C00000"),
    STATUS_BOOKED: ("#C6E0B4", "#375623"),
}


class Formats:
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


# Excel's day 0 (1899-12-30 with Excel's 1900 leap-year bug folded in) for dates after February 1900.
_EXCEL_DAY0 = date(1899, 12, 30).toordinal()
_EXCEL_EPOCH = datetime(1899, 12, 31)


def date_serial(value: date) -> float:
    """The Excel serial number of a day (what ``write_datetime`` stores for it)."""
    return float(value.toordinal() - _EXCEL_DAY0)


def datetime_serial(value: datetime) -> float:
    """The Excel serial number of a naive date and time, computed as XlsxWriter does (same float)."""
    delta = value - _EXCEL_EPOCH
    return delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / (60 * 60 * 24) + 1


def write_text(ws: Worksheet, r: int, c: int, value: str | None, fmt: Format | None) -> None:
    if value is None or value == "":
        return
    text = clean_text(value)[:MAX_CELL_TEXT]
    if text:
        ws.write_string(r, c, text, fmt)


def write_date(ws: Worksheet, r: int, c: int, value: date | None, fmt: Format) -> None:
    if value is not None:
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)


def write_value(ws: Worksheet, formats: Formats, r: int, c: int, value: CellValue) -> None:
    """A value a person typed into a column or row of their own, written back as it was read."""
    if value is None:
        return
    if isinstance(value, Formula):
        # Typed by staff in their own column, so theirs to keep; third-party text never gets here.
        ws.write_formula(r, c, moved_formula(value, r + 1))
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    elif isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        ws.write_datetime(r, c, value, formats.date if midnight else formats.datetime)
    elif isinstance(value, date):
        write_date(ws, r, c, value, formats.date)
    else:
        write_text(ws, r, c, str(value), formats.text)


def moved_formula(formula: Formula, row: int) -> str:
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


def header_footer_text(text: str) -> str:
    # "&" starts a control code in Excel headers; the whole header is limited to 255 characters.
    return clean_text(text).replace("&", "&&")[:200]
