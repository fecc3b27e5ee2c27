"""The emulator's own key material, kept in ``state_dir/keys``.

- Two RSA-2048 key pairs with self-signed certificates, published by
  ``GET /security/public-key-certificates`` with usages ``KsefTokenEncryption`` and
  ``SymmetricKeyEncryption`` (PROTOCOL.md §3).
- The HS256 secret that signs the emulator's JWTs.

Files are created once and reused, so tokens and ciphertexts stay valid across restarts.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ksef_sheets.emulator.state import iso

TOKEN_USAGE = "KsefTokenEncryption"  # noqa: S105 - a key usage name, not a secret
SYMMETRIC_USAGE = "SymmetricKeyEncryption"
_FILES = {TOKEN_USAGE: "ksef-token-encryption", SYMMETRIC_USAGE: "symmetric-key-encryption"}


@dataclass(frozen=True)
class PublishedKey:
    usage: str
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def certificate_id(self) -> str:
        return base64.b64encode(hashlib.sha256(self.der).digest()).decode()

    @property
    def public_key_id(self) -> str:
        spki = self.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(spki).digest()).decode()

    def as_json(self) -> dict[str, Any]:
        return {
            "certificate": base64.b64encode(self.der).decode(),
            "certificateId": self.certificate_id,
            "publicKeyId": self.public_key_id,
            "validFrom": iso(self.certificate.not_valid_before_utc),
            "validTo": iso(self.certificate.not_valid_after_utc),
            "usage": [self.usage],
        }

    def decrypt(self, ciphertext: bytes) -> bytes:
        """RSAES-OAEP, SHA-256, MGF1-SHA-256, empty label (PROTOCOL.md §3)."""
        return self.private_key.decrypt(
            ciphertext,
            padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
        )


def write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _load_or_create(folder: Path, usage: str) -> PublishedKey:
    key_path = folder / f"{_FILES[usage]}.key.pem"
    cert_path = folder / f"{_FILES[usage]}.cert.pem"
    if key_path.exists() and cert_path.exists():
        private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return PublishedKey(usage, private, cert)
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "KSeF emulator (ksef-sheets)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"KSeF emulator {usage}"),
        ]
    )
    now = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    write_private(
        key_path,
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return PublishedKey(usage, private, cert)


class EmulatorKeys:
    """Loads or creates the keys; ``decrypt(usage, data)`` and ``jwt_secret`` for the services."""

    def __init__(self, state_dir: Path) -> None:
        folder = state_dir / "keys"
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.published = {usage: _load_or_create(folder, usage) for usage in (TOKEN_USAGE, SYMMETRIC_USAGE)}
        secret_path = folder / "jwt-secret.bin"
        if not secret_path.exists():
            write_private(secret_path, secrets.token_bytes(32))
        self.jwt_secret = secret_path.read_bytes()

    def certificates(self) -> list[dict[str, Any]]:
        return [key.as_json() for key in self.published.values()]

    def key_for(self, usage: str) -> PublishedKey:
        return self.published[usage]

    def knows_public_key_id(self, public_key_id: str, usage: str) -> bool:
        return self.published[usage].public_key_id == public_key_id

    def decrypt(self, usage: str, ciphertext: bytes) -> bytes:
        """Raises ``ValueError`` when the ciphertext was not made for this key."""
        return self.published[usage].decrypt(ciphertext)
