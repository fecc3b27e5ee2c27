"""TEST-environment helpers (PROTOCOL.md §21, the spec's "Dane testowe" tag) and the subject registry.

``emu.subjects`` keeps what ``/testdata/subject`` and ``/testdata/person`` create: subjects with a
special role (EnforcementAuthority, VatGroup, JST) and their subunits, persons linked NIP↔PESEL
(who then count as Owner of the NIP context), blocked contexts (auth ends with 480) and the
attachment consent. Ordinary companies need no registration: as on TEST, anyone may log into any
NIP context with a self-signed certificate of that NIP.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.request import page_params, read_model
from ksef_sheets.emulator.state import iso
from ksef_sheets.identifiers import is_valid_nip

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

NIP_PATTERN = r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$"
PESEL_PATTERN = r"^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$"
SUBJECT_TYPES = ("EnforcementAuthority", "VatGroup", "JST")
ALREADY_EXISTS = 30001


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS subjects (
            nip TEXT PRIMARY KEY, name TEXT, subject_type TEXT, description TEXT,
            parent_nip TEXT, created TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS persons (
            nip TEXT PRIMARY KEY, pesel TEXT NOT NULL, is_bailiff INTEGER NOT NULL,
            is_deceased INTEGER NOT NULL, description TEXT, created TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS persons_pesel ON persons(pesel);
        CREATE TABLE IF NOT EXISTS blocked_contexts (
            context_type TEXT NOT NULL, context_value TEXT NOT NULL, PRIMARY KEY (context_type, context_value)
        );
        CREATE TABLE IF NOT EXISTS attachment_consents (
            nip TEXT PRIMARY KEY, allowed INTEGER NOT NULL, end_date TEXT
        );
        """
    )


@dataclass(frozen=True)
class Subject:
    nip: str
    name: str | None
    subject_type: str | None
    parent_nip: str | None


