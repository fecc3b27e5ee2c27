"""The sending journal: what was sent to KSeF, in which session, and how it ended.

Idempotency rests on it. Before an invoice is POSTed, a row ``sending`` (client, invoice hash, the
exact bytes, the session's reference) is committed; after the POST the invoice's reference is added
(``sent``); when KSeF has decided, the row becomes ``accepted`` (KSeF number, acceptance date) or
``rejected`` (code, message). A run that died anywhere in between leaves ``sending``/``sent`` rows,
which the next run reconciles with the session's own list of invoices before sending anything —
so a crash never produces a second copy in KSeF. Rows are keyed by (client NIP, invoice hash): the
same content is never sent twice, while a corrected invoice (new content) is a new row.

The journal lives in the office database (``ksef.sqlite``, table ``send_journal``) beside the archive.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sync import damaged_index_error

State = Literal["sending", "sent", "accepted", "rejected", "lost"]
IN_FLIGHT: tuple[State, ...] = ("sending", "sent")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS send_journal (
    client_nip TEXT NOT NULL,
    invoice_hash TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    source TEXT NOT NULL,
    state TEXT NOT NULL,
    session_ref TEXT,
    invoice_ref TEXT,
    ksef_number TEXT,
    accepted_at TEXT,
    status_code INTEGER,
    message TEXT,
    upo_stored INTEGER NOT NULL DEFAULT 0,
    xml BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (client_nip, invoice_hash)
);
CREATE INDEX IF NOT EXISTS send_journal_state ON send_journal (client_nip, state);
"""


@dataclass(frozen=True)
class JournalEntry:
    client_nip: str
    invoice_hash: str
    invoice_number: str
    source: str
    state: State
    session_ref: str | None
    invoice_ref: str | None
    ksef_number: str | None
    accepted_at: datetime | None
    status_code: int | None
    message: str | None
    upo_stored: bool
    xml: bytes


_COLUMNS = (
    "client_nip, invoice_hash, invoice_number, source, state, session_ref, invoice_ref, ksef_number, "
    "accepted_at, status_code, message, upo_stored, xml"
)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SendJournal:
    """Open with ``SendJournal.open(folder)``; every write commits at once (the point of a journal)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: OfficeFolder) -> SendJournal:
        folder.root.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(folder.database, timeout=30, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # A commit survives a crash of the process; a power failure may lose the last ones, and
            # then KSeF's duplicate check (440 with the same bytes) still prevents a second copy.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            # The journal lives in the archive's database: the same sentence (and the same fix).
            raise damaged_index_error(folder, exc) from exc
        return cls(db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SendJournal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------

    def get(self, client_nip: str, invoice_hash: str) -> JournalEntry | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM send_journal WHERE client_nip = ? AND invoice_hash = ?",  # noqa: S608
                (client_nip, invoice_hash),
            ).fetchone()
        return _entry(row) if row else None

    def in_flight(self, client_nip: str) -> list[JournalEntry]:
        """Invoices POSTed (or about to be) whose outcome this office does not know yet."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM send_journal WHERE client_nip = ? AND state IN ('sending', 'sent') "  # noqa: S608
                "ORDER BY created_at",
                (client_nip,),
            ).fetchall()
        return [_entry(r) for r in rows]

    def entries(self, client_nip: str) -> list[JournalEntry]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM send_journal WHERE client_nip = ? ORDER BY created_at",  # noqa: S608
                (client_nip,),
            ).fetchall()
        return [_entry(r) for r in rows]

    # -- writing ----------------------------------------------------------------------------

    def sending(
        self, client_nip: str, invoice_hash: str, number: str, source: str, xml: bytes, session_ref: str
    ) -> None:
        """Committed before the POST: whatever happens next, the next run knows where to look."""
        now = _now()
        with self._lock:
            self._db.execute(
                "INSERT INTO send_journal (client_nip, invoice_hash, invoice_number, source, state, session_ref, "
                "xml, created_at, updated_at) VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?) "
                "ON CONFLICT (client_nip, invoice_hash) DO UPDATE SET state = 'sending', "
                "session_ref = excluded.session_ref, invoice_ref = NULL, ksef_number = NULL, accepted_at = NULL, "
                "status_code = NULL, message = NULL, upo_stored = 0, source = excluded.source, "
                "invoice_number = excluded.invoice_number, updated_at = excluded.updated_at",
                (client_nip, invoice_hash, number, source, session_ref, xml, now, now),
            )

    def sent(self, client_nip: str, invoice_hash: str, invoice_ref: str) -> None:
        self._update(client_nip, invoice_hash, state="sent", invoice_ref=invoice_ref)

    def accepted(
        self,
        client_nip: str,
        invoice_hash: str,
        *,
        ksef_number: str,
        accepted_at: datetime | None,
        session_ref: str | None,
        invoice_ref: str | None,
        upo_stored: bool,
        message: str | None = None,
    ) -> None:
        self._update(
            client_nip,
            invoice_hash,
            state="accepted",
            ksef_number=ksef_number,
            accepted_at=accepted_at.isoformat() if accepted_at else None,
            session_ref=session_ref,
            invoice_ref=invoice_ref,
            upo_stored=1 if upo_stored else 0,
            status_code=200,
            message=message,
        )

    def rejected(self, client_nip: str, invoice_hash: str, *, code: int | None, message: str) -> None:
        self._update(client_nip, invoice_hash, state="rejected", status_code=code, message=message)

    def lost(self, client_nip: str, invoice_hash: str) -> None:
        """KSeF never got it (not in the session's list): it may be sent again."""
        self._update(client_nip, invoice_hash, state="lost")

    def _update(self, client_nip: str, invoice_hash: str, **values: object) -> None:
        values["updated_at"] = _now()
        assignments = ", ".join(f"{k} = ?" for k in values)
        with self._lock:
            self._db.execute(
                f"UPDATE send_journal SET {assignments} WHERE client_nip = ? AND invoice_hash = ?",  # noqa: S608 - fixed names
                (*values.values(), client_nip, invoice_hash),
            )


def _entry(row: tuple[object, ...]) -> JournalEntry:
    (nip, digest, number, source, state, session, inv_ref, ksef, accepted, code, message, upo, xml) = row
    return JournalEntry(
        client_nip=str(nip),
        invoice_hash=str(digest),
        invoice_number=str(number),
        source=str(source),
        state=state,  # type: ignore[arg-type]
        session_ref=session if isinstance(session, str) else None,
        invoice_ref=inv_ref if isinstance(inv_ref, str) else None,
        ksef_number=ksef if isinstance(ksef, str) else None,
        accepted_at=datetime.fromisoformat(accepted) if isinstance(accepted, str) else None,
        status_code=code if isinstance(code, int) else None,
        message=message if isinstance(message, str) else None,
        upo_stored=bool(upo),
        xml=bytes(xml) if isinstance(xml, bytes | bytearray | memoryview) else b"",
    )
