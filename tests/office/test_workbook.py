"""The generated office workbook: sheets, tables, Excel craft, and staff work surviving every operation."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ksef_sheets.demo_data import DEMO_CLIENTS, DEMO_OFFICE_NIP, demo_office_data
from ksef_sheets.errors import FileLockedError, UserError
from ksef_sheets.files import excel_lock_file
from ksef_sheets.sheets import load_clients
from ksef_sheets.workflows import (
    FetchResult,
    check_clients,
    import_clients,
    init_office,
    update_fetch_results,
)
from tests.office.conftest import TODAY, add_staff_column, edit_as_staff, header_col, table_rows

SHEETS = [
    "Pulpit",
    "Klienci",
    "Scenariusze",
    "Gotowość klientów",
    "Checklista biura",
    "Plan wdrożenia",
    "Zespół i procedury",
    "FAQ",
    "Pracownicy",  # the staff register (docs/staff.md)
    "Terminy",
]


def test_demo_workbook_structure(demo_office: Any) -> None:
    wb = load_workbook(demo_office.office_workbook)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.tables, f"{ws.title} has no Excel Table"
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    klienci = wb["Klienci"]
    assert klienci.freeze_panes == "C5"
    assert klienci.page_setup.orientation == "landscape"
    lists = [dv for dv in klienci.data_validations.dataValidation if dv.type == "list"]
    assert any(dv.formula1 == '"1,2,3"' for dv in lists)
    assert any(dv.formula1 == '"tak,nie"' for dv in lists)
    assert any(dv.type == "date" for dv in klienci.data_validations.dataValidation)
    rules = [r.formula[0] for rng in klienci.conditional_formatting for r in rng.rules]
    assert any("TODAY()" in f for f in rules)  # overdue
    assert any('"niegotowy"' in f for f in rules)  # not ready
    assert any('"brakuje"' in f for f in rules)  # scenario without its permission
    from ksef_sheets.sheets.tables import OpenpyxlTables

    assert OpenpyxlTables(wb).get_named_value("BiuroNIP") == DEMO_OFFICE_NIP
    pulpit = wb["Pulpit"]
    formulas = [
        c.value
        for row in pulpit.iter_rows()
        for c in row
        if isinstance(c.value, str) and c.value.startswith("=")
    ]
    assert any("COUNTIF" in f for f in formulas)
    links = [c.hyperlink for row in pulpit.iter_rows() for c in row if c.hyperlink]
    # Every generated sheet is linked from Pulpit (Pracownicy is the staff's own register: no tile).
    assert {link.location for link in links} >= {f"'{s}'!A1" for s in SHEETS[1:] if s != "Pracownicy"}
    assert (demo_office.root / "ksef-sheets.toml").read_text(encoding="utf-8").count(DEMO_OFFICE_NIP) == 1
    for demo in DEMO_CLIENTS:
        assert demo_office.client_dir(demo.nip).is_dir()


def test_demo_register_content(demo_office: Any) -> None:
    clients = load_clients(demo_office)
    assert [c.nip for c in clients] == [d.nip for d in DEMO_CLIENTS]
    by_nip = {c.nip: c for c in clients}
    assert by_nip["9512327536"].scenario == 3 and "(InvoiceWrite)" in by_nip["9512327536"].problems
    assert "ZAW-FA" in by_nip["8527053079"].next_step
    assert all(c.next_step for c in clients)
    headers, rows = table_rows(demo_office.office_workbook, "Klienci")
    assert {"NIP", "Scenariusz", "Przeglądanie faktur", "Następny krok", "Problemy", "Folder"} <= set(headers)
    assert sum(1 for r in rows if r["Uprawnienia wg scenariusza"] == "brakuje") == 4
    _, readiness = table_rows(demo_office.office_workbook, "Gotowosc")
    assert len(readiness) == 10
    _, scenarios = table_rows(demo_office.office_workbook, "Scenariusze")
    count = next(r for r in scenarios if r["Zagadnienie"] == "Liczba klientów")
    assert count["Scenariusz 2"].startswith("=COUNTIF(")


def _staff_edits(ws: Any, table: Any) -> None:
    notes = header_col(ws, table, "Uwagi")
    owner = header_col(ws, table, "Opiekun")
    read = header_col(ws, table, "Przeglądanie faktur")
    ws.cell(5, notes).value = "Dzwonić tylko po 15:00"
    ws.cell(6, owner).value = "Zofia Nowa"
    ws.cell(9, read).value = "tak"  # Trans-Kowalscy granted InvoiceRead
    add_staff_column(ws, table, "Numer umowy", {0: "U/12/2024", 1: "=1+1"})
    # Sorting: staff reversed the first two rows (Nowak and Studio Malwa swap places).
    width = ws.max_column
    first = [ws.cell(5, c).value for c in range(1, width + 1)]
    second = [ws.cell(6, c).value for c in range(1, width + 1)]
    for c in range(1, width + 1):
        ws.cell(5, c).value = second[c - 1]
        ws.cell(6, c).value = first[c - 1]
    # A client staff typed in by hand, at the end of the table.
    from openpyxl.utils import get_column_letter, range_boundaries

    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    ws.cell(max_row + 1, header_col(ws, table, "NIP")).value = "7010001453"
    ws.cell(max_row + 1, header_col(ws, table, "Nazwa")).value = "Dopisany Ręcznie Sp. z o.o."
    ws.cell(max_row + 1, header_col(ws, table, "E-mail")).value = "ktos@dopisany.example.pl"
    table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row + 1}"
    table.autoFilter.ref = table.ref
    # A filter staff set on the Scenariusz column (show scenario 2 only).
    from openpyxl.worksheet.filters import FilterColumn, Filters

    scen = header_col(ws, table, "Scenariusz") - min_col
    table.autoFilter.filterColumn.append(FilterColumn(colId=scen, filters=Filters(filter=["2"])))


def _assert_staff_work_kept(path: Path) -> None:
    headers, rows = table_rows(path, "Klienci")
    assert headers[-1] == "Numer umowy"
    assert rows[0]["NIP"] == "6762966431" and rows[1]["NIP"] == "5210537039"  # order as staff left it
    assert rows[1]["Uwagi"] == "Dzwonić tylko po 15:00"
    assert rows[1]["Numer umowy"] == "U/12/2024"
    assert rows[0]["Opiekun"] == "Zofia Nowa" and rows[0]["Numer umowy"] == "=1+1"
    trans = next(r for r in rows if r["NIP"] == "5838213566")
    assert trans["Przeglądanie faktur"] == "tak"
    added = next(r for r in rows if r["NIP"] == "7010001453")
    assert added["Nazwa"] == "Dopisany Ręcznie Sp. z o.o." and added["Następny krok"]
    wb = load_workbook(path)
    ws = wb["Klienci"]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "=1+1")
    assert cell.data_type == "f"
    (kept,) = ws.tables["Klienci"].autoFilter.filterColumn
    assert kept.filters.filter == ["2"]
    assert ws.tables["Klienci"].autoFilter.ref == ws.tables["Klienci"].ref


def test_staff_work_survives_init_import_check_and_fetch(demo_office: Any, tmp_path: Path) -> None:
    path = demo_office.office_workbook
    edit_as_staff(path, _staff_edits)
    edit_as_staff(
        path,
        lambda ws, t: ws.cell(5, header_col(ws, t, "Status")).__setattr__("value", "nie dotyczy"),
        "Checklista",
    )
    edit_as_staff(
        path,
        lambda ws, t: ws.cell(5, header_col(ws, t, "Odpowiedź biura (do wklejenia w e-mail)")).__setattr__(
            "value", "Nasza odpowiedź."
        ),
        "Pytania",
    )

    init_office(demo_office, demo=demo_office_data(), today=TODAY)
    _assert_staff_work_kept(path)

    csv = tmp_path / "lista.csv"
    csv.write_text(
        "NIP;Nazwa;E-mail;Telefon\n5210537039;Nowak IT Consulting Jan Nowak;nowy@nowak.example.pl;601 000 000\n",
        encoding="utf-8",
    )
    report = import_clients(demo_office, csv, today=TODAY)
    assert report.updated == ["5210537039"] and not report.errors
    _assert_staff_work_kept(path)
    _, rows = table_rows(path, "Klienci")
    assert rows[1]["E-mail"] == "nowy@nowak.example.pl" and rows[1]["Uwagi"] == "Dzwonić tylko po 15:00"

    check_clients(demo_office, today=TODAY)
    _assert_staff_work_kept(path)

    missing = update_fetch_results(
        demo_office,
        {
            "5210537039": FetchResult(datetime(2026, 11, 28, 5, 30, tzinfo=UTC), 7, 4, None),
            "1111111111": FetchResult(datetime(2026, 11, 28), 0, 0),
        },
        today=TODAY,
    )
    assert missing == ["1111111111"]
    _assert_staff_work_kept(path)
    _, rows = table_rows(path, "Klienci")
    assert rows[1]["Do weryfikacji"] == 4 and rows[1]["Nowe faktury"] == 7
    assert rows[1]["Ostatnie pobranie"] == datetime(2026, 11, 28, 6, 30)  # Warsaw, CET in November
    assert "weryfikacji 4" in rows[1]["Następny krok"]

    _, checklist = table_rows(path, "Checklista")
    assert checklist[0]["Status"] == "nie dotyczy"
    _, faq = table_rows(path, "Pytania")
    assert faq[0]["Odpowiedź biura (do wklejenia w e-mail)"] == "Nasza odpowiedź."


def test_fetch_results_refused_while_open_in_excel(demo_office: Any) -> None:
    path = demo_office.office_workbook
    before = path.read_bytes()
    excel_lock_file(path).write_text("owner")
    with pytest.raises(FileLockedError, match="otwarty"):
        update_fetch_results(demo_office, {"5210537039": FetchResult(datetime(2026, 11, 28), 1, 1)})
    assert path.read_bytes() == before


def test_secret_pasted_into_register_is_removed_by_check(demo_office: Any) -> None:
    token = "20251010-EC-0123456789-ABCDEF0123-AB|nip-5210537039|" + "f" * 64

    def paste(ws: Any, table: Any) -> None:
        ws.cell(5, header_col(ws, table, "Poświadczenie (odnośnik)")).value = token
        ws.cell(6, header_col(ws, table, "Uwagi")).value = f"token od klienta: {token} (pilne)"
        add_staff_column(
            ws, table, "Notatki prywatne", {2: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2ln"}
        )

    edit_as_staff(demo_office.office_workbook, paste)
    report = check_clients(demo_office, today=TODAY)
    assert report.secrets_removed == 3
    _, rows = table_rows(demo_office.office_workbook, "Klienci")
    assert rows[1]["Uwagi"] == "token od klienta: *** (pilne)"
    wb = load_workbook(demo_office.office_workbook)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert "EC-0123456789" not in str(cell.value or "")
                assert "eyJhbGci" not in str(cell.value or "")


def test_damaged_or_missing_workbook_is_a_user_error(demo_office: Any, tmp_path: Path) -> None:
    demo_office.office_workbook.write_bytes(b"not a zip")
    with pytest.raises(UserError, match="uszkodzony"):
        load_clients(demo_office)
    demo_office.office_workbook.unlink()
    with pytest.raises(UserError, match="ksef-sheets init"):
        load_clients(demo_office)


def test_deleted_sheet_is_recreated_and_renamed_table_reported(demo_office: Any) -> None:
    wb = load_workbook(demo_office.office_workbook)
    del wb["FAQ"]
    wb.save(demo_office.office_workbook)
    init_office(demo_office, today=TODAY)
    assert "FAQ" in load_workbook(demo_office.office_workbook).sheetnames

    def rename(ws: Any, table: Any) -> None:
        table.displayName = "Cos"
        table.name = "Cos"

    edit_as_staff(demo_office.office_workbook, rename)
    with pytest.raises(UserError, match="nie ma tabeli „Klienci”"):
        load_clients(demo_office)


def test_init_refuses_other_office_nip(demo_office: Any) -> None:
    with pytest.raises(UserError, match="ma NIP"):
        init_office(demo_office, office_nip="7010001453", today=TODAY)


def test_renamed_sheets_are_followed_by_their_tables(demo_office: Any) -> None:
    wb = load_workbook(demo_office.office_workbook)
    wb["Pulpit"].title = "Start"
    wb["FAQ"].title = "Pytania klientów"
    wb["Klienci"].title = "Klienci 2026"
    wb.save(demo_office.office_workbook)
    check_clients(demo_office, today=TODAY)
    wb = load_workbook(demo_office.office_workbook)
    names = [t for ws in wb.worksheets for t in ws.tables]
    assert len(names) == len({n.casefold() for n in names})  # Excel refuses duplicate table names
    assert "Pytania klientów" in wb.sheetnames and "FAQ" not in wb.sheetnames
    assert "Klienci 2026" in wb.sheetnames and "Klienci" not in wb.sheetnames
    assert wb.sheetnames[0] == "Pulpit"  # the dashboard is rebuilt in place of the renamed tab
    assert len(load_clients(demo_office)) == 10
    locations = {
        c.hyperlink.location for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.hyperlink
    }
    assert "'Klienci 2026'!A1" in locations and "'Pytania klientów'!A1" in locations
    assert not any(loc and loc.startswith(("'Klienci'!", "'FAQ'!")) for loc in locations)


def test_init_is_idempotent_and_demo_adds_only_missing_clients(empty_office: Any) -> None:
    path = empty_office.office_workbook
    init_office(empty_office, today=TODAY)
    first = table_rows(path, "Klienci")[1]
    assert first == []
    init_office(empty_office, demo=demo_office_data(), today=TODAY)
    demo_rows = table_rows(path, "Klienci")[1]
    assert len(demo_rows) == 10
    init_office(empty_office, demo=demo_office_data(), today=TODAY)
    assert table_rows(path, "Klienci")[1] == demo_rows
    tables = ("Scenariusze", "Gotowosc", "Checklista", "Plan", "Procedury", "Pytania")
    before = {table: table_rows(path, table)[1] for table in tables}
    init_office(empty_office, today=TODAY)
    assert {table: table_rows(path, table)[1] for table in tables} == before
    path.unlink()  # the config alone: init recreates the workbook
    init_office(empty_office, today=TODAY)
    assert path.exists() and table_rows(path, "Klienci")[1] == []


def test_workbook_with_a_chart_is_not_saved_without_it(demo_office: Any) -> None:
    from openpyxl.chart import BarChart, Reference

    wb = load_workbook(demo_office.office_workbook)
    ws = wb["Pulpit"]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=2, min_row=5, max_row=8))
    wb.create_sheet("Wykres").add_chart(chart, "A1")
    wb.save(demo_office.office_workbook)
    before = demo_office.office_workbook.read_bytes()
    assert len(load_clients(demo_office)) == 10  # reading is fine
    with pytest.raises(UserError, match="wykresy"):
        check_clients(demo_office, today=TODAY)
    assert demo_office.office_workbook.read_bytes() == before
