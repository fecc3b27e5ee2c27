"""Vault format version 2 (scrypt N=2^17): a version-1 vault (N=2^15) still opens and is re-keyed on
the next write; the Ministry's .crt + .key pair is imported next to .p12; KSeF certificates keep
their serial number and type."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import struct
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.ksef.credentials import make_seal_certificate
from ksef_sheets.vault import Vault

PASS = "bardzo-tajne-haslo"
TOKEN = "20261001-EC-0123456789-ABCDEF0123-01|nip-5260250274|" + "ab" * 32
CLIENT = "5210537039"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KSEF_SHEETS_PASSPHRASE", raising=False)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")


@pytest.fixture
def folder(tmp_path: Path) -> OfficeFolder:
    (tmp_path / "biuro").mkdir()
    return OfficeFolder(tmp_path / "biuro")


def write_version_1_vault(path: Path, passphrase: str, document: dict[str, object]) -> None:
    """The file layout and parameters of format version 1, written independently of vault/fileformat.py."""
    n, r, p = 2**15, 8, 1
    salt = secrets.token_bytes(16)
    material = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode())
    key, check = material[:32], hashlib.sha256(material[32:]).digest()
    header = b"KSEFVLT1" + bytes([1]) + struct.pack(">IHH", n, r, p) + salt + check
    nonce = secrets.token_bytes(12)
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps(document).encode(), header)
    path.write_bytes(struct.pack(">H", len(header)) + header + nonce + ciphertext)


def header_of(path: Path) -> tuple[bytes, int]:
    blob = path.read_bytes()
    (length,) = struct.unpack(">H", blob[:2])
    header = blob[2 : 2 + length]
    (n,) = struct.unpack(">I", header[9:13])
    return header[:8], n


def test_version_1_vault_opens_and_is_rekeyed_on_the_next_write(folder: OfficeFolder) -> None:
    document = {
        "version": 1,
        "default_certificate": None,
        "entries": {
            f"token:{CLIENT}": {"kind": "token", "nip": CLIENT, "token": TOKEN, "expires": "2026-12-31"}
        },
    }
    write_version_1_vault(folder.vault_file, PASS, document)
    assert header_of(folder.vault_file) == (b"KSEFVLT1", 2**15)

    vault = Vault.open(folder, PASS)
    assert vault.format_version == 1 and vault.needs_rekey
    assert vault.get(f"token:{CLIENT}").token == TOKEN  # type: ignore[union-attr]
    # Reading alone leaves the file as it was.
    assert header_of(folder.vault_file) == (b"KSEFVLT1", 2**15)

    vault.add_certificate("biuro", make_seal_certificate("5260250274", "Biuro", name="biuro"))
    assert header_of(folder.vault_file) == (b"KSEFVLT2", 2**17)
    assert vault.format_version == 2 and not vault.needs_rekey

    reopened = Vault.open(folder, PASS)
    assert reopened.references() == ["cert:biuro", f"token:{CLIENT}"]
    assert reopened.get(f"token:{CLIENT}").token == TOKEN  # type: ignore[union-attr]
    with pytest.raises(UserError, match="Złe hasło"):
        Vault.open(folder, "zle-haslo-123")
    assert PASS.encode() not in folder.vault_file.read_bytes()
    assert "haslo" not in repr(reopened)


def test_new_vault_uses_version_2(folder: OfficeFolder) -> None:
    Vault.open(folder, PASS).add_token(CLIENT, TOKEN)
    assert header_of(folder.vault_file) == (b"KSEFVLT2", 2**17)


def _ministry_pair(tmp_path: Path, password: bytes | None, *, der: bool = False) -> tuple[Path, Path]:
    seal = make_seal_certificate("5260250274", "Biuro Rachunkowe", key_type="ec")
    crt = tmp_path / "certyfikat.crt"
    key = tmp_path / "certyfikat.key"
    encoding = serialization.Encoding.DER if der else serialization.Encoding.PEM
    crt.write_bytes(seal.certificate.public_bytes(encoding))
    algorithm = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key.write_bytes(seal.private_key.private_bytes(encoding, serialization.PrivateFormat.PKCS8, algorithm))
    return crt, key


@pytest.mark.parametrize("der", [False, True])
def test_ministry_crt_and_encrypted_key_are_imported(folder: OfficeFolder, tmp_path: Path, der: bool) -> None:
    crt, key = _ministry_pair(tmp_path, b"haslo-do-klucza", der=der)
    vault = Vault.open(folder, PASS)
    with pytest.raises(UserError, match="złe hasło") as wrong:
        vault.import_certificate_files("ksef-biuro", crt, key, "inne-haslo")
    assert "inne-haslo" not in str(wrong.value)
    with pytest.raises(UserError, match="jest zaszyfrowany — podaj hasło"):
        vault.import_certificate_files("ksef-biuro", crt, key, None)
    assert vault.references() == []
    reference = vault.import_certificate_files("ksef-biuro", crt, key, "haslo-do-klucza", default=True)
    stored = Vault.open(folder, PASS).get(reference)
    assert stored.reference == "cert:ksef-biuro"
    # The key is stored re-encrypted by the vault, never in the clear on disk.
    assert b"PRIVATE KEY" not in folder.vault_file.read_bytes()


def test_unencrypted_key_with_a_password_and_a_wrong_file(folder: OfficeFolder, tmp_path: Path) -> None:
    crt, key = _ministry_pair(tmp_path, None)
    vault = Vault.open(folder, PASS)
    with pytest.raises(UserError, match="nie jest zaszyfrowany"):
        vault.import_certificate_files("ksef-biuro", crt, key, "haslo")
    with pytest.raises(UserError, match="nie jest certyfikatem"):
        vault.import_certificate_files("ksef-biuro", key, key, None)
    with pytest.raises(UserError, match="Nie można odczytać pliku"):
        vault.import_certificate_files("ksef-biuro", tmp_path / "brak.crt", key, None)
    assert vault.import_certificate_files("ksef-biuro", crt, key, None) == "cert:ksef-biuro"


def test_ksef_certificates_keep_serial_and_offline_is_never_the_default(folder: OfficeFolder) -> None:
    vault = Vault.open(folder, PASS)
    offline = make_seal_certificate("5260250274", "Biuro", key_type="ec", name="offline")
    vault.add_certificate("offline", offline, ksef_serial="0123456789ABCDEF", ksef_type="Offline")
    (entry,) = vault.list(today=dt.date(2026, 12, 5))
    assert (entry.ksef_serial, entry.ksef_type, entry.is_default) == ("0123456789ABCDEF", "Offline", False)
    auth = make_seal_certificate("5260250274", "Biuro", key_type="ec", name="auth")
    vault.add_certificate("auth", auth, ksef_serial="1123456789ABCDEF", ksef_type="Authentication")
    assert vault.reference_for_serial("1123456789abcdef") == "cert:auth"
    assert [e.reference for e in vault.list() if e.is_default] == ["cert:auth"]
    assert entry.to_json()["ksef_type"] == "Offline"


def test_a_vault_rekeyed_by_another_program_is_reopened_not_overwritten(folder: OfficeFolder) -> None:
    write_version_1_vault(folder.vault_file, PASS, {"version": 1, "default_certificate": None, "entries": {}})
    first = Vault.open(folder, PASS)
    second = Vault.open(folder, PASS)
    first.add_token(CLIENT, TOKEN)  # re-keys the file to version 2
    with pytest.raises(UserError, match="przeszyfrowany przez inny program"):
        second.add_token("5260250274", TOKEN)
    assert Vault.open(folder, PASS).references() == [f"token:{CLIENT}"]
