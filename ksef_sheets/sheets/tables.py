"""Table I/O by name: read an Excel Table into dicts keyed by header, write rows back by header.

This is the seam between the toolkit and a workbook. ``TableIO`` is the interface; ``OpenpyxlTables``
works on a closed .xlsx file, and an xlwings adapter (a workbook open in Excel) can implement the same
Protocol later. Rules every adapter keeps, so that nothing staff did is lost:

- columns are found by header name, never by position; unknown columns and their values survive;
- rows stay in the order staff left them (sorting, inserted rows); new rows are appended at the end;
- a cell whose value did not change is not touched (a staff formula stays a formula);
- text goes in as text (``safe_text``), so invoice data can never become a formula;
- the table's range, header cells and column list stay consistent, so Excel opens the file cleanly.

``merge_rows`` is the pure part: it combines the rows already in a table with rows the toolkit
generated, by a key, overwriting only the columns the toolkit owns.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Protocol

from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from ksef_sheets.errors import UserError
from ksef_sheets.sheets.safe_text import set_text


@dataclass(frozen=True)
class Link:
    """A cell value with a hyperlink: ``target`` is a path/URL or ``#'Sheet'!A1`` inside the workbook."""

    text: str
    target: str


@dataclass(frozen=True)
class Formula:
    """A formula the toolkit writes on purpose (e.g. ``=COUNTIF(...)``); plain strings never become one."""

    text: str


@dataclass
class TableData:
    """One Excel Table: its headers (in sheet order) and its data rows, each keyed by every header."""

    name: str
    sheet: str
    headers: list[str]
    rows: list[dict[str, Any]]
    # The worksheet row of each data row (for messages such as "wiersz 7").
    row_numbers: list[int] = field(default_factory=list)


class TableIO(Protocol):
    """What the toolkit needs from a workbook; implemented over openpyxl now, xlwings later."""

    def table_names(self) -> list[str]: ...

    def read_table(self, name: str) -> TableData: ...

    def write_table(
        self, name: str, rows: Sequence[Mapping[str, Any]], *, headers: Sequence[str] = ()
    ) -> None: ...

    def get_named_value(self, name: str) -> Any: ...

    def set_named_value(self, name: str, value: Any) -> None: ...


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def row_is_empty(row: Mapping[str, Any]) -> bool:
    return all(_is_blank(v) for v in row.values())


def _key_text(value: Any) -> str:
    # 1 and 1.0 (a number re-saved by Excel/LibreOffice) are the same key.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value if value is not None else "").strip()


def _key_of(row: Mapping[str, Any], key: Sequence[str]) -> tuple[str, ...]:
    return tuple(_key_text(row.get(k)) for k in key)


def merge_rows(
    existing: Sequence[Mapping[str, Any]],
    generated: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    computed: Collection[str],
    computed_keys: Collection[tuple[str, ...]] = (),
) -> list[dict[str, Any]]:
    """Rows already in a table merged with rows the toolkit generated.

    Existing rows keep their order and every value, except the ``computed`` columns of rows whose key
    the toolkit generated again (all columns for keys in ``computed_keys``). Generated rows with a new
    key are appended (all their values). Rows staff added (keys the toolkit does not know) are kept
    untouched.
    """
    whole = {tuple(k) for k in computed_keys}
    by_key = {_key_of(g, key): g for g in generated}
    seen: set[tuple[str, ...]] = set()
    merged: list[dict[str, Any]] = []
    for row in existing:
        out = dict(row)
        k = _key_of(row, key)
        fresh = by_key.get(k)
        if fresh is not None and k not in seen:
            seen.add(k)
            for column in fresh if k in whole else computed:
                if column in fresh:
                    out[column] = fresh[column]
        merged.append(out)
    merged.extend(dict(g) for g in generated if _key_of(g, key) not in seen)
    return merged


def _cell_value(cell: Cell) -> Any:
    value = cell.value
    if isinstance(value, datetime) and value.time() == time(0) and "h" not in (cell.number_format or ""):
        return value.date()
    return value


def _same(old: Any, new: Any) -> bool:
    if _is_blank(old) and _is_blank(new):
        return True
    if isinstance(old, datetime) and isinstance(new, date) and not isinstance(new, datetime):
        return old.date() == new and old.time() == time(0)
    if type(old) is not type(new) and isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    return bool(old == new) and type(old) is type(new)


