"""The audit log of the archive: who (OS user) did what, when, in which client context."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ksef_sheets.sync.archive_index import IndexConnection
from ksef_sheets.sync.archive_values import _json_default, _now, _utc_text


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    os_user: str
    action: str
    context_nip: str | None
    details: str
    count: int | None


class AuditLog(IndexConnection):
    """The audit log of the archive (a part of ``Archive``)."""

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
