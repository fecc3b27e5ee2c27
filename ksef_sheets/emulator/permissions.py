"""Permissions (PROTOCOL.md §5–6): grants, effective permissions at login, queries, revocation.

Model, one row per (grant, permission type) in table ``permissions``:

- ``scope='person'``  — granted in ``context`` to a person/entity identifier (Nip|Pesel|Fingerprint),
  by ``/permissions/persons/grants`` or ``/testdata/permissions`` (author ``System``, like ZAW-FA);
- ``scope='entity'``  — InvoiceRead/InvoiceWrite granted by context C to another entity's NIP
  (the accounting office), optionally ``can_delegate``;
- ``scope='indirect'`` — granted in the intermediary's context O to a subject, for a target client
  (``target_type`` Nip/InternalId) or ``AllPartners``; effective in client C only while C gave O the
  same permission with ``can_delegate``;
- ``scope='authorization'`` — SelfInvoicing/RRInvoicing/TaxRepresentative/PefInvoicing (no read access).

Owner (the credential carries the context NIP, or a PESEL linked to it) has every permission except
VatUeManage and is not listed in queries. Entity permissions given to NIP O count for O itself and
for O's Owner persons (PROTOCOL.md §6.2, personal query). No inheritance otherwise (§6.3 item 7).

Python API (seeding, tests)::

    emu.permissions.grant_entity(client_nip, office_nip, ["InvoiceRead"], can_delegate=True)
    emu.permissions.grant_person(client_nip, "Pesel", pesel, ["InvoiceRead"], first_name=..., last_name=...)
    emu.permissions.grant_indirect(office_nip, "Pesel", pesel, ["InvoiceRead"], target_nip=client_nip)
    emu.permissions.effective("Nip", client_nip, "Nip", office_nip)  # -> EffectivePermissions
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.errors import bad_request, forbidden, gone, validation_error
from ksef_sheets.emulator.request import read_model
from ksef_sheets.emulator.state import iso, parse_iso

if TYPE_CHECKING:
    from ksef_sheets.emulator.access import AccessContext
    from ksef_sheets.emulator.core import Emulator

OWNER_PERMISSIONS = frozenset(
    {
        "CredentialsManage",
        "CredentialsRead",
        "InvoiceWrite",
        "InvoiceRead",
        "Introspection",
        "SubunitManage",
        "CollectiveIdentifierManage",
    }
)
PERSON_PERMISSION_TYPES = (
    "CredentialsManage",
    "CredentialsRead",
    "InvoiceWrite",
    "InvoiceRead",
    "Introspection",
    "SubunitManage",
    "EnforcementOperations",
    "CollectiveIdentifierManage",
)
ENTITY_PERMISSION_TYPES = ("InvoiceWrite", "InvoiceRead", "CollectiveIdentifierManage")
INDIRECT_PERMISSION_TYPES = ("InvoiceRead", "InvoiceWrite", "CollectiveIdentifierManage")
AUTHORIZATION_TYPES = ("SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing")
OPERATION_RETENTION_DAYS = 30

_STATUS_TEXT = {
    100: "Operacja przyjęta do realizacji",
    200: "Operacja zakończona sukcesem",
    400: "Operacja zakończona niepowodzeniem",
    410: "Podane identyfikatory są niezgodne lub pozostają w niewłaściwej relacji",
    420: "Użyte poświadczenia nie mają uprawnień do wykonania tej operacji",
    430: "Kontekst identyfikatora nie odpowiada wymaganej roli lub uprawnieniom",
    440: "Operacja niedozwolona dla wskazanych powiązań identyfikatorów",
    450: "Operacja niedozwolona dla wskazanego identyfikatora lub jego typu",
    500: "Nieznany błąd",
}


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS permissions (
            id TEXT PRIMARY KEY, scope TEXT NOT NULL,
            context_type TEXT NOT NULL, context_value TEXT NOT NULL,
            subject_type TEXT NOT NULL, subject_value TEXT NOT NULL,
            target_type TEXT, target_value TEXT,
            permission TEXT NOT NULL, can_delegate INTEGER NOT NULL DEFAULT 0,
            description TEXT NOT NULL, subject_details TEXT,
            author_type TEXT NOT NULL, author_value TEXT,
            start_date TEXT NOT NULL, seq INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS permissions_context ON permissions(context_value);
        CREATE INDEX IF NOT EXISTS permissions_subject ON permissions(subject_value);
        CREATE TABLE IF NOT EXISTS permission_operations (
            reference TEXT PRIMARY KEY, context_value TEXT NOT NULL, code INTEGER NOT NULL,
            details TEXT, created TEXT NOT NULL
        );
        """
    )


