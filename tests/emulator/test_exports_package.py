"""POST /invoices/exports and GET /invoices/exports/{ref}: encrypted, split packages (PROTOCOL.md §15)."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import RunningEmulator, run_emulator
from tests.emulator.test_invoices_helpers import (
    SymmetricKey,
    aes_decrypt,
    api,
    checked,
    exception_code,
    login,
    new_symmetric_key,
    sha256_b64,
    unzip,
    wait_for,
)

BUDMAX = "7798676685"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    # Own emulator: these tests turn the export knobs and the faults.
    with run_emulator(
        tmp_path_factory.mktemp("emu-export"), office=demo_seed_office(), seed=42, clients=3
    ) as emu:
        yield emu


@pytest.fixture
def client(
    running: RunningEmulator,
) -> Iterator[httpx.Client]:  # per test: tests move the clock past token expiry
    assert running.seed_info is not None
    with api(
        running.base_url, login(running.base_url, BUDMAX, running.seed_info.client(BUDMAX)["token"])
    ) as http:
        yield http


def relogin(running: RunningEmulator) -> httpx.Client:
    assert running.seed_info is not None
    return api(running.base_url, login(running.base_url, BUDMAX, running.seed_info.client(BUDMAX)["token"]))


def filters(days: int = 85, **extra: Any) -> dict[str, Any]:
    start = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    return {"subjectType": "Subject2", "dateRange": {"dateType": "PermanentStorage", "from": start, **extra}}


def start_export(
    client: httpx.Client, body_filters: dict[str, Any], sym: SymmetricKey, **options: Any
) -> str:
    response = checked(
        client.post("/invoices/exports", json={"encryption": sym.info, "filters": body_filters, **options}),
        201,
    )
    return str(response.json()["referenceNumber"])


def finished(client: httpx.Client, ref: str) -> dict[str, Any]:
    def fetch() -> dict[str, Any]:
        return dict(checked(client.get(f"/invoices/exports/{ref}"), 200).json())

    return dict(wait_for(fetch, lambda s: s["status"]["code"] != 100))


def download(status: dict[str, Any], sym: SymmetricKey) -> bytes:
    """Fetch every part WITHOUT a token, check sizes and hashes, decrypt, concatenate in order."""
    archive = b""
    for part in sorted(status["package"]["parts"], key=lambda p: p["ordinalNumber"]):
        assert part["method"] == "GET"
        response = httpx.get(part["url"])
        assert response.status_code == 200
        encrypted = response.content
        assert len(encrypted) == part["encryptedPartSize"]
        assert sha256_b64(encrypted) == part["encryptedPartHash"] == response.headers["x-ms-meta-hash"]
        plain = aes_decrypt(sym.key, sym.iv, encrypted)
        assert len(plain) == part["partSize"] and sha256_b64(plain) == part["partHash"]
        archive += plain
    assert len(archive) == status["package"]["size"]
    return archive


def all_metadata(client: httpx.Client, body_filters: dict[str, Any]) -> list[dict[str, Any]]:
    out, page = [], 0
    while True:
        result = checked(
            client.post(
                "/invoices/query/metadata", params={"pageOffset": page, "pageSize": 250}, json=body_filters
            ),
            200,
        ).json()
        out += result["invoices"]
        if not result["hasMore"]:
            return out
        page += 1


def test_export_round_trip_matches_query_and_single_download(client: httpx.Client) -> None:
    body_filters = filters(restrictToPermanentStorageHwmDate=True)
    sym = new_symmetric_key(client)
    status = finished(client, start_export(client, body_filters, sym))
    assert status["status"]["code"] == 200
    package = status["package"]
    assert package["compressionType"] == "Zip" and package["isTruncated"] is False
    assert "lastPermanentStorageDate" not in package
    hwm = datetime.fromisoformat(package["permanentStorageHwmDate"])
    files = unzip(download(status, sym))
    metadata = json.loads(files.pop("_metadata.json"))["invoices"]
    assert package["invoiceCount"] == len(metadata) == len(files) > 50
    expected = [
        m
        for m in all_metadata(client, body_filters)
        if datetime.fromisoformat(m["permanentStorageDate"]) <= hwm
    ]
    assert [m["ksefNumber"] for m in metadata] == [m["ksefNumber"] for m in expected]
    assert metadata == expected
    for meta in metadata[:5]:
        xml = files[f"{meta['ksefNumber']}.xml"]
        single = checked(client.get(f"/invoices/ksef/{meta['ksefNumber']}"), 200)
        assert single.content == xml
        assert single.headers["x-ms-meta-hash"] == sha256_b64(xml) == meta["invoiceHash"]
    assert all(sha256_b64(files[f"{m['ksefNumber']}.xml"]) == m["invoiceHash"] for m in metadata)


def test_parts_split_under_the_cap_and_links_expire(running: RunningEmulator, client: httpx.Client) -> None:
    service = running.emulator.exports
    service.part_size_cap = 20_000
    try:
        sym = new_symmetric_key(client)
        ref = start_export(client, filters(), sym)
        status = finished(client, ref)
    finally:
        service.part_size_cap = 50 * 1024 * 1024
    parts = status["package"]["parts"]
    assert len(parts) > 3
    assert all(part["partSize"] <= 20_000 for part in parts)
    assert [p["ordinalNumber"] for p in parts] == list(range(1, len(parts) + 1))
    assert all(p["partName"].startswith(ref) and p["partName"].endswith(".zip.aes") for p in parts)
    files = unzip(download(status, sym))
    assert len(files) == status["package"]["invoiceCount"] + 1
    assert httpx.get(parts[0]["url"].replace("sig=", "sig=A")).status_code == 403
    running.emulator.clock.advance(timedelta(hours=2))
    try:
        assert httpx.get(parts[0]["url"]).status_code == 403  # the link expired
        with relogin(running) as later:  # the access token expired as well
            fresh = checked(later.get(f"/invoices/exports/{ref}"), 200).json()
        assert (
            httpx.get(fresh["package"]["parts"][0]["url"]).status_code == 200
        )  # regenerated on each status call
    finally:
        running.emulator.clock.advance(timedelta(hours=-2))


def test_truncated_exports_continue_from_the_last_date(
    running: RunningEmulator, client: httpx.Client
) -> None:
    body_filters = filters(restrictToPermanentStorageHwmDate=True)
    everything = [m["ksefNumber"] for m in all_metadata(client, body_filters)]
    service = running.emulator.exports
    service.record_cap = 40
    collected: list[str] = []
    try:
        current = body_filters
        for _ in range(50):
            sym = new_symmetric_key(client)
            status = finished(client, start_export(client, current, sym))
            package = status["package"]
            metadata = json.loads(unzip(download(status, sym))["_metadata.json"])["invoices"]
            collected += [m["ksefNumber"] for m in metadata if m["ksefNumber"] not in collected]
            if not package["isTruncated"]:
                break
            assert package["invoiceCount"] == 40
            assert package["lastPermanentStorageDate"] == metadata[-1]["permanentStorageDate"]
            current = {
                **current,
                "dateRange": {**current["dateRange"], "from": package["lastPermanentStorageDate"]},
            }
    finally:
        service.record_cap = 10_000
    assert datetime.now(UTC) >= datetime.fromisoformat(package["permanentStorageHwmDate"])
    assert len(everything) > 80  # so that the cap of 40 really truncated twice
    assert collected == everything  # adjacent windows, boundary duplicates removed: nothing lost


def test_a_past_windows_package_hwm_is_its_upper_bound(client: httpx.Client) -> None:
    """``InvoicePackage.permanentStorageHwmDate`` for a window wholly in the past is the window's
    upper bound, so a client resuming from it continues with the next window, skipping nothing."""
    end = (datetime.now(UTC) - timedelta(days=30)).replace(microsecond=456000)
    body_filters = filters(days=90, to=end.isoformat(), restrictToPermanentStorageHwmDate=True)
    sym = new_symmetric_key(client)
    package = finished(client, start_export(client, body_filters, sym))["package"]
    assert package["isTruncated"] is False
    assert datetime.fromisoformat(package["permanentStorageHwmDate"]) == end


def test_only_metadata_and_tar_gz(client: httpx.Client) -> None:
    sym = new_symmetric_key(client)
    status = finished(client, start_export(client, filters(), sym, onlyMetadata=True))
    files = unzip(download(status, sym))
    assert list(files) == ["_metadata.json"]
    assert len(json.loads(files["_metadata.json"])["invoices"]) == status["package"]["invoiceCount"] > 0
    sym = new_symmetric_key(client)
    status = finished(client, start_export(client, filters(), sym, compressionType="TarGz"))
    assert status["package"]["compressionType"] == "TarGz"
    assert status["package"]["parts"][0]["partName"].endswith(".tar.gz.aes")
    with tarfile.open(fileobj=io.BytesIO(download(status, sym)), mode="r:gz") as tar:
        names = tar.getnames()
    assert "_metadata.json" in names and len(names) == status["package"]["invoiceCount"] + 1


def test_at_most_ten_exports_run_at_once(running: RunningEmulator, client: httpx.Client) -> None:
    sym = new_symmetric_key(client)
    running.emulator.faults.export_delay = timedelta(minutes=30)
    try:
        refs = [start_export(client, filters(), sym) for _ in range(10)]
        eleventh = client.post("/invoices/exports", json={"encryption": sym.info, "filters": filters()})
        assert exception_code(checked(eleventh, 400)) == 21182
    finally:
        running.emulator.faults.export_delay = timedelta(0)
    running.emulator.clock.advance(timedelta(minutes=31))
    with relogin(running) as later:
        assert all(finished(later, ref)["status"]["code"] == 200 for ref in refs)
        start_export(later, filters(), sym)  # room again


def test_failures_key_hwm_delay_and_unknown_reference(running: RunningEmulator, client: httpx.Client) -> None:
    sym = new_symmetric_key(client)
    garbage_key = {**sym.info, "encryptedSymmetricKey": base64.b64encode(b"\x01" * 256).decode()}
    bad = checked(
        client.post("/invoices/exports", json={"encryption": garbage_key, "filters": filters()}), 201
    )
    assert finished(client, bad.json()["referenceNumber"])["status"]["code"] == 415
    unknown_key = {**sym.info, "publicKeyId": base64.b64encode(b"\x02" * 32).decode()}
    refused = client.post("/invoices/exports", json={"encryption": unknown_key, "filters": filters()})
    assert exception_code(checked(refused, 400)) == 21470
    future = (running.emulator.clock.now() + timedelta(minutes=10)).isoformat()
    beyond = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": future,
            "restrictToPermanentStorageHwmDate": True,
        },
    }
    assert finished(client, start_export(client, beyond, sym))["status"]["code"] == 420
    too_long = filters(days=120)
    assert (
        exception_code(
            checked(client.post("/invoices/exports", json={"encryption": sym.info, "filters": too_long}), 400)
        )
        == 21405
    )
    missing = client.get("/invoices/exports/20261128-EH-0000000000-0000000000-00")
    assert exception_code(checked(missing, 400)) == 21175

    running.emulator.faults.export_delay = timedelta(minutes=5)
    try:
        ref = start_export(client, filters(), sym)
        for _ in range(3):
            assert checked(client.get(f"/invoices/exports/{ref}"), 200).json()["status"]["code"] == 100
        running.emulator.clock.advance(timedelta(minutes=6))
        assert finished(client, ref)["status"]["code"] == 200
    finally:
        running.emulator.faults.export_delay = timedelta(0)
    # Time moves on (this is the module's last test): the package expires, then the status is gone.
    running.emulator.clock.advance(timedelta(days=4))
    with relogin(running) as later:
        assert checked(later.get(f"/invoices/exports/{ref}"), 200).json()["status"]["code"] == 210
    running.emulator.clock.advance(timedelta(days=4))
    with relogin(running) as later:
        checked(later.get(f"/invoices/exports/{ref}"), 410)
