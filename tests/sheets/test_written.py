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


def test_the_quick_reading_of_kept_values_is_the_read_back() -> None:
    """``_read_kept_sheet`` and ``_read_kept_snapshot`` give what the read-back code gives for the
    same values, for rows as written and for every kind of odd row (read by the read-back itself)."""
    import itertools
    import random
    from pathlib import Path

    from ksef_sheets.sheets.invoice_columns import SNAPSHOT_HEADERS, STATUSES, Register
    from ksef_sheets.sheets.invoice_readback import _read_sheet, _read_snapshot
    from ksef_sheets.sheets.invoice_written import _as_cells, _read_kept_sheet, _read_kept_snapshot

    usual = [
        [f"5210537039-20260301-{i:012X}-00", STATUSES[i % len(STATUSES)], None, None, None, None, None]
        for i in range(6)
    ]
    usual[1][2:] = ["uwaga", "2026-04-02", "Ala", "Zaakceptowana", "OK"]
    odd_values = {
        0: [None, "", " ", " 5210537039-20260301-000000000000-00", usual[0][0]],
        1: [None, "", "nowa", " Nowa", "Status spoza listy", "Zaksięgowana  "],
        2: [" ", "\t", " z odstępem "],
        3: ["2026-02-30", "02.04.2026", "2026-4-2", "2026-04-02 "],
        4: ["  "],
        5: [" "],
        6: ["\u00a0"],
    }
    path = Path("faktury-2026.xlsx")
    checked = 0
    for column, values in odd_values.items():
        for value, where in itertools.product(values, (0, 3, 5)):
            rows = [list(row) for row in usual]
            rows[where][column] = value
            try:
                expected = _read_sheet(path, Register.PURCHASES, _as_cells(rows))
            except ValueError:  # a date the kept file cannot hold; both refuse it alike
                continue
            assert _read_kept_sheet(path, Register.PURCHASES, rows) == expected, (column, value, where)
            checked += 1
    assert checked > 40
    assert _read_kept_sheet(path, Register.SALES, usual) == _read_sheet(
        path, Register.SALES, _as_cells(usual)
    )

    rng = random.Random(5)
    pool = [None, "", " ", "Nowa", "nowa", "x", "2026-04-02", "2026-02-30", "02.04.2026", "Ala", "  uwaga "]
    for _ in range(300):
        rows = [tuple(SNAPSHOT_HEADERS)]
        for _ in range(rng.randrange(1, 6)):
            rows.append(
                (
                    rng.choice(["Zakupy", "Sprzedaż"]),
                    rng.choice([None, "K1", "K2", " K1"]),
                    *(rng.choice(pool) for _ in range(4)),
                )
            )
        assert _read_kept_snapshot(rows) == _read_snapshot(rows), rows


def test_a_damaged_record_of_what_was_written_costs_only_a_read_of_the_file(
    office: OfficeFolder, archive: Archive
) -> None:
    numbers = archive_invoices(archive, [purchase("FV/1", date(2026, 3, 2)), sale("S/1", date(2026, 3, 4))])
    archive.save_decisions(
        [StaffDecision(numbers[0], CLIENT_NIP, status=STATUS_ACCEPTED, booked_on=date(2026, 4, 2))]
    )
    assert refresh_invoice_workbooks(office).ok
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    kept = json.loads(written_path(path).read_text(encoding="utf-8"))
    assert kept["sheets"]["Zakupy"][0][3] == "2026-04-02"
    for damaged in ("2026-02-30", "2026-13-01"):  # shaped like a day, but none
        kept["sheets"]["Zakupy"][0][3] = damaged
        kept["snapshot"]["Zakupy"][0][3] = damaged
        written_path(path).write_text(json.dumps(kept), encoding="utf-8")
        work = read_work(path)
        assert work == read_workbook_work(path)
        assert next(iter(work.sheets.values())).staff[numbers[0]].booked_on == date(2026, 4, 2)
