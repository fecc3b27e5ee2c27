"""Copies of the archive index (``ksef.sqlite``) in ``kopie/``: taken, rotated, restored.

A copy is made with SQLite's online backup API (consistent even while the index is in use), only
from an index that passes ``quick_check`` and knows itself (a damaged index never pushes good
copies out of the rotation), and is checked again once written. Rotation keeps the
``KEEP_RECENT`` newest copies, and the newest copy of each of the last ``KEEP_DAILY`` days and of
each of the last ``KEEP_WEEKLY`` ISO weeks. A copy is
taken at the end of every fetch and send.

Restoring checks the chosen copy first, then moves the current index (with its WAL files) aside —
it is never deleted — and puts a fresh copy of the backup in its place.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.files import restrict_file
from ksef_sheets.sync.archive_index import (
    ARCHIVE_FORMAT,
    damaged_index_error,
    integrity_problem,
)
from ksef_sheets.text import WARSAW

KEEP_RECENT = 3  # the newest copies, whatever their day: several runs a day each keep a way back
KEEP_DAILY = 7
KEEP_WEEKLY = 4
_NAME = re.compile(r"^ksef-(\d{8}-\d{6})\.sqlite$")


@dataclass(frozen=True)
class Backup:
    path: Path
    taken_at: datetime  # Warsaw time, from the name
    size: int


@dataclass
class BackupResult:
    path: Path
    invoices: int
    removed: list[Path] = field(default_factory=list)


@dataclass
class RestoreResult:
    source: Path
    invoices: int
    set_aside: list[Path] = field(default_factory=list)
    # Staff decisions taken back from invoice workbooks written after the copy (set by the use case).
    decisions_from_workbooks: int = 0


def list_backups(folder: OfficeFolder) -> list[Backup]:
    """The copies in ``kopie/``, newest first."""
    found: list[Backup] = []
    try:
        entries = list(folder.backups_dir.iterdir()) if folder.backups_dir.is_dir() else []
    except OSError:
        entries = []
    for path in entries:
        match = _NAME.match(path.name)
        if not match:
            continue
        try:
            taken = datetime.strptime(match[1], "%Y%m%d-%H%M%S").replace(tzinfo=WARSAW)
            size = path.stat().st_size
        except (ValueError, OSError):
            continue
        found.append(Backup(path, taken, size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def verify_copy(path: Path) -> int:
    """Number of invoices in an index file that is sound and knows itself; ``UserError`` otherwise."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"Kopia bazy archiwum {path} jest nieczytelna; nie została użyta.") from exc
    try:
        if integrity_problem(connection) is not None:
            raise UserError(f"Kopia bazy archiwum {path} jest uszkodzona; nie została użyta.")
        row = connection.execute("SELECT value FROM archive_meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != ARCHIVE_FORMAT:
            raise UserError(f"Plik {path} nie jest kopią bazy archiwum ksef-sheets; nie został użyty.")
        return int(connection.execute("SELECT COUNT(*) FROM invoices").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise UserError(
            f"Kopia bazy archiwum {path} jest uszkodzona lub niepełna; nie została użyta."
        ) from exc
    finally:
        connection.close()


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into a new single-file ``target`` (no WAL beside it)."""
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    restrict_file(target)


def backup_archive(folder: OfficeFolder, *, now: datetime | None = None) -> BackupResult:
    """Copy the index into ``kopie/ksef-RRRRMMDD-GGMMSS.sqlite`` and rotate the old copies."""
    database = folder.database
    if not database.exists() or database.stat().st_size == 0:
        raise UserError(f"Nie ma bazy archiwum {database}, więc nie ma czego skopiować.")
    try:
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            problem = integrity_problem(source)
            row = source.execute("SELECT value FROM archive_meta WHERE key = 'format'").fetchone()
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise damaged_index_error(folder, exc) from exc
    if problem is not None or row is None or row[0] != ARCHIVE_FORMAT:
        raise damaged_index_error(folder, problem or "no marker")
    moment = (now or datetime.now(WARSAW)).astimezone(WARSAW)
    target = folder.backups_dir / f"ksef-{moment:%Y%m%d-%H%M%S}.sqlite"
    tmp = folder.backups_dir / f".{target.name}.{os.getpid()}.kopia.tmp"
    try:
        folder.backups_dir.mkdir(parents=True, exist_ok=True)
        _copy_database(database, tmp)
        invoices = verify_copy(tmp)
        os.replace(tmp, target)
    except sqlite3.DatabaseError as exc:
        raise damaged_index_error(folder, exc) from exc
    except OSError as exc:
        raise UserError(
            f"Nie można zapisać kopii bazy archiwum w {folder.backups_dir}: {os_reason(exc)}."
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return BackupResult(target, invoices, rotate_backups(folder))


def rotate_backups(folder: OfficeFolder) -> list[Path]:
    """Keep the 3 newest copies, the newest of each of the last 7 days and of the last 4 weeks; the removed."""
    backups = list_backups(folder)
    keep: set[Path] = set()
    days: dict[object, Path] = {}
    weeks: dict[object, Path] = {}
    for backup in backups:  # newest first: the first of a day (week) is its newest
        day = backup.taken_at.date()
        week = backup.taken_at.isocalendar()[:2]
        if day not in days and len(days) < KEEP_DAILY:
            days[day] = backup.path
        if week not in weeks and len(weeks) < KEEP_WEEKLY:
            weeks[week] = backup.path
    keep = set(days.values()) | set(weeks.values()) | {b.path for b in backups[:KEEP_RECENT]}
    removed = []
    for backup in backups:
        if backup.path not in keep:
            with contextlib.suppress(OSError):
                backup.path.unlink()
                removed.append(backup.path)
    return removed


def set_aside(folder: OfficeFolder, label: str, *, now: datetime | None = None) -> list[Path]:
    """Move the current index and its WAL files to ``ksef.sqlite.<label>-<time>`` (never deleted)."""
    moment = (now or datetime.now(WARSAW)).astimezone(WARSAW)
    base = folder.database
    aside_name = f"{base.name}.{label}-{moment:%Y%m%d-%H%M%S}"
    moved: list[Path] = []
    for suffix in ("", "-wal", "-shm"):
        current = base.with_name(base.name + suffix)
        if not current.exists():
            continue
        target = base.with_name(aside_name + suffix)
        counter = 2
        while target.exists():
            target = base.with_name(f"{aside_name}-{counter}{suffix}")
            counter += 1
        try:
            os.replace(current, target)
        except OSError as exc:
            raise UserError(f"Nie można odłożyć pliku {current} na bok: {os_reason(exc)}.") from exc
        moved.append(target)
    return moved


def install_index(folder: OfficeFolder, new_index: Path, label: str) -> list[Path]:
    """Put a checked index file in place of the current one, which is moved aside; the moved paths."""
    aside = set_aside(folder, label)
    try:
        os.replace(new_index, folder.database)
    except OSError as exc:
        raise UserError(
            f"Nie można umieścić nowej bazy archiwum w {folder.database}: {os_reason(exc)} "
            f"(poprzednia jest w {aside[0] if aside else 'brak'})."
        ) from exc
    restrict_file(folder.database)
    return aside


def restore_archive(folder: OfficeFolder, source: Path | None = None) -> RestoreResult:
    """Replace the index with a verified copy (the newest in ``kopie/`` unless ``source``)."""
    if source is None:
        backups = list_backups(folder)
        if not backups:
            raise UserError(f"W folderze {folder.backups_dir} nie ma kopii bazy archiwum.")
        source = backups[0].path
    if not source.is_file():
        raise UserError(f"Nie ma pliku kopii {source}.")
    verify_copy(source)
    tmp = folder.root / f".{folder.database.name}.{os.getpid()}.przywracanie.tmp"
    try:
        _copy_database(source, tmp)
        invoices = verify_copy(tmp)
        aside = install_index(folder, tmp, "przed-przywroceniem")
    except sqlite3.DatabaseError as exc:
        raise UserError(f"Kopia bazy archiwum {source} jest nieczytelna; nie została użyta.") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return RestoreResult(source, invoices, aside)
