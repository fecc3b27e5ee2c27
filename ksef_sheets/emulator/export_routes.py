"""The routes of the asynchronous invoice export (PROTOCOL.md §15) and of its signed part links:
thin handlers over ``emu.exports``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.exports import ExportRequest
from ksef_sheets.emulator.invoices import INVOICE_READ
from ksef_sheets.emulator.links import storage_not_found
from ksef_sheets.emulator.request import read_strict
from ksef_sheets.emulator.wire import b64_sha256

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


class ExportRoutes:
    """The handlers; each checks the request and calls ``emu.exports``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def start_export(self, request: Request) -> Response:
        ctx = await self.emu.caller(request, "invoiceExport", any_of=INVOICE_READ)
        body = await read_strict(request, ExportRequest)
        ref = self.emu.exports.start(ctx, body, request)
        return JSONResponse({"referenceNumber": ref}, status_code=201)

    async def export_status(self, request: Request) -> Response:
        ctx = await self.emu.caller(request, "invoiceExportStatus", any_of=INVOICE_READ)
        return JSONResponse(self.emu.exports.status_of(ctx, request.path_params["referenceNumber"], request))

    async def download_part(self, request: Request) -> Response:
        ref, name = request.path_params["ref"], request.path_params["name"]
        denied = self.emu.links.check(request, f"/storage/exports/{ref}/{name}")
        if denied is not None:
            return denied
        path = self.emu.exports.part_file(ref, name)
        if path is None:
            return storage_not_found()
        data = path.read_bytes()
        return Response(
            data, media_type="application/octet-stream", headers={"x-ms-meta-hash": b64_sha256(data)}
        )


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = ExportRoutes(emu)
    return [
        Route("/invoices/exports", handlers.start_export, methods=["POST"]),
        Route("/invoices/exports/{referenceNumber}", handlers.export_status, methods=["GET"]),
        Route("/storage/exports/{ref}/{name}", handlers.download_part, methods=["GET"]),
    ]
