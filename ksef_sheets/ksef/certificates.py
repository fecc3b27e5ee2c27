"""KSeF certificates (PROTOCOL §18.4): enrol, list, retrieve, revoke — and loading the ``.crt`` +
``.key`` pair the Ministry's web application hands out.

Enrolment needs a session opened by XAdES login (KSeF refuses it after a token login). The key
pair is generated here, in memory; only the CSR (public key + the enrolment data, unchanged) goes
to KSeF. The caller stores the returned credential (certificate + key) in the vault::

    async with await client.login_with_certificate(office_nip, seal) as session:
        enrolled = await enrol_certificate(session, "biuro-auth", certificate_type="Authentication")
        vault.add_certificate("biuro-auth", enrolled.credential, ksef_serial=enrolled.serial_number, ...)
        for cert in await query_certificates(session): ...          # KsefCertificateInfo
        await revoke_certificate(session, enrolled.serial_number)
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.credentials import CertificateCredential, PrivateKey
from ksef_sheets.ksef.session import KsefSession
from ksef_sheets.redaction import register_secret

CertificateType = Literal["Authentication", "Offline"]
KeyType = Literal["ec", "rsa"]
CERTIFICATE_TYPES: tuple[CertificateType, ...] = ("Authentication", "Offline")
STATUS_LABELS = {
    "Active": "aktywny",
    "Blocked": "zablokowany",
    "Revoked": "unieważniony",
    "Expired": "wygasły",
}
TYPE_LABELS = {"Authentication": "uwierzytelniający", "Offline": "offline (KOD II)"}

# Enrolment-data field → DN attribute (the order the CSR lists them in).
_FIELDS: tuple[tuple[str, ObjectIdentifier, _ASN1Type], ...] = (
    ("commonName", NameOID.COMMON_NAME, _ASN1Type.UTF8String),
    ("givenName", NameOID.GIVEN_NAME, _ASN1Type.UTF8String),
    ("surname", NameOID.SURNAME, _ASN1Type.UTF8String),
    ("organizationName", NameOID.ORGANIZATION_NAME, _ASN1Type.UTF8String),
    ("organizationIdentifier", ObjectIdentifier("2.5.4.97"), _ASN1Type.UTF8String),
    ("countryName", NameOID.COUNTRY_NAME, _ASN1Type.PrintableString),
    ("serialNumber", NameOID.SERIAL_NUMBER, _ASN1Type.PrintableString),
    ("uniqueIdentifier", NameOID.X500_UNIQUE_IDENTIFIER, _ASN1Type.UTF8String),
)
_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_\- ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_SERIAL = re.compile(r"^[0-9A-F]{16}$")
_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]*$")

# KSeF's refusals, said the way the office understands them.
_REFUSALS = {
    25001: "KSeF wydaje certyfikaty tylko po logowaniu podpisem kwalifikowanym, pieczęcią albo profilem "
    "zaufanym (XAdES), nie tokenem KSeF",
    25002: "KSeF wydaje certyfikaty tylko po logowaniu podpisem kwalifikowanym, pieczęcią albo profilem "
    "zaufanym (XAdES), nie tokenem KSeF",
    25003: "dane we wniosku nie zgadzają się z danymi certyfikatu użytego do logowania",
    25004: "wniosek certyfikacyjny (CSR) jest nieczytelny albo źle podpisany",
    25006: "wyczerpano limit wniosków certyfikacyjnych dla tego podmiotu",
    25007: "wyczerpano limit aktywnych certyfikatów dla tego podmiotu — unieważnij niepotrzebny certyfikat",
    25008: "KSeF nie zna certyfikatu o tym numerze seryjnym (albo należy on do innego podmiotu)",
    25009: "certyfikat jest już unieważniony, zablokowany albo wygasł",
    25010: "KSeF nie przyjmuje tego typu albo długości klucza (dozwolone RSA 2048 i EC P-256)",
    25011: "KSeF nie przyjmuje tego algorytmu podpisu wniosku",
}


@dataclass(frozen=True)
class CertificateLimits:
    can_request: bool
    enrollments_limit: int
    enrollments_remaining: int
    certificates_limit: int
    certificates_remaining: int


@dataclass(frozen=True)
class KsefCertificateInfo:
    """One certificate as ``POST /certificates/query`` lists it (never a key)."""

    serial_number: str
    name: str
    certificate_type: str
    common_name: str
    status: str
    subject_type: str
    subject_value: str
    valid_from: dt.datetime
    valid_to: dt.datetime
    request_date: dt.datetime
    last_use_date: dt.datetime | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.certificate_type, self.certificate_type)

    def days_left(self, today: dt.date) -> int:
        return (self.valid_to.date() - today).days

    def to_json(self, today: dt.date) -> dict[str, Any]:
        return {
            "serial_number": self.serial_number,
            "name": self.name,
            "type": self.certificate_type,
            "common_name": self.common_name,
            "status": self.status,
            "subject": {"type": self.subject_type, "value": self.subject_value},
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "days_left": self.days_left(today),
            "request_date": self.request_date.isoformat(),
            "last_use_date": self.last_use_date.isoformat() if self.last_use_date else None,
        }


@dataclass(frozen=True)
class EnrolledCertificate:
    serial_number: str
    certificate_type: CertificateType
    ksef_name: str
    reference_number: str
    credential: CertificateCredential = field(repr=False)


def new_private_key(key_type: KeyType = "ec") -> PrivateKey:
    """EC P-256 (KSeF's recommendation) or RSA-2048 — the only two KSeF certifies."""
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def build_csr(enrollment_data: Mapping[str, Any], key: PrivateKey) -> bytes:
    """A PKCS#10 request (DER) whose subject holds exactly the enrolment data, values unchanged."""
    attributes = []
    for name, oid, kind in _FIELDS:
        value = str(enrollment_data.get(name) or "")
        if value:
            if kind == _ASN1Type.PrintableString and not _PRINTABLE.match(value):
                kind = _ASN1Type.UTF8String  # the value decides; KSeF compares values, not string types
            attributes.append(x509.NameAttribute(oid, value, _type=kind))
    csr = (
        x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.DER)


def ksef_certificate_name(name: str) -> str:
    """The vault name made acceptable as KSeF's ``certificateName`` (5–100 letters, digits, ``_- ``)."""
    cleaned = _NAME_CHARS.sub("-", name).strip()[:100]
    return cleaned if len(cleaned) >= 5 else f"Certyfikat {cleaned}"[:100]


def _refused(error: E.KsefError, what: str) -> E.KsefError:
    reason = _REFUSALS.get(error.code or 0)
    if reason is None:
        return error
    return E.KsefBadRequestError(
        f"KSeF odrzucił {what}: {reason} (kod {error.code}).",
        status=error.status,
        code=error.code,
        description=error.description,
        details=error.details,
        context_nip=error.context_nip,
    )


async def _json(session: KsefSession, method: str, path: str, what: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = await session.request(method, path, operation=what, **kwargs)
    except E.KsefBadRequestError as error:
        raise _refused(error, what) from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise E.KsefError(f"KSeF zwrócił nieoczekiwaną odpowiedź ({what}).", status=response.status_code)
    return data


async def certificate_limits(session: KsefSession) -> CertificateLimits:
    data = await _json(session, "GET", "/certificates/limits", "odczyt limitów certyfikatów")
    try:
        return CertificateLimits(
            bool(data["canRequest"]),
            int(data["enrollment"]["limit"]),
            int(data["enrollment"]["remaining"]),
            int(data["certificate"]["limit"]),
            int(data["certificate"]["remaining"]),
        )
    except (KeyError, TypeError, ValueError):
        raise E.KsefError("KSeF zwrócił odpowiedź niezgodną ze specyfikacją (limity certyfikatów).") from None


async def enrollment_data(session: KsefSession) -> dict[str, str]:
    data = await _json(
        session, "GET", "/certificates/enrollments/data", "pobranie danych do wniosku certyfikacyjnego"
    )
    return {k: str(v) for k, v in data.items() if v is not None}


async def enrol_certificate(
    session: KsefSession,
    name: str,
    *,
    certificate_type: CertificateType = "Authentication",
    key_type: KeyType = "ec",
    valid_from: dt.datetime | None = None,
) -> EnrolledCertificate:
    """Generate a key, send the CSR, wait for KSeF to issue the certificate, fetch it.

    The private key never leaves this process; the returned credential holds it for the vault.
    """
    data = await enrollment_data(session)
    key = new_private_key(key_type)
    csr = build_csr(data, key)
    ksef_name = ksef_certificate_name(name)
    body: dict[str, Any] = {
        "certificateName": ksef_name,
        "certificateType": certificate_type,
        "csr": base64.b64encode(csr).decode("ascii"),
    }
    if valid_from is not None:
        body["validFrom"] = valid_from.isoformat()
    started = await _json(
        session, "POST", "/certificates/enrollments", "wniosek certyfikacyjny", json_body=body
    )
    reference = str(started.get("referenceNumber", ""))
    serial = await _wait_for_enrollment(session, reference)
    (certificate,) = (await retrieve_certificates(session, [serial])).values()
    credential = CertificateCredential(certificate, key, (), name)
    credential.check(f"„{name}” (certyfikat KSeF {serial})", now=certificate.not_valid_before_utc)
    return EnrolledCertificate(serial, certificate_type, ksef_name, reference, credential)


async def _wait_for_enrollment(session: KsefSession, reference: str) -> str:
    def code(data: dict[str, Any]) -> int:
        return int((data.get("status") or {}).get("code", 0))

    data = await session.client.poll_until(
        lambda: _json(
            session, "GET", f"/certificates/enrollments/{reference}", "status wniosku certyfikacyjnego"
        ),
        lambda data: code(data) >= 400 or (code(data) == 200 and bool(data.get("certificateSerialNumber"))),
        f"KSeF wciąż przetwarza wniosek certyfikacyjny {reference} — sprawdź go później.",
    )
    if code(data) >= 400:
        status = data.get("status") or {}
        details = "; ".join(str(d) for d in status.get("details") or [])
        raise UserError(
            f"KSeF odrzucił wniosek certyfikacyjny {reference}: {status.get('description', code(data))}"
            + (f" — {details}" if details else "")
            + "."
        )
    return str(data["certificateSerialNumber"])


async def retrieve_certificates(
    session: KsefSession, serial_numbers: Sequence[str]
) -> dict[str, x509.Certificate]:
    """The certificates (by serial number) KSeF holds for the logged-in subject."""
    result: dict[str, x509.Certificate] = {}
    serials = list(dict.fromkeys(serial_numbers))
    for start in range(0, len(serials), 10):
        data = await _json(
            session,
            "POST",
            "/certificates/retrieve",
            "pobranie certyfikatu",
            json_body={"certificateSerialNumbers": serials[start : start + 10]},
            idempotent=True,
        )
        for item in data.get("certificates") or []:
            try:
                result[str(item["certificateSerialNumber"])] = x509.load_der_x509_certificate(
                    base64.b64decode(item["certificate"])
                )
            except (KeyError, TypeError, ValueError):
                raise E.KsefError("KSeF zwrócił nieczytelny certyfikat.") from None
    missing = [s for s in serials if s not in result]
    if missing:
        raise UserError(f"KSeF nie zwrócił certyfikatu {', '.join(missing)}.")
    return result


async def query_certificates(
    session: KsefSession,
    *,
    status: str | None = None,
    certificate_type: CertificateType | None = None,
    page_size: int = 50,
) -> list[KsefCertificateInfo]:
    """Every certificate of the logged-in subject (all pages), newest request first."""
    body: dict[str, Any] = {}
    if status:
        body["status"] = status
    if certificate_type:
        body["type"] = certificate_type
    result: list[KsefCertificateInfo] = []
    offset = 0
    while True:
        data = await _json(
            session,
            "POST",
            "/certificates/query",
            "lista certyfikatów",
            params={"pageSize": page_size, "pageOffset": offset},
            json_body=body,
            idempotent=True,
        )
        for item in data.get("certificates") or []:
            result.append(_info(item))
        if not data.get("hasMore"):
            return result
        offset += 1


def _when(value: Any) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _info(item: Mapping[str, Any]) -> KsefCertificateInfo:
    try:
        subject = item["subjectIdentifier"]
        return KsefCertificateInfo(
            serial_number=str(item["certificateSerialNumber"]),
            name=str(item["name"]),
            certificate_type=str(item["type"]),
            common_name=str(item["commonName"]),
            status=str(item["status"]),
            subject_type=str(subject["type"]),
            subject_value=str(subject["value"]),
            valid_from=_when(item["validFrom"]),
            valid_to=_when(item["validTo"]),
            request_date=_when(item["requestDate"]),
            last_use_date=_when(item["lastUseDate"]) if item.get("lastUseDate") else None,
        )
    except (KeyError, TypeError, ValueError):
        raise E.KsefError("KSeF zwrócił odpowiedź niezgodną ze specyfikacją (lista certyfikatów).") from None


async def revoke_certificate(
    session: KsefSession,
    serial_number: str,
    reason: Literal["Unspecified", "Superseded", "KeyCompromise"] = "Unspecified",
) -> None:
    serial = serial_number.strip().upper()
    if not _SERIAL.match(serial):
        raise UserError(
            f"Numer seryjny certyfikatu KSeF „{serial_number}” jest niepoprawny — to 16 znaków 0–9 i A–F."
        )
    try:
        await session.request(
            "POST",
            f"/certificates/{serial}/revoke",
            operation="unieważnienie certyfikatu",
            json_body={"revocationReason": reason},
        )
    except E.KsefBadRequestError as error:
        raise _refused(error, f"unieważnienie certyfikatu {serial}") from None


# --- files from the Ministry's web application -------------------------------------------------------


def load_certificate_pair(
    certificate: Path, key: Path, password: str | None, *, name: str
) -> CertificateCredential:
    """The ``.crt`` (PEM or DER) and ``.key`` (PEM or DER PKCS#8, usually password-encrypted) pair."""
    try:
        cert_data = certificate.read_bytes()
        key_data = key.read_bytes()
    except OSError as exc:
        raise UserError(
            f"Nie można odczytać pliku {exc.filename or certificate}: {os_reason(exc)}."
        ) from None
    pwd = password.encode("utf-8") if password else None
    register_secret(password)
    try:
        certs = (
            x509.load_pem_x509_certificates(cert_data)
            if b"-----BEGIN" in cert_data
            else [x509.load_der_x509_certificate(cert_data)]
        )
    except ValueError:
        raise UserError(f"Plik {certificate} nie jest certyfikatem (.crt w formacie PEM albo DER).") from None
    try:
        private = (
            serialization.load_pem_private_key(key_data, pwd)
            if b"-----BEGIN" in key_data
            else serialization.load_der_private_key(key_data, pwd)
        )
    except TypeError:
        if pwd:
            raise UserError(f"Klucz prywatny {key} nie jest zaszyfrowany — nie podawaj hasła.") from None
        raise UserError(f"Klucz prywatny {key} jest zaszyfrowany — podaj hasło do klucza.") from None
    except ValueError:
        raise UserError(
            f"Nie można odczytać klucza prywatnego {key}: złe hasło albo plik nie jest kluczem (.key)."
        ) from None
    if not isinstance(private, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise UserError(f"Klucz {key} nie jest kluczem RSA ani EC — KSeF go nie przyjmie.")
    credential = CertificateCredential(certs[0], private, tuple(certs[1:]), name)
    credential.check(str(certificate))
    return credential
