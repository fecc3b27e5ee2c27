"""The vault: encrypted at rest, clear Polish errors, nothing overwritten by mistakes, no secret leaks."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.ksef.credentials import CertificateCredential, TokenCredential, make_seal_certificate
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


def _filled(folder: OfficeFolder) -> tuple[Vault, CertificateCredential]:
    vault = Vault.open(folder, PASS)
    vault.add_token(CLIENT, TOKEN)
    seal = make_seal_certificate("5260250274", "Biuro Rachunkowe", name="biuro")
    vault.add_certificate("biuro", seal)
    return vault, seal


def test_round_trip_and_lookup(folder: OfficeFolder) -> None:
    _, seal = _filled(folder)
    vault = Vault.open(folder, PASS)
    assert vault.references() == ["cert:biuro", f"token:{CLIENT}"]
    token = vault.credential_for_client(CLIENT)
    assert (
        isinstance(token, TokenCredential) and token.token == TOKEN and token.reference == f"token:{CLIENT}"
    )
    fallback = vault.credential_for_client("5252248481")  # no own token → the office's default certificate
    assert isinstance(fallback, CertificateCredential)
    assert fallback.fingerprint_sha256 == seal.fingerprint_sha256
    assert vault.reference_for_client("5252248481") == "cert:biuro"
    vault.remove(f"token:{CLIENT}")
    assert isinstance(Vault.open(folder, PASS).credential_for_client(CLIENT), CertificateCredential)
    vault.remove("cert:biuro")
    with pytest.raises(UserError, match=f"nie ma tokenu KSeF klienta {CLIENT}"):
        Vault.open(folder, PASS).credential_for_client(CLIENT)


def test_nothing_secret_in_the_file_or_repr(folder: OfficeFolder) -> None:
    vault, _ = _filled(folder)
    raw = folder.vault_file.read_bytes()
    for secret in (TOKEN.encode(), b"ABCDEF0123", b"PRIVATE KEY", PASS.encode(), b"Biuro Rachunkowe"):
        assert secret not in raw
    assert TOKEN not in repr(vault.get(f"token:{CLIENT}"))
    assert "PRIVATE" not in repr(vault.get("cert:biuro"))


def test_wrong_passphrase_and_damaged_file_leave_the_file_alone(folder: OfficeFolder) -> None:
    _filled(folder)
    original = folder.vault_file.read_bytes()
    with pytest.raises(UserError, match="Złe hasło do sejfu") as wrong:
        Vault.open(folder, "inne-haslo-123")
    assert "inne-haslo-123" not in str(wrong.value)
    damaged = bytearray(original)
    damaged[-5] ^= 0x01
    folder.vault_file.write_bytes(bytes(damaged))
    with pytest.raises(UserError, match="uszkodzony"):
        Vault.open(folder, PASS)
    assert folder.vault_file.read_bytes() == bytes(damaged)
    folder.vault_file.write_bytes(original[:20])
    with pytest.raises(UserError, match="uszkodzony"):
        Vault.open(folder, PASS)
    folder.vault_file.write_bytes(b"")
    with pytest.raises(UserError, match="uszkodzony"):
        Vault.open(folder, PASS)
    folder.vault_file.write_bytes(original)
    assert Vault.open(folder, PASS).references() == ["cert:biuro", f"token:{CLIENT}"]


def test_no_passphrase_without_keyring_is_a_clear_error(folder: OfficeFolder) -> None:
    with pytest.raises(UserError, match="musi mieć hasło"):
        Vault.open(folder)
    _filled(folder)
    with pytest.raises(UserError, match="chroniony hasłem"):
        Vault.open(folder)
    with pytest.raises(UserError, match="co najmniej 8"):
        Vault.open(OfficeFolder(folder.root / "inne"), "krotkie")


def test_bad_certificates_are_refused_and_vault_unchanged(folder: OfficeFolder) -> None:
    vault, _ = _filled(folder)
    before = folder.vault_file.read_bytes()
    expired = make_seal_certificate(
        "5260250274", "Biuro", days=10, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    )
    with pytest.raises(UserError, match="wygasł"):
        vault.add_certificate("stary", expired)
    good = make_seal_certificate("5260250274", "Biuro")
    other = make_seal_certificate("5260250274", "Biuro")
    mismatched = CertificateCredential(good.certificate, other.private_key)
    with pytest.raises(UserError, match="nie pasuje"):
        vault.add_certificate("zly", mismatched)
    with pytest.raises(UserError, match="niepoprawna"):
        vault.add_certificate("../x", good)
    with pytest.raises(UserError, match="niepoprawny format"):
        vault.add_token(CLIENT, "krótki token")
    with pytest.raises(UserError, match="NIP"):
        vault.add_token("1234567890", TOKEN)
    assert folder.vault_file.read_bytes() == before


def test_expiry_warnings(folder: OfficeFolder) -> None:
    vault, _ = _filled(folder)
    entries = {e.reference: e for e in vault.list(today=dt.date(2026, 12, 10))}
    assert entries[f"token:{CLIENT}"].days_left == 21
    assert entries[f"token:{CLIENT}"].warning == "wygasa za 21 dni"
    assert entries["cert:biuro"].warning is None and entries["cert:biuro"].is_default
    assert vault.list(today=dt.date(2027, 1, 2))[1].warning == "wygasł"
    assert vault.list(today=dt.date(2026, 11, 1))[1].warning is None


def _memory_keyring() -> KeyringBackend:
    """Stands in for Windows Credential Manager / macOS Keychain, which do not exist on this machine.

    Defined only after keyring chose its backend: a KeyringBackend subclass registers itself and
    would otherwise be picked up by keyring's auto-detection in other tests.
    """
    keyring.get_keyring()

    class MemoryKeyring(KeyringBackend):
        priority = 5

        def __init__(self) -> None:
            super().__init__()
            self.items: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.items.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.items[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.items.pop((service, username), None)

    return MemoryKeyring()


def test_keyring_backend_needs_no_passphrase(folder: OfficeFolder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KSEF_SHEETS_VAULT_BACKEND")
    previous = keyring.get_keyring()
    store = _memory_keyring()
    keyring.set_keyring(store)
    try:
        assert Vault.needs_passphrase(folder) is False
        vault = Vault.open(folder)
        vault.add_token(CLIENT, TOKEN)
        assert vault.uses_keyring and len(store.items) == 1  # type: ignore[attr-defined]
        assert TOKEN.encode() not in folder.vault_file.read_bytes()
        assert Vault.open(folder).credential_for_client(CLIENT).reference == f"token:{CLIENT}"
        store.items.clear()  # type: ignore[attr-defined]  # the folder copied to another computer
        with pytest.raises(UserError, match="nie ma klucza sejfu"):
            Vault.open(folder)
    finally:
        keyring.set_keyring(previous)
    with pytest.raises(UserError, match="innego komputera"):
        Vault.open(folder)


def test_cli_add_list_remove_never_prints_secrets(
    folder: OfficeFolder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN + "\n"))
    d = str(folder.root)
    assert main(["credentials", "add", "--client", CLIENT, "--from-stdin", "--dir", d]) == 0
    assert (
        main(["credentials", "add", "--name", "biuro", "--self-signed", "--nip", "5260250274", "--dir", d])
        == 0
    )
    capsys.readouterr()
    assert main(["credentials", "list", "--json", "--dir", d]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["reference"] for e in listed] == ["cert:biuro", f"token:{CLIENT}"]
    assert listed[1]["expires"] == "2026-12-31"
    assert main(["credentials", "list", "--dir", d]) == 0
    assert main(["credentials", "remove", f"token:{CLIENT}", "--dir", d]) == 0
    assert main(["credentials", "remove", f"token:{CLIENT}", "--dir", d]) == 1
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", "zupelnie-inne")
    assert main(["credentials", "list", "--dir", d]) == 1
    out = capsys.readouterr()
    assert "Złe hasło do sejfu" in out.err and "Traceback" not in out.err
    everything = out.out + out.err + caplog.text + "".join(str(p.read_bytes()) for p in folder.root.iterdir())
    for secret in (TOKEN, "ABCDEF0123", PASS, "zupelnie-inne", "PRIVATE KEY"):
        assert secret not in everything


def test_cli_certificates_from_p12_and_pem(
    folder: OfficeFolder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    d = str(folder.root)
    seal = make_seal_certificate("5260250274", "Biuro Rachunkowe")
    p12 = tmp_path / "pieczec.p12"
    p12.write_bytes(seal.to_pkcs12(b"haslo-do-p12"))
    monkeypatch.setattr(sys, "stdin", io.StringIO("zle-haslo\n"))
    assert (
        main(["credentials", "add", "--name", "pieczec", "--p12", str(p12), "--from-stdin", "--dir", d]) == 1
    )
    err = capsys.readouterr().err
    assert "pieczec.p12: złe hasło" in err and "zle-haslo" not in err and not folder.vault_file.exists()
    monkeypatch.setattr(sys, "stdin", io.StringIO("haslo-do-p12\n"))
    assert (
        main(["credentials", "add", "--name", "pieczec", "--p12", str(p12), "--from-stdin", "--dir", d]) == 0
    )

    expired = make_seal_certificate(
        "5260250274", "Biuro", days=10, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    )
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_bytes(expired.certificate_pem())
    key.write_bytes(expired.private_key_pem())
    before = folder.vault_file.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert (
        main(
            [
                "credentials",
                "add",
                "--name",
                "stary",
                "--cert",
                str(cert),
                "--key",
                str(key),
                "--from-stdin",
                "--dir",
                d,
            ]
        )
        == 1
    )
    assert "wygasł" in capsys.readouterr().err
    assert folder.vault_file.read_bytes() == before
    vault = Vault.open(folder, PASS)
    assert vault.references() == ["cert:pieczec"]
    credential = vault.credential_for_client(CLIENT)
    assert isinstance(credential, CertificateCredential)
    assert credential.fingerprint_sha256 == seal.fingerprint_sha256


def test_expired_token_falls_back_to_the_office_certificate(folder: OfficeFolder) -> None:
    vault, seal = _filled(folder)
    after = dt.date(2027, 1, 1)
    assert isinstance(vault.credential_for_client(CLIENT, today=dt.date(2026, 12, 31)), TokenCredential)
    fallback = vault.credential_for_client(CLIENT, today=after)
    assert (
        isinstance(fallback, CertificateCredential) and fallback.fingerprint_sha256 == seal.fingerprint_sha256
    )
    vault.remove("cert:biuro")
    with pytest.raises(UserError, match=f"Token KSeF klienta {CLIENT} wygasł 31.12.2026"):
        vault.credential_for_client(CLIENT, today=after)


def test_two_open_vaults_do_not_lose_each_others_changes(folder: OfficeFolder) -> None:
    first = Vault.open(folder, PASS)
    first.add_token(CLIENT, TOKEN)
    second = Vault.open(folder, PASS)
    first.add_token("5252248481", TOKEN)
    second.add_certificate("biuro", make_seal_certificate("5260250274", "Biuro"))
    assert Vault.open(folder, PASS).references() == ["cert:biuro", f"token:{CLIENT}", "token:5252248481"]
