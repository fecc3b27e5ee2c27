"""Invoice exports (PROTOCOL §15): start with a fresh AES key, poll the status, download the parts,
check, decrypt, join and unzip them; ``ExportResult`` is the opened package."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography import x509
from pydantic import TypeAdapter, ValidationError

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.connection import MAX_RESPONSE_BYTES, USAGE_SYMMETRIC
from ksef_sheets.ksef.crypto import SymmetricKey, sha256_b64
from ksef_sheets.ksef.models import (
    InvoiceExportStatusResponse,
    InvoiceMetadata,
    InvoicePackage,
    InvoicePackagePart,
    InvoiceQueryFilters,
)
from ksef_sheets.ksef.package import METADATA_NAME, PackageLimits, open_zip_package
from ksef_sheets.ksef.responses import (
    bad_part_hash,
    filters_body,
    json_object,
    parse_model,
    register_storage_link,
)
from ksef_sheets.ksef.session_base import SessionBase
from ksef_sheets.redaction import redact

_METADATA_LIST = TypeAdapter(list[InvoiceMetadata])  # one validator for a package's metadata list


@dataclass
class ExportResult:
    """A finished, downloaded, decrypted and checked export package."""

    reference_number: str
    entries: dict[str, bytes] = field(repr=False)
    metadata: list[InvoiceMetadata]
    package: InvoicePackage
    # ``_metadata.json``'s items as KSeF sent them (dicts, camelCase), in the order of ``metadata``.
    metadata_items: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def invoices(self) -> dict[str, bytes]:
        """Invoice XML by KSeF number (entries named ``<ksefNumber>.xml``)."""
        return {name[:-4]: data for name, data in self.entries.items() if name.endswith(".xml")}

    @property
    def metadata_json(self) -> bytes | None:
        return self.entries.get(METADATA_NAME)

    @property
    def is_truncated(self) -> bool:
        return self.package.is_truncated

    @property
    def invoice_count(self) -> int:
        return self.package.invoice_count

    @property
    def last_permanent_storage_date(self) -> dt.datetime | None:
        return self.package.last_permanent_storage_date

    @property
    def permanent_storage_hwm_date(self) -> dt.datetime | None:
        return self.package.permanent_storage_hwm_date

    @property
    def last_issue_date(self) -> dt.date | None:
        return self.package.last_issue_date

    @property
    def last_invoicing_date(self) -> dt.datetime | None:
        return self.package.last_invoicing_date


@dataclass(frozen=True)
class ExportHandle:
    reference_number: str
    key: SymmetricKey = field(repr=False)


class ExportCalls(SessionBase):
    """``KsefSession``'s export calls."""

    # --- exports ---------------------------------------------------------------------------------

    async def start_export(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        *,
        only_metadata: bool = False,
    ) -> ExportHandle:
        """``POST /invoices/exports`` with a fresh AES key; returns the reference and the key."""
        key = SymmetricKey.generate()

        async def send(cert: x509.Certificate, key_id: str | None) -> httpx.Response:
            body: dict[str, Any] = {
                "encryption": key.encryption_info(cert, key_id),
                "filters": filters_body(filters),
                "compressionType": "Zip",
            }
            if only_metadata:
                body["onlyMetadata"] = True
            return await self.request(
                "POST", "/invoices/exports", json_body=body, operation="zlecenie eksportu faktur"
            )

        response = await self.client.with_fresh_key(USAGE_SYMMETRIC, send)
        reference = json_object(response, "eksport faktur").get("referenceNumber")
        if not isinstance(reference, str):
            raise E.KsefError(
                "KSeF nie zwrócił numeru referencyjnego eksportu.", context_nip=self.context_nip
            )
        return ExportHandle(reference, key)

    async def export_status(self, reference_number: str) -> InvoiceExportStatusResponse:
        response = await self.request(
            "GET", f"/invoices/exports/{reference_number}", operation=f"status eksportu {reference_number}"
        )
        return parse_model(response, InvoiceExportStatusResponse, "status eksportu")

    async def wait_for_export(self, handle: ExportHandle) -> InvoiceExportStatusResponse:
        """Poll until the package is ready (200); the cadence is ``PollPolicy.export_delays``."""
        waited = 0.0
        delays = self.client.poll.export_delays()
        while True:
            status = await self.export_status(handle.reference_number)
            code = status.status.code
            if code == 200 and status.package is not None:
                return status
            if code == 210:
                raise E.KsefNotFoundError(
                    f"Paczka eksportu {handle.reference_number} wygasła — zleć eksport ponownie.",
                    status=200,
                    code=code,
                    context_nip=self.context_nip,
                )
            if code >= 400:
                raise E.KsefError(
                    f"Eksport {handle.reference_number} w kontekście klienta {self.context_nip} nie powiódł się: "
                    f"{redact(status.status.description)} (status {code}).",
                    code=code,
                    description=status.status.description,
                    details=status.status.details or [],
                    context_nip=self.context_nip,
                )
            if waited >= self.client.poll.timeout:
                raise E.KsefUnavailableError(
                    f"Eksport {handle.reference_number} trwa zbyt długo — sprawdź później.",
                    context_nip=self.context_nip,
                )
            delay = next(delays)
            await self.client.clock.sleep(delay)
            waited += delay

    async def download_export(
        self, handle: ExportHandle, status: InvoiceExportStatusResponse, *, in_thread: bool = False
    ) -> ExportResult:
        """Download the parts (no bearer token), check hashes, decrypt, join, unzip safely.

        Each part is refused beyond its declared ``encryptedPartSize`` and when the storage's
        ``x-ms-meta-hash`` differs from KSeF's hash; the parts' signed links are masked in logs.
        ``in_thread`` runs the CPU work (hashes, decryption, unzip, metadata) in a worker thread so
        that other contexts' requests keep flowing on the event loop meanwhile (the office fetch).
        """
        package = status.package
        if package is None:
            raise E.KsefError(
                f"Eksport {handle.reference_number} nie ma jeszcze paczki.", context_nip=self.context_nip
            )
        label = handle.reference_number
        if package.compression_type != "Zip":
            raise E.KsefPackageError(
                f"Paczka eksportu {label} ma nieobsługiwany format {package.compression_type}.",
                context_nip=self.context_nip,
            )
        for part in package.parts:
            register_storage_link(part.url)
        parts = sorted(package.parts, key=lambda p: p.ordinal_number)
        limits = self.client.package_limits
        if not in_thread:
            encrypted = [await self._download_part(part, label) for part in parts]
            return open_export(handle, package, encrypted, limits, self.context_nip)
        # Each part is checked and decrypted in a worker thread while the next one downloads.
        decrypting: list[asyncio.Future[bytes]] = []
        try:
            for part in parts:
                data = await self._download_part(part, label)
                decrypting.append(
                    asyncio.ensure_future(
                        asyncio.to_thread(decrypt_part, handle, part, data, self.context_nip)
                    )
                )
                del data
            plain = [await task for task in decrypting]
        finally:
            for task in decrypting:
                task.cancel()
            await asyncio.gather(*decrypting, return_exceptions=True)  # none left unretrieved
        return await asyncio.to_thread(open_parts, handle, package, plain, limits, self.context_nip)

    async def _download_part(self, part: InvoicePackagePart, label: str) -> bytes:
        """One encrypted part, refused beyond its declared size or with a storage hash unlike KSeF's."""
        response = await self.client.request(
            part.method or "GET",
            part.url,
            limited=False,
            accept="application/octet-stream",
            operation=f"pobranie części {part.ordinal_number} paczki {label}",
            context_nip=self.context_nip,
            max_bytes=min(MAX_RESPONSE_BYTES, part.encrypted_part_size),
        )
        header_hash = response.headers.get("x-ms-meta-hash")
        if header_hash and header_hash != part.encrypted_part_hash:
            raise bad_part_hash(part.ordinal_number, label, self.context_nip)
        return response.content

    async def export_invoices(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        *,
        only_metadata: bool = False,
    ) -> ExportResult:
        """Create an export, poll it, download and open it (PROTOCOL §15)."""
        handle = await self.start_export(filters, only_metadata=only_metadata)
        status = await self.wait_for_export(handle)
        return await self.download_export(handle, status)


