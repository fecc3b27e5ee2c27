"""The entry workbook without KSeF: what staff type becomes FA(3), or one message naming row and column."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ksef_sheets.errors import FileLockedError, UserError
from ksef_sheets.fa3 import parse_invoice, validate_invoice
from ksef_sheets.files import excel_lock_file
from ksef_sheets.send.entry_rows import invoices_from_sheet, parse_rate
from ksef_sheets.sheets import send_entry as E
from ksef_sheets.sheets.tables import OpenpyxlTables

from .conftest import BUYER, SELLER, line, today


def workbook(tmp_path: Path, rows: list[dict[str, Any]], **seller: str) -> Path:
    path = tmp_path / E.ENTRY_FILE
    E.create_entry_workbook(
        path,
        client_nip=SELLER,
        client_name=seller.get("name", "Studio Urody Malwa"),
        address=seller.get("address", "ul. Różana 1, Warszawa"),
    )
    wb = load_workbook(path)
    OpenpyxlTables(wb, source=str(path)).write_table(E.TABLE, rows)
    wb.save(path)
    return path


def build(path: Path) -> dict[str, Any]:
    sheet = E.read_entry_workbook(path)
    items = invoices_from_sheet(sheet, seller_nip=SELLER, seller_name="", seller_address="")
    return {i.number or i.source: i for i in items}


def test_created_workbook_is_an_excel_table_with_dropdowns_and_seller_cells(tmp_path: Path) -> None:
    path = workbook(tmp_path, [])
    wb = load_workbook(path)
    ws = wb[E.SHEET]
    assert E.TABLE in ws.tables
    headers = [c.value for c in ws[E.HEADER_ROW]]
    assert headers[: len(E.HEADERS)] == list(E.HEADERS)
    lists = {str(dv.formula1) for dv in ws.data_validations.dataValidation}
    assert any("0 WDT" in f and "zw" in f for f in lists) and any("przelew" in f for f in lists)
    assert ws.freeze_panes == f"B{E.HEADER_ROW + 1}"
    sheet = E.read_entry_workbook(path)
    assert sheet.seller_name == "Studio Urody Malwa" and sheet.seller_address.startswith("ul.")
    with pytest.raises(UserError, match="już istnieje"):
        E.create_entry_workbook(path, client_nip=SELLER)


def test_rows_become_valid_fa3_with_invoice_values_from_the_first_row(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            line(
                "A/1",
                "Usługa",
                "1 000,50",
                "23%",
                **{
                    E.H_BUYER_NIP: f"PL {BUYER}",
                    E.H_BUYER_NAME: "Nowak IT",
                    E.H_SPLIT: "Tak",
                    E.H_DUE: today() + timedelta(days=7),
                },
            ),
            line("A/1", "Książka", 20, 0.05, **{E.H_QUANTITY: "3", E.H_UNIT: "szt."}),
            line("A/2", "Eksport usługi", 10, "np"),
            line("A/3", "Zwolniona", 10, "ZW", **{E.H_EXEMPTION: "art. 43 ust. 1 pkt 18 ustawy o VAT"}),
        ],
    )
    items = build(path)
    one = items["A/1"]
    assert one.error is None and one.rows == (8, 9) and "wiersze 8–9" in one.source
    assert one.xml is not None and validate_invoice(one.xml).ok
    parsed = parse_invoice(one.xml)
    assert parsed.buyer.nip == BUYER and parsed.split_payment and parsed.total_text == "1293.62"
    assert [ln.rate for ln in parsed.lines] == ["23", "5"]
    assert parse_invoice(items["A/2"].xml or b"").lines[0].rate == "np I"
    assert items["A/3"].error is None


@pytest.mark.parametrize(
    ("value", "code"),
    [(23, "23"), (0.08, "8"), ("0", "0 KR"), ("0 WDT", "0 WDT"), ("oo", "oo"), ("np II", "np II")],
)
def test_rate_spellings(value: Any, code: str) -> None:
    assert parse_rate(value) == code


def test_problems_name_file_row_and_column_and_only_that_invoice_fails(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            line("B/1", "Dobra", 10),
            line("B/2", "Euro bez kursu", 10, **{E.H_CURRENCY: "EUR"}),
            line("B/3", "Pierwsza", 10, **{E.H_BUYER_NIP: BUYER, E.H_BUYER_NAME: "Nowak"}),
            line("B/3", "Druga", 10, **{E.H_BUYER_NIP: "7798676685"}),
            line("B/4", "Zła data", 10, **{E.H_ISSUED: "32.13.2026"}),
            line("B/5", "Brak ceny", None),
            line("", "Bez numeru", 10),
            line("B/6", "Zwolniona bez podstawy", 10, "zw"),
            line("B/7", "Zła ilość", 10, **{E.H_QUANTITY: "dużo"}),
        ],
    )
    items = build(path)
    assert items["B/1"].error is None
    expected = {
        "B/2": ("wiersz 9", E.H_EXCHANGE),
        "B/3": ("wiersz 11", E.H_BUYER_NIP),
        "B/4": ("wiersz 12", E.H_ISSUED),
        "B/5": ("wiersz 13", E.H_PRICE),
        f"{E.ENTRY_FILE}, wiersz 14": ("wiersz 14", E.H_NUMBER),
        "B/7": ("wiersz 16", E.H_QUANTITY),
    }
    for key, (row, column) in expected.items():
        error = items[key].error or ""
        assert E.ENTRY_FILE in error and row in error and f"„{column}”" in error, (key, error)
    assert "wiersza 10" in (items["B/3"].error or "")  # the row it differs from
    assert "P_19A" in (items["B/6"].error or "") and "wiersz 15" in (items["B/6"].error or "")


def test_formula_without_a_computed_value_is_reported_and_cached_values_are_used(tmp_path: Path) -> None:
    path = workbook(tmp_path, [line("C/1", "Usługa", 10)])
    wb = load_workbook(path)
    ws = wb[E.SHEET]
    price_col = E.HEADERS.index(E.H_PRICE) + 1
    ws.cell(row=E.HEADER_ROW + 1, column=price_col).value = "=5*2"  # a staff formula, never computed
    wb.save(path)
    with pytest.raises(UserError, match=r"wiersz 8.*Cena netto.*formuła"):
        E.read_entry_workbook(path)


def test_write_back_fills_only_toolkit_columns_of_pending_rows_and_refuses_a_locked_file(
    tmp_path: Path,
) -> None:
    path = workbook(
        tmp_path,
        [
            line("D/1", '=HYPERLINK("http://x","y")', 10, **{E.H_NOTES: "moja notatka"}),
            line("D/2", "Wysłana wcześniej", 10, **{E.H_STATUS: E.STATUS_SENT, E.H_KSEF: "stary"}),
        ],
    )
    # Staff add a column of their own to the table and fill it in.
    wb = load_workbook(path)
    tables = OpenpyxlTables(wb, source=str(path))
    rows = tables.read_table(E.TABLE).rows
    rows[0]["Moja kolumna"] = "do faktury 1"
    tables.write_table(E.TABLE, rows, headers=[*E.HEADERS, "Moja kolumna"])
    wb.save(path)
    updates = {
        "D/1": E.RowUpdate(E.STATUS_REJECTED, message="=1+1 odrzucona"),
        "D/2": E.RowUpdate(E.STATUS_ERROR, message="nie powinno się pojawić"),
    }
    assert E.write_back(path, updates) == 1
    rows = OpenpyxlTables(load_workbook(path), source=str(path)).read_table(E.TABLE).rows
    assert rows[0][E.H_STATUS] == E.STATUS_REJECTED and rows[0][E.H_NOTES] == "moja notatka"
    assert rows[1][E.H_STATUS] == E.STATUS_SENT and rows[1][E.H_KSEF] == "stary"
    assert rows[0]["Moja kolumna"] == "do faktury 1"
    cells = load_workbook(path)[E.SHEET]
    for row in cells.iter_rows(min_row=E.HEADER_ROW + 1):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                assert cell.data_type == "s"
    excel_lock_file(path).write_text("x")
    with pytest.raises(FileLockedError):
        E.write_back(path, updates)
