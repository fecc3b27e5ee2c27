"""Small request helpers every route module uses: the body read in bounded chunks, JSON with size
and nesting checked before parsing, a pydantic model with the spec's 400/21405 on a problem, the
strict JSON-object body of the invoice routes (21001 when unreadable), paging and integer query
parameters, the bearer token. A leaf: it imports only ``errors`` and ``body_limits``."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from ksef_sheets.emulator.body_limits import MAX_JSON_BODY, json_body_problem
from ksef_sheets.emulator.errors import bad_request, unauthorized, validation_error

ModelT = TypeVar("ModelT", bound=BaseModel)


def bearer_token(request: Request) -> str:
    """The token of ``Authorization: Bearer …``; 401 when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("Wymagane jest uwierzytelnienie.", request=request)
    return token.strip()


def _error_details(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"])
        out.append(f"{where}: {err['msg']}" if where else str(err["msg"]))
    return out


async def read_strict(request: Request, model: type[ModelT]) -> ModelT:
    """The JSON object body as ``model`` (the invoice, session and export bodies); 400/21001 when
    unreadable, 400/21405 when it is no object or breaks the schema."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(
            21001, "Nieczytelna treść.", [f"Nieprawidłowy JSON: {exc}"], request=request
        ) from None
    if not isinstance(data, dict):
        raise validation_error(["Treść żądania musi być obiektem JSON."], request=request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(_error_details(exc), request=request) from None


def query_int(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise validation_error(
            [f"{name}: wartość '{text}' nie jest liczbą całkowitą."], request=request
        ) from None
    if value < low or (high is not None and value > high):
        bounds = f"{low}–{high}" if high is not None else f"≥ {low}"
        raise validation_error([f"{name}: wartość {value} poza zakresem {bounds}."], request=request)
    return value


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


def page_params(request: Request) -> tuple[int, int]:
    """``pageOffset`` / ``pageSize`` of the permission queries (10–100); 400/21405 otherwise."""
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
