"""Faults on demand (5xx, dropped connections, warnings, slow exports) via Python and via HTTP."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from tests.emulator.openapi_check import check


def test_fail_next_from_python(fresh_emulator):
    fresh_emulator.emulator.faults.fail_next(2, status=503, path_prefix="/auth/challenge")
    with httpx.Client(base_url=fresh_emulator.base_url) as client:
        codes = [client.post("/auth/challenge").status_code for _ in range(3)]
        assert codes == [503, 503, 200]
        assert client.get("/security/public-key-certificates").status_code == 200
        fresh_emulator.emulator.faults.fail_next(1, method="GET")
        assert client.post("/auth/challenge").status_code == 200
        failed = client.get("/security/public-key-certificates")
        assert failed.status_code == 500
        assert failed.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 500


def test_dropped_connection(fresh_emulator):
    fresh_emulator.emulator.faults.drop_next(1, path_prefix="/security")
    with httpx.Client(base_url=fresh_emulator.base_url) as client:
        with pytest.raises(httpx.HTTPError):
            client.get("/security/public-key-certificates")
        assert client.get("/security/public-key-certificates").status_code == 200


def test_system_warning_header(fresh_emulator):
    with httpx.Client(base_url=fresh_emulator.base_url) as client:
        echoed = client.post("/auth/challenge", headers={"X-Test-System-Warning": "[9999]: Test ostrzezenia"})
        assert echoed.headers["X-System-Warning"] == "[9999]: Test ostrzezenia"
        check(echoed)
        assert "X-System-Warning" not in client.post("/auth/challenge").headers
        fresh_emulator.emulator.faults.system_warning = "[1]: Planowana przerwa techniczna 16:00-18:00"
        assert client.post("/auth/challenge").headers["X-System-Warning"].startswith("[1]:")


def test_http_fault_endpoint_and_clock(fresh_emulator):
    emulator = fresh_emulator.emulator
    with httpx.Client(base_url=fresh_emulator.base_url) as client:
        set_faults = client.post(
            "/_emulator/faults",
            json={
                "failNext": {"count": 1, "status": 502, "pathPrefix": "/auth"},
                "dropNext": [{"count": 1, "pathPrefix": "/tokens"}],
                "exportDelaySeconds": 120,
                "systemWarning": "[2]: Ostrzeżenie",
            },
        )
        assert set_faults.status_code == 200
        state = client.get("/_emulator/faults").json()
        assert state["failNext"][0]["status"] == 502 and state["exportDelaySeconds"] == 120
        assert emulator.faults.export_delay == timedelta(seconds=120)
        # The emulator-only endpoints are never faulted themselves.
        assert client.get("/_emulator/faults").status_code == 200
        assert client.post("/auth/challenge").status_code == 502
        assert client.post("/auth/challenge").status_code == 200

        assert client.delete("/_emulator/faults").json()["failNext"] == []
        assert emulator.faults.export_delay == timedelta(0) and emulator.faults.system_warning is None

        before = emulator.clock.now()
        moved = client.post("/_emulator/clock", json={"advanceSeconds": 3600, "speed": 2}).json()
        assert moved["speed"] == 2
        assert emulator.clock.now() - before >= timedelta(hours=1)
        bad = client.post("/_emulator/faults", json={"failNext": {"status": 200}})
        assert bad.status_code == 400
