"""The invoice workbook as written: sheets, tables, columns, formats, links, summary, decisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
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
    ClientInfo,
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
    refresh_client(office, archive, ClientInfo(CLIENT_NIP, "Nowak IT", 2))
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
    from ksef_sheets.office.register import init_office

    office = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(office, demo=True, today=date(2026, 11, 28))
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
