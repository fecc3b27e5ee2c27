"""The table I/O seam over openpyxl: by header name, keeping what staff did."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.table import Table

from ksef_sheets.errors import UserError
from ksef_sheets.sheets.tables import Formula, Link, OpenpyxlTables, TableIO


def make_book(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Dane"
    ws.append(["tytuł"])
    ws.append(["Klucz", "Wartość", "Staff"])
    ws.append(["a", 1, "=1+1"])
    ws.append(["b", 2, "x"])
    ws.add_table(Table(displayName="T", ref="A2:C4"))
    ws["E1"].value = "nazwana"
    wb.save(path)


def reopen(path: Path) -> OpenpyxlTables:
    return OpenpyxlTables(load_workbook(path), source=path.name)


def test_read_and_write_by_header_keep_unknown_columns_and_formulas(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    make_book(path)
    tables: TableIO = reopen(path)
    data = tables.read_table("t")  # table names are matched case-insensitively, like Excel
    assert data.headers == ["Klucz", "Wartość", "Staff"]
    assert data.row_numbers == [3, 4]
    rows = data.rows
    rows[1]["Wartość"] = 20
    rows.append({"Klucz": '=HYPERLINK("http://x","y")', "Wartość": date(2026, 1, 2), "Nowa": "n"})
    tables.write_table("T", rows, headers=["Klucz", "Wartość", "Nowa"])
    assert isinstance(tables, OpenpyxlTables)
    tables.workbook.save(path)

    wb = load_workbook(path)
    ws = wb["Dane"]
    assert ws.tables["T"].ref == "A2:D5"
    assert [c.name for c in ws.tables["T"].tableColumns] == ["Klucz", "Wartość", "Staff", "Nowa"]
    assert ws["C3"].value == "=1+1" and ws["C3"].data_type == "f"  # the staff formula is still a formula
    assert ws["B4"].value == 20
    assert ws["A5"].value.startswith("=HYPERLINK") and ws["A5"].data_type == "s"  # text, never a formula
    assert ws["D5"].value == "n"


def test_table_cannot_grow_over_other_data(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    make_book(path)
    wb = load_workbook(path)
    wb["Dane"]["B5"].value = "notatka pod tabelą"
    tables = OpenpyxlTables(wb, source="t.xlsx")
    rows = [*tables.read_table("T").rows, {"Klucz": "c"}]
    with pytest.raises(UserError, match="B5"):
        tables.write_table("T", rows)


def test_missing_table_and_duplicate_headers_are_user_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    make_book(path)
    wb = load_workbook(path)
    tables = OpenpyxlTables(wb, source="t.xlsx")
    with pytest.raises(UserError, match="nie ma tabeli „Klienci”"):
        tables.read_table("Klienci")
    wb["Dane"]["C2"].value = "Klucz"
    with pytest.raises(UserError, match="dwie kolumny"):
        tables.read_table("T")


def test_links_formulas_and_named_values(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    make_book(path)
    tables = reopen(path)
    rows = tables.read_table("T").rows
    rows[0]["Wartość"] = Formula("=2*3")
    rows[1]["Staff"] = Link("Dane", "#'Dane'!A1")
    rows[0]["Klucz"] = Link("folder", "klienci/5210537039")
    tables.write_table("T", rows)
    tables.define_name("Nazwa", "Dane", "E1")
    assert tables.get_named_value("Nazwa") == "nazwana"
    tables.set_named_value("Nazwa", "zmieniona")
    tables.workbook.save(path)
    ws = load_workbook(path)["Dane"]
    assert ws["B3"].value == "=2*3"
    assert ws["C4"].hyperlink.location == "'Dane'!A1"
    assert ws["A3"].hyperlink.target == "klienci/5210537039"
    assert reopen(path).get_named_value("Nazwa") == "zmieniona"
    with pytest.raises(UserError):
        reopen(path).get_named_value("Brak")


def test_unchanged_rows_are_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    make_book(path)
    tables = reopen(path)
    ws = tables.workbook["Dane"]
    ws["B3"].number_format = "0.000"  # a staff format survives a write of the same value
    tables.write_table("T", tables.read_table("T").rows)
    assert ws["B3"].number_format == "0.000" and ws["B3"].value == 1


def test_growing_a_table_whose_cells_were_never_styled(tmp_path: Path) -> None:
    # A table written by another library leaves cells without any openpyxl style record.
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Klucz", "Wartość"])
    ws.append(["a", 1])
    ws.add_table(Table(displayName="Gola", ref="A1:B2"))
    tables = OpenpyxlTables(wb)
    tables.write_table(
        "Gola", [{"Klucz": "a", "Wartość": 1}, {"Klucz": "b", "Wartość": 2}, {"Klucz": "c", "Wartość": 3}]
    )
    assert [r["Klucz"] for r in tables.read_table("Gola").rows] == ["a", "b", "c"]
