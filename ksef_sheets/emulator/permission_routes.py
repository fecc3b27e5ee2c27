"""The routes of permissions (PROTOCOL.md §5–6): thin handlers over ``emu.permissions``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import bad_request, forbidden, gone, validation_error
from ksef_sheets.emulator.permission_bodies import (
    _AuthorizationGrant,
    _AuthorizationsQuery,
    _details_from_person,
    _EntitiesQuery,
    _EntityGrant,
    _ident,
    _IndirectGrant,
    _Model,
    _page,
    _PersonalQuery,
    _PersonGrant,
    _PersonsQuery,
    _subject_details,
)
from ksef_sheets.emulator.permissions import (
    _STATUS_TEXT,
    AUTHORIZATION_TYPES,
    ENTITY_PERMISSION_TYPES,
    INDIRECT_PERMISSION_TYPES,
    OPERATION_RETENTION_DAYS,
    OWNER_PERMISSIONS,
    PERSON_PERMISSION_TYPES,
    _norm_subject,
    _sorted,
)
from ksef_sheets.emulator.request import page_params, read_model
from ksef_sheets.emulator.state import iso, parse_iso

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

MANAGE = {"CredentialsManage"}
READ_OR_MANAGE = {"CredentialsManage", "CredentialsRead"}


class PermissionRoutes:
    """The handlers; each checks the request and calls ``emu.permissions``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def _operation(self, ctx: AccessContext, code: int, details: list[str] | None = None) -> Response:
        emu = self.emu
        reference = emu.permissions.record_operation(ctx.context_value, code, details)
        return JSONResponse({"referenceNumber": reference}, status_code=202)

    def _check_types(self, values: list[str], allowed: tuple[str, ...], field: str, request: Request) -> None:
        bad = [v for v in values if v not in allowed]
        if bad:
            raise validation_error([f"{field}: nieznane uprawnienie '{b}'." for b in bad], request=request)

    async def entity_grant(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other", any_of=MANAGE)
        body = await read_model(request, _EntityGrant)
        if body.subjectIdentifier.type != "Nip" or not body.subjectIdentifier.value:
            raise validation_error(["subjectIdentifier.type: dozwolony tylko Nip."], request=request)
        self._check_types([p.type for p in body.permissions], ENTITY_PERMISSION_TYPES, "permissions", request)
        if body.subjectIdentifier.value == ctx.context_value:
            return self._operation(ctx, 440, ["Nie można nadać uprawnień samemu sobie."])
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
        return self._operation(ctx, 200)

    async def person_grant(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other", any_of=MANAGE)
        body = await read_model(request, _PersonGrant)
        if (
            body.subjectIdentifier.type not in ("Nip", "Pesel", "Fingerprint")
            or not body.subjectIdentifier.value
        ):
            raise validation_error(
                ["subjectIdentifier.type: dozwolone Nip, Pesel lub Fingerprint."], request=request
            )
        self._check_types(body.permissions, PERSON_PERMISSION_TYPES, "permissions", request)
        if "EnforcementOperations" in body.permissions and not (
            {"EnforcementAuthority", "CourtBailiff"} & set(emu.subjects.roles(ctx.context_value))
        ):
            return self._operation(ctx, 430, ["Kontekst nie ma roli organu egzekucyjnego ani komornika."])
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
        return self._operation(ctx, 200)

    async def indirect_grant(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other", any_of=MANAGE)
        body = await read_model(request, _IndirectGrant)
        if (
            body.subjectIdentifier.type not in ("Nip", "Pesel", "Fingerprint")
            or not body.subjectIdentifier.value
        ):
            raise validation_error(
                ["subjectIdentifier.type: dozwolone Nip, Pesel lub Fingerprint."], request=request
            )
        self._check_types(body.permissions, INDIRECT_PERMISSION_TYPES, "permissions", request)
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
                p for p in body.permissions if not emu.permissions.delegable(client, ctx.context_value, p)
            ]
            if missing:
                return self._operation(
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
        return self._operation(ctx, 200)

    async def authorization_grant(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other", any_of=MANAGE)
        body = await read_model(request, _AuthorizationGrant)
        if body.subjectIdentifier.type not in ("Nip", "PeppolId") or not body.subjectIdentifier.value:
            raise validation_error(["subjectIdentifier.type: dozwolone Nip lub PeppolId."], request=request)
        self._check_types([body.permission], AUTHORIZATION_TYPES, "permission", request)
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
        return self._operation(ctx, 200)

    async def _revoke(self, request: Request, scopes: tuple[str, ...]) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other", any_of={"CredentialsManage", "VatUeManage", "SubunitManage"})
        permission_id = request.path_params["permissionId"]
        if len(permission_id) != 36:
            raise validation_error(["permissionId: wymagane 36 znaków."], request=request)
        row = emu.permissions.get(permission_id)
        if row is None or row["scope"] not in scopes:
            return self._operation(ctx, 410, [f"Nie znaleziono uprawnienia {permission_id}."])
        granted_here = row["context_value"] == ctx.context_value
        if not granted_here:
            return self._operation(ctx, 420, ["Uprawnienie nie zostało nadane w bieżącym kontekście."])
        emu.permissions.revoke(permission_id)
        return self._operation(ctx, 200)

    async def common_revoke(self, request: Request) -> Response:
        return await self._revoke(request, ("person", "entity", "indirect"))

    async def authorization_revoke(self, request: Request) -> Response:
        return await self._revoke(request, ("authorization",))

    async def operation_status(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        reference = request.path_params["referenceNumber"]
        row = emu.permissions.operation(reference)
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

    async def attachments_status(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        allowed, end_date = emu.subjects.attachments_allowed(ctx.context_value)
        body: dict[str, Any] = {"isAttachmentAllowed": allowed}
        if end_date:
            body["revokedDate"] = f"{end_date}T00:00:00+01:00"  # end of consent, Warsaw midnight
        return JSONResponse(body)

    # --- queries ---------------------------------------------------------------------------------
    async def personal_query(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        offset, size = page_params(request)
        body = await read_model(request, _PersonalQuery)
        subject = _norm_subject(ctx.subject_type, ctx.subject_identifier)
        rows = emu.permissions.personal_rows(ctx.subject_type, subject)
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

    async def persons_query(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(
            request, "other", any_of={"CredentialsManage", "CredentialsRead", "SubunitManage"}
        )
        offset, size = page_params(request)
        body = await read_model(request, _PersonsQuery)
        if body.queryType not in ("PermissionsInCurrentContext", "PermissionsGrantedInCurrentContext"):
            raise validation_error([f"queryType: nieznana wartość '{body.queryType}'."], request=request)
        rows = emu.permissions.persons_rows(
            ctx.context_value, in_context=body.queryType == "PermissionsInCurrentContext"
        )
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

    async def entities_query(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other", any_of=READ_OR_MANAGE)
        offset, size = page_params(request)
        body = await read_model(request, _EntitiesQuery)
        rows = emu.permissions.entity_rows(ctx.context_value)
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

    async def authorizations_query(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other", any_of=READ_OR_MANAGE)
        offset, size = page_params(request)
        body = await read_model(request, _AuthorizationsQuery)
        if body.queryType not in ("Granted", "Received"):
            raise validation_error([f"queryType: nieznana wartość '{body.queryType}'."], request=request)
        rows = emu.permissions.authorization_rows(ctx.context_value, granted=body.queryType == "Granted")
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

    async def entity_roles(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        offset, size = page_params(request)
        now = iso(emu.clock.now())
        items = [
            {"role": role, "description": f"Rola {role}", "startDate": now}
            for role in emu.subjects.roles(ctx.context_value)
        ]
        page, has_more = _page(items, offset, size)
        return JSONResponse({"roles": page, "hasMore": has_more})

    async def empty_query(self, request: Request) -> Response:
        emu = self.emu
        await emu.caller(request, "other", any_of=READ_OR_MANAGE | {"SubunitManage", "VatUeManage"})
        page_params(request)
        await read_model(request, _Model)
        key = "roles" if "roles" in request.url.path else "permissions"
        return JSONResponse({key: [], "hasMore": False})

    async def forbidden_here(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.authorize(request)
        raise forbidden(
            "context-type-not-allowed",
            "Operacja nie jest dostępna w emulatorze dla tego typu kontekstu.",
            {"contextIdentifierType": ctx.context_type},
            request=request,
        )


def routes(emu: Emulator) -> list[BaseRoute]:
    h = PermissionRoutes(emu)
    return [
        Route("/permissions/persons/grants", h.person_grant, methods=["POST"]),
        Route("/permissions/entities/grants", h.entity_grant, methods=["POST"]),
        Route("/permissions/indirect/grants", h.indirect_grant, methods=["POST"]),
        Route("/permissions/authorizations/grants", h.authorization_grant, methods=["POST"]),
        Route("/permissions/subunits/grants", h.forbidden_here, methods=["POST"]),
        Route("/permissions/eu-entities/administration/grants", h.forbidden_here, methods=["POST"]),
        Route("/permissions/eu-entities/grants", h.forbidden_here, methods=["POST"]),
        Route("/permissions/common/grants/{permissionId}", h.common_revoke, methods=["DELETE"]),
        Route(
            "/permissions/authorizations/grants/{permissionId}", h.authorization_revoke, methods=["DELETE"]
        ),
        Route("/permissions/operations/{referenceNumber}", h.operation_status, methods=["GET"]),
        Route("/permissions/attachments/status", h.attachments_status, methods=["GET"]),
        Route("/permissions/query/personal/grants", h.personal_query, methods=["POST"]),
        Route("/permissions/query/persons/grants", h.persons_query, methods=["POST"]),
        Route("/permissions/query/entities/grants", h.entities_query, methods=["POST"]),
        Route("/permissions/query/authorizations/grants", h.authorizations_query, methods=["POST"]),
        Route("/permissions/query/subunits/grants", h.empty_query, methods=["POST"]),
        Route("/permissions/query/eu-entities/grants", h.empty_query, methods=["POST"]),
        Route("/permissions/query/subordinate-entities/roles", h.empty_query, methods=["POST"]),
        Route("/permissions/query/entities/roles", h.entity_roles, methods=["GET"]),
    ]
