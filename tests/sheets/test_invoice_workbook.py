"""The invoice workbook as written: sheets, tables, columns, formats, links, summary, decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.office import Client
from ksef_sheets.sheets.invoice_columns import (
    H_BOOKED,
    H_GROSS,
    H_KSEF,
    H_STATUS,
    INVOICE_HEADERS,
    SNAPSHOT_SHEET,
    STATUS_CLIENT_CHECK,
    STATUS_NEW,
    STATUSES,
    Register,
)
from ksef_sheets.sheets.invoice_refresh import (
    first_status,
    refresh_client,
    refresh_invoice_workbooks,
)
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale, sheet_rows


def _fill(archive: Archive) -> list[str]:
    return archive_invoices(
        archive,
        [
            purchase("FV/1/2026", date(2026, 3, 2), lines=[("papier", Decimal("100.00"), "23")]),
            purchase("FV/2/2026", date(2026, 3, 20), lines=[("kawa", Decimal("50.00"), "5")]),
            purchase("FV/3/2026", date(2026, 4, 1), lines=[("szkolenie", Decimal("300.00"), "zw")]),
            sale("S/1/2026", date(2026, 3, 5)),
            purchase("FV/99/2025", date(2025, 12, 30)),
        ],
    )


def test_refresh_writes_one_workbook_per_year_with_tables(office: OfficeFolder, archive: Archive) -> None:
    numbers = _fill(archive)
    report = refresh_invoice_workbooks(office)

    assert report.ok, report.messages()
    years = {w.year: w for w in report.workbooks}
    assert set(years) == {2025, 2026}
    assert years[2026].rows_written == 4 and years[2025].rows_written == 1
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    assert path == office.root / "klienci" / CLIENT_NIP / "faktury-2026.xlsx" and path.exists()

    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["Zakupy", "Sprzedaż", "Podsumowanie"]
    assert wb[SNAPSHOT_SHEET].sheet_state == "veryHidden"
    zakupy = wb["Zakupy"]
    assert [c.value for c in zakupy[1]][: len(INVOICE_HEADERS)] == list(INVOICE_HEADERS)
    assert set(zakupy.tables) == {"Zakupy"} and zakupy.tables["Zakupy"].ref.startswith("A1:")
    assert zakupy.freeze_panes == "C2"
    assert zakupy.page_setup.orientation == "landscape" and zakupy.page_setup.paperSize == 9
    # Dropdown with the five statuses on the Status column.
    validations = zakupy.data_validations.dataValidation
    status_validation = next(v for v in validations if v.type == "list")
    assert all(s in status_validation.formula1 for s in STATUSES)
    assert zakupy.conditional_formatting

    rows = sheet_rows(path, "Zakupy")
    assert [r[H_KSEF] for r in rows] == [numbers[0], numbers[1], numbers[2]]
    first = rows[0]
    assert first["Numer faktury"] == "FV/1/2026"
    assert first["Data wystawienia"] == datetime(2026, 3, 2)
    assert first["NIP kontrahenta"] == "9999999999"
    assert first["Netto"] == 100 and first["VAT PLN"] == 23 and first[H_GROSS] == 123
    assert first[H_STATUS] == STATUS_NEW and first[H_BOOKED] is None
    cell = zakupy.cell(row=2, column=INVOICE_HEADERS.index("Brutto PLN") + 1)
    assert "zł" in cell.number_format
    assert (
        zakupy.cell(row=2, column=INVOICE_HEADERS.index("Data wystawienia") + 1).number_format == "dd.mm.yyyy"
    )
    # The XML link is relative to the workbook and points at the archived file.
    link = zakupy.cell(row=2, column=INVOICE_HEADERS.index("Plik XML") + 1).hyperlink
    assert link is not None
    target = (path.parent / link.target.replace("\\", "/")).resolve()
    assert target == archive.xml_path(CLIENT_NIP, numbers[0]).resolve() and target.exists()

    sales = sheet_rows(path, "Sprzedaż")
    assert [r["Numer faktury"] for r in sales] == ["S/1/2026"]
    assert sales[0]["Nazwa kontrahenta"] == "CDE sp. j."


def test_first_status_follows_the_scenario(office: OfficeFolder, archive: Archive) -> None:
    _fill(archive)
    assert first_status(2, Register.PURCHASES) == STATUS_CLIENT_CHECK
    assert first_status(2, Register.SALES) == STATUS_NEW
    assert first_status(3, Register.PURCHASES) == STATUS_NEW
    refresh_client(office, archive, Client(CLIENT_NIP, "Nowak IT", scenario=2))
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    assert {r[H_STATUS] for r in sheet_rows(path, "Zakupy")} == {STATUS_CLIENT_CHECK}
    assert {r[H_STATUS] for r in sheet_rows(path, "Sprzedaż")} == {STATUS_NEW}
    # The first status is stored in the archive too: the archive is the source of truth.
    decisions = archive.decisions_for(CLIENT_NIP)
    assert {d.status for d in decisions.values()} == {STATUS_CLIENT_CHECK, STATUS_NEW}


def _block(rows: list[tuple], title: str) -> dict[str, dict]:  # type: ignore[type-arg]
    start = next(i for i, r in enumerate(rows) if r[0] == title)
    header = rows[start + 1]
    return {r[0]: dict(zip(header, r, strict=False)) for r in rows[start + 2 : start + 15]}


def test_summary_totals_per_month_rate_and_status(office: OfficeFolder, archive: Archive) -> None:
    _fill(archive)
    refresh_invoice_workbooks(office)
    wb = load_workbook(office.invoice_workbook(CLIENT_NIP, 2026))
    ws = wb["Podsumowanie"]
    rows = list(ws.iter_rows(values_only=True))
    amounts = _block(rows, "Zakupy — kwoty")
    march = amounts["marzec 2026"]
    assert march["Liczba faktur"] == 2
    assert march["Netto 23%"] == 100 and march["VAT 23%"] == 23
    assert march["Netto 5%"] == 50 and march["VAT 5%"] == 2.5
    assert march["Brutto razem"] == Decimal("175.50")
    assert amounts["kwiecień 2026"]["Netto zw"] == 300
    assert amounts["Razem"]["Liczba faktur"] == 3 and amounts["styczeń 2026"]["Liczba faktur"] == 0
    # Rates nobody used this year are left out; 23% always shows.
    assert "Netto 8%" not in march and "Netto np" not in march
    statuses = _block(rows, "Zakupy — statusy (liczba faktur)")
    assert statuses["marzec 2026"][STATUS_NEW] == 2 and statuses["Razem"]["Razem"] == 3
    sales = _block(rows, "Sprzedaż — kwoty")
    assert sales["marzec 2026"]["Netto 23%"] == 1000 and sales["Razem"]["Liczba faktur"] == 1
    start = next(i for i, r in enumerate(rows) if r[0] == "Zakupy — kwoty")
    assert "zł" in ws.cell(row=start + 3, column=3).number_format


def test_nothing_to_do_for_a_client_without_invoices(office: OfficeFolder) -> None:
    report = refresh_invoice_workbooks(office)
    assert report.workbooks == [] and report.ok
    assert not (office.clients_dir / CLIENT_NIP).exists()


def test_bad_nip_is_reported_not_raised(office: OfficeFolder) -> None:
    report = refresh_invoice_workbooks(office, ["123"])
    assert report.problems == ["NIP klienta „123” jest nieprawidłowy; pominięto go."]


def test_scenario_and_name_come_from_the_office_register(tmp_path: Path) -> None:
    from ksef_sheets.demo_data import demo_office_data
    from ksef_sheets.workflows import init_office

    office = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(office, demo=demo_office_data(), today=date(2026, 11, 28))
    with Archive.open(office) as archive:
        numbers = archive_invoices(
            archive, [purchase("FV/1", date(2026, 3, 2)), sale("S/1", date(2026, 3, 3))]
        )
    report = refresh_invoice_workbooks(office)  # the register says: Nowak IT, scenario 2
    assert report.ok, report.messages()
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    assert sheet_rows(path, "Zakupy")[0][H_STATUS] == STATUS_CLIENT_CHECK
    assert sheet_rows(path, "Sprzedaż")[0][H_STATUS] == STATUS_NEW
    summary = load_workbook(path)["Podsumowanie"]["A1"].value
    assert summary == "Podsumowanie faktur 2026 — Nowak IT Consulting Jan Nowak (NIP 5210537039)"
    assert len(numbers) == 2


def test_unreadable_register_is_reported_and_the_refresh_goes_on(
    office: OfficeFolder, archive: Archive
) -> None:
    archive_invoices(archive, [purchase("FV/1", date(2026, 3, 2))])
    office.office_workbook.write_bytes(b"not a workbook")
    report = refresh_invoice_workbooks(office)
    assert report.workbooks[0].written
    assert report.problems and "Rejestr klientów nie został odczytany" in report.problems[0]


def test_an_unchanged_workbook_is_left_alone_until_something_changes(
    office: OfficeFolder, archive: Archive
) -> None:
    from ksef_sheets.sync.archive import StaffDecision

    numbers = _fill(archive)
    refresh_invoice_workbooks(office)
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    before = path.read_bytes()

    again = refresh_invoice_workbooks(office)
    assert again.ok and all(w.unchanged and not w.written for w in again.workbooks)
    assert "bez zmian: 2" in again.summary_lines()[0]
    assert path.read_bytes() == before

    # A decision arriving in the archive changes the inputs.
    archive.save_decisions([StaffDecision(numbers[0], CLIENT_NIP, status="Zaakceptowana")])
    by_year = {w.year: w for w in refresh_invoice_workbooks(office).workbooks}
    assert by_year[2026].written and by_year[2025].unchanged
    # A person saving the file (even with no visible change, within the same second) counts too.
    load_workbook(path).save(path)
    assert refresh_invoice_workbooks(office).workbooks[1].written
    # And force rebuilds regardless.
    assert refresh_invoice_workbooks(office, force=True).workbooks[1].written


def test_rows_written_in_order_keep_the_whole_table_and_the_jpk_sheet_header(tmp_path: Path) -> None:
    """The workbook is written row by row (constant_memory): the table, its filter and header row
    still cover every row (invoices, then a person's own row), and the own "Uzgodnienie JPK" sheet
    gets its header row format although its cells come after it."""
    from xlsxwriter.utility import xl_col_to_name

    from ksef_sheets.identifiers import make_ksef_number
    from ksef_sheets.sheets.invoice_readback import OwnSheet
    from ksef_sheets.sheets.invoice_rows import InvoiceRow, SheetRow, StaffFields
    from ksef_sheets.sheets.invoice_workbook import RegisterSheet, WorkbookHeader, write_invoice_workbook
    from ksef_sheets.sheets.jpk_sheet import JPK_HEADERS, JPK_SHEET

    rows = [
        SheetRow(
            InvoiceRow(
                ksef_number=make_ksef_number("9999999999", date(2026, 3, 1 + i), f"{i:012X}"),
                register=Register.PURCHASES,
                invoice_number=f"FV/{i}",
                issue_date=date(2026, 3, 1 + i),
                accepted_at=datetime(2026, 3, 1 + i, 9, 30, 15),
                counterparty_nip="9999999999",
                counterparty_name='=HYPERLINK("http://x","y")',
                currency="PLN",
                net_total=Decimal("-1234567.89") if i == 1 else Decimal("100.00"),
            ),
            StaffFields(STATUSES[i % len(STATUSES)], comment=f"uwaga {i}", booked_on=date(2026, 4, 1)),
            {"Moja kolumna": i * 10},
        )
        for i in range(5)
    ]
    sheet = RegisterSheet(
        Register.PURCHASES, rows, loose_rows=[{"Moja kolumna": "mój wiersz"}], extra_headers=["Moja kolumna"]
    )
    jpk = OwnSheet(JPK_SHEET, [(0, c, name) for c, name in enumerate(JPK_HEADERS)] + [(1, 0, "2026-03")])
    path = tmp_path / "faktury-2026.xlsx"
    header = WorkbookHeader(CLIENT_NIP, "Nowak", 2026, datetime(2026, 12, 5, 10, 0))
    write_invoice_workbook(path, header, [sheet, RegisterSheet(Register.SALES)], own_sheets=[jpk])

    wb = load_workbook(path)
    zakupy = wb["Zakupy"]
    last = f"{xl_col_to_name(len(INVOICE_HEADERS))}{len(rows) + 2}"  # the own column, the own row
    table = zakupy.tables["Zakupy"]
    assert table.ref == f"A1:{last}" and table.autoFilter.ref == f"A1:{last}"
    assert [c.value for c in zakupy[1]] == [*INVOICE_HEADERS, "Moja kolumna"]
    assert all(c.font.b for c in zakupy[1])
    got = sheet_rows(path, "Zakupy")
    assert [r["Numer faktury"] for r in got] == ["FV/0", "FV/1", "FV/2", "FV/3", "FV/4", None]
    assert got[-1]["Moja kolumna"] == "mój wiersz" and got[3]["Moja kolumna"] == 30
    assert got[2]["Data przyjęcia w KSeF"] == datetime(2026, 3, 3, 9, 30, 15)
    assert got[2]["Data wystawienia"] == datetime(2026, 3, 3) and got[2][H_BOOKED] == datetime(2026, 4, 1)
    assert got[2]["Nazwa kontrahenta"] == '=HYPERLINK("http://x","y")' and zakupy["C3"].data_type == "s"
    # The widest amount (negative, seven digits) sizes its column: no "###" on paper.
    assert zakupy.column_dimensions["E"].width >= len("-1 234 567,89")
    # The status dropdown and the date check reach the last row.
    assert all(str(v.sqref).endswith(str(len(rows) + 2)) for v in zakupy.data_validations.dataValidation)
    own = wb[JPK_SHEET]
    assert own.row_dimensions[1].font.b and own["A2"].value == "2026-03"
    assert own.auto_filter.ref
