"""Error responses exactly as KSeF answers them (openapi.json components, PROTOCOL.md §17).

- 400: legacy ``ExceptionResponse`` (``application/json``) or, when the request carries
  ``X-Error-Format: problem-details``, ``BadRequestProblemDetails`` (``application/problem+json``).
- 401 / 403 / 410: always problem+json.
- 429: legacy ``TooManyRequestsResponse`` or ``TooManyRequestsProblemDetails``, with ``Retry-After``.

Handlers raise ``EmulatorHTTPError(response)``; the app's exception handler returns the response.
Helpers that need to know the requested error format take the ``Request``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PROBLEM_JSON = "application/problem+json"


class EmulatorHTTPError(Exception):
    """Carries a ready response; rendered by the app's exception handler."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _timestamp() -> str:
    return datetime.now(UTC).isoformat()


def _trace_id() -> str:
    return secrets.token_hex(16)


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    # Optional members are left out rather than sent as null (openapi.json marks few as nullable).
    return {k: v for k, v in body.items() if v is not None}


def wants_problem_details(request: Request | None) -> bool:
    if request is None:
        return False
    return request.headers.get("x-error-format", "").strip().lower() == "problem-details"


def ksef_error(
    status: int,
    code: int,
    description: str,
    details: list[str] | None = None,
    *,
    request: Request | None = None,
    reference_number: str | None = None,
) -> Response:
    """A 400-style KSeF error (``ExceptionResponse``; problem-details when the request asks)."""
    if wants_problem_details(request):
        body: dict[str, Any] = {
            "title": "Bad Request",
            "status": status,
            "instance": request.url.path if request is not None else "",
            "detail": description,
            "errors": [{"code": code, "description": description, "details": list(details or [])}],
            "timestamp": _timestamp(),
            "traceId": _trace_id(),
        }
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    body = {
        "exception": {
            "exceptionDetailList": [
                {"exceptionCode": code, "exceptionDescription": description, "details": list(details or [])}
            ],
            "serviceCode": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
            "serviceCtx": "srvEMULATOR",
            "serviceName": "ksef-sheets-emulator",
            "timestamp": _timestamp(),
        }
    }
    if reference_number:
        body["exception"]["referenceNumber"] = reference_number
    return JSONResponse(body, status_code=status)


def bad_request(
    code: int, description: str, details: list[str] | None = None, *, request: Request | None = None
) -> EmulatorHTTPError:
    """``raise bad_request(21405, "Błąd walidacji danych wejściowych.", [...], request=request)``."""
    return EmulatorHTTPError(ksef_error(400, code, description, details, request=request))


def validation_error(details: list[str], *, request: Request | None = None) -> EmulatorHTTPError:
    return bad_request(21405, "Błąd walidacji danych wejściowych.", details, request=request)


def unauthorized(
    detail: str = "Wymagane jest uwierzytelnienie.", *, request: Request | None = None
) -> EmulatorHTTPError:
    body = {
        "title": "Unauthorized",
        "status": 401,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
        "traceId": _trace_id(),
        "timestamp": _timestamp(),
    }
    return EmulatorHTTPError(
        JSONResponse(
            _without_none(body),
            status_code=401,
            media_type=PROBLEM_JSON,
            headers={"WWW-Authenticate": "Bearer"},
        )
    )


def forbidden(
    reason_code: str,
    detail: str,
    security: dict[str, Any] | None = None,
    *,
    request: Request | None = None,
) -> EmulatorHTTPError:
    body = {
        "title": "Forbidden",
        "status": 403,
        "detail": detail,
        "instance": request.url.path if request is not None else None,
        "reasonCode": reason_code,
        "security": security,
        "traceId": _trace_id(),
        "timestamp": _timestamp(),
    }
    return EmulatorHTTPError(JSONResponse(_without_none(body), status_code=403, media_type=PROBLEM_JSON))


def gone(detail: str, *, request: Request | None = None) -> EmulatorHTTPError:
    body = {
        "title": "Gone",
        "status": 410,
        "instance": request.url.path if request is not None else "",
        "detail": detail,
        "timestamp": _timestamp(),
        "traceId": _trace_id(),
    }
    return EmulatorHTTPError(JSONResponse(body, status_code=410, media_type=PROBLEM_JSON))


def too_many_requests(detail: str, retry_after: int, *, request: Request | None = None) -> EmulatorHTTPError:
    headers = {"Retry-After": str(max(1, int(retry_after)))}
    if wants_problem_details(request):
        body: dict[str, Any] = {
            "title": "Too Many Requests",
            "status": 429,
            "instance": request.url.path if request is not None else "",
            "detail": detail,
            "timestamp": _timestamp(),
            "traceId": _trace_id(),
        }
        return EmulatorHTTPError(
            JSONResponse(body, status_code=429, media_type=PROBLEM_JSON, headers=headers)
        )
    body = {"status": {"code": 429, "description": "Too Many Requests", "details": [detail]}}
    return EmulatorHTTPError(JSONResponse(body, status_code=429, headers=headers))


def server_error(*, request: Request | None = None) -> Response:
    """The legacy 500 body seen in production (PROTOCOL.md §17)."""
    return ksef_error(500, 500, "Wystąpił nieoczekiwany błąd serwera.", request=None)
