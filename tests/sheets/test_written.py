"""A workbook nobody saved since the toolkit wrote it is not read back (``invoice_written``)."""

from __future__ import annotations

import json
from datetime import date, datetime

from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets.invoice_columns import H_COMMENT, H_KSEF, STATUS_ACCEPTED
from ksef_sheets.sheets.invoice_readback import read_workbook_work
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sheets.invoice_written import read_work, written_path
from ksef_sheets.sync.archive import Archive, StaffDecision
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale


def _comment_cell(path, number: str):  # type: ignore[no-untyped-def]
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[headers.index(H_KSEF)].value == number:
            return wb, row[headers.index(H_COMMENT)]
    raise AssertionError(number)


def test_what_was_written_stands_in_for_the_file_until_someone_saves_it(
    office: OfficeFolder, archive: Archive
) -> None:
    numbers = archive_invoices(
        archive,
        [
            purchase("FV/1", date(2026, 3, 2)),
            purchase("FV/2", date(2026, 3, 3)),
            sale("S/1", date(2026, 3, 4)),
        ],
    )
    archive.save_decisions(
        [
            StaffDecision(
                numbers[0],
                CLIENT_NIP,
                status=STATUS_ACCEPTED,
                comment="=SUMA(A1)\x01 sprawdzone",
                booked_on=date(2026, 4, 2),
                person="Ala",
                client_decision="Zaakceptowana",
                client_remark="OK",
            ),
            StaffDecision(numbers[1], CLIENT_NIP, status="Status spoza listy", comment="   "),
        ]
    )
    assert refresh_invoice_workbooks(office).ok
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    assert written_path(path).exists()

    # Exactly what reading the file gives: staff fields, values, row numbers, warnings, snapshot.
    from_file = read_workbook_work(path)
    assert from_file.sheets and from_file.snapshot
    assert any("Status spoza listy" in w for w in from_file.warnings)
    assert read_work(path) == from_file

    # It is what is used: a value changed in it shows (the workbook is not opened).
    kept = json.loads(written_path(path).read_text(encoding="utf-8"))
    kept["sheets"]["Zakupy"][0][2] = "z zapisu"
    written_path(path).write_text(json.dumps(kept), encoding="utf-8")
    assert next(iter(read_work(path).sheets.values())).staff[numbers[0]].comment == "z zapisu"

    # A person saves the workbook: the file is read, their edit comes back.
    wb, cell = _comment_cell(path, numbers[0])
    cell.value = "poprawione w Excelu"
    wb.save(path)
    work = read_work(path)
    assert work == read_workbook_work(path)
    assert next(iter(work.sheets.values())).staff[numbers[0]].comment == "poprawione w Excelu"

    # The refresh after that save keeps the edit; the next one (nobody saved) reads nothing and agrees.
    assert refresh_invoice_workbooks(office, force=True).ok
    wb, cell = _comment_cell(path, numbers[0])
    assert cell.value == "poprawione w Excelu"
    assert read_work(path) == read_workbook_work(path)


def test_a_workbook_with_a_persons_own_column_is_always_read(office: OfficeFolder, archive: Archive) -> None:
    (number,) = archive_invoices(archive, [purchase("FV/1", date(2026, 3, 2))])
    assert refresh_invoice_workbooks(office).ok
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    wb, cell = _comment_cell(path, number)
    ws = wb["Zakupy"]
    ws.cell(row=1, column=ws.max_column + 1, value="Konto")
    ws.cell(row=cell.row, column=ws.max_column, value=datetime(2026, 5, 1))
    wb.save(path)
    assert refresh_invoice_workbooks(office, force=True).ok
    assert not written_path(path).exists()
    work = read_work(path)
    assert work == read_workbook_work(path) and next(iter(work.sheets.values())).extra_headers == ["Konto"]
