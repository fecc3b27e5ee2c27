"""KSeF's error bodies (the spec's own examples) become typed errors with Polish messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ksef_sheets.errors import UserError
from ksef_sheets.ksef import KsefClient
from ksef_sheets.ksef import errors as E
from ksef_sheets.redaction import register_secret


@pytest.fixture(scope="module")
def examples(openapi_path: Path) -> dict[str, Any]:
    schemas = json.loads(openapi_path.read_text("utf-8"))["components"]["schemas"]
    return {
        name: schemas[name]["example"]
        for name in (
            "ExceptionResponse",
            "BadRequestProblemDetails",
            "TooManyRequestsResponse",
            "TooManyRequestsProblemDetails",
            "ForbiddenProblemDetails",
        )
    }


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> E.KsefError:
    client = KsefClient("http://127.0.0.1:9/v2")
    response = httpx.Response(status, json=body, headers=headers)
    return client._error(response, "wyszukiwanie faktur", "5210537039")


def test_every_error_shape_is_parsed(examples: dict[str, Any]) -> None:
    assert E.parse_error_body(examples["ExceptionResponse"]) == (
        12345,
        "Opis błędu.",
        ["Opcjonalne dodatkowe szczegóły błędu."],
    )
    code, _, details = E.parse_error_body(examples["BadRequestProblemDetails"])
    assert code == 21405 and details == ["Wskazany kod formularza nie jest wspierany."]
    assert E.parse_error_body(examples["TooManyRequestsResponse"])[0] == 429
    assert (E.parse_error_body(examples["TooManyRequestsProblemDetails"])[1] or "").startswith(
        "Przekroczono limit"
    )
    assert E.parse_error_body("not json") == (None, None, [])


def test_mapping_to_typed_polish_errors(examples: dict[str, Any]) -> None:
    bad = _error(400, examples["BadRequestProblemDetails"])
    assert isinstance(bad, E.KsefBadRequestError) and isinstance(bad, UserError)
    assert bad.code == 21405 and "Wskazany kod formularza" in str(bad) and "5210537039" in str(bad)
    forbidden = _error(403, examples["ForbiddenProblemDetails"])
    assert isinstance(forbidden, E.KsefPermissionError)
    assert str(forbidden) == "Klient 5210537039 nie nadał biuru uprawnienia InvoiceRead lub InvoiceWrite."
    limited = _error(429, examples["TooManyRequestsResponse"], {"Retry-After": "30"})
    assert isinstance(limited, E.KsefRateLimitError) and limited.retry_after == 30
    assert isinstance(
        _error(401, {"title": "Unauthorized", "status": 401, "detail": "x"}), E.KsefAuthenticationError
    )
    assert isinstance(_error(503, None), E.KsefUnavailableError)
    not_found = _error(
        400, {"exception": {"exceptionDetailList": [{"exceptionCode": 21164, "exceptionDescription": "x"}]}}
    )
    assert isinstance(not_found, E.KsefNotFoundError) and "nie istnieje" in str(not_found)
    assert isinstance(_error(400, {"errors": [{"code": 21165, "description": "x"}]}), E.KsefNotReadyError)
    assert isinstance(_error(400, {"errors": [{"code": 21470, "description": "x"}]}), E.KsefPublicKeyError)


def test_server_text_is_redacted() -> None:
    secret = "20261001-EC-0123456789-ABCDEF0123-01|nip-5210537039|" + "cd" * 32
    register_secret(secret)
    error = _error(
        400, {"errors": [{"code": 21405, "description": f"zły token {secret}", "details": [secret]}]}
    )
    assert (
        secret not in str(error)
        and secret not in (error.description or "")
        and secret not in "".join(error.details)
    )
