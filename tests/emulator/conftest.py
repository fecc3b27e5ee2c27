"""Fixtures and client-side helpers for the emulator's tests.

The helpers here are the *client's* side of the protocol, written with cryptography/signxml
directly from PROTOCOL.md (§3, §4) — never by importing emulator code — so a test proves that an
independent client and the emulator agree, not that the emulator agrees with itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import NameOID, ObjectIdentifier
from lxml import etree
from signxml.xades import XAdESSigner

from ksef_sheets.emulator import RunningEmulator, run_emulator
from tests.emulator.openapi_check import checked_client

AUTH_NS = "http://ksef.mf.gov.pl/auth/token/2.1"
ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")

# Checksum-valid NIPs used across the platform tests.
CLIENT_NIP = "5265877635"
OFFICE_NIP = "1234563218"
OTHER_NIP = "7010001453"
PESEL = "90010112318"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Session:
    """What a finished login gives the client."""

    reference: str
    authentication_token: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


# --- KSeF token login (client side) -------------------------------------------------------------------
def token_encryption_key(client: httpx.Client) -> tuple[Any, str]:
    certs = client.get("/security/public-key-certificates").json()
    chosen = max(
        (c for c in certs if "KsefTokenEncryption" in c["usage"]),
        key=lambda c: c["validFrom"],
    )
    cert = x509.load_der_x509_certificate(base64.b64decode(chosen["certificate"]))
    return cert.public_key(), chosen["publicKeyId"]


def encrypt_token(public_key: Any, token: str, timestamp_ms: int) -> str:
    ciphertext = public_key.encrypt(
        f"{token}|{timestamp_ms}".encode(),
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    return base64.b64encode(ciphertext).decode()


def start_token_login(client: httpx.Client, context_nip: str, token: str, **extra: Any) -> httpx.Response:
    public_key, key_id = token_encryption_key(client)
    challenge = client.post("/auth/challenge").json()
    body = {
        "challenge": challenge["challenge"],
        "contextIdentifier": {"type": "Nip", "value": context_nip},
        "encryptedToken": encrypt_token(public_key, token, challenge["timestampMs"]),
        "publicKeyId": key_id,
        **extra,
    }
    return client.post("/auth/ksef-token", json=body)


def auth_status(client: httpx.Client, started: httpx.Response) -> dict[str, Any]:
    data = started.json()
    response = client.get(
        f"/auth/{data['referenceNumber']}", headers=bearer(data["authenticationToken"]["token"])
    )
    assert response.status_code == 200, response.text
    return response.json()


def finish_login(client: httpx.Client, started: httpx.Response) -> Session:
    assert started.status_code == 202, started.text
    status = auth_status(client, started)
    assert status["status"]["code"] == 200, status
    auth_token = started.json()["authenticationToken"]["token"]
    redeemed = client.post("/auth/token/redeem", headers=bearer(auth_token))
    assert redeemed.status_code == 200, redeemed.text
    tokens = redeemed.json()
    return Session(
        started.json()["referenceNumber"],
        auth_token,
        tokens["accessToken"]["token"],
        tokens["refreshToken"]["token"],
    )


def token_login(client: httpx.Client, context_nip: str, token: str) -> Session:
    return finish_login(client, start_token_login(client, context_nip, token))


# --- XAdES login (client side) --------------------------------------------------------------------------
def make_key(kind: str = "rsa") -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def self_signed(
    key: Any, attributes: list[x509.NameAttribute], *, days: int = 30, start_days_ago: int = 1
) -> x509.Certificate:
    name = x509.Name(attributes)
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=start_days_ago))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )


def seal_certificate(nip: str, key: Any, **kwargs: Any) -> x509.Certificate:
    """A company seal as TEST accepts it: organizationIdentifier VATPL-<NIP>."""
    return self_signed(
        key,
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Firma {nip}"),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Pieczęć {nip}"),
        ],
        **kwargs,
    )


def person_certificate(serial: str, key: Any) -> x509.Certificate:
    """A person's signature: serialNumber TINPL-<NIP> or PNOPL-<PESEL>."""
    return self_signed(
        key,
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.GIVEN_NAME, "Anna"),
            x509.NameAttribute(NameOID.SURNAME, "Nowak"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
            x509.NameAttribute(NameOID.COMMON_NAME, "Anna Nowak"),
        ],
    )


def plain_certificate(key: Any) -> x509.Certificate:
    return self_signed(key, [x509.NameAttribute(NameOID.COMMON_NAME, "Pracownik bez identyfikatora")])


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex().upper()


def auth_token_request(
    challenge: str, nip: str, subject_type: str = "certificateSubject", allowed_ips: list[str] | None = None
) -> etree._Element:
    root = etree.Element(f"{{{AUTH_NS}}}AuthTokenRequest", nsmap={None: AUTH_NS})
    etree.SubElement(root, f"{{{AUTH_NS}}}Challenge").text = challenge
    context = etree.SubElement(root, f"{{{AUTH_NS}}}ContextIdentifier")
    etree.SubElement(context, f"{{{AUTH_NS}}}Nip").text = nip
    etree.SubElement(root, f"{{{AUTH_NS}}}SubjectIdentifierType").text = subject_type
    if allowed_ips:
        policy = etree.SubElement(root, f"{{{AUTH_NS}}}AuthorizationPolicy")
        ips = etree.SubElement(policy, f"{{{AUTH_NS}}}AllowedIps")
        for ip in allowed_ips:
            etree.SubElement(ips, f"{{{AUTH_NS}}}Ip4Address").text = ip
    return root


