"""KSeF token management over HTTP (PROTOCOL.md §7): generate, lifecycle, list, revoke."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from tests.emulator.conftest import (
    CLIENT_NIP,
    OFFICE_NIP,
    auth_status,
    owner_login,
    start_token_login,
    token_login,
)
from tests.emulator.openapi_check import check

TOKEN_SHAPE = re.compile(r"^\d{8}-EC-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}\|nip-\d{10}\|[0-9a-f]{64}$")


def test_token_lifecycle(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    owner = owner_login(fresh_api, CLIENT_NIP)
    created = fresh_api.post(
        "/tokens",
        headers=owner.headers,
        json={"permissions": ["InvoiceRead", "InvoiceWrite"], "description": "Token do integracji"},
    )
    assert created.status_code == 202
    token, reference = created.json()["token"], created.json()["referenceNumber"]
    assert TOKEN_SHAPE.match(token) and token.startswith(reference)

    status = fresh_api.get(f"/tokens/{reference}", headers=owner.headers).json()
    assert status["status"] == "Pending"
    assert status["authorIdentifier"] == {"type": "Nip", "value": CLIENT_NIP}
    pending = auth_status(fresh_api, start_token_login(fresh_api, CLIENT_NIP, token))["status"]
    assert pending["code"] == 450 and pending["details"] == ["Token nieaktywny"]

    emulator.clock.advance(timedelta(seconds=2))
    assert fresh_api.get(f"/tokens/{reference}", headers=owner.headers).json()["status"] == "Active"
    session = token_login(fresh_api, CLIENT_NIP, token)
    # A token session sees only its own token without CredentialsRead/Manage.
    listed = fresh_api.get("/tokens", headers=session.headers).json()["tokens"]
    assert [t["referenceNumber"] for t in listed] == [reference]

    assert fresh_api.delete(f"/tokens/{reference}", headers=owner.headers).status_code == 204
    assert fresh_api.get(f"/tokens/{reference}", headers=owner.headers).json()["status"] == "Revoking"
    emulator.clock.advance(timedelta(seconds=2))
    assert fresh_api.get(f"/tokens/{reference}", headers=owner.headers).json()["status"] == "Revoked"
    revoked = auth_status(fresh_api, start_token_login(fresh_api, CLIENT_NIP, token))["status"]
    assert revoked["code"] == 450 and revoked["details"] == ["Token unieważniony"]


def test_token_fails_when_author_loses_permissions_before_activation(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    session = token_login(
        fresh_api, CLIENT_NIP, emulator.tokens.issue(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    )
    created = fresh_api.post(
        "/tokens",
        headers=session.headers,
        json={"permissions": ["InvoiceRead"], "description": "Token pochodny"},
    )
    assert created.status_code == 202
    emulator.permissions.revoke_all(context_value=CLIENT_NIP, subject_type="Nip", subject_value=OFFICE_NIP)
    emulator.clock.advance(timedelta(seconds=2))
    owner = owner_login(fresh_api, CLIENT_NIP)
    item = fresh_api.get(f"/tokens/{created.json()['referenceNumber']}", headers=owner.headers).json()
    assert item["status"] == "Failed" and item["statusDetails"]


def test_listing_filters_and_continuation(fresh_emulator, fresh_api):
    owner = owner_login(fresh_api, CLIENT_NIP)
    references = []
    for i in range(12):
        response = fresh_api.post(
            "/tokens",
            headers=owner.headers,
            json={"permissions": ["InvoiceRead"], "description": f"Token numer {i:02d}"},
        )
        references.append(response.json()["referenceNumber"])
    first = fresh_api.get("/tokens", headers=owner.headers, params={"pageSize": 10}).json()
    assert len(first["tokens"]) == 10 and first["continuationToken"]
    second = fresh_api.get(
        "/tokens",
        headers={**owner.headers, "x-continuation-token": first["continuationToken"]},
        params={"pageSize": 10},
    ).json()
    assert len(second["tokens"]) == 2 and second["continuationToken"] is None
    seen = [t["referenceNumber"] for t in first["tokens"] + second["tokens"]]
    assert sorted(seen) == sorted(references)
    dates = [t["dateCreated"] for t in first["tokens"] + second["tokens"]]
    assert dates == sorted(dates, reverse=True)  # x-sort: dateCreated Desc

    filtered = fresh_api.get(
        "/tokens",
        headers=owner.headers,
        params=[("status", "Pending"), ("status", "Active"), ("description", "numer 07")],
    ).json()["tokens"]
    assert [t["description"] for t in filtered] == ["Token numer 07"]

    with httpx.Client(base_url=fresh_emulator.base_url) as raw:
        bad = raw.get("/tokens", headers={**owner.headers, "x-continuation-token": "not-a-token"})
        assert check(bad, request=False).status_code == 400
        assert bad.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21418
        short = raw.post(
            "/tokens", headers=owner.headers, json={"permissions": ["InvoiceRead"], "description": "ab"}
        )
        assert check(short, request=False).status_code == 400
        unknown = raw.get("/tokens/20260101-EC-0000000000-0000000000-00", headers=owner.headers)
        assert check(unknown).status_code == 400


def test_issue_api_gives_active_token_for_office(fresh_emulator, fresh_api):
    emulator = fresh_emulator.emulator
    emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    token = emulator.tokens.issue(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    assert TOKEN_SHAPE.match(token)
    session = token_login(fresh_api, CLIENT_NIP, token)
    assert fresh_api.get("/rate-limits", headers=session.headers).status_code == 200
    # The secret is stored hashed only.
    stored = emulator.db.execute("SELECT * FROM ksef_tokens").fetchall()
    assert all(token.split("|")[-1] not in " ".join(map(str, tuple(row))) for row in stored)
