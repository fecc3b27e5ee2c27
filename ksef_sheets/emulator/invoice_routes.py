"""The invoice routes (PROTOCOL.md §13–§14): thin handlers over ``emu.invoices``."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.invoices import INVOICE_READ
from ksef_sheets.emulator.request import query_int, read_strict
from ksef_sheets.emulator.wire import QueryFilters, b64_sha256, iso_ms

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

KSEF_NUMBER_PATTERN = re.compile(
    r"^([1-9](\d[1-9]|[1-9]\d)\d{7})-(20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3})(0[1-9]|1[0-2])"
    r"(0[1-9]|[12]\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$"
)  # the spec's KsefNumber pattern (format only; the checksum is not part of it)


SUBJECT_TYPES = ("Subject1", "Subject2", "Subject3", "SubjectAuthorized")


class InvoiceRoutes:
    """The handlers; each checks the request and calls ``emu.invoices``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def query_metadata(self, request: Request) -> Response:
        emu = self.emu
        store = emu.invoices
        ctx = await emu.caller(request, "invoiceMetadata", any_of=INVOICE_READ)
        page_offset = query_int(request, "pageOffset", 0, 0)
        page_size = query_int(request, "pageSize", 10, 10, 250)
        sort_order = request.query_params.get("sortOrder", "Asc")
        if sort_order not in ("Asc", "Desc"):
            raise validation_error([f"sortOrder: niedozwolona wartość '{sort_order}'."], request=request)
        filters = await read_strict(request, QueryFilters)
        plan = store.plan(filters, ctx.context_value, request)
        invoices, has_more, truncated = store.query_page(
            plan, page_offset=page_offset, page_size=page_size, descending=sort_order == "Desc"
        )
        head = json.dumps(
            {
                "hasMore": has_more,
                "isTruncated": truncated,
                "permanentStorageHwmDate": iso_ms(plan.hwm) if plan.hwm else None,
            }
        )
        # The stored metadata is already compact JSON: splice it instead of decoding and re-encoding.
        body = f'{head[:-1]},"invoices":[{",".join(invoices)}]}}'
        return Response(body.encode("utf-8"), media_type="application/json")

    async def download(self, request: Request) -> Response:
        emu = self.emu
        store = emu.invoices
        ctx = await emu.caller(request, "invoiceDownload", any_of=INVOICE_READ)
        number = request.path_params["ksefNumber"]
        if not KSEF_NUMBER_PATTERN.match(number):
            raise validation_error(
                [f"ksefNumber: '{number}' nie jest prawidłowym numerem KSeF."], request=request
            )
        found = store.get(number)
        if found is None or not store.visible_to(number, ctx.context_value):
            raise bad_request(
                21164,
                "Faktura o podanym identyfikatorze nie istnieje.",
                [f"Faktura o numerze KSeF {number} nie została znaleziona."],
                request=request,
            )
        meta, xml = found
        if datetime.fromisoformat(meta["permanentStorageDate"]) > emu.clock.now():
            raise bad_request(
                21165,
                "Faktura o podanym numerze KSeF nie jest jeszcze dostępna.",
                [
                    f"Faktura o numerze KSeF {number} została przetworzona, ale nie jest jeszcze dostępna do "
                    "pobrania. Spróbuj ponownie później."
                ],
                request=request,
            )
        return Response(xml, media_type="application/xml", headers={"x-ms-meta-hash": b64_sha256(xml)})


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = InvoiceRoutes(emu)
    return [
        Route("/invoices/query/metadata", handlers.query_metadata, methods=["POST"]),
        Route("/invoices/ksef/{ksefNumber}", handlers.download, methods=["GET"]),
    ]
