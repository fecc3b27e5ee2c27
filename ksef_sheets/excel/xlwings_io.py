"""The panel's I/O on a workbook open in Excel, through xlwings.

Only values are read and written through Excel itself; the workbook's file is never rewritten
while Excel has it open (staff save it as usual). Tables and cells are found by name
(``book.names``, ``sheet.tables``), never by address, so staff may move things around.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.sheets import TableData, clean_text, looks_like_formula, row_is_empty

INVOICE_WORKBOOK = re.compile(r"^faktury-\d{4}\.xlsx$", re.IGNORECASE)
KSEF_NUMBER_HEADER = "Numer KSeF"


class XlwingsTables:
    """``TableIO`` (``ksef_sheets.sheets.tables``) over an ``xlwings.Book`` open in Excel.

    Keeps the seam's rules: columns by header name, unknown columns and row order kept, text as
    text (a value starting with ``=`` is written with Excel's text prefix so it never becomes a
    formula), and only values are touched — the file is never rewritten behind Excel's back.
    """

    def __init__(self, book: Any) -> None:
        self.book = book

    # named values -----------------------------------------------------------------------------
    def _named(self, name: str) -> Any:
        try:
            return self.book.names[name].refers_to_range
        except Exception as exc:  # xlwings raises KeyError or a COM error depending on platform
            raise UserError(f"W skoroszycie {self.book.name} brakuje nazwanej komórki „{name}”.") from exc

    def get_named_value(self, name: str) -> Any:
        return self._named(name).value

    def set_named_value(self, name: str, value: Any) -> None:
        self._named(name).value = _excel_value(value)

    # tables ---------------------------------------------------------------------------------------
    def table_names(self) -> list[str]:
        return [table.name for sheet in self.book.sheets for table in sheet.tables]

    def _table(self, name: str) -> Any:
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if table.name.casefold() == name.casefold():
                    return table
        raise UserError(f"W skoroszycie {self.book.name} brakuje tabeli „{name}”.")

    def read_table(self, name: str) -> TableData:
        table = self._table(name)
        headers = [str(h) for h in table.header_row_range.value]
        body = table.data_body_range
        rows: list[dict[str, Any]] = []
        numbers: list[int] = []
        if body is not None:
            for offset, values in enumerate(body.options(ndim=2).value):
                row = dict(zip(headers, values, strict=False))
                if not row_is_empty(row):
                    rows.append(row)
                    numbers.append(body.row + offset)
        return TableData(table.name, table.range.sheet.name, headers, rows, numbers)

    def write_table(
        self, name: str, rows: Sequence[Mapping[str, Any]], *, headers: Sequence[str] = ()
    ) -> None:
        table = self._table(name)
        current = [str(h) for h in table.header_row_range.value]
        missing = [h for h in headers if h not in current]
        if missing:
            raise UserError(
                f"Tabela „{name}” w skoroszycie {self.book.name} nie ma kolumn: {', '.join(missing)}. "
                "Dodaj je albo odśwież skoroszyt poleceniem programu."
            )
        old_body = table.data_body_range
        if old_body is not None:
            old_body.clear_contents()
        table.resize(table.range.resize(row_size=max(len(rows), 1) + 1))
        values = [[_excel_value(row.get(h)) for h in current] for row in rows] or [[None] * len(current)]
        table.data_body_range.options(ndim=2).value = values


class XlwingsPanel(XlwingsTables):
    """``PanelIO``: the panel's tables and named cells plus Excel's status bar and message boxes."""

    # feedback -------------------------------------------------------------------------------------
    def status(self, text: str | None) -> None:
        self.book.app.status_bar = text if text else False

    def alert(self, text: str, *, title: str, critical: bool = False) -> None:
        self.book.app.alert(text, title=title, mode="critical" if critical else "info")

    # invoice workbooks ------------------------------------------------------------------------------
    def selected_invoices(self) -> tuple[str | None, list[str]]:
        """The client (from the workbook's folder ``klienci/<NIP>/``) and the KSeF numbers of the rows
        selected in the open invoice workbook (faktury-RRRR.xlsx)."""
        books = [b for b in self.book.app.books if INVOICE_WORKBOOK.match(b.name)]
        if not books:
            raise UserError("Otwórz skoroszyt faktur klienta (faktury-RRRR.xlsx) i zaznacz w nim wiersze.")
        invoice_book = books[-1]
        client_nip = Path(str(invoice_book.fullname)).parent.name or None
        invoice_book.activate()
        try:
            selection = invoice_book.selection
        finally:
            self.book.activate()
        if selection is None:
            return client_nip, []
        sheet = selection.sheet
        for table in sheet.tables:
            headers = list(table.header_row_range.value)
            if KSEF_NUMBER_HEADER not in headers:
                continue
            col = table.header_row_range.column + headers.index(KSEF_NUMBER_HEADER)
            first = table.header_row_range.row + 1
            last = table.range.row + table.range.rows.count - 1
            numbers = []
            for row in range(selection.row, selection.row + selection.rows.count):
                if first <= row <= last:
                    value = sheet.range((row, col)).value
                    if value:
                        numbers.append(str(value))
            return client_nip, numbers
        raise UserError(f"Zaznaczenie w {invoice_book.name} nie leży w tabeli faktur z kolumną „Numer KSeF”.")

    def set_invoice_cells(self, updates: dict[str, dict[str, Any]]) -> int:
        """Write staff columns (by header) for rows found by KSeF number in the open invoice workbooks."""
        changed = 0
        for book in self.book.app.books:
            if not INVOICE_WORKBOOK.match(book.name):
                continue
            for sheet in book.sheets:
                for table in sheet.tables:
                    headers = list(table.header_row_range.value)
                    if KSEF_NUMBER_HEADER not in headers or table.data_body_range is None:
                        continue
                    key = headers.index(KSEF_NUMBER_HEADER)
                    top = table.data_body_range.row
                    left = table.data_body_range.column
                    for offset, values in enumerate(table.data_body_range.options(ndim=2).value):
                        fields = updates.get(str(values[key]))
                        if not fields:
                            continue
                        for header, value in fields.items():
                            if header in headers:
                                sheet.range((top + offset, left + headers.index(header))).value = value
                        changed += 1
        return changed


def _excel_value(value: Any) -> Any:
    """Text that Excel would evaluate gets its text prefix (the apostrophe Excel itself uses)."""
    if isinstance(value, str):
        text = clean_text(value)
        return "'" + text if looks_like_formula(text) else text
    return value