class Subjects:
    """The registry behind ``/testdata/subject`` and ``/testdata/person`` (see module docstring)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.db = emu.db
        init_schema(self.db)

    def add(
        self,
        nip: str,
        name: str | None = None,
        subject_type: str | None = None,
        *,
        description: str | None = None,
        subunits: list[str] | None = None,
        exist_ok: bool = True,
    ) -> Subject:
        """Register a subject (a company when ``subject_type`` is None). Raises ``KeyError`` if it
        exists and ``exist_ok`` is False."""
        if not is_valid_nip(nip):
            raise ValueError(f"invalid NIP {nip!r}")
        if subject_type is not None and subject_type not in SUBJECT_TYPES:
            raise ValueError(f"unknown subject type {subject_type!r}")
        existing = self.get(nip)
        if existing is not None:
            if not exist_ok:
                raise KeyError(nip)
            return existing
        now = iso(self.emu.clock.now())
        with self.db:
            self.db.execute(
                "INSERT INTO subjects(nip, name, subject_type, description, parent_nip, created) VALUES(?,?,?,?,?,?)",
                (nip, name, subject_type, description, None, now),
            )
            for sub in subunits or []:
                self.db.execute(
                    "INSERT OR IGNORE INTO subjects(nip, name, subject_type, description, parent_nip, created)"
                    " VALUES(?,?,?,?,?,?)",
                    (sub, None, None, None, nip, now),
                )
        return Subject(nip, name, subject_type, None)

    def get(self, nip: str) -> Subject | None:
        row = self.db.execute("SELECT * FROM subjects WHERE nip = ?", (nip,)).fetchone()
        if row is None:
            return None
        return Subject(row["nip"], row["name"], row["subject_type"], row["parent_nip"])

    def remove(self, nip: str) -> bool:
        with self.db:
            self.db.execute("DELETE FROM subjects WHERE parent_nip = ?", (nip,))
            return self.db.execute("DELETE FROM subjects WHERE nip = ?", (nip,)).rowcount > 0

    def roles(self, nip: str) -> list[str]:
        subject = self.get(nip)
        roles: list[str] = []
        if subject and subject.subject_type == "EnforcementAuthority":
            roles.append("EnforcementAuthority")
        if subject and subject.subject_type == "VatGroup":
            roles.append("VatGroupUnit")
        if subject and subject.subject_type == "JST":
            roles.append("LocalGovernmentUnit")
        person = self.person_by_nip(nip)
        if person and person["is_bailiff"]:
            roles.append("CourtBailiff")
        return roles

    # --- persons --------------------------------------------------------------------------------
    def add_person(
        self,
        nip: str,
        pesel: str,
        *,
        is_bailiff: bool = False,
        is_deceased: bool = False,
        description: str = "Osoba testowa",
        exist_ok: bool = True,
    ) -> None:
        """Link a PESEL with a NIP: the person is then Owner of the NIP context."""
        if self.person_by_nip(nip) is not None:
            if not exist_ok:
                raise KeyError(nip)
            return
        with self.db:
            self.db.execute(
                "INSERT INTO persons(nip, pesel, is_bailiff, is_deceased, description, created) VALUES(?,?,?,?,?,?)",
                (nip, pesel, int(is_bailiff), int(is_deceased), description, iso(self.emu.clock.now())),
            )

    def person_by_nip(self, nip: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM persons WHERE nip = ?", (nip,)).fetchone()
        return row

    def remove_person(self, nip: str) -> bool:
        with self.db:
            return self.db.execute("DELETE FROM persons WHERE nip = ?", (nip,)).rowcount > 0

    def nips_of_pesel(self, pesel: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT nip FROM persons WHERE pesel = ?", (pesel,))]

    def is_deceased(self, pesel: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM persons WHERE pesel = ? AND is_deceased = 1", (pesel,)
        ).fetchone()
        return row is not None

    def is_owner(self, context_nip: str, subject_type: str, subject_value: str) -> bool:
        """Owner: the credential carries the context NIP, or a PESEL linked to it (PROTOCOL.md §5)."""
        if subject_type == "Nip":
            return subject_value == context_nip
        if subject_type == "Pesel":
            return context_nip in self.nips_of_pesel(subject_value)
        return False

    # --- blocking and attachments -----------------------------------------------------------------
    def block(self, context_type: str, context_value: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO blocked_contexts(context_type, context_value) VALUES(?, ?)",
                (context_type, context_value),
            )

    def unblock(self, context_type: str, context_value: str) -> None:
        with self.db:
            self.db.execute(
                "DELETE FROM blocked_contexts WHERE context_type = ? AND context_value = ?",
                (context_type, context_value),
            )

    def is_blocked(self, context_type: str, context_value: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM blocked_contexts WHERE context_type = ? AND context_value = ?",
            (context_type, context_value),
        ).fetchone()
        return row is not None

    def set_attachments(self, nip: str, allowed: bool, end_date: date | None = None) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO attachment_consents(nip, allowed, end_date) VALUES(?,?,?) "
                "ON CONFLICT(nip) DO UPDATE SET allowed = excluded.allowed, end_date = excluded.end_date",
                (nip, int(allowed), end_date.isoformat() if end_date else None),
            )

    def attachments_allowed(self, nip: str) -> tuple[bool, str | None]:
        row = self.db.execute(
            "SELECT allowed, end_date FROM attachment_consents WHERE nip = ?", (nip,)
        ).fetchone()
        if row is None:
            return False, None
        if row["end_date"] and date.fromisoformat(row["end_date"]) < self.emu.clock.now().date():
            return False, row["end_date"]
        return bool(row["allowed"]), row["end_date"]


# --- request bodies (the spec's "Dane testowe" schemas) ---------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Subunit(_Model):
    subjectNip: str = Field(pattern=NIP_PATTERN)
    description: str


class _SubjectCreate(_Model):
    subjectNip: str = Field(pattern=NIP_PATTERN)
    subjectType: str
    description: str
    subunits: list[_Subunit] | None = None


class _SubjectRemove(_Model):
    subjectNip: str = Field(pattern=NIP_PATTERN)


class _PersonCreate(_Model):
    nip: str = Field(pattern=NIP_PATTERN)
    pesel: str = Field(pattern=PESEL_PATTERN)
    isBailiff: bool
    isDeceased: bool = False
    description: str


class _PersonRemove(_Model):
    nip: str = Field(pattern=NIP_PATTERN)


class _Identifier(_Model):
    type: str
    value: str = Field(min_length=10, max_length=64)


class _TestPermission(_Model):
    permissionType: str
    description: str


class _PermissionsGrant(_Model):
    contextIdentifier: _Identifier
    authorizedIdentifier: _Identifier
    permissions: list[_TestPermission]


class _PermissionsRevoke(_Model):
    contextIdentifier: _Identifier
    authorizedIdentifier: _Identifier


class _Attachment(_Model):
    nip: str = Field(pattern=NIP_PATTERN)
    expectedEndDate: date | None = None


class _ContextIdentifier(_Model):
    type: str
    value: str


class _Block(_Model):
    contextIdentifier: _ContextIdentifier | None = None


TEST_PERMISSION_TYPES = (
    "InvoiceRead",
    "InvoiceWrite",
    "Introspection",
    "CredentialsRead",
    "CredentialsManage",
    "EnforcementOperations",
    "SubunitManage",
    "CollectiveIdentifierManage",
)


def routes(emu: Emulator) -> list[BaseRoute]:

    def _check_nip(nip: str, field: str, request: Request) -> None:
        if not is_valid_nip(nip):
            raise validation_error([f"{field}: nieprawidłowa suma kontrolna NIP."], request=request)

    async def subject_create(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _SubjectCreate)
        _check_nip(body.subjectNip, "subjectNip", request)
        if body.subjectType not in SUBJECT_TYPES:
            raise validation_error(
                [f"subjectType: nieznany typ podmiotu '{body.subjectType}'."], request=request
            )
        try:
            emu.subjects.add(
                body.subjectNip,
                None,
                body.subjectType,
                description=body.description,
                subunits=[s.subjectNip for s in body.subunits or []],
                exist_ok=False,
            )
        except KeyError:
            raise bad_request(
                ALREADY_EXISTS,
                "Podmiot już istnieje.",
                [f"Podmiot {body.subjectNip} już istnieje."],
                request=request,
            ) from None
        return Response(status_code=200)

    async def subject_remove(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _SubjectRemove)
        emu.subjects.remove(body.subjectNip)
        return Response(status_code=200)

    async def person_create(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _PersonCreate)
        _check_nip(body.nip, "nip", request)
        try:
            emu.subjects.add_person(
                body.nip,
                body.pesel,
                is_bailiff=body.isBailiff,
                is_deceased=body.isDeceased,
                description=body.description,
                exist_ok=False,
            )
        except KeyError:
            raise bad_request(
                ALREADY_EXISTS,
                "Osoba już istnieje.",
                [f"Osoba dla NIP {body.nip} już istnieje."],
                request=request,
            ) from None
        return Response(status_code=200)

    async def person_remove(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _PersonRemove)
        emu.subjects.remove_person(body.nip)
        return Response(status_code=200)

    async def permissions_grant(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _PermissionsGrant)
        if body.contextIdentifier.type not in ("Nip", "InternalId"):
            raise validation_error(["contextIdentifier.type: dozwolone Nip lub InternalId."], request=request)
        if body.authorizedIdentifier.type not in ("Nip", "Pesel", "Fingerprint"):
            raise validation_error(
                ["authorizedIdentifier.type: dozwolone Nip, Pesel lub Fingerprint."], request=request
            )
        bad = [p.permissionType for p in body.permissions if p.permissionType not in TEST_PERMISSION_TYPES]
        if bad:
            raise validation_error(
                [f"permissions: nieznane uprawnienie '{b}'." for b in bad], request=request
            )
        for perm in body.permissions:
            emu.permissions.grant(
                scope="person",
                context_type=body.contextIdentifier.type,
                context_value=body.contextIdentifier.value,
                subject_type=body.authorizedIdentifier.type,
                subject_value=body.authorizedIdentifier.value,
                permission=perm.permissionType,
                description=perm.description,
                author_type="System",
                author_value=None,
            )
        return Response(status_code=200)

    async def permissions_revoke(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _PermissionsRevoke)
        emu.permissions.revoke_all(
            context_value=body.contextIdentifier.value,
            subject_type=body.authorizedIdentifier.type,
            subject_value=body.authorizedIdentifier.value,
        )
        return Response(status_code=200)

    async def attachment_grant(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _Attachment)
        emu.subjects.set_attachments(body.nip, True)
        return Response(status_code=200)

    async def attachment_revoke(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _Attachment)
        if body.expectedEndDate is not None:
            emu.subjects.set_attachments(body.nip, True, body.expectedEndDate)
        else:
            emu.subjects.set_attachments(body.nip, False)
        return Response(status_code=200)

    async def _block_body(request: Request) -> _ContextIdentifier:
        body = await read_model(request, _Block)
        if body.contextIdentifier is None:
            raise validation_error(["contextIdentifier: pole jest wymagane."], request=request)
        return body.contextIdentifier

    async def context_block(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        ident = await _block_body(request)
        emu.subjects.block(ident.type, ident.value)
        return Response(status_code=200)

    async def context_unblock(request: Request) -> Response:
        emu.limits.check(request, None, "anonymous")
        ident = await _block_body(request)
        emu.subjects.unblock(ident.type, ident.value)
        return Response(status_code=200)

    async def peppol_query(request: Request) -> Response:
        # Peppol providers register at their first login on real KSeF; none exist in the emulator.
        emu.limits.check(request, None, "anonymous")
        page_params(request)
        return JSONResponse({"peppolProviders": [], "hasMore": False})

    return [
        Route("/peppol/query", peppol_query, methods=["GET"]),
        Route("/testdata/subject", subject_create, methods=["POST"]),
        Route("/testdata/subject/remove", subject_remove, methods=["POST"]),
        Route("/testdata/person", person_create, methods=["POST"]),
        Route("/testdata/person/remove", person_remove, methods=["POST"]),
        Route("/testdata/permissions", permissions_grant, methods=["POST"]),
        Route("/testdata/permissions/revoke", permissions_revoke, methods=["POST"]),
        Route("/testdata/attachment", attachment_grant, methods=["POST"]),
        Route("/testdata/attachment/revoke", attachment_revoke, methods=["POST"]),
        Route("/testdata/context/block", context_block, methods=["POST"]),
        Route("/testdata/context/unblock", context_unblock, methods=["POST"]),
    ]
