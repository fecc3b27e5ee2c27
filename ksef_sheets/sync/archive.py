"""The office's invoice archive: original XML files, an SQLite index, sync state, staff decisions, audit.

The archive is the source of truth for invoices and for what staff decided about them; workbooks
are views rebuilt from it (DESIGN.md "How data flows").

Layout in the office folder:

- ``archiwum/<client NIP>/<YYYY>/<MM>/<KSeF number>.xml`` — the invoice exactly as KSeF sent it,
  never modified. Year and month come from the KSeF number (the date KSeF accepted the invoice),
  so a file's place follows from the number alone.
- ``ksef.sqlite`` — the index (one row per (KSeF number, client NIP): a client's purchase invoice
  can also be another client's sales invoice), the sync state, staff decisions and the audit log.

Guarantees:

- Writes are idempotent by (KSeF number, client NIP): storing an invoice twice changes nothing.
- A batch is one SQLite transaction, and its XML files are written (and flushed to disk) before
  the transaction commits, so a crash can leave a file without an index row (picked up again on
  the next fetch) but never an index row without its file. The sync checkpoint of a batch is
  committed in the same transaction as its rows, so a resumed fetch has neither gaps nor
  duplicates.
- KSeF numbers become file names only after their format and checksum are verified, so a hostile
  name in an export package cannot point outside the archive.

The archive is safe to use from several threads (one connection behind a lock); the fetch runs
its writes in a worker thread so downloads of other clients continue meanwhile.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import hashlib
import json
import os
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import TracebackType
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.identifiers import is_valid_ksef_number, is_valid_nip, normalize_nip

SUBJECT_TYPES = ("Subject1", "Subject2", "Subject3", "SubjectAuthorized")
# Polish names for people: what the subject type means from the client's point of view.
SUBJECT_TYPE_NAMES = {
    "Subject1": "sprzedaż",
    "Subject2": "zakupy",
    "Subject3": "podmiot trzeci",
    "SubjectAuthorized": "podmiot upoważniony",
}

# Staff statuses after which an invoice no longer waits for anyone (the invoice workbook's list).
DONE_STATUSES = ("Zaakceptowana", "Odrzucona", "Zaksięgowana")

SCHEMA_VERSION = 1
# What makes an index "know itself": a row in ``archive_meta`` written when the index was created
# (by the first fetch of a new office, or by ``archive rebuild``). An index without it is new.
ARCHIVE_FORMAT = "ksef-sheets-archiwum"
# The per-client file beside the invoices with KSeF's metadata of every stored invoice (one JSON
# object a line, appended batch by batch): what lets ``archive rebuild`` restore an index exactly.
METADATA_LOG = "metadane-ksef.jsonl"
# KSeF's own cap is 3 MB for an invoice with attachments (PROTOCOL §11); anything bigger is not
# an invoice and is refused before it reaches the disk.
MAX_INVOICE_BYTES = 3_000_000 + 64_000

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


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class ArchivedInvoice:
    """One invoice of one client as the index knows it; ``xml_path`` is the original file."""

    client_nip: str
    subject_type: str
    ksef_number: str
    invoice_number: str | None
    issue_date: date | None
    invoicing_date: datetime | None
    acquisition_date: datetime | None
    permanent_storage_date: datetime | None
    seller_nip: str | None
    seller_name: str | None
    buyer_identifier_type: str | None
    buyer_identifier: str | None
    buyer_name: str | None
    net_amount: Decimal | None
    vat_amount: Decimal | None
    gross_amount: Decimal | None
    currency: str | None
    invoice_type: str | None
    form_code: str | None
    invoicing_mode: str | None
    is_self_invoicing: bool
    has_attachment: bool
    sha256: str  # Base64 SHA-256 of the XML bytes, as KSeF's ``invoiceHash``
    size: int
    fetched_at: datetime
    xml_path: Path

    @property
    def is_offline(self) -> bool:
        return (self.invoicing_mode or "").lower() == "offline"


@dataclass
class StaffDecision:
    """What a person in the office (and the client) decided about one invoice.

    Empty text is ``None``. ``updated_at`` is set by ``save_decisions`` when left ``None``.
    """

    ksef_number: str
    client_nip: str
    status: str | None = None
    comment: str | None = None
    booked_on: date | None = None
    person: str | None = None
    client_decision: str | None = None
    client_remark: str | None = None
    client_decided_on: date | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SyncState:
    """Where the fetch of one client's invoices of one subject type stands.

    ``hwm`` is the checkpoint: every invoice with a permanent-storage date before it is in the
    archive. ``window_*`` describe an export that was started and not yet committed (a run that
    was interrupted); the next run starts again from ``hwm``, so nothing depends on them except
    the report.
    """

    client_nip: str
    subject_type: str
    hwm: datetime | None
    window_from: datetime | None
    window_to: datetime | None
    window_reference: str | None
    window_started_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    os_user: str
    action: str
    context_nip: str | None
    details: str
    count: int | None


@dataclass
class IncomingInvoice:
    """One invoice as received from KSeF, waiting to be stored (``metadata`` = ``InvoiceMetadata``)."""

    ksef_number: str
    xml: bytes
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    """What ``add_invoices`` did: KSeF numbers stored now, already there, and refused (with a reason)."""

    new: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Conversions (the index stores text; times in UTC ISO form so that text order is time order)


def _utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime in the archive")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def parse_ksef_datetime(text: object) -> datetime | None:
    """An ISO date-time from KSeF (up to 7 fraction digits, ``Z`` or an offset) as aware UTC.

    Extra fraction digits are cut (never rounded up), so a checkpoint made from it is never later
    than KSeF's own value: at worst one boundary invoice is seen twice and deduplicated.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    raw = text.strip().replace("z", "Z")
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    head, sep, rest = raw.partition(".")
    if sep:
        digits = ""
        while rest and rest[0].isdigit():
            digits += rest[0]
            rest = rest[1:]
        raw = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # KSeF interprets date-times without an offset as Warsaw time (PROTOCOL §2).
        from zoneinfo import ZoneInfo

        parsed = parsed.replace(tzinfo=ZoneInfo("Europe/Warsaw"))
    return parsed.astimezone(UTC)


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _date(text: object) -> date | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _decimal_text(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return str(number) if number.is_finite() else None


def _text(value: object, limit: int = 512) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:limit] if text else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment (containers, services)
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "nieznany"


