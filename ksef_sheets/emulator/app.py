"""The ASGI application: every module's routes mounted under ``/v2``.

Each route module exposes ``routes(emu) -> list[BaseRoute]``. The invoices engineer's modules
(``invoices``, ``sessions``, ``exports``, ``upo``) are included when present, so the platform
works on its own and grows as they land.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount

from ksef_sheets.emulator.body_limits import JsonBodyGuard
from ksef_sheets.emulator.core import Emulator
from ksef_sheets.emulator.errors import EmulatorHTTPError, ksef_error
from ksef_sheets.emulator.faults import FaultMiddleware

log = logging.getLogger(__name__)

BASE_PATH = "/v2"
PLATFORM_MODULES = ("keys", "auth", "tokens", "permissions", "testdata", "limits", "faults", "certificates")
INVOICE_MODULES = ("invoices", "sessions", "exports", "upo")


def _optional(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"ksef_sheets.emulator.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"ksef_sheets.emulator.{name}":
            raise
        return None


def collect_routes(emu: Emulator) -> list[BaseRoute]:
    collected: list[BaseRoute] = []
    for name in PLATFORM_MODULES:
        collected.extend(importlib.import_module(f"ksef_sheets.emulator.{name}").routes(emu))
    for name in INVOICE_MODULES:
        module = _optional(name)
        if module is None:
            continue
        factory = getattr(module, "routes", None)
        if factory is not None:
            collected.extend(factory(emu))
    return collected


async def _emulator_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EmulatorHTTPError)
    return exc.response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return JSONResponse(
            {
                "title": "Not Found",
                "status": 404,
                "detail": "Nie znaleziono zasobu.",
                "instance": request.url.path,
            },
            status_code=404,
            media_type="application/problem+json",
        )
    if exc.status_code == 405:
        return JSONResponse(
            {
                "title": "Method Not Allowed",
                "status": 405,
                "detail": "Metoda niedozwolona.",
                "instance": request.url.path,
            },
            status_code=405,
            media_type="application/problem+json",
        )
    return ksef_error(exc.status_code, exc.status_code, str(exc.detail), request=request)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("emulator: unexpected error on %s %s", request.method, request.url.path)
    return ksef_error(500, 500, "Wystąpił nieoczekiwany błąd serwera.")


def create_app(emu: Emulator) -> Starlette:
    from ksef_sheets.emulator import verification

    app = Starlette(
        # The QR verification pages live at the root, as on KSeF's QR host (not under /v2).
        routes=[Mount(BASE_PATH, routes=collect_routes(emu)), *verification.routes(emu)],
        middleware=[
            Middleware(JsonBodyGuard),
            Middleware(FaultMiddleware, faults=emu.faults, base_path=BASE_PATH),
        ],
        exception_handlers={
            EmulatorHTTPError: _emulator_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.emulator = emu
    return app