@dataclass(frozen=True)
class EffectivePermissions:
    permissions: frozenset[str]
    is_owner: bool


def _norm_subject(subject_type: str, value: str) -> str:
    # Certificate fingerprints are hex; compare case-insensitively.
    return value.upper() if subject_type == "Fingerprint" else value


class Permissions:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.db = emu.db
        init_schema(self.db)

    # --- granting -------------------------------------------------------------------------------
    def grant(
        self,
        *,
        scope: str,
        context_type: str,
        context_value: str,
        subject_type: str,
        subject_value: str,
        permission: str,
        description: str,
        author_type: str,
        author_value: str | None,
        can_delegate: bool = False,
        target_type: str | None = None,
        target_value: str | None = None,
        subject_details: dict[str, Any] | None = None,
    ) -> str:
        """Store one grant; an identical active grant is kept (its id returned), as KSeF may ignore repeats."""
        subject_value = _norm_subject(subject_type, subject_value)
        row = self.db.execute(
            "SELECT id FROM permissions WHERE scope=? AND context_value=? AND subject_type=? AND subject_value=?"
            " AND permission=? AND IFNULL(target_type,'')=? AND IFNULL(target_value,'')=?",
            (
                scope,
                context_value,
                subject_type,
                subject_value,
                permission,
                target_type or "",
                target_value or "",
            ),
        ).fetchone()
        if row is not None:
            if can_delegate:
                self.db.execute("UPDATE permissions SET can_delegate = 1 WHERE id = ?", (row["id"],))
            return str(row["id"])
        permission_id = str(uuid.uuid4())
        seq = self.db.execute("SELECT IFNULL(MAX(seq), 0) + 1 FROM permissions").fetchone()[0]
        self.db.execute(
            "INSERT INTO permissions(id, scope, context_type, context_value, subject_type, subject_value,"
            " target_type, target_value, permission, can_delegate, description, subject_details,"
            " author_type, author_value, start_date, seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                permission_id,
                scope,
                context_type,
                context_value,
                subject_type,
                subject_value,
                target_type,
                target_value,
                permission,
                int(can_delegate),
                description,
                json.dumps(subject_details) if subject_details else None,
                author_type,
                author_value,
                iso(self.emu.clock.now()),
                seq,
            ),
        )
        return permission_id

    def grant_entity(
        self,
        context_nip: str,
        to_nip: str,
        permissions: list[str],
        can_delegate: bool = False,
        *,
        description: str = "Uprawnienia dla biura rachunkowego",
        full_name: str | None = None,
    ) -> list[str]:
        """Client ``context_nip`` lets entity ``to_nip`` (the office) read/write its invoices."""
        for perm in permissions:
            if perm not in ENTITY_PERMISSION_TYPES:
                raise ValueError(f"not an entity permission: {perm}")
        details = {"subjectDetailsType": "EntityByIdentifier", "fullName": full_name or f"Podmiot {to_nip}"}
        return [
            self.grant(
                scope="entity",
                context_type="Nip",
                context_value=context_nip,
                subject_type="Nip",
                subject_value=to_nip,
                permission=perm,
                can_delegate=can_delegate,
                description=description,
                author_type="Nip",
                author_value=context_nip,
                subject_details=details,
            )
            for perm in permissions
        ]

    def grant_person(
        self,
        context_nip: str,
        subject_type: str,
        subject_value: str,
        permissions: list[str],
        *,
        description: str = "Uprawnienia dla osoby",
        first_name: str = "Jan",
        last_name: str = "Kowalski",
        author_type: str = "Nip",
        author_value: str | None = None,
    ) -> list[str]:
        for perm in permissions:
            if perm not in PERSON_PERMISSION_TYPES:
                raise ValueError(f"not a person permission: {perm}")
        details = {"subjectDetailsType": "PersonByIdentifier", "firstName": first_name, "lastName": last_name}
        return [
            self.grant(
                scope="person",
                context_type="Nip",
                context_value=context_nip,
                subject_type=subject_type,
                subject_value=subject_value,
                permission=perm,
                description=description,
                author_type=author_type,
                author_value=author_value or context_nip,
                subject_details=details,
            )
            for perm in permissions
        ]

    def grant_indirect(
        self,
        intermediary_nip: str,
        subject_type: str,
        subject_value: str,
        permissions: list[str],
        *,
        target_nip: str | None = None,
        target_type: str = "Nip",
        description: str = "Uprawnienia pośrednie dla pracownika",
        first_name: str = "Jan",
        last_name: str = "Kowalski",
    ) -> list[str]:
        """Office ``intermediary_nip`` passes on a delegable client permission to its employee;
        ``target_nip=None`` means all partners (general grant)."""
        for perm in permissions:
            if perm not in INDIRECT_PERMISSION_TYPES:
                raise ValueError(f"not an indirect permission: {perm}")
        details = {"subjectDetailsType": "PersonByIdentifier", "firstName": first_name, "lastName": last_name}
        return [
            self.grant(
                scope="indirect",
                context_type="Nip",
                context_value=intermediary_nip,
                subject_type=subject_type,
                subject_value=subject_value,
                permission=perm,
                description=description,
                author_type="Nip",
                author_value=intermediary_nip,
                target_type=target_type if target_nip else "AllPartners",
                target_value=target_nip,
                subject_details=details,
            )
            for perm in permissions
        ]

    def get(self, permission_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM permissions WHERE id = ?", (permission_id,)
        ).fetchone()
        return row

    def revoke(self, permission_id: str) -> bool:
        return self.db.execute("DELETE FROM permissions WHERE id = ?", (permission_id,)).rowcount > 0

    def revoke_all(self, *, context_value: str, subject_type: str, subject_value: str) -> int:
        return self.db.execute(
            "DELETE FROM permissions WHERE context_value = ? AND subject_type = ? AND subject_value = ?",
            (context_value, subject_type, _norm_subject(subject_type, subject_value)),
        ).rowcount

    # --- effective permissions -------------------------------------------------------------------
    def _delegable(self, client: str, office: str, permission: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM permissions WHERE scope='entity' AND context_value=? AND subject_value=?"
            " AND permission=? AND can_delegate=1",
            (client, office, permission),
        ).fetchone()
        return row is not None

    def _entity_nips(self, subject_type: str, subject_value: str) -> list[str]:
        """NIPs whose entity permissions this subject may use: its own NIP, or NIPs it owns by PESEL."""
        if subject_type == "Nip":
            return [subject_value]
        if subject_type == "Pesel":
            return self.emu.subjects.nips_of_pesel(subject_value)
        return []

    def effective(
        self, context_type: str, context_value: str, subject_type: str, subject_value: str
    ) -> EffectivePermissions:
        subject_value = _norm_subject(subject_type, subject_value)
        is_owner = context_type == "Nip" and self.emu.subjects.is_owner(
            context_value, subject_type, subject_value
        )
        found: set[str] = set(OWNER_PERMISSIONS) if is_owner else set()
        if is_owner and "EnforcementOperations" not in found:
            roles = self.emu.subjects.roles(context_value)
            if "EnforcementAuthority" in roles or "CourtBailiff" in roles:
                found.add("EnforcementOperations")
        for row in self.db.execute(
            "SELECT permission FROM permissions WHERE scope IN ('person','entity') AND context_value=?"
            " AND subject_type=? AND subject_value=?",
            (context_value, subject_type, subject_value),
        ):
            found.add(row[0])
        for nip in self._entity_nips(subject_type, subject_value):
            if subject_type == "Nip":
                continue  # already counted as a direct grant above
            for row in self.db.execute(
                "SELECT permission FROM permissions WHERE scope='entity' AND context_value=? AND subject_value=?",
                (context_value, nip),
            ):
                found.add(row[0])
        for row in self.db.execute(
            "SELECT permission, context_value, target_type, target_value FROM permissions"
            " WHERE scope='indirect' AND subject_type=? AND subject_value=?",
            (subject_type, subject_value),
        ):
            targets_me = row["target_type"] == "AllPartners" or row["target_value"] == context_value
            if targets_me and self._delegable(context_value, row["context_value"], row["permission"]):
                found.add(row["permission"])
        return EffectivePermissions(frozenset(found), is_owner)

    # --- operations ---------------------------------------------------------------------------------
    def record_operation(self, context_value: str, code: int, details: list[str] | None = None) -> str:
        reference = self.emu.new_reference("EG")
        self.db.execute(
            "INSERT INTO permission_operations(reference, context_value, code, details, created) VALUES(?,?,?,?,?)",
            (reference, context_value, code, json.dumps(details or []), iso(self.emu.clock.now())),
        )
        return reference


