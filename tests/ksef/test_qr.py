"""KOD I / KOD II verification links (PROTOCOL.md §18.2–18.3), checked against independent computations."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ksef_sheets.errors import UserError
from ksef_sheets.ksef import OfflineSigner, kod_i_url, kod_ii_url, qr_base_for
from ksef_sheets.ksef.qr import verify_signature

XML = b"<Faktura>przyklad</Faktura>"


def _b64url(data: bytes) -> str:
    return base64.b64encode(data).decode().replace("+", "-").replace("/", "_").rstrip("=")


def _certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, serial: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Biuro offline")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def test_kod_i_is_the_spec_format_with_the_sha256_of_the_file() -> None:
    url = kod_i_url(XML, seller_nip="1111111111", issue_date=date(2026, 2, 1), qr_base=qr_base_for("test"))
    expected_hash = _b64url(hashlib.sha256(XML).digest())
    assert url == f"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/{expected_hash}"
    # The same shape as the Ministry's worked example (43 Base64URL characters, no padding).
    assert re.fullmatch(
        r"https://qr-test\.ksef\.mf\.gov\.pl/invoice/\d{10}/\d{2}-\d{2}-\d{4}/[A-Za-z0-9_-]{43}", url
    )


@pytest.mark.parametrize(
    ("environment", "base"),
    [
        ("test", "https://qr-test.ksef.mf.gov.pl"),
        ("demo", "https://qr-demo.ksef.mf.gov.pl"),
        ("prod", "https://qr.ksef.mf.gov.pl"),
        ("emulator", "https://qr.emulator.invalid"),
    ],
)
def test_qr_bases_per_environment(environment: str, base: str) -> None:
    assert qr_base_for(environment) == base


def test_emulator_base_is_the_running_emulators_origin_and_unknown_environment_is_refused() -> None:
    assert qr_base_for("emulator", "http://127.0.0.1:8123/v2") == "http://127.0.0.1:8123"
    with pytest.raises(UserError, match="Nieznane środowisko"):
        qr_base_for("produkcja")


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_kod_ii_signature_verifies_with_the_certificate_and_fails_when_tampered(kind: str) -> None:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    )
    cert = _certificate(key, 0x01F20A5D352AE590)
    url = kod_ii_url(
        XML,
        seller_nip="1111111111",
        context_type="Nip",
        context_value="2222222222",
        signer=OfflineSigner(cert, key),
        qr_base=qr_base_for("test"),
    )
    unsigned, _, signature_text = url.rpartition("/")
    assert unsigned == (
        "https://qr-test.ksef.mf.gov.pl/certificate/Nip/2222222222/1111111111/01F20A5D352AE590/"
        + _b64url(hashlib.sha256(XML).digest())
    )
    signature = base64.urlsafe_b64decode(signature_text + "=" * (-len(signature_text) % 4))
    if kind == "ec":
        assert len(signature) == 64  # IEEE P1363 r‖s, as the spec prefers
    signed = unsigned.removeprefix("https://").encode()
    assert verify_signature(signed, signature, cert)
    tampered = bytearray(signed)
    tampered[-1] ^= 1
    assert not verify_signature(bytes(tampered), signature, cert)


def test_kod_ii_refuses_short_rsa_keys() -> None:
    key = rsa.generate_private_key(65537, 1024)
    with pytest.raises(UserError, match="2048"):
        kod_ii_url(
            XML,
            seller_nip="1111111111",
            context_type="Nip",
            context_value="1111111111",
            signer=OfflineSigner(_certificate(key, 7), key),
            qr_base=qr_base_for("test"),
        )
