"""The register's permission columns: Polish names as headers, the KSeF codes in the cells' note;
an older biuro.xlsx headed by the codes keeps its values under the new names."""

from __future__ import annotations

from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from ksef_sheets.office.model import LEGACY_HEADERS
from ksef_sheets.sheets import load_clients
from ksef_sheets.workflows import check_clients

from .conftest import TODAY, edit_as_staff, table_rows


def _header_cells(ws: Any, table: Any) -> dict[str, int]:
    min_col, min_row, max_col, _ = range_boundaries(table.ref)
    return {str(ws.cell(min_row, c).value): c for c in range(min_col, max_col + 1)}


def test_polish_headers_with_the_codes_in_the_input_message(demo_office: Any) -> None:
    headers, _ = table_rows(demo_office.office_workbook, "Klienci")
    assert {"Przeglądanie faktur", "Wystawianie faktur", "Może przekazać dalej"} <= set(headers)
    assert not set(LEGACY_HEADERS) & set(headers)
    wb = load_workbook(demo_office.office_workbook)
    ws = next(w for w in wb.worksheets if "Klienci" in w.tables)
    column = _header_cells(ws, ws.tables["Klienci"])
    letters = {
        name: ws.cell(1, column[name]).column_letter
        for name in ("Przeglądanie faktur", "Może przekazać dalej")
    }
    prompts = {
        name: [dv.prompt for dv in ws.data_validations.dataValidation if letter in str(dv.sqref)]
        for name, letter in letters.items()
    }
    assert any("InvoiceRead" in (p or "") for p in prompts["Przeglądanie faktur"]), prompts
    assert any("canDelegate" in (p or "") for p in prompts["Może przekazać dalej"]), prompts


def test_an_older_register_headed_by_codes_keeps_its_values(demo_office: Any) -> None:
    def older(ws: Any, table: Any) -> None:
        min_col, min_row, _, _ = range_boundaries(table.ref)
        for new_name, column in _header_cells(ws, table).items():
            old = next((code for code, name in LEGACY_HEADERS.items() if name == new_name), None)
            if old is not None:
                ws.cell(min_row, column).value = old
                table.tableColumns[column - min_col].name = old
                for row in range(min_row + 1, min_row + 11):
                    ws.cell(row, column).value = "tak" if old != "InvoiceWrite" else "nie"

    edit_as_staff(demo_office.office_workbook, older)
    headers, _ = table_rows(demo_office.office_workbook, "Klienci")
    assert "InvoiceRead" in headers  # the older workbook as it was saved

    clients = load_clients(demo_office)
    assert all(c.perm_invoice_read and c.perm_can_delegate and not c.perm_invoice_write for c in clients)

    check_clients(demo_office, today=TODAY)
    headers, rows = table_rows(demo_office.office_workbook, "Klienci")
    assert headers.count("Przeglądanie faktur") == 1 and not set(LEGACY_HEADERS) & set(headers)
    assert all(r["Przeglądanie faktur"] == "tak" and r["Wystawianie faktur"] == "nie" for r in rows)
