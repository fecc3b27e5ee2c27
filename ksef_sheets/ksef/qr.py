"""KSeF verification links for QR codes: KOD I (every invoice) and KOD II (offline invoices).

PROTOCOL.md §18.2–18.3 (the Ministry's `kody-qr.md`, the official clients' VerificationLinkService):

- KOD I  = ``{QR base}/invoice/{seller NIP}/{P_1 as DD-MM-YYYY}/{Base64URL(SHA-256(invoice XML))}``;
- KOD II = ``{QR base}/certificate/{context type}/{context id}/{seller NIP}/{certificate serial}/
  {invoice hash}/{signature}``, where the signature covers the link without ``https://`` and without
  the trailing ``/signature``: RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) for RSA keys, ECDSA
  P-256/SHA-256 as IEEE P1363 ``r‖s`` for EC keys. Only an ``Offline`` KSeF certificate may sign.

Labels under the codes: the KSeF number when the invoice has one, else ``OFFLINE``; ``CERTYFIKAT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ksef_sheets.errors import UserError

# The pure link building, hashing and signing live with the invoice format (``fa3``), so the
# emulator's verification pages use the same code without importing this package.
from ksef_sheets.fa3 import b64url, invoice_hash, kod_i_url
from ksef_sheets.fa3 import sign_link as sign
from ksef_sheets.fa3 import verify_link_signature as verify_signature

__all__ = [
    "CERTIFICATE_LABEL",
    "EMULATOR_QR_BASE",
    "OFFLINE_LABEL",
    "QR_BASES",
    "ContextType",
    "OfflineSigner",
    "b64url",
    "certificate_serial_hex",
    "invoice_hash",
    "kod_i_url",
    "kod_ii_url",
    "qr_base_for",
    "sign",
    "verify_signature",
]

ContextType = Literal["Nip", "InternalId", "NipVatUe", "PeppolId"]

QR_BASES: dict[str, str] = {
    "test": "https://qr-test.ksef.mf.gov.pl",
    "demo": "https://qr-demo.ksef.mf.gov.pl",
    "prod": "https://qr.ksef.mf.gov.pl",
}
# The emulator serves the verification pages itself, at its root. Without a running emulator's URL the
# link gets a host that can never resolve, so a training printout is never taken for a real one.
EMULATOR_QR_BASE = "https://qr.emulator.invalid"

OFFLINE_LABEL = "OFFLINE"
CERTIFICATE_LABEL = "CERTYFIKAT"


def qr_base_for(environment: str, emulator_url: str | None = None) -> str:
    """The QR base of an environment (PROTOCOL §1); for the emulator, the origin of its URL."""
    if environment == "emulator":
        if not emulator_url:
            return EMULATOR_QR_BASE
        parts = urlsplit(emulator_url)
        return f"{parts.scheme}://{parts.netloc}"
    try:
        return QR_BASES[environment]
    except KeyError:
        raise UserError(
            f"Nieznane środowisko KSeF „{environment}” — dozwolone: emulator, test, demo, prod."
        ) from None


def certificate_serial_hex(certificate: x509.Certificate) -> str:
    """The serial as KSeF writes it: upper-case hex of its bytes, at least 16 digits."""
    serial = certificate.serial_number
    width = max(16, 2 * ((serial.bit_length() + 7) // 8))
    return f"{serial:0{width}X}"


@dataclass(frozen=True)
class OfflineSigner:
    """An Offline KSeF certificate with its private key (from the vault), for KOD II."""

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    serial: str | None = None  # as KSeF reported it; worked out from the certificate when absent

    @property
    def serial_hex(self) -> str:
        return (self.serial or certificate_serial_hex(self.certificate)).upper()


def kod_ii_url(
    xml: bytes,
    *,
    seller_nip: str,
    context_type: ContextType,
    context_value: str,
    signer: OfflineSigner,
    qr_base: str,
) -> str:
    """The KOD II link of an offline invoice, signed with an Offline KSeF certificate."""
    unsigned = (
        f"{qr_base.rstrip('/')}/certificate/{context_type}/{context_value}/{seller_nip}/"
        f"{signer.serial_hex}/{b64url(invoice_hash(xml))}"
    )
    signed_part = unsigned.split("://", 1)[1].encode("utf-8")
    return f"{unsigned}/{b64url(sign(signed_part, signer.private_key))}"
