"""Staff work survives a refresh: staff columns, own columns, own rows; the archive gets the edits."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.sheets.invoice_columns import (
    H_BOOKED,
    H_COMMENT,
    H_KSEF,
    H_NUMBER,
    H_PERSON,
    H_STATUS,
    STATUS_ACCEPTED,
    STATUS_BOOKED,
    STATUS_NEW,
    STATUS_REJECTED,
)
from ksef_sheets.sheets.invoice_readback import parse_booked_on, read_workbook_work
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sync.archive import Archive, StaffDecision
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale, sheet_rows


def _column(ws, header: str) -> int:  # type: ignore[no-untyped-def]
    for cell in ws[1]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(header)


def _row_of(ws, number: str) -> int:  # type: ignore[no-untyped-def]
    col = _column(ws, H_KSEF)
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=col).value == number:
            return row
    raise AssertionError(number)


@pytest.fixture
def written(office: OfficeFolder, archive: Archive) -> tuple[Path, list[str]]:
    numbers = archive_invoices(
        archive,
        [
            purchase("FV/1", date(2026, 3, 2)),
            purchase("FV/2", date(2026, 3, 3)),
            sale("S/1", date(2026, 3, 4)),
        ],
    )
    assert refresh_invoice_workbooks(office).ok
    return office.invoice_workbook(CLIENT_NIP, 2026), numbers


def test_staff_columns_own_columns_and_rows_survive(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    r = _row_of(ws, numbers[1])
    ws.cell(row=r, column=_column(ws, H_STATUS), value=STATUS_BOOKED)
    ws.cell(row=r, column=_column(ws, H_COMMENT), value="=zapłacono gotówką")
    ws.cell(row=r, column=_column(ws, H_COMMENT)).data_type = "s"
    ws.cell(row=r, column=_column(ws, H_BOOKED), value=datetime(2026, 4, 2))
    ws.cell(row=r, column=_column(ws, H_PERSON), value="Ala")
    extra = ws.max_column + 1
    ws.cell(row=1, column=extra, value="Konto księgowe")
    ws.cell(row=r, column=extra, value="402-01")
    ws.cell(row=r + 5, column=_column(ws, H_NUMBER), value="paragon 17/03")
    ws.cell(row=r + 5, column=_column(ws, H_COMMENT), value="do zaksięgowania ręcznie")
    ws.cell(row=r + 5, column=extra, value=12.5)
    wb.save(path)

    # A new invoice arrives, the workbook is refreshed.
    new = archive_invoices(archive, [purchase("FV/3", date(2026, 3, 10))])
    report = refresh_invoice_workbooks(office)
    result = report.workbooks[0]
    assert result.written and result.decisions_saved == 2  # the edit + the new invoice's first status
    assert result.rows_preserved == 1 and result.own_rows == 1

    rows = sheet_rows(path, "Zakupy")
    by_number = {row[H_KSEF]: row for row in rows if row[H_KSEF]}
    assert list(by_number) == [numbers[0], numbers[1], new[0]]
    edited = by_number[numbers[1]]
    assert edited[H_STATUS] == STATUS_BOOKED and edited[H_COMMENT] == "=zapłacono gotówką"
    assert edited[H_BOOKED] == datetime(2026, 4, 2) and edited[H_PERSON] == "Ala"
    assert edited["Konto księgowe"] == "402-01"
    own = [row for row in rows if not row[H_KSEF]]
    assert len(own) == 1 and own[0][H_NUMBER] == "paragon 17/03" and own[0]["Konto księgowe"] == 12.5
    assert by_number[new[0]][H_STATUS] == STATUS_NEW
    # The comment stayed text (not a formula) after the round trip.
    ws = load_workbook(path)["Zakupy"]
    assert ws.cell(row=_row_of(ws, numbers[1]), column=_column(ws, H_COMMENT)).data_type == "s"

    decision = archive.decisions_for(CLIENT_NIP)[numbers[1]]
    assert (decision.status, decision.comment, decision.booked_on, decision.person) == (
        STATUS_BOOKED,
        "=zapłacono gotówką",
        date(2026, 4, 2),
        "Ala",
    )
    # The table grew to cover the new rows and the own column.
    table = load_workbook(path)["Zakupy"].tables["Zakupy"]
    assert table.ref.endswith(str(len(rows) + 1))


def test_decision_made_elsewhere_is_not_undone_by_a_stale_cell(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    # The client's verification was imported into the archive after the workbook was written.
    archive.save_decisions(
        [StaffDecision(numbers[0], CLIENT_NIP, status=STATUS_ACCEPTED, client_decision="Zaakceptowana")]
    )
    # Meanwhile someone commented another invoice in the workbook.
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    ws.cell(row=_row_of(ws, numbers[1]), column=_column(ws, H_COMMENT), value="brak PZ")
    wb.save(path)

    refresh_invoice_workbooks(office)
    rows = {row[H_KSEF]: row for row in sheet_rows(path, "Zakupy")}
    assert rows[numbers[0]][H_STATUS] == STATUS_ACCEPTED
    assert rows[numbers[0]]["Decyzja klienta"] == "Zaakceptowana"
    assert rows[numbers[1]][H_COMMENT] == "brak PZ"
    assert archive.decisions_for(CLIENT_NIP)[numbers[0]].client_decision == "Zaakceptowana"


def test_a_person_wins_over_the_archive_when_both_changed(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    archive.save_decisions([StaffDecision(numbers[0], CLIENT_NIP, status=STATUS_ACCEPTED)])
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    ws.cell(row=_row_of(ws, numbers[0]), column=_column(ws, H_STATUS), value=STATUS_REJECTED)
    wb.save(path)
    refresh_invoice_workbooks(office)
    assert archive.decisions_for(CLIENT_NIP)[numbers[0]].status == STATUS_REJECTED


def test_unknown_status_and_bad_date_are_reported_and_keep_the_previous_value(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    r = _row_of(ws, numbers[0])
    ws.cell(row=r, column=_column(ws, H_STATUS), value="gotowe?")
    ws.cell(row=r, column=_column(ws, H_BOOKED), value="wczoraj")
    ws.cell(row=r, column=_column(ws, H_PERSON), value="Ola")
    wb.save(path)
    report = refresh_invoice_workbooks(office)
    warnings = report.workbooks[0].warnings
    assert any(f"wiersz {r}: nieznany status „gotowe?”" in w for w in warnings), warnings
    assert any(f"wiersz {r}: „wczoraj” w kolumnie „Data księgowania” nie jest datą" in w for w in warnings)
    row = {row[H_KSEF]: row for row in sheet_rows(path, "Zakupy")}[numbers[0]]
    assert row[H_STATUS] == STATUS_NEW and row[H_BOOKED] is None and row[H_PERSON] == "Ola"


def test_status_typed_loosely_and_dates_typed_as_text_are_understood(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    r = _row_of(ws, numbers[0])
    ws.cell(row=r, column=_column(ws, H_STATUS), value="  zaksięgowana ")
    ws.cell(row=r, column=_column(ws, H_BOOKED), value="05.04.2026")
    wb.save(path)
    refresh_invoice_workbooks(office)
    decision = archive.decisions_for(CLIENT_NIP)[numbers[0]]
    assert decision.status == STATUS_BOOKED and decision.booked_on == date(2026, 4, 5)
    assert parse_booked_on(46117) == (date(2026, 4, 5), True)
    assert parse_booked_on("2026-02-30") == (None, False)


def test_duplicated_row_is_kept_as_an_own_row_with_a_warning(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    src = _row_of(ws, numbers[0])
    dst = ws.max_row + 1
    for col in range(1, ws.max_column + 1):
        ws.cell(row=dst, column=col, value=ws.cell(row=src, column=col).value)
    ws.cell(row=dst, column=_column(ws, H_COMMENT), value="kopia")
    wb.save(path)
    report = refresh_invoice_workbooks(office)
    assert any("występuje drugi raz" in w for w in report.workbooks[0].warnings)
    comments = [row[H_COMMENT] for row in sheet_rows(path, "Zakupy") if row[H_KSEF] == numbers[0]]
    assert comments == [None, "kopia"]


def test_missing_ksef_column_stops_the_rewrite(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, _ = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    ws.cell(row=1, column=_column(ws, H_KSEF), value="Numer")
    wb.save(path)
    before = path.read_bytes()
    report = refresh_invoice_workbooks(office)
    message = report.workbooks[0].message or ""
    assert "nie ma kolumny „Numer KSeF”" in message and str(path) in message
    assert not report.ok and path.read_bytes() == before


def test_damaged_workbook_is_not_overwritten(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, _ = written
    path.write_bytes(b"not a zip")
    report = refresh_invoice_workbooks(office)
    assert "Nie można odczytać skoroszytu" in (report.workbooks[0].message or "")
    assert path.read_bytes() == b"not a zip"
    with pytest.raises(UserError):
        read_workbook_work(path)


def test_sheets_staff_added_are_kept(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    notes = wb.create_sheet("Notatki")
    notes["A1"] = "Uzgodnienia z klientem"
    notes["B3"] = 1250.5
    notes["C3"] = "=B3*2"
    notes["A5"] = datetime(2026, 4, 30)
    wb["Zakupy"].title = "Zakupy stare"
    wb.save(path)

    report = refresh_invoice_workbooks(office)
    assert any("nie było arkusza „Zakupy”" in w for w in report.workbooks[0].warnings)
    wb = load_workbook(path)
    assert {"Zakupy", "Sprzedaż", "Podsumowanie", "Notatki", "Zakupy stare"} <= set(wb.sheetnames)
    notes = wb["Notatki"]
    assert notes["A1"].value == "Uzgodnienia z klientem" and notes["B3"].value == 1250.5
    assert notes["C3"].value == "=B3*2" and notes["A5"].value == datetime(2026, 4, 30)
    old = wb["Zakupy stare"]
    ksef_col = [c.value for c in old[1]].index(H_KSEF) + 1  # columns by header, not position
    assert {old.cell(r, ksef_col).value for r in range(2, old.max_row + 1)} == {numbers[0], numbers[1]}
    assert [r[H_KSEF] for r in sheet_rows(path, "Zakupy")] == numbers[:2]


def test_headers_and_sheet_names_compare_without_case(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    ws.title = "tymczasowa"  # openpyxl itself refuses "zakupy" while "Zakupy" exists
    ws.title = "zakupy"
    ws.cell(1, _column(ws, H_COMMENT), "komentarz")  # retyped header: still the staff column
    ws.cell(_row_of(ws, numbers[0]), _column(ws, "komentarz"), "ok")
    extra = ws.max_column + 1
    ws.cell(1, extra, "Uwagi")
    ws.cell(1, extra + 1, "UWAGI")  # outside a table Excel allows it; a table would not
    ws.cell(_row_of(ws, numbers[0]), extra, "a")
    ws.cell(_row_of(ws, numbers[0]), extra + 1, "b")
    wb.create_sheet("PODSUMOWANIE (moje)")
    wb.save(path)

    report = refresh_invoice_workbooks(office)
    assert report.ok, report.messages()
    wb = load_workbook(path)
    assert (
        wb.sheetnames[:3] == ["Zakupy", "Sprzedaż", "Podsumowanie"] and "PODSUMOWANIE (moje)" in wb.sheetnames
    )
    row = {r[H_KSEF]: r for r in sheet_rows(path, "Zakupy")}[numbers[0]]
    assert row[H_COMMENT] == "ok" and row["Uwagi"] == "a" and row["UWAGI (2)"] == "b"
    table = wb["Zakupy"].tables["Zakupy"]
    assert [c.name for c in table.tableColumns][-2:] == ["Uwagi", "UWAGI (2)"]


def test_own_formulas_follow_their_row(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    r = _row_of(ws, numbers[1])
    extra = ws.max_column + 1
    ws.cell(1, extra, "Kontrola")
    ws.cell(1, extra + 1, "Z notatek")
    ws.cell(r, extra, f"=LEN(A{r})&$B$1")
    ws.cell(r, extra + 1, "=Notatki!B3")
    wb.save(path)
    # An earlier invoice arrives: the edited row moves down by one.
    archive_invoices(archive, [purchase("FV/0", date(2026, 3, 1))])
    refresh_invoice_workbooks(office)
    ws = load_workbook(path)["Zakupy"]
    moved = _row_of(ws, numbers[1])
    assert moved == r + 1
    headers = {c.value: c.column for c in ws[1]}
    assert ws.cell(moved, headers["Kontrola"]).value == f"=LEN(A{moved})&$B$1"
    assert ws.cell(moved, headers["Z notatek"]).value == "=Notatki!B3"


def test_a_changed_ksef_number_keeps_the_row_and_restores_the_invoice(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    path, numbers = written
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    r = _row_of(ws, numbers[0])
    ws.cell(r, _column(ws, H_KSEF), numbers[0][:-2] + "00")
    ws.cell(r, _column(ws, H_COMMENT), "uwaga")
    wb.save(path)
    report = refresh_invoice_workbooks(office)
    assert any(
        f"wiersz {r}: faktury o numerze KSeF {numbers[0][:-2]}00 nie ma w archiwum" in w
        for w in report.workbooks[0].warnings
    )
    rows = sheet_rows(path, "Zakupy")
    assert [row[H_KSEF] for row in rows] == [numbers[0], numbers[1], numbers[0][:-2] + "00"]
    assert rows[2][H_COMMENT] == "uwaga" and rows[0][H_COMMENT] is None


def test_a_workbook_with_a_damaged_sheet_is_reported_not_overwritten(
    office: OfficeFolder, archive: Archive, written: tuple[Path, list[str]]
) -> None:
    import zipfile

    path, _ = written
    damaged = path.with_name("damaged.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut in the middle of the rows
            target.writestr(item, data)
    damaged.replace(path)
    before = path.read_bytes()
    archive_invoices(archive, [purchase("FV/9", date(2026, 3, 9))])
    report = refresh_invoice_workbooks(office)
    assert "Nie można odczytać skoroszytu" in (report.workbooks[0].message or "")
    assert path.read_bytes() == before
