"""The routes of KSeF tokens (PROTOCOL.md §4, ``/tokens``): thin handlers over ``emu.tokens``."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import bad_request, forbidden, validation_error
from ksef_sheets.emulator.request import read_model
from ksef_sheets.emulator.tokens import ACTIVATION_DELAY, TOKEN_PERMISSION_TYPES, TokenRecord, token_json

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


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


class TokenRoutes:
    """The handlers; each checks the request and calls ``emu.tokens``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def _visible(self, ctx: AccessContext, record: TokenRecord) -> bool:
        if record.context_value != ctx.context_value:
            return False
        if ctx.has_any({"CredentialsManage", "CredentialsRead"}):
            return True
        if ctx.ksef_token_ref is not None:
            return record.reference == ctx.ksef_token_ref
        return record.author_type == ctx.subject_type and record.author_value == ctx.subject_identifier

    async def generate(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
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
        reference, token = emu.tokens.create(
            context_type=ctx.context_type,
            context_value=ctx.context_value,
            author_type=ctx.subject_type,
            author_value=ctx.subject_identifier,
            permissions=body.permissions,
            description=body.description,
            active_from=emu.clock.now() + ACTIVATION_DELAY,
        )
        return JSONResponse({"referenceNumber": reference, "token": token}, status_code=202)

    async def list_tokens(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
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
            if self._visible(ctx, r)
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

    def _lookup(self, request: Request, ctx: AccessContext) -> TokenRecord:
        emu = self.emu
        reference = request.path_params["referenceNumber"]
        record = emu.tokens.get(reference)
        if record is None or record.context_value != ctx.context_value:
            raise bad_request(
                21405,
                "Błąd walidacji danych wejściowych.",
                [f"Nie znaleziono tokena {reference}."],
                request=request,
            )
        if not self._visible(ctx, record):
            raise forbidden(
                "insufficient-resource-access", "Brak dostępu do wskazanego tokena.", None, request=request
            )
        return record

    async def get_token(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        return JSONResponse(token_json(self._lookup(request, ctx)))

    async def revoke_token(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        record = self._lookup(request, ctx)
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


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = TokenRoutes(emu)
    return [
        Route("/tokens", handlers.generate, methods=["POST"]),
        Route("/tokens", handlers.list_tokens, methods=["GET"]),
        Route("/tokens/{referenceNumber}", handlers.get_token, methods=["GET"]),
        Route("/tokens/{referenceNumber}", handlers.revoke_token, methods=["DELETE"]),
    ]