# --- request bodies ---------------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Identifier(_Model):
    type: str
    value: str | None = Field(default=None, max_length=64)


class _EntityPermission(_Model):
    type: str
    canDelegate: bool = False


class _EntityDetails(_Model):
    fullName: str = Field(min_length=5, max_length=90)


class _PersonDetails(_Model):
    subjectDetailsType: str
    personById: dict[str, Any] | None = None
    personByFpWithId: dict[str, Any] | None = None
    personByFpNoId: dict[str, Any] | None = None


class _EntityGrant(_Model):
    subjectIdentifier: _Identifier
    permissions: list[_EntityPermission] = Field(min_length=1)
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _EntityDetails


class _PersonGrant(_Model):
    subjectIdentifier: _Identifier
    permissions: list[str] = Field(min_length=1)
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _PersonDetails


class _IndirectGrant(_Model):
    subjectIdentifier: _Identifier
    targetIdentifier: _Identifier | None = None
    permissions: list[str] = Field(min_length=1)
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _PersonDetails


class _AuthorizationGrant(_Model):
    subjectIdentifier: _Identifier
    permission: str
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _EntityDetails


class _PersonalQuery(_Model):
    contextIdentifier: _Identifier | None = None
    targetIdentifier: _Identifier | None = None
    permissionTypes: list[str] | None = None
    permissionState: str | None = None


