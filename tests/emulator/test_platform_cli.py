"""``ksef-sheets emulator`` as a real subprocess: an independent client logs in with a seeded token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.emulator.conftest import token_login
from tests.emulator.openapi_check import checked_client


def _start(state: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ksef_sheets", "emulator", "--port", "0", "--state", str(state), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("Emulator KSeF działa: "):
            return process, line.split(": ", 1)[1].strip()
    process.kill()
    raise AssertionError(f"emulator did not start: {process.stderr.read() if process.stderr else ''}")


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def test_cli_serves_seeded_emulator_and_keeps_state(tmp_path):
    state = tmp_path / "stan"
    process, base_url = _start(state, "--seed", "42", "--clients", "2")
    try:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v2")
        seed = json.loads((state / "seed.json").read_text("utf-8"))
        client = seed["clients"][0]
        with checked_client(base_url) as api:
            session = token_login(api, client["nip"], client["token"])
            assert api.get("/rate-limits", headers=session.headers).status_code == 200
        # Faults can be set from outside the process.
        with httpx.Client(base_url=base_url) as raw:
            raw.post("/_emulator/faults", json={"failNext": {"status": 503, "pathPrefix": "/auth/challenge"}})
            assert raw.post("/auth/challenge").status_code == 503
    finally:
        code = _stop(process)
    assert code in (0, 130)
    stderr = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in stderr
    assert client["token"] not in stderr

    # A second run reuses the state: same keys, same tokens, no reseeding.
    process, base_url = _start(state, "--seed", "42", "--clients", "2")
    try:
        with checked_client(base_url) as api:
            token_login(api, client["nip"], client["token"])
    finally:
        _stop(process)


def test_cli_rejects_bad_options(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", "emulator", "--limits", "fast", "--state", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "--limits" in result.stderr and "Traceback" not in result.stderr


def test_cli_port_in_use_is_one_polish_sentence(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "ksef_sheets", "emulator", "--port", str(port), "--state", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert (
        result.stderr.startswith("Błąd: Nie można uruchomić emulatora") and "Traceback" not in result.stderr
    )


def test_cli_state_that_is_a_file_is_one_polish_sentence(tmp_path):
    state = tmp_path / "stan.bin"
    state.write_bytes(b"x")
    result = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", "emulator", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"Błąd: {state} jest plikiem") and "--state" in result.stderr


def test_cli_damaged_state_folder_is_one_polish_sentence(tmp_path):
    state = tmp_path / "stan"
    state.mkdir()
    (state / "emulator.sqlite").write_bytes(b"to nie jest baza danych" * 100)
    result = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", "emulator", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "jest uszkodzony" in result.stderr and "--state" in result.stderr
    assert "Traceback" not in result.stderr

    (state / "emulator.sqlite").unlink()
    keys = state / "keys"
    keys.mkdir()
    for name in ("ksef-token-encryption", "symmetric-key-encryption"):
        (keys / f"{name}.key.pem").write_text(
            "-----BEGIN PRIVATE KEY-----\nzepsute\n-----END PRIVATE KEY-----\n"
        )
        (keys / f"{name}.cert.pem").write_text("zepsute")
    result = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", "emulator", "--port", "0", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "kluczy" in result.stderr and "Traceback" not in result.stderr
