"""``archive check|rebuild|backup|restore``: the office's archive index checked, rebuilt, copied back.

- ``check_office_archive``: index ↔ XML files, decisions, checkpoints (``sync.integrity``).
- ``rebuild_office_archive``: a new index from ``archiwum/`` (``sync.rebuild``) with the staff
  decisions read back from the invoice workbooks (the old index's own decisions where it can still
  be read); the old index is moved aside, never deleted.
- ``backup_office_archive`` / ``restore_office_archive``: copies in ``kopie/`` (``sync.backup``).

Rebuild and restore hold the fetch and send locks, so neither runs while the index is replaced.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.files import clean_interrupted_writes
from ksef_sheets.identifiers import is_valid_ksef_number, is_valid_nip
from ksef_sheets.sheets import H_CLIENT_DECISION, H_CLIENT_REMARK, read_workbook_work
from ksef_sheets.sync import (
    Archive,
    BackupResult,
    CheckReport,
    RestoreResult,
    StaffDecision,
    backup_archive,
    build_index,
    check_archive,
    install_index,
    office_run_lock,
    old_decisions,
    restore_archive,
    scan_archive,
    verify_copy,
)
from ksef_sheets.text import count


def check_office_archive(folder: OfficeFolder) -> CheckReport:
    return check_archive(folder)


@contextlib.contextmanager
def _exclusive(folder: OfficeFolder) -> Iterator[None]:
    busy = (
        f"W biurze {folder.root} trwa pobieranie albo wysyłka faktur; poczekaj, aż się zakończy, "
        "i uruchom polecenie ponownie."
    )
    with office_run_lock(folder, ".pobieranie.lock", busy), office_run_lock(folder, ".wysylka.lock", busy):
        yield


@dataclass
class RebuildReport:
    invoices: int = 0
    from_log: int = 0
    from_old_index: int = 0
    from_xml: int = 0
    upo_files: int = 0
    # Invoices the old index knew whose files are gone: the next fetch downloads them again.
    missing: int = 0
    decisions: int = 0
    decisions_from_workbooks: int = 0
    checkpoints: int = 0
    copied_tables: list[str] = field(default_factory=list)
    set_aside: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = [
            f"Odbudowano indeks archiwum: {count(self.invoices, 'faktura', 'faktury', 'faktur')} "
            f"(z metadanych KSeF: {self.from_log}, ze starego indeksu: {self.from_old_index}, "
            f"z samych plików XML: {self.from_xml}); UPO: {self.upo_files}.",
            f"Decyzje pracowników: {self.decisions} (odczytane ze skoroszytów faktur: "
            f"{self.decisions_from_workbooks}); punkty kontrolne pobierania: {self.checkpoints}.",
        ]
        if self.missing:
            lines.append(
                f"Brakujące pliki faktur znane staremu indeksowi: {self.missing}; "
                "następne ksef-sheets fetch pobierze je ponownie z KSeF."
            )
        if self.copied_tables:
            lines.append(
                "Przeniesiono ze starego indeksu: "
                + ", ".join(_TABLE_NAMES.get(t, t) for t in self.copied_tables)
                + "."
            )
        if self.set_aside:
            lines.append(f"Poprzedni indeks odłożono (nie usunięto): {self.set_aside[0]}.")
        return lines + self.warnings

    def to_json(self) -> dict[str, Any]:
        return {
            "invoices": self.invoices,
            "from_log": self.from_log,
            "from_old_index": self.from_old_index,
            "from_xml": self.from_xml,
            "upo_files": self.upo_files,
            "missing": self.missing,
            "decisions": self.decisions,
            "decisions_from_workbooks": self.decisions_from_workbooks,
            "checkpoints": self.checkpoints,
            "copied_tables": self.copied_tables,
            "set_aside": [str(p) for p in self.set_aside],
            "warnings": self.warnings,
        }


_TABLE_NAMES = {"audit_log": "dziennik zdarzeń", "send_journal": "dziennik wysyłki"}


def decisions_from_workbooks(
    folder: OfficeFolder, warnings: list[str]
) -> dict[tuple[str, str], tuple[StaffDecision, float]]:
    """Staff columns (and the client's decision columns) of every ``klienci/<NIP>/faktury-RRRR.xlsx``,
    each with the time its workbook was last written (by the toolkit or by a person saving it)."""
    found: dict[tuple[str, str], tuple[StaffDecision, float]] = {}
    if not folder.clients_dir.is_dir():
        return found
    for client_dir in sorted(folder.clients_dir.iterdir()):
        nip = client_dir.name
        if not client_dir.is_dir() or not is_valid_nip(nip):
            continue
        for path in sorted(client_dir.glob("faktury-*.xlsx")):
            try:
                written = path.stat().st_mtime
                work = read_workbook_work(path)
            except OSError as exc:
                warnings.append(f"Pominięto skoroszyt {path}: {os_reason(exc)}.")
                continue
            except UserError as exc:
                warnings.append(f"Pominięto skoroszyt: {exc}")
                continue
            for sheet in work.sheets.values():
                for number, seen in sheet.staff.items():
                    if not is_valid_ksef_number(number):
                        continue
                    values = sheet.values.get(number, {})
                    found[(nip, number)] = (
                        StaffDecision(
                            ksef_number=number,
                            client_nip=nip,
                            status=seen.status,
                            comment=seen.comment or None,
                            booked_on=seen.booked_on if seen.booked_valid else None,
                            person=seen.person or None,
                            client_decision=_cell_text(values.get(H_CLIENT_DECISION)),
                            client_remark=_cell_text(values.get(H_CLIENT_REMARK)),
                        ),
                        written,
                    )
    return found


def _cell_text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def newest_decisions(
    indexed: dict[tuple[str, str], StaffDecision],
    from_workbooks: dict[tuple[str, str], tuple[StaffDecision, float]],
) -> tuple[dict[tuple[str, str], StaffDecision], int]:
    """Per invoice the newer of the index's decision and the workbook's row; how many came from workbooks.

    A workbook written after the index last changed a decision (an index restored from an older
    copy, or rebuilt without it) holds the newer staff fields; the index keeps the client's decision
    date, which no workbook shows.
    """
    merged = dict(indexed)
    taken = 0
    for key, (shown, written) in from_workbooks.items():
        known = indexed.get(key)
        if known is not None and known.updated_at is not None and known.updated_at.timestamp() >= written:
            continue
        if known is not None:
            shown = StaffDecision(
                shown.ksef_number,
                shown.client_nip,
                shown.status or known.status,
                shown.comment,
                shown.booked_on,
                shown.person,
                shown.client_decision or known.client_decision,
                shown.client_remark or known.client_remark,
                known.client_decided_on,
            )
            if _staff_fields(shown) == _staff_fields(known):
                continue
        merged[key] = shown
        taken += 1
    return merged, taken


def _staff_fields(d: StaffDecision) -> tuple[Any, ...]:
    return (d.status, d.comment, d.booked_on, d.person, d.client_decision, d.client_remark)


def rebuild_office_archive(folder: OfficeFolder) -> RebuildReport:
    """A new index from the office's files; the current one is moved aside (see the module docstring)."""
    report = RebuildReport()
    folder.load_config()
    with _exclusive(folder):
        clean_interrupted_writes(folder.root, folder.archive_dir, recursive=False)
        clean_interrupted_writes(folder.archive_dir, recursive=True)
        old = folder.database if folder.database.exists() else None
        scan = scan_archive(folder, old_index=old)
        sources = scan.by_source()
        report.from_log = sources.get("log", 0)
        report.from_old_index = sources.get("index", 0)
        report.from_xml = sources.get("xml", 0)
        report.upo_files = scan.upo_files
        report.warnings += [f"Pominięto {path}: {reason}" for path, reason in scan.skipped]
        report.missing = len(scan.missing)
        decisions, report.decisions_from_workbooks = newest_decisions(
            old_decisions(old), decisions_from_workbooks(folder, report.warnings)
        )
        tmp = folder.root / f".{folder.database.name}.{os.getpid()}.odbudowa.tmp"
        try:
            built = build_index(folder, tmp, scan, decisions.values(), old_index=old)
            verify_copy(tmp)
            report.set_aside = install_index(folder, tmp, "przed-odbudowa")
        finally:
            tmp.unlink(missing_ok=True)
        report.invoices = built.invoices
        report.decisions = built.decisions
        report.checkpoints = len(built.checkpoints)
        report.copied_tables = built.copied_tables
        with Archive.open(folder) as archive:
            archive.audit("odbudowa archiwum", None, report.to_json(), built.invoices)
    return report


def backup_office_archive(folder: OfficeFolder) -> BackupResult:
    folder.load_config()
    return backup_archive(folder)


def restore_office_archive(folder: OfficeFolder, source: Path | None = None) -> RestoreResult:
    folder.load_config()
    with _exclusive(folder):
        result = restore_archive(folder, source)
        with Archive.open(folder) as archive:
            archive.audit(
                "przywrócenie archiwum z kopii", None, {"kopia": str(result.source)}, result.invoices
            )
            # Staff work saved after the copy was taken is in the workbooks: it is taken back.
            indexed: dict[tuple[str, str], StaffDecision] = {}
            known: set[tuple[str, str]] = set()
            for nip in sorted({nip for nip, _subject in archive.count_invoices()}):
                indexed.update({(nip, n): d for n, d in archive.decisions_for(nip).items()})
                known.update((nip, n) for n in archive.ksef_numbers(nip))
            merged, _taken = newest_decisions(indexed, decisions_from_workbooks(folder, []))
            changed = [d for key, d in merged.items() if key in known and indexed.get(key) is not d]
            result.decisions_from_workbooks = archive.save_decisions(changed) if changed else 0
    return result


__all__ = [
    "RebuildReport",
    "backup_office_archive",
    "check_office_archive",
    "decisions_from_workbooks",
    "newest_decisions",
    "rebuild_office_archive",
    "restore_office_archive",
]
