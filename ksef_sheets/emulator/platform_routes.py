"""The public-key certificates (``GET /security/public-key-certificates``, PROTOCOL.md §3) and the
emulator's own knobs outside the spec: ``/_emulator/faults`` (``emu.faults``, see ``faults.py``) and
``/_emulator/clock``."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.faults import EMULATOR_PREFIX
from ksef_sheets.emulator.request import read_model

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


class _FailBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    count: int = Field(default=1, ge=1)
    status: int = Field(default=500, ge=500, le=599)
    pathPrefix: str = "/"
    method: str | None = None


class _FaultsBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    failNext: list[_FailBody] | _FailBody | None = None
    dropNext: list[_FailBody] | _FailBody | None = None
    exportDelaySeconds: float | None = Field(default=None, ge=0)
    systemWarning: str | None = None


class _ClockBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    advanceSeconds: float | None = None
    speed: float | None = Field(default=None, gt=0)


class PlatformRoutes:
    """The handlers; public keys answer as KSeF does, the rest are the emulator's own knobs."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def public_key_certificates(self, request: Request) -> Response:
        emu = self.emu
        emu.limits.check(request, None, "anonymous")
        return JSONResponse(emu.keys.certificates())

    async def get_faults(self, request: Request) -> Response:
        emu = self.emu
        return JSONResponse(emu.faults.as_json())

    async def set_faults(self, request: Request) -> Response:
        emu = self.emu
        body = await read_model(request, _FaultsBody)
        for spec in _as_list(body.failNext):
            emu.faults.fail_next(
                spec.count, status=spec.status, path_prefix=spec.pathPrefix, method=spec.method
            )
        for spec in _as_list(body.dropNext):
            emu.faults.drop_next(spec.count, path_prefix=spec.pathPrefix, method=spec.method)
        if body.exportDelaySeconds is not None:
            emu.faults.export_delay = timedelta(seconds=body.exportDelaySeconds)
        if "systemWarning" in body.model_fields_set:
            emu.faults.system_warning = body.systemWarning or None
        return JSONResponse(emu.faults.as_json())

    async def clear_faults(self, request: Request) -> Response:
        emu = self.emu
        emu.faults.clear()
        return JSONResponse(emu.faults.as_json())

    async def clock(self, request: Request) -> Response:
        emu = self.emu
        body = await read_model(request, _ClockBody)
        if body.advanceSeconds:
            emu.clock.advance(timedelta(seconds=body.advanceSeconds))
        if body.speed:
            emu.clock.set_speed(body.speed)
        return JSONResponse({"now": emu.clock.now().isoformat(), "speed": emu.clock.speed})


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = PlatformRoutes(emu)
    return [
        Route("/security/public-key-certificates", handlers.public_key_certificates, methods=["GET"]),
        Route(f"{EMULATOR_PREFIX}/faults", handlers.get_faults, methods=["GET"]),
        Route(f"{EMULATOR_PREFIX}/faults", handlers.set_faults, methods=["POST"]),
        Route(f"{EMULATOR_PREFIX}/faults", handlers.clear_faults, methods=["DELETE"]),
        Route(f"{EMULATOR_PREFIX}/clock", handlers.clock, methods=["POST"]),
    ]


def _as_list(value: list[_FailBody] | _FailBody | None) -> list[_FailBody]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
