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
  ``await emu.authorize(request, any_of={"InvoiceRead"})`` → ``AccessContext`` (401/403 otherwise);
  ``await emu.caller(request, "invoiceMetadata", any_of=...)`` also counts the call against its
  rate-limit group (429), as every authenticated handler does first.
- ``emu.certificates`` — ``CertificateService`` (KSeF certificates, §18.4): its CA issues enrolled
  certificates; ``login_identity(cert)`` tells the XAdES login who a KSeF certificate names and
  whether it may log in; ``processing_delay`` keeps enrolments in status 100.
- ``emu.new_reference("SO")`` → ``YYYYMMDD-SO-XXXXXXXXXX-XXXXXXXXXX-XX``.

- ``emu.invoices`` — ``InvoiceStore``; ``emu.sessions`` — ``SessionService`` (sending);
  ``emu.exports`` — ``ExportService`` (``POST /invoices/exports``).

- ``emu.links`` — ``StorageLinks``: signed storage links (UPO, export parts, batch uploads).
- ``emu.verification`` — ``VerificationService`` (the KOD I / KOD II pages).

Every service is built here, in one place and in this order: each gets the ``Runtime`` (state
folder, database, clock, references; ``runtime.py``) and the services it uses as constructor
arguments, and creates its tables. No service module imports this one; only the route modules
(``*_routes.py``, each exposing ``routes(emu) -> list[BaseRoute]``, collected by
``app.create_app``), the runner and the seed see ``Emulator``. Request helpers (``read_body``,
``read_json``, ``read_model``, ``read_strict``, ``page_params``, ``query_int``) live in ``request.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.auth import AuthService
from ksef_sheets.emulator.certificates import CertificateService
from ksef_sheets.emulator.clock import EmulatorClock
from ksef_sheets.emulator.exports import ExportService
from ksef_sheets.emulator.faults import Faults
from ksef_sheets.emulator.invoices import InvoiceStore
from ksef_sheets.emulator.keys import EmulatorKeys
from ksef_sheets.emulator.limits import ContextLimits, RateLimiter
from ksef_sheets.emulator.links import StorageLinks
from ksef_sheets.emulator.permissions import Permissions
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.sessions import SessionService
from ksef_sheets.emulator.state import open_database
from ksef_sheets.emulator.testdata import Subjects
from ksef_sheets.emulator.tokens import Tokens
from ksef_sheets.emulator.verification import VerificationService

__all__ = ["AccessContext", "Emulator"]


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
        rt = self.runtime = Runtime(self.state_dir, self.db, self.clock)
        self.keys = EmulatorKeys(self.state_dir)
        self.links = StorageLinks(self.clock, self.public_url, self.keys.jwt_secret)
        self.limits = RateLimiter(self.clock, limits, self.db)
        self.context_limits = ContextLimits(self.db)
        self.faults = Faults()
        self.subjects = Subjects(rt)
        self.permissions = Permissions(rt, self.subjects)
        self.tokens = Tokens(rt, self.permissions)
        self.certificates = CertificateService(rt, self.keys, self.context_limits)
        self.auth = AuthService(
            rt,
            keys=self.keys,
            subjects=self.subjects,
            permissions=self.permissions,
            tokens=self.tokens,
            certificates=self.certificates,
        )
        self.invoices = InvoiceStore(rt)
        self.sessions = SessionService(
            rt, invoices=self.invoices, links=self.links, context_limits=self.context_limits
        )
        self.exports = ExportService(
            rt, invoices=self.invoices, keys=self.keys, links=self.links, faults=self.faults
        )
        self.verification = VerificationService(rt, self.permissions)

    def new_reference(self, kind: str) -> str:
        """A 36-character reference ``YYYYMMDD-TT-XXXXXXXXXX-XXXXXXXXXX-XX`` (PROTOCOL.md §2)."""
        return self.runtime.new_reference(kind)

    async def authorize(self, request: Request, *, any_of: set[str] | None = None) -> AccessContext:
        """Validate the bearer access token; 401 without/with a bad one, 403 without ``any_of``."""
        return self.auth.authorize_access(request, any_of=any_of)

    async def caller(self, request: Request, group: str, *, any_of: set[str] | None = None) -> AccessContext:
        """Who calls (``authorize``), counted against the rate-limit ``group``: what every
        authenticated handler does first."""
        ctx = self.auth.authorize_access(request, any_of=any_of)
        self.limits.check(request, ctx, group)
        return ctx

    def close(self) -> None:
        self.db.close()
