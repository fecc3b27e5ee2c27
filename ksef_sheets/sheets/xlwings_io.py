"""The panel's I/O on a workbook open in Excel, through xlwings.

Only values are read and written through Excel itself; the workbook's file is never rewritten
while Excel has it open (staff save it as usual). Tables and cells are found by name
(``book.names``, ``sheet.tables``), never by address, so staff may move things around.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError

INVOICE_WORKBOOK = re.compile(r"^faktury-\d{4}\.xlsx$", re.IGNORECASE)
KSEF_NUMBER_HEADER = "Numer KSeF"


class XlwingsPanel:
    """``PanelIO`` over an ``xlwings.Book``."""

    def __init__(self, book: Any) -> None:
        self.book = book

    # named values -----------------------------------------------------------------------------
    def _named(self, name: str) -> Any:
        try:
            return self.book.names[name].refers_to_range
        except Exception as exc:  # xlwings raises KeyError or a COM error depending on platform
            raise UserError(f"W skoroszycie {self.book.name} brakuje nazwanej komórki „{name}”.") from exc

    def get_named(self, name: str) -> Any:
        return self._named(name).value

    def set_named(self, name: str, value: Any) -> None:
        self._named(name).value = value

    # tables ---------------------------------------------------------------------------------------
    def _table(self, name: str) -> Any:
        for sheet in self.book.sheets:
            for table in sheet.tables:
                if table.name == name:
                    return table
        raise UserError(f"W skoroszycie {self.book.name} brakuje tabeli „{name}”.")

    def read_table(self, table: str) -> list[dict[str, Any]]:
        return _read_table(self._table(table))

    def write_table(self, table: str, rows: list[dict[str, Any]]) -> None:
        _write_table(self._table(table), rows)

    def append_row(self, table: str, row: dict[str, Any]) -> None:
        t = self._table(table)
        rows = [r for r in _read_table(t) if any(v not in (None, "") for v in r.values())]
        _write_table(t, [*rows, row])

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


def _read_table(table: Any) -> list[dict[str, Any]]:
    headers = [str(h) for h in table.header_row_range.value]
    body = table.data_body_range
    if body is None:
        return []
    return [dict(zip(headers, row, strict=False)) for row in body.options(ndim=2).value]


def _write_table(table: Any, rows: list[dict[str, Any]]) -> None:
    headers = [str(h) for h in table.header_row_range.value]
    old_body = table.data_body_range
    if old_body is not None:
        old_body.clear_contents()
    table.resize(table.range.resize(row_size=max(len(rows), 1) + 1))
    values = [[row.get(h) for h in headers] for row in rows] or [[None] * len(headers)]
    table.data_body_range.options(ndim=2).value = values
