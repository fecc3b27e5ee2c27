"""Look and feel of the office workbook: sheet specs, styles, tables, validation, print setup.

Each sheet has a title block (rows 1–3) and an Excel Table whose header is on row ``HEADER_ROW``.
Validation and conditional formatting cover ``SPAN_ROWS`` rows, so rows staff add below stay covered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ksef_sheets.sheets.printing import POLISH
from ksef_sheets.sheets.safe_text import set_text
from ksef_sheets.sheets.tables import Formula, Link

HEADER_ROW = 4
FIRST_ROW = HEADER_ROW + 1
SPAN_ROWS = 5000

FMT_DATE = "dd.mm.yyyy"
FMT_DATETIME = "dd.mm.yyyy hh:mm"
# Polish separators on any machine (see sheets.printing): "1 234,50 zł", not "1,234.50 zł". The space
# goes inside the quotes: LibreOffice re-saves a bare space before "zł" as a thousands separator
# ('#,##0.00,"zł"'), which shows the amount divided by 1000.
FMT_PLN = POLISH + '#,##0.00" zł"'
# What older versions wrote, and what LibreOffice made of it when it re-saved a register.
_OLD_PLN_FORMATS = ('#,##0.00 "zł"', '#,##0.00,"zł"')
FMT_INT = "0"
FMT_PERCENT = '0" %"'
FMT_TEXT = "@"

NAVY = "1F3864"
FILL_RED = PatternFill("solid", start_color="F8CBAD", end_color="F8CBAD")
FILL_AMBER = PatternFill("solid", start_color="FFE699", end_color="FFE699")
FILL_GREEN = PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")
FILL_GREY = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
FONT_RED = Font(color="9C0006", bold=True)
FONT_GREEN = Font(color="006100")
FONT_GREY = Font(color="808080")
THIN = Side(style="thin", color="BFBFBF")


@dataclass(frozen=True)
class Col:
    header: str
    width: float = 14
    fmt: str | None = None
    choices: tuple[str, ...] = ()
    wrap: bool = False
    # Written by the toolkit on every refresh; other columns are written only when a row is created.
    computed: bool = False
    note: str = ""
    center: bool = False


@dataclass(frozen=True)
class TableSheet:
    sheet: str
    table: str
    title: str
    subtitle: str
    columns: tuple[Col, ...]
    key: tuple[str, ...]
    landscape: bool = True
    fit_width: int = 1
    freeze_cols: int = 0
    # Conditional formatting: (column header or "*" for the whole row, formula with {col:Header}
    # placeholders for absolute column letters and {row} for the first data row, fill, font).
    rules: tuple[tuple[str, str, PatternFill | None, Font | None], ...] = field(default_factory=tuple)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def computed(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.computed)


def letters(headers: Sequence[str], start_col: int = 1) -> dict[str, str]:
    return {h: get_column_letter(start_col + i) for i, h in enumerate(headers)}


def write_title(ws: Worksheet, title: str, subtitle: str, width_cols: int, office: str) -> None:
    ws["A1"].value = title
    ws["A1"].font = Font(size=15, bold=True, color=NAVY)
    set_text(ws["A2"], subtitle)
    ws["A2"].font = Font(italic=True, color="595959")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    last = get_column_letter(max(2, min(width_cols, 12)))
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[2].height = 32
    set_text(ws["A3"], office)
    ws["A3"].font = Font(size=9, color="808080")


def add_table(
    ws: Worksheet,
    name: str,
    columns: Sequence[Col],
    header_row: int,
    *,
    start_col: int = 1,
    rows: Sequence[dict[str, Any]] = (),
    style: str = "TableStyleMedium2",
    widen_only: bool = False,
) -> str:
    """Write a header and ``rows`` and wrap them in an Excel Table; returns its ref."""
    for i, col in enumerate(columns):
        cell = ws.cell(row=header_row, column=start_col + i)
        set_text(cell, col.header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", start_color=NAVY, end_color=NAVY)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = get_column_letter(start_col + i)
        current = ws.column_dimensions[letter].width
        width = max(col.width, header_width(col.header))
        if not widen_only or not current or current < width:
            ws.column_dimensions[letter].width = width
    body = list(rows) or [{}]
    for r, row in enumerate(body, start=header_row + 1):
        for i, col in enumerate(columns):
            cell = ws.cell(row=r, column=start_col + i)
            style_data_cell(cell, col)
            value = row.get(col.header)
            put_value(cell, value)
    last = header_row + len(body)
    ref = (
        f"{get_column_letter(start_col)}{header_row}:{get_column_letter(start_col + len(columns) - 1)}{last}"
    )
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True, showColumnStripes=False)
    ws.add_table(table)
    fit_rows(ws, ref, grow_only=True)
    return ref


def style_data_cell(cell: Any, col: Col) -> None:
    if col.fmt:
        cell.number_format = col.fmt
    cell.alignment = Alignment(
        wrap_text=col.wrap, vertical="top", horizontal="center" if col.center else None
    )
    cell.border = Border(bottom=THIN)


def put_value(cell: Any, value: Any) -> None:
    if isinstance(value, Formula):
        cell.value = value.text
    elif isinstance(value, Link):
        set_text(cell, value.text)
        if value.target.startswith("#"):
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=value.target[1:], display=value.text)
        else:
            cell.hyperlink = value.target
        cell.font = Font(color="0563C1", underline="single")
    elif isinstance(value, str):
        set_text(cell, value)
    else:
        cell.value = value


def add_validation(ws: Worksheet, spec: TableSheet, start_col: int = 1) -> None:
    cols = letters(spec.headers, start_col)
    for col in spec.columns:
        if not col.choices:
            continue
        dv = DataValidation(
            type="list",
            formula1='"' + ",".join(col.choices) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Wartość spoza listy",
            error=f"Wybierz z listy: {', '.join(col.choices)}.",
            promptTitle=col.header[:32],
            prompt=(col.note or f"Wybierz: {', '.join(col.choices)}")[:255],
            showInputMessage=bool(col.note),
        )
        letter = cols[col.header]
        dv.add(f"{letter}{FIRST_ROW}:{letter}{SPAN_ROWS}")
        ws.add_data_validation(dv)
    # A date column accepts only dates (Excel shows the error; LibreOffice too).
    for col in spec.columns:
        if col.fmt in (FMT_DATE,) and not col.computed:
            letter = cols[col.header]
            dv = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="36526",  # 2000-01-01
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="To nie data",
                error="Wpisz datę, np. 15.03.2026.",
            )
            dv.add(f"{letter}{FIRST_ROW}:{letter}{SPAN_ROWS}")
            ws.add_data_validation(dv)


def add_rules(ws: Worksheet, spec: TableSheet, start_col: int = 1) -> None:
    cols = letters(spec.headers, start_col)
    last_letter = get_column_letter(start_col + len(spec.columns) - 1)
    abs_cols = {f"col:{h}": f"${letter}" for h, letter in cols.items()}
    for target, formula, fill, font in spec.rules:
        text = formula
        for placeholder, letter in abs_cols.items():
            text = text.replace("{" + placeholder + "}", letter)
        text = text.replace("{row}", str(FIRST_ROW))
        if target == "*":
            rng = f"{get_column_letter(start_col)}{FIRST_ROW}:{last_letter}{SPAN_ROWS}"
        else:
            letter = cols[target]
            rng = f"{letter}{FIRST_ROW}:{letter}{SPAN_ROWS}"
        ws.conditional_formatting.add(
            rng, FormulaRule(formula=[text], fill=fill, font=font, stopIfTrue=False)
        )


def print_setup(ws: Worksheet, *, landscape: bool, fit_width: int, title_rows: str, office: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = fit_width
    ws.page_setup.fitToHeight = 0
    if title_rows:
        ws.print_title_rows = title_rows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.left.text = office.replace("&", "&&")
    ws.oddFooter.center.text = "&A"
    ws.oddFooter.right.text = "strona &P z &N"
    ws.print_options.gridLines = False


def create_table_sheet(
    wb: Workbook, spec: TableSheet, *, index: int | None, office: str, rows: Sequence[dict[str, Any]] = ()
) -> Worksheet:
    ws = wb.create_sheet(spec.sheet, index)
    write_title(ws, spec.title, spec.subtitle, len(spec.columns), office)
    add_table(ws, spec.table, spec.columns, HEADER_ROW, rows=rows)
    add_validation(ws, spec)
    add_rules(ws, spec)
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=1 + spec.freeze_cols)
    if spec.freeze_cols:
        ws.print_title_cols = f"A:{get_column_letter(spec.freeze_cols)}"
    print_setup(
        ws,
        landscape=spec.landscape,
        fit_width=spec.fit_width,
        title_rows=f"{HEADER_ROW}:{HEADER_ROW}",
        office=office,
    )
    ws.sheet_view.zoomScale = 90
    return ws


def _lines(text: str, width: float) -> int:
    # Calibri's (and LibreOffice's Carlito's) letters average a little narrower than the "0" the
    # width unit is measured in; words wrap whole, so this stays on the safe (taller) side.
    per_line = max(4, int(width * 1.1))
    total = 0
    for part in text.split("\n"):
        words = part.split()
        line, count = 0, 1
        for word in words:
            extra = len(word) + (1 if line else 0)
            if line and line + extra > per_line:
                count += 1
                line = len(word)
            else:
                line += extra
            while line > per_line:  # a word longer than the column
                count += 1
                line -= per_line
        total += count
    return max(1, total)


# Bold header text is about this much wider than the "0" a column width is measured in.
_BOLD = 1.15
# Longest a single-line column (e-mail, phone, program name) grows to fit its values.
_MAX_FIT = 45.0


def header_width(header: str) -> float:
    """The narrowest width at which a wrapped header breaks between words, never inside one
    ("zintegrowan / y")."""
    longest = max((len(word) for word in header.split()), default=0)
    return round(longest * _BOLD + 2.0, 1)


def fit_columns(ws: Worksheet, ref: str) -> None:
    """Widen columns so headers break only between words and single-line values are not clipped.

    Only grows, and single-line columns only up to ``_MAX_FIT``; wrapped columns keep their width
    (their text wraps, ``fit_rows`` gives the row the height).
    """
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    for c in range(min_col, max_col + 1):
        letter = get_column_letter(c)
        width = ws.column_dimensions[letter].width or 9.0
        header = ws.cell(row=min_row, column=c).value
        needed = header_width(str(header)) if header is not None else 0.0
        for r in range(min_row + 1, max_row + 1):
            cell = ws.cell(row=r, column=c)
            if cell.value is None or (cell.alignment and cell.alignment.wrap_text):
                continue
            if isinstance(cell.value, str) and not cell.value.startswith("="):
                needed = max(needed, min(_MAX_FIT, len(cell.value) * 1.05 + 1.5))
        if needed > width:
            ws.column_dimensions[letter].width = round(needed, 1)


def polish_number_formats(ws: Worksheet, ref: str) -> None:
    """Bring amounts written by an older version up to date, so a refreshed workbook prints
    "1 234,50 zł" on any machine and after LibreOffice saved it, like a new one: the Polish locale
    tag, and ``FMT_PLN`` for the old zloty format (``#,##0.00 "zł"``) and for what LibreOffice
    re-saved it as (``#,##0.00,"zł"``, shown divided by 1000)."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    for row in ws.iter_rows(min_row=min_row + 1, max_row=max_row, min_col=min_col, max_col=max_col):
        for cell in row:
            fmt = cell.number_format or ""
            if fmt.removeprefix(POLISH) in _OLD_PLN_FORMATS:
                cell.number_format = FMT_PLN
            elif fmt.startswith("#,##0"):
                cell.number_format = POLISH + fmt


def fit_rows(ws: Worksheet, ref: str, *, header_bold: bool = True, grow_only: bool = False) -> None:
    """Set row heights for wrapped text: neither Excel nor LibreOffice re-measures rows on load.

    Columns are widened first (``fit_columns``), so a header or an e-mail is not cut mid-word.
    """
    fit_columns(ws, ref)
    polish_number_formats(ws, ref)
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    widths = {
        c: (ws.column_dimensions[get_column_letter(c)].width or 9.0) for c in range(min_col, max_col + 1)
    }
    for r in range(min_row, max_row + 1):
        lines = 1
        for c in range(min_col, max_col + 1):
            cell = ws.cell(row=r, column=c)
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            text = str(cell.value)
            width = widths[c] / (_BOLD if r == min_row and header_bold else 1.0)
            lines = max(lines, _lines(text, width))
        height = 15.0 * lines + (3 if lines > 1 else 0)
        current = ws.row_dimensions[r].height
        if grow_only and current and current >= height:
            continue
        ws.row_dimensions[r].height = height
