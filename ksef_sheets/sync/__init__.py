"""The office's invoice archive and the incremental fetch for many clients.

- ``ksef_sheets.sync.archive``: ``Archive``, one object over the SQLite index (``ksef.sqlite``) made
  of four stores, a module each: ``invoice_store`` (original XML files + index rows),
  ``checkpoints`` (the sync state: high-water mark per client per subject type), ``decisions``
  (staff decisions) and ``audit_log``; ``archive_index`` opens the index, ``archive_values`` holds
  the vocabulary and conversions, ``archive_files`` writes invoice files durably.
- ``ksef_sheets.sync.integrity`` / ``rebuild`` / ``backup``: ``archive check``, ``rebuild``,
  ``backup`` and ``restore``.
- ``ksef_sheets.sync.planner``: which windows to export next, within KSeF's limits.
- ``ksef_sheets.sync.fetch``: the fetch for a list of clients (``fetch_office``); the use case
  around it (choosing clients, the register, workbooks) is ``ksef_sheets.workflows.fetch``.
- ``ksef_sheets.sync.runtime``: the run set-up shared by fetch and send (``office_run``: environment,
  clock, credentials, lock, log, KSeF client; it starts the emulator in process).

Other packages import what they need from ``ksef_sheets.sync`` itself — the names in ``__all__``
below are its public face (``tests/foundation/test_layers.py`` refuses imports of its submodules from
outside). The names are loaded from their modules on first use (``ksef_sheets.lazy``), so taking
``Archive`` does not load the fetch, and importing the package closes no import loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ksef_sheets.lazy import lazy_exports

if TYPE_CHECKING:
    from ksef_sheets.sync.archive import Archive, IndexEntry, IndexListing
    from ksef_sheets.sync.archive_index import damaged_index_error
    from ksef_sheets.sync.archive_values import parse_ksef_datetime
    from ksef_sheets.sync.backup import (
        BackupResult,
        RestoreResult,
        backup_archive,
        install_index,
        list_backups,
        restore_archive,
        verify_copy,
    )
    from ksef_sheets.sync.decisions import StaffDecision
    from ksef_sheets.sync.fetch import fetch_office
    from ksef_sheets.sync.integrity import CheckReport, check_archive
    from ksef_sheets.sync.invoice_store import ArchivedInvoice
    from ksef_sheets.sync.rebuild import build_index, old_decisions, scan_archive
    from ksef_sheets.sync.report import ClientFetchResult, FetchProgress, FetchReport
    from ksef_sheets.sync.runtime import (
        FETCH_RUN,
        SEND_RUN,
        CountingTransport,
        EmulatedClock,
        OfficeRun,
        RunKind,
        log_to_file,
        no_credentials,
        office_run,
        office_run_lock,
        problem_message,
        start_office_emulator,
        vault_credentials,
    )

# name -> the module that defines it (loaded on first use, see the docstring)
_EXPORTS: dict[str, str] = {
    "Archive": "archive",
    "IndexEntry": "archive",
    "IndexListing": "archive",
    "ArchivedInvoice": "invoice_store",
    "StaffDecision": "decisions",
    "damaged_index_error": "archive_index",
    "parse_ksef_datetime": "archive_values",
    "BackupResult": "backup",
    "RestoreResult": "backup",
    "backup_archive": "backup",
    "install_index": "backup",
    "list_backups": "backup",
    "restore_archive": "backup",
    "verify_copy": "backup",
    "fetch_office": "fetch",
    "CheckReport": "integrity",
    "check_archive": "integrity",
    "build_index": "rebuild",
    "old_decisions": "rebuild",
    "scan_archive": "rebuild",
    "ClientFetchResult": "report",
    "FetchProgress": "report",
    "FetchReport": "report",
    "CountingTransport": "runtime",
    "EmulatedClock": "runtime",
    "FETCH_RUN": "runtime",
    "OfficeRun": "runtime",
    "RunKind": "runtime",
    "SEND_RUN": "runtime",
    "log_to_file": "runtime",
    "no_credentials": "runtime",
    "office_run": "runtime",
    "office_run_lock": "runtime",
    "problem_message": "runtime",
    "start_office_emulator": "runtime",
    "vault_credentials": "runtime",
}

__all__ = [
    "FETCH_RUN",
    "SEND_RUN",
    "Archive",
    "ArchivedInvoice",
    "BackupResult",
    "CheckReport",
    "ClientFetchResult",
    "CountingTransport",
    "EmulatedClock",
    "FetchProgress",
    "FetchReport",
    "IndexEntry",
    "IndexListing",
    "OfficeRun",
    "RestoreResult",
    "RunKind",
    "StaffDecision",
    "backup_archive",
    "build_index",
    "check_archive",
    "damaged_index_error",
    "fetch_office",
    "install_index",
    "list_backups",
    "log_to_file",
    "no_credentials",
    "office_run",
    "office_run_lock",
    "old_decisions",
    "parse_ksef_datetime",
    "problem_message",
    "restore_archive",
    "scan_archive",
    "start_office_emulator",
    "vault_credentials",
    "verify_copy",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __all__)
