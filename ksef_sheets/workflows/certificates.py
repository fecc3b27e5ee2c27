"""KSeF certificates for the office and its people: enrol, list, revoke (``credentials enrol``,
``credentials certificates``, ``credentials revoke-certificate``).

Every operation logs in by XAdES with a certificate from the vault (KSeF issues certificates only
after such a login, never after a token login) in the office's own context, and is written to the
archive's audit log, successful or not. The new certificate's private key is generated in this
process and goes straight into the vault; only the CSR travels to KSeF.

KSeF is the office's environment (its in-process emulator on ``emulator``), or ``base_url`` when a
caller already runs one (the demo). Which certificate logs in: ``login`` (a vault reference), else the certificate of ``person``
(a PESEL or NIP a person's certificate in the vault carries), else the office's default certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import is_valid_nip
from ksef_sheets.ksef import (
    CertificateCredential,
    KsefCertificateInfo,
    KsefClient,
    KsefError,
    KsefPermissionError,
    KsefSession,
    base_url_for,
    certificate_limits,
    enrol_certificate,
    query_certificates,
    revoke_certificate,
)
from ksef_sheets.text import warsaw_today
from ksef_sheets.vault import Vault, certificate_reference

Progress = Callable[[str], None]
CertificateType = Literal["Authentication", "Offline"]
REVOCATION_REASONS: tuple[Literal["Unspecified", "Superseded", "KeyCompromise"], ...] = (
    "Unspecified",
    "Superseded",
    "KeyCompromise",
)
AUDIT_ENROL = "certyfikat KSeF: wniosek"
AUDIT_LIST = "certyfikat KSeF: lista"
AUDIT_REVOKE = "certyfikat KSeF: unieważnienie"
_SERIAL = re.compile(r"^[0-9A-Fa-f]{16}$")


@dataclass(frozen=True)
class CertificateEnrolment:
    """A KSeF certificate the office now holds in its vault (never its key)."""

    reference: str
    serial_number: str
    certificate_type: str
    subject: str
    valid_from: dt.datetime
    valid_to: dt.datetime
    login_reference: str
    is_default: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "serial_number": self.serial_number,
            "type": self.certificate_type,
            "subject": self.subject,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "login": self.login_reference,
            "default": self.is_default,
        }


@dataclass(frozen=True)
class KnownCertificate:
    """A certificate KSeF lists for the logged-in subject, and where the vault keeps it (if it does)."""

    info: KsefCertificateInfo
    vault_reference: str | None

    def to_json(self, today: dt.date) -> dict[str, Any]:
        return {**self.info.to_json(today), "vault_reference": self.vault_reference}


@dataclass(frozen=True)
class CertificateRevocation:
    serial_number: str
    removed_reference: str | None


def _quiet(_: str) -> None:
    return None


# --- the pieces every operation shares ------------------------------------------------------------


def _base_url(folder: OfficeFolder, config: OfficeConfig, stack: contextlib.ExitStack) -> str:
    if config.environment != "emulator":
        return base_url_for(config.environment)
    from ksef_sheets.sync import start_office_emulator

    return start_office_emulator(folder, config, stack)[0]


def _audit(folder: OfficeFolder, action: str, nip: str | None, details: Mapping[str, Any]) -> None:
    from ksef_sheets.sync import Archive

    with Archive.open(folder) as archive:
        archive.audit(action, nip, details)


def person_problem(identifier: str) -> str | None:
    """Why ``identifier`` is not a PESEL (11 digits) or a NIP (10 digits, checksum), or None."""
    value = identifier.strip().replace("-", "")
    if re.fullmatch(r"\d{11}", value):
        return None
    if re.fullmatch(r"\d{10}", value) and is_valid_nip(value):
        return None
    return f"„{identifier}” nie jest numerem PESEL (11 cyfr) ani poprawnym NIP (10 cyfr)."


def login_credential(
    vault: Vault, *, login: str | None = None, person: str | None = None, today: dt.date
) -> tuple[str, CertificateCredential]:
    """The vault certificate an operation logs in with (see the module docstring)."""
    if login:
        reference = login if ":" in login else certificate_reference(login)
        credential = vault.get(reference)
        if not isinstance(credential, CertificateCredential):
            raise UserError(
                f"Poświadczenie {reference} to token KSeF — certyfikat KSeF wydaje się tylko po logowaniu certyfikatem."
            )
        return reference, credential
    entries = [e for e in vault.list(today=today) if e.kind == "certificate" and e.ksef_type != "Offline"]
    if person:
        problem = person_problem(person)
        if problem:
            raise UserError(f"Opcja --person: {problem}")
        wanted = person.strip().replace("-", "")
        pattern = re.compile(rf"(?:PNOPL|PESEL|TINPL|NIP)-?{wanted}(?!\d)")
        matching = [e for e in entries if pattern.search(e.subject) and (e.days_left or 0) >= 0]
        if not matching:
            raise UserError(
                f"W sejfie nie ma ważnego certyfikatu osoby {wanted} — dodaj go: ksef-sheets credentials add "
                f"--name NAZWA --p12 PLIK (albo --cert i --key)."
            )
        reference = matching[0].reference
    else:
        default = next((e.reference for e in entries if e.is_default), None)
        if default is None:
            raise UserError(
                "W sejfie nie ma domyślnego certyfikatu biura — dodaj go: ksef-sheets credentials add "
                "--name biuro --p12 PLIK --default (token KSeF nie wystarczy, by dostać certyfikat)."
            )
        reference = default
    credential = vault.get(reference)
    assert isinstance(credential, CertificateCredential)  # the list above holds certificates only
    return reference, credential


async def _login(
    ksef: KsefClient, office_nip: str, reference: str, credential: CertificateCredential
) -> KsefSession:
    try:
        return await ksef.login_with_certificate(office_nip, credential)
    except KsefPermissionError as error:
        raise UserError(
            f"Certyfikat {reference} nie ma w KSeF żadnych uprawnień w kontekście biura {office_nip}, "
            "więc nie może się nim zalogować po certyfikat KSeF — zaloguj się certyfikatem biura "
            "albo nadaj tej osobie uprawnienie w kontekście biura."
        ) from error


def _run(
    folder: OfficeFolder, work: Callable[[KsefClient, OfficeConfig], Any], base_url: str | None = None
) -> Any:
    config = folder.load_config()
    with contextlib.ExitStack() as stack:
        base_url = base_url or _base_url(folder, config, stack)

        async def run() -> Any:
            async with KsefClient(base_url) as ksef:
                return await work(ksef, config)

        return asyncio.run(run())


# --- use cases ---------------------------------------------------------------------------------------


def enrol_office_certificate(
    folder: OfficeFolder,
    vault: Vault,
    name: str,
    *,
    certificate_type: CertificateType = "Authentication",
    person: str | None = None,
    login: str | None = None,
    key_type: Literal["ec", "rsa"] = "ec",
    make_default: bool = False,
    base_url: str | None = None,
    today: dt.date | None = None,
    progress: Progress = _quiet,
) -> CertificateEnrolment:
    """Enrol a KSeF certificate for the office (or ``person``) and store it with its key in the vault."""
    today = today or warsaw_today()
    reference = certificate_reference(name)
    if reference in vault:
        raise UserError(f"W sejfie jest już poświadczenie {reference} — wybierz inną nazwę (--name).")
    if certificate_type not in ("Authentication", "Offline"):
        raise UserError(f"Opcja --type: „{certificate_type}” — dozwolone Authentication albo Offline.")
    login_reference, credential = login_credential(vault, login=login, person=person, today=today)
    office_nip = folder.load_config().office_nip
    details: dict[str, Any] = {"nazwa": name, "typ": certificate_type, "logowanie": login_reference}

    async def work(ksef: KsefClient, config: OfficeConfig) -> Any:
        progress(f"Logowanie do KSeF certyfikatem {login_reference} w kontekście biura {office_nip}…")
        async with await _login(ksef, office_nip, login_reference, credential) as session:
            progress("Sprawdzanie limitów certyfikatów KSeF…")
            limits = await certificate_limits(session)
            if not limits.can_request:
                if limits.enrollments_remaining <= 0:
                    raise UserError(
                        f"KSeF nie przyjmie kolejnego wniosku: wykorzystano limit {limits.enrollments_limit} wniosków "
                        "certyfikacyjnych tego podmiotu."
                    )
                if limits.certificates_remaining <= 0:
                    raise UserError(
                        f"KSeF nie wyda kolejnego certyfikatu: ten podmiot ma już {limits.certificates_limit} "
                        "aktywnych certyfikatów — unieważnij niepotrzebny: ksef-sheets credentials revoke-certificate NUMER."
                    )
                raise UserError(
                    f"KSeF nie pozwala złożyć wniosku po logowaniu certyfikatem {login_reference} — zaloguj się "
                    "podpisem kwalifikowanym albo pieczęcią (certyfikat w sejfie)."
                )
            key_name = "EC P-256" if key_type == "ec" else "RSA 2048"
            progress(f"Generowanie klucza {key_name} na tym komputerze i wysyłanie wniosku certyfikacyjnego…")
            enrolled = await enrol_certificate(
                session, name, certificate_type=certificate_type, key_type=key_type
            )
            progress(f"KSeF wydał certyfikat nr {enrolled.serial_number}; zapisywanie go z kluczem w sejfie…")
            return enrolled

    try:
        enrolled = _run(folder, work, base_url)
    except UserError as error:
        _audit(folder, AUDIT_ENROL, office_nip, {**details, "opis": str(error), "wynik": "błąd"})
        raise
    cert = enrolled.credential.certificate
    stored = vault.add_certificate(
        name,
        enrolled.credential,
        default=make_default,
        now=cert.not_valid_before_utc,
        ksef_serial=enrolled.serial_number,
        ksef_type=certificate_type,
    )
    entry = next(e for e in vault.list(today=today) if e.reference == stored)
    result = CertificateEnrolment(
        stored,
        enrolled.serial_number,
        certificate_type,
        cert.subject.rfc4514_string(),
        cert.not_valid_before_utc,
        cert.not_valid_after_utc,
        login_reference,
        entry.is_default,
    )
    _audit(
        folder,
        AUDIT_ENROL,
        office_nip,
        {
            **details,
            "opis": f"wydano certyfikat KSeF {enrolled.serial_number} i zapisano go w sejfie jako {stored}",
            "wynik": "ok",
            "numer seryjny": enrolled.serial_number,
            "ważny do": cert.not_valid_after_utc.date().isoformat(),
        },
    )
    return result


def list_ksef_certificates(
    folder: OfficeFolder,
    vault: Vault,
    *,
    person: str | None = None,
    login: str | None = None,
    base_url: str | None = None,
    today: dt.date | None = None,
) -> list[KnownCertificate]:
    """The certificates KSeF holds for the subject that logs in, newest request first."""
    today = today or warsaw_today()
    login_reference, credential = login_credential(vault, login=login, person=person, today=today)
    office_nip = folder.load_config().office_nip

    async def work(ksef: KsefClient, config: OfficeConfig) -> Any:
        async with await _login(ksef, office_nip, login_reference, credential) as session:
            return await query_certificates(session)

    try:
        infos: list[KsefCertificateInfo] = _run(folder, work, base_url)
    except UserError as error:
        _audit(
            folder,
            AUDIT_LIST,
            office_nip,
            {"logowanie": login_reference, "opis": str(error), "wynik": "błąd"},
        )
        raise
    _audit(
        folder,
        AUDIT_LIST,
        office_nip,
        {
            "logowanie": login_reference,
            "opis": f"odczytano listę certyfikatów KSeF ({len(infos)})",
            "wynik": "ok",
        },
    )
    return [KnownCertificate(info, vault.reference_for_serial(info.serial_number)) for info in infos]


def revoke_ksef_certificate(
    folder: OfficeFolder,
    vault: Vault,
    target: str,
    *,
    reason: str = "Unspecified",
    person: str | None = None,
    login: str | None = None,
    keep_in_vault: bool = False,
    base_url: str | None = None,
    today: dt.date | None = None,
) -> CertificateRevocation:
    """Revoke a KSeF certificate (by serial number or by its vault name) and drop it from the vault."""
    today = today or warsaw_today()
    chosen = next((r for r in REVOCATION_REASONS if r == reason), None)
    if chosen is None:
        raise UserError(f"Opcja --reason: „{reason}” — dozwolone {', '.join(REVOCATION_REASONS)}.")
    serial, held = _target(vault, target)
    office_nip = folder.load_config().office_nip
    login_reference, credential = login_credential(vault, login=login, person=person, today=today)
    details: dict[str, Any] = {"numer seryjny": serial, "powód": reason, "logowanie": login_reference}

    async def work(ksef: KsefClient, config: OfficeConfig) -> Any:
        async with await _login(ksef, office_nip, login_reference, credential) as session:
            await revoke_certificate(session, serial, chosen)

    try:
        _run(folder, work, base_url)
    except (UserError, KsefError) as error:
        _audit(folder, AUDIT_REVOKE, office_nip, {**details, "opis": str(error), "wynik": "błąd"})
        raise
    removed = None
    if held is not None and not keep_in_vault:
        vault.remove(held)
        removed = held
    _audit(
        folder,
        AUDIT_REVOKE,
        office_nip,
        {
            **details,
            "opis": f"unieważniono certyfikat KSeF {serial}"
            + (f" i usunięto {removed} z sejfu" if removed else ""),
            "wynik": "ok",
        },
    )
    return CertificateRevocation(serial, removed)


def _target(vault: Vault, target: str) -> tuple[str, str | None]:
    """(serial number, vault reference holding it or None) for a serial number or a vault name."""
    value = target.strip()
    if _SERIAL.match(value):
        serial = value.upper()
        return serial, vault.reference_for_serial(serial)
    reference = value if value.startswith("cert:") else certificate_reference(value)
    entry = next((e for e in vault.list() if e.reference == reference), None)
    if entry is None:
        raise UserError(
            f"„{target}” nie jest ani numerem seryjnym certyfikatu KSeF (16 znaków 0–9, A–F), "
            "ani nazwą certyfikatu w sejfie (ksef-sheets credentials certificates pokaże numery)."
        )
    if not entry.ksef_serial:
        raise UserError(
            f"Certyfikat {reference} nie jest certyfikatem KSeF wydanym przez ksef-sheets — podaj jego numer seryjny "
            "(ksef-sheets credentials certificates)."
        )
    return entry.ksef_serial, reference
