"""Small request helpers every route module uses: the body read in bounded chunks, JSON with size
and nesting checked before parsing, and a pydantic model with the spec's 400/21405 on a problem."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from ksef_sheets.emulator.body_limits import MAX_JSON_BODY, json_body_problem
from ksef_sheets.emulator.errors import validation_error

ModelT = TypeVar("ModelT", bound=BaseModel)


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
