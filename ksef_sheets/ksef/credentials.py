"""What an office logs in with: a KSeF token (per client) or a certificate with its private key.

``CertificateCredential`` loads PKCS#12 (.p12/.pfx) or PEM files, checks that the key belongs to the
certificate and that the certificate is valid now, and can make self-signed seal/person
certificates that the TEST environment and the emulator accept (PROTOCOL §4.3 point 5).
Secrets are registered with ``ksef_sheets.redaction`` as soon as they are loaded and are never part
of ``repr`` or an error message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.redaction import register_secret

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# Tokens are allowed by regulation until the end of 2026 (PROTOCOL §7).
TOKEN_END_DATE = dt.date(2026, 12, 31)


@dataclass(frozen=True)
class TokenCredential:
    """A KSeF token for one client's context (the office is its authorised subject)."""

    context_nip: str
    token: str = field(repr=False)
    expires: dt.date = TOKEN_END_DATE

    def __post_init__(self) -> None:
        register_secret(self.token)

    @property
    def reference(self) -> str:
        return f"token:{self.context_nip}"


@dataclass(frozen=True)
class CertificateCredential:
    """A certificate (KSeF, qualified seal/signature, or self-signed on TEST/emulator) and its key."""

    certificate: x509.Certificate
    private_key: PrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()
    name: str = ""

    @property
    def reference(self) -> str:
        return f"cert:{self.name}" if self.name else f"cert:{self.fingerprint_sha256[:16]}"

    @property
    def fingerprint_sha256(self) -> str:
        """Upper-case hex SHA-256 of the certificate's DER (what KSeF's ``Fingerprint`` subject uses)."""
        return hashlib.sha256(self.certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()

    @property
    def not_valid_before(self) -> dt.datetime:
        return self.certificate.not_valid_before_utc

    @property
    def not_valid_after(self) -> dt.datetime:
        return self.certificate.not_valid_after_utc

    @property
    def subject_text(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def subject_nip(self) -> str | None:
        """The NIP the certificate carries (seal: ``VATPL-…``, person: ``TINPL-…``), if any."""
        for oid in (NameOID.ORGANIZATION_IDENTIFIER, NameOID.SERIAL_NUMBER):
            for attr in self.certificate.subject.get_attributes_for_oid(oid):
                value = str(attr.value)
                for prefix in ("VATPL-", "TINPL-", "NIP-"):
                    if value.upper().startswith(prefix):
                        return value[len(prefix) :]
        return None

    def check(self, label: str, *, now: dt.datetime | None = None) -> None:
        """Raise a Polish ``UserError`` when the key does not match or the certificate is not valid now."""
        check_key_matches(self.certificate, self.private_key, label)
        check_validity(self.certificate, label, now=now)

    def private_key_pem(self, password: bytes | None = None) -> bytes:
        algorithm: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm
        )

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM) + b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in self.chain
        )

    def to_pkcs12(self, password: bytes) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            self.name.encode() or None,
            self.private_key,
            self.certificate,
            list(self.chain) or None,
            serialization.BestAvailableEncryption(password),
        )

    @classmethod
    def from_pkcs12(
        cls, data: bytes, password: str | bytes | None, *, label: str, name: str = ""
    ) -> CertificateCredential:
        """Load a .p12/.pfx; ``label`` (a file name) is what a Polish error message names."""
        pwd = password.encode() if isinstance(password, str) else password
        register_secret(pwd)
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, pwd or None)
        except ValueError as exc:
            raise UserError(
                f"Nie można odczytać pliku {label}: złe hasło albo plik nie jest w formacie PKCS#12 (.p12/.pfx)."
            ) from exc
        if cert is None or key is None:
            raise UserError(f"Plik {label} nie zawiera certyfikatu razem z kluczem prywatnym.")
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise UserError(f"Klucz w pliku {label} nie jest kluczem RSA ani EC — KSeF go nie przyjmie.")
        credential = cls(cert, key, tuple(extra or ()), name)
        credential.check(label)
        return credential

    @classmethod
    def from_pem(
        cls,
        certificate_pem: bytes,
        key_pem: bytes,
        password: str | bytes | None = None,
        *,
        label: str,
        name: str = "",
    ) -> CertificateCredential:
        pwd = password.encode() if isinstance(password, str) else password
        register_secret(pwd)
        try:
            certs = x509.load_pem_x509_certificates(certificate_pem)
        except ValueError as exc:
            raise UserError(f"Plik certyfikatu {label} nie jest poprawnym certyfikatem PEM.") from exc
        try:
            key = serialization.load_pem_private_key(key_pem, pwd or None)
        except TypeError as exc:
            raise UserError(f"Klucz prywatny dla {label} jest zaszyfrowany — podaj hasło do klucza.") from exc
        except ValueError as exc:
            raise UserError(
                f"Nie można odczytać klucza prywatnego dla {label}: złe hasło albo plik nie jest kluczem PEM."
            ) from exc
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise UserError(f"Klucz dla {label} nie jest kluczem RSA ani EC — KSeF go nie przyjmie.")
        credential = cls(certs[0], key, tuple(certs[1:]), name)
        credential.check(label)
        return credential

    @classmethod
    def from_files(
        cls,
        certificate: Path,
        key: Path | None = None,
        password: str | None = None,
        *,
        name: str = "",
    ) -> CertificateCredential:
        """A .p12/.pfx file (``key`` None), or a PEM certificate plus a PEM key."""
        try:
            data = certificate.read_bytes()
            key_data = key.read_bytes() if key else None
        except OSError as exc:
            raise UserError(f"Nie można odczytać pliku {exc.filename}: {os_reason(exc)}.") from exc
        if key_data is None:
            return cls.from_pkcs12(data, password, label=str(certificate), name=name)
        return cls.from_pem(data, key_data, password, label=str(certificate), name=name)


