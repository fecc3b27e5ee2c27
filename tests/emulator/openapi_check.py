"""Validate real httpx exchanges against the official KSeF spec (tests/fixtures/ksef/openapi.json).

Shared by the emulator's tests (platform and invoices) and the KSeF client's tests. API::

    from tests.emulator.openapi_check import check, checked_client

    response = client.post("/auth/challenge")
    check(response)                  # request AND response must match the operation in the spec
    check(response, request=False)   # only the response (for deliberately bad requests)

    with checked_client(base_url) as client:   # an httpx.Client that checks every exchange
        client.get("/security/public-key-certificates")

    seen: set[str] = set()
    with checked_client(base_url, record=seen) as client: ...   # seen == {"GET /security/…", …}
    operation_of(response)           # "GET /auth/{referenceNumber}"

``check`` raises ``AssertionError`` listing every problem (path, status, what does not match).
The path is taken relative to the client's base URL (``…/v2``) and validated against the spec's
server ``https://api-test.ksef.mf.gov.pl/v2``, so any host/port works. Responses with a status the
operation does not declare fail too. ``spec_path()`` and ``openapi()`` expose the loaded spec.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_SERVER = "https://api-test.ksef.mf.gov.pl"
SPEC_BASE = "/v2"


def spec_path() -> Path:
    # The official document, copied into the repository (sources: tests/fixtures/README.md).
    return Path(__file__).resolve().parents[1] / "fixtures" / "ksef" / "openapi.json"


@functools.cache
def openapi() -> OpenAPI:
    data = json.loads(spec_path().read_text("utf-8"))
    # The official spec is trusted as-is; skipping its self-validation keeps loading fast.
    config = Config(
        spec_validator_cls=None,
        extra_media_type_deserializers={
            # problem+json is JSON; XML bodies are declared as strings (raw documents) in the spec.
            "application/problem+json": _json,
            "application/xml": _text,
        },
    )
    return OpenAPI.from_dict(data, config=config)


def _json(data: bytes | str) -> Any:
    return json.loads(data)


def _text(data: bytes | str) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


def _relative_path(url: httpx.URL, base_path: str) -> str:
    path = url.path
    marker = base_path.rstrip("/")
    if marker and path.startswith(marker):
        path = path[len(marker) :]
    return SPEC_BASE + (path if path.startswith("/") else "/" + path)


class _Request:
    def __init__(self, request: httpx.Request, base_path: str) -> None:
        self._request = request
        self.host_url = SPEC_SERVER
        self.path = _relative_path(request.url, base_path)
        self.full_url_pattern = SPEC_SERVER + self.path
        self.method = request.method.lower()
        query = ImmutableMultiDict(parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True))
        self.parameters = RequestParameters(
            query=query, header=Headers(list(request.headers.items())), cookie=ImmutableMultiDict()
        )
        content = request.content
        self.body: bytes | None = content or None
        self.content_type = request.headers.get("content-type", "").lower()


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.headers.get("content-type", "").lower()
        self.data: bytes | None = response.content


def _base_path(response: httpx.Response, base_path: str | None) -> str:
    if base_path is not None:
        return base_path
    path = response.request.url.path
    index = path.find(SPEC_BASE + "/")
    return path[: index + len(SPEC_BASE)] if index >= 0 else ""


def problems(response: httpx.Response, *, request: bool = True, base_path: str | None = None) -> list[str]:
    """Every mismatch between the exchange and the spec (empty list = valid)."""
    spec = openapi()
    base = _base_path(response, base_path)
    req = _Request(response.request, base)
    found: list[str] = []
    if request:
        found += [f"request: {_describe(e)}" for e in spec.iter_request_errors(req)]
    found += [
        f"response {response.status_code}: {_describe(e)}"
        for e in spec.iter_response_errors(req, _Response(response))
    ]
    return found


def _describe(error: Exception) -> str:
    parts = [str(error)]
    cause = error.__cause__ or error.__context__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if schema_errors:
        for item in list(schema_errors)[:5]:
            location = "/".join(str(p) for p in getattr(item, "absolute_path", []))
            parts.append(f"  at '{location}': {getattr(item, 'message', item)}")
    elif cause is not None and str(cause) not in parts[0]:
        parts.append(f"  cause: {cause}")
    return "\n".join(parts)


def check(response: httpx.Response, *, request: bool = True, base_path: str | None = None) -> httpx.Response:
    """Assert the exchange matches the spec; returns the response for chaining."""
    found = problems(response, request=request, base_path=base_path)
    if found:
        method = response.request.method
        raise AssertionError(
            f"{method} {response.request.url.path} → {response.status_code} does not match openapi.json:\n"
            + "\n".join(found)
            + f"\nbody: {response.text[:800]}"
        )
    return response


@functools.cache
def _templates() -> list[tuple[re.Pattern[str], str, frozenset[str]]]:
    data = json.loads(spec_path().read_text("utf-8"))
    compiled = []
    for template, item in data["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        methods = frozenset(m.upper() for m in item if m in ("get", "post", "put", "delete", "patch"))
        compiled.append((re.compile(pattern), template, methods))
    # Literal paths win over templated ones (/auth/sessions vs /auth/{referenceNumber}).
    compiled.sort(key=lambda entry: entry[1].count("{"))
    return compiled


def operation_of(response: httpx.Response, *, base_path: str | None = None) -> str | None:
    """``"GET /auth/{referenceNumber}"`` — the spec operation an exchange belongs to (None if none)."""
    path = _relative_path(response.request.url, _base_path(response, base_path))[len(SPEC_BASE) :]
    method = response.request.method.upper()
    for pattern, template, methods in _templates():
        if method in methods and pattern.match(path):
            return f"{method} {template}"
    return None


@contextmanager
def checked_client(
    base_url: str, *, request: bool = True, record: set[str] | None = None, **kwargs: Any
) -> Iterator[httpx.Client]:
    """An ``httpx.Client`` whose every response is checked with ``check`` (raises on mismatch).

    With ``record``, the spec operation of every checked exchange is added to that set.
    """

    def hook(response: httpx.Response) -> None:
        response.read()
        check(response, request=request)
        if record is not None:
            operation = operation_of(response)
            if operation:
                record.add(operation)

    hooks: dict[str, list[Callable[..., Any]]] = {"response": [hook]}
    with httpx.Client(base_url=base_url, event_hooks=hooks, **kwargs) as client:
        yield client
