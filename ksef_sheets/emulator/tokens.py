"""KSeF tokens (PROTOCOL.md §7): generate, list, get, revoke; status Pending → Active → Revoking → Revoked
(or Pending → Failed when the author lost the permissions before activation).

The token string has KSeF's shape ``<reference>|<contextType>-<value>|<64 hex>``. Only its SHA-256
is stored; the secret is returned once, by ``POST /tokens`` or ``emu.tokens.issue(...)``.
Status changes are evaluated lazily on the emulator clock: a new token is Pending for
``ACTIVATION_DELAY``, a revoked one is Revoking for ``REVOCATION_DELAY``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import bad_request, forbidden, validation_error
from ksef_sheets.emulator.request import read_model
from ksef_sheets.emulator.state import iso, parse_iso

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

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
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.db = emu.db
        init_schema(self.db)

    def _create(
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
        reference = self.emu.new_reference("EC")
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
                iso(self.emu.clock.now()),
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
        _, token = self._create(
            context_type="Nip",
            context_value=context_nip,
            author_type="Nip",
            author_value=authorized_nip,
            permissions=permissions,
            description=description,
            active_from=self.emu.clock.now(),
        )
        return token

    def _status(self, row: sqlite3.Row) -> str:
        now = self.emu.clock.now()
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
            held = self.emu.permissions.effective(
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
            "UPDATE ksef_tokens SET last_use = ? WHERE reference = ?", (iso(self.emu.clock.now()), reference)
        )

    def revoke(self, reference: str) -> bool:
        return (
            self.db.execute(
                "UPDATE ksef_tokens SET revoked_at = ? WHERE reference = ? AND revoked_at IS NULL",
                (iso(self.emu.clock.now()), reference),
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


class _GenerateToken(BaseModel):
    model_config = ConfigDict(extra="ignore")
    permissions: list[str] = Field(min_length=1)
    description: str = Field(min_length=5, max_length=256)


def _encode_continuation(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_continuation(token: str, request: Request) -> int:
    try:
        offset = int(json.loads(base64.b64decode(token, validate=True))["offset"])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise bad_request(
            21418, "Przekazany token kontynuacji ma nieprawidłowy format.", request=request
        ) from None


def routes(emu: Emulator) -> list[BaseRoute]:

    def _visible(ctx: AccessContext, record: TokenRecord) -> bool:
        if record.context_value != ctx.context_value:
            return False
        if ctx.has_any({"CredentialsManage", "CredentialsRead"}):
            return True
        if ctx.ksef_token_ref is not None:
            return record.reference == ctx.ksef_token_ref
        return record.author_type == ctx.subject_type and record.author_value == ctx.subject_identifier

    async def generate(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _GenerateToken)
        bad = [p for p in body.permissions if p not in TOKEN_PERMISSION_TYPES]
        if bad:
            raise validation_error(
                [f"permissions: nieznane uprawnienie '{b}'." for b in bad], request=request
            )
        if ctx.context_type not in ("Nip", "InternalId"):
            raise bad_request(
                26002,
                "Nie można wygenerować tokena dla tego typu kontekstu.",
                [f"Typ kontekstu {ctx.context_type} nie pozwala na tokeny KSeF."],
                request=request,
            )
        missing = sorted(set(body.permissions) - ctx.permissions)
        if missing:
            raise bad_request(
                26001,
                "Nie można nadać tokenowi uprawnień, których nie posiadasz.",
                [f"Brak uprawnienia {p}." for p in missing],
                request=request,
            )
        reference, token = emu.tokens._create(
            context_type=ctx.context_type,
            context_value=ctx.context_value,
            author_type=ctx.subject_type,
            author_value=ctx.subject_identifier,
            permissions=body.permissions,
            description=body.description,
            active_from=emu.clock.now() + ACTIVATION_DELAY,
        )
        return JSONResponse({"referenceNumber": reference, "token": token}, status_code=202)

    async def list_tokens(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        params = request.query_params
        statuses = params.getlist("status")
        allowed = ("Pending", "Active", "Revoking", "Revoked", "Failed")
        problems = [f"status: nieznana wartość '{s}'." for s in statuses if s not in allowed]
        description = params.get("description")
        author = params.get("authorIdentifier")
        author_type = params.get("authorIdentifierType")
        if description is not None and len(description) < 3:
            problems.append("description: wymagane co najmniej 3 znaki.")
        if author is not None and len(author) < 3:
            problems.append("authorIdentifier: wymagane co najmniej 3 znaki.")
        if author_type is not None and author_type not in ("Nip", "Pesel", "Fingerprint"):
            problems.append("authorIdentifierType: dozwolone Nip, Pesel lub Fingerprint.")
        try:
            page_size = int(params.get("pageSize", "10"))
        except ValueError:
            page_size = -1
        if not 10 <= page_size <= 100:
            problems.append("pageSize: wartość musi być z zakresu 10–100.")
        if problems:
            raise validation_error(problems, request=request)
        continuation = request.headers.get("x-continuation-token")
        offset = _decode_continuation(continuation, request) if continuation else 0
        records = [
            r
            for r in emu.tokens.in_context(ctx.context_value)
            if _visible(ctx, r)
            and (not statuses or r.status in statuses)
            and (description is None or description.lower() in r.description.lower())
            and (author is None or author in r.author_value)
            and (author_type is None or author_type == r.author_type)
        ]
        page = records[offset : offset + page_size]
        more = len(records) > offset + page_size
        return JSONResponse(
            {
                "continuationToken": _encode_continuation(offset + page_size) if more else None,
                "tokens": [token_json(r) for r in page],
            }
        )

    def _lookup(request: Request, ctx: AccessContext) -> TokenRecord:
        reference = request.path_params["referenceNumber"]
        record = emu.tokens.get(reference)
        if record is None or record.context_value != ctx.context_value:
            raise bad_request(
                21405,
                "Błąd walidacji danych wejściowych.",
                [f"Nie znaleziono tokena {reference}."],
                request=request,
            )
        if not _visible(ctx, record):
            raise forbidden(
                "insufficient-resource-access", "Brak dostępu do wskazanego tokena.", None, request=request
            )
        return record

    async def get_token(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        return JSONResponse(token_json(_lookup(request, ctx)))

    async def revoke_token(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        record = _lookup(request, ctx)
        if not ctx.has_any({"CredentialsManage"}) and not (
            record.reference == ctx.ksef_token_ref
            or (record.author_type == ctx.subject_type and record.author_value == ctx.subject_identifier)
        ):
            raise forbidden(
                "missing-permissions",
                "Brak wymaganych uprawnień do wykonania operacji w bieżącym kontekście.",
                {
                    "requiredAnyOfPermissions": ["CredentialsManage"],
                    "presentPermissions": sorted(ctx.permissions),
                },
                request=request,
            )
        emu.tokens.revoke(record.reference)
        return Response(status_code=204)

    return [
        Route("/tokens", generate, methods=["POST"]),
        Route("/tokens", list_tokens, methods=["GET"]),
        Route("/tokens/{referenceNumber}", get_token, methods=["GET"]),
        Route("/tokens/{referenceNumber}", revoke_token, methods=["DELETE"]),
    ]
