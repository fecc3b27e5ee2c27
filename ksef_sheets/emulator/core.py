"""The emulator's state and services in one object, shared by every route module.

``Emulator(state_dir, limits="off" | "prod" | {group: (per_s, per_min, per_h)})`` opens (or creates) the state folder and wires:

- ``emu.state_dir`` / ``emu.db`` — ``state_dir/emulator.sqlite`` (see ``state.py``); each module
  creates its tables in ``init_schema(db)``; use it from the server's event-loop thread only (the
  runner seeds before the server starts).
- ``emu.clock`` — ``EmulatorClock``: ``now()`` (aware UTC), ``advance(timedelta)``, ``set_speed(f)``.
- ``emu.public_url`` — base for links handed out (export parts, UPO), e.g. ``http://127.0.0.1:8080/v2``;
  the runner sets it once the port is known.
- ``emu.keys`` — ``EmulatorKeys`` (``decrypt(usage, data)``, ``knows_public_key_id(id, usage)``,
  usages ``keys.TOKEN_USAGE`` / ``keys.SYMMETRIC_USAGE``).
- ``emu.limits`` — ``RateLimiter``: ``emu.limits.check(request, ctx, "invoiceMetadata")`` raises 429.
- ``emu.context_limits`` — ``ContextLimits.for_context(nip)`` → ``GET /limits/context`` shape.
- ``emu.faults`` — ``Faults``: ``fail_next(n, status=, path_prefix=)``, ``drop_next(...)``,
  ``system_warning``, ``export_delay`` (for the exports module to honour), ``clear()``.
- ``emu.subjects`` — ``Subjects``: ``add(nip, name, subject_type="EnforcementAuthority"|"VatGroup"|"JST"|None)``,
  ``add_person(nip, pesel, is_bailiff=, is_deceased=)`` (the person becomes Owner of the NIP),
  ``is_owner(nip, subject_type, value)``, ``roles(nip)``, ``block(type, value)``, ``set_attachments(nip, allowed)``.
- ``emu.permissions`` — ``Permissions``: ``grant_entity(context_nip, to_nip, permissions, can_delegate=False)``,
  ``grant_person(context_nip, subject_type, value, permissions)``, ``grant_indirect(office_nip, subject_type,
  value, permissions, target_nip=None)``, ``revoke(permission_id)``,
  ``effective(context_type, context_value, subject_type, subject_value) -> EffectivePermissions``.
- ``emu.tokens`` — ``Tokens``: ``issue(context_nip, authorized_nip, permissions, description) -> str``
  (the full KSeF token, already Active), ``get(ref)``, ``find(token)``, ``revoke(ref)``.
- ``emu.auth`` — ``AuthService`` (``processing_delay`` keeps logins in status 100);
  ``await emu.authorize(request, any_of={"InvoiceRead"})`` → ``AccessContext`` (401/403 otherwise).
- ``emu.certificates`` — ``CertificateService`` (KSeF certificates, §18.4): its CA issues enrolled
  certificates; ``login_identity(cert)`` tells the XAdES login who a KSeF certificate names and
  whether it may log in; ``processing_delay`` keeps enrolments in status 100.
- ``emu.new_reference("SO")`` → ``YYYYMMDD-SO-XXXXXXXXXX-XXXXXXXXXX-XX``.

Route modules expose ``routes(emu) -> list[BaseRoute]``; ``app.create_app`` collects them.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from ksef_sheets.emulator.body_limits import MAX_JSON_BODY, json_body_problem
from ksef_sheets.emulator.clock import EmulatorClock
from ksef_sheets.emulator.errors import validation_error
from ksef_sheets.emulator.faults import Faults
from ksef_sheets.emulator.keys import EmulatorKeys
from ksef_sheets.emulator.limits import ContextLimits, RateLimiter
from ksef_sheets.emulator.state import open_database

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class AccessContext:
    """Who calls, in which context, with which permissions (from a valid access token)."""

    context_type: str  # Nip | InternalId | NipVatUe | PeppolId
    context_value: str
    subject_identifier: str
    permissions: frozenset[str]
    auth_ref: str
    subject_type: str = "Nip"  # Nip | Pesel | Fingerprint
    auth_method: str = "Token"  # Token | XadesSignature
    ksef_token_ref: str | None = None
    is_owner: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_any(self, wanted: set[str] | frozenset[str]) -> bool:
        return bool(self.permissions & wanted)


class Emulator:
    def __init__(
        self,
        state_dir: Path,
        *,
        limits: str | Mapping[str, Any] = "off",
        public_url: str | None = None,
        clock: EmulatorClock | None = None,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock or EmulatorClock()
        self.db: sqlite3.Connection = open_database(self.state_dir)
        self.public_url = public_url or "http://127.0.0.1:0/v2"
        self.keys = EmulatorKeys(self.state_dir)
        self.limits = RateLimiter(self.clock, limits, self.db)
        self.context_limits = ContextLimits(self.db)
        self.faults = Faults()

        # Imported here: these modules import core for typing only.
        from ksef_sheets.emulator.auth import AuthService
        from ksef_sheets.emulator.certificates import CertificateService
        from ksef_sheets.emulator.permissions import Permissions
        from ksef_sheets.emulator.testdata import Subjects
        from ksef_sheets.emulator.tokens import Tokens

        self.subjects = Subjects(self)
        self.permissions = Permissions(self)
        self.tokens = Tokens(self)
        self.auth = AuthService(self)
        self.certificates = CertificateService(self)
        self._init_optional_schemas()

    def _init_optional_schemas(self) -> None:
        """Let the invoices engineer's modules create their tables, when present."""
        import importlib

        for name in ("invoices", "sessions", "exports", "upo"):
            try:
                module = importlib.import_module(f"ksef_sheets.emulator.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"ksef_sheets.emulator.{name}":
                    raise
                continue
            init = getattr(module, "init_schema", None)
            if init is not None:
                init(self.db)
            attach = getattr(module, "attach", None)
            if attach is not None:
                attach(self)

    def new_reference(self, kind: str) -> str:
        """A 36-character reference ``YYYYMMDD-TT-XXXXXXXXXX-XXXXXXXXXX-XX`` (PROTOCOL.md §2)."""
        if len(kind) != 2 or not kind.isalpha():
            raise ValueError("reference kind must be two letters, e.g. 'SO'")
        hex_part = secrets.token_hex(11).upper()
        return f"{self.clock.now():%Y%m%d}-{kind.upper()}-{hex_part[:10]}-{hex_part[10:20]}-{hex_part[20:22]}"

    async def authorize(self, request: Request, *, any_of: set[str] | None = None) -> AccessContext:
        """Validate the bearer access token; 401 without/with a bad one, 403 without ``any_of``."""
        return self.auth.authorize_access(request, any_of=any_of)

    def close(self) -> None:
        self.db.close()


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, read in chunks and refused (400/21405) as soon as it exceeds ``limit`` bytes,
    so an oversized upload never sits in memory whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise validation_error([f"Treść żądania przekracza {limit} bajtów."], request=request)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise validation_error([f"Treść żądania przekracza {limit} bajtów."], request=request)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> Any:
    """The request's JSON body, or the spec's 400/21405 with a reason (size and nesting bounded
    before parsing, see ``body_limits``)."""
    body = await read_body(request, MAX_JSON_BODY)
    problem = json_body_problem(body)
    if problem:
        raise validation_error([problem], request=request)
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise validation_error([f"Nieprawidłowy JSON: {exc}"], request=request) from None


async def read_model(request: Request, model: type[ModelT]) -> ModelT:
    """Parse and validate the JSON body with a pydantic model; 400/21405 listing each problem."""
    data = await read_json(request)
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()]
        raise validation_error(details, request=request) from None
