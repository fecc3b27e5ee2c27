"""The office's invoice archive and the incremental fetch for many clients.

- ``ksef_sheets.sync.archive``: original XML files + the SQLite index (``ksef.sqlite``), the sync
  state (high-water mark per client per subject type), staff decisions and the audit log.
- ``ksef_sheets.sync.planner``: which windows to export next, within KSeF's limits.
- ``ksef_sheets.sync.fetch``: the fetch for a list of clients (``fetch_office``); the use case
  around it (choosing clients, the register, workbooks) is ``ksef_sheets.workflows.fetch``.
- ``ksef_sheets.sync.runtime``: the run set-up shared by fetch and send (``office_run``: environment,
  clock, credentials, lock, log, KSeF client; it starts the emulator in process).

Other packages import what they need from ``ksef_sheets.sync`` itself — the names in ``__all__``
below are its public face (``tests/foundation/test_layers.py`` refuses imports of its submodules from
outside). The names are loaded from their modules on first use (``__getattr__``), so taking
``Archive`` does not load the fetch, and importing the package closes no import loop.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ksef_sheets.sync.archive import (
        Archive,
        ArchivedInvoice,
        StaffDecision,
        damaged_index_error,
        parse_ksef_datetime,
    )
    from ksef_sheets.sync.backup import (
        BackupResult,
        RestoreResult,
        backup_archive,
        install_index,
        list_backups,
        restore_archive,
        verify_copy,
    )
    from ksef_sheets.sync.fetch import fetch_office, select_clients
    from ksef_sheets.sync.integrity import CheckReport, check_archive
    from ksef_sheets.sync.rebuild import build_index, old_decisions, scan_archive
    from ksef_sheets.sync.report import ClientFetchResult, FetchReport
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
    "ArchivedInvoice": "archive",
    "StaffDecision": "archive",
    "damaged_index_error": "archive",
    "parse_ksef_datetime": "archive",
    "BackupResult": "backup",
    "RestoreResult": "backup",
    "backup_archive": "backup",
    "install_index": "backup",
    "list_backups": "backup",
    "restore_archive": "backup",
    "verify_copy": "backup",
    "fetch_office": "fetch",
    "select_clients": "fetch",
    "CheckReport": "integrity",
    "check_archive": "integrity",
    "build_index": "rebuild",
    "old_decisions": "rebuild",
    "scan_archive": "rebuild",
    "ClientFetchResult": "report",
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
    "FetchReport",
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
    "select_clients",
    "start_office_emulator",
    "vault_credentials",
    "verify_copy",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
