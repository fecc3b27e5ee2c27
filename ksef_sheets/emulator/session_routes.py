"""The routes of sending sessions (PROTOCOL.md §8–§11, §24): thin handlers over ``emu.sessions``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.links import storage_not_found
from ksef_sheets.emulator.request import query_int, read_strict
from ksef_sheets.emulator.session_schema import (
    BATCH_PERMISSIONS,
    DATE_FILTERS,
    FORM_CODES,
    MAX_PART_BYTES,
    MAX_PARTS,
    STATUS_GROUPS,
    STATUS_PERMISSIONS,
    SUPPORTED_FORM,
    WRITE_PERMISSIONS,
    FormCodeBody,
    OpenBatchBody,
    OpenOnlineBody,
    SendInvoiceBody,
)
from ksef_sheets.emulator.upo import xml_response
from ksef_sheets.emulator.wire import (
    check_public_key_id,
    iso_ms,
    parse_query_datetime,
    to_us,
    unwrap_symmetric_key,
)

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


def _form_or_error(form: FormCodeBody, request: Request) -> None:
    code = (form.system_code, form.schema_version, form.value)
    if code not in FORM_CODES:
        raise validation_error([f"formCode: nieznany kod formularza {code}."], request=request)
    if code != SUPPORTED_FORM:
        raise validation_error(
            [f"formCode: emulator przyjmuje wyłącznie FA (3) / 1-0E / FA, otrzymano {code}."], request=request
        )


def _continuation(request: Request) -> int:
    token = request.headers.get("x-continuation-token")
    if not token:
        return 0
    try:
        data = json.loads(base64.b64decode(token, validate=True))
        offset = int(data["o"])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request(
            21418, "Przekazany token kontynuacji ma nieprawidłowy format.", request=request
        ) from None


def _token_for(offset: int) -> str:
    return base64.b64encode(json.dumps({"o": offset}).encode()).decode()


def _upo_not_found(request: Request, detail: str) -> Exception:
    return bad_request(21178, "Nie znaleziono UPO dla podanych kryteriów.", [detail], request=request)


class SessionRoutes:
    """The handlers; each checks the request and calls ``emu.sessions``."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.service = emu.sessions

    async def open_online(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "onlineSession", any_of=WRITE_PERMISSIONS)
        body = await read_strict(request, OpenOnlineBody)
        _form_or_error(body.form_code, request)
        check_public_key_id(emu.keys, body.encryption, request)
        key = unwrap_symmetric_key(emu.keys, body.encryption)
        ref, valid_until = service.open_session("Online", ctx, body.form_code, key)
        return JSONResponse({"referenceNumber": ref, "validUntil": iso_ms(valid_until)}, status_code=201)

    async def send_invoice(self, request: Request) -> Response:
        ctx = await self.emu.caller(request, "invoiceSend", any_of=WRITE_PERMISSIONS)
        body = await read_strict(request, SendInvoiceBody)
        inv_ref = self.service.send_online(ctx, request.path_params["referenceNumber"], body, request)
        return JSONResponse({"referenceNumber": inv_ref}, status_code=202)

    async def close_online(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "onlineSessionClose", any_of=WRITE_PERMISSIONS)
        ref = request.path_params["referenceNumber"]
        session = service.session_row(ref, ctx, request)
        if session["kind"] != "Online" or session["status"] != 100:
            raise bad_request(
                21180,
                "Status sesji nie pozwala na wykonanie operacji.",
                [f"Status sesji {session['status']} uniemożliwia jej zamknięcie."],
                request=request,
            )
        service.close_online(ref)
        return Response(status_code=204)

    async def open_batch(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "batchSession", any_of=BATCH_PERMISSIONS)
        body = await read_strict(request, OpenBatchBody)
        _form_or_error(body.form_code, request)
        check_public_key_id(emu.keys, body.encryption, request)
        parts = body.batch_file.file_parts
        if len(parts) > MAX_PARTS:
            raise bad_request(
                21161,
                "Przekroczono dozwoloną liczbę części pakietu.",
                [f"Zadeklarowano {len(parts)} części, dozwolone jest {MAX_PARTS}."],
                request=request,
            )
        for part in parts:
            if part.file_size > MAX_PART_BYTES + 16:
                raise bad_request(
                    21157,
                    "Nieprawidłowy rozmiar części pakietu.",
                    [f"Część {part.ordinal_number} ma {part.file_size} B, więcej niż {MAX_PART_BYTES} B."],
                    request=request,
                )
        ordinals = sorted(part.ordinal_number for part in parts)
        if ordinals != list(range(1, len(parts) + 1)):
            raise validation_error(
                ["batchFile.fileParts: numery części muszą być kolejne od 1."], request=request
            )
        key = unwrap_symmetric_key(emu.keys, body.encryption)
        declared = body.batch_file.model_dump(by_alias=True)
        ref, deadline = service.open_session(
            "Batch",
            ctx,
            body.form_code,
            key,
            offline=body.offline_mode,
            batch_file=declared,
            parts=len(parts),
        )
        uploads = [
            {
                "ordinalNumber": n,
                "method": "PUT",
                "url": emu.links.sign("PUT", f"/storage/batch/{ref}/{n}", deadline),
                "headers": {"x-ms-blob-type": "BlockBlob"},
            }
            for n in ordinals
        ]
        return JSONResponse({"referenceNumber": ref, "partUploadRequests": uploads}, status_code=201)

    async def upload_part(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ref, ordinal = request.path_params["ref"], request.path_params["ordinal"]
        denied = emu.links.check(request, f"/storage/batch/{ref}/{ordinal}")
        if denied is not None:
            return denied
        row = service.upload_target(ref)
        if row is None:
            return storage_not_found()
        if row["status"] != 100:
            return JSONResponse(
                {"code": "OperationNotAllowed", "message": "Sesja nie przyjmuje części."}, status_code=403
            )
        declared = {p["ordinalNumber"]: p for p in json.loads(row["batch_file"])["fileParts"]}
        number = int(ordinal) if ordinal.isdigit() else -1
        if number not in declared:
            return storage_not_found()
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > declared[number]["fileSize"]:
                return JSONResponse(
                    {"code": "InvalidInput", "message": "Część jest większa niż zadeklarowano."},
                    status_code=400,
                )
        path = service.part_path(ref, number)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(data))
        tmp.replace(path)
        return Response(status_code=201)

    async def close_batch(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "batchSessionClose", any_of=BATCH_PERMISSIONS)
        ref = request.path_params["referenceNumber"]
        session = service.session_row(ref, ctx, request)
        if session["kind"] == "Batch" and session["status"] == 440:
            raise bad_request(
                21208,
                "Czas oczekiwania na requesty upload lub finish został przekroczony.",
                ["Sesja anulowana, przekroczony czas wysyłki."],
                request=request,
            )
        if session["kind"] != "Batch" or session["status"] != 100:
            raise bad_request(
                21180,
                "Status sesji nie pozwala na wykonanie operacji.",
                [f"Status sesji {session['status']} uniemożliwia jej zamknięcie."],
                request=request,
            )
        declared = json.loads(session["batch_file"])
        for part in declared["fileParts"]:
            path = service.part_path(ref, part["ordinalNumber"])
            if not path.exists():
                raise bad_request(
                    21205,
                    "Pakiet nie może być pusty.",
                    [f"Nie przesłano zadeklarowanej '{part['ordinalNumber']}' części pliku."],
                    request=request,
                )
            if path.stat().st_size != part["fileSize"]:
                raise bad_request(
                    21157,
                    "Nieprawidłowy rozmiar części pakietu.",
                    [
                        f"Zadeklarowany rozmiar części '{part['ordinalNumber']}' nie zgadza się z rzeczywistym."
                    ],
                    request=request,
                )
        service._set_status(ref, 150)
        service._schedule(service.process_batch(ref))
        return Response(status_code=204)

    async def list_sessions(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "sessionList", any_of=STATUS_PERMISSIONS)
        page_size = query_int(request, "pageSize", 10, 10, 1000)
        kind = request.query_params.get("sessionType")
        if kind not in ("Online", "Batch"):
            raise validation_error(["sessionType: wymagana wartość Online lub Batch."], request=request)
        service.expire_due(ctx.context_value)
        reference = request.query_params.get("referenceNumber")
        bounds: list[tuple[str, int]] = []
        for name in DATE_FILTERS:
            text = request.query_params.get(name)
            if text:
                try:
                    moment = parse_query_datetime(text)
                except ValueError:
                    raise validation_error(
                        [f"{name}: nieprawidłowa data '{text}'."], request=request
                    ) from None
                bounds.append((name, to_us(moment)))
        statuses = request.query_params.getlist("statuses")
        for name in statuses:
            if name != "Failed" and name not in STATUS_GROUPS:
                raise validation_error([f"statuses: niedozwolona wartość '{name}'."], request=request)
        offset = _continuation(request)
        rows = service.session_page(
            ctx,
            kind,
            reference=reference,
            bounds=bounds,
            statuses=statuses,
            limit=page_size + 1,
            offset=offset,
        )
        items = []
        for row in rows[:page_size]:
            view = service.session_json(row)
            items.append(
                {
                    "referenceNumber": row["ref"],
                    "status": view["status"],
                    "dateCreated": view["dateCreated"],
                    "dateUpdated": view["dateUpdated"],
                    **({"validUntil": view["validUntil"]} if view.get("validUntil") else {}),
                    "totalInvoiceCount": view["invoiceCount"],
                    "successfulInvoiceCount": view["successfulInvoiceCount"],
                    "failedInvoiceCount": view["failedInvoiceCount"],
                }
            )
        token = _token_for(offset + page_size) if len(rows) > page_size else None
        return JSONResponse({"continuationToken": token, "sessions": items})

    async def session_status(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "sessionMisc", any_of=STATUS_PERMISSIONS)
        row = service.session_row(request.path_params["referenceNumber"], ctx, request)
        return JSONResponse(service.session_json(row))

    async def _invoice_list(self, request: Request, failed_only: bool) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "sessionInvoiceList", any_of=STATUS_PERMISSIONS)
        page_size = query_int(request, "pageSize", 10, 10, 1000)
        ref = request.path_params["referenceNumber"]
        service.session_row(ref, ctx, request)
        offset = _continuation(request)
        rows = service.invoice_page(ref, failed_only=failed_only, limit=page_size + 1, offset=offset)
        token = _token_for(offset + page_size) if len(rows) > page_size else None
        return JSONResponse(
            {"continuationToken": token, "invoices": [service.invoice_json(row) for row in rows[:page_size]]}
        )

    async def session_invoices(self, request: Request) -> Response:
        return await self._invoice_list(request, False)

    async def failed_invoices(self, request: Request) -> Response:
        return await self._invoice_list(request, True)

    async def invoice_status(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "invoiceStatus", any_of=STATUS_PERMISSIONS)
        ref = request.path_params["referenceNumber"]
        service.session_row(ref, ctx, request)
        inv_ref = request.path_params["invoiceReferenceNumber"]
        row = service.session_invoice(ref, inv_ref)
        if row is None:
            raise validation_error(
                [f"Faktura o numerze referencyjnym {inv_ref} nie istnieje w sesji {ref}."], request=request
            )
        return JSONResponse(service.invoice_json(row))

    async def upo_by_ksef(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "sessionMisc", any_of=STATUS_PERMISSIONS)
        ref, number = request.path_params["referenceNumber"], request.path_params["ksefNumber"]
        service.session_row(ref, ctx, request)
        data = service.invoice_upo(ref, ksef_number=number)
        if data is None:
            raise _upo_not_found(
                request,
                f"UPO o numerze KSeF {number} i numerze referencyjnym sesji {ref} nie zostało znalezione.",
            )
        return xml_response(data)

    async def upo_by_invoice(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "sessionMisc", any_of=STATUS_PERMISSIONS)
        ref, inv_ref = request.path_params["referenceNumber"], request.path_params["invoiceReferenceNumber"]
        service.session_row(ref, ctx, request)
        data = service.invoice_upo(ref, inv_ref=inv_ref)
        if data is None:
            raise _upo_not_found(request, f"UPO faktury {inv_ref} w sesji {ref} nie zostało znalezione.")
        return xml_response(data)

    async def session_upo(self, request: Request) -> Response:
        emu, service = self.emu, self.service
        ctx = await emu.caller(request, "sessionMisc", any_of=STATUS_PERMISSIONS)
        ref, upo_ref = request.path_params["referenceNumber"], request.path_params["upoReferenceNumber"]
        service.session_row(ref, ctx, request)
        data = service.session_upo(ref, upo_ref)
        if data is None:
            raise _upo_not_found(
                request, f"UPO o numerze referencyjnym {upo_ref} dla sesji {ref} nie zostało znalezione."
            )
        return xml_response(data)

    async def upo_download(self, request: Request) -> Response:
        """A signed storage link to a UPO (``upoDownloadUrl``, ``upo.pages[].downloadUrl``), no token."""
        path = request.url.path
        base = request.scope.get("root_path", "")
        relative = path[len(base) :] if base and path.startswith(base) else path
        relative = relative[relative.index("/storage/") :]
        denied = self.emu.links.check(request, relative)
        if denied is not None:
            return denied
        data = self.service.upo_for_link(
            request.path_params["kind"], request.path_params["ref"], request.path_params["item"]
        )
        if data is None:
            return storage_not_found()
        return xml_response(data)


