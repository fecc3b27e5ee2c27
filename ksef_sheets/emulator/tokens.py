"""KSeF tokens (PROTOCOL.md §7): generate, list, get, revoke; status Pending → Active → Revoking → Revoked
(or Pending → Failed when the author lost the permissions before activation).

The token string has KSeF's shape ``<reference>|<contextType>-<value>|<64 hex>``. Only its SHA-256
is stored; the secret is returned once, by ``POST /tokens`` or ``emu.tokens.issue(...)``.
Status changes are evaluated lazily on the emulator clock: a new token is Pending for
``ACTIVATION_DELAY``, a revoked one is Revoking for ``REVOCATION_DELAY``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ksef_sheets.emulator.permissions import Permissions
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.state import iso, parse_iso

TOKEN_PERMISSION_TYPES = (
    "InvoiceRead",
    "InvoiceWrite",
    "CredentialsRead",
    "CredentialsManage",
    "SubunitManage",
    "EnforcementOperations",
    "Introspection",
    "CollectiveIdentifierManage",
)
ACTIVATION_DELAY = timedelta(seconds=1)
REVOCATION_DELAY = timedelta(seconds=1)


def init_schema(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS ksef_tokens (
            reference TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL,
            context_type TEXT NOT NULL, context_value TEXT NOT NULL,
            author_type TEXT NOT NULL, author_value TEXT NOT NULL,
            permissions TEXT NOT NULL, description TEXT NOT NULL,
            created TEXT NOT NULL, active_from TEXT NOT NULL, last_use TEXT,
            revoked_at TEXT, failed INTEGER NOT NULL DEFAULT 0
        )
        """
    )


@dataclass(frozen=True)
class TokenRecord:
    reference: str
    context_type: str
    context_value: str
    author_type: str
    author_value: str
    permissions: tuple[str, ...]
    description: str
    created: datetime
    last_use: datetime | None
    status: str


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    def __init__(self, rt: Runtime, permissions: Permissions) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        self.permissions = permissions
        init_schema(self.db)

    def create(
        self,
        *,
        context_type: str,
        context_value: str,
        author_type: str,
        author_value: str,
        permissions: list[str],
        description: str,
        active_from: datetime,
    ) -> tuple[str, str]:
        reference = self.runtime.new_reference("EC")
        type_word = context_type[0].lower() + context_type[1:]
        token = f"{reference}|{type_word}-{context_value}|{secrets.token_hex(32)}"
        self.db.execute(
            "INSERT INTO ksef_tokens(reference, secret_sha256, context_type, context_value, author_type,"
            " author_value, permissions, description, created, active_from) VALUES(?,?,?,?,?,?,?,?,?,?)",
            (
                reference,
                _sha(token),
                context_type,
                context_value,
                author_type,
                author_value,
                json.dumps(sorted(set(permissions))),
                description,
                iso(self.clock.now()),
                iso(active_from),
            ),
        )
        return reference, token

    def issue(
        self,
        context_nip: str,
        authorized_nip: str,
        permissions: list[str],
        description: str = "Token KSeF dla biura rachunkowego",
    ) -> str:
        """An already Active token for ``authorized_nip`` (its author) in context ``context_nip``.

        Used by seeding: the office's token to act for a client. The caller makes sure the author
        holds the permissions in that context (e.g. with ``emu.permissions.grant_entity``).
        """
        bad = [p for p in permissions if p not in TOKEN_PERMISSION_TYPES]
        if bad:
            raise ValueError(f"not token permissions: {bad}")
        _, token = self.create(
            context_type="Nip",
            context_value=context_nip,
            author_type="Nip",
            author_value=authorized_nip,
            permissions=permissions,
            description=description,
            active_from=self.clock.now(),
        )
        return token

    def _status(self, row: sqlite3.Row) -> str:
        now = self.clock.now()
        if row["revoked_at"]:
            return "Revoked" if now >= parse_iso(row["revoked_at"]) + REVOCATION_DELAY else "Revoking"
        if row["failed"]:
            return "Failed"
        if now < parse_iso(row["active_from"]):
            return "Pending"
        return "Active"

    def _record(self, row: sqlite3.Row) -> TokenRecord:
        status = self._status(row)
        if status == "Active" and row["last_use"] is None and row["author_type"] != "System":
            # On activation, a token whose author meanwhile lost the permissions fails.
            held = self.permissions.effective(
                row["context_type"], row["context_value"], row["author_type"], row["author_value"]
            ).permissions
            if not set(json.loads(row["permissions"])) <= held:
                self.db.execute("UPDATE ksef_tokens SET failed = 1 WHERE reference = ?", (row["reference"],))
                status = "Failed"
        return TokenRecord(
            reference=row["reference"],
            context_type=row["context_type"],
            context_value=row["context_value"],
            author_type=row["author_type"],
            author_value=row["author_value"],
            permissions=tuple(json.loads(row["permissions"])),
            description=row["description"],
            created=parse_iso(row["created"]),
            last_use=parse_iso(row["last_use"]) if row["last_use"] else None,
            status=status,
        )

    def get(self, reference: str) -> TokenRecord | None:
        row = self.db.execute("SELECT * FROM ksef_tokens WHERE reference = ?", (reference,)).fetchone()
        return self._record(row) if row else None

    def find(self, token: str) -> TokenRecord | None:
        """The record of a presented token string (constant-time secret comparison)."""
        reference = token.split("|", 1)[0]
        row = self.db.execute("SELECT * FROM ksef_tokens WHERE reference = ?", (reference,)).fetchone()
        if row is None or not hmac.compare_digest(row["secret_sha256"], _sha(token)):
            return None
        return self._record(row)

    def touch(self, reference: str) -> None:
        self.db.execute(
            "UPDATE ksef_tokens SET last_use = ? WHERE reference = ?", (iso(self.clock.now()), reference)
        )

    def revoke(self, reference: str) -> bool:
        return (
            self.db.execute(
                "UPDATE ksef_tokens SET revoked_at = ? WHERE reference = ? AND revoked_at IS NULL",
                (iso(self.clock.now()), reference),
            ).rowcount
            > 0
        )

    def in_context(self, context_value: str) -> list[TokenRecord]:
        rows = self.db.execute(
            "SELECT * FROM ksef_tokens WHERE context_value = ? ORDER BY created DESC, reference DESC",
            (context_value,),
        )
        return [self._record(r) for r in rows]


def token_json(record: TokenRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "referenceNumber": record.reference,
        "authorIdentifier": {"type": record.author_type, "value": record.author_value},
        "contextIdentifier": {"type": record.context_type, "value": record.context_value},
        "description": record.description,
        "requestedPermissions": list(record.permissions),
        "dateCreated": iso(record.created),
        "status": record.status,
    }
    if record.last_use:
        body["lastUseDate"] = iso(record.last_use)
    if record.status == "Failed":
        body["statusDetails"] = ["Autor tokena nie posiada już wymaganych uprawnień."]
    return body
