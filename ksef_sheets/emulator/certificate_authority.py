"""The emulator's certificate authority for KSeF certificates (PROTOCOL.md §18.4) and the checks
of a PKCS#10 CSR before it issues one.

- ``CertificateAuthority``: an EC P-256 key and a self-signed CA certificate in ``state_dir/keys``;
  ``issue`` makes a certificate valid two years with the CSR's subject, ``issued`` tells whether a
  certificate carries this CA's signature.
- ``read_csr``: RSA-2048 or EC P-256 keys (25010); signatures RSA PKCS#1 v1.5 / PSS or ECDSA with
  SHA-1/256/384/512 (25011); unreadable CSR or a bad CSR signature 25004.
- ``check_csr_subject``: the CSR carries exactly the enrolment data's attributes (25003).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier, SignatureAlgorithmOID
from starlette.requests import Request

from ksef_sheets.emulator.errors import bad_request
from ksef_sheets.emulator.keys import write_private

CERTIFICATE_LIFETIME = dt.timedelta(days=730)
ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
UNIQUE_IDENTIFIER = NameOID.X500_UNIQUE_IDENTIFIER
# Enrolment-data field → the DN attribute it must be copied into.
DATA_FIELDS: tuple[tuple[str, ObjectIdentifier], ...] = (
    ("commonName", NameOID.COMMON_NAME),
    ("countryName", NameOID.COUNTRY_NAME),
    ("givenName", NameOID.GIVEN_NAME),
    ("surname", NameOID.SURNAME),
    ("serialNumber", NameOID.SERIAL_NUMBER),
    ("uniqueIdentifier", UNIQUE_IDENTIFIER),
    ("organizationName", NameOID.ORGANIZATION_NAME),
    ("organizationIdentifier", ORGANIZATION_IDENTIFIER),
)
_CSR_SIGNATURES = {
    SignatureAlgorithmOID.RSA_WITH_SHA1,
    SignatureAlgorithmOID.RSA_WITH_SHA256,
    SignatureAlgorithmOID.RSA_WITH_SHA384,
    SignatureAlgorithmOID.RSA_WITH_SHA512,
    SignatureAlgorithmOID.RSASSA_PSS,
    SignatureAlgorithmOID.ECDSA_WITH_SHA1,
    SignatureAlgorithmOID.ECDSA_WITH_SHA256,
    SignatureAlgorithmOID.ECDSA_WITH_SHA384,
    SignatureAlgorithmOID.ECDSA_WITH_SHA512,
}
_CSR_HASHES = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)


def attribute_text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class CertificateAuthority:
    """The emulator's CA: an EC P-256 key and a self-signed CA certificate in ``state_dir/keys``."""

    def __init__(self, folder: Path) -> None:
        key_path = folder / "ksef-certificates-ca.key.pem"
        cert_path = folder / "ksef-certificates-ca.cert.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{key_path}: not an EC key")
            self.key = key
            self.certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
            return
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "KSeF emulator (ksef-sheets)"),
                x509.NameAttribute(NameOID.COMMON_NAME, "KSeF emulator — certyfikaty KSeF"),
            ]
        )
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=3650 * 3))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        write_private(
            key_path,
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        )
        cert_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issued(self, cert: x509.Certificate) -> bool:
        """Whether ``cert`` carries this CA's signature."""
        if cert.issuer != self.certificate.subject:
            return False
        try:
            cert.verify_directly_issued_by(self.certificate)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    def issue(
        self, csr: x509.CertificateSigningRequest, serial: int, start: dt.datetime, certificate_type: str
    ) -> x509.Certificate:
        public_key = csr.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise ValueError("unsupported key")
        offline = certificate_type == "Offline"
        return (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(start + CERTIFICATE_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=offline,
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
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )


def public_key_sha256(public_key: Any) -> str:
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def read_csr(csr_b64: str, request: Request) -> x509.CertificateSigningRequest:
    bad_format = bad_request(25004, "Niepoprawny format CSR lub niepoprawny podpis CSR.", request=request)
    try:
        csr = x509.load_der_x509_csr(base64.b64decode(csr_b64, validate=True))
    except (binascii.Error, ValueError):
        raise bad_format from None
    if csr.signature_algorithm_oid not in _CSR_SIGNATURES or not isinstance(
        csr.signature_hash_algorithm, _CSR_HASHES
    ):
        raise bad_request(25011, "Nieprawidłowy algorytm podpisu CSR.", request=request)
    try:
        valid = csr.is_signature_valid
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise bad_format
    key = csr.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        ok = key.key_size == 2048
    elif isinstance(key, ec.EllipticCurvePublicKey):
        ok = isinstance(key.curve, ec.SECP256R1)
    else:
        ok = False
    if not ok:
        raise bad_request(25010, "Nieprawidłowy typ lub długość klucza.", request=request)
    return csr


def check_csr_subject(csr: x509.CertificateSigningRequest, data: dict[str, str], request: Request) -> None:
    """The CSR's DN must hold exactly the enrolment data's attributes, values unchanged."""
    expected = {oid.dotted_string: data[field] for field, oid in DATA_FIELDS if data.get(field)}
    actual: dict[str, str] = {}
    for attribute in csr.subject:
        dotted = attribute.oid.dotted_string
        if dotted in actual:
            actual[dotted] = "\x00duplicate"
        else:
            actual[dotted] = attribute_text(attribute.value)
    if actual != expected:
        differing = sorted(
            field
            for field, oid in DATA_FIELDS
            if expected.get(oid.dotted_string) != actual.get(oid.dotted_string)
        )
        extra = sorted(set(actual) - {oid.dotted_string for _, oid in DATA_FIELDS})
        details = [f"Pole {f} różni się od danych do wniosku." for f in differing]
        details += [f"Nieoczekiwany atrybut {oid}." for oid in extra]
        raise bad_request(
            25003,
            "Dane w CSR nie zgadzają się z danymi w użytym wektorze uwierzytelniającym.",
            details,
            request=request,
        )
