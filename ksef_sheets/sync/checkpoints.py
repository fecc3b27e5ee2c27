"""The sync state of the archive: the checkpoint (high-water mark) per client per subject type.

Stored in the ``sync_state`` table of ``ksef.sqlite``. A batch of invoices moves its checkpoint in
its own transaction (``InvoiceStore.add_invoices``); the window methods only describe a fetch in
progress for the reports.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ksef_sheets.sync.archive_index import IndexConnection
from ksef_sheets.sync.archive_values import _checked_nip, _checked_subject, _dt, _now, _utc_text


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


class CheckpointStore(IndexConnection):
    """The sync state of the archive (a part of ``Archive``)."""

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
