"""Crypto primitives and the XAdES-signed AuthTokenRequest, checked with independent readers."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from lxml import etree
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

from ksef_sheets.errors import UserError
from ksef_sheets.ksef.credentials import (
    CertificateCredential,
    make_person_certificate,
    make_seal_certificate,
)
from ksef_sheets.ksef.crypto import (
    SymmetricKey,
    aes_cbc_decrypt,
    encrypt_ksef_token,
    sha256_b64,
)
from ksef_sheets.ksef.xades import AUTH_NS_21, build_auth_token_request, signed_auth_request

CHALLENGE = "20250514-CR-0123456789-ABCDEF0123-01"


def test_aes_cbc_has_no_iv_prefix_and_pkcs7_padding() -> None:
    key = SymmetricKey.generate()
    plain = b"x" * 6480  # the spec's example: 6480 → 6496 bytes (one full padding block, no IV)
    cipher = key.encrypt(plain)
    assert len(cipher) == 6496
    assert aes_cbc_decrypt(key.key, key.iv, cipher) == plain
    with pytest.raises(ValueError):
        aes_cbc_decrypt(SymmetricKey.generate().key, key.iv, cipher)


def test_sha256_b64_is_44_chars_standard_base64() -> None:
    value = sha256_b64(b"abc")
    assert len(value) == 44 and value.endswith("=")
    assert base64.b64decode(value) == hashlib.sha256(b"abc").digest()


def test_token_and_session_key_use_oaep_sha256_mgf1_sha256() -> None:
    seal = make_seal_certificate("5260250274", "MF test key")
    private = seal.private_key
    assert isinstance(private, rsa.RSAPrivateKey)
    oaep = OAEP(mgf=MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    encrypted = encrypt_ksef_token(seal.certificate, "TOKEN-VALUE-123", 1747231234567)
    assert private.decrypt(base64.b64decode(encrypted), oaep) == b"TOKEN-VALUE-123|1747231234567"
    key = SymmetricKey.generate()
    info = key.encryption_info(seal.certificate, "key-id")
    assert private.decrypt(base64.b64decode(info["encryptedSymmetricKey"]), oaep) == key.key
    assert base64.b64decode(info["initializationVector"]) == key.iv and info["publicKeyId"] == "key-id"
    # MGF1-SHA1 (the Java default trap) must not decrypt it.
    wrong = OAEP(mgf=MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA256(), label=None)
    with pytest.raises(ValueError):
        private.decrypt(base64.b64decode(encrypted), wrong)


@pytest.mark.parametrize("key_type", ["rsa", "ec"])
@pytest.mark.parametrize("kind", ["seal", "person"])
def test_signed_auth_request_is_valid_xades_and_xsd(ksef_fixtures: Path, key_type: str, kind: str) -> None:
    if kind == "seal":
        credential = make_seal_certificate("5260250274", "Biuro Rachunkowe Test", key_type=key_type)  # type: ignore[arg-type]
    else:
        credential = make_person_certificate("Jan", "Kowalski", nip="5260250274", key_type=key_type)  # type: ignore[arg-type]
    signed = signed_auth_request(
        CHALLENGE, "5210537039", credential, subject_identifier_type="certificateFingerprint"
    )
    cert_pem = credential.certificate.public_bytes(serialization.Encoding.PEM).decode()
    result = XAdESVerifier().verify(signed, x509_cert=cert_pem, expect_config=XAdESSignatureConfiguration())
    assert result  # every reference (document, SignedProperties, KeyInfo) verified
    root = etree.fromstring(signed)
    ns = {"a": AUTH_NS_21, "xades": "http://uri.etsi.org/01903/v1.3.2#"}
    assert root.findtext("a:ContextIdentifier/a:Nip", namespaces=ns) == "5210537039"
    assert root.findtext("a:SubjectIdentifierType", namespaces=ns) == "certificateFingerprint"
    assert root.find(".//xades:SigningTime", ns) is not None
    assert root.find(".//xades:SigningCertificateV2", ns) is not None
    # Without the signature the document is valid against the official XSD.
    unsigned = build_auth_token_request(CHALLENGE, "5210537039")
    schema = etree.XMLSchema(etree.parse(str(ksef_fixtures / "auth" / "schemat_auth_v2-1.xsd")))
    assert schema.validate(unsigned), schema.error_log


def test_tampered_signed_request_fails_verification() -> None:
    credential = make_seal_certificate("5260250274", "Biuro")
    signed = signed_auth_request(CHALLENGE, "5210537039", credential).replace(b"5210537039", b"7010011234")
    cert_pem = credential.certificate.public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(Exception):  # noqa: B017 - signxml raises InvalidDigest/InvalidSignature
        XAdESVerifier().verify(signed, x509_cert=cert_pem, expect_config=XAdESSignatureConfiguration())


def test_pkcs12_and_pem_round_trip(tmp_path: Path) -> None:
    original = make_seal_certificate("5260250274", "Biuro", name="biuro")
    p12 = tmp_path / "biuro.p12"
    p12.write_bytes(original.to_pkcs12(b"haslo-p12"))
    loaded = CertificateCredential.from_files(p12, None, "haslo-p12", name="biuro")
    assert loaded.fingerprint_sha256 == original.fingerprint_sha256
    assert loaded.subject_nip == "5260250274"
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_bytes(original.certificate_pem())
    key.write_bytes(original.private_key_pem(b"haslo-klucza"))
    assert (
        CertificateCredential.from_files(cert, key, "haslo-klucza").fingerprint_sha256
        == original.fingerprint_sha256
    )


def test_wrong_p12_password_and_wrong_key_and_expired_certificate(tmp_path: Path) -> None:
    seal = make_seal_certificate("5260250274", "Biuro")
    p12 = tmp_path / "biuro.p12"
    p12.write_bytes(seal.to_pkcs12(b"dobre-haslo"))
    with pytest.raises(UserError, match=r"biuro\.p12: złe hasło") as wrong_password:
        CertificateCredential.from_files(p12, None, "zle-haslo")
    assert "zle-haslo" not in str(wrong_password.value)

    other = make_seal_certificate("5260250274", "Biuro")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_bytes(seal.certificate_pem())
    key.write_bytes(other.private_key_pem())
    with pytest.raises(UserError, match="nie pasuje do certyfikatu"):
        CertificateCredential.from_files(cert, key)

    old = make_seal_certificate(
        "5260250274", "Biuro", days=30, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    )
    cert.write_bytes(old.certificate_pem())
    key.write_bytes(old.private_key_pem())
    with pytest.raises(UserError, match="wygasł"):
        CertificateCredential.from_files(cert, key)
