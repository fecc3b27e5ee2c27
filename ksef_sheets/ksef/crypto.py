"""KSeF cryptography (PROTOCOL §3): RSA-OAEP-SHA256, AES-256-CBC/PKCS#7, Base64 SHA-256 hashes.

The IV travels separately (``initializationVector``); ciphertext carries no IV prefix — that is what
both official clients do, whatever one sentence of the docs says.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY_BYTES = 32
AES_IV_BYTES = 16


def b64(data: bytes) -> str:
    """Standard Base64 with padding, as KSeF's ``format: byte`` fields want it."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def sha256_b64(data: bytes) -> str:
    """44-character Base64 SHA-256 (``Sha256HashBase64``)."""
    return b64(hashlib.sha256(data).digest())


def load_der_certificate_b64(certificate_b64: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(b64decode(certificate_b64))


def rsa_oaep_encrypt(certificate: x509.Certificate, data: bytes) -> bytes:
    """RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label (PROTOCOL §3)."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("KSeF public key is not an RSA key")
    return public_key.encrypt(
        data, OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    )


def aes_cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def aes_cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """Decrypt and strip PKCS#7; raises ``ValueError`` on a wrong key/IV or a damaged ciphertext."""
    if len(ciphertext) % 16:
        raise ValueError("ciphertext length is not a multiple of the AES block size")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


@dataclass(frozen=True)
class SymmetricKey:
    """A fresh AES-256 key and IV for one online/batch session or one export."""

    key: bytes = field(repr=False)
    iv: bytes = field(repr=False)

    @classmethod
    def generate(cls) -> SymmetricKey:
        return cls(os.urandom(AES_KEY_BYTES), os.urandom(AES_IV_BYTES))

    def encrypt(self, plaintext: bytes) -> bytes:
        return aes_cbc_encrypt(self.key, self.iv, plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        return aes_cbc_decrypt(self.key, self.iv, ciphertext)

    def encryption_info(self, certificate: x509.Certificate, public_key_id: str | None) -> dict[str, Any]:
        """The ``EncryptionInfo`` body: the key wrapped with the MF ``SymmetricKeyEncryption`` key."""
        info: dict[str, Any] = {
            "encryptedSymmetricKey": b64(rsa_oaep_encrypt(certificate, self.key)),
            "initializationVector": b64(self.iv),
        }
        if public_key_id:
            info["publicKeyId"] = public_key_id
        return info


def encrypt_ksef_token(certificate: x509.Certificate, token: str, timestamp_ms: int) -> str:
    """``encryptedToken`` for ``POST /auth/ksef-token``: RSA-OAEP of ``token|timestampMs``."""
    return b64(rsa_oaep_encrypt(certificate, f"{token}|{timestamp_ms}".encode()))
