"""The login routes (PROTOCOL.md §4): thin handlers over ``emu.auth``."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.auth import (
    REFRESH_TOKEN_LIFETIME,
    STATUS_RETENTION,
    STATUS_TEXT,
    AuthService,
    _TokenLogin,
)
from ksef_sheets.emulator.errors import (
    bad_request,
    forbidden,
    gone,
    validation_error,
)
from ksef_sheets.emulator.limits import client_ip
from ksef_sheets.emulator.request import read_body, read_model
from ksef_sheets.emulator.state import iso, parse_iso
from ksef_sheets.emulator.xades import MAX_SIZE as XADES_MAX_SIZE

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


def operation_json(service: AuthService, row: sqlite3.Row, *, current: str | None = None) -> dict[str, Any]:
    code, details = service.status_of(row)
    status: dict[str, Any] = {"code": code, "description": STATUS_TEXT.get(code, STATUS_TEXT[500])}
    if details:
        status["details"] = details
    body: dict[str, Any] = {
        "startDate": row["start_date"],
        "authenticationMethod": row["method"],
        "authenticationMethodInfo": {
            "category": row["method_category"],
            "code": row["method_code"],
            "displayName": row["method_name"],
        },
        "status": status,
        "isTokenRedeemed": bool(row["redeemed"]),
    }
    if row["last_refresh"]:
        body["lastTokenRefreshDate"] = row["last_refresh"]
    if row["refresh_valid_until"]:
        body["refreshTokenValidUntil"] = row["refresh_valid_until"]
    if current is not None:
        body["referenceNumber"] = row["reference"]
        body["isCurrent"] = row["reference"] == current
    return body


class AuthRoutes:
    """The handlers; each checks the request and calls ``emu.auth``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.service = emu.auth

    async def challenge(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        emu.limits.check(request, None, "anonymous")
        return JSONResponse(service.new_challenge(client_ip(request)))

    async def ksef_token(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        emu.limits.check(request, None, "anonymous")
        body = await read_model(request, _TokenLogin)
        return JSONResponse(service.login_with_token(body, request), status_code=202)

    async def xades_signature(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        emu.limits.check(request, None, "anonymous")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ("application/xml", "text/xml"):
            return Response(status_code=415)
        data = await read_body(request, XADES_MAX_SIZE)
        return JSONResponse(service.login_with_xades(data, request), status_code=202)

    def _row_for(self, request: Request, claims_ref: str) -> sqlite3.Row:
        service = self.service
        row = service.operation(claims_ref)
        if row is None:
            raise bad_request(
                21304,
                "Brak operacji uwierzytelniania.",
                [f"Nie znaleziono operacji {claims_ref}."],
                request=request,
            )
        return row

    async def auth_status(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        emu.limits.check(request, None, "anonymous")
        claims = service.decode(request, "auth")
        reference = request.path_params["referenceNumber"]
        if reference != claims.reference:
            row = service.operation(reference)
            if row is None:
                raise bad_request(
                    21304,
                    "Brak operacji uwierzytelniania.",
                    [f"Nie znaleziono operacji {reference}."],
                    request=request,
                )
            raise forbidden(
                "insufficient-resource-access",
                "Token nie dotyczy tej operacji uwierzytelniania.",
                None,
                request=request,
            )
        row = self._row_for(request, reference)
        if emu.clock.now() - parse_iso(row["start_date"]) > STATUS_RETENTION:
            raise gone(
                "Status operacji uwierzytelniania nie jest już dostępny (minęło 7 dni).", request=request
            )
        return JSONResponse(operation_json(service, row))

    async def redeem(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        emu.limits.check(request, None, "anonymous")
        claims = service.decode(request, "auth")
        row = self._row_for(request, claims.reference)
        code, _ = service.status_of(row)
        if row["redeemed"]:
            raise bad_request(21301, "Brak autoryzacji.", ["Tokeny zostały już pobrane."], request=request)
        if code != 200:
            raise bad_request(
                21301,
                "Brak autoryzacji.",
                [f"Status uwierzytelniania ({code}) nie pozwala na pobranie tokenów."],
                request=request,
            )
        if row["subject_type"] == "Pesel" and emu.subjects.is_deceased(row["subject_value"]):
            raise bad_request(
                21308, "Próba wykorzystania metod autoryzacyjnych osoby zmarłej.", request=request
            )
        permissions, is_owner = service.current_permissions(row)
        if row["ksef_token_ref"]:
            record = emu.tokens.get(row["ksef_token_ref"])
            if record is None or record.status != "Active":
                raise bad_request(
                    21301, "Brak autoryzacji.", ["Token KSeF został unieważniony."], request=request
                )
        # One-shot: mark first, so a concurrent second call cannot redeem too.
        if not service.mark_redeemed(row["reference"]):
            raise bad_request(21301, "Brak autoryzacji.", ["Tokeny zostały już pobrane."], request=request)
        access, access_until = service.access_token(row, permissions, is_owner)
        refresh, refresh_until = service.issue_jwt("refresh", row["reference"], REFRESH_TOKEN_LIFETIME)
        service.set_refresh_until(row["reference"], refresh_until)
        return JSONResponse(
            {
                "accessToken": {"token": access, "validUntil": iso(access_until)},
                "refreshToken": {"token": refresh, "validUntil": iso(refresh_until)},
            }
        )

    async def refresh(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        emu.limits.check(request, None, "anonymous")
        claims = service.decode(request, "refresh")
        row = self._row_for(request, claims.reference)
        code, _ = service.status_of(row)
        if code != 200:
            raise bad_request(
                21301, "Brak autoryzacji.", ["Sesja uwierzytelniania została unieważniona."], request=request
            )
        if row["ksef_token_ref"]:
            record = emu.tokens.get(row["ksef_token_ref"])
            if record is None or record.status != "Active":
                raise bad_request(
                    21301, "Brak autoryzacji.", ["Token KSeF został unieważniony."], request=request
                )
        permissions, is_owner = service.current_permissions(row)
        access, access_until = service.access_token(row, permissions, is_owner)
        service.note_refresh(row["reference"])
        return JSONResponse({"accessToken": {"token": access, "validUntil": iso(access_until)}})

    async def list_sessions(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        try:
            page_size = int(request.query_params.get("pageSize", "10"))
        except ValueError:
            page_size = -1
        if not 10 <= page_size <= 100:
            raise validation_error(["pageSize: wartość musi być z zakresu 10–100."], request=request)
        continuation = request.headers.get("x-continuation-token")
        offset = 0
        if continuation:
            try:
                offset = int(json.loads(base64.b64decode(continuation, validate=True))["offset"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise bad_request(
                    21418, "Przekazany token kontynuacji ma nieprawidłowy format.", request=request
                ) from None
        rows = service.succeeded_operations(ctx.context_type, ctx.context_value)
        now = emu.clock.now()
        manage = ctx.has_any({"CredentialsManage"})
        visible = [
            r
            for r in rows
            if (
                manage
                or (r["subject_type"], r["subject_value"]) == (ctx.subject_type, ctx.subject_identifier)
            )
            and (not r["refresh_valid_until"] or parse_iso(r["refresh_valid_until"]) > now)
        ]
        page = visible[offset : offset + page_size]
        more = len(visible) > offset + page_size
        return JSONResponse(
            {
                "continuationToken": base64.b64encode(
                    json.dumps({"offset": offset + page_size}).encode()
                ).decode()
                if more
                else None,
                "items": [operation_json(service, r, current=ctx.auth_ref) for r in page],
            }
        )

    async def revoke_current(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        service.revoke_session(ctx.auth_ref)
        return Response(status_code=204)

    async def revoke_other(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        reference = request.path_params["referenceNumber"]
        row = service.operation(reference)
        if row is None or row["context_value"] != ctx.context_value:
            raise bad_request(
                21304,
                "Brak operacji uwierzytelniania.",
                [f"Nie znaleziono sesji {reference}."],
                request=request,
            )
        own = (row["subject_type"], row["subject_value"]) == (ctx.subject_type, ctx.subject_identifier)
        if not own and not ctx.has_any({"CredentialsManage"}):
            raise forbidden(
                "missing-permissions",
                "Brak wymaganych uprawnień do wykonania operacji w bieżącym kontekście.",
                {
                    "requiredAnyOfPermissions": ["CredentialsManage"],
                    "presentPermissions": sorted(ctx.permissions),
                },
                request=request,
            )
        service.revoke_session(reference)
        return Response(status_code=204)


def routes(emu: Emulator) -> list[BaseRoute]:
    h = AuthRoutes(emu)
    return [
        Route("/auth/challenge", h.challenge, methods=["POST"]),
        Route("/auth/ksef-token", h.ksef_token, methods=["POST"]),
        Route("/auth/xades-signature", h.xades_signature, methods=["POST"]),
        Route("/auth/token/redeem", h.redeem, methods=["POST"]),
        Route("/auth/token/refresh", h.refresh, methods=["POST"]),
        Route("/auth/sessions", h.list_sessions, methods=["GET"]),
        Route("/auth/sessions/current", h.revoke_current, methods=["DELETE"]),
        Route("/auth/sessions/{referenceNumber}", h.revoke_other, methods=["DELETE"]),
        Route("/auth/{referenceNumber}", h.auth_status, methods=["GET"]),
    ]
