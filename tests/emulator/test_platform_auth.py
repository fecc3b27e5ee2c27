"""Authentication against the emulator over loopback HTTP with real crypto (PROTOCOL.md §3–§4).

Every exchange goes through ``checked_client`` and is validated against openapi.json.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from signxml import methods
from signxml.xades import XAdESSigner

from tests.emulator.conftest import (
    CLIENT_NIP,
    OFFICE_NIP,
    OTHER_NIP,
    PESEL,
    auth_status,
    auth_token_request,
    bearer,
    encrypt_token,
    fingerprint,
    finish_login,
    make_key,
    owner_login,
    person_certificate,
    plain_certificate,
    seal_certificate,
    sign_like_official_client,
    sign_xades,
    start_token_login,
    start_xades_login,
    token_encryption_key,
    token_login,
)
from tests.emulator.openapi_check import check


def office_token(emulator, client_nip: str = CLIENT_NIP, permissions=("InvoiceRead",)) -> str:
    """Seeding-style setup: the client gives the office entity permissions and a token."""
    emulator.permissions.grant_entity(client_nip, OFFICE_NIP, list(permissions), can_delegate=True)
    return emulator.tokens.issue(client_nip, OFFICE_NIP, list(permissions), "Token biura (test)")


def test_public_key_certificates_are_real_and_identified(api):
    certs = api.get("/security/public-key-certificates").json()
    assert sorted(u for c in certs for u in c["usage"]) == ["KsefTokenEncryption", "SymmetricKeyEncryption"]
    assert len({c["publicKeyId"] for c in certs}) == 2, "two different keys"
    for item in certs:
        der = base64.b64decode(item["certificate"])
        cert = x509.load_der_x509_certificate(der)
        assert item["certificateId"] == base64.b64encode(hashlib.sha256(der).digest()).decode()
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert item["publicKeyId"] == base64.b64encode(hashlib.sha256(spki).digest()).decode()
        assert cert.public_key().key_size == 2048


def test_token_login_redeem_and_use(shared_emulator, api):
    token = office_token(shared_emulator.emulator)
    started = start_token_login(api, CLIENT_NIP, token)
    assert started.status_code == 202
    assert "-AU-" in started.json()["referenceNumber"]
    status = auth_status(api, started)
    assert status["authenticationMethodInfo"]["category"] == "Token"
    assert status["isTokenRedeemed"] is False
    session = finish_login(api, started)

    limits = api.get("/rate-limits", headers=session.headers)
    assert limits.status_code == 200
    sessions = api.get("/auth/sessions", headers=session.headers).json()["items"]
    current = [s for s in sessions if s["isCurrent"]]
    assert [s["referenceNumber"] for s in current] == [session.reference]
    assert current[0]["isTokenRedeemed"] is True
    # The token's last use is recorded and visible to its author.
    listed = api.get("/tokens", headers=session.headers).json()["tokens"]
    assert listed[0]["status"] == "Active" and "lastUseDate" in listed[0]


def test_redeem_only_once(shared_emulator, api):
    token = office_token(shared_emulator.emulator)
    started = start_token_login(api, CLIENT_NIP, token)
    finish_login(api, started)
    again = api.post("/auth/token/redeem", headers=bearer(started.json()["authenticationToken"]["token"]))
    assert again.status_code == 400
    assert again.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301


@pytest.mark.parametrize(
    ("mutate", "detail"),
    [
        ("wrong_context", "Token nie może być użyty w kontekście"),
        ("wrong_time", "Nieprawidłowy czas tokena"),
        ("unknown_token", "Nieprawidłowy token"),
        ("mgf1_sha1", "Nieprawidłowe szyfrowanie tokena"),
    ],
)
def test_bad_token_login_ends_with_450(shared_emulator, api, mutate, detail):
    token = office_token(shared_emulator.emulator)
    public_key, key_id = token_encryption_key(api)
    challenge = api.post("/auth/challenge").json()
    context, stamp, text = CLIENT_NIP, challenge["timestampMs"], token
    if mutate == "wrong_context":
        context = OTHER_NIP
    elif mutate == "wrong_time":
        stamp += 1
    elif mutate == "unknown_token":
        text = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    if mutate == "mgf1_sha1":
        # The classic Java mistake: OAEP with SHA-256 but MGF1 with SHA-1.
        encrypted = base64.b64encode(
            public_key.encrypt(
                f"{text}|{stamp}".encode(),
                padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None),
            )
        ).decode()
    else:
        encrypted = encrypt_token(public_key, text, stamp)
    started = api.post(
        "/auth/ksef-token",
        json={
            "challenge": challenge["challenge"],
            "contextIdentifier": {"type": "Nip", "value": context},
            "encryptedToken": encrypted,
            "publicKeyId": key_id,
        },
    )
    assert started.status_code == 202
    status = auth_status(api, started)["status"]
    assert status["code"] == 450
    assert any(detail in d for d in status["details"])
    redeem = api.post("/auth/token/redeem", headers=bearer(started.json()["authenticationToken"]["token"]))
    assert redeem.status_code == 400


def test_unknown_public_key_id_is_21470(shared_emulator, api):
    token = office_token(shared_emulator.emulator)
    response = start_token_login(api, CLIENT_NIP, token, publicKeyId=base64.b64encode(b"x" * 32).decode())
    assert response.status_code == 400
    assert response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21470


def test_problem_details_format_on_request(shared_emulator, api):
    response = api.post(
        "/auth/ksef-token",
        json={
            "challenge": "20250101-CR-0000000000-0000000000-00",
            "contextIdentifier": {"type": "Nip", "value": CLIENT_NIP},
            "encryptedToken": base64.b64encode(b"abc").decode(),
        },
        headers={"X-Error-Format": "problem-details"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["code"] == 21111


def test_challenge_expires_after_ten_minutes_and_is_single_use(fresh_emulator, fresh_api):
    token = office_token(fresh_emulator.emulator)
    public_key, _ = token_encryption_key(fresh_api)
    challenge = fresh_api.post("/auth/challenge").json()
    body = {
        "challenge": challenge["challenge"],
        "contextIdentifier": {"type": "Nip", "value": CLIENT_NIP},
        "encryptedToken": encrypt_token(public_key, token, challenge["timestampMs"]),
    }
    fresh_emulator.emulator.clock.advance(timedelta(minutes=10, seconds=1))
    expired = fresh_api.post("/auth/ksef-token", json=body)
    assert expired.status_code == 400
    assert expired.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21111

    challenge = fresh_api.post("/auth/challenge").json()
    body["challenge"] = challenge["challenge"]
    body["encryptedToken"] = encrypt_token(public_key, token, challenge["timestampMs"])
    assert fresh_api.post("/auth/ksef-token", json=body).status_code == 202
    reused = fresh_api.post("/auth/ksef-token", json=body)
    assert reused.status_code == 400


@pytest.mark.parametrize("key_kind", ["rsa", "ec"])
@pytest.mark.parametrize("identity", ["seal", "person_nip", "person_pesel", "fingerprint"])
def test_xades_login(shared_emulator, api, key_kind, identity):
    emulator = shared_emulator.emulator
    key = make_key(key_kind)
    subject_type = "certificateSubject"
    if identity == "seal":
        cert = seal_certificate(CLIENT_NIP, key)
    elif identity == "person_nip":
        cert = person_certificate(f"TINPL-{CLIENT_NIP}", key)
    elif identity == "person_pesel":
        # The person is linked to the NIP on TEST with /testdata/person and becomes its Owner.
        response = api.post(
            "/testdata/person",
            json={"nip": CLIENT_NIP, "pesel": PESEL, "isBailiff": False, "description": "Właściciel JDG"},
        )
        assert response.status_code in (200, 400)  # 400/30001 when a previous case created it
        cert = person_certificate(f"PNOPL-{PESEL}", key)
    else:
        cert = plain_certificate(key)
        subject_type = "certificateFingerprint"
        owner = owner_login(api, CLIENT_NIP)
        grant = api.post(
            "/permissions/persons/grants",
            headers=owner.headers,
            json={
                "subjectIdentifier": {"type": "Fingerprint", "value": fingerprint(cert)},
                "permissions": ["InvoiceRead"],
                "description": "Pracownik z certyfikatem bez identyfikatora",
                "subjectDetails": {
                    "subjectDetailsType": "PersonByFingerprintWithoutIdentifier",
                    "personByFpNoId": {
                        "firstName": "Jan",
                        "lastName": "Kowalski",
                        "birthDate": "1990-01-01",
                        "idDocument": {"type": "Paszport", "number": "AB123456", "country": "PL"},
                    },
                },
            },
        )
        assert grant.status_code == 202, grant.text
    started = start_xades_login(api, CLIENT_NIP, key, cert, subject_type)
    assert started.status_code == 202, started.text
    status = auth_status(api, started)
    assert status["authenticationMethodInfo"]["category"] == "XadesSignature"
    session = finish_login(api, started)
    personal = api.post("/permissions/query/personal/grants", headers=session.headers, json={})
    assert personal.status_code == 200
    if identity == "fingerprint":
        scopes = {p["permissionScope"] for p in personal.json()["permissions"]}
        assert scopes == {"InvoiceRead"}
    else:
        assert "InvoiceWrite" in personal.json()["ownerPermissions"]
    del emulator


def test_xades_without_permission_ends_with_415(api):
    key = make_key()
    started = start_xades_login(api, CLIENT_NIP, key, seal_certificate(OTHER_NIP, key))
    assert started.status_code == 202
    status = auth_status(api, started)["status"]
    assert status["code"] == 415
    redeem = api.post("/auth/token/redeem", headers=bearer(started.json()["authenticationToken"]["token"]))
    assert redeem.status_code == 400


def test_office_seal_uses_entity_permission(shared_emulator, api):
    shared_emulator.emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    key = make_key()
    session = finish_login(api, start_xades_login(api, CLIENT_NIP, key, seal_certificate(OFFICE_NIP, key)))
    token = api.post(
        "/tokens", headers=session.headers, json={"permissions": ["InvoiceWrite"], "description": "Za dużo"}
    )
    assert token.status_code == 400
    assert token.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 26001


def test_verify_certificate_chain_rejects_self_signed(api):
    key = make_key()
    started = start_xades_login(
        api, CLIENT_NIP, key, seal_certificate(CLIENT_NIP, key), verifyCertificateChain="true"
    )
    assert started.status_code == 202
    status = auth_status(api, started)["status"]
    assert status["code"] == 460


def test_expired_certificate_ends_with_460(api):
    key = make_key()
    cert = seal_certificate(CLIENT_NIP, key, days=-1, start_days_ago=10)
    status = auth_status(api, start_xades_login(api, CLIENT_NIP, key, cert))["status"]
    assert status["code"] == 460 and status["details"] == ["Nieważny certyfikat"]


def _xades_error(api, data: bytes) -> int:
    response = api.post("/auth/xades-signature", content=data, headers={"Content-Type": "application/xml"})
    check(response, request=False)
    assert response.status_code == 400, response.text
    return response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"]


def test_xades_rejections(shared_emulator):
    with httpx.Client(base_url=shared_emulator.base_url) as raw:
        challenge = raw.post("/auth/challenge").json()["challenge"]
        key = make_key()
        cert = seal_certificate(CLIENT_NIP, key)
        signed = sign_xades(auth_token_request(challenge, CLIENT_NIP), key, cert)

        tampered = signed.replace(CLIENT_NIP.encode(), OTHER_NIP.encode(), 1)
        assert _xades_error(raw, tampered) == 9105
        unsigned = signed[: signed.index(b"<ds:Signature")] + b"</AuthTokenRequest>"
        assert _xades_error(raw, unsigned) == 9102
        doubled = signed.replace(b"</AuthTokenRequest>", signed[signed.index(b"<ds:Signature") :])
        assert _xades_error(raw, doubled) in (9103, 21001)
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>'
            b"<a>&y;</a>"
        )
        assert _xades_error(raw, bomb) == 21001
        assert _xades_error(raw, b"not xml at all") == 21001

        bad_nip = sign_xades(auth_token_request(challenge, "123"), key, cert)
        assert _xades_error(raw, bad_nip) == 21401

        weak_key = make_key()
        person_no_id = sign_xades(
            auth_token_request(challenge, CLIENT_NIP), weak_key, plain_certificate(weak_key)
        )
        assert _xades_error(raw, person_no_id) == 21115

        unknown_challenge = sign_xades(
            auth_token_request("20250101-CR-0000000000-0000000000-00", CLIENT_NIP), key, cert
        )
        assert _xades_error(raw, unknown_challenge) == 21111

        huge = raw.post(
            "/auth/xades-signature",
            content=b"<a>" + b" " * 2_000_000 + b"</a>",
            headers={"Content-Type": "application/xml"},
        )
        assert check(huge, request=False).status_code == 400
        big_json = raw.post(
            "/auth/ksef-token",
            content=b"[" + b"1," * 600_000 + b"1]",
            headers={"Content-Type": "application/json"},
        )
        assert check(big_json, request=False).status_code == 400

        wrong_type = raw.post("/auth/xades-signature", content=signed, headers={"Content-Type": "text/plain"})
        assert wrong_type.status_code == 415


def test_blocked_context_ends_with_480(api):
    block = {"contextIdentifier": {"type": "Nip", "value": OTHER_NIP}}
    assert api.post("/testdata/context/block", json=block).status_code == 200
    key = make_key()
    status = auth_status(api, start_xades_login(api, OTHER_NIP, key, seal_certificate(OTHER_NIP, key)))
    assert status["status"]["code"] == 480
    assert api.post("/testdata/context/unblock", json=block).status_code == 200
    status = auth_status(api, start_xades_login(api, OTHER_NIP, key, seal_certificate(OTHER_NIP, key)))
    assert status["status"]["code"] == 200


def test_access_token_expires_and_refresh_gives_a_new_one(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    session = token_login(fresh_api, CLIENT_NIP, office_token(emulator))
    assert fresh_api.get("/rate-limits", headers=session.headers).status_code == 200

    emulator.clock.advance(timedelta(minutes=16))
    expired = fresh_api.get("/rate-limits", headers=session.headers)
    assert expired.status_code == 401
    assert expired.headers["content-type"].startswith("application/problem+json")

    refreshed = fresh_api.post("/auth/token/refresh", headers=bearer(session.refresh_token))
    assert refreshed.status_code == 200
    new_access = refreshed.json()["accessToken"]["token"]
    assert fresh_api.get("/rate-limits", headers=bearer(new_access)).status_code == 200
    # Refresh tokens are not access tokens and vice versa.
    assert fresh_api.get("/rate-limits", headers=bearer(session.refresh_token)).status_code == 401
    assert fresh_api.post("/auth/token/refresh", headers=bearer(new_access)).status_code == 401

    emulator.clock.advance(timedelta(days=7, minutes=1))
    assert fresh_api.post("/auth/token/refresh", headers=bearer(session.refresh_token)).status_code == 401


def test_refresh_reflects_current_permissions(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    ids = emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead", "InvoiceWrite"])
    token = emulator.tokens.issue(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead", "InvoiceWrite"])
    session = token_login(fresh_api, CLIENT_NIP, token)
    emulator.permissions.revoke(ids[1])  # InvoiceWrite
    refreshed = fresh_api.post("/auth/token/refresh", headers=bearer(session.refresh_token)).json()
    payload = refreshed["accessToken"]["token"].split(".")[1]
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"InvoiceWrite" not in claims and b"InvoiceRead" in claims


def test_revoking_the_session(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    token = office_token(emulator)
    first = token_login(fresh_api, CLIENT_NIP, token)
    second = token_login(fresh_api, CLIENT_NIP, token)

    assert fresh_api.delete("/auth/sessions/current", headers=first.headers).status_code == 204
    refused = fresh_api.post("/auth/token/refresh", headers=bearer(first.refresh_token))
    assert refused.status_code == 400
    status = fresh_api.get(f"/auth/{first.reference}", headers=bearer(first.authentication_token)).json()
    assert status["status"]["code"] == 425
    # Issued access tokens stay valid until they expire (PROTOCOL.md §4.6).
    assert fresh_api.get("/rate-limits", headers=first.headers).status_code == 200

    assert fresh_api.delete(f"/auth/sessions/{second.reference}", headers=second.headers).status_code == 204
    assert fresh_api.post("/auth/token/refresh", headers=bearer(second.refresh_token)).status_code == 400
    remaining = fresh_api.get("/auth/sessions", headers=second.headers).json()["items"]
    assert first.reference not in {s["referenceNumber"] for s in remaining}


def test_revoked_ksef_token_cannot_log_in(fresh_emulator, fresh_api):
    token = office_token(fresh_emulator.emulator)
    session = token_login(fresh_api, CLIENT_NIP, token)
    reference = token.split("|")[0]
    assert fresh_api.delete(f"/tokens/{reference}", headers=session.headers).status_code == 204
    status = auth_status(fresh_api, start_token_login(fresh_api, CLIENT_NIP, token))["status"]
    assert status["code"] == 450 and status["details"] == ["Token unieważniony"]
    assert fresh_api.post("/auth/token/refresh", headers=bearer(session.refresh_token)).status_code == 400


def test_auth_status_needs_its_own_token(shared_emulator, api):
    token = office_token(shared_emulator.emulator)
    first = start_token_login(api, CLIENT_NIP, token)
    second = start_token_login(api, CLIENT_NIP, token)
    other = api.get(
        f"/auth/{first.json()['referenceNumber']}",
        headers=bearer(second.json()["authenticationToken"]["token"]),
    )
    assert other.status_code == 403
    with httpx.Client(base_url=shared_emulator.base_url) as raw:
        anonymous = check(raw.get(f"/auth/{first.json()['referenceNumber']}"), request=False)
        assert anonymous.status_code == 401
        forged = first.json()["authenticationToken"]["token"][:-3] + "abc"
        refused = raw.get(f"/auth/{first.json()['referenceNumber']}", headers=bearer(forged))
        assert check(refused).status_code == 401


def test_ip_policy_blocks_other_addresses(shared_emulator, api):
    token = office_token(shared_emulator.emulator)
    started = start_token_login(
        api, CLIENT_NIP, token, authorizationPolicy={"allowedIps": {"ip4Addresses": ["10.1.2.3"]}}
    )
    session = finish_login(api, started)
    refused = api.get("/rate-limits", headers=session.headers)
    assert refused.status_code == 403
    assert refused.json()["reasonCode"] == "ip-not-allowed"
    allowed = start_token_login(
        api, CLIENT_NIP, token, authorizationPolicy={"allowedIps": {"ip4Masks": ["127.0.0.0/8"]}}
    )
    assert api.get("/rate-limits", headers=finish_login(api, allowed).headers).status_code == 200


def test_auth_processing_delay_shows_status_100(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    emulator.auth.processing_delay = timedelta(seconds=30)
    started = start_token_login(fresh_api, CLIENT_NIP, office_token(emulator))
    assert auth_status(fresh_api, started)["status"]["code"] == 100
    early = fresh_api.post(
        "/auth/token/redeem", headers=bearer(started.json()["authenticationToken"]["token"])
    )
    assert early.status_code == 400
    emulator.clock.advance(timedelta(seconds=31))
    finish_login(fresh_api, started)


@pytest.mark.parametrize("variant", ["enveloping", "namespace_2_0"])
def test_xades_enveloping_and_namespace_2_0(api, variant):
    key = make_key("ec")
    cert = seal_certificate(CLIENT_NIP, key)
    challenge = api.post("/auth/challenge").json()["challenge"]
    document = auth_token_request(challenge, CLIENT_NIP)
    if variant == "namespace_2_0":
        text = etree.tostring(document).replace(b"/auth/token/2.1", b"/auth/token/2.0")
        signer = XAdESSigner(signature_algorithm="ecdsa-sha256", digest_algorithm="sha256")
    else:
        text = etree.tostring(document)
        signer = XAdESSigner(
            method=methods.enveloping, signature_algorithm="ecdsa-sha256", digest_algorithm="sha256"
        )
    signed = etree.tostring(signer.sign(etree.fromstring(text), key=key, cert=[cert]))
    started = api.post("/auth/xades-signature", content=signed, headers={"Content-Type": "application/xml"})
    assert started.status_code == 202, started.text
    finish_login(api, started)


@pytest.mark.parametrize("key_kind", ["rsa", "ec"])
def test_xades_built_by_hand_like_the_official_client(api, key_kind):
    """No signxml on the client side: exclusive C14N on the document, inclusive C14N 1.0 on
    SignedProperties, SigningCertificate with IssuerSerial, ECDSA as R‖S."""
    key = make_key(key_kind)
    cert = seal_certificate(CLIENT_NIP, key)
    challenge = api.post("/auth/challenge").json()["challenge"]
    signed = sign_like_official_client(auth_token_request(challenge, CLIENT_NIP), key, cert)
    started = api.post("/auth/xades-signature", content=signed, headers={"Content-Type": "application/xml"})
    assert started.status_code == 202, started.text
    finish_login(api, started)


def test_xades_authorization_policy_is_enforced(api):
    key = make_key()
    cert = seal_certificate(CLIENT_NIP, key)
    for ips, expected in ((["10.0.0.1"], 403), (["127.0.0.1"], 200)):
        challenge = api.post("/auth/challenge").json()["challenge"]
        signed = sign_xades(auth_token_request(challenge, CLIENT_NIP, allowed_ips=ips), key, cert)
        started = api.post(
            "/auth/xades-signature", content=signed, headers={"Content-Type": "application/xml"}
        )
        session = finish_login(api, started)
        assert api.get("/rate-limits", headers=session.headers).status_code == expected