class OpenpyxlTables:
    """``TableIO`` over an openpyxl ``Workbook`` loaded with ``load_workbook`` (not read-only)."""

    def __init__(self, workbook: Workbook, *, source: str = "skoroszyt") -> None:
        self.workbook = workbook
        self.source = source

    # -- lookup -----------------------------------------------------------------------------------
    def table_names(self) -> list[str]:
        return [name for ws in self.workbook.worksheets for name in ws.tables]

    def find_table(self, name: str) -> tuple[Worksheet, Table]:
        """The worksheet and openpyxl table for a table name (case-insensitive, like Excel)."""
        for ws in self.workbook.worksheets:
            for table_name in ws.tables:
                if table_name.casefold() == name.casefold():
                    return ws, ws.tables[table_name]
        raise UserError(
            f"W pliku {self.source} nie ma tabeli „{name}”. "
            "Nie zmieniaj nazw tabel (Projekt tabeli → Nazwa tabeli) ani nie usuwaj arkuszy."
        )

    # -- reading ----------------------------------------------------------------------------------
    def read_table(self, name: str) -> TableData:
        ws, table = self.find_table(name)
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        headers = self._headers(ws, table, min_col, max_col, min_row)
        rows: list[dict[str, Any]] = []
        numbers: list[int] = []
        for r in range(min_row + 1, max_row + 1):
            values = {h: _cell_value(ws.cell(row=r, column=min_col + i)) for i, h in enumerate(headers)}
            if row_is_empty(values):
                continue
            rows.append(values)
            numbers.append(r)
        return TableData(table.displayName, ws.title, headers, rows, numbers)

    def _headers(self, ws: Worksheet, table: Table, min_col: int, max_col: int, row: int) -> list[str]:
        headers: list[str] = []
        for c in range(min_col, max_col + 1):
            value = ws.cell(row=row, column=c).value
            text = str(value).strip() if value is not None else ""
            if not text:
                text = f"Kolumna{c - min_col + 1}"
            if text in headers:
                raise UserError(
                    f"Tabela „{table.displayName}” w arkuszu „{ws.title}” ma dwie kolumny o nagłówku „{text}”. "
                    "Zmień nazwę jednej z nich."
                )
            headers.append(text)
        return headers

    # -- writing ----------------------------------------------------------------------------------
    def write_table(
        self, name: str, rows: Sequence[Mapping[str, Any]], *, headers: Sequence[str] = ()
    ) -> None:
        """Make the table's body exactly ``rows`` (in order), by header name.

        ``headers`` the table lacks are appended as new columns at its right edge. Values for headers
        not in a row dict are left empty; callers pass rows they read, so unknown columns survive.
        """
        ws, table = self.find_table(name)
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        current = self._headers(ws, table, min_col, max_col, min_row)
        missing = [h for h in headers if h not in current]
        if missing:
            self._add_columns(ws, table, missing, min_col, min_row, max_col, max_row)
            max_col += len(missing)
            current += missing
        needed_last = min_row + max(1, len(rows))
        if needed_last > max_row:
            self._check_free(ws, min_col, max_col, max_row + 1, needed_last, table.displayName)
        template_row = min_row + 1
        for index, row in enumerate(rows):
            r = min_row + 1 + index
            for offset, header in enumerate(current):
                cell = ws.cell(row=r, column=min_col + offset)
                if r > max_row:
                    self._copy_style(
                        ws.cell(row=r - 1 if r - 1 > min_row else template_row, column=cell.column), cell
                    )
                self._put(cell, row.get(header))
        # Rows beyond the new body (the table shrank) are cleared.
        for r in range(min_row + 1 + len(rows), max_row + 1):
            if r == min_row + 1:
                continue  # an Excel table keeps at least one (empty) data row
            for c in range(min_col, max_col + 1):
                cell = ws.cell(row=r, column=c)
                cell.value = None
                cell.hyperlink = None
        if not rows:
            for c in range(min_col, max_col + 1):
                ws.cell(row=min_row + 1, column=c).value = None
        new_ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{needed_last}"
        table.ref = new_ref
        if table.autoFilter is not None:
            table.autoFilter.ref = new_ref

    def _put(self, cell: Cell, value: Any) -> None:
        if isinstance(value, Link):
            target = value.target
            current = cell.hyperlink
            known = (current.location and "#" + current.location) or current.target if current else None
            if known != target or cell.value != value.text:
                set_text(cell, value.text)
                if target.startswith("#"):
                    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=target[1:], display=value.text)
                else:
                    cell.hyperlink = target
                cell.font = Font(color="0563C1", underline="single")
            return
        old = cell.value
        if isinstance(value, Formula):
            if old != value.text:
                cell.value = value.text
            return
        if _same(old, value):
            return
        if isinstance(value, str):
            set_text(cell, value)
        elif isinstance(value, datetime):
            cell.value = value.replace(tzinfo=None)
        else:
            cell.value = value

    @staticmethod
    def _copy_style(source: Cell, target: Cell) -> None:
        # Formats and layout follow the column; fills and fonts are staff's highlighting of one row.
        # Copying openpyxl's style-index array is cheap; copying style objects is not (many rows).
        if source._style is None:  # a cell openpyxl never styled: nothing to carry over
            return
        style = copy.copy(source._style)
        style.fontId = 0
        style.fillId = 0
        target._style = style

    def _check_free(
        self, ws: Worksheet, min_col: int, max_col: int, first: int, last: int, table: str
    ) -> None:
        for r in range(first, last + 1):
            for c in range(min_col, max_col + 1):
                if not _is_blank(ws.cell(row=r, column=c).value):
                    raise UserError(
                        f"Tabela „{table}” w arkuszu „{ws.title}” nie może urosnąć: komórka "
                        f"{get_column_letter(c)}{r} pod nią nie jest pusta. Przenieś te dane niżej i spróbuj ponownie."
                    )

    def _add_columns(
        self,
        ws: Worksheet,
        table: Table,
        headers: Sequence[str],
        min_col: int,
        min_row: int,
        max_col: int,
        max_row: int,
    ) -> None:
        self._check_free(ws, max_col + 1, max_col + len(headers), min_row, min_row, table.displayName)
        for r in range(min_row + 1, max_row + 1):
            for c in range(max_col + 1, max_col + len(headers) + 1):
                if not _is_blank(ws.cell(row=r, column=c).value):
                    raise UserError(
                        f"Tabela „{table.displayName}” w arkuszu „{ws.title}” nie może dostać nowej kolumny: "
                        f"komórka {get_column_letter(c)}{r} obok niej nie jest pusta."
                    )
        next_id = max((col.id for col in table.tableColumns), default=0) + 1
        header_source = ws.cell(row=min_row, column=max_col)
        for i, header in enumerate(headers):
            col = max_col + 1 + i
            cell = ws.cell(row=min_row, column=col)
            set_text(cell, header)
            cell.font = copy.copy(header_source.font)
            cell.fill = copy.copy(header_source.fill)
            cell.alignment = copy.copy(header_source.alignment)
            cell.border = copy.copy(header_source.border)
            table.tableColumns.append(TableColumn(id=next_id + i, name=header))
            ws.column_dimensions[get_column_letter(col)].width = max(12, len(header) + 2)
            for r in range(min_row + 1, max_row + 1):
                self._copy_style(ws.cell(row=r, column=max_col), ws.cell(row=r, column=col))

    # -- named values -----------------------------------------------------------------------------
    def _named_cell(self, name: str) -> Cell:
        defined = self.workbook.defined_names.get(name)
        if defined is None:
            raise UserError(f"W pliku {self.source} nie ma nazwanej komórki „{name}”.")
        for sheet, coord in defined.destinations:
            if sheet in self.workbook.sheetnames:
                cell = self.workbook[sheet][coord.replace("$", "").split(":")[0]]
                if isinstance(cell, Cell):
                    return cell
        raise UserError(f"Nazwa „{name}” w pliku {self.source} nie wskazuje komórki.")

    def get_named_value(self, name: str) -> Any:
        return _cell_value(self._named_cell(name))

    def set_named_value(self, name: str, value: Any) -> None:
        self._put(self._named_cell(name), value)

    def define_name(self, name: str, sheet: str, coordinate: str) -> None:
        """Create (or move) a workbook-level name for one cell, e.g. ``BiuroNIP`` → Pulpit!$C$3."""
        col, row = coordinate_split(coordinate)
        ref = f"'{sheet}'!${col}${row}"
        if name in self.workbook.defined_names:
            del self.workbook.defined_names[name]
        self.workbook.defined_names[name] = DefinedName(name, attr_text=ref)


def coordinate_split(coordinate: str) -> tuple[str, int]:
    letters = "".join(ch for ch in coordinate if ch.isalpha())
    digits = "".join(ch for ch in coordinate if ch.isdigit())
    return letters.upper(), int(digits)
