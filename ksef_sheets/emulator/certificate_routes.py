"""The routes of KSeF certificates (PROTOCOL.md §18.4): thin handlers over ``emu.certificates``."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.certificates import SERIAL_PATTERN, CertificateFilters
from ksef_sheets.emulator.errors import validation_error
from ksef_sheets.emulator.request import read_model

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


# --- request bodies ------------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Enroll(_Model):
    certificateName: str = Field(
        min_length=5, max_length=100, pattern=r"^[a-zA-Z0-9_\- ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]+$"
    )
    certificateType: Literal["Authentication", "Offline"]
    csr: str = Field(min_length=1)
    validFrom: dt.datetime | None = None


class _Retrieve(_Model):
    certificateSerialNumbers: list[str] = Field(min_length=1, max_length=10)


class _Revoke(_Model):
    revocationReason: Literal["Unspecified", "Superseded", "KeyCompromise"] | None = None


class _UpdateCertificate(_Model):
    validTo: dt.datetime


def _serial(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    if not re.fullmatch(SERIAL_PATTERN, value):
        raise validation_error(
            [f"{name}: wymagane 16 znaków szesnastkowych (wielkie litery)."], request=request
        )
    return value


def _page(request: Request) -> tuple[int, int]:
    params = request.query_params
    try:
        size = int(params.get("pageSize", "10"))
        offset = int(params.get("pageOffset", "0"))
    except ValueError:
        raise validation_error(["pageSize/pageOffset: wymagana liczba całkowita."], request=request) from None
    if not 10 <= size <= 50 or offset < 0:
        raise validation_error(["pageSize: 10–50, pageOffset: ≥ 0."], request=request)
    return offset, size


class CertificateRoutes:
    """The handlers; each parses the request and calls ``emu.certificates``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.service = emu.certificates

    async def limits(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        (enrollment_limit, enrollments_left), (certificate_limit, certificates_left) = service.limits(ctx)
        return JSONResponse(
            {
                "canRequest": ctx.auth_method == "XadesSignature"
                and enrollments_left > 0
                and certificates_left > 0,
                "enrollment": {"limit": enrollment_limit, "remaining": enrollments_left},
                "certificate": {"limit": certificate_limit, "remaining": certificates_left},
            }
        )

    async def enrollment_data(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        return JSONResponse(service.enrollment_data(ctx, request))

    async def enroll(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        body = await read_model(request, _Enroll)
        answer = service.enroll(
            ctx,
            request,
            name=body.certificateName,
            certificate_type=body.certificateType,
            csr_b64=body.csr,
            valid_from=body.validFrom,
        )
        return JSONResponse(answer, status_code=202)

    async def enrollment_status(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        return JSONResponse(service.enrollment_status(ctx, str(request.path_params["ref"]), request))

    async def retrieve(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        body = await read_model(request, _Retrieve)
        bad = [s for s in body.certificateSerialNumbers if not re.fullmatch(SERIAL_PATTERN, s)]
        if bad:
            raise validation_error(
                [f"certificateSerialNumbers: niepoprawny numer seryjny '{s[:20]}'." for s in bad],
                request=request,
            )
        return JSONResponse({"certificates": service.retrieve(ctx, body.certificateSerialNumbers)})

    async def query(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        offset, size = _page(request)
        filters = await read_model(request, CertificateFilters)
        return JSONResponse(service.query(ctx, filters, offset, size))

    async def revoke(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        serial = _serial(request, "serial")
        body = await read_model(request, _Revoke)
        service.revoke(ctx, serial, body.revocationReason, request)
        return Response(status_code=204)

    async def update_test_certificate(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "other")
        serial = _serial(request, "serial")
        body = await read_model(request, _UpdateCertificate)
        service.update_valid_to(ctx, serial, body.validTo, request)
        return Response(status_code=200)


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = CertificateRoutes(emu)
    return [
        Route("/certificates/limits", handlers.limits, methods=["GET"]),
        Route("/certificates/enrollments/data", handlers.enrollment_data, methods=["GET"]),
        Route("/certificates/enrollments", handlers.enroll, methods=["POST"]),
        Route("/certificates/enrollments/{ref}", handlers.enrollment_status, methods=["GET"]),
        Route("/certificates/retrieve", handlers.retrieve, methods=["POST"]),
        Route("/certificates/query", handlers.query, methods=["POST"]),
        Route("/certificates/{serial}/revoke", handlers.revoke, methods=["POST"]),
        Route("/testdata/certificates/{serial}", handlers.update_test_certificate, methods=["PUT"]),
    ]
