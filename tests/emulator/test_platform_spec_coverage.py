"""Every platform operation of openapi.json is exercised once here and validated against the spec.

The walkthrough uses ``checked_client(record=...)``; the test fails if any operation of the
platform's tags was not called (or answered outside its schema).
"""

from __future__ import annotations

import json

import httpx

from tests.emulator.conftest import (
    CLIENT_NIP,
    OFFICE_NIP,
    OTHER_NIP,
    PESEL,
    bearer,
    finish_login,
    make_key,
    owner_login,
    seal_certificate,
    start_token_login,
    start_xades_login,
)
from tests.emulator.openapi_check import check, checked_client, operation_of, spec_path

PLATFORM_TAGS = {
    "Aktywne sesje",
    "Certyfikaty klucza publicznego",
    "Dane testowe",
    "Limity i ograniczenia",
    "Nadawanie uprawnień",
    "Odbieranie uprawnień",
    "Operacje",
    "Tokeny KSeF",
    "Uzyskiwanie dostępu",
    "Wyszukiwanie nadanych uprawnień",
    "Usługi Peppol",
}
PERSON = {"subjectDetailsType": "PersonByIdentifier", "personById": {"firstName": "Ewa", "lastName": "Lis"}}


def platform_operations() -> set[str]:
    spec = json.loads(spec_path().read_text("utf-8"))
    return {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if set(operation.get("tags", [])) & PLATFORM_TAGS
    }