def open_export(
    handle: ExportHandle,
    package: InvoicePackage,
    encrypted: list[bytes],
    limits: PackageLimits,
    context_nip: str | None = None,
) -> ExportResult:
    """Check, decrypt, join and unzip downloaded export parts (CPU only; ``encrypted`` is emptied).

    Every part's hash is checked before and after decryption, the ZIP is opened by the hardened
    reader, ``_metadata.json`` must match the model and every invoice its hash there.
    """
    plain_parts: list[bytes] = []
    for index, part in enumerate(sorted(package.parts, key=lambda p: p.ordinal_number)):
        data, encrypted[index] = encrypted[index], b""  # each encrypted part freed once decrypted
        plain_parts.append(decrypt_part(handle, part, data, context_nip))
    return open_parts(handle, package, plain_parts, limits, context_nip)


def decrypt_part(
    handle: ExportHandle, part: InvoicePackagePart, data: bytes, context_nip: str | None
) -> bytes:
    """One part's hash checked before and after decryption (CPU only)."""
    label = handle.reference_number
    if sha256_b64(data) != part.encrypted_part_hash:
        raise bad_part_hash(part.ordinal_number, label, context_nip)
    try:
        plain = handle.key.decrypt(data)
    except ValueError as exc:
        raise E.KsefPackageError(
            f"Nie można odszyfrować części {part.ordinal_number} paczki {label}.", context_nip=context_nip
        ) from exc
    if sha256_b64(plain) != part.part_hash:
        raise E.KsefPackageError(
            f"Część {part.ordinal_number} paczki {label} po odszyfrowaniu ma inny skrót niż podany przez KSeF.",
            context_nip=context_nip,
        )
    return plain


def open_parts(
    handle: ExportHandle,
    package: InvoicePackage,
    plain_parts: list[bytes],
    limits: PackageLimits,
    context_nip: str | None,
) -> ExportResult:
    """Join and unzip the decrypted parts (``plain_parts`` is emptied) and check the metadata."""
    label = handle.reference_number
    joined = b"".join(plain_parts)
    plain_parts.clear()
    entries = open_zip_package(joined, label=label, limits=limits)
    del joined
    metadata: list[InvoiceMetadata] = []
    items: list[dict[str, Any]] = []
    raw_meta = entries.get(METADATA_NAME)
    if raw_meta is not None:
        # {"invoices": [InvoiceMetadata…]} (PROTOCOL §15), parsed once: the models for the checks,
        # the items as KSeF sent them for whoever keeps them (the archive).
        try:
            items = json.loads(raw_meta)["invoices"]
            metadata = _METADATA_LIST.validate_python(items)
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise E.KsefPackageError(
                f"Plik {METADATA_NAME} w paczce {label} jest uszkodzony.", context_nip=context_nip
            ) from exc
    for item in metadata:
        xml = entries.get(f"{item.ksef_number}.xml")
        if xml is not None and sha256_b64(xml) != item.invoice_hash:
            raise E.KsefPackageError(
                f"Faktura {item.ksef_number} w paczce {label} ma inny skrót niż w metadanych KSeF — odrzucono paczkę.",
                context_nip=context_nip,
            )
    return ExportResult(handle.reference_number, entries, metadata, package, items)
