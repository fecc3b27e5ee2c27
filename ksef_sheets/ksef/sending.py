"""Sending invoices: online (interactive) sessions and batch sessions, their statuses and UPOs
(PROTOCOL §8–10)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from pydantic import ValidationError

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.connection import MAX_DOCUMENT_BYTES, USAGE_SYMMETRIC
from ksef_sheets.ksef.crypto import SymmetricKey, b64, sha256_b64
from ksef_sheets.ksef.models import (
    FA3_FORM_CODE,
    FormCode,
    OpenBatchSessionResponse,
    OpenOnlineSessionResponse,
    SessionInvoiceStatusResponse,
    SessionStatusResponse,
)
from ksef_sheets.ksef.responses import error_for_response, json_object, parse_model
from ksef_sheets.ksef.session_base import SessionBase
from ksef_sheets.redaction import register_secret


def _leaves(busy: tuple[int, ...]) -> Callable[[Any], bool]:
    """Whether a status answer's code has left ``busy`` (KSeF's "still working" codes)."""
    return lambda answer: answer.status.code not in busy


class SendingCalls(SessionBase):
    """``KsefSession``'s calls that open sending sessions and read their results."""

    # --- sending ---------------------------------------------------------------------------------

    async def open_online_session(self, form_code: FormCode = FA3_FORM_CODE) -> OnlineSession:
        """``POST /sessions/online`` with a fresh AES key (needs InvoiceWrite)."""
        key = SymmetricKey.generate()

        async def send(cert: x509.Certificate, key_id: str | None) -> httpx.Response:
            body = {"formCode": form_code.to_api(), "encryption": key.encryption_info(cert, key_id)}
            return await self.request(
                "POST", "/sessions/online", json_body=body, operation="otwarcie sesji wysyłki"
            )

        response = await self.client.with_fresh_key(USAGE_SYMMETRIC, send)
        opened = parse_model(response, OpenOnlineSessionResponse, "sesja interaktywna")
        return OnlineSession(self, opened.reference_number, key, opened.valid_until)

    async def open_batch_session(
        self,
        files: Mapping[str, bytes],
        *,
        form_code: FormCode = FA3_FORM_CODE,
        offline_mode: bool = False,
        part_size: int = 100_000_000,
    ) -> BatchSession:
        """Zip the invoices, encrypt the parts, open a batch session, upload parts (no token), close it."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        package = buffer.getvalue()
        key = SymmetricKey.generate()
        chunks = [package[i : i + part_size] for i in range(0, len(package), part_size)] or [b""]
        encrypted = [key.encrypt(chunk) for chunk in chunks]

        async def send(cert: x509.Certificate, key_id: str | None) -> httpx.Response:
            body: dict[str, Any] = {
                "formCode": form_code.to_api(),
                "batchFile": {
                    "fileSize": len(package),
                    "fileHash": sha256_b64(package),
                    "fileParts": [
                        {"ordinalNumber": i + 1, "fileSize": len(part), "fileHash": sha256_b64(part)}
                        for i, part in enumerate(encrypted)
                    ],
                },
                "encryption": key.encryption_info(cert, key_id),
            }
            if offline_mode:
                body["offlineMode"] = True
            return await self.request(
                "POST", "/sessions/batch", json_body=body, operation="otwarcie sesji wsadowej"
            )

        response = await self.client.with_fresh_key(USAGE_SYMMETRIC, send)
        opened = parse_model(response, OpenBatchSessionResponse, "sesja wsadowa")
        for upload in sorted(opened.part_upload_requests, key=lambda u: u.ordinal_number):
            register_secret(urlsplit(upload.url).query)
            data = encrypted[upload.ordinal_number - 1]
            headers = {k: v for k, v in upload.headers.items() if v is not None}
            await self._upload(upload.method, upload.url, data, headers)
        batch = BatchSession(self, opened.reference_number)
        await self.request(
            "POST", f"/sessions/batch/{opened.reference_number}/close", operation="zamknięcie sesji wsadowej"
        )
        return batch

    async def _upload(self, method: str, url: str, data: bytes, headers: dict[str, str]) -> None:
        try:
            response = await self.client._http.request(method, url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            raise E.KsefUnavailableError(
                f"Nie udało się wysłać części paczki do KSeF ({type(exc).__name__}).",
                context_nip=self.context_nip,
            ) from None
        if response.status_code >= 400:
            raise error_for_response(response, "wysłanie części paczki", self.context_nip)

    async def get_session_status(self, reference_number: str) -> SessionStatusResponse:
        response = await self.request(
            "GET", f"/sessions/{reference_number}", operation=f"status sesji {reference_number}"
        )
        return parse_model(response, SessionStatusResponse, "status sesji")

    async def session_invoices(
        self, reference_number: str, *, failed: bool = False
    ) -> list[SessionInvoiceStatusResponse]:
        """All invoices of a session (``x-continuation-token`` paging)."""
        path = f"/sessions/{reference_number}/invoices" + ("/failed" if failed else "")
        result: list[SessionInvoiceStatusResponse] = []
        continuation: str | None = None
        while True:
            response = await self.request(
                "GET",
                path,
                params={"pageSize": 100},
                extra_headers={"x-continuation-token": continuation} if continuation else None,
                operation="lista faktur sesji",
            )
            data = json_object(response, "lista faktur sesji")
            for item in data.get("invoices") or []:
                try:
                    result.append(SessionInvoiceStatusResponse.model_validate(item))
                except ValidationError:
                    raise E.KsefError("KSeF zwrócił nieoczekiwaną listę faktur sesji.") from None
            continuation = data.get("continuationToken")
            if not continuation:
                return result

    async def download_upo(self, path: str) -> bytes:
        response = await self.request(
            "GET", path, accept="application/xml", max_bytes=MAX_DOCUMENT_BYTES, operation="pobranie UPO"
        )
        data = response.content
        expected = response.headers.get("x-ms-meta-hash")
        if expected and expected != sha256_b64(data):
            raise E.KsefPackageError("UPO pobrane z KSeF ma inny skrót niż podany przez KSeF — odrzucono.")
        return data


class OnlineSession:
    """An open interactive session (PROTOCOL §8): send invoices, close, read UPOs."""

    def __init__(
        self, session: SendingCalls, reference_number: str, key: SymmetricKey, valid_until: dt.datetime | None
    ) -> None:
        self.session = session
        self.reference_number = reference_number
        self._key = key
        self.valid_until = valid_until
        self.closed = False

    def __repr__(self) -> str:
        return f"OnlineSession({self.reference_number!r})"

    async def __aenter__(self) -> OnlineSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.closed:
            await self.close()

    async def send_invoice(
        self, xml: bytes, *, offline_mode: bool = False, hash_of_corrected_invoice: str | None = None
    ) -> str:
        """Encrypt and send one invoice; returns the invoice reference number (poll its status)."""
        cipher = self._key.encrypt(xml)
        body: dict[str, Any] = {
            "invoiceHash": sha256_b64(xml),
            "invoiceSize": len(xml),
            "encryptedInvoiceHash": sha256_b64(cipher),
            "encryptedInvoiceSize": len(cipher),
            "encryptedInvoiceContent": b64(cipher),
        }
        if offline_mode:
            body["offlineMode"] = True
        if hash_of_corrected_invoice:
            body["hashOfCorrectedInvoice"] = hash_of_corrected_invoice
        response = await self.session.request(
            "POST",
            f"/sessions/online/{self.reference_number}/invoices",
            json_body=body,
            operation=f"wysłanie faktury w sesji {self.reference_number}",
        )
        reference = json_object(response, "wysłanie faktury").get("referenceNumber")
        if not isinstance(reference, str):
            raise E.KsefError("KSeF nie zwrócił numeru referencyjnego faktury.")
        return reference

    async def invoice_status(self, invoice_reference: str) -> SessionInvoiceStatusResponse:
        response = await self.session.request(
            "GET",
            f"/sessions/{self.reference_number}/invoices/{invoice_reference}",
            operation=f"status faktury {invoice_reference}",
        )
        return parse_model(response, SessionInvoiceStatusResponse, "status faktury")

    async def wait_for_invoice(self, invoice_reference: str) -> SessionInvoiceStatusResponse:
        """Poll until the invoice is accepted (200, with ``ksef_number``) or rejected (≥ 400)."""
        return await self.session.client.poll_until(
            lambda: self.invoice_status(invoice_reference),
            _leaves((100, 150)),
            f"KSeF długo przetwarza fakturę {invoice_reference} — sprawdź później.",
        )

    async def close(self) -> None:
        await self.session.request(
            "POST", f"/sessions/online/{self.reference_number}/close", operation="zamknięcie sesji wysyłki"
        )
        self.closed = True

    async def status(self) -> SessionStatusResponse:
        return await self.session.get_session_status(self.reference_number)

    async def wait(self) -> SessionStatusResponse:
        """After ``close``: poll until the collective UPO is ready (status other than 100/170)."""
        return await self.session.client.poll_until(
            self.status,
            _leaves((100, 170)),
            f"KSeF długo zamyka sesję {self.reference_number} — sprawdź później.",
        )

    async def invoice_upo(
        self, *, invoice_reference: str | None = None, ksef_number: str | None = None
    ) -> bytes:
        """The UPO of one invoice, by its session reference or by its KSeF number."""
        if invoice_reference:
            path = f"/sessions/{self.reference_number}/invoices/{invoice_reference}/upo"
        elif ksef_number:
            path = f"/sessions/{self.reference_number}/invoices/ksef/{ksef_number}/upo"
        else:
            raise ValueError("invoice_reference or ksef_number required")
        return await self.session.download_upo(path)

    async def upo(self) -> list[bytes]:
        """The session's collective UPO pages (after close, once status is 200)."""
        return await session_upo_pages(self.session, self.reference_number)


class BatchSession:
    def __init__(self, session: SendingCalls, reference_number: str) -> None:
        self.session = session
        self.reference_number = reference_number

    def __repr__(self) -> str:
        return f"BatchSession({self.reference_number!r})"

    async def status(self) -> SessionStatusResponse:
        return await self.session.get_session_status(self.reference_number)

    async def wait(self) -> SessionStatusResponse:
        """Poll until processing ends (status other than 100/150/170)."""
        return await self.session.client.poll_until(
            self.status,
            _leaves((100, 150, 170)),
            f"KSeF długo przetwarza paczkę {self.reference_number} — sprawdź później.",
        )

    async def invoices(self, *, failed: bool = False) -> list[SessionInvoiceStatusResponse]:
        return await self.session.session_invoices(self.reference_number, failed=failed)

    async def upo(self) -> list[bytes]:
        return await session_upo_pages(self.session, self.reference_number)


async def session_upo_pages(session: SendingCalls, reference_number: str) -> list[bytes]:
    status = await session.get_session_status(reference_number)
    if status.upo is None:
        return []
    return [
        await session.download_upo(f"/sessions/{reference_number}/upo/{page.reference_number}")
        for page in status.upo.pages
    ]
