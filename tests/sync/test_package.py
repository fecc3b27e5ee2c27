"""Opening an export package in the fetch (the KSeF client's ``open_export`` and the fetch's
metadata completeness): part hashes, decryption, metadata."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import pytest

from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.ksef.crypto import SymmetricKey, sha256_b64
from ksef_sheets.ksef.errors import KsefPackageError
from ksef_sheets.ksef.exports import ExportHandle, open_export
from ksef_sheets.ksef.models import InvoicePackage
from ksef_sheets.ksef.package import PackageLimits
from ksef_sheets.sync.archive import IncomingInvoice
from ksef_sheets.sync.fetch import _package_items

NIP = "5210537039"
NUMBERS = [make_ksef_number("5838213566", date(2026, 3, 1), f"{i:012X}") for i in range(3)]


def _open_package(
    handle: ExportHandle, package: InvoicePackage, encrypted: list[bytes], nip: str, limits: PackageLimits
) -> list[IncomingInvoice]:
    """What the fetch does with downloaded parts (``KsefSession.download_export(in_thread=True)``)."""
    return _package_items(open_export(handle, package, list(encrypted), limits, nip), nip)


def metadata_item(number: str, xml: bytes) -> dict[str, object]:
    """A ``_metadata.json`` entry with every field the KSeF spec requires."""
    return {
        "ksefNumber": number,
        "invoiceNumber": "FV/1",
        "issueDate": "2026-03-01",
        "invoicingDate": "2026-03-01T10:00:00Z",
        "acquisitionDate": "2026-03-01T10:00:01Z",
        "permanentStorageDate": "2026-03-01T10:00:02Z",
        "seller": {"nip": "5838213566", "name": "Sprzedawca"},
        "buyer": {"identifier": {"type": "Nip", "value": NIP}, "name": "Nabywca"},
        "netAmount": 100,
        "grossAmount": 123,
        "vatAmount": 23,
        "currency": "PLN",
        "invoicingMode": "Online",
        "invoiceType": "Vat",
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "invoiceHash": sha256_b64(xml),
    }


def build(files: dict[str, bytes], *, split: int = 2) -> tuple[ExportHandle, InvoicePackage, list[bytes]]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    plain = buffer.getvalue()
    key = SymmetricKey.generate()
    size = len(plain) // split + 1
    chunks = [plain[i : i + size] for i in range(0, len(plain), size)]
    encrypted = [key.encrypt(c) for c in chunks]
    parts = [
        {
            "ordinalNumber": n + 1,
            "partName": f"p{n + 1}.zip.aes",
            "url": "http://127.0.0.1/x",
            "partSize": len(c),
            "partHash": sha256_b64(c),
            "encryptedPartSize": len(e),
            "encryptedPartHash": sha256_b64(e),
        }
        for n, (c, e) in enumerate(zip(chunks, encrypted, strict=True))
    ]
    package = InvoicePackage.model_validate(
        {
            "invoiceCount": 3,
            "size": len(plain),
            "parts": parts,
            "isTruncated": False,
            "compressionType": "Zip",
        }
    )
    return ExportHandle("20260301-EH-0000000000-0000000000-00", key), package, encrypted


def invoice_files(count: int = 3) -> dict[str, bytes]:
    files = {f"{n}.xml": f"<Faktura>{n}</Faktura>".encode() for n in NUMBERS[:count]}
    meta = [metadata_item(n, files[f"{n}.xml"]) for n in NUMBERS[:count]]
    files["_metadata.json"] = json.dumps({"invoices": meta}).encode()
    return files


def test_good_package_in_parts_gives_invoices_with_metadata() -> None:
    handle, package, encrypted = build(invoice_files())
    items = _open_package(handle, package, encrypted, NIP, PackageLimits())
    assert sorted(i.ksef_number for i in items) == sorted(NUMBERS)
    assert all(i.metadata["ksefNumber"] == i.ksef_number for i in items)


def test_tampered_part_missing_invoice_and_broken_metadata_are_refused() -> None:
    handle, package, encrypted = build(invoice_files())
    with pytest.raises(KsefPackageError, match="inny skrót"):
        _open_package(
            handle,
            package,
            [bytes([encrypted[0][0] ^ 1]) + encrypted[0][1:], *encrypted[1:]],
            NIP,
            PackageLimits(),
        )
    files = invoice_files()
    del files[f"{NUMBERS[1]}.xml"]
    handle, package, encrypted = build(files)
    with pytest.raises(KsefPackageError, match="nie zawiera 1 faktur"):
        _open_package(handle, package, encrypted, NIP, PackageLimits())
    files = invoice_files()
    files["_metadata.json"] = b"{not json"
    handle, package, encrypted = build(files)
    with pytest.raises(KsefPackageError, match="uszkodzony"):
        _open_package(handle, package, encrypted, NIP, PackageLimits())
    files = invoice_files()
    files["../evil.xml"] = b"<x/>"
    handle, package, encrypted = build(files)
    with pytest.raises(KsefPackageError):
        _open_package(handle, package, encrypted, NIP, PackageLimits())


def test_invoice_differing_from_its_metadata_and_metadata_off_the_model_are_refused() -> None:
    files = invoice_files()
    files[f"{NUMBERS[2]}.xml"] = b"<Faktura>podmieniona</Faktura>"
    handle, package, encrypted = build(files)
    with pytest.raises(KsefPackageError, match=rf"Faktura {NUMBERS[2]} .* inny skrót niż w metadanych"):
        _open_package(handle, package, encrypted, NIP, PackageLimits())
    for damaged in (b'{"faktury": []}', json.dumps({"invoices": [{"ksefNumber": NUMBERS[0]}]}).encode()):
        files = invoice_files()
        files["_metadata.json"] = damaged
        handle, package, encrypted = build(files)
        with pytest.raises(KsefPackageError, match=r"_metadata\.json .* jest uszkodzony"):
            _open_package(handle, package, encrypted, NIP, PackageLimits())
