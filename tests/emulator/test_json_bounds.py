"""Issue 18 D4: deeply nested or oversized JSON bodies get KSeF's 400/21405 before parsing, on every
route (unauthenticated ones too), with no traceback, and the kept-alive connection stays usable."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import httpx
import pytest

from tests.emulator.openapi_check import check

NESTED = b"[" * 2000 + b"]" * 2000  # 4 kB, 2,000 levels


def _connection(base_url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=30), parts.path


@pytest.mark.parametrize("path", ["/auth/ksef-token", "/testdata/person", "/testdata/subject"])
@pytest.mark.parametrize("problem_details", [False, True])
def test_deep_json_is_refused_and_the_connection_survives(shared_emulator, capfd, path, problem_details):
    conn, base = _connection(shared_emulator.base_url)
    headers = {"Content-Type": "application/json"}
    if problem_details:
        headers["X-Error-Format"] = "problem-details"
    conn.request("POST", base + path, body=NESTED, headers=headers)
    response = conn.getresponse()
    body = json.loads(response.read())
    socket_before = conn.sock
    assert response.status == 400
    assert response.getheader("connection", "").lower() != "close"
    if problem_details:
        assert body["errors"][0]["code"] == 21405
        assert "Zagnieżdżenie" in body["errors"][0]["details"][0]
    else:
        detail = body["exception"]["exceptionDetailList"][0]
        assert detail["exceptionCode"] == 21405
        assert "Zagnieżdżenie JSON przekracza 64" in detail["details"][0]
    # The same socket answers the next request.
    conn.request("POST", base + "/auth/challenge")
    again = conn.getresponse()
    again.read()
    assert again.status == 200 and conn.sock is socket_before
    conn.close()
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "RecursionError" not in captured.out + captured.err


def test_refusals_match_the_spec_and_strings_do_not_count(shared_emulator):
    with httpx.Client(base_url=shared_emulator.base_url) as raw:
        refused = raw.post("/testdata/person", content=NESTED, headers={"Content-Type": "application/json"})
        check(refused, request=False)
        # Without a JSON content type the route's own reader applies the same bound.
        plain = raw.post("/testdata/person", content=NESTED, headers={"Content-Type": "text/plain"})
        assert plain.status_code == 400
        assert "Zagnieżdżenie" in plain.json()["exception"]["exceptionDetailList"][0]["details"][0]
        # Brackets inside a string are text: refused by validation, not by the depth bound.
        text = raw.post(
            "/testdata/person",
            content=json.dumps({"nip": "[" * 500}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert text.status_code == 400
        assert "Zagnieżdżenie" not in text.text


def test_oversized_json_is_refused_and_the_connection_survives(shared_emulator):
    conn, base = _connection(shared_emulator.base_url)
    big = b'{"description": "' + b"a" * 1_200_000 + b'"}'
    conn.request("POST", base + "/testdata/subject", body=big, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = json.loads(response.read())
    socket_before = conn.sock
    assert response.status == 400
    assert "przekracza 1000000 bajtów" in body["exception"]["exceptionDetailList"][0]["details"][0]
    conn.request("GET", base + "/security/public-key-certificates")
    again = conn.getresponse()
    again.read()
    assert again.status == 200 and conn.sock is socket_before
    conn.close()