def _now() -> datetime:
    return datetime.now(UTC)


def _json_default(value: object) -> str:
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    raise TypeError(type(value).__name__)


# --------------------------------------------------------------------------------------------
# The archive


class Archive:
    """The office's invoice archive. Open with ``Archive.open(folder)`` and use as a context manager."""

    def __init__(self, folder: OfficeFolder, connection: sqlite3.Connection) -> None:
        self.folder = folder
        self._db = connection
        self._lock = threading.RLock()
        self._log_lock = threading.Lock()
        self._user = _os_user()

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: OfficeFolder) -> Archive:
        """Open the archive of an office folder, creating it only for an office with no invoices yet.

        The index must know itself (the marker in ``archive_meta``) and pass SQLite's
        ``quick_check``. A missing, empty or unmarked index beside invoice files in ``archiwum/``
        or invoice workbooks (staff work) is refused, never silently created anew: that is how a
        lost index would wipe the office's decisions. A damaged one is refused too. Both point
        to ``ksef-sheets archive rebuild``.
        """
        folder.root.mkdir(parents=True, exist_ok=True)
        path = folder.database
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        except OSError as exc:
            raise UserError(f"Nie można otworzyć bazy archiwum {path}: {os_reason(exc)}.") from exc
        if size == 0:
            _refuse_new_index_if_office_has_work(folder)
        try:
            connection = _connect(path)
        except sqlite3.DatabaseError as exc:
            raise damaged_index_error(folder, exc) from exc
        try:
            _prepare(folder, connection)
        except BaseException:
            connection.close()
            raise
        restrict_database_files(folder)
        return cls(folder, connection)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Archive:
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

    # -- paths -----------------------------------------------------------------------------

    def xml_path(self, client_nip: str, ksef_number: str) -> Path:
        """Where the original XML of an invoice of a client is (or will be) stored."""
        nip = _checked_nip(client_nip)
        number = _checked_ksef_number(ksef_number)
        return _path_in(self.folder.client_archive_dir(nip), number)

    # -- invoices --------------------------------------------------------------------------

    def add_invoice(
        self,
        client_nip: str,
        subject_type: str,
        ksef_number: str,
        xml: bytes,
        metadata: Mapping[str, Any],
    ) -> bool:
        """Store one invoice; True when it was not in the archive before.

        Raises ``UserError`` when it cannot be stored (bad number, hash differing from KSeF's).
        """
        result = self.add_invoices(client_nip, subject_type, [IncomingInvoice(ksef_number, xml, metadata)])
        if result.refused:
            raise UserError(result.refused[0][1])
        return bool(result.new)

    def add_invoices(
        self,
        client_nip: str,
        subject_type: str,
        invoices: Iterable[IncomingInvoice],
        *,
        checkpoint: datetime | None = None,
    ) -> BatchResult:
        """Store a batch of one client's invoices in one transaction; optionally move the checkpoint.

        The XML files are written and flushed first, then the index rows and ``checkpoint`` (the
        new high-water mark of ``client_nip``/``subject_type``) are committed together. Invoices
        that cannot be trusted (bad KSeF number, hash differing from KSeF's ``invoiceHash``, not
        XML) are refused and listed, the rest is stored — and then the checkpoint is not moved.
        """
        nip = _checked_nip(client_nip)
        subject = _checked_subject(subject_type)
        items = invoices_list(invoices)
        result = BatchResult()
        with self._lock:
            known = self._known_hashes(nip, [inv.ksef_number for inv in items])
        rows: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        written: list[Path] = []
        fetched_at = _utc_text(_now())
        base = self.folder.client_archive_dir(nip)
        for incoming in items:
            number = incoming.ksef_number
            problem = _invoice_problem(nip, incoming)
            if problem:
                result.refused.append((number, problem))
                continue
            digest = sha256_b64(incoming.xml)
            path = _path_in(base, number)  # the number was verified just above
            if number in known or number in seen:
                stored = known.get(number)
                if stored is not None and stored != digest:
                    result.refused.append(
                        (
                            number,
                            f"Faktura {number} klienta {nip} jest już w archiwum z inną treścią "
                            "(inny skrót SHA-256); zachowano pierwotny plik.",
                        )
                    )
                    continue
                if not path.exists():
                    # The index row survived a deleted file: restore the original bytes.
                    _write_file(path, incoming.xml, sync=True)
                result.existing.append(number)
                continue
            seen.add(number)
            if not (path.exists() and _same_bytes(path, incoming.xml)):
                _write_file(path, incoming.xml, sync=False)
                written.append(path)
            rows.append(_index_row(nip, subject, number, incoming, digest, fetched_at))
            result.new.append(number)
        if rows:
            self._log_metadata(base, subject, rows)
        _flush_to_disk(written)
        with self._transaction() as db:
            db.executemany(_INSERT_INVOICE, rows)
            # A refused invoice keeps the checkpoint where it was: the window is fetched again
            # next time rather than an invoice being skipped forever.
            if checkpoint is not None and not result.refused:
                self._store_checkpoint(db, nip, subject, checkpoint)
        return result

    def _log_metadata(self, client_dir: Path, subject: str, rows: list[tuple[Any, ...]]) -> None:
        """Append KSeF's metadata of a batch to the client's ``metadane-ksef.jsonl`` (for rebuilds).

        Written before the index commits, flushed with the batch's files; a line for an invoice
        whose transaction was then lost is harmless (a rebuild only uses lines matching a file).
        """
        # Numbers, subject types and Base64 digests need no escaping; the metadata is JSON already.
        text = "".join(f'{{"n":"{row[0]}","s":"{subject}","h":"{row[22]}","m":{row[26]}}}\n' for row in rows)
        client_dir.mkdir(parents=True, exist_ok=True)
        with self._log_lock, open(client_dir / METADATA_LOG, "ab") as fh:
            fh.write(text.encode("utf-8"))
            if not sys.platform.startswith("linux"):
                fh.flush()
                os.fsync(fh.fileno())

    def _known_hashes(self, nip: str, numbers: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for number, digest in self._db.execute(
                f"SELECT ksef_number, sha256 FROM invoices WHERE client_nip = ? AND ksef_number IN ({marks})",  # noqa: S608 - only placeholders
                [nip, *chunk],
            ):
                found[number] = digest
        return found

    def known_numbers(self, client_nip: str, ksef_numbers: Iterable[str]) -> set[str]:
        """Which of these KSeF numbers the client already has in the archive."""
        with self._lock:
            return set(self._known_hashes(_checked_nip(client_nip), list(ksef_numbers)))

    def has_invoice(self, client_nip: str, ksef_number: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM invoices WHERE client_nip = ? AND ksef_number = ?",
                (_checked_nip(client_nip), ksef_number),
            ).fetchone()
        return row is not None

    def list_invoices(
        self, client_nip: str, *, subject_type: str | None = None, year: int | None = None
    ) -> list[ArchivedInvoice]:
        """A client's invoices, ordered by issue date then KSeF number.

        ``year`` is the year of the issue date (P_1), or of KSeF's acceptance when the issue date
        is unknown — the year of the invoice workbook the invoice belongs in.
        """
        nip = _checked_nip(client_nip)
        sql = f"SELECT {_COLUMNS} FROM invoices WHERE client_nip = ?"  # noqa: S608 - fixed column list
        params: list[Any] = [nip]
        if subject_type is not None:
            sql += " AND subject_type = ?"
            params.append(_checked_subject(subject_type))
        if year is not None:
            sql += " AND period_year = ?"
            params.append(int(year))
        sql += " ORDER BY issue_date, ksef_number"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        base = self.folder.client_archive_dir(nip)
        return [self._invoice(row, base) for row in rows]

    def get_invoice(self, client_nip: str, ksef_number: str) -> ArchivedInvoice | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM invoices WHERE client_nip = ? AND ksef_number = ?",  # noqa: S608
                (_checked_nip(client_nip), ksef_number),
            ).fetchone()
        return self._invoice(row) if row else None

    def metadata_for(self, client_nip: str, ksef_number: str) -> dict[str, Any]:
        """KSeF's ``InvoiceMetadata`` for an archived invoice, as received (empty when none came)."""
        with self._lock:
            row = self._db.execute(
                "SELECT metadata_json FROM invoices WHERE client_nip = ? AND ksef_number = ?",
                (_checked_nip(client_nip), ksef_number),
            ).fetchone()
        if row is None:
            raise UserError(f"Faktury {ksef_number} klienta {client_nip} nie ma w archiwum.")
        data = json.loads(row[0])
        return data if isinstance(data, dict) else {}

    def count_invoices(self, client_nip: str | None = None) -> dict[tuple[str, str], int]:
        """Number of archived invoices per (client NIP, subject type)."""
        sql = "SELECT client_nip, subject_type, COUNT(*) FROM invoices"
        params: list[Any] = []
        if client_nip is not None:
            sql += " WHERE client_nip = ?"
            params.append(_checked_nip(client_nip))
        sql += " GROUP BY client_nip, subject_type"
        with self._lock:
            return {(n, s): c for n, s, c in self._db.execute(sql, params)}

    def count_awaiting(
        self,
        client_nip: str,
        *,
        subject_type: str = "Subject2",
        done_statuses: Iterable[str] = DONE_STATUSES,
    ) -> int:
        """Invoices of a client with no final staff decision yet (the register's "to verify")."""
        done = list(done_statuses)
        marks = ",".join("?" * len(done)) or "''"
        sql = (
            "SELECT COUNT(*) FROM invoices i LEFT JOIN decisions d "  # noqa: S608 - only placeholders
            "ON d.ksef_number = i.ksef_number AND d.client_nip = i.client_nip "
            f"WHERE i.client_nip = ? AND i.subject_type = ? AND (d.status IS NULL OR d.status NOT IN ({marks}))"
        )
        with self._lock:
            row = self._db.execute(
                sql, [_checked_nip(client_nip), _checked_subject(subject_type), *done]
            ).fetchone()
        return int(row[0])

    def ksef_numbers(self, client_nip: str, subject_type: str | None = None) -> set[str]:
        sql = "SELECT ksef_number FROM invoices WHERE client_nip = ?"
        params: list[Any] = [_checked_nip(client_nip)]
        if subject_type is not None:
            sql += " AND subject_type = ?"
            params.append(_checked_subject(subject_type))
        with self._lock:
            return {row[0] for row in self._db.execute(sql, params)}

    def read_xml(self, client_nip: str, ksef_number: str) -> bytes:
        """The original XML of an archived invoice; refuses a file that changed since it was stored."""
        invoice = self.get_invoice(client_nip, ksef_number)
        if invoice is None:
            raise UserError(f"Faktury {ksef_number} klienta {normalize_nip(client_nip)} nie ma w archiwum.")
        return self.read_entry_xml(invoice)

    def read_entry_xml(self, invoice: ArchivedInvoice) -> bytes:
        """``read_xml`` for an entry already listed (no second look-up in the index)."""
        try:
            data = invoice.xml_path.read_bytes()
        except FileNotFoundError as exc:
            raise UserError(
                f"Brak pliku {invoice.xml_path} w archiwum; uruchom ksef-sheets fetch, aby go odtworzyć."
            ) from exc
        if sha256_b64(data) != invoice.sha256:
            raise UserError(
                f"Plik {invoice.xml_path} został zmieniony po pobraniu z KSeF (inny skrót SHA-256)."
            )
        return data

    def _invoice(self, row: tuple[Any, ...], base: Path | None = None) -> ArchivedInvoice:
        """An index row as a value; numbers in the index were checked when stored."""
        (
            ksef_number,
            client_nip,
            subject_type,
            invoice_number,
            issue_date,
            invoicing_date,
            acquisition_date,
            permanent_storage_date,
            seller_nip,
            seller_name,
            buyer_identifier_type,
            buyer_identifier,
            buyer_name,
            net_amount,
            vat_amount,
            gross_amount,
            currency,
            invoice_type,
            form_code,
            invoicing_mode,
            is_self_invoicing,
            has_attachment,
            sha256,
            size,
            fetched_at,
        ) = row
        return ArchivedInvoice(
            client_nip=client_nip,
            subject_type=subject_type,
            ksef_number=ksef_number,
            invoice_number=invoice_number,
            issue_date=_date(issue_date),
            invoicing_date=_dt(invoicing_date),
            acquisition_date=_dt(acquisition_date),
            permanent_storage_date=_dt(permanent_storage_date),
            seller_nip=seller_nip,
            seller_name=seller_name,
            buyer_identifier_type=buyer_identifier_type,
            buyer_identifier=buyer_identifier,
            buyer_name=buyer_name,
            net_amount=Decimal(net_amount) if net_amount is not None else None,
            vat_amount=Decimal(vat_amount) if vat_amount is not None else None,
            gross_amount=Decimal(gross_amount) if gross_amount is not None else None,
            currency=currency,
            invoice_type=invoice_type,
            form_code=form_code,
            invoicing_mode=invoicing_mode,
            is_self_invoicing=bool(is_self_invoicing),
            has_attachment=bool(has_attachment),
            sha256=sha256,
            size=size,
            fetched_at=datetime.fromisoformat(fetched_at),
            xml_path=_path_in(base or self.folder.client_archive_dir(client_nip), ksef_number),
        )

    # -- sync state ------------------------------------------------------------------------

    def get_hwm(self, client_nip: str, subject_type: str) -> datetime | None:
        """The checkpoint of a client's subject type: all invoices stored before it are archived."""
        state = self.sync_state(client_nip, subject_type)
        return state.hwm if state else None

    def set_hwm(self, client_nip: str, subject_type: str, hwm: datetime) -> None:
        """Move the checkpoint (and close the window in progress). Never moves it backwards."""
        nip, subject = _checked_nip(client_nip), _checked_subject(subject_type)
        with self._transaction() as db:
            self._store_checkpoint(db, nip, subject, hwm)

    def _store_checkpoint(self, db: sqlite3.Connection, nip: str, subject: str, hwm: datetime) -> None:
        now = _utc_text(_now())
        new = _utc_text(hwm)
        db.execute(
            """
            INSERT INTO sync_state (client_nip, subject_type, hwm, last_success_at, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (client_nip, subject_type) DO UPDATE SET
                hwm = CASE WHEN sync_state.hwm IS NULL OR excluded.hwm > sync_state.hwm
                           THEN excluded.hwm ELSE sync_state.hwm END,
                window_from = NULL, window_to = NULL, window_reference = NULL, window_started_at = NULL,
                last_success_at = excluded.last_success_at, last_error = NULL,
                updated_at = excluded.updated_at
            """,
            (nip, subject, new, now, now),
        )

    def begin_window(
        self,
        client_nip: str,
        subject_type: str,
        window_from: datetime,
        window_to: datetime | None = None,
        reference: str | None = None,
    ) -> None:
        """Record the export (or metadata query) window being fetched, for resume reports."""
        nip, subject = _checked_nip(client_nip), _checked_subject(subject_type)
        now = _utc_text(_now())
        with self._transaction() as db:
            db.execute(
                """
                INSERT INTO sync_state (client_nip, subject_type, window_from, window_to,
                                        window_reference, window_started_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (client_nip, subject_type) DO UPDATE SET
                    window_from = excluded.window_from, window_to = excluded.window_to,
                    window_reference = excluded.window_reference,
                    window_started_at = excluded.window_started_at, updated_at = excluded.updated_at
                """,
                (nip, subject, _utc_text(window_from), _utc_text(window_to), reference, now, now),
            )

    def end_window(self, client_nip: str, subject_type: str) -> None:
        """Forget the window in progress without moving the checkpoint (it held nothing new)."""
        nip, subject = _checked_nip(client_nip), _checked_subject(subject_type)
        with self._transaction() as db:
            db.execute(
                """UPDATE sync_state SET window_from = NULL, window_to = NULL, window_reference = NULL,
                          window_started_at = NULL, updated_at = ?
                   WHERE client_nip = ? AND subject_type = ?""",
                (_utc_text(_now()), nip, subject),
            )

    def record_sync_error(self, client_nip: str, subject_type: str, message: str) -> None:
        nip, subject = _checked_nip(client_nip), _checked_subject(subject_type)
        now = _utc_text(_now())
        with self._transaction() as db:
            db.execute(
                """
                INSERT INTO sync_state (client_nip, subject_type, last_error, updated_at)
                VALUES (?, ?, ?, ?)
                ON CONFLICT (client_nip, subject_type) DO UPDATE SET
                    last_error = excluded.last_error, updated_at = excluded.updated_at
                """,
                (nip, subject, message[:2000], now),
            )

    def sync_state(self, client_nip: str, subject_type: str) -> SyncState | None:
        nip, subject = _checked_nip(client_nip), _checked_subject(subject_type)
        with self._lock:
            row = self._db.execute(
                """SELECT hwm, window_from, window_to, window_reference, window_started_at,
                          last_success_at, last_error
                   FROM sync_state WHERE client_nip = ? AND subject_type = ?""",
                (nip, subject),
            ).fetchone()
        if row is None:
            return None
        hwm, window_from, window_to, reference, started, success, error = row
        return SyncState(
            client_nip=nip,
            subject_type=subject,
            hwm=_dt(hwm),
            window_from=_dt(window_from),
            window_to=_dt(window_to),
            window_reference=reference,
            window_started_at=_dt(started),
            last_success_at=_dt(success),
            last_error=error,
        )

    def sync_states(self) -> list[SyncState]:
        with self._lock:
            keys = self._db.execute(
                "SELECT client_nip, subject_type FROM sync_state ORDER BY client_nip, subject_type"
            ).fetchall()
        states = [self.sync_state(nip, subject) for nip, subject in keys]
        return [s for s in states if s is not None]

    # -- staff decisions -------------------------------------------------------------------

    def decisions_for(self, client_nip: str) -> dict[str, StaffDecision]:
        """A client's staff decisions by KSeF number."""
        nip = _checked_nip(client_nip)
        with self._lock:
            rows = self._db.execute(
                """SELECT ksef_number, status, comment, booked_on, person, client_decision,
                          client_remark, client_decided_on, updated_at
                   FROM decisions WHERE client_nip = ?""",
                (nip,),
            ).fetchall()
        return {
            number: StaffDecision(
                ksef_number=number,
                client_nip=nip,
                status=status,
                comment=comment,
                booked_on=_date(booked_on),
                person=person,
                client_decision=client_decision,
                client_remark=client_remark,
                client_decided_on=_date(client_decided_on),
                updated_at=_dt(updated_at),
            )
            for (
                number,
                status,
                comment,
                booked_on,
                person,
                client_decision,
                client_remark,
                client_decided_on,
                updated_at,
            ) in rows
        }

    def save_decisions(self, decisions: Iterable[StaffDecision]) -> int:
        """Insert or replace decisions (one transaction); returns how many rows changed.

        A decision equal to the stored one is not rewritten (its ``updated_at`` stays). Each
        client whose decisions changed gets one audit entry.
        """
        items = list(decisions)
        prepared: list[tuple[Any, ...]] = []
        for d in items:
            nip = _checked_nip(d.client_nip)
            number = _checked_ksef_number(d.ksef_number)
            prepared.append(
                (
                    number,
                    nip,
                    _empty_none(d.status),
                    _empty_none(d.comment),
                    d.booked_on.isoformat() if d.booked_on else None,
                    _empty_none(d.person),
                    _empty_none(d.client_decision),
                    _empty_none(d.client_remark),
                    d.client_decided_on.isoformat() if d.client_decided_on else None,
                    _utc_text(d.updated_at or _now()),
                )
            )
        changed_per_client: dict[str, int] = {}
        with self._transaction() as db:
            for row in prepared:
                current = db.execute(
                    """SELECT status, comment, booked_on, person, client_decision, client_remark,
                              client_decided_on FROM decisions WHERE ksef_number = ? AND client_nip = ?""",
                    row[:2],
                ).fetchone()
                if current is not None and tuple(current) == row[2:9]:
                    continue
                db.execute(
                    """INSERT OR REPLACE INTO decisions (ksef_number, client_nip, status, comment,
                           booked_on, person, client_decision, client_remark, client_decided_on,
                           updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    row,
                )
                changed_per_client[row[1]] = changed_per_client.get(row[1], 0) + 1
            for nip, count in changed_per_client.items():
                self._audit(db, "decyzje", nip, "zapisano decyzje dotyczące faktur", count)
        return sum(changed_per_client.values())

    # -- audit -----------------------------------------------------------------------------

    def audit(
        self, action: str, context_nip: str | None, details: str | Mapping[str, Any], count: int | None = None
    ) -> None:
        """Record who (OS user) did what, when, in which client context, to how many items."""
        with self._transaction() as db:
            self._audit(db, action, context_nip, details, count)

    def _audit(
        self,
        db: sqlite3.Connection,
        action: str,
        context_nip: str | None,
        details: str | Mapping[str, Any],
        count: int | None,
    ) -> None:
        text = (
            details
            if isinstance(details, str)
            else json.dumps(details, ensure_ascii=False, default=_json_default, sort_keys=True)
        )
        db.execute(
            "INSERT INTO audit_log (at, os_user, action, context_nip, details, count) VALUES (?, ?, ?, ?, ?, ?)",
            (_utc_text(_now()), self._user, action, context_nip, text, count),
        )

    def audit_log(self, *, context_nip: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        sql = "SELECT id, at, os_user, action, context_nip, details, count FROM audit_log"
        params: list[Any] = []
        if context_nip is not None:
            sql += " WHERE context_nip = ?"
            params.append(context_nip)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [AuditEntry(r[0], datetime.fromisoformat(r[1]), *r[2:]) for r in rows]


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


def _guarded(method: Any) -> Any:
    """Any SQLite failure inside an archive method becomes the Polish sentence (never a traceback)."""
    import functools

    @functools.wraps(method)
    def wrapper(self: Archive, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.IntegrityError):
            raise  # our own mistakes, not the file's
        except sqlite3.DatabaseError as exc:
            raise damaged_index_error(self.folder, exc) from exc

    return wrapper


for _name, _member in list(vars(Archive).items()):
    if (
        not _name.startswith("_")
        and callable(_member)
        and not isinstance(_member, (classmethod, staticmethod))
    ):
        setattr(Archive, _name, _guarded(_member))


# --------------------------------------------------------------------------------------------
# Helpers


_COLUMNS = (
    "ksef_number, client_nip, subject_type, invoice_number, issue_date, invoicing_date, "
    "acquisition_date, permanent_storage_date, seller_nip, seller_name, buyer_identifier_type, "
    "buyer_identifier, buyer_name, net_amount, vat_amount, gross_amount, currency, invoice_type, "
    "form_code, invoicing_mode, is_self_invoicing, has_attachment, sha256, size, fetched_at"
)
_INSERT_INVOICE = (
    f"INSERT OR IGNORE INTO invoices ({_COLUMNS}, period_year, metadata_json) "  # noqa: S608 - fixed
    f"VALUES ({', '.join('?' * 27)})"
)


def invoices_list(invoices: Iterable[IncomingInvoice]) -> list[IncomingInvoice]:
    return invoices if isinstance(invoices, list) else list(invoices)


def _path_in(client_dir: Path, number: str) -> Path:
    date_part = number.split("-")[1]
    return client_dir / date_part[:4] / date_part[4:6] / f"{number}.xml"


def _checked_nip(value: str) -> str:
    nip = normalize_nip(value)
    if not is_valid_nip(nip):
        raise UserError(f"NIP klienta „{value}” jest nieprawidłowy.")
    return nip


def _checked_subject(value: str) -> str:
    if value not in SUBJECT_TYPES:
        raise UserError(f"Nieznany typ podmiotu „{value}” (dozwolone: {', '.join(SUBJECT_TYPES)}).")
    return value


def _checked_ksef_number(value: str) -> str:
    if not isinstance(value, str) or not is_valid_ksef_number(value):
        raise UserError(f"Numer KSeF „{str(value)[:60]}” jest nieprawidłowy.")
    return value


def _empty_none(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _invoice_problem(nip: str, incoming: IncomingInvoice) -> str | None:
    number = incoming.ksef_number
    if not isinstance(number, str) or not is_valid_ksef_number(number):
        return f"Pominięto plik o nieprawidłowym numerze KSeF „{str(number)[:60]}” (klient {nip})."
    xml = incoming.xml
    if not isinstance(xml, bytes) or not xml.strip():
        return f"Faktura {number} klienta {nip} jest pusta."
    if len(xml) > MAX_INVOICE_BYTES:
        return f"Faktura {number} klienta {nip} przekracza limit rozmiaru KSeF ({len(xml)} B)."
    if not xml.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return f"Faktura {number} klienta {nip} nie jest dokumentem XML."
    meta = _mapping(incoming.metadata)
    meta_number = meta.get("ksefNumber")
    if meta_number is not None and meta_number != number:
        return f"Metadane faktury {number} klienta {nip} wskazują inny numer KSeF ({str(meta_number)[:60]})."
    expected = meta.get("invoiceHash")
    if isinstance(expected, str) and expected and expected != sha256_b64(xml):
        return (
            f"Faktura {number} klienta {nip} ma inny skrót SHA-256 niż podał KSeF; plik nie został zapisany."
        )
    return None


def _index_row(
    nip: str,
    subject: str,
    number: str,
    incoming: IncomingInvoice,
    digest: str,
    fetched_at: str | None,
) -> tuple[Any, ...]:
    meta = _mapping(incoming.metadata)
    seller = _mapping(meta.get("seller"))
    buyer = _mapping(meta.get("buyer"))
    buyer_id = _mapping(buyer.get("identifier"))
    form = _mapping(meta.get("formCode"))
    issue = _date(meta.get("issueDate"))
    form_text = None
    if form:
        form_text = _text(
            f"{form.get('systemCode', '')} {form.get('schemaVersion', '')} {form.get('value', '')}".strip()
        )
    period_year = issue.year if issue else int(number.split("-")[1][:4])
    return (
        number,
        nip,
        subject,
        _text(meta.get("invoiceNumber"), 256),
        issue.isoformat() if issue else None,
        _utc_text(parse_ksef_datetime(meta.get("invoicingDate"))),
        _utc_text(parse_ksef_datetime(meta.get("acquisitionDate"))),
        _utc_text(parse_ksef_datetime(meta.get("permanentStorageDate"))),
        _text(seller.get("nip"), 20),
        _text(seller.get("name")),
        _text(buyer_id.get("type"), 20),
        _text(buyer_id.get("value"), 50),
        _text(buyer.get("name")),
        _decimal_text(meta.get("netAmount")),
        _decimal_text(meta.get("vatAmount")),
        _decimal_text(meta.get("grossAmount")),
        _text(meta.get("currency"), 3),
        _text(meta.get("invoiceType"), 20),
        form_text,
        _text(meta.get("invoicingMode"), 20),
        1 if meta.get("isSelfInvoicing") is True else 0,
        1 if meta.get("hasAttachment") is True else 0,
        digest,
        len(incoming.xml),
        fetched_at,
        period_year,
        json.dumps(dict(meta), ensure_ascii=False, default=_json_default),
    )


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _write_file(path: Path, data: bytes, *, sync: bool) -> None:
    """Temp file + rename in the target's folder; the caller flushes a batch with ``_flush_to_disk``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _flush_to_disk(paths: list[Path]) -> None:
    """Make a batch of new files (and their directory entries) durable before the index commits.

    Linux: one ``sync()`` for the whole batch — it waits until everything is on disk and costs far
    less than thousands of ``fsync`` calls. Elsewhere: ``fsync`` of every file, in parallel threads.
    """
    if not paths:
        return
    if sys.platform.startswith("linux"):
        os.sync()
        return
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_fsync_path, paths))
    if os.name == "posix":
        for directory in {p.parent for p in paths}:
            _fsync_path(directory)


def _fsync_path(path: Path) -> None:
    # Windows flushes only handles opened for writing; POSIX directories open read-only.
    fd = os.open(path, os.O_RDONLY if path.is_dir() else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
