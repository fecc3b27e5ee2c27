"""A workbook open in Excel: a clear message, the archive still updated, refreshed on the next run."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.files import excel_lock_file
from ksef_sheets.sheets.invoice_columns import H_COMMENT, H_KSEF
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sheet_rows


def test_locked_workbook_message_archive_updated_then_refreshed(
    office: OfficeFolder, archive: Archive
) -> None:
    first = archive_invoices(archive, [purchase("FV/1", date(2026, 5, 2))])
    refresh_invoice_workbooks(office)
    path = office.invoice_workbook(CLIENT_NIP, 2026)

    # Staff saved a comment and still have the file open in Excel (its owner file exists).
    wb = load_workbook(path)
    ws = wb["Zakupy"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=2, column=headers.index(H_COMMENT) + 1, value="sprawdzić z klientem")
    wb.save(path)
    lock = excel_lock_file(path)
    lock.write_bytes(b"owner")
    before = path.read_bytes()
    second = archive_invoices(archive, [purchase("FV/2", date(2026, 5, 3))])

    report = refresh_invoice_workbooks(office)
    result = report.workbooks[0]
    assert result.locked and not result.written and not report.ok
    assert result.message is not None
    assert str(path) in result.message and "otwarty w Excelu" in result.message
    assert "następnym pobraniu" in result.message
    assert path.read_bytes() == before  # untouched
    assert archive.decisions_for(CLIENT_NIP)[first[0]].comment == "sprawdzić z klientem"
    assert not list(path.parent.glob(".*.tmp*")), "no temporary file left behind"

    lock.unlink()
    report = refresh_invoice_workbooks(office)
    assert report.ok and report.workbooks[0].written
    rows = {r[H_KSEF]: r for r in sheet_rows(path, "Zakupy")}
    assert list(rows) == [first[0], second[0]]
    assert rows[first[0]][H_COMMENT] == "sprawdzić z klientem"


def test_libreoffice_lock_file_counts_too(office: OfficeFolder, archive: Archive) -> None:
    archive_invoices(archive, [purchase("FV/1", date(2026, 5, 2))])
    refresh_invoice_workbooks(office)
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    path.with_name(f".~lock.{path.name}#").write_text("owner")
    archive_invoices(archive, [purchase("FV/2", date(2026, 5, 3))])
    assert refresh_invoice_workbooks(office).workbooks[0].locked


def test_a_save_during_the_refresh_is_merged_not_overwritten(
    office: OfficeFolder, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ksef_sheets.sheets import invoice_refresh

    numbers = archive_invoices(archive, [purchase("FV/1", date(2026, 5, 2))])
    refresh_invoice_workbooks(office)
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    real_merge = invoice_refresh.merge_sheets
    calls = []

    def merge_while_someone_saves(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_merge(*args, **kwargs)
        if not calls:  # Excel saves the file after it was read back, before it is replaced
            wb = load_workbook(path)
            ws = wb["Zakupy"]
            headers = [c.value for c in ws[1]]
            ws.cell(row=2, column=headers.index(H_COMMENT) + 1, value="zapisane w trakcie")
            wb.save(path)
        calls.append(1)
        return result

    monkeypatch.setattr(invoice_refresh, "merge_sheets", merge_while_someone_saves)
    archive_invoices(archive, [purchase("FV/2", date(2026, 5, 3))])
    report = refresh_invoice_workbooks(office)
    assert len(calls) == 2 and report.ok
    rows = {r[H_KSEF]: r for r in sheet_rows(path, "Zakupy")}
    assert rows[numbers[0]][H_COMMENT] == "zapisane w trakcie" and len(rows) == 2
    assert archive.decisions_for(CLIENT_NIP)[numbers[0]].comment == "zapisane w trakcie"
    assert not list(path.parent.glob(".*.tmp*"))


def test_after_a_locked_run_a_revert_still_counts_and_imports_still_win(
    office: OfficeFolder, archive: Archive
) -> None:
    from ksef_sheets.sync.archive import StaffDecision

    numbers = archive_invoices(
        archive, [purchase("FV/1", date(2026, 5, 2)), purchase("FV/2", date(2026, 5, 3))]
    )
    refresh_invoice_workbooks(office)
    path = office.invoice_workbook(CLIENT_NIP, 2026)

    def set_comment(value: str | None) -> None:
        wb = load_workbook(path)
        ws = wb["Zakupy"]
        headers = [c.value for c in ws[1]]
        ws.cell(row=2, column=headers.index(H_COMMENT) + 1).value = value  # cell(value=None) would not clear
        wb.save(path)

    lock = excel_lock_file(path)
    lock.write_bytes(b"owner")  # open in Excel for days
    set_comment("do wyjaśnienia")
    assert refresh_invoice_workbooks(office).workbooks[0].locked
    assert archive.decisions_for(CLIENT_NIP)[numbers[0]].comment == "do wyjaśnienia"
    # The client's answer arrives for the other invoice; the person clears the comment.
    archive.save_decisions([StaffDecision(numbers[1], CLIENT_NIP, status="Zaakceptowana")])
    set_comment(None)
    lock.unlink()

    assert refresh_invoice_workbooks(office).workbooks[0].written
    rows = {r[H_KSEF]: r for r in sheet_rows(path, "Zakupy")}
    assert rows[numbers[0]][H_COMMENT] is None
    assert archive.decisions_for(CLIENT_NIP)[numbers[0]].comment is None
    assert rows[numbers[1]]["Status"] == "Zaakceptowana"
    assert not list(path.parent.glob(".*.stan.json"))
