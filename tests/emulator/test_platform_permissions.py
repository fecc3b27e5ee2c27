"""Permissions over HTTP (PROTOCOL.md §6): the accounting-office flow, queries, revocation, checks."""

from __future__ import annotations

import httpx

from tests.emulator.conftest import (
    CLIENT_NIP,
    OFFICE_NIP,
    OTHER_NIP,
    auth_status,
    finish_login,
    make_key,
    owner_login,
    person_certificate,
    start_xades_login,
)
from tests.emulator.openapi_check import check

EMPLOYEE_PESEL = "85121712344"
PERSON_DETAILS = {
    "subjectDetailsType": "PersonByIdentifier",
    "personById": {"firstName": "Ewa", "lastName": "Lis"},
}
QUERY = {
    "subjectType": "Subject2",
    "dateRange": {
        "dateType": "Invoicing",
        "from": "2026-01-01T00:00:00+01:00",
        "to": "2026-01-31T00:00:00+01:00",
    },
}


def operation_code(api: httpx.Client, session, response: httpx.Response) -> int:
    assert response.status_code == 202, response.text
    reference = response.json()["referenceNumber"]
    status = api.get(f"/permissions/operations/{reference}", headers=session.headers)
    assert status.status_code == 200
    return int(status.json()["status"]["code"])


def employee_login(api: httpx.Client, context_nip: str):
    key = make_key("ec")
    return start_xades_login(api, context_nip, key, person_certificate(f"PNOPL-{EMPLOYEE_PESEL}", key))


def test_accounting_office_flow(fresh_api):
    api = fresh_api
    client = owner_login(api, CLIENT_NIP)
    office = owner_login(api, OFFICE_NIP)

    # Before any grant the employee cannot enter the client's context.
    assert auth_status(api, employee_login(api, CLIENT_NIP))["status"]["code"] == 415

    grant = api.post(
        "/permissions/entities/grants",
        headers=client.headers,
        json={
            "subjectIdentifier": {"type": "Nip", "value": OFFICE_NIP},
            "permissions": [{"type": "InvoiceRead", "canDelegate": True}],
            "description": "Biuro rachunkowe prowadzi księgi",
            "subjectDetails": {"fullName": "Biuro Rachunkowe Test"},
        },
    )
    assert operation_code(api, client, grant) == 200

    indirect = api.post(
        "/permissions/indirect/grants",
        headers=office.headers,
        json={
            "subjectIdentifier": {"type": "Pesel", "value": EMPLOYEE_PESEL},
            "targetIdentifier": {"type": "Nip", "value": CLIENT_NIP},
            "permissions": ["InvoiceRead"],
            "description": "Księgowa obsługuje klienta",
            "subjectDetails": PERSON_DETAILS,
        },
    )
    assert operation_code(api, office, indirect) == 200

    # Not delegable for a client that gave the office nothing: the operation fails with 420.
    refused = api.post(
        "/permissions/indirect/grants",
        headers=office.headers,
        json={
            "subjectIdentifier": {"type": "Pesel", "value": EMPLOYEE_PESEL},
            "targetIdentifier": {"type": "Nip", "value": OTHER_NIP},
            "permissions": ["InvoiceRead"],
            "description": "Klient bez umowy",
            "subjectDetails": PERSON_DETAILS,
        },
    )
    assert operation_code(api, office, refused) == 420

    employee = finish_login(api, employee_login(api, CLIENT_NIP))
    assert api.post("/invoices/query/metadata", json=QUERY, headers=employee.headers).status_code == 200
    personal = api.post("/permissions/query/personal/grants", headers=employee.headers, json={}).json()
    assert [(p["permissionScope"], p["targetIdentifier"]["value"]) for p in personal["permissions"]] == [
        ("InvoiceRead", CLIENT_NIP)
    ]
    # The employee holds no CredentialsManage: granting is forbidden with the spec's 403.
    forbidden = api.post(
        "/permissions/persons/grants",
        headers=employee.headers,
        json={
            "subjectIdentifier": {"type": "Pesel", "value": EMPLOYEE_PESEL},
            "permissions": ["InvoiceWrite"],
            "description": "Próba samodzielnego nadania",
            "subjectDetails": PERSON_DETAILS,
        },
    )
    assert forbidden.status_code == 403
    assert forbidden.json()["reasonCode"] == "missing-permissions"
    assert forbidden.json()["security"]["presentPermissions"] == ["InvoiceRead"]
    # Writing invoices needs InvoiceWrite.
    session_open = api.post(
        "/tokens", headers=employee.headers, json={"permissions": ["InvoiceWrite"], "description": "Za dużo"}
    )
    assert session_open.status_code == 400

    received = api.post("/permissions/query/entities/grants", headers=office.headers, json={}).json()
    assert [(p["contextIdentifier"]["value"], p["canDelegate"]) for p in received["permissions"]] == [
        (CLIENT_NIP, True)
    ]
    granted = api.post(
        "/permissions/query/persons/grants",
        headers=office.headers,
        json={"queryType": "PermissionsGrantedInCurrentContext"},
    ).json()["permissions"]
    assert {p["authorizedIdentifier"]["value"] for p in granted} == {EMPLOYEE_PESEL}
    in_client = api.post(
        "/permissions/query/persons/grants",
        headers=client.headers,
        json={"queryType": "PermissionsInCurrentContext"},
    ).json()["permissions"]
    assert [p["targetIdentifier"]["value"] for p in in_client] == [CLIENT_NIP]

    # The client revokes the office's entity permission: the chain breaks at the next login.
    entity_id = api.post("/permissions/query/entities/grants", headers=office.headers, json={}).json()[
        "permissions"
    ][0]["id"]
    wrong_side = api.delete(f"/permissions/common/grants/{entity_id}", headers=office.headers)
    assert operation_code(api, office, wrong_side) == 420
    revoked = api.delete(f"/permissions/common/grants/{entity_id}", headers=client.headers)
    assert operation_code(api, client, revoked) == 200
    assert auth_status(api, employee_login(api, CLIENT_NIP))["status"]["code"] == 415