def sign_xades(document: etree._Element, key: Any, cert: x509.Certificate) -> bytes:
    algorithm = "ecdsa-sha256" if isinstance(key, ec.EllipticCurvePrivateKey) else "rsa-sha256"
    signer = XAdESSigner(signature_algorithm=algorithm, digest_algorithm="sha256")
    return etree.tostring(signer.sign(document, key=key, cert=[cert]))


XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"


def _c14n(el, exclusive):
    return etree.tostring(el, method="c14n", exclusive=exclusive, with_comments=False)


def sign_like_official_client(document, key, cert):
    """Enveloped XAdES-BES built by hand the way the official C# client lays it out."""

    def ds(n):
        return f"{{{DSIG_NS}}}{n}"

    def xa(n):
        return f"{{{XADES_NS}}}{n}"

    sig = etree.SubElement(document, ds("Signature"), nsmap={"ds": DSIG_NS}, Id="Signature-1")
    signed_info = etree.SubElement(sig, ds("SignedInfo"))
    etree.SubElement(signed_info, ds("CanonicalizationMethod"), Algorithm=EXC_C14N)
    is_ec = isinstance(key, ec.EllipticCurvePrivateKey)
    etree.SubElement(
        signed_info,
        ds("SignatureMethod"),
        Algorithm="http://www.w3.org/2001/04/xmldsig-more#" + ("ecdsa-sha256" if is_ec else "rsa-sha256"),
    )
    ref1 = etree.SubElement(signed_info, ds("Reference"), URI="")
    transforms = etree.SubElement(ref1, ds("Transforms"))
    etree.SubElement(
        transforms, ds("Transform"), Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    )
    etree.SubElement(transforms, ds("Transform"), Algorithm=EXC_C14N)
    etree.SubElement(ref1, ds("DigestMethod"), Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    dv1 = etree.SubElement(ref1, ds("DigestValue"))
    ref2 = etree.SubElement(
        signed_info,
        ds("Reference"),
        URI="#SignedProperties-1",
        Type="http://uri.etsi.org/01903#SignedProperties",
    )
    etree.SubElement(ref2, ds("DigestMethod"), Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    dv2 = etree.SubElement(ref2, ds("DigestValue"))
    sv = etree.SubElement(sig, ds("SignatureValue"))
    ki = etree.SubElement(sig, ds("KeyInfo"))
    x509data = etree.SubElement(ki, ds("X509Data"))
    der = cert.public_bytes(serialization.Encoding.DER)
    etree.SubElement(x509data, ds("X509Certificate")).text = base64.b64encode(der).decode()
    obj = etree.SubElement(sig, ds("Object"))
    qp = etree.SubElement(obj, xa("QualifyingProperties"), nsmap={"xades": XADES_NS}, Target="#Signature-1")
    sp = etree.SubElement(qp, xa("SignedProperties"), Id="SignedProperties-1")
    ssp = etree.SubElement(sp, xa("SignedSignatureProperties"))
    etree.SubElement(ssp, xa("SigningTime")).text = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    sc = etree.SubElement(ssp, xa("SigningCertificate"))
    c = etree.SubElement(sc, xa("Cert"))
    cd = etree.SubElement(c, xa("CertDigest"))
    etree.SubElement(cd, ds("DigestMethod"), Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(cd, ds("DigestValue")).text = base64.b64encode(hashlib.sha256(der).digest()).decode()
    iss = etree.SubElement(c, xa("IssuerSerial"))
    etree.SubElement(iss, ds("X509IssuerName")).text = cert.issuer.rfc4514_string()
    etree.SubElement(iss, ds("X509SerialNumber")).text = str(cert.serial_number)
    # Reference 1: the document without the signature, exclusive C14N.
    copy = etree.fromstring(etree.tostring(document))
    for s in copy.findall(f".//{{{DSIG_NS}}}Signature"):
        s.getparent().remove(s)
    dv1.text = base64.b64encode(hashlib.sha256(_c14n(copy, True)).digest()).decode()
    # Reference 2: no transforms → inclusive C14N 1.0 of the node in its final place.
    dv2.text = base64.b64encode(hashlib.sha256(_c14n(sp, False)).digest()).decode()
    data = _c14n(signed_info, True)
    if is_ec:
        r, s_ = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        size = (key.curve.key_size + 7) // 8
        raw = r.to_bytes(size, "big") + s_.to_bytes(size, "big")
    else:
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    sv.text = base64.b64encode(raw).decode()
    return etree.tostring(document)


def start_xades_login(
    client: httpx.Client,
    nip: str,
    key: Any,
    cert: x509.Certificate,
    subject_type: str = "certificateSubject",
    **params: Any,
) -> httpx.Response:
    challenge = client.post("/auth/challenge").json()["challenge"]
    signed = sign_xades(auth_token_request(challenge, nip, subject_type), key, cert)
    return client.post(
        "/auth/xades-signature", content=signed, headers={"Content-Type": "application/xml"}, params=params
    )


def owner_login(client: httpx.Client, nip: str) -> Session:
    """Log in as the Owner of ``nip`` with a self-signed seal (TEST-style)."""
    key = make_key("rsa")
    return finish_login(client, start_xades_login(client, nip, key, seal_certificate(nip, key)))


# --- fixtures ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shared_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One unseeded emulator per test module, for tests that do not touch clock, faults or limits."""
    with run_emulator(tmp_path_factory.mktemp("platform"), limits="off") as running:
        yield running


@pytest.fixture
def fresh_emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    """A new unseeded emulator for one test (free to move the clock, set faults and limits)."""
    with run_emulator(tmp_path / "state", limits="off") as running:
        yield running


@pytest.fixture
def api(shared_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """A spec-checking client of the module's emulator."""
    with checked_client(shared_emulator.base_url) as client:
        yield client


@pytest.fixture
def fresh_api(fresh_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    with checked_client(fresh_emulator.base_url) as client:
        yield client
