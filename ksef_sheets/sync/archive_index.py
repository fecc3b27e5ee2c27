"""The archive's SQLite index (``ksef.sqlite``): its schema, how it is opened, one connection behind a lock.

An index must know itself (the marker in ``archive_meta``) and pass SQLite's ``quick_check``. A
missing, empty or unmarked index beside the office's invoices or workbooks is refused with one
sentence pointing to ``ksef-sheets archive rebuild``, never silently created anew.

``IndexConnection`` is what every store of the archive (invoices, checkpoints, staff decisions,
audit) shares: the office folder, the connection and the lock that makes it safe from several
threads, and ``_transaction``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.sync.archive_values import _now, _os_user, _utc_text

SCHEMA_VERSION = 1
# What makes an index "know itself": a row in ``archive_meta`` written when the index was created
# (by the first fetch of a new office, or by ``archive rebuild``). An index without it is new.
ARCHIVE_FORMAT = "ksef-sheets-archiwum"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    ksef_number TEXT NOT NULL,
    client_nip TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    invoice_number TEXT,
    issue_date TEXT,
    invoicing_date TEXT,
    acquisition_date TEXT,
    permanent_storage_date TEXT,
    seller_nip TEXT,
    seller_name TEXT,
    buyer_identifier_type TEXT,
    buyer_identifier TEXT,
    buyer_name TEXT,
    net_amount TEXT,
    vat_amount TEXT,
    gross_amount TEXT,
    currency TEXT,
    invoice_type TEXT,
    form_code TEXT,
    invoicing_mode TEXT,
    is_self_invoicing INTEGER NOT NULL DEFAULT 0,
    has_attachment INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    period_year INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    PRIMARY KEY (ksef_number, client_nip)
);
CREATE INDEX IF NOT EXISTS invoices_client ON invoices (client_nip, subject_type, period_year);
CREATE INDEX IF NOT EXISTS invoices_storage ON invoices (client_nip, subject_type, permanent_storage_date);

CREATE TABLE IF NOT EXISTS sync_state (
    client_nip TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    hwm TEXT,
    window_from TEXT,
    window_to TEXT,
    window_reference TEXT,
    window_started_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (client_nip, subject_type)
);

CREATE TABLE IF NOT EXISTS decisions (
    ksef_number TEXT NOT NULL,
    client_nip TEXT NOT NULL,
    status TEXT,
    comment TEXT,
    booked_on TEXT,
    person TEXT,
    client_decision TEXT,
    client_remark TEXT,
    client_decided_on TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (ksef_number, client_nip)
);

CREATE TABLE IF NOT EXISTS archive_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    os_user TEXT NOT NULL,
    action TEXT NOT NULL,
    context_nip TEXT,
    details TEXT NOT NULL,
    count INTEGER
);
"""


class IndexConnection:
    """The office folder and its index connection, shared by the archive's stores."""

    def __init__(self, folder: OfficeFolder, connection: sqlite3.Connection) -> None:
        self.folder = folder
        self._db = connection
        self._lock = threading.RLock()
        self._log_lock = threading.Lock()
        self._user = _os_user()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")


# --------------------------------------------------------------------------------------------
# Opening: an index that knows itself, or a clear refusal


def rebuild_hint(folder: OfficeFolder) -> str:
    hint = f"ksef-sheets archive rebuild --dir {folder.root}"
    try:
        has_copy = any(folder.backups_dir.glob("ksef-*.sqlite"))
    except OSError:
        has_copy = False
    if has_copy:
        # A copy also keeps the audit log and the send journal, which no other file holds.
        hint += f" (albo przywróć kopię z folderu kopie: ksef-sheets archive restore --dir {folder.root})"
    return hint