def test_general_indirect_grant_covers_all_delegating_clients(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"], can_delegate=True)
    emulator.permissions.grant_entity(OTHER_NIP, OFFICE_NIP, ["InvoiceRead"], can_delegate=False)
    office = owner_login(fresh_api, OFFICE_NIP)
    general = fresh_api.post(
        "/permissions/indirect/grants",
        headers=office.headers,
        json={
            "subjectIdentifier": {"type": "Pesel", "value": EMPLOYEE_PESEL},
            "targetIdentifier": {"type": "AllPartners"},
            "permissions": ["InvoiceRead"],
            "description": "Dostęp do wszystkich klientów",
            "subjectDetails": PERSON_DETAILS,
        },
    )
    assert operation_code(fresh_api, office, general) == 200
    assert auth_status(fresh_api, employee_login(fresh_api, CLIENT_NIP))["status"]["code"] == 200
    assert auth_status(fresh_api, employee_login(fresh_api, OTHER_NIP))["status"]["code"] == 415


def test_query_paging_and_filters(fresh_emulator, fresh_api):
    client = owner_login(fresh_api, CLIENT_NIP)
    for i in range(12):
        pesel = f"8001011{i:03d}"
        pesel = pesel + str(
            (10 - sum(int(d) * w for d, w in zip(pesel, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3), strict=True)) % 10)
            % 10
        )
        response = fresh_api.post(
            "/permissions/persons/grants",
            headers=client.headers,
            json={
                "subjectIdentifier": {"type": "Pesel", "value": pesel},
                "permissions": ["InvoiceRead", "Introspection"] if i % 2 else ["InvoiceRead"],
                "description": f"Pracownik numer {i}",
                "subjectDetails": PERSON_DETAILS,
            },
        )
        assert operation_code(fresh_api, client, response) == 200
    body = {"queryType": "PermissionsInCurrentContext"}
    first = fresh_api.post(
        "/permissions/query/persons/grants?pageSize=10", headers=client.headers, json=body
    ).json()
    assert len(first["permissions"]) == 10 and first["hasMore"] is True
    second = fresh_api.post(
        "/permissions/query/persons/grants?pageSize=10&pageOffset=1", headers=client.headers, json=body
    ).json()
    assert len(second["permissions"]) == 8 and second["hasMore"] is False
    ids = {p["id"] for p in first["permissions"]} | {p["id"] for p in second["permissions"]}
    assert len(ids) == 18
    only = fresh_api.post(
        "/permissions/query/persons/grants?pageSize=100",
        headers=client.headers,
        json={**body, "permissionTypes": ["Introspection"]},
    ).json()["permissions"]
    assert len(only) == 6 and {p["permissionScope"] for p in only} == {"Introspection"}
    with httpx.Client(base_url=fresh_emulator.base_url) as raw:
        bad = raw.post("/permissions/query/persons/grants?pageSize=5", headers=client.headers, json=body)
        assert check(bad, request=False).status_code == 400


