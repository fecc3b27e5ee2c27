"""The ASGI application: every module's routes mounted under ``/v2``.

Each route module exposes ``routes(emu) -> list[BaseRoute]``; ``ROUTE_MODULES`` lists them in
mounting order (the QR verification pages sit at the root).
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount

from ksef_sheets.emulator import (
    auth_routes,
    certificate_routes,
    export_routes,
    invoice_routes,
    limit_routes,
    permission_routes,
    platform_routes,
    session_routes,
    testdata_routes,
    token_routes,
    verification_routes,
)
from ksef_sheets.emulator.body_limits import JsonBodyGuard
from ksef_sheets.emulator.core import Emulator
from ksef_sheets.emulator.errors import EmulatorHTTPError, ksef_error
from ksef_sheets.emulator.faults import FaultMiddleware

log = logging.getLogger(__name__)

BASE_PATH = "/v2"
ROUTE_MODULES = (
    platform_routes,
    auth_routes,
    token_routes,
    permission_routes,
    testdata_routes,
    limit_routes,
    certificate_routes,
    invoice_routes,
    session_routes,
    export_routes,
)


def collect_routes(emu: Emulator) -> list[BaseRoute]:
    return [route for module in ROUTE_MODULES for route in module.routes(emu)]


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
    app = Starlette(
        # The QR verification pages live at the root, as on KSeF's QR host (not under /v2).
        routes=[Mount(BASE_PATH, routes=collect_routes(emu)), *verification_routes.routes(emu)],
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
