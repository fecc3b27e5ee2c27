"""``archive check``: does the index agree with the files, and can the next fetch trust it?

Compared: every index row has its XML file with the same SHA-256; every invoice file in
``archiwum/`` has its row; every staff decision belongs to an archived invoice; every client and
subject type with fetched invoices has a checkpoint. Reported besides: interrupted fetch windows
(the next fetch resumes them) and leftovers of interrupted writes.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.files import file_mode, is_interrupted_write
from ksef_sheets.identifiers import is_valid_ksef_number, is_valid_nip
from ksef_sheets.sync.archive_index import ARCHIVE_FORMAT, integrity_problem, rebuild_hint
from ksef_sheets.sync.archive_values import _path_in, sha256_b64
from ksef_sheets.text import count


@dataclass
class CheckReport:
    database: Path
    invoices: int = 0
    files: int = 0
    decisions: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary_lines(self) -> list[str]:
        lines = [
            f"Archiwum: {count(self.invoices, 'faktura', 'faktury', 'faktur')} w indeksie, "
            f"{count(self.files, 'plik', 'pliki', 'plików')} XML, "
            f"{count(self.decisions, 'decyzja', 'decyzje', 'decyzji')} pracowników, "
            f"{count(self.checkpoints, 'punkt', 'punkty', 'punktów')} kontrolnych pobierania."
        ]
        if self.ok:
            lines.append("Wynik: archiwum jest spójne.")
        else:
            lines.append(f"Wynik: {count(len(self.problems), 'problem', 'problemy', 'problemów')}.")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "database": str(self.database),
            "ok": self.ok,
            "invoices": self.invoices,
            "files": self.files,
            "decisions": self.decisions,
            "checkpoints": self.checkpoints,
            "problems": list(self.problems),
            "notes": list(self.notes),
        }


MAX_LISTED = 20  # problems of one kind listed one by one; the rest as a count


def _listed(report: CheckReport, items: list[str], more: str) -> None:
    report.problems += items[:MAX_LISTED]
    if len(items) > MAX_LISTED:
        report.problems.append(more.format(n=len(items) - MAX_LISTED))


def invoice_files(folder: OfficeFolder) -> dict[tuple[str, str], Path]:
    """(NIP, KSeF number) → file, for every invoice file in ``archiwum/`` (UPOs and temp files aside)."""
    found: dict[tuple[str, str], Path] = {}
    root = folder.archive_dir
    if not root.is_dir():
        return found
    for client_dir in root.iterdir():
        if not client_dir.is_dir() or not is_valid_nip(client_dir.name):
            continue
        for path in client_dir.rglob("*.xml"):
            name = path.name
            if name.startswith(".") or name.endswith(".upo.xml"):
                continue
            if is_valid_ksef_number(name[:-4]):
                found[(client_dir.name, name[:-4])] = path
    return found


def check_archive(folder: OfficeFolder) -> CheckReport:
    report = CheckReport(folder.database)
    files = invoice_files(folder)
    report.files = len(files)
    database = folder.database
    hint = rebuild_hint(folder)
    if not database.exists() or database.stat().st_size == 0:
        if files:
            report.problems.append(
                f"Baza archiwum {database} jest pusta albo jej nie ma, a archiwum ma "
                f"{count(report.files, 'plik', 'pliki', 'plików')} faktur; odtwórz ją poleceniem: {hint}."
            )
        else:
            report.notes.append("Biuro nie ma jeszcze archiwum (żadnej pobranej faktury).")
        return report
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        report.problems.append(f"Baza archiwum {database} jest nieczytelna; odtwórz ją poleceniem: {hint}.")
        return report
    try:
        _check_database(folder, connection, files, report)
    except sqlite3.DatabaseError as exc:
        report.problems.append(
            f"Baza archiwum {database} jest uszkodzona ({exc}); odtwórz ją poleceniem: {hint}."
        )
    finally:
        connection.close()
    _permission_note(folder, files, report)
    leftovers = [p for p in folder.root.rglob(".*.tmp*") if p.is_file() and is_interrupted_write(p)]
    if leftovers:
        report.notes.append(
            f"Pozostałości przerwanych zapisów: {len(leftovers)} (np. {leftovers[0]}); "
            "usunie je następne pobranie."
        )
    return report


def _check_database(
    folder: OfficeFolder, db: sqlite3.Connection, files: dict[tuple[str, str], Path], report: CheckReport
) -> None:
    hint = rebuild_hint(folder)
    problem = integrity_problem(db)
    if problem is not None:
        report.problems.append(
            f"Baza archiwum {folder.database} jest uszkodzona ({problem}); odtwórz ją poleceniem: {hint}."
        )
        return
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    marker = None
    if "archive_meta" in tables:
        row = db.execute("SELECT value FROM archive_meta WHERE key = 'format'").fetchone()
        marker = row[0] if row else None
    if marker != ARCHIVE_FORMAT and "invoices" not in tables:
        report.problems.append(
            f"Baza {folder.database} nie jest indeksem archiwum ksef-sheets (brak znacznika); "
            f"odtwórz ją poleceniem: {hint}."
        )
        return
    if marker != ARCHIVE_FORMAT:
        report.notes.append(
            "Indeks pochodzi z wcześniejszej wersji (bez znacznika); dostanie go przy pobraniu."
        )
    _check_files(folder, db, files, report, hint)
    _check_decisions_and_checkpoints(db, report, hint)


def _check_files(
    folder: OfficeFolder,
    db: sqlite3.Connection,
    files: dict[tuple[str, str], Path],
    report: CheckReport,
    hint: str,
) -> None:
    """Every index row has its file with the same SHA-256; every invoice file has its row."""
    rows = db.execute("SELECT client_nip, ksef_number, sha256 FROM invoices").fetchall()
    report.invoices = len(rows)
    missing: list[str] = []
    changed: list[str] = []
    indexed: set[tuple[str, str]] = set()
    for nip, number, digest in rows:
        indexed.add((nip, number))
        path = files.get((nip, number)) or _path_in(folder.client_archive_dir(nip), number)
        try:
            data = path.read_bytes()
        except OSError:
            missing.append(f"Brak pliku {path} faktury {number} (klient {nip}), choć indeks ją zna.")
            continue
        if sha256_b64(data) != digest:
            changed.append(f"Plik {path} różni się od faktury pobranej z KSeF (inny skrót SHA-256).")
    _listed(report, missing, "… i {n} kolejnych brakujących plików.")
    _listed(report, changed, "… i {n} kolejnych zmienionych plików.")
    unindexed = [
        f"Plik {path} nie ma wpisu w indeksie archiwum."
        for key, path in sorted(files.items())
        if key not in indexed
    ]
    _listed(report, unindexed, "… i {n} kolejnych plików bez wpisu w indeksie.")
    if missing or unindexed:
        report.problems.append(
            f"Aby indeks i pliki znów się zgadzały, uruchom: {hint} (brakujące pliki pobierze następne pobranie)."
        )


def _check_decisions_and_checkpoints(db: sqlite3.Connection, report: CheckReport, hint: str) -> None:
    """Decisions without an invoice; fetched invoices without a checkpoint; interrupted fetches."""
    orphans = db.execute(
        "SELECT COUNT(*) FROM decisions d LEFT JOIN invoices i "
        "ON i.ksef_number = d.ksef_number AND i.client_nip = d.client_nip WHERE i.ksef_number IS NULL"
    ).fetchone()[0]
    report.decisions = db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    if orphans:
        report.problems.append(f"Decyzje pracowników bez faktury w indeksie: {orphans}.")
    states = {
        (nip, subject): (hwm, window)
        for nip, subject, hwm, window in db.execute(
            "SELECT client_nip, subject_type, hwm, window_from FROM sync_state"
        )
    }
    report.checkpoints = sum(1 for hwm, _ in states.values() if hwm)
    fetched = db.execute(
        "SELECT DISTINCT client_nip, subject_type FROM invoices WHERE permanent_storage_date IS NOT NULL"
    ).fetchall()
    for nip, subject in fetched:
        state = states.get((nip, subject))
        if state is None or not state[0]:
            report.problems.append(
                f"Klient {nip} ({subject}): są pobrane faktury, ale brak punktu kontrolnego pobierania; "
                f"uruchom: {hint}."
            )
    for (nip, subject), (_, window) in sorted(states.items()):
        if window:
            report.notes.append(
                f"Klient {nip} ({subject}): przerwane pobieranie — następne ksef-sheets fetch je wznowi."
            )


def _permission_note(folder: OfficeFolder, files: dict[tuple[str, str], Path], report: CheckReport) -> None:
    """Files created before the folder's permission policy (0644 from older versions) are named."""
    if os.name != "posix":
        return
    allowed = file_mode()
    candidates = [folder.database, *files.values()]
    for directory in (folder.logs_dir, folder.backups_dir):
        if directory.is_dir():
            candidates += [p for p in directory.iterdir() if p.is_file()]
    wider: list[Path] = []
    for path in candidates:
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            continue
        if mode & ~allowed:
            wider.append(path)
    if wider:
        fix = "chmod -R go-rwx" if allowed == 0o600 else "chmod -R o-rwx"
        report.notes.append(
            f"{count(len(wider), 'plik ma', 'pliki mają', 'plików ma')} szersze uprawnienia niż zasada biura "
            f"(folder_access), np. {wider[0]}; popraw je poleceniem: {fix} {folder.root}."
        )
