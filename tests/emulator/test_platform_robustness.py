"""Hostile and malformed requests to every platform operation: never a 5xx, always a spec-shaped error."""

from __future__ import annotations

import json
import re
import socket
import time

import httpx
import pytest

from ksef_sheets.emulator import run_emulator
from tests.emulator.conftest import CLIENT_NIP, owner_login
from tests.emulator.openapi_check import check, checked_client, spec_path
from tests.emulator.test_platform_spec_coverage import PLATFORM_TAGS

GARBAGE_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{",
    b'{"a": 1}',
    json.dumps({"subjectIdentifier": {"type": "Nip", "value": 12}, "permissions": "InvoiceRead"}).encode(),
    json.dumps({"contextIdentifier": None, "pageSize": -1, "queryType": 7}).encode(),
    "\udcff".encode("utf-8", "surrogatepass"),
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
]
WEIRD_PARAMS = [
    {},
    {"pageSize": "abc", "pageOffset": "-5"},
    {"pageSize": "100000", "status": "Whatever"},
    {"verifyCertificateChain": "maybe", "description": "ab"},
]


def _operations() -> list[tuple[str, str]]:
    spec = json.loads(spec_path().read_text("utf-8"))
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if set(operation.get("tags", [])) & PLATFORM_TAGS and "/certificates" not in path:
                found.append((method.upper(), path))
    return sorted(found)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "20260101-XX-0000000000-0000000000-00", path)


@pytest.fixture(scope="module")
def owner_headers(shared_emulator) -> dict[str, str]:
    with checked_client(shared_emulator.base_url) as api:
        return owner_login(api, CLIENT_NIP).headers


@pytest.mark.parametrize(("method", "path"), _operations())
def test_malformed_requests_get_spec_errors(shared_emulator, owner_headers, method, path):
    content_type = "application/xml" if path == "/auth/xades-signature" else "application/json"
    cases = [({"Authorization": "Bearer not.a.jwt"}, b"{", {})]
    cases += [(owner_headers, body, params) for body in GARBAGE_BODIES for params in WEIRD_PARAMS[:2]]
    cases += [(owner_headers, b"", params) for params in WEIRD_PARAMS[2:]]
    with httpx.Client(base_url=shared_emulator.base_url) as raw:
        for headers, body, params in cases:
            response = raw.request(
                method,
                _concrete(path),
                content=body if method in ("POST", "PUT") else None,
                params=params,
                headers={**headers, "Content-Type": content_type},
            )
            assert response.status_code < 500, (method, path, body[:40], params, response.text[:300])
            if response.status_code in (400, 401, 403, 410, 429):
                check(response, request=False)


def test_a_client_gone_mid_request_leaves_no_traceback(tmp_path, capfd):
    """Ctrl-C in ``fetch`` (which runs the emulator in-process) must not print a server traceback."""
    with run_emulator(tmp_path / "state", limits="off") as running:
        with socket.create_connection((running.host, running.port), timeout=5) as sock:
            sock.sendall(
                b"POST /v2/auth/ksef-token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 500\r\n\r\n{"challenge":'
            )
            time.sleep(0.2)  # the app is now waiting for the rest of the body
        time.sleep(0.5)  # ... and learns the client has gone
        after = httpx.get(f"{running.base_url}/security/public-key-certificates", timeout=5)
    assert after.status_code == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ClientDisconnect" not in err