def damaged_index_error(folder: OfficeFolder, exc: BaseException | str) -> UserError:
    """The one sentence for an index SQLite cannot read (any ``sqlite3.DatabaseError``)."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "readonly" in text or "read-only" in text:
            return UserError(
                f"Nie można zapisać bazy archiwum {folder.database}: plik lub folder jest tylko do odczytu."
            )
        if "locked" in text or "busy" in text:
            return UserError(
                f"Baza archiwum {folder.database} jest zajęta przez inny program; spróbuj ponownie za chwilę."
            )
        if "disk is full" in text or "full" in text:
            return UserError(f"Nie można zapisać bazy archiwum {folder.database}: brak miejsca na dysku.")
        if "unable to open" in text:
            return UserError(f"Nie można otworzyć bazy archiwum {folder.database}: brak dostępu do pliku.")
    return UserError(
        f"Baza archiwum {folder.database} jest uszkodzona, więc nic w niej nie zmieniono; "
        f"odtwórz ją z plików faktur i skoroszytów poleceniem: {rebuild_hint(folder)}."
    )


def office_work_evidence(folder: OfficeFolder) -> Path | None:
    """A file proving the office already had an archive: an invoice XML or an invoice workbook."""
    archive_dir = folder.archive_dir
    if archive_dir.is_dir():
        for client_dir in sorted(archive_dir.iterdir()):
            if not client_dir.is_dir():
                continue
            for found in client_dir.rglob("*.xml"):
                if not found.name.startswith(".") and not found.name.endswith(".upo.xml"):
                    return found
    clients_dir = folder.clients_dir
    if clients_dir.is_dir():
        for client_dir in sorted(clients_dir.iterdir()):
            if client_dir.is_dir():
                for found in client_dir.glob("faktury-*.xlsx"):
                    return found
    return None


def _refuse_new_index_if_office_has_work(folder: OfficeFolder) -> None:
    evidence = office_work_evidence(folder)
    if evidence is None:
        return
    raise UserError(
        f"Baza archiwum {folder.database} jest pusta albo nowa, a biuro ma już faktury i pracę "
        f"pracowników (np. {evidence}), więc nie utworzono jej od nowa, aby niczego nie stracić; "
        f"odtwórz ją poleceniem: {rebuild_hint(folder)}."
    )


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL keeps the database consistent after a crash; a commit lost to a power
        # failure only means its invoices are fetched again (the files were synced first).
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        connection.close()
        raise
    return connection


def integrity_problem(connection: sqlite3.Connection) -> str | None:
    """SQLite's ``quick_check`` (every page of every table and index read once); None when sound."""
    rows = connection.execute("PRAGMA quick_check").fetchall()
    if rows == [("ok",)]:
        return None
    return "; ".join(str(row[0]) for row in rows[:3]) or "?"


def _tables(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def create_schema(connection: sqlite3.Connection, created_by: str) -> None:
    """The archive's tables and its marker in a fresh (or older, unmarked) database."""
    connection.executescript(_SCHEMA)
    connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    connection.executemany(
        "INSERT OR IGNORE INTO archive_meta (key, value) VALUES (?, ?)",
        [
            ("format", ARCHIVE_FORMAT),
            ("schema_version", str(SCHEMA_VERSION)),
            ("created_at", _utc_text(_now()) or ""),
            ("created_by", created_by),
        ],
    )


def _prepare(folder: OfficeFolder, connection: sqlite3.Connection) -> None:
    try:
        problem = integrity_problem(connection)
        if problem is not None:
            raise damaged_index_error(folder, problem)
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UserError(
                f"Baza {folder.database} pochodzi z nowszej wersji ksef-sheets; zaktualizuj program."
            )
        tables = _tables(connection)
        if "archive_meta" in tables:
            row = connection.execute("SELECT value FROM archive_meta WHERE key = 'format'").fetchone()
            if row is None or row[0] != ARCHIVE_FORMAT:
                raise damaged_index_error(folder, "no marker")
            connection.executescript(_SCHEMA)  # tables added since (IF NOT EXISTS)
        elif "invoices" in tables:
            create_schema(connection, "migracja")  # an index from before the marker existed
        else:
            # New (or holding only other parts' tables): created only for an office with no work yet.
            _refuse_new_index_if_office_has_work(folder)
            create_schema(connection, "pierwsze uruchomienie")
    except sqlite3.DatabaseError as exc:
        raise damaged_index_error(folder, exc) from exc


def restrict_database_files(folder: OfficeFolder) -> None:
    """The index and its WAL files get the office folder's permission policy (config.folder_access)."""
    from ksef_sheets.files import restrict_file

    for suffix in ("", "-wal", "-shm"):
        restrict_file(folder.database.with_name(folder.database.name + suffix))
