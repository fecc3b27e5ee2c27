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

import base64
import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from ksef_sheets.errors import UserError

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


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def invoice_hash(xml: bytes) -> bytes:
    """SHA-256 of the invoice file exactly as sent (the same value KSeF calls ``invoiceHash``)."""
    return hashlib.sha256(xml).digest()


def kod_i_url(xml: bytes, *, seller_nip: str, issue_date: date, qr_base: str) -> str:
    """The KOD I link of an invoice file."""
    return f"{qr_base.rstrip('/')}/invoice/{seller_nip}/{issue_date:%d-%m-%Y}/{b64url(invoice_hash(xml))}"


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


def sign(data: bytes, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise UserError(
                "Klucz RSA certyfikatu offline jest za krótki: KSeF wymaga co najmniej 2048 bitów."
            )
        return key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    if not isinstance(key.curve, ec.SECP256R1):
        raise UserError("Klucz EC certyfikatu offline musi być na krzywej P-256 (secp256r1).")
    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_signature(data: bytes, signature: bytes, certificate: x509.Certificate) -> bool:
    """Check a KOD II signature with the certificate's public key (P1363 or DER for EC)."""
    from cryptography.exceptions import InvalidSignature

    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                signature,
                data,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                hashes.SHA256(),
            )
            return True
        if isinstance(key, ec.EllipticCurvePublicKey):
            if len(signature) == 64:
                signature = utils.encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return True
    except (InvalidSignature, ValueError):
        return False
    return False
