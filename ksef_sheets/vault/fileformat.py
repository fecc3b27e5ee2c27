"""The vault file's format and keys: header, scrypt key derivation, the OS keyring's key.

A vault file is ``>H header length`` + header + 12-byte nonce + AES-256-GCM ciphertext, the header
authenticated as AAD. Header = magic (format version) + key source + either scrypt parameters, salt
and a key check value (``KIND_SCRYPT``) or the vault id under which the OS keyring keeps a random key
(``KIND_KEYRING``). ``store.py`` holds the credential records kept inside.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import struct
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ksef_sheets.errors import UserError

BACKEND_ENV = "KSEF_SHEETS_VAULT_BACKEND"  # "file" forces the passphrase file, "keyring" the OS store
KEYRING_SERVICE = "ksef-sheets"
MAGIC = b"KSEFVLT2"  # format version 2: scrypt N=2^17
LEGACY_MAGICS = (b"KSEFVLT1",)  # version 1: scrypt N=2^15; opened, re-keyed on the next write
FORMAT_VERSION = 2
KIND_SCRYPT = 1
KIND_KEYRING = 2
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1


def usable_keyring() -> Any | None:
    """The OS keyring backend if one really stores secrets (not fail/null/plaintext), else None."""
    choice = os.environ.get(BACKEND_ENV, "").strip().lower()
    if choice == "file":
        return None
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
    except Exception:  # any import/config problem means: no OS keyring
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    module = type(backend).__module__
    if module.startswith("keyrings.alt") or "plaintext" in type(backend).__name__.lower():
        return None
    try:
        if float(backend.priority) < 1:
            return None
    except Exception:
        return None
    return backend


def split_blob(blob: bytes, path: Path) -> tuple[bytes, bytes, bytes]:
    damaged = UserError(f"Plik sejfu {path} jest uszkodzony albo nie jest sejfem ksef-sheets.")
    if len(blob) < 2:
        raise damaged
    (header_len,) = struct.unpack(">H", blob[:2])
    header = blob[2 : 2 + header_len]
    rest = blob[2 + header_len :]
    if (
        len(header) != header_len
        or not header.startswith((MAGIC, *LEGACY_MAGICS))
        or len(header) <= len(MAGIC)
        or len(rest) < 12 + 16
    ):
        raise damaged
    if header[len(MAGIC)] not in (KIND_SCRYPT, KIND_KEYRING):
        raise damaged
    return header, rest[:12], rest[12:]


def scrypt_header(passphrase: str) -> tuple[bytes, bytes]:
    """A fresh salt and the current cost: (encryption key, version-2 header)."""
    salt = secrets.token_bytes(16)
    key, check = derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    header = MAGIC + bytes([KIND_SCRYPT]) + struct.pack(">IHH", SCRYPT_N, SCRYPT_R, SCRYPT_P) + salt + check
    return key, header


def derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    material = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return material[:32], hashlib.sha256(material[32:]).digest()


def key_from_passphrase(header: bytes, passphrase: str, path: Path) -> bytes:
    body = header[len(MAGIC) + 1 :]
    if len(body) != 8 + 16 + 32:
        raise UserError(f"Plik sejfu {path} jest uszkodzony albo nie jest sejfem ksef-sheets.")
    n, r, p = struct.unpack(">IHH", body[:8])
    if not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        raise UserError(f"Plik sejfu {path} jest uszkodzony albo nie jest sejfem ksef-sheets.")
    salt, check = body[8:24], body[24:56]
    key, computed = derive(passphrase, salt, n, r, p)
    if not hmac.compare_digest(check, computed):
        raise UserError(f"Złe hasło do sejfu {path}.")
    return key


def key_from_keyring(header: bytes, path: Path) -> bytes:
    vault_id = header[len(MAGIC) + 1 :].decode("ascii", "replace")
    backend = usable_keyring()
    if backend is None:
        raise UserError(
            f"Klucz sejfu {path} jest w magazynie poświadczeń innego komputera lub konta Windows — "
            "otwórz sejf na tamtym komputerze albo dodaj poświadczenia od nowa."
        )
    try:
        stored = backend.get_password(KEYRING_SERVICE, vault_id)
    except Exception as exc:
        raise UserError(
            f"Nie można odczytać klucza sejfu z magazynu poświadczeń systemu ({type(exc).__name__})."
        ) from exc
    if not stored:
        raise UserError(
            f"W magazynie poświadczeń tego komputera nie ma klucza sejfu {path} — "
            "sejf założono na innym komputerze lub koncie."
        )
    try:
        key = base64.b64decode(stored, validate=True)
    except ValueError as exc:
        raise UserError("Klucz sejfu w magazynie poświadczeń systemu jest uszkodzony.") from exc
    if len(key) != 32:
        raise UserError("Klucz sejfu w magazynie poświadczeń systemu jest uszkodzony.")
    return key


def keyring_header(backend: Any) -> tuple[bytes, bytes]:
    """A random key kept in the OS keyring under a new vault id: (encryption key, header)."""
    vault_id = secrets.token_hex(16)
    key = secrets.token_bytes(32)
    try:
        backend.set_password(KEYRING_SERVICE, vault_id, base64.b64encode(key).decode())
    except Exception as exc:
        raise UserError(
            f"Nie można zapisać klucza sejfu w magazynie poświadczeń systemu ({type(exc).__name__})."
        ) from exc
    return key, MAGIC + bytes([KIND_KEYRING]) + vault_id.encode("ascii")


def header_is_current(header: bytes) -> bool:
    """The current format and, for a passphrase vault, the current scrypt cost."""
    if not header.startswith(MAGIC):
        return False
    if header[len(MAGIC)] != KIND_SCRYPT:
        return True
    n, r, p = struct.unpack(">IHH", header[len(MAGIC) + 1 : len(MAGIC) + 9])
    return (n, r, p) == (SCRYPT_N, SCRYPT_R, SCRYPT_P)


def unseal(key: bytes, header: bytes, nonce: bytes, ciphertext: bytes) -> Any:
    """The JSON document inside (raises InvalidTag, ValueError or UnicodeDecodeError)."""
    return json.loads(AESGCM(key).decrypt(nonce, ciphertext, header).decode("utf-8"))


def seal(key: bytes, header: bytes, document: Any) -> bytes:
    """The whole file: header length, header, a fresh nonce and the encrypted JSON document."""
    nonce = secrets.token_bytes(12)
    plain = json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ciphertext = AESGCM(key).encrypt(nonce, plain, header)
    return struct.pack(">H", len(header)) + header + nonce + ciphertext


def restrict_permissions(path: Path) -> None:
    with contextlib.suppress(OSError):  # Windows ACLs: the office folder's permissions apply
        os.chmod(path, 0o600)
