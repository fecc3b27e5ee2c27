"""Client-side helpers for the invoices engineer's emulator tests (no tests here).

Everything a KSeF client does is written here with ``httpx`` and ``cryptography`` directly —
never with emulator code — so the tests check the emulator against the protocol, not against
itself: token login (PROTOCOL.md §4.2), RSA-OAEP key wrapping and AES-256-CBC (§3).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
import zipfile
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.emulator.openapi_check import check

FA3_FORM = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha256_b64(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def aes_encrypt(key: bytes, iv: bytes, plain: bytes) -> bytes:
    padder = sym_padding.PKCS7(128).padder()
    data = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def aes_decrypt(key: bytes, iv: bytes, cipher: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    data = dec.update(cipher) + dec.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    return unpadder.update(data) + unpadder.finalize()


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def public_key(client: httpx.Client, usage: str) -> tuple[rsa.RSAPublicKey, str]:
    response = client.get("/security/public-key-certificates")
    response.raise_for_status()
    for item in response.json():
        if usage in item["usage"]:
            cert = x509.load_der_x509_certificate(base64.b64decode(item["certificate"]))
            key = cert.public_key()
            assert isinstance(key, rsa.RSAPublicKey)
            return key, item["publicKeyId"]
    raise AssertionError(f"no {usage} key")


@dataclass
class SymmetricKey:
    key: bytes
    iv: bytes
    info: dict[str, Any]  # EncryptionInfo for the request


def new_symmetric_key(client: httpx.Client) -> SymmetricKey:
    rsa_key, key_id = public_key(client, "SymmetricKeyEncryption")
    key, iv = os.urandom(32), os.urandom(16)
    info = {
        "encryptedSymmetricKey": b64(rsa_key.encrypt(key, _oaep())),
        "initializationVector": b64(iv),
        "publicKeyId": key_id,
    }
    return SymmetricKey(key, iv, info)


def login(base_url: str, nip: str, token: str) -> str:
    """Token login in context ``nip`` (PROTOCOL.md §23.1 steps 1–5); returns the access token."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        rsa_key, key_id = public_key(client, "KsefTokenEncryption")
        challenge = client.post("/auth/challenge").json()
        encrypted = rsa_key.encrypt(f"{token}|{challenge['timestampMs']}".encode(), _oaep())
        started = client.post(
            "/auth/ksef-token",
            json={
                "challenge": challenge["challenge"],
                "contextIdentifier": {"type": "Nip", "value": nip},
                "encryptedToken": b64(encrypted),
                "publicKeyId": key_id,
            },
        )
        assert started.status_code == 202, started.text
        auth_token = started.json()["authenticationToken"]["token"]
        ref = started.json()["referenceNumber"]
        headers = {"Authorization": f"Bearer {auth_token}"}
        for _ in range(200):
            status = client.get(f"/auth/{ref}", headers=headers).json()["status"]
            if status["code"] != 100:
                break
            time.sleep(0.02)
        assert status["code"] == 200, status
        redeemed = client.post("/auth/token/redeem", headers=headers)
        assert redeemed.status_code == 200, redeemed.text
        return str(redeemed.json()["accessToken"]["token"])


def api(base_url: str, access_token: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=60)


def checked(response: httpx.Response, status: int | None = None, *, request: bool = True) -> httpx.Response:
    """Assert the status (when given) and that request and response match openapi.json."""
    if status is not None:
        assert response.status_code == status, f"{response.status_code}: {response.text[:2000]}"
    check(response, request=request)
    return response


def exception_code(response: httpx.Response) -> int:
    return int(response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"])


def wait_for(fetch: Any, done: Any, *, tries: int = 300, pause: float = 0.02) -> Any:
    for _ in range(tries):
        value = fetch()
        if done(value):
            return value
        time.sleep(pause)
    raise AssertionError(f"condition not reached; last value: {value}")


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def send_online(
    client: httpx.Client, xml_documents: list[bytes], **send_options: Any
) -> tuple[str, list[str]]:
    """Open an online session, send the documents, return (session ref, invoice refs); not closed."""
    sym = new_symmetric_key(client)
    opened = checked(
        client.post("/sessions/online", json={"formCode": FA3_FORM, "encryption": sym.info}), 201
    )
    ref = opened.json()["referenceNumber"]
    refs = []
    for xml in xml_documents:
        cipher = aes_encrypt(sym.key, sym.iv, xml)
        body = {
            "invoiceHash": sha256_b64(xml),
            "invoiceSize": len(xml),
            "encryptedInvoiceHash": sha256_b64(cipher),
            "encryptedInvoiceSize": len(cipher),
            "encryptedInvoiceContent": b64(cipher),
            **send_options,
        }
        sent = checked(client.post(f"/sessions/online/{ref}/invoices", json=body), 202)
        refs.append(sent.json()["referenceNumber"])
    return ref, refs


def invoice_status(client: httpx.Client, session_ref: str, invoice_ref: str) -> dict[str, Any]:
    def fetch() -> dict[str, Any]:
        return checked(client.get(f"/sessions/{session_ref}/invoices/{invoice_ref}"), 200).json()

    return dict(wait_for(fetch, lambda v: v["status"]["code"] >= 200))
