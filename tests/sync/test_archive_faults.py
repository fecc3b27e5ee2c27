"""The archive knows itself (issue 18): a lost or damaged index never costs anyone's work.

One small office is fetched from the emulator over loopback HTTP, its invoice workbooks get staff
edits, and that clean state is copied for each fault. Each fault is one a real office meets: an
empty index (D1), a truncated one, one overwritten page (D2), a lost WAL, a deleted archive file.
Every command either works or says one Polish sentence; after ``archive rebuild`` the archive
equals the clean one (KSeF numbers, hashes, decisions) and the next fetch finds nothing new.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP, demo_seed_office
from ksef_sheets.emulator import Emulator, RunningEmulator, run_emulator
from ksef_sheets.emulator import seed as seeding
from ksef_sheets.errors import UserError
from ksef_sheets.sheets.invoice_columns import H_BOOKED, H_COMMENT, H_KSEF, H_PERSON, H_STATUS
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sync.archive import Archive
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import (
    backup_office_archive,
    check_office_archive,
    export_client_list,
    fetch_invoices,
    rebuild_office_archive,
    restore_office_archive,
)

PASSPHRASE = "hasło-testowe-sejfu"
STAFF = (H_STATUS, H_COMMENT, H_BOOKED, H_PERSON)


@dataclass
class CleanOffice:
    folder: OfficeFolder
    running: RunningEmulator
    truth: dict[tuple[str, str], str]  # (NIP, KSeF number) -> SHA-256
    decisions: dict[tuple[str, str], tuple[Any, ...]]
    staff_cells: dict[Path, dict[str, tuple[Any, ...]]]
    edited: list[tuple[Path, str]]  # (workbook, KSeF number) of rows a person edited


def _fetch(folder: OfficeFolder, running: RunningEmulator) -> Any:
    report = asyncio.run(fetch_invoices(folder, base_url=running.base_url, update_register=False))
    refresh = refresh_invoice_workbooks(folder)
    return report, refresh


def _snapshot(
    folder: OfficeFolder,
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], tuple[Any, ...]]]:
    truth: dict[tuple[str, str], str] = {}
    decisions: dict[tuple[str, str], tuple[Any, ...]] = {}
    with Archive.open(folder) as archive:
        for nip, _subject in archive.count_invoices():
            for invoice in archive.list_invoices(nip):
                truth[(nip, invoice.ksef_number)] = invoice.sha256
            for number, d in archive.decisions_for(nip).items():
                decisions[(nip, number)] = (d.status, d.comment, d.booked_on, d.person)
    return truth, decisions


def _staff_cells(folder: OfficeFolder) -> dict[Path, dict[str, tuple[Any, ...]]]:
    cells: dict[Path, dict[str, tuple[Any, ...]]] = {}
    for path in sorted(folder.clients_dir.glob("*/faktury-*.xlsx")):
        workbook = load_workbook(path, read_only=True)
        rows: dict[str, tuple[Any, ...]] = {}
        for name in ("Zakupy", "Sprzedaż"):
            sheet = list(workbook[name].iter_rows(values_only=True))
            header = list(sheet[0])
            for row in sheet[1:]:
                number = row[header.index(H_KSEF)]
                if number:
                    rows[number] = tuple(row[header.index(h)] for h in STAFF)
        workbook.close()
        cells[path] = rows
    return cells


def _edit_as_staff(path: Path, count: int) -> list[str]:
    workbook = load_workbook(path)
    sheet = workbook["Zakupy"]
    header = [c.value for c in sheet[1]]
    edited = []
    for row in range(2, 2 + count):
        sheet.cell(row, header.index(H_STATUS) + 1).value = "Zaakceptowana"
        sheet.cell(row, header.index(H_COMMENT) + 1).value = f"sprawdzone, wiersz {row}"
        sheet.cell(row, header.index(H_PERSON) + 1).value = "Anna"
        sheet.cell(row, header.index(H_BOOKED) + 1).value = date(2026, 4, row % 28 + 1)
        edited.append(sheet.cell(row, header.index(H_KSEF) + 1).value)
    workbook.save(path)
    return edited


@pytest.fixture(scope="module")
def clean_office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CleanOffice]:
    state = tmp_path_factory.mktemp("seeded-small") / "emulator"
    emu = Emulator(state)
    try:
        info = seeding.seed(emu, office=demo_seed_office(), seed=11, clients=2, invoices_per_client=60)
    finally:
        emu.close()
    with pytest.MonkeyPatch.context() as mp, run_emulator(state) as running:
        mp.setenv(PASSPHRASE_ENV, PASSPHRASE)
        folder = OfficeFolder(tmp_path_factory.mktemp("clean") / "biuro")
        folder.save_config(
            OfficeConfig(
                office_nip=DEMO_OFFICE_NIP,
                office_name=DEMO_OFFICE_NAME,
                clients=[c.nip for c in info.clients],
                fetch_from="2026-01-15",
            )
        )
        vault = Vault.open(folder, PASSPHRASE)
        for client in info.clients:
            vault.add_token(client.nip, client.token)
        first, refresh = _fetch(folder, running)
        assert first.problems == [] and first.new > 0
        # D8: a first fetch into an empty archive saves no staff edits.
        assert "zapisanych zmian pracowników: 0." in refresh.summary_lines()[0]
        workbook = next(p for p in sorted(folder.clients_dir.glob("*/faktury-*.xlsx")))
        edited = [(workbook, n) for n in _edit_as_staff(workbook, 4)]
        second, refresh = _fetch(folder, running)
        assert second.new == 0
        # D8: exactly the four edited rows are counted, not the invoices' first statuses.
        assert "zapisanych zmian pracowników: 4." in refresh.summary_lines()[0]
        _third, refresh = _fetch(folder, running)
        assert "zapisanych zmian pracowników: 0." in refresh.summary_lines()[0]
        truth, decisions = _snapshot(folder)
        assert all(decisions[(workbook.parent.name, n)][0] == "Zaakceptowana" for _, n in edited)
        yield CleanOffice(folder, running, truth, decisions, _staff_cells(folder), edited)


@pytest.fixture
def office_copy(
    clean_office: CleanOffice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], OfficeFolder]:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)

    def make() -> OfficeFolder:
        target = tmp_path / "biuro"
        shutil.copytree(clean_office.folder.root, target)
        return OfficeFolder(target)

    return make


# --------------------------------------------------------------------------------------------
# Faults


def _empty(folder: OfficeFolder) -> None:  # D1, exactly as reported
    folder.database.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        folder.database.with_name(folder.database.name + suffix).unlink(missing_ok=True)


def _truncated(folder: OfficeFolder) -> None:
    data = folder.database.read_bytes()
    folder.database.write_bytes(data[: len(data) // 3])


def _corrupted_page(folder: OfficeFolder) -> None:  # D2: one page overwritten
    data = bytearray(folder.database.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    pages = len(data) // page
    target = pages // 2 if pages > 2 else 1
    data[target * page : (target + 1) * page] = b"\x5a" * page
    folder.database.write_bytes(bytes(data))


def _missing_wal(folder: OfficeFolder) -> None:
    for suffix in ("-wal", "-shm"):
        folder.database.with_name(folder.database.name + suffix).unlink(missing_ok=True)


def _deleted_file(folder: OfficeFolder) -> None:
    next(iter(sorted(folder.archive_dir.rglob("*-*.xml")))).unlink()


FAULTS = {
    "empty": _empty,
    "truncated": _truncated,
    "corrupted-page": _corrupted_page,
    "missing-wal": _missing_wal,
    "deleted-file": _deleted_file,
}


def _one_sentence(text: str) -> None:
    assert "Traceback" not in text and "sqlite3" not in text
    assert text.strip() and "\n" not in text.strip()


def _works_or_one_sentence(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except UserError as exc:
        _one_sentence(str(exc))
        return exc


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_command_works_or_says_one_sentence_and_rebuild_restores_the_clean_archive(
    fault: str,
    clean_office: CleanOffice,
    office_copy: Callable[[], OfficeFolder],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = office_copy()
    xml_before = {p: p.read_bytes() for p in folder.archive_dir.rglob("*.xml")}
    workbooks_before = {p: p.read_bytes() for p in folder.clients_dir.glob("*/faktury-*.xlsx")}
    FAULTS[fault](folder)
    nip = clean_office.edited[0][0].parent.name

    fetched = _works_or_one_sentence(lambda: _fetch(folder, clean_office.running))
    if fault in ("empty", "truncated", "corrupted-page"):
        assert isinstance(fetched, UserError) and "archive rebuild" in str(fetched)
        # Nothing was re-created or overwritten: files and staff work are as they were.
        assert {p: p.read_bytes() for p in folder.clients_dir.glob("*/faktury-*.xlsx")} == workbooks_before
        assert all(p.read_bytes() == data for p, data in xml_before.items() if p.exists())
    _works_or_one_sentence(lambda: export_client_list(folder, nip, "2026-03", pdf=False, email=False))
    capsys.readouterr()
    code = main(["archive", "check", "--dir", str(folder.root)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if fault != "missing-wal":
        assert code == 1 and "archive rebuild" in out + err

    report = rebuild_office_archive(folder)
    assert report.invoices > 0 and list(folder.root.glob("ksef.sqlite.przed-odbudowa-*"))
    if fault == "deleted-file":
        # The rebuilt index lacks the deleted invoice; the next fetch takes it from KSeF again.
        fetched, _ = _fetch(folder, clean_office.running)
        assert fetched.new == 1
    assert check_office_archive(folder).ok, check_office_archive(folder).problems
    truth, decisions = _snapshot(folder)
    assert truth == clean_office.truth
    assert decisions == clean_office.decisions
    again, refresh = _fetch(folder, clean_office.running)
    assert again.problems == [] and again.new == 0
    assert "zapisanych zmian pracowników: 0." in refresh.summary_lines()[0]
    assert _staff_cells(folder) == {
        folder.root / p.relative_to(clean_office.folder.root): rows
        for p, rows in clean_office.staff_cells.items()
    }


def test_d1_cli_fetch_refuses_an_empty_index_and_changes_nothing(
    clean_office: CleanOffice, office_copy: Callable[[], OfficeFolder], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = office_copy()
    _empty(folder)
    before = {p: p.read_bytes() for p in folder.clients_dir.glob("*/faktury-*.xlsx")}
    capsys.readouterr()
    assert (
        main(
            [
                "export",
                "--client",
                clean_office.edited[0][0].parent.name,
                "--month",
                "2026-03",
                "--dir",
                str(folder.root),
                "--no-pdf",
            ]
        )
        == 1
    )
    _out, err = capsys.readouterr()
    _one_sentence(err.removeprefix("Błąd: "))
    assert "archive rebuild" in err and folder.database.stat().st_size == 0
    assert {p: p.read_bytes() for p in folder.clients_dir.glob("*/faktury-*.xlsx")} == before


def test_staff_cells_survive_an_index_that_forgot_them_and_a_restore_from_an_older_copy(
    clean_office: CleanOffice, office_copy: Callable[[], OfficeFolder]
) -> None:
    """Issue 18 item 3: a workbook value the archive has no (or an older) decision for is adopted."""
    folder = office_copy()
    assert list(folder.backups_dir.glob("ksef-*.sqlite"))  # every fetch leaves a copy
    with Archive.open(folder) as archive:
        archive._db.execute("DELETE FROM decisions")  # the index "forgot" every decision
    again, _refresh = _fetch(folder, clean_office.running)
    assert again.new == 0
    assert _snapshot(folder)[1] == clean_office.decisions
    assert _staff_cells(folder) == _relocated(clean_office, folder)

    # A copy taken before the staff edits: their rows still "Nowa", decided long ago.
    edited = [n for _, n in clean_office.edited]
    marks = ",".join("?" * len(edited))
    with Archive.open(folder) as archive:
        archive._db.execute(
            "UPDATE decisions SET status = 'Nowa', comment = NULL, person = NULL, booked_on = NULL, "
            f"updated_at = '2026-01-02T00:00:00.000000+00:00' WHERE ksef_number IN ({marks})",
            edited,
        )
    old_copy = backup_office_archive(folder).path
    restored = restore_office_archive(folder, old_copy)
    assert restored.invoices == len(clean_office.truth) and restored.set_aside
    assert restored.decisions_from_workbooks == len(edited)
    assert _snapshot(folder)[1] == clean_office.decisions
    again, _refresh = _fetch(folder, clean_office.running)
    assert again.new == 0 and _staff_cells(folder) == _relocated(clean_office, folder)


def _relocated(clean: CleanOffice, folder: OfficeFolder) -> dict[Path, dict[str, tuple[Any, ...]]]:
    return {folder.root / p.relative_to(clean.folder.root): rows for p, rows in clean.staff_cells.items()}