def check_key_matches(certificate: x509.Certificate, key: PrivateKey, label: str) -> None:
    def spki(public_key: object) -> bytes:
        return public_key.public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    if spki(certificate.public_key()) != spki(key.public_key()):
        raise UserError(f"Klucz prywatny nie pasuje do certyfikatu {label} — to klucz innego certyfikatu.")


def check_validity(certificate: x509.Certificate, label: str, *, now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.UTC)
    if certificate.not_valid_after_utc < now:
        raise UserError(
            f"Certyfikat {label} wygasł {certificate.not_valid_after_utc:%Y-%m-%d} — KSeF go nie przyjmie. "
            "Użyj nowego certyfikatu."
        )
    if certificate.not_valid_before_utc > now:
        raise UserError(
            f"Certyfikat {label} jest ważny dopiero od {certificate.not_valid_before_utc:%Y-%m-%d}."
        )


def _new_key(key_type: Literal["rsa", "ec"]) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _self_signed(
    subject: x509.Name,
    key: PrivateKey,
    *,
    days: int,
    not_before: dt.datetime | None,
) -> x509.Certificate:
    start = not_before or (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def make_seal_certificate(
    nip: str,
    organization: str,
    *,
    key_type: Literal["rsa", "ec"] = "rsa",
    days: int = 365,
    not_before: dt.datetime | None = None,
    name: str = "",
) -> CertificateCredential:
    """A self-signed "qualified seal" look-alike (``organizationIdentifier=VATPL-<NIP>``) for TEST/emulator."""
    key = _new_key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, organization[:64]),
        ]
    )
    return CertificateCredential(_self_signed(subject, key, days=days, not_before=not_before), key, (), name)


def make_person_certificate(
    first_name: str,
    last_name: str,
    *,
    nip: str | None = None,
    pesel: str | None = None,
    key_type: Literal["rsa", "ec"] = "rsa",
    days: int = 365,
    not_before: dt.datetime | None = None,
    name: str = "",
) -> CertificateCredential:
    """A self-signed "qualified signature" look-alike (``serialNumber=TINPL-<NIP>`` or ``PNOPL-<PESEL>``)."""
    if not (nip or pesel):
        raise ValueError("nip or pesel required")
    serial = f"TINPL-{nip}" if nip else f"PNOPL-{pesel}"
    key = _new_key(key_type)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.GIVEN_NAME, first_name),
            x509.NameAttribute(NameOID.SURNAME, last_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{first_name} {last_name}"),
        ]
    )
    return CertificateCredential(_self_signed(subject, key, days=days, not_before=not_before), key, (), name)
