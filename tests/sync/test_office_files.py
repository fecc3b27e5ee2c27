"""Issue 18 D6, D7 and the index's refusal at the library level (fast, no emulator).

D6: a write killed half-way leaves a hidden temp file; the next run removes it (and only it).
D7: one permission policy for everything in the office folder — owner-only by default, group mode
when ``folder_access = "group"``.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP
from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_write_bytes, clean_interrupted_writes, set_folder_access
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sync.archive import Archive
from ksef_sheets.sync.backup import backup_archive, list_backups, rotate_backups
from ksef_sheets.sync.runtime import log_to_file

from .test_archive import CLIENT, ksef_number, metadata_for, xml_for

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture(autouse=True)
def _restore_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    set_folder_access("owner")
    os.umask(previous)


def _office(root: Path, **options: object) -> OfficeFolder:
    folder = OfficeFolder(root / "biuro")
    folder.save_config(
        OfficeConfig(office_nip=DEMO_OFFICE_NIP, office_name=DEMO_OFFICE_NAME, clients=[CLIENT], **options)  # type: ignore[arg-type]
    )
    folder.load_config()
    return folder


def _store_one(folder: OfficeFolder, i: int = 1) -> Path:
    number = ksef_number(i)
    xml = xml_for(i)
    with Archive.open(folder) as archive:
        archive.add_invoice(CLIENT, "Subject2", number, xml, metadata_for(number, xml))
        return archive.xml_path(CLIENT, number)


def _killed_write(target: Path) -> Path:
    """A process that dies (SIGKILL) inside ``atomic_path``: what it leaves beside ``target``."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pathlib import Path
        from ksef_sheets.files import atomic_path
        with atomic_path(Path({str(target)!r})) as tmp:
            print(tmp, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == -signal.SIGKILL
    left = Path(done.stdout.strip())
    assert left.exists() and left.stat().st_size == 0
    return left


@posix_only
def test_d6_a_killed_workbook_write_leaves_nothing_after_the_next_run(tmp_path: Path) -> None:
    folder = _office(tmp_path)
    client_dir = folder.client_dir(CLIENT)
    client_dir.mkdir(parents=True)
    killed = _killed_write(client_dir / "faktury-2026.xlsx")
    killed_office = _killed_write(folder.office_workbook)
    assert killed.name.startswith(".faktury-2026.xlsx.") and killed.name.endswith(".tmp.xlsx")
    # An older leftover without a process id, and one being written right now by a live process.
    old = client_dir / ".faktury-2025.xlsx._7gbm1234.tmp.xlsx"
    old.write_bytes(b"")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    live = client_dir / f".faktury-2024.xlsx.{os.getpid()}.abcd1234.tmp.xlsx"
    live.write_bytes(b"")
    fresh = client_dir / ".faktury-2023.xlsx._fresh123.tmp.xlsx"
    fresh.write_bytes(b"")
    kept = client_dir / ".faktury-2026.xlsx.stan.json"
    kept.write_text("{}")

    refresh_invoice_workbooks(folder)  # the next run
    assert not killed.exists() and not killed_office.exists() and not old.exists()
    assert live.exists() and fresh.exists() and kept.exists()


@posix_only
def test_d6_archive_temp_files_of_a_killed_fetch_are_removed(tmp_path: Path) -> None:
    folder = _office(tmp_path)
    path = _store_one(folder)
    leftover = path.with_name(f".{path.name}.999999999.123.tmp")  # no such process
    leftover.write_bytes(b"<Faktura")
    assert clean_interrupted_writes(folder.archive_dir, recursive=True) == [leftover]
    assert path.exists()


@posix_only
def test_d7_everything_in_the_office_folder_is_owner_only_by_default(tmp_path: Path) -> None:
    os.umask(0o022)  # what a typical session has
    folder = _office(tmp_path)
    xml = _store_one(folder)
    with log_to_file(folder, "pobieranie.log"):
        pass
    atomic_write_bytes(folder.client_dir(CLIENT) / "faktury-2026.xlsx", b"x")
    backup = backup_archive(folder).path
    files = [
        folder.database,
        folder.database.with_name("ksef.sqlite-wal"),
        xml,
        folder.client_archive_dir(CLIENT) / "metadane-ksef.jsonl",
        folder.logs_dir / "pobieranie.log",
        folder.client_dir(CLIENT) / "faktury-2026.xlsx",
        folder.config_path,
        backup,
    ]
    dirs = [folder.archive_dir, xml.parent, folder.logs_dir, folder.backups_dir, folder.client_dir(CLIENT)]
    with Archive.open(folder):  # the index and its WAL exist while it is open
        for path in files:
            assert path.exists(), path
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in dirs:
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path


@posix_only
def test_d7_group_mode_for_a_shared_folder(tmp_path: Path) -> None:
    os.umask(0o022)
    folder = _office(tmp_path, folder_access="group")
    xml = _store_one(folder)
    atomic_write_bytes(folder.client_dir(CLIENT) / "faktury-2026.xlsx", b"x")
    assert stat.S_IMODE(folder.database.stat().st_mode) == 0o660
    assert stat.S_IMODE(xml.stat().st_mode) == 0o660
    assert stat.S_IMODE(xml.parent.stat().st_mode) == 0o770
    assert stat.S_IMODE((folder.client_dir(CLIENT) / "faktury-2026.xlsx").stat().st_mode) == 0o660


def test_d1_an_empty_index_beside_invoice_files_is_refused_and_left_alone(tmp_path: Path) -> None:
    folder = _office(tmp_path)
    _store_one(folder)
    folder.database.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        folder.database.with_name("ksef.sqlite" + suffix).unlink(missing_ok=True)
    with pytest.raises(UserError, match="archive rebuild"):
        Archive.open(folder)
    assert folder.database.stat().st_size == 0
    folder.database.unlink()  # a deleted index: the same
    with pytest.raises(UserError, match="archive rebuild"):
        Archive.open(folder)
    assert not folder.database.exists()


def test_d1_an_index_beside_invoice_workbooks_only_is_refused(tmp_path: Path) -> None:
    folder = _office(tmp_path)
    workbook = folder.invoice_workbook(CLIENT, 2026)
    workbook.parent.mkdir(parents=True)
    workbook.write_bytes(b"PK")
    with pytest.raises(UserError, match="pracę pracowników"):
        Archive.open(folder)


def test_d2_a_damaged_page_is_one_sentence_from_any_method(tmp_path: Path) -> None:
    folder = _office(tmp_path)
    for i in range(1, 300):
        _store_one(folder, i)
    data = bytearray(folder.database.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[3 * page : 4 * page] = b"\xa5" * page
    folder.database.write_bytes(bytes(data))
    with pytest.raises(UserError) as caught:
        Archive.open(folder)
    assert "uszkodzona" in str(caught.value) and "archive rebuild" in str(caught.value)


def test_a_brand_new_office_still_gets_its_index(tmp_path: Path) -> None:
    folder = _office(tmp_path)
    with Archive.open(folder) as archive:
        assert archive.count_invoices() == {}


def test_backups_rotate_seven_days_and_four_weeks(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from ksef_sheets.text import WARSAW

    folder = _office(tmp_path)
    _store_one(folder)
    start = datetime(2026, 10, 1, 18, 0, tzinfo=WARSAW)
    for day in range(60):
        for hour in (8, 20):
            backup_archive(folder, now=start + timedelta(days=day, hours=hour - 18))
    kept = list_backups(folder)
    days = {b.taken_at.date() for b in kept}
    newest = start + timedelta(days=59, hours=2)
    # The 3 newest (two of them from the last day), then one a day, then one a week.
    assert [b.taken_at for b in kept[:3]] == [
        newest,
        newest - timedelta(hours=12),
        newest - timedelta(hours=24),
    ]
    assert len(kept) == len(days) + 1 <= 7 + 4 + 1
    assert sorted(days)[-7:] == [(newest - timedelta(days=d)).date() for d in range(6, -1, -1)]
    assert len({b.taken_at.isocalendar()[:2] for b in kept}) >= 4
    assert rotate_backups(folder) == []


@posix_only
def test_d7_archive_check_names_files_from_before_the_policy(tmp_path: Path) -> None:
    from ksef_sheets.sync.integrity import check_archive

    folder = _office(tmp_path)
    xml = _store_one(folder)
    assert not any("uprawnienia" in n for n in check_archive(folder).notes)
    os.chmod(xml, 0o644)  # as older versions created them
    report = check_archive(folder)
    assert any("szersze uprawnienia" in n and str(xml) in n for n in report.notes)


def test_archive_commands_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from ksef_sheets.cli import main

    folder = _office(tmp_path)
    for i in range(1, 4):
        _store_one(folder, i)
    root = str(folder.root)
    capsys.readouterr()
    assert main(["archive", "backup", "--dir", root]) == 0
    out = capsys.readouterr().out
    assert "Kopia bazy archiwum (3 faktury)" in out and str(folder.backups_dir) in out
    assert main(["archive", "rebuild", "--json", "--dir", root]) == 0
    rebuilt = json.loads(capsys.readouterr().out)
    assert rebuilt["invoices"] == 3 and rebuilt["from_log"] == 3 and rebuilt["set_aside"]
    assert main(["archive", "check", "--json", "--dir", root]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["ok"] and checked["invoices"] == checked["files"] == 3 and checked["checkpoints"] == 1
    assert main(["archive", "restore", "--dir", root]) == 0
    out = capsys.readouterr().out
    assert "Przywrócono bazę archiwum z kopii" in out and "odłożona" in out
    assert list(folder.root.glob("ksef.sqlite.przed-przywroceniem-*"))
    # A copy that is not an archive is refused before anything is replaced.
    bogus = tmp_path / "nie-kopia.sqlite"
    bogus.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    before = folder.database.read_bytes()
    assert main(["archive", "restore", "--from", str(bogus), "--dir", root]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Błąd: ") and ("nie została użyta" in err or "nie został użyty" in err)
    assert folder.database.read_bytes() == before

    # The command line's net: a raw SQLite error from any part is the archive's one sentence.
    import sqlite3

    def broken(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr("ksef_sheets.cli.archive.check_office_archive", broken)
    assert main(["archive", "check", "--dir", root]) == 1
    err = capsys.readouterr().err
    assert "archive rebuild --dir " + root in err and "malformed" not in err and "Traceback" not in err
