"""Staff decisions kept in the archive: what the office (and the client) decided about each invoice.

The archive is the source of truth for them; workbooks show them and read edits back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ksef_sheets.sync.archive_values import (
    _checked_ksef_number,
    _checked_nip,
    _date,
    _dt,
    _empty_none,
    _now,
    _utc_text,
)
from ksef_sheets.sync.audit_log import AuditLog


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


class DecisionStore(AuditLog):
    """Staff decisions (a part of ``Archive``; each change is audited in the same transaction)."""

    # -- staff decisions -------------------------------------------------------------------

    def decisions_for(self, client_nip: str) -> dict[str, StaffDecision]:
        """A client's staff decisions by KSeF number."""
        nip = _checked_nip(client_nip)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_DECISION_COLUMNS} FROM decisions WHERE client_nip = ?",  # noqa: S608 - fixed columns
                (nip,),
            ).fetchall()
        return _decisions(nip, rows)

    def decisions_among(self, client_nip: str, ksef_numbers: Iterable[str]) -> dict[str, StaffDecision]:
        """``decisions_for`` restricted to some invoices (e.g. the ones just saved)."""
        nip = _checked_nip(client_nip)
        wanted = sorted(set(ksef_numbers))
        rows: list[tuple[Any, ...]] = []
        with self._lock:
            for start in range(0, len(wanted), _NUMBERS_PER_QUERY):
                chunk = wanted[start : start + _NUMBERS_PER_QUERY]
                rows += self._db.execute(
                    f"SELECT {_DECISION_COLUMNS} FROM decisions "  # noqa: S608 - fixed columns, "?" only
                    f"WHERE client_nip = ? AND ksef_number IN ({', '.join('?' * len(chunk))})",
                    [nip, *chunk],
                ).fetchall()
        return _decisions(nip, rows)

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


_DECISION_COLUMNS = (
    "ksef_number, status, comment, booked_on, person, client_decision, "
    "client_remark, client_decided_on, updated_at"
)
# SQLite's default cap on the ``?`` of one statement is 999 on old builds.
_NUMBERS_PER_QUERY = 500


def _decisions(nip: str, rows: Iterable[tuple[Any, ...]]) -> dict[str, StaffDecision]:
    """Rows of ``_DECISION_COLUMNS`` as decisions by KSeF number."""
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