class _PersonsQuery(_Model):
    queryType: str
    authorIdentifier: _Identifier | None = None
    authorizedIdentifier: _Identifier | None = None
    contextIdentifier: _Identifier | None = None
    targetIdentifier: _Identifier | None = None
    permissionTypes: list[str] | None = None
    permissionState: str | None = None


class _EntitiesQuery(_Model):
    contextIdentifier: _Identifier | None = None


class _AuthorizationsQuery(_Model):
    queryType: str
    authorizingIdentifier: _Identifier | None = None
    authorizedIdentifier: _Identifier | None = None
    permissionTypes: list[str] | None = None


def _details_from_person(details: _PersonDetails) -> dict[str, Any]:
    inner = details.personById or details.personByFpWithId or details.personByFpNoId or {}
    out: dict[str, Any] = {
        "subjectDetailsType": details.subjectDetailsType,
        "firstName": str(inner.get("firstName") or "Nieznane"),
        "lastName": str(inner.get("lastName") or "Nieznane"),
    }
    if details.personByFpWithId and details.personByFpWithId.get("identifier"):
        out["personIdentifier"] = details.personByFpWithId["identifier"]
    if details.personByFpNoId:
        out["birthDate"] = details.personByFpNoId.get("birthDate")
        out["idDocument"] = details.personByFpNoId.get("idDocument")
    return out


def _page_params(request: Request) -> tuple[int, int]:
    try:
        offset = int(request.query_params.get("pageOffset", "0"))
        size = int(request.query_params.get("pageSize", "10"))
    except ValueError:
        raise validation_error(["pageOffset/pageSize: wymagana liczba całkowita."], request=request) from None
    problems = []
    if offset < 0:
        problems.append("pageOffset: wartość musi być nieujemna.")
    if not 10 <= size <= 100:
        problems.append("pageSize: wartość musi być z zakresu 10–100.")
    if problems:
        raise validation_error(problems, request=request)
    return offset, size


def _page(items: list[dict[str, Any]], offset: int, size: int) -> tuple[list[dict[str, Any]], bool]:
    start = offset * size
    return items[start : start + size], len(items) > start + size


def _ident(type_: str | None, value: str | None) -> dict[str, Any] | None:
    if type_ is None:
        return None
    return {"type": type_, "value": value}


def _subject_details(row: sqlite3.Row) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    details = json.loads(row["subject_details"]) if row["subject_details"] else None
    if not details:
        return None, None
    if "fullName" in details:
        return None, {
            "subjectDetailsType": details.get("subjectDetailsType", "EntityByIdentifier"),
            "fullName": details["fullName"],
        }
    person = {k: v for k, v in details.items() if v is not None}
    if person.get("subjectDetailsType") not in (
        "PersonByIdentifier",
        "PersonByFingerprintWithIdentifier",
        "PersonByFingerprintWithoutIdentifier",
    ):
        person["subjectDetailsType"] = "PersonByIdentifier"
    return person, None


def _sorted(rows: list[sqlite3.Row]) -> list[sqlite3.Row]:
    # x-sort: startDate Desc, then id Asc
    return sorted(sorted(rows, key=lambda r: r["id"]), key=lambda r: parse_iso(r["start_date"]), reverse=True)


