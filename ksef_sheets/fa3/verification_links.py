"""The pure parts of KSeF's verification links (PROTOCOL.md §18.2–18.3, the Ministry's ``kody-qr.md``),
shared by the client side (``ksef.qr`` builds and signs the links printed as QR codes) and the
emulator (which serves the pages the links point to and checks them):

- ``invoice_hash(xml)``: SHA-256 of the invoice file exactly as sent (KSeF's ``invoiceHash``);
- ``b64url`` / ``b64url_decode``: Base64URL without padding, as the links carry hashes and signatures;
- ``kod_i_url``: ``{QR base}/invoice/{seller NIP}/{P_1 as DD-MM-YYYY}/{Base64URL(hash)}``;
- ``sign_link`` / ``verify_link_signature``: the KOD II signature over the link without ``https://``
  and without the trailing ``/signature``: RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) for RSA
  keys, ECDSA P-256/SHA-256 as IEEE P1363 ``r‖s`` for EC keys.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from ksef_sheets.errors import UserError


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Base64URL with or without padding; ``binascii.Error``/``ValueError`` for text that is not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def invoice_hash(xml: bytes) -> bytes:
    """SHA-256 of the invoice file exactly as sent (the same value KSeF calls ``invoiceHash``)."""
    return hashlib.sha256(xml).digest()


def kod_i_url(xml: bytes, *, seller_nip: str, issue_date: date, qr_base: str) -> str:
    """The KOD I link of an invoice file."""
    return f"{qr_base.rstrip('/')}/invoice/{seller_nip}/{issue_date:%d-%m-%Y}/{b64url(invoice_hash(xml))}"


def sign_link(data: bytes, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
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


def verify_link_signature(data: bytes, signature: bytes, certificate: x509.Certificate) -> bool:
    """Check a KOD II signature with the certificate's public key (P1363 or DER for EC)."""
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
