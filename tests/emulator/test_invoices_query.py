"""POST /invoices/query/metadata and GET /invoices/ksef/{ksefNumber} over loopback HTTP (PROTOCOL.md §13–§14)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import RunningEmulator, run_emulator
from tests.emulator.test_invoices_helpers import api, checked, exception_code, login

WARSAW = ZoneInfo("Europe/Warsaw")
BUDMAX = "7798676685"  # third demo client, scenario 2 (the office has InvoiceRead)
NOWAK = "5210537039"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    # Own emulator: these tests turn the store's knobs (record cap) and add a permission.
    with run_emulator(
        tmp_path_factory.mktemp("emu-query"), office=demo_seed_office(), seed=42, clients=3
    ) as emu:
        yield emu


@pytest.fixture(scope="module")
def client(running: RunningEmulator) -> Iterator[httpx.Client]:
    assert running.seed_info is not None
    token = login(running.base_url, BUDMAX, running.seed_info.client(BUDMAX)["token"])
    with api(running.base_url, token) as http:
        yield http


def window(months_back: int = 3) -> tuple[str, str]:
    end = datetime.now(UTC)
    start = end - timedelta(days=months_back * 30 - 2)
    return start.isoformat(), end.isoformat()


def query(
    client: httpx.Client,
    body: dict[str, Any],
    *,
    page: int = 0,
    size: int = 250,
    order: str = "Asc",
    strict: bool = True,
) -> dict[str, Any]:
    response = client.post(
        "/invoices/query/metadata",
        params={"pageOffset": page, "pageSize": size, "sortOrder": order},
        json=body,
    )
    return dict(checked(response, 200, request=strict).json())


def all_pages(
    client: httpx.Client, body: dict[str, Any], size: int = 250, order: str = "Asc"
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 0
    while True:
        result = query(client, body, page=page, size=size, order=order)
        assert not result["isTruncated"]
        out += result["invoices"]
        if not result["hasMore"]:
            return out
        page += 1


def base_body(subject: str = "Subject2", date_type: str = "PermanentStorage") -> dict[str, Any]:
    start, end = window()
    return {"subjectType": subject, "dateRange": {"dateType": date_type, "from": start, "to": end}}


def test_paging_and_sorting_follow_the_spec(client: httpx.Client) -> None:
    body = base_body()
    big = all_pages(client, body)
    assert len(big) > 60, "the seed should give Budmax dozens of purchases in three months"
    small = all_pages(client, body, size=10)
    assert [m["ksefNumber"] for m in small] == [m["ksefNumber"] for m in big]
    dates = [m["permanentStorageDate"] for m in big]
    assert dates == sorted(dates)
    assert all(m["buyer"]["identifier"] == {"type": "Nip", "value": BUDMAX} for m in big)
    descending = all_pages(client, body, order="Desc")
    assert [m["ksefNumber"] for m in descending] == [m["ksefNumber"] for m in reversed(big)]
    first = query(client, body, size=10)
    assert first["hasMore"] is True and first["isTruncated"] is False and len(first["invoices"]) == 10
    assert first["permanentStorageHwmDate"] is not None


def test_sales_are_subject1_and_issue_dates_sort(client: httpx.Client) -> None:
    sales = all_pages(client, base_body("Subject1", "Issue"))
    assert sales and all(m["seller"]["nip"] == BUDMAX for m in sales)
    assert [m["issueDate"] for m in sales] == sorted(m["issueDate"] for m in sales)
    assert query(client, base_body("Subject1", "Issue"), size=10)["permanentStorageHwmDate"] is None
    assert query(client, base_body("Subject3"), size=10)["invoices"] == []


def test_page_size_bounds_and_sort_order_are_validated(client: httpx.Client) -> None:
    for params in ({"pageSize": 9}, {"pageSize": 251}, {"pageOffset": -1}, {"sortOrder": "Sideways"}):
        response = client.post("/invoices/query/metadata", params=params, json=base_body())
        checked(response, 400, request=False)
        assert exception_code(response) == 21405


def test_hundred_day_window_in_utc(client: httpx.Client) -> None:
    """openapi.json 2.9.0 ``dateRange``: "Maksymalny dozwolony okres wynosi 100 dni w strefie UTC"."""
    start = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)

    def body(end: datetime, offset: str = "+00:00") -> dict[str, Any]:
        zone = WARSAW if offset != "+00:00" else UTC
        return {
            "subjectType": "Subject2",
            "dateRange": {
                "dateType": "Invoicing",
                "from": start.astimezone(zone).isoformat(),
                "to": end.astimezone(zone).isoformat(),
            },
        }

    # 100 days exactly, also when written in Warsaw time across the March clock change: accepted.
    checked(client.post("/invoices/query/metadata", json=body(start + timedelta(days=100))), 200)
    checked(client.post("/invoices/query/metadata", json=body(start + timedelta(days=100), "+02:00")), 200)
    # More than three calendar months (the old rule) but within 100 days: accepted.
    checked(client.post("/invoices/query/metadata", json=body(datetime(2026, 5, 1, 23, 0, tzinfo=UTC))), 200)
    too_long = checked(
        client.post("/invoices/query/metadata", json=body(start + timedelta(days=100, seconds=1))), 400
    )
    assert exception_code(too_long) == 21405
    details = too_long.json()["exception"]["exceptionDetailList"][0]["details"]
    assert details == ["dateRange: zakres dat nie może przekraczać 100 dni (UTC)."]
    # Without "to" the window ends now: from 101 days ago is too long.
    old = {
        "subjectType": "Subject2",
        "dateRange": {"dateType": "Invoicing", "from": (datetime.now(UTC) - timedelta(days=101)).isoformat()},
    }
    assert exception_code(checked(client.post("/invoices/query/metadata", json=old), 400)) == 21405


def test_a_past_windows_hwm_is_its_upper_bound(client: httpx.Client) -> None:
    """``permanentStorageHwmDate``: "Dla okresów starszych, będzie to zgodne z warunkami zapytania";
    for the newest period (``to`` omitted or beyond the HWM) it is the current HWM."""
    end = (datetime.now(UTC) - timedelta(days=20)).replace(microsecond=123000)
    past = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": (end - timedelta(days=60)).isoformat(),
            "to": end.isoformat(),
        },
    }
    assert datetime.fromisoformat(query(client, past, size=10)["permanentStorageHwmDate"]) == end
    restricted = {**past, "dateRange": {**past["dateRange"], "restrictToPermanentStorageHwmDate": True}}
    assert datetime.fromisoformat(query(client, restricted, size=10)["permanentStorageHwmDate"]) == end
    before = datetime.now(UTC)
    open_ended = {**past, "dateRange": {"dateType": "PermanentStorage", "from": past["dateRange"]["from"]}}
    hwm = datetime.fromisoformat(query(client, open_ended, size=10)["permanentStorageHwmDate"])
    assert end + timedelta(days=19) < hwm <= datetime.now(UTC)
    assert hwm >= before - timedelta(seconds=2)  # the current HWM trails the clock by the store's lag


def test_window_edges_are_inclusive_and_dates_without_offset_are_warsaw_time(client: httpx.Client) -> None:
    sample = all_pages(client, base_body())[5]
    stored = datetime.fromisoformat(sample["permanentStorageDate"])
    edge = {
        "subjectType": "Subject2",
        "dateRange": {"dateType": "PermanentStorage", "from": stored.isoformat(), "to": stored.isoformat()},
    }
    found = query(client, edge)["invoices"]
    assert [m["ksefNumber"] for m in found] == [sample["ksefNumber"]]
    local = stored.astimezone(WARSAW).replace(tzinfo=None)
    naive = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": local.isoformat(timespec="milliseconds"),
            "to": local.isoformat(timespec="milliseconds"),
        },
    }
    # openapi-core rejects an offset-less date-time, but KSeF documents it (Warsaw time): response only.
    assert [m["ksefNumber"] for m in query(client, naive, strict=False)["invoices"]] == [sample["ksefNumber"]]
    as_utc = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": stored.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "to": stored.astimezone(UTC).replace(tzinfo=None).isoformat(),
        },
    }
    assert (
        query(client, as_utc, strict=False)["invoices"] == []
    )  # the UTC wall time read as Warsaw time misses it
    after = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": (stored + timedelta(milliseconds=1)).isoformat(),
            "to": (stored + timedelta(milliseconds=1)).isoformat(),
        },
    }
    assert query(client, after)["invoices"] == []


FILTER_CASES: list[tuple[str, Any, Any]] = [
    ("currencyCodes", ["EUR"], lambda m, v: m["currency"] in v),
    ("invoiceTypes", ["Kor", "Zal"], lambda m, v: m["invoiceType"] in v),
    ("invoicingMode", "Offline", lambda m, v: m["invoicingMode"] == v),
    ("invoicingMode", "Online", lambda m, v: m["invoicingMode"] == v),
    ("isSelfInvoicing", False, lambda m, v: m["isSelfInvoicing"] == v),
    ("hasAttachment", False, lambda m, v: m["hasAttachment"] == v),
    ("hasAttachment", True, lambda m, v: m["hasAttachment"] == v),
    ("formType", "FA", lambda m, v: m["formCode"]["value"] == v),
    ("formType", "PEF", lambda m, v: m["formCode"]["value"] == v),
    (
        "amount",
        {"type": "Brutto", "from": 1000.0, "to": 20000.0},
        lambda m, v: v["from"] <= m["grossAmount"] <= v["to"],
    ),
    ("amount", {"type": "Netto", "from": 5000.0}, lambda m, v: m["netAmount"] >= v["from"]),
    ("amount", {"type": "Vat", "to": 500.0}, lambda m, v: m["vatAmount"] <= v["to"]),
    ("amount", {"type": "Brutto", "to": 0.0}, lambda m, v: m["grossAmount"] <= 0),
]


@pytest.mark.parametrize(
    ("name", "value", "keep"), FILTER_CASES, ids=[f"{c[0]}={c[1]}" for c in FILTER_CASES]
)
def test_each_filter_selects_exactly_the_matching_invoices(
    client: httpx.Client, name: str, value: Any, keep: Any
) -> None:
    body = base_body()
    everything = all_pages(client, body)
    expected = [m["ksefNumber"] for m in everything if keep(m, value)]
    got = [m["ksefNumber"] for m in all_pages(client, {**body, name: value})]
    assert got == expected


def test_identity_filters(client: httpx.Client) -> None:
    purchases = all_pages(client, base_body())
    target = purchases[3]
    by_number = all_pages(client, {**base_body(), "ksefNumber": target["ksefNumber"]})
    assert [m["ksefNumber"] for m in by_number] == [target["ksefNumber"]]
    by_invoice_number = all_pages(client, {**base_body(), "invoiceNumber": target["invoiceNumber"]})
    assert target["ksefNumber"] in [m["ksefNumber"] for m in by_invoice_number]
    assert all(m["invoiceNumber"] == target["invoiceNumber"] for m in by_invoice_number)
    seller = target["seller"]["nip"]
    by_seller = all_pages(client, {**base_body(), "sellerNip": seller})
    assert by_seller and [m["ksefNumber"] for m in by_seller] == [
        m["ksefNumber"] for m in purchases if m["seller"]["nip"] == seller
    ]
    sales = all_pages(client, base_body("Subject1"))
    eu = [m for m in sales if m["buyer"]["identifier"]["type"] == "VatUe"]
    assert eu, "the seeded mix sells to an EU buyer"
    ident = eu[0]["buyer"]["identifier"]
    by_buyer = all_pages(client, {**base_body("Subject1"), "buyerIdentifier": ident})
    assert [m["ksefNumber"] for m in by_buyer] == [
        m["ksefNumber"] for m in sales if m["buyer"]["identifier"] == ident
    ]
    consumers = all_pages(client, {**base_body("Subject1"), "buyerIdentifier": {"type": "None"}})
    assert all(m["buyer"]["identifier"]["type"] == "None" for m in consumers)
    bad = client.post(
        "/invoices/query/metadata", json={**base_body(), "ksefNumber": "7798676685-20260101-ABCDEF123456-00"}
    )
    assert exception_code(checked(bad, 400)) == 21405


def test_record_cap_truncates_and_the_documented_recipe_reads_everything(
    running: RunningEmulator, client: httpx.Client
) -> None:
    body = base_body()
    everything = [m["ksefNumber"] for m in all_pages(client, body)]
    store = running.emulator.invoices
    store.query_cap = 25
    try:
        collected: list[str] = []
        page, current = 0, body
        seen_truncated = False
        for _ in range(200):
            result = query(client, current, page=page, size=10)
            collected += [m["ksefNumber"] for m in result["invoices"] if m["ksefNumber"] not in collected]
            assert len(result["invoices"]) <= 10
            if not result["hasMore"]:
                break
            if result["isTruncated"]:
                seen_truncated = True
                assert page == 2 and len(result["invoices"]) == 5  # records 21–25 reach the cap
                last = result["invoices"][-1]["permanentStorageDate"]
                current = {**current, "dateRange": {**current["dateRange"], "from": last}}
                page = 0
            else:
                page += 1
        assert seen_truncated
        assert collected == everything
        beyond = query(client, body, page=3, size=10)
        assert beyond["invoices"] == [] and beyond["isTruncated"] is True
    finally:
        store.query_cap = 10_000


def test_hwm_restriction(client: httpx.Client) -> None:
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    body = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": future,
            "restrictToPermanentStorageHwmDate": True,
        },
    }
    response = checked(client.post("/invoices/query/metadata", json=body), 400)
    assert exception_code(response) == 21183
    start, _ = window()
    capped = query(
        client,
        {
            "subjectType": "Subject2",
            "dateRange": {
                "dateType": "PermanentStorage",
                "from": start,
                "restrictToPermanentStorageHwmDate": True,
            },
        },
    )
    hwm = datetime.fromisoformat(capped["permanentStorageHwmDate"])
    assert hwm <= datetime.now(UTC)
    assert all(datetime.fromisoformat(m["permanentStorageDate"]) <= hwm for m in capped["invoices"])


def test_download_returns_the_stored_bytes_with_their_hash(client: httpx.Client) -> None:
    meta = all_pages(client, base_body())[0]
    response = checked(client.get(f"/invoices/ksef/{meta['ksefNumber']}"), 200)
    assert response.headers["content-type"].startswith("application/xml")
    digest = __import__("base64").b64encode(hashlib.sha256(response.content).digest()).decode()
    assert response.headers["x-ms-meta-hash"] == digest == meta["invoiceHash"]
    assert meta["invoiceNumber"].encode() in response.content
    missing = checked(client.get("/invoices/ksef/7798676685-20260101-ABCDEF123456-5A"), 400)
    assert (
        exception_code(checked(client.get("/invoices/ksef/7798676685-2026-ABCDEF"), 400, request=False))
        == 21405
    )
    assert exception_code(missing) == 21164


def test_download_of_someone_elses_invoice_is_not_found(running: RunningEmulator) -> None:
    assert running.seed_info is not None
    token = login(running.base_url, NOWAK, running.seed_info.client(NOWAK)["token"])
    with (
        api(running.base_url, token) as nowak,
        api(
            running.base_url, login(running.base_url, BUDMAX, running.seed_info.client(BUDMAX)["token"])
        ) as budmax,
    ):
        foreign = all_pages(budmax, base_body())[0]["ksefNumber"]
        assert exception_code(checked(nowak.get(f"/invoices/ksef/{foreign}"), 400)) == 21164


def test_context_without_invoice_read_gets_403(running: RunningEmulator, tmp_path: Path) -> None:
    emu = running.emulator
    outsider = "5261040828"
    emu.subjects.add(outsider, "Firma bez uprawnień do odczytu")
    emu.permissions.grant_entity(BUDMAX, outsider, ["InvoiceWrite"], False)
    token = emu.tokens.issue(BUDMAX, outsider, ["InvoiceWrite"], "tylko wystawianie")
    with api(running.base_url, login(running.base_url, BUDMAX, token)) as http:
        response = http.post("/invoices/query/metadata", json=base_body())
        checked(response, 403)
        assert response.json()["reasonCode"] == "missing-permissions"
        meta_any = http.get("/invoices/ksef/7798676685-20260101-ABCDEF123456-5A")
        checked(meta_any, 403)


def test_production_rate_limits_answer_429_with_retry_after(tmp_path: Path) -> None:
    with run_emulator(
        tmp_path / "emu", office=demo_seed_office(), seed=3, clients=1, limits="prod"
    ) as limited:
        assert limited.seed_info is not None
        token = login(limited.base_url, NOWAK, limited.seed_info.client(NOWAK)["token"])
        body = {"subjectType": "Subject2", "dateRange": {"dateType": "Issue", "from": window()[0]}}
        with api(limited.base_url, token) as http:
            accepted = 0
            for _ in range(25):  # 8/s, 16/min, 20/h: the limit is hit by the 21st request at the latest
                response = http.post("/invoices/query/metadata", json=body)
                if response.status_code != 200:
                    break
                accepted += 1
            assert 8 <= accepted <= 20
            checked(response, 429)
            assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    "extra",
    [
        {"invoiceTypes": ["Faktura"]},
        {"currencyCodes": ["euro"]},
        {"subjectType": "Subject9"},
        {"amount": {"from": 1}},
    ],
)
def test_filters_outside_the_spec_are_refused(client: httpx.Client, extra: dict[str, Any]) -> None:
    response = client.post("/invoices/query/metadata", json={**base_body(), **extra})
    assert exception_code(checked(response, 400, request=False)) == 21405


def test_unreadable_body_is_21001(client: httpx.Client) -> None:
    response = client.post(
        "/invoices/query/metadata", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert exception_code(checked(response, 400, request=False)) == 21001
