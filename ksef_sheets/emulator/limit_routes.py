"""The routes of API rate limits and context/subject limits (PROTOCOL.md §16, §22) with TEST's knobs:
thin handlers over ``emu.limits`` and ``emu.context_limits``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.errors import validation_error
from ksef_sheets.emulator.limits import GROUPS, OVERRIDABLE, RateLimit
from ksef_sheets.emulator.request import read_model

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


# --- request bodies ------------------------------------------------------------------------------
class _Values(BaseModel):
    model_config = ConfigDict(extra="ignore")
    perSecond: int = Field(ge=0)
    perMinute: int = Field(ge=0)
    perHour: int = Field(ge=0)


class _SetRateLimits(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rateLimits: dict[str, _Values]


class _SessionValues(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxInvoiceSizeInMB: int = Field(ge=0, le=5)
    maxInvoiceWithAttachmentSizeInMB: int = Field(ge=0, le=10)
    maxInvoices: int = Field(ge=0, le=100000)


class _CollectiveValues(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxInvoices: int = Field(ge=2, le=5000)


class _SetSessionLimits(BaseModel):
    model_config = ConfigDict(extra="ignore")
    onlineSession: _SessionValues
    batchSession: _SessionValues
    collectiveIdentifier: _CollectiveValues


class _Enrollment(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxEnrollments: int | None = Field(default=None, ge=0)


class _Certificate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxCertificates: int | None = Field(default=None, ge=0)


class _SetSubjectLimits(BaseModel):
    model_config = ConfigDict(extra="ignore")
    subjectIdentifierType: str | None = None
    enrollment: _Enrollment | None = None
    certificate: _Certificate | None = None


class LimitRoutes:
    """The handlers; each checks the request and calls ``emu.limits`` or ``emu.context_limits``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def rate_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        table = emu.limits.effective(ctx.context_value)
        return JSONResponse({g: table[g].as_json() for g in GROUPS})

    async def set_rate_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        body = await read_model(request, _SetRateLimits)
        missing = [g for g in OVERRIDABLE if g not in body.rateLimits]
        unknown = [g for g in body.rateLimits if g not in GROUPS]
        if missing or unknown:
            details = [f"Brak limitów dla grupy '{g}'." for g in missing]
            details += [f"Nieznana grupa limitów '{g}'." for g in unknown]
            raise validation_error(details, request=request)
        emu.limits.set_custom(
            ctx.context_value,
            {g: RateLimit(v.perSecond, v.perMinute, v.perHour) for g, v in body.rateLimits.items()},
        )
        return Response(status_code=200)

    async def reset_rate_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        emu.limits.clear(ctx.context_value)
        return Response(status_code=200)

    async def production_rate_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        emu.limits.set_production(ctx.context_value)
        return Response(status_code=200)

    async def context_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        return JSONResponse(emu.context_limits.for_context(ctx.context_value))

    async def set_context_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        body = await read_model(request, _SetSessionLimits)
        emu.context_limits.set_for_context(ctx.context_value, body.model_dump())
        return Response(status_code=200)

    async def reset_context_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        emu.context_limits.reset_context(ctx.context_value)
        return Response(status_code=200)

    async def subject_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        return JSONResponse(emu.context_limits.for_subject(ctx.subject_identifier, ctx.subject_type))

    async def set_subject_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        body = await read_model(request, _SetSubjectLimits)
        current = emu.context_limits.stored_for_subject(ctx.subject_identifier) or {}
        if body.enrollment and body.enrollment.maxEnrollments is not None:
            current["enrollment"] = {"maxEnrollments": body.enrollment.maxEnrollments}
        if body.certificate and body.certificate.maxCertificates is not None:
            current["certificate"] = {"maxCertificates": body.certificate.maxCertificates}
        emu.context_limits.set_for_subject(ctx.subject_identifier, current)
        return Response(status_code=200)

    async def reset_subject_limits(self, request: Request) -> Response:
        emu = self.emu
        ctx = await emu.caller(request, "other")
        emu.context_limits.reset_subject(ctx.subject_identifier)
        return Response(status_code=200)


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = LimitRoutes(emu)
    return [
        Route("/rate-limits", handlers.rate_limits, methods=["GET"]),
        Route("/testdata/rate-limits", handlers.set_rate_limits, methods=["POST"]),
        Route("/testdata/rate-limits", handlers.reset_rate_limits, methods=["DELETE"]),
        Route("/testdata/rate-limits/production", handlers.production_rate_limits, methods=["POST"]),
        Route("/limits/context", handlers.context_limits, methods=["GET"]),
        Route("/limits/subject", handlers.subject_limits, methods=["GET"]),
        Route("/testdata/limits/context/session", handlers.set_context_limits, methods=["POST"]),
        Route("/testdata/limits/context/session", handlers.reset_context_limits, methods=["DELETE"]),
        Route("/testdata/limits/subject/certificate", handlers.set_subject_limits, methods=["POST"]),
        Route("/testdata/limits/subject/certificate", handlers.reset_subject_limits, methods=["DELETE"]),
    ]