def routes(emu: Emulator) -> list[BaseRoute]:
    manage = {"CredentialsManage"}
    read_or_manage = {"CredentialsManage", "CredentialsRead"}

    def _operation(ctx: AccessContext, code: int, details: list[str] | None = None) -> Response:
        reference = emu.permissions.record_operation(ctx.context_value, code, details)
        return JSONResponse({"referenceNumber": reference}, status_code=202)

    def _check_types(values: list[str], allowed: tuple[str, ...], field: str, request: Request) -> None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise validation_error([f"{field}: nieznane uprawnienie '{b}'." for b in bad], request=request)

    async def entity_grant(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=manage)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _EntityGrant)
        if body.subjectIdentifier.type != "Nip" or not body.subjectIdentifier.value:
            raise validation_error(["subjectIdentifier.type: dozwolony tylko Nip."], request=request)
        _check_types([p.type for p in body.permissions], ENTITY_PERMISSION_TYPES, "permissions", request)
        if body.subjectIdentifier.value == ctx.context_value:
            return _operation(ctx, 440, ["Nie można nadać uprawnień samemu sobie."])
        for perm in body.permissions:
            emu.permissions.grant(
                scope="entity",
                context_type=ctx.context_type,
                context_value=ctx.context_value,
                subject_type="Nip",
                subject_value=body.subjectIdentifier.value,
                permission=perm.type,
                can_delegate=perm.canDelegate,
                description=body.description,
                author_type=ctx.subject_type,
                author_value=ctx.subject_identifier,
                subject_details={
                    "subjectDetailsType": "EntityByIdentifier",
                    "fullName": body.subjectDetails.fullName,
                },
            )
        return _operation(ctx, 200)

    async def person_grant(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=manage)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _PersonGrant)
        if (
            body.subjectIdentifier.type not in ("Nip", "Pesel", "Fingerprint")
            or not body.subjectIdentifier.value
        ):
            raise validation_error(
                ["subjectIdentifier.type: dozwolone Nip, Pesel lub Fingerprint."], request=request
            )
        _check_types(body.permissions, PERSON_PERMISSION_TYPES, "permissions", request)
        if "EnforcementOperations" in body.permissions and not (
            {"EnforcementAuthority", "CourtBailiff"} & set(emu.subjects.roles(ctx.context_value))
        ):
            return _operation(ctx, 430, ["Kontekst nie ma roli organu egzekucyjnego ani komornika."])
        for perm in body.permissions:
            emu.permissions.grant(
                scope="person",
                context_type=ctx.context_type,
                context_value=ctx.context_value,
                subject_type=body.subjectIdentifier.type,
                subject_value=body.subjectIdentifier.value,
                permission=perm,
                description=body.description,
                author_type=ctx.subject_type,
                author_value=ctx.subject_identifier,
                subject_details=_details_from_person(body.subjectDetails),
            )
        return _operation(ctx, 200)

    async def indirect_grant(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=manage)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _IndirectGrant)
        if (
            body.subjectIdentifier.type not in ("Nip", "Pesel", "Fingerprint")
            or not body.subjectIdentifier.value
        ):
            raise validation_error(
                ["subjectIdentifier.type: dozwolone Nip, Pesel lub Fingerprint."], request=request
            )
        _check_types(body.permissions, INDIRECT_PERMISSION_TYPES, "permissions", request)
        target = body.targetIdentifier
        target_type = target.type if target else "AllPartners"
        if target_type not in ("Nip", "InternalId", "AllPartners"):
            raise validation_error(
                ["targetIdentifier.type: dozwolone Nip, InternalId lub AllPartners."], request=request
            )
        target_value = target.value if target and target_type != "AllPartners" else None
        if target_type != "AllPartners":
            if not target_value:
                raise validation_error(["targetIdentifier.value: pole jest wymagane."], request=request)
            client = target_value[:10]
            missing = [
                p for p in body.permissions if not emu.permissions._delegable(client, ctx.context_value, p)
            ]
            if missing:
                return _operation(
                    ctx,
                    420,
                    [
                        f"Podmiot {client} nie nadał uprawnienia {p} z prawem do dalszego przekazywania."
                        for p in missing
                    ],
                )
        for perm in body.permissions:
            emu.permissions.grant(
                scope="indirect",
                context_type=ctx.context_type,
                context_value=ctx.context_value,
                subject_type=body.subjectIdentifier.type,
                subject_value=body.subjectIdentifier.value,
                permission=perm,
                description=body.description,
                author_type=ctx.subject_type,
                author_value=ctx.subject_identifier,
                target_type=target_type,
                target_value=target_value,
                subject_details=_details_from_person(body.subjectDetails),
            )
        return _operation(ctx, 200)

    async def authorization_grant(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=manage)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _AuthorizationGrant)
        if body.subjectIdentifier.type not in ("Nip", "PeppolId") or not body.subjectIdentifier.value:
            raise validation_error(["subjectIdentifier.type: dozwolone Nip lub PeppolId."], request=request)
        _check_types([body.permission], AUTHORIZATION_TYPES, "permission", request)
        emu.permissions.grant(
            scope="authorization",
            context_type=ctx.context_type,
            context_value=ctx.context_value,
            subject_type=body.subjectIdentifier.type,
            subject_value=body.subjectIdentifier.value,
            permission=body.permission,
            description=body.description,
            author_type=ctx.subject_type,
            author_value=ctx.subject_identifier,
            subject_details={
                "subjectDetailsType": "EntityByIdentifier",
                "fullName": body.subjectDetails.fullName,
            },
        )
        return _operation(ctx, 200)

    async def _revoke(request: Request, scopes: tuple[str, ...]) -> Response:
        ctx = await emu.authorize(request, any_of={"CredentialsManage", "VatUeManage", "SubunitManage"})
        emu.limits.check(request, ctx, "other")
        permission_id = request.path_params["permissionId"]
        if len(permission_id) != 36:
            raise validation_error(["permissionId: wymagane 36 znaków."], request=request)
        row = emu.permissions.get(permission_id)
        if row is None or row["scope"] not in scopes:
            return _operation(ctx, 410, [f"Nie znaleziono uprawnienia {permission_id}."])
        granted_here = row["context_value"] == ctx.context_value
        if not granted_here:
            return _operation(ctx, 420, ["Uprawnienie nie zostało nadane w bieżącym kontekście."])
        emu.permissions.revoke(permission_id)
        return _operation(ctx, 200)

    async def common_revoke(request: Request) -> Response:
        return await _revoke(request, ("person", "entity", "indirect"))

    async def authorization_revoke(request: Request) -> Response:
        return await _revoke(request, ("authorization",))

    async def operation_status(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        reference = request.path_params["referenceNumber"]
        row = emu.db.execute(
            "SELECT * FROM permission_operations WHERE reference = ?", (reference,)
        ).fetchone()
        if row is None or row["context_value"] != ctx.context_value:
            raise bad_request(
                21405,
                "Błąd walidacji danych wejściowych.",
                [f"Nie znaleziono operacji {reference}."],
                request=request,
            )
        age = emu.clock.now() - parse_iso(row["created"])
        if age.days >= OPERATION_RETENTION_DAYS:
            raise gone("Status operacji nie jest już dostępny (minęło 30 dni).", request=request)
        status: dict[str, Any] = {
            "code": row["code"],
            "description": _STATUS_TEXT.get(row["code"], "Nieznany status"),
        }
        details = json.loads(row["details"] or "[]")
        if details:
            status["details"] = details
        return JSONResponse({"status": status})

    async def attachments_status(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        allowed, end_date = emu.subjects.attachments_allowed(ctx.context_value)
        body: dict[str, Any] = {"isAttachmentAllowed": allowed}
        if end_date:
            body["revokedDate"] = f"{end_date}T00:00:00+01:00"  # end of consent, Warsaw midnight
        return JSONResponse(body)

    # --- queries ---------------------------------------------------------------------------------
    def _rows(where: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        return _sorted(list(emu.db.execute(f"SELECT * FROM permissions WHERE {where}", params)))  # noqa: S608

    async def personal_query(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        offset, size = _page_params(request)
        body = await read_model(request, _PersonalQuery)
        subject = _norm_subject(ctx.subject_type, ctx.subject_identifier)
        rows = _rows(
            "scope IN ('person','indirect','entity') AND subject_type = ? AND subject_value = ?",
            (ctx.subject_type, subject),
        )
        if ctx.subject_type == "Pesel":
            for nip in emu.permissions._entity_nips("Pesel", subject):
                rows += _rows("scope = 'entity' AND subject_value = ?", (nip,))
        items = []
        for row in rows:
            relevant = row["context_value"] == ctx.context_value or (
                row["scope"] == "indirect"
                and (row["target_type"] == "AllPartners" or row["target_value"] == ctx.context_value)
            )
            if not relevant:
                continue
            if body.contextIdentifier and body.contextIdentifier.value != row["context_value"]:
                continue
            if body.targetIdentifier and (
                body.targetIdentifier.type != (row["target_type"] or "")
                or (body.targetIdentifier.value and body.targetIdentifier.value != row["target_value"])
            ):
                continue
            if body.permissionTypes and row["permission"] not in body.permissionTypes:
                continue
            if body.permissionState == "Inactive":
                continue
            person, entity = _subject_details(row)
            item: dict[str, Any] = {
                "id": row["id"],
                "contextIdentifier": {"type": row["context_type"], "value": row["context_value"]},
                "authorizedIdentifier": {"type": row["subject_type"], "value": row["subject_value"]},
                "permissionScope": row["permission"],
                "description": row["description"],
                "permissionState": "Active",
                "startDate": row["start_date"],
                "canDelegate": bool(row["can_delegate"]),
            }
            if row["target_type"]:
                item["targetIdentifier"] = _ident(row["target_type"], row["target_value"])
            if person:
                item["subjectPersonDetails"] = person
            if entity:
                item["subjectEntityDetails"] = entity
            items.append(item)
        page, has_more = _page(items, offset, size)
        result: dict[str, Any] = {"permissions": page, "hasMore": has_more}
        if ctx.is_owner:
            result["ownerPermissions"] = sorted(OWNER_PERMISSIONS)
        return JSONResponse(result)

    async def persons_query(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of={"CredentialsManage", "CredentialsRead", "SubunitManage"})
        emu.limits.check(request, ctx, "other")
        offset, size = _page_params(request)
        body = await read_model(request, _PersonsQuery)
        if body.queryType not in ("PermissionsInCurrentContext", "PermissionsGrantedInCurrentContext"):
            raise validation_error([f"queryType: nieznana wartość '{body.queryType}'."], request=request)
        if body.queryType == "PermissionsInCurrentContext":
            rows = _rows("scope = 'person' AND context_value = ?", (ctx.context_value,))
            rows += _rows(
                "scope = 'indirect' AND (target_value = ? OR target_type = 'AllPartners')",
                (ctx.context_value,),
            )
        else:
            rows = _rows("scope IN ('person','indirect') AND context_value = ?", (ctx.context_value,))
        items = []
        for row in _sorted(rows):
            if body.authorizedIdentifier and (
                body.authorizedIdentifier.type != row["subject_type"]
                or body.authorizedIdentifier.value != row["subject_value"]
            ):
                continue
            if body.authorIdentifier and body.authorIdentifier.type != row["author_type"]:
                continue
            if body.contextIdentifier and body.contextIdentifier.value != row["context_value"]:
                continue
            if body.targetIdentifier and body.targetIdentifier.type != (row["target_type"] or ""):
                continue
            if body.permissionTypes and row["permission"] not in body.permissionTypes:
                continue
            if body.permissionState == "Inactive":
                continue
            person, entity = _subject_details(row)
            author: dict[str, Any] = {"type": row["author_type"]}
            if row["author_value"]:
                author["value"] = row["author_value"]
            item: dict[str, Any] = {
                "id": row["id"],
                "authorizedIdentifier": {"type": row["subject_type"], "value": row["subject_value"]},
                "contextIdentifier": {"type": row["context_type"], "value": row["context_value"]},
                "authorIdentifier": author,
                "permissionScope": row["permission"],
                "description": row["description"],
                "permissionState": "Active",
                "startDate": row["start_date"],
                "canDelegate": bool(row["can_delegate"]),
            }
            if row["target_type"]:
                item["targetIdentifier"] = _ident(row["target_type"], row["target_value"])
            if person:
                item["subjectPersonDetails"] = person
            if entity:
                item["subjectEntityDetails"] = entity
            items.append(item)
        page, has_more = _page(items, offset, size)
        return JSONResponse({"permissions": page, "hasMore": has_more})

    async def entities_query(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=read_or_manage)
        emu.limits.check(request, ctx, "other")
        offset, size = _page_params(request)
        body = await read_model(request, _EntitiesQuery)
        rows = _rows("scope = 'entity' AND subject_value = ?", (ctx.context_value,))
        items = [
            {
                "id": row["id"],
                "contextIdentifier": {"type": row["context_type"], "value": row["context_value"]},
                "permissionScope": row["permission"],
                "description": row["description"],
                "startDate": row["start_date"],
                "canDelegate": bool(row["can_delegate"]),
            }
            for row in rows
            if not body.contextIdentifier or body.contextIdentifier.value == row["context_value"]
        ]
        page, has_more = _page(items, offset, size)
        return JSONResponse({"permissions": page, "hasMore": has_more})

    async def authorizations_query(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=read_or_manage)
        emu.limits.check(request, ctx, "other")
        offset, size = _page_params(request)
        body = await read_model(request, _AuthorizationsQuery)
        if body.queryType == "Granted":
            rows = _rows("scope = 'authorization' AND context_value = ?", (ctx.context_value,))
        elif body.queryType == "Received":
            rows = _rows("scope = 'authorization' AND subject_value = ?", (ctx.context_value,))
        else:
            raise validation_error([f"queryType: nieznana wartość '{body.queryType}'."], request=request)
        items = []
        for row in rows:
            if body.permissionTypes and row["permission"] not in body.permissionTypes:
                continue
            _, entity = _subject_details(row)
            author: dict[str, Any] = {"type": row["author_type"]}
            if row["author_value"]:
                author["value"] = row["author_value"]
            item: dict[str, Any] = {
                "id": row["id"],
                "authorIdentifier": author,
                "authorizingEntityIdentifier": {"type": row["context_type"], "value": row["context_value"]},
                "authorizedEntityIdentifier": {"type": row["subject_type"], "value": row["subject_value"]},
                "authorizationScope": row["permission"],
                "description": row["description"],
                "startDate": row["start_date"],
            }
            if entity:
                item["subjectEntityDetails"] = entity
            items.append(item)
        page, has_more = _page(items, offset, size)
        return JSONResponse({"authorizationGrants": page, "hasMore": has_more})

    async def entity_roles(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        offset, size = _page_params(request)
        now = iso(emu.clock.now())
        items = [
            {"role": role, "description": f"Rola {role}", "startDate": now}
            for role in emu.subjects.roles(ctx.context_value)
        ]
        page, has_more = _page(items, offset, size)
        return JSONResponse({"roles": page, "hasMore": has_more})

    async def empty_query(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=read_or_manage | {"SubunitManage", "VatUeManage"})
        emu.limits.check(request, ctx, "other")
        _page_params(request)
        await read_model(request, _Model)
        key = "roles" if "roles" in request.url.path else "permissions"
        return JSONResponse({key: [], "hasMore": False})

    async def forbidden_here(request: Request) -> Response:
        ctx = await emu.authorize(request)
        raise forbidden(
            "context-type-not-allowed",
            "Operacja nie jest dostępna w emulatorze dla tego typu kontekstu.",
            {"contextIdentifierType": ctx.context_type},
            request=request,
        )

    return [
        Route("/permissions/persons/grants", person_grant, methods=["POST"]),
        Route("/permissions/entities/grants", entity_grant, methods=["POST"]),
        Route("/permissions/indirect/grants", indirect_grant, methods=["POST"]),
        Route("/permissions/authorizations/grants", authorization_grant, methods=["POST"]),
        Route("/permissions/subunits/grants", forbidden_here, methods=["POST"]),
        Route("/permissions/eu-entities/administration/grants", forbidden_here, methods=["POST"]),
        Route("/permissions/eu-entities/grants", forbidden_here, methods=["POST"]),
        Route("/permissions/common/grants/{permissionId}", common_revoke, methods=["DELETE"]),
        Route("/permissions/authorizations/grants/{permissionId}", authorization_revoke, methods=["DELETE"]),
        Route("/permissions/operations/{referenceNumber}", operation_status, methods=["GET"]),
        Route("/permissions/attachments/status", attachments_status, methods=["GET"]),
        Route("/permissions/query/personal/grants", personal_query, methods=["POST"]),
        Route("/permissions/query/persons/grants", persons_query, methods=["POST"]),
        Route("/permissions/query/entities/grants", entities_query, methods=["POST"]),
        Route("/permissions/query/authorizations/grants", authorizations_query, methods=["POST"]),
        Route("/permissions/query/subunits/grants", empty_query, methods=["POST"]),
        Route("/permissions/query/eu-entities/grants", empty_query, methods=["POST"]),
        Route("/permissions/query/subordinate-entities/roles", empty_query, methods=["POST"]),
        Route("/permissions/query/entities/roles", entity_roles, methods=["GET"]),
    ]
