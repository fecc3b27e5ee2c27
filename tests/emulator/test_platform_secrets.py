"""Secrets stay secret: key files are private, tokens never reach logs or error bodies."""

from __future__ import annotations

import logging
import os
import stat
import sys

import pytest

from tests.emulator.conftest import CLIENT_NIP, OFFICE_NIP, bearer, start_token_login, token_login


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_private_key_files_are_owner_only(fresh_emulator):
    folder = fresh_emulator.emulator.state_dir / "keys"
    private = [p for p in folder.iterdir() if p.name.endswith((".key.pem", ".bin"))]
    # Two published keys, the KSeF-certificate CA's key, the JWT secret.
    assert len(private) == 4
    for path in private:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path.name


def test_tokens_never_in_logs_or_error_bodies(fresh_emulator, fresh_api, caplog):
    caplog.set_level(logging.DEBUG)
    emulator = fresh_emulator.emulator
    emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    token = emulator.tokens.issue(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"])
    session = token_login(fresh_api, CLIENT_NIP, token)
    bodies = [
        start_token_login(fresh_api, "7010001453", token).text,  # wrong context
        fresh_api.post("/auth/token/redeem", headers=bearer(session.authentication_token)).text,
        fresh_api.post(
            "/tokens",
            headers=session.headers,
            json={"permissions": ["InvoiceWrite"], "description": "Za dużo"},
        ).text,
    ]
    secret = token.split("|")[-1]
    for text in [*bodies, caplog.text]:
        assert secret not in text
        assert session.refresh_token not in text and session.access_token not in text