def routes(emu: Emulator) -> list[BaseRoute]:
    h = SessionRoutes(emu)
    return [
        Route("/sessions/online", h.open_online, methods=["POST"]),
        Route("/sessions/online/{referenceNumber}/invoices", h.send_invoice, methods=["POST"]),
        Route("/sessions/online/{referenceNumber}/close", h.close_online, methods=["POST"]),
        Route("/sessions/batch", h.open_batch, methods=["POST"]),
        Route("/sessions/batch/{referenceNumber}/close", h.close_batch, methods=["POST"]),
        Route("/storage/batch/{ref}/{ordinal}", h.upload_part, methods=["PUT"]),
        Route("/sessions", h.list_sessions, methods=["GET"]),
        Route("/sessions/{referenceNumber}/invoices/failed", h.failed_invoices, methods=["GET"]),
        Route("/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo", h.upo_by_ksef, methods=["GET"]),
        Route(
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
            h.upo_by_invoice,
            methods=["GET"],
        ),
        Route(
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}", h.invoice_status, methods=["GET"]
        ),
        Route("/sessions/{referenceNumber}/invoices", h.session_invoices, methods=["GET"]),
        Route("/sessions/{referenceNumber}/upo/{upoReferenceNumber}", h.session_upo, methods=["GET"]),
        Route("/sessions/{referenceNumber}", h.session_status, methods=["GET"]),
        Route("/storage/upo/{kind}/{ref}/{item}", h.upo_download, methods=["GET"]),
    ]
