"""KSeF certificates in the emulator (PROTOCOL.md §18.4): enrolment after XAdES login, retrieval,
login with the issued certificate, revocation, limits, and the refusals KSeF gives.

The CSR is built here with ``cryptography`` from the enrolment data, as an independent client
would; every exchange of ``api`` is validated against openapi.json.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID, ObjectIdentifier

from tests.emulator.conftest import (
    CLIENT_NIP,
    OFFICE_NIP,
    PESEL,
    Session,
    auth_status,
    finish_login,
    make_key,
    person_certificate,
    seal_certificate,
    start_xades_login,
    token_login,
)
from tests.emulator.openapi_check import check

FIELDS = {
    "commonName": NameOID.COMMON_NAME,
    "countryName": NameOID.COUNTRY_NAME,
    "givenName": NameOID.GIVEN_NAME,
    "surname": NameOID.SURNAME,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "uniqueIdentifier": NameOID.X500_UNIQUE_IDENTIFIER,
    "organizationName": NameOID.ORGANIZATION_NAME,
    "organizationIdentifier": ObjectIdentifier("2.5.4.97"),
}


def build_csr(data: dict[str, Any], key: Any, *, drop: str | None = None) -> str:
    attributes = []
    for field, oid in FIELDS.items():
        value = data.get(field)
        if value and field != drop:
            kind = _ASN1Type.PrintableString if field == "countryName" else _ASN1Type.UTF8String
            attributes.append(x509.NameAttribute(oid, value, _type=kind))
    csr = (
        x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    )
    from cryptography.hazmat.primitives.serialization import Encoding

    return base64.b64encode(csr.public_bytes(Encoding.DER)).decode()


def seal_login(api: httpx.Client, nip: str = OFFICE_NIP) -> Session:
    key = make_key("rsa")
    return finish_login(api, start_xades_login(api, nip, key, seal_certificate(nip, key)))


def enrol(
    api: httpx.Client, session: Session, key: Any, *, kind: str = "Authentication", name: str = "Biuro auth 1"
) -> str:
    data = api.get("/certificates/enrollments/data", headers=session.headers)
    assert data.status_code == 200, data.text
    started = api.post(
        "/certificates/enrollments",
        headers=session.headers,
        json={"certificateName": name, "certificateType": kind, "csr": build_csr(data.json(), key)},
    )
    assert started.status_code == 202, started.text
    status = api.get(
        f"/certificates/enrollments/{started.json()['referenceNumber']}", headers=session.headers
    )
    assert status.status_code == 200, status.text
    assert status.json()["status"]["code"] == 200, status.json()
    return str(status.json()["certificateSerialNumber"])


def retrieve(api: httpx.Client, session: Session, serial: str) -> x509.Certificate:
    got = api.post(
        "/certificates/retrieve", headers=session.headers, json={"certificateSerialNumbers": [serial]}
    )
    assert got.status_code == 200, got.text
    (item,) = got.json()["certificates"]
    assert item["certificateSerialNumber"] == serial
    return x509.load_der_x509_certificate(base64.b64decode(item["certificate"]))


def error_code(response: httpx.Response) -> int:
    check(response, request=False)
    return int(response.json()["exception"]["exceptionDetailList"][0]["exceptionCode"])


def test_enrol_retrieve_login_then_revoke_refuses_login(api):
    session = seal_login(api)
    data = api.get("/certificates/enrollments/data", headers=session.headers).json()
    assert data["organizationIdentifier"] == f"VATPL-{OFFICE_NIP}"
    assert data["countryName"] == "PL" and data["uniqueIdentifier"]
    key = make_key("ec")
    serial = enrol(api, session, key)
    cert = retrieve(api, session, serial)
    assert f"{cert.serial_number:016X}" == serial
    assert cert.issuer != cert.subject  # issued by the emulator's CA, not self-signed
    assert cert.subject.get_attributes_for_oid(ObjectIdentifier("2.5.4.97"))[0].value == f"VATPL-{OFFICE_NIP}"

    # The new certificate logs in (with the chain check on, which self-signed seals fail).
    started = start_xades_login(api, OFFICE_NIP, key, cert, verifyCertificateChain="true")
    status = auth_status(api, started)
    assert status["status"]["code"] == 200, status
    assert status["authenticationMethodInfo"]["code"] == "xades.ksef-certificate"
    listed = api.post("/certificates/query", headers=session.headers, json={}).json()["certificates"]
    (item,) = [c for c in listed if c["certificateSerialNumber"] == serial]
    assert item["status"] == "Active" and item["lastUseDate"]
    assert item["subjectIdentifier"] == {"type": "Nip", "value": OFFICE_NIP}

    revoked = api.post(
        f"/certificates/{serial}/revoke", headers=session.headers, json={"revocationReason": "Superseded"}
    )
    assert revoked.status_code == 204, revoked.text
    refused = auth_status(api, start_xades_login(api, OFFICE_NIP, key, cert))
    assert refused["status"]["code"] == 460
    assert refused["status"]["details"] == ["Certyfikat unieważniony"]
    again = api.post(f"/certificates/{serial}/revoke", headers=session.headers, json={})
    assert error_code(again) == 25009
    only_revoked = api.post("/certificates/query", headers=session.headers, json={"status": "Revoked"}).json()
    assert [c["certificateSerialNumber"] for c in only_revoked["certificates"]] == [serial]


def test_enrolment_after_token_login_is_refused(shared_emulator, api):
    emu = shared_emulator.emulator
    emu.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    token = emu.tokens.issue(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    session = token_login(api, CLIENT_NIP, token)
    assert error_code(api.get("/certificates/enrollments/data", headers=session.headers)) == 25001
    key = make_key("ec")
    body = {
        "certificateName": "Po tokenie",
        "certificateType": "Authentication",
        "csr": build_csr({"commonName": "x", "countryName": "PL"}, key),
    }
    assert error_code(api.post("/certificates/enrollments", headers=session.headers, json=body)) == 25002
    limits = api.get("/certificates/limits", headers=session.headers).json()
    assert limits["canRequest"] is False


def test_limits_per_subject_are_enforced(fresh_api):
    api = fresh_api
    session = seal_login(api, CLIENT_NIP)
    set_limits = api.post(
        "/testdata/limits/subject/certificate",
        headers=session.headers,
        json={
            "subjectIdentifierType": "Nip",
            "enrollment": {"maxEnrollments": 3},
            "certificate": {"maxCertificates": 1},
        },
    )
    assert set_limits.status_code == 200, set_limits.text
    first = enrol(api, session, make_key("ec"), name="Pierwszy")
    limits = api.get("/certificates/limits", headers=session.headers).json()
    assert limits == {
        "canRequest": False,
        "enrollment": {"limit": 3, "remaining": 2},
        "certificate": {"limit": 1, "remaining": 0},
    }
    data = api.get("/certificates/enrollments/data", headers=session.headers).json()
    body = {"certificateName": "Drugi", "certificateType": "Offline", "csr": build_csr(data, make_key("ec"))}
    assert error_code(api.post("/certificates/enrollments", headers=session.headers, json=body)) == 25007
    # Revoking frees a certificate slot; the third request then uses the last enrolment.
    assert api.post(f"/certificates/{first}/revoke", headers=session.headers, json={}).status_code == 204
    enrol(api, session, make_key("rsa"), kind="Offline", name="Drugi")
    assert api.get("/certificates/limits", headers=session.headers).json()["enrollment"]["remaining"] == 1
    api.post(
        "/testdata/limits/subject/certificate",
        headers=session.headers,
        json={"certificate": {"maxCertificates": 5}},
    )
    enrol(api, session, make_key("ec"), name="Trzeci")
    body["csr"] = build_csr(data, make_key("ec"))
    assert error_code(api.post("/certificates/enrollments", headers=session.headers, json=body)) == 25006


def test_person_defaults_and_offline_certificate_cannot_log_in(fresh_api, fresh_emulator):
    api = fresh_api
    fresh_emulator.emulator.subjects.add_person(CLIENT_NIP, PESEL)
    key = make_key("rsa")
    session = finish_login(
        api, start_xades_login(api, CLIENT_NIP, key, person_certificate(f"PNOPL-{PESEL}", key))
    )
    limits = api.get("/certificates/limits", headers=session.headers).json()
    assert limits["enrollment"]["limit"] == 12 and limits["certificate"]["limit"] == 6
    data = api.get("/certificates/enrollments/data", headers=session.headers).json()
    assert (data["givenName"], data["surname"], data["serialNumber"]) == ("Anna", "Nowak", f"PNOPL-{PESEL}")
    offline_key = make_key("ec")
    serial = enrol(api, session, offline_key, kind="Offline", name="Offline Anna")
    cert = retrieve(api, session, serial)
    refused = auth_status(api, start_xades_login(api, CLIENT_NIP, offline_key, cert))
    assert refused["status"]["code"] == 460


def test_bad_requests_get_ksef_codes(fresh_api):
    api = fresh_api
    session = seal_login(api)
    data = api.get("/certificates/enrollments/data", headers=session.headers).json()

    def send(csr: str) -> httpx.Response:
        return api.post(
            "/certificates/enrollments",
            headers=session.headers,
            json={"certificateName": "Biuro test", "certificateType": "Authentication", "csr": csr},
        )

    assert error_code(send(build_csr(data, make_key("ec"), drop="uniqueIdentifier"))) == 25003
    changed = dict(data, commonName="Ktoś inny")
    assert error_code(send(build_csr(changed, make_key("ec")))) == 25003
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    assert error_code(send(build_csr(data, weak))) == 25010
    assert error_code(send(base64.b64encode(b"not a csr").decode())) == 25004
    unknown = api.get(
        "/certificates/enrollments/20250101-EH-0000000000-0000000000-00", headers=session.headers
    )
    assert error_code(unknown) == 25005
    missing = api.post("/certificates/0123456789ABCDEF/revoke", headers=session.headers, json={})
    assert error_code(missing) == 25008
    # Someone else's certificate is not found either.
    serial = enrol(api, session, make_key("ec"))
    other = seal_login(api, CLIENT_NIP)
    assert error_code(api.post(f"/certificates/{serial}/revoke", headers=other.headers, json={})) == 25008
    assert api.post(
        "/certificates/retrieve", headers=other.headers, json={"certificateSerialNumbers": [serial]}
    ).json() == {"certificates": []}


def test_test_certificate_update_expires_it(fresh_api, fresh_emulator):
    api = fresh_api
    session = seal_login(api)
    key = make_key("ec")
    serial = enrol(api, session, key)
    cert = retrieve(api, session, serial)
    past = (fresh_emulator.emulator.clock.now() - dt.timedelta(minutes=1)).isoformat()
    later = (fresh_emulator.emulator.clock.now() + dt.timedelta(days=1)).isoformat()
    assert (
        error_code(
            api.put(f"/testdata/certificates/{serial}", headers=session.headers, json={"validTo": later})
        )
        == 21405
    )
    assert (
        api.put(
            f"/testdata/certificates/{serial}", headers=session.headers, json={"validTo": past}
        ).status_code
        == 200
    )
    listed = api.post("/certificates/query", headers=session.headers, json={}).json()["certificates"]
    assert [c["status"] for c in listed] == ["Expired"]
    assert auth_status(api, start_xades_login(api, OFFICE_NIP, key, cert))["status"]["code"] == 460


def test_ca_survives_a_restart(tmp_path):
    from ksef_sheets.emulator import run_emulator
    from tests.emulator.openapi_check import checked_client

    with run_emulator(tmp_path / "state", limits="off") as running, checked_client(running.base_url) as api:
        session = seal_login(api)
        key = make_key("ec")
        cert = retrieve(api, session, enrol(api, session, key))
    with run_emulator(tmp_path / "state", limits="off") as running, checked_client(running.base_url) as api:
        assert auth_status(api, start_xades_login(api, OFFICE_NIP, key, cert))["status"]["code"] == 200


def test_query_pages(fresh_api):
    api = fresh_api
    page_size = 10
    session = seal_login(api)
    serials = [enrol(api, session, make_key("ec"), name=f"Certyfikat {i:02d}") for i in range(11)]
    first = api.post(
        "/certificates/query", headers=session.headers, params={"pageSize": page_size}, json={}
    ).json()
    second = api.post(
        "/certificates/query",
        headers=session.headers,
        params={"pageSize": page_size, "pageOffset": 1},
        json={},
    ).json()
    assert first["hasMore"] is True and second["hasMore"] is False
    seen = [c["certificateSerialNumber"] for c in first["certificates"] + second["certificates"]]
    assert sorted(seen) == sorted(serials)
    named = api.post("/certificates/query", headers=session.headers, json={"name": "kat 07"}).json()
    assert [c["name"] for c in named["certificates"]] == ["Certyfikat 07"]


def test_every_certificate_operation_answers_per_spec(fresh_emulator):
    from tests.emulator.openapi_check import checked_client, spec_path

    spec = json.loads(spec_path().read_text("utf-8"))
    wanted = {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "Certyfikaty" in operation.get("tags", [])
    }
    seen: set[str] = set()
    with checked_client(fresh_emulator.base_url, record=seen) as api:
        session = seal_login(api)
        api.get("/certificates/limits", headers=session.headers)
        key = make_key("ec")
        serial = enrol(api, session, key)
        retrieve(api, session, serial)
        api.post(
            "/certificates/query",
            headers=session.headers,
            params={"pageSize": 10},
            json={"type": "Authentication"},
        )
        past = (fresh_emulator.emulator.clock.now() - dt.timedelta(seconds=1)).isoformat()
        second = enrol(api, session, make_key("ec"), name="Drugi certyfikat")
        api.put(f"/testdata/certificates/{second}", headers=session.headers, json={"validTo": past})
        api.post(
            f"/certificates/{serial}/revoke",
            headers=session.headers,
            json={"revocationReason": "KeyCompromise"},
        )
    assert wanted - seen == set()
