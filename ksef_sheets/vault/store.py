"""The credential records kept in the vault: KSeF tokens per client, certificates (+ keys) per person.

``Vault`` opens and saves the encrypted file (format and keys: ``fileformat.py``) and keeps one JSON
document of entries. Each credential has a reference string the office register stores instead of
the secret: ``token:<NIP>`` or ``cert:<name>``. Every secret read from the vault is registered with
``ksef_sheets.redaction.register_secret``; secrets never appear in ``repr``, messages or logs.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.ksef import TOKEN_END_DATE, CertificateCredential, TokenCredential
from ksef_sheets.redaction import register_secret
from ksef_sheets.text import format_date, warsaw_today
from ksef_sheets.vault.fileformat import (
    FORMAT_VERSION,
    KIND_KEYRING,
    KIND_SCRYPT,
    MAGIC,
    header_is_current,
    key_from_keyring,
    key_from_passphrase,
    keyring_header,
    restrict_permissions,
    scrypt_header,
    seal,
    split_blob,
    unseal,
    usable_keyring,
)

PASSPHRASE_ENV = "KSEF_SHEETS_PASSPHRASE"  # noqa: S105 (the variable's name)
MIN_PASSPHRASE = 8
EXPIRY_WARNING_DAYS = 30

Credential = TokenCredential | CertificateCredential
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# KSeF tokens: "<EC reference>|<type>-<value>|<64 hex>"; other shapes are accepted if plausible.
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]{20,512}$")


@dataclass(frozen=True)
class VaultEntry:
    """What ``credentials list`` shows: never the secret."""

    reference: str
    kind: Literal["token", "certificate"]
    subject: str  # the client's NIP (token) or the certificate's subject
    expires: dt.date | None
    days_left: int | None
    is_default: bool = False
    fingerprint: str | None = None
    subject_nip: str | None = None
    ksef_serial: str | None = None  # a KSeF certificate enrolled through the toolkit
    ksef_type: str | None = None  # Authentication | Offline

    @property
    def warning(self) -> str | None:
        if self.days_left is None:
            return None
        if self.days_left < 0:
            return "wygasł"
        if self.days_left < EXPIRY_WARNING_DAYS:
            return f"wygasa za {self.days_left} dni"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "kind": self.kind,
            "subject": self.subject,
            "expires": self.expires.isoformat() if self.expires else None,
            "days_left": self.days_left,
            "warning": self.warning,
            "default": self.is_default,
            "fingerprint": self.fingerprint,
            "subject_nip": self.subject_nip,
            "ksef_serial": self.ksef_serial,
            "ksef_type": self.ksef_type,
        }


def token_reference(nip: str) -> str:
    return f"token:{normalize_nip(nip)}"


def certificate_reference(name: str) -> str:
    return f"cert:{name}"


class Vault:
    """An opened vault. Use ``Vault.open(folder, passphrase=None)``; changes are saved at once."""

    def __init__(
        self, path: Path, key: bytes, header: bytes, data: dict[str, Any], passphrase: str | None = None
    ) -> None:
        self.path = path
        self._key = key
        self._header = header
        self._data = data
        # Kept only to re-key an older format on the next write; never shown (see __repr__).
        self._passphrase = passphrase

    def __repr__(self) -> str:
        return f"Vault({str(self.path)!r}, {len(self._entries())} entries)"

    # --- opening ----------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        folder: OfficeFolder | Path | str,
        passphrase: str | None = None,
        *,
        create: bool = True,
    ) -> Vault:
        """Open (or, with ``create``, start) the office's vault.

        The passphrase comes from the argument or ``KSEF_SHEETS_PASSPHRASE``; it is not needed when
        the vault's key is kept in the OS keyring.
        """
        path = (
            folder.vault_file if isinstance(folder, OfficeFolder) else OfficeFolder.resolve(folder).vault_file
        )
        passphrase = passphrase if passphrase is not None else os.environ.get(PASSPHRASE_ENV)
        if passphrase:
            register_secret(passphrase)
        if not path.exists():
            if not create:
                raise UserError(
                    f"Sejf {path} nie istnieje — dodaj poświadczenie: ksef-sheets credentials add."
                )
            return cls._new(path, passphrase)
        try:
            blob = path.read_bytes()
        except OSError as exc:
            raise UserError(f"Nie można odczytać sejfu {path}: {os_reason(exc)}.") from exc
        header, nonce, ciphertext = split_blob(blob, path)
        kind = header[len(MAGIC)]
        if kind == KIND_KEYRING:
            key = key_from_keyring(header, path)
        else:
            if not passphrase:
                raise UserError(
                    f"Sejf {path} jest chroniony hasłem — podaj je (zmienna {PASSPHRASE_ENV} albo pytanie o hasło)."
                )
            key = key_from_passphrase(header, passphrase, path)
        try:
            data = unseal(key, header, nonce, ciphertext)
            if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
                raise ValueError("bad vault document")
        except (InvalidTag, ValueError, UnicodeDecodeError) as exc:
            raise UserError(f"Plik sejfu {path} jest uszkodzony — odtwórz go z kopii zapasowej.") from exc
        vault = cls(path, key, header, data, passphrase if kind == KIND_SCRYPT else None)
        vault._register_all()
        return vault

    @staticmethod
    def needs_passphrase(folder: OfficeFolder | Path | str) -> bool:
        """Whether opening this office's vault needs a passphrase (False when the OS keyring holds its key)."""
        path = (
            folder.vault_file if isinstance(folder, OfficeFolder) else OfficeFolder.resolve(folder).vault_file
        )
        if not path.exists():
            return usable_keyring() is None
        try:
            blob = path.read_bytes()
        except OSError:
            return True
        try:
            header, _, _ = split_blob(blob, path)
        except UserError:
            return True
        return header[len(MAGIC)] != KIND_KEYRING

    @classmethod
    def _new(cls, path: Path, passphrase: str | None) -> Vault:
        backend = usable_keyring()
        if backend is not None and not passphrase:
            key, header = keyring_header(backend)
        else:
            if not passphrase:
                raise UserError(
                    f"Ten komputer nie ma magazynu poświadczeń systemu — sejf {path} musi mieć hasło "
                    f"(zmienna {PASSPHRASE_ENV} albo pytanie o hasło)."
                )
            if len(passphrase) < MIN_PASSPHRASE:
                raise UserError(f"Hasło do sejfu musi mieć co najmniej {MIN_PASSPHRASE} znaków.")
            key, header = scrypt_header(passphrase)
        return cls(path, key, header, {"version": 1, "default_certificate": None, "entries": {}}, passphrase)

    @property
    def uses_keyring(self) -> bool:
        return self._header[len(MAGIC)] == KIND_KEYRING

    @property
    def format_version(self) -> int:
        return FORMAT_VERSION if self._header.startswith(MAGIC) else 1

    @property
    def needs_rekey(self) -> bool:
        """An older format or a scrypt cost below the current one (re-keyed on the next write)."""
        return not header_is_current(self._header)

    # --- writing ----------------------------------------------------------------------------------

    def _refresh_from_disk(self) -> None:
        """Before a change: take in what another process saved since this vault was opened."""
        if not self.path.exists():
            return
        try:
            header, nonce, ciphertext = split_blob(self.path.read_bytes(), self.path)
            if header != self._header:
                raise UserError(
                    f"Sejf {self.path} został w międzyczasie założony od nowa albo przeszyfrowany przez "
                    "inny program (np. przejście na nowy format) — otwórz go ponownie."
                )
            data = unseal(self._key, header, nonce, ciphertext)
        except (OSError, InvalidTag, ValueError, UnicodeDecodeError) as exc:
            raise UserError(
                f"Plik sejfu {self.path} jest uszkodzony — odtwórz go z kopii zapasowej."
            ) from exc
        if isinstance(data, dict) and isinstance(data.get("entries"), dict):
            self._data = data
            self._register_all()

    def _rekey(self) -> None:
        if self._header[len(MAGIC)] == KIND_KEYRING:
            self._header = MAGIC + self._header[len(MAGIC) :]
            return
        if not self._passphrase:  # pragma: no cover - a scrypt vault is always opened with one
            raise UserError(f"Do zapisu sejfu {self.path} potrzebne jest hasło.")
        self._key, self._header = scrypt_header(self._passphrase)

    def _save(self) -> None:
        if self.needs_rekey:
            self._rekey()
        atomic_write_bytes(self.path, seal(self._key, self._header, self._data))
        restrict_permissions(self.path)

    def add_token(self, nip: str, token: str, *, now: dt.datetime | None = None) -> str:
        """Store a client's KSeF token; returns its reference ``token:<NIP>``."""
        problem = nip_problem(nip)
        if problem:
            raise UserError(f"Token KSeF: {problem}")
        token = token.strip()
        register_secret(token)
        if not _TOKEN_CHARS.match(token):
            raise UserError(
                f"Podany token KSeF dla klienta {normalize_nip(nip)} ma niepoprawny format "
                "(oczekiwano ciągu bez spacji, 20–512 znaków)."
            )
        reference = token_reference(nip)
        self._refresh_from_disk()
        self._entries()[reference] = {
            "kind": "token",
            "nip": normalize_nip(nip),
            "token": token,
            "expires": TOKEN_END_DATE.isoformat(),
            "added": (now or dt.datetime.now(dt.UTC)).isoformat(),
        }
        self._save()
        return reference

    def add_certificate(
        self,
        name: str,
        credential: CertificateCredential,
        *,
        default: bool = False,
        now: dt.datetime | None = None,
        ksef_serial: str | None = None,
        ksef_type: str | None = None,
    ) -> str:
        """Store a certificate with its private key under ``cert:<name>``; checked before storing.

        ``ksef_serial``/``ksef_type`` mark a KSeF certificate; an ``Offline`` one (it signs KOD II,
        it cannot log in) never becomes the office's default login certificate by itself.
        """
        if not _NAME.match(name):
            raise UserError(
                f"Nazwa poświadczenia „{name}” jest niepoprawna — użyj liter, cyfr, kropki, myślnika (np. jan.kowalski)."
            )
        credential.check(f"„{name}”", now=now)
        key_pem = credential.private_key_pem().decode("ascii")
        register_secret(key_pem)
        reference = certificate_reference(name)
        cert = credential.certificate
        self._refresh_from_disk()
        self._entries()[reference] = {
            "kind": "certificate",
            "name": name,
            "certificate_pem": credential.certificate_pem().decode("ascii"),
            "key_pem": key_pem,
            "subject": cert.subject.rfc4514_string(),
            "subject_nip": credential.subject_nip,
            "fingerprint": credential.fingerprint_sha256,
            "not_after": cert.not_valid_after_utc.isoformat(),
            "added": (now or dt.datetime.now(dt.UTC)).isoformat(),
        }
        if ksef_serial:
            self._entries()[reference]["ksef_serial"] = ksef_serial
            self._entries()[reference]["ksef_type"] = ksef_type or "Authentication"
        can_log_in = ksef_type != "Offline"
        if default or (can_log_in and not self._data.get("default_certificate")):
            self._data["default_certificate"] = reference
        self._save()
        return reference

    def import_certificate_files(
        self,
        name: str,
        certificate: Path,
        key: Path | None = None,
        password: str | None = None,
        *,
        default: bool = False,
        now: dt.datetime | None = None,
    ) -> str:
        """Store a certificate from files: a .p12/.pfx (``key`` None) or the ``.crt`` + ``.key`` pair
        from the Ministry's web application (PEM or DER; the key usually encrypted with ``password``)."""
        from ksef_sheets.ksef import load_certificate_pair

        if key is None:
            credential = CertificateCredential.from_files(certificate, None, password, name=name)
        else:
            credential = load_certificate_pair(certificate, key, password, name=name)
        return self.add_certificate(name, credential, default=default, now=now)

    def reference_for_serial(self, serial: str) -> str | None:
        """The vault reference of the KSeF certificate with this serial number, if the vault holds it."""
        for reference, entry in self._entries().items():
            if entry.get("kind") == "certificate" and entry.get("ksef_serial") == serial.upper():
                return reference
        return None

    def set_default_certificate(self, reference: str) -> None:
        self._refresh_from_disk()
        entry = self._entries().get(reference)
        if not entry or entry.get("kind") != "certificate":
            raise UserError(f"W sejfie nie ma certyfikatu „{reference}”.")
        self._data["default_certificate"] = reference
        self._save()

    def remove(self, reference: str) -> None:
        self._refresh_from_disk()
        if reference not in self._entries():
            raise UserError(
                f"W sejfie nie ma poświadczenia „{reference}” — sprawdź: ksef-sheets credentials list."
            )
        del self._entries()[reference]
        if self._data.get("default_certificate") == reference:
            remaining = [r for r, e in self._entries().items() if e.get("kind") == "certificate"]
            self._data["default_certificate"] = remaining[0] if remaining else None
        self._save()

    # --- reading ----------------------------------------------------------------------------------

    def _entries(self) -> dict[str, dict[str, Any]]:
        entries: dict[str, dict[str, Any]] = self._data["entries"]
        return entries

    def _register_all(self) -> None:
        for entry in self._entries().values():
            register_secret(entry.get("token"))
            register_secret(entry.get("key_pem"))

    def references(self) -> list[str]:
        return sorted(self._entries())

    def __contains__(self, reference: object) -> bool:
        return reference in self._entries()

    def __iter__(self) -> Iterator[VaultEntry]:
        return iter(self.list())

    def list(self, *, today: dt.date | None = None) -> list[VaultEntry]:
        today = today or warsaw_today()
        default = self._data.get("default_certificate")
        result = []
        for reference, entry in sorted(self._entries().items()):
            if entry.get("kind") == "token":
                expires = dt.date.fromisoformat(entry.get("expires") or TOKEN_END_DATE.isoformat())
                result.append(
                    VaultEntry(
                        reference,
                        "token",
                        entry["nip"],
                        expires,
                        (expires - today).days,
                        subject_nip=entry["nip"],
                    )
                )
            else:
                expires = dt.datetime.fromisoformat(entry["not_after"]).date()
                result.append(
                    VaultEntry(
                        reference,
                        "certificate",
                        entry.get("subject", ""),
                        expires,
                        (expires - today).days,
                        is_default=reference == default,
                        fingerprint=entry.get("fingerprint"),
                        subject_nip=entry.get("subject_nip"),
                        ksef_serial=entry.get("ksef_serial"),
                        ksef_type=entry.get("ksef_type"),
                    )
                )
        return result

    def get(self, reference: str) -> Credential:
        """The credential stored under ``reference`` (``token:<NIP>`` / ``cert:<name>``)."""
        entry = self._entries().get(reference)
        if entry is None:
            raise UserError(
                f"W sejfie nie ma poświadczenia „{reference}” — dodaj je: ksef-sheets credentials add."
            )
        if entry.get("kind") == "token":
            expires = dt.date.fromisoformat(entry.get("expires") or TOKEN_END_DATE.isoformat())
            return TokenCredential(entry["nip"], entry["token"], expires)
        register_secret(entry["key_pem"])
        try:
            return CertificateCredential.from_pem(
                entry["certificate_pem"].encode("ascii"),
                entry["key_pem"].encode("ascii"),
                label=f"„{entry['name']}” z sejfu",
                name=entry["name"],
            )
        except (KeyError, ValueError) as exc:
            raise UserError(
                f"Poświadczenie „{reference}” w sejfie jest uszkodzone — dodaj je ponownie."
            ) from exc

    def credential_for_client(self, nip: str, *, today: dt.date | None = None) -> Credential:
        """The client's own KSeF token, else the office's default certificate.

        A token past its end date (tokens end 2026-12-31) is skipped in favour of the certificate.
        """
        reference = token_reference(nip)
        default = self._data.get("default_certificate")
        has_default = bool(default) and default in self._entries()
        entry = self._entries().get(reference)
        if entry is not None:
            expires = dt.date.fromisoformat(entry.get("expires") or TOKEN_END_DATE.isoformat())
            if expires >= (today or warsaw_today()):
                return self.get(reference)
            if not has_default:
                raise UserError(
                    f"Token KSeF klienta {normalize_nip(nip)} wygasł {format_date(expires)} — dodaj certyfikat biura: "
                    "ksef-sheets credentials add --name NAZWA --p12 PLIK --default."
                )
        if has_default:
            return self.get(str(default))
        raise UserError(
            f"W sejfie nie ma tokenu KSeF klienta {normalize_nip(nip)} ani certyfikatu biura — "
            f"dodaj go: ksef-sheets credentials add --client {normalize_nip(nip)}."
        )

    def reference_for_client(self, nip: str, *, today: dt.date | None = None) -> str | None:
        """The reference ``credential_for_client`` would use (what the register may show), or None."""
        try:
            return self.credential_for_client(nip, today=today).reference
        except UserError:
            return None