def test_every_platform_operation_answers_per_spec(fresh_emulator):
    seen: set[str] = set()
    with checked_client(fresh_emulator.base_url, record=seen) as api:
        api.get("/security/public-key-certificates")
        api.get("/peppol/query", params={"pageSize": 10})
        api.post(
            "/testdata/subject",
            json={
                "subjectNip": OTHER_NIP,
                "subjectType": "VatGroup",
                "description": "Grupa VAT",
                "subunits": [{"subjectNip": "9512345675", "description": "Członek"}],
            },
        )
        api.post("/testdata/subject/remove", json={"subjectNip": OTHER_NIP})
        api.post(
            "/testdata/person",
            json={"nip": CLIENT_NIP, "pesel": PESEL, "isBailiff": False, "description": "Właściciel"},
        )
        api.post("/testdata/person/remove", json={"nip": CLIENT_NIP})
        grant = {
            "contextIdentifier": {"type": "Nip", "value": CLIENT_NIP},
            "authorizedIdentifier": {"type": "Nip", "value": OFFICE_NIP},
            "permissions": [{"permissionType": "CredentialsRead", "description": "ZAW-FA"}],
        }
        api.post("/testdata/permissions", json=grant)
        api.post(
            "/testdata/permissions/revoke",
            json={k: grant[k] for k in ("contextIdentifier", "authorizedIdentifier")},
        )
        api.post("/testdata/attachment", json={"nip": CLIENT_NIP})
        api.post("/testdata/attachment/revoke", json={"nip": CLIENT_NIP, "expectedEndDate": "2030-01-01"})
        block = {"contextIdentifier": {"type": "Nip", "value": OTHER_NIP}}
        api.post("/testdata/context/block", json=block)
        api.post("/testdata/context/unblock", json=block)

        owner = owner_login(api, CLIENT_NIP)  # challenge, xades-signature, auth status, redeem
        h = owner.headers
        api.post("/auth/token/refresh", headers=bearer(owner.refresh_token))

        entity = api.post(
            "/permissions/entities/grants",
            headers=h,
            json={
                "subjectIdentifier": {"type": "Nip", "value": OFFICE_NIP},
                "permissions": [{"type": "InvoiceRead", "canDelegate": True}],
                "description": "Biuro rachunkowe",
                "subjectDetails": {"fullName": "Biuro Rachunkowe"},
            },
        ).json()["referenceNumber"]
        api.get(f"/permissions/operations/{entity}", headers=h)
        office_owner = owner_login(api, OFFICE_NIP)
        indirect = api.post(
            "/permissions/indirect/grants",
            headers=office_owner.headers,
            json={
                "subjectIdentifier": {"type": "Pesel", "value": PESEL},
                "targetIdentifier": {"type": "Nip", "value": CLIENT_NIP},
                "permissions": ["InvoiceRead"],
                "description": "Księgowa biura",
                "subjectDetails": PERSON,
            },
        ).json()["referenceNumber"]
        status = api.get(f"/permissions/operations/{indirect}", headers=office_owner.headers).json()
        assert status["status"]["code"] == 200
        api.post(
            "/permissions/persons/grants",
            headers=h,
            json={
                "subjectIdentifier": {"type": "Pesel", "value": PESEL},
                "permissions": ["InvoiceRead"],
                "description": "Pracownik klienta",
                "subjectDetails": PERSON,
            },
        )
        api.post(
            "/permissions/authorizations/grants",
            headers=h,
            json={
                "subjectIdentifier": {"type": "Nip", "value": OFFICE_NIP},
                "permission": "SelfInvoicing",
                "description": "Samofakturowanie",
                "subjectDetails": {"fullName": "Biuro Rachunkowe"},
            },
        )
        with checked_client(fresh_emulator.base_url, request=False, record=seen) as loose:
            for path in (
                "/permissions/subunits/grants",
                "/permissions/eu-entities/administration/grants",
                "/permissions/eu-entities/grants",
            ):
                refused = loose.post(path, headers=h, json={})  # not emulated: the spec's 403
                assert refused.status_code == 403

        page = {"pageSize": 10}
        api.post("/permissions/query/personal/grants", headers=h, params=page, json={})
        persons = api.post(
            "/permissions/query/persons/grants",
            headers=h,
            params=page,
            json={"queryType": "PermissionsInCurrentContext"},
        ).json()
        api.post("/permissions/query/subunits/grants", headers=h, params=page, json={})
        api.post("/permissions/query/entities/grants", headers=h, params=page, json={})
        api.get("/permissions/query/entities/roles", headers=h, params=page)
        api.post("/permissions/query/subordinate-entities/roles", headers=h, params=page, json={})
        authorizations = api.post(
            "/permissions/query/authorizations/grants", headers=h, params=page, json={"queryType": "Granted"}
        ).json()
        api.post("/permissions/query/eu-entities/grants", headers=h, params=page, json={})
        api.get("/permissions/attachments/status", headers=h)
        api.delete(f"/permissions/common/grants/{persons['permissions'][0]['id']}", headers=h)
        api.delete(
            f"/permissions/authorizations/grants/{authorizations['authorizationGrants'][0]['id']}", headers=h
        )

        created = api.post(
            "/tokens", headers=h, json={"permissions": ["InvoiceRead"], "description": "Token testowy"}
        ).json()
        api.get("/tokens", headers=h, params={"status": "Pending"})
        api.get(f"/tokens/{created['referenceNumber']}", headers=h)
        api.delete(f"/tokens/{created['referenceNumber']}", headers=h)

        fresh_emulator.emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
        office_token = fresh_emulator.emulator.tokens.issue(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
        office = finish_login(api, start_token_login(api, CLIENT_NIP, office_token))  # ksef-token

        api.get("/rate-limits", headers=h)
        api.get("/limits/context", headers=h)
        api.get("/limits/subject", headers=h)
        api.post(
            "/testdata/limits/context/session",
            headers=h,
            json={
                "onlineSession": {
                    "maxInvoiceSizeInMB": 1,
                    "maxInvoiceWithAttachmentSizeInMB": 3,
                    "maxInvoices": 100,
                },
                "batchSession": {
                    "maxInvoiceSizeInMB": 1,
                    "maxInvoiceWithAttachmentSizeInMB": 3,
                    "maxInvoices": 100,
                },
                "collectiveIdentifier": {"maxInvoices": 100},
            },
        )
        api.delete("/testdata/limits/context/session", headers=h)
        api.post(
            "/testdata/limits/subject/certificate",
            headers=h,
            json={"subjectIdentifierType": "Nip", "certificate": {"maxCertificates": 3}},
        )
        api.delete("/testdata/limits/subject/certificate", headers=h)
        values = {"perSecond": 100, "perMinute": 1000, "perHour": 10000}
        groups = [
            "onlineSession",
            "batchSession",
            "invoiceSend",
            "invoiceStatus",
            "sessionList",
            "sessionInvoiceList",
            "sessionMisc",
            "invoiceMetadata",
            "invoiceExport",
            "invoiceExportStatus",
            "invoiceDownload",
            "collectiveIdentifier",
            "other",
        ]
        api.post("/testdata/rate-limits", headers=h, json={"rateLimits": dict.fromkeys(groups, values)})
        api.post("/testdata/rate-limits/production", headers=h)
        api.delete("/testdata/rate-limits", headers=h)

        api.get("/auth/sessions", headers=h, params=page)
        api.delete(f"/auth/sessions/{office.reference}", headers=h)
        api.delete("/auth/sessions/current", headers=h)

    # KSeF certificates (enrolment, query, revoke, the PUT of test certificates) are walked through
    # in test_certificates.py::test_every_certificate_operation_answers_per_spec.
    not_emulated = {op for op in platform_operations() if "/certificates" in op}
    missing = platform_operations() - not_emulated - seen
    assert not missing, f"platform operations never exercised: {sorted(missing)}"


def test_operation_of_prefers_literal_paths(fresh_emulator):
    with httpx.Client(base_url=fresh_emulator.base_url) as raw:
        response = check(raw.get("/auth/sessions"), request=False)
        assert operation_of(response) == "GET /auth/sessions"
        key = make_key()
        started = start_xades_login(raw, CLIENT_NIP, key, seal_certificate(CLIENT_NIP, key))
        assert operation_of(started) == "POST /auth/xades-signature"
