"""The routes of TEST's data helpers (PROTOCOL.md §21, the spec's "Dane testowe" tag) and the Peppol
provider query: thin handlers over ``emu.subjects`` and ``emu.permissions``."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.request import page_params, read_model
from ksef_sheets.emulator.testdata import ALREADY_EXISTS, NIP_PATTERN, PESEL_PATTERN, SUBJECT_TYPES
from ksef_sheets.identifiers import is_valid_nip

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


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


class TestdataRoutes:
    """The TEST-only handlers; each checks the body and calls ``emu.subjects`` or ``emu.permissions``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def _check_nip(self, nip: str, field: str, request: Request) -> None:
        if not is_valid_nip(nip):
            raise validation_error([f"{field}: nieprawidłowa suma kontrolna NIP."], request=request)

    async def subject_create(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _SubjectCreate)
        self._check_nip(body.subjectNip, "subjectNip", request)
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

    async def subject_remove(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _SubjectRemove)
        emu.subjects.remove(body.subjectNip)
        return Response(status_code=200)

    async def person_create(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _PersonCreate)
        self._check_nip(body.nip, "nip", request)
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

    async def person_remove(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _PersonRemove)
        emu.subjects.remove_person(body.nip)
        return Response(status_code=200)

    async def permissions_grant(self, request: Request) -> Response:
        emu = self.emu
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

    async def permissions_revoke(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _PermissionsRevoke)
        emu.permissions.revoke_all(
            context_value=body.contextIdentifier.value,
            subject_type=body.authorizedIdentifier.type,
            subject_value=body.authorizedIdentifier.value,
        )
        return Response(status_code=200)

    async def attachment_grant(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _Attachment)
        emu.subjects.set_attachments(body.nip, True)
        return Response(status_code=200)

    async def attachment_revoke(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _Attachment)
        if body.expectedEndDate is not None:
            emu.subjects.set_attachments(body.nip, True, body.expectedEndDate)
        else:
            emu.subjects.set_attachments(body.nip, False)
        return Response(status_code=200)

    async def _block_body(self, request: Request) -> _ContextIdentifier:
        body = await read_model(request, _Block)
        if body.contextIdentifier is None:
            raise validation_error(["contextIdentifier: pole jest wymagane."], request=request)
        return body.contextIdentifier

    async def context_block(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        ident = await self._block_body(request)
        emu.subjects.block(ident.type, ident.value)
        return Response(status_code=200)

    async def context_unblock(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        ident = await self._block_body(request)
        emu.subjects.unblock(ident.type, ident.value)
        return Response(status_code=200)

    async def peppol_query(self, request: Request) -> Response:
        # Peppol providers register at their first login on real KSeF; none exist in the emulator.
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        page_params(request)
        return JSONResponse({"peppolProviders": [], "hasMore": False})


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = TestdataRoutes(emu)
    return [
        Route("/peppol/query", handlers.peppol_query, methods=["GET"]),
        Route("/testdata/subject", handlers.subject_create, methods=["POST"]),
        Route("/testdata/subject/remove", handlers.subject_remove, methods=["POST"]),
        Route("/testdata/person", handlers.person_create, methods=["POST"]),
        Route("/testdata/person/remove", handlers.person_remove, methods=["POST"]),
        Route("/testdata/permissions", handlers.permissions_grant, methods=["POST"]),
        Route("/testdata/permissions/revoke", handlers.permissions_revoke, methods=["POST"]),
        Route("/testdata/attachment", handlers.attachment_grant, methods=["POST"]),
        Route("/testdata/attachment/revoke", handlers.attachment_revoke, methods=["POST"]),
        Route("/testdata/context/block", handlers.context_block, methods=["POST"]),
        Route("/testdata/context/unblock", handlers.context_unblock, methods=["POST"]),
    ]
