"""Rate limits (PROTOCOL.md §16) and context limits (§22) over HTTP, on an accelerated emulator clock."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from ksef_sheets.emulator.limits import PROD_TABLE
from tests.emulator.conftest import CLIENT_NIP, OFFICE_NIP, OTHER_NIP, bearer, token_login
from tests.emulator.openapi_check import check, checked_client

QUERY = {
    "subjectType": "Subject2",
    "dateRange": {
        "dateType": "Invoicing",
        "from": "2026-01-01T00:00:00+01:00",
        "to": "2026-01-31T00:00:00+01:00",
    },
}


@pytest.fixture
def prod_emulator(make_emulator):
    return make_emulator(limits="prod")


def _session(emulator, api, client_nip):
    emulator.permissions.grant_entity(client_nip, OFFICE_NIP, ["InvoiceRead"])
    return token_login(api, client_nip, emulator.tokens.issue(client_nip, OFFICE_NIP, ["InvoiceRead"]))


def test_21st_metadata_query_within_an_hour_gets_429(prod_emulator):
    emulator = prod_emulator.emulator
    with checked_client(prod_emulator.base_url) as api:
        first = _session(emulator, api, CLIENT_NIP)
        second = _session(emulator, api, OTHER_NIP)
        # 4 s apart: never more than 15 a minute or 1 a second, so only the hourly limit (20) bites.
        for _ in range(20):
            response = api.post("/invoices/query/metadata", json=QUERY, headers=first.headers)
            assert response.status_code == 200, response.text
            emulator.clock.advance(timedelta(seconds=4))
        refused = api.post("/invoices/query/metadata", json=QUERY, headers=first.headers)
        assert refused.status_code == 429
        retry_after = int(refused.headers["Retry-After"])
        assert 3600 - 120 <= retry_after <= 3600  # the oldest counted request was ~80 s ago
        assert refused.json()["status"]["code"] == 429
        assert "20" in refused.json()["status"]["details"][0]

        # Another context from the same IP has its own counter.
        other = api.post("/invoices/query/metadata", json=QUERY, headers=second.headers)
        assert other.status_code == 200

        problem = api.post(
            "/invoices/query/metadata",
            json=QUERY,
            headers={**first.headers, "X-Error-Format": "problem-details"},
        )
        assert problem.status_code == 429 and problem.json()["status"] == 429

        emulator.clock.advance(timedelta(seconds=retry_after))
        refreshed = api.post("/auth/token/refresh", headers=bearer(first.refresh_token)).json()
        again = bearer(refreshed["accessToken"]["token"])
        assert api.post("/invoices/query/metadata", json=QUERY, headers=again).status_code == 200


def test_per_second_window_and_rate_limits_endpoint(prod_emulator):
    emulator = prod_emulator.emulator
    with checked_client(prod_emulator.base_url) as api:
        session = _session(emulator, api, CLIENT_NIP)
        effective = api.get("/rate-limits", headers=session.headers).json()
        for group, limit in PROD_TABLE.items():
            assert effective[group] == limit.as_json(), group
        assert effective["invoiceMetadata"] == {"perSecond": 8, "perMinute": 16, "perHour": 20}

        emulator.clock.set_speed(0.000001)  # practically frozen: all requests fall in one second
        codes = [
            api.post("/invoices/query/metadata", json=QUERY, headers=session.headers).status_code
            for _ in range(9)
        ]
        assert codes == [200] * 8 + [429]


def test_off_profile_does_not_limit(make_emulator):
    running = make_emulator(limits="off")
    emulator = running.emulator
    emulator.clock.set_speed(0.000001)
    with checked_client(running.base_url) as api:
        session = _session(emulator, api, CLIENT_NIP)
        codes = {
            api.post("/invoices/query/metadata", json=QUERY, headers=session.headers).status_code
            for _ in range(25)
        }
        assert codes == {200}
        assert api.get("/rate-limits", headers=session.headers).json()["invoiceMetadata"]["perHour"] >= 1000


def test_testdata_rate_limit_knobs(make_emulator):
    running = make_emulator(limits="off")
    emulator = running.emulator
    emulator.clock.set_speed(0.000001)
    with checked_client(running.base_url) as api:
        session = _session(emulator, api, CLIENT_NIP)
        custom = {g: {"perSecond": 100, "perMinute": 1000, "perHour": 10000} for g in PROD_TABLE}
        for group in ("anonymous", "global", "onlineSessionClose", "batchSessionClose"):
            custom.pop(group)
        custom["invoiceMetadata"] = {"perSecond": 2, "perMinute": 5, "perHour": 10}
        assert (
            api.post(
                "/testdata/rate-limits", json={"rateLimits": custom}, headers=session.headers
            ).status_code
            == 200
        )
        assert api.get("/rate-limits", headers=session.headers).json()["invoiceMetadata"]["perSecond"] == 2
        codes = [
            api.post("/invoices/query/metadata", json=QUERY, headers=session.headers).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]

        assert api.delete("/testdata/rate-limits", headers=session.headers).status_code == 200
        assert api.post("/invoices/query/metadata", json=QUERY, headers=session.headers).status_code == 200

        assert api.post("/testdata/rate-limits/production", headers=session.headers).status_code == 200
        assert api.get("/rate-limits", headers=session.headers).json()["invoiceMetadata"]["perSecond"] == 8

    with httpx.Client(base_url=running.base_url) as raw:
        incomplete = raw.post(
            "/testdata/rate-limits",
            json={"rateLimits": {"invoiceMetadata": {"perSecond": 1, "perMinute": 1, "perHour": 1}}},
            headers=session.headers,
        )
        assert check(incomplete, request=False).status_code == 400


def test_custom_limits_survive_restart(make_emulator, tmp_path):
    state = tmp_path / "state"
    first = make_emulator(state_dir=state)
    first.emulator.limits.set_production(CLIENT_NIP)
    second = make_emulator(state_dir=state)
    assert second.emulator.limits.enforced(CLIENT_NIP)
    assert not second.emulator.limits.enforced(OTHER_NIP)


def test_context_limits_and_overrides(fresh_emulator, fresh_api):
    session = _session(fresh_emulator.emulator, fresh_api, CLIENT_NIP)
    limits = fresh_api.get("/limits/context", headers=session.headers).json()
    assert limits["onlineSession"] == {
        "maxInvoiceSizeInMB": 1,
        "maxInvoiceWithAttachmentSizeInMB": 3,
        "maxInvoices": 10000,
    }
    new = {
        "onlineSession": {"maxInvoiceSizeInMB": 2, "maxInvoiceWithAttachmentSizeInMB": 4, "maxInvoices": 5},
        "batchSession": {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 7},
        "collectiveIdentifier": {"maxInvoices": 10},
    }
    assert (
        fresh_api.post("/testdata/limits/context/session", json=new, headers=session.headers).status_code
        == 200
    )
    assert (
        fresh_api.get("/limits/context", headers=session.headers).json()["batchSession"]["maxInvoices"] == 7
    )
    assert fresh_emulator.emulator.context_limits.for_context(CLIENT_NIP)["onlineSession"]["maxInvoices"] == 5
    assert fresh_api.delete("/testdata/limits/context/session", headers=session.headers).status_code == 200
    assert (
        fresh_api.get("/limits/context", headers=session.headers).json()["onlineSession"]["maxInvoices"]
        == 10000
    )

    subject = fresh_api.get("/limits/subject", headers=session.headers).json()
    assert subject["certificate"]["maxCertificates"] > 0
    body = {"subjectIdentifierType": "Nip", "certificate": {"maxCertificates": 2}}
    assert (
        fresh_api.post("/testdata/limits/subject/certificate", json=body, headers=session.headers).status_code
        == 200
    )
    assert (
        fresh_api.get("/limits/subject", headers=session.headers).json()["certificate"]["maxCertificates"]
        == 2
    )
    assert (
        fresh_api.delete("/testdata/limits/subject/certificate", headers=session.headers).status_code == 200
    )


def test_custom_table_from_constructor_counts_other_endpoints_separately(make_emulator):
    running = make_emulator(limits={"other": (2, 100, 1000)})
    emulator = running.emulator
    with checked_client(running.base_url) as api:
        session = _session(emulator, api, CLIENT_NIP)
        emulator.clock.set_speed(0.000001)
        assert [api.get("/rate-limits", headers=session.headers).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        # Each "other" endpoint has its own counter.
        assert api.get("/limits/context", headers=session.headers).status_code == 200
        emulator.clock.advance(timedelta(seconds=1))
        effective = api.get("/rate-limits", headers=session.headers).json()
        assert effective["other"] == {"perSecond": 2, "perMinute": 100, "perHour": 1000}
        assert effective["invoiceMetadata"] == PROD_TABLE["invoiceMetadata"].as_json()