def test_testdata_permissions_and_subjects(fresh_emulator, fresh_api):
    api = fresh_api
    grant = {
        "contextIdentifier": {"type": "Nip", "value": CLIENT_NIP},
        "authorizedIdentifier": {"type": "Pesel", "value": EMPLOYEE_PESEL},
        "permissions": [{"permissionType": "InvoiceRead", "description": "ZAW-FA (test)"}],
    }
    assert api.post("/testdata/permissions", json=grant).status_code == 200
    employee = finish_login(api, employee_login(api, CLIENT_NIP))
    listed = api.post("/permissions/query/personal/grants", headers=employee.headers, json={}).json()
    assert [p["permissionScope"] for p in listed["permissions"]] == ["InvoiceRead"]
    revoke = {
        "contextIdentifier": grant["contextIdentifier"],
        "authorizedIdentifier": grant["authorizedIdentifier"],
    }
    assert api.post("/testdata/permissions/revoke", json=revoke).status_code == 200
    assert auth_status(api, employee_login(api, CLIENT_NIP))["status"]["code"] == 415

    subject = {
        "subjectNip": OTHER_NIP,
        "subjectType": "EnforcementAuthority",
        "description": "Urząd skarbowy",
    }
    assert api.post("/testdata/subject", json=subject).status_code == 200
    again = api.post("/testdata/subject", json=subject)
    assert again.status_code == 400
    assert again.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 30001
    authority = owner_login(api, OTHER_NIP)
    roles = api.get("/permissions/query/entities/roles", headers=authority.headers).json()
    assert [r["role"] for r in roles["roles"]] == ["EnforcementAuthority"]
    assert api.post("/testdata/subject/remove", json={"subjectNip": OTHER_NIP}).status_code == 200

    client = owner_login(api, CLIENT_NIP)
    assert (
        api.get("/permissions/attachments/status", headers=client.headers).json()["isAttachmentAllowed"]
        is False
    )
    assert api.post("/testdata/attachment", json={"nip": CLIENT_NIP}).status_code == 200
    assert (
        api.get("/permissions/attachments/status", headers=client.headers).json()["isAttachmentAllowed"]
        is True
    )
    assert api.post("/testdata/attachment/revoke", json={"nip": CLIENT_NIP}).status_code == 200
    assert (
        api.get("/permissions/attachments/status", headers=client.headers).json()["isAttachmentAllowed"]
        is False
    )

    with httpx.Client(base_url=fresh_emulator.base_url) as raw:
        bad_nip = raw.post(
            "/testdata/person",
            json={"nip": "1234567890", "pesel": EMPLOYEE_PESEL, "isBailiff": False, "description": "x"},
        )
        assert check(bad_nip, request=False).status_code == 400


def test_authorization_grants(fresh_api):
    client = owner_login(fresh_api, CLIENT_NIP)
    response = fresh_api.post(
        "/permissions/authorizations/grants",
        headers=client.headers,
        json={
            "subjectIdentifier": {"type": "Nip", "value": OFFICE_NIP},
            "permission": "SelfInvoicing",
            "description": "Samofakturowanie przez odbiorcę",
            "subjectDetails": {"fullName": "Biuro Rachunkowe Test"},
        },
    )
    assert operation_code(fresh_api, client, response) == 200
    granted = fresh_api.post(
        "/permissions/query/authorizations/grants", headers=client.headers, json={"queryType": "Granted"}
    ).json()
    assert [g["authorizationScope"] for g in granted["authorizationGrants"]] == ["SelfInvoicing"]
    # Authorizations give no access to invoices: the office still cannot log into the client.
    key = make_key()
    from tests.emulator.conftest import seal_certificate

    started = start_xades_login(fresh_api, CLIENT_NIP, key, seal_certificate(OFFICE_NIP, key))
    assert auth_status(fresh_api, started)["status"]["code"] == 415


def test_unknown_operation_reference(fresh_emulator, fresh_api):
    client = owner_login(fresh_api, CLIENT_NIP)
    response = fresh_api.get(
        "/permissions/operations/20260101-EG-0000000000-0000000000-00", headers=client.headers
    )
    assert response.status_code == 400
