"""The shared fixtures other parts use: a seeded emulator an independent client can log into."""

from __future__ import annotations

from ksef_sheets.demo_data import DEMO_CLIENTS
from tests.emulator.conftest import token_login
from tests.emulator.openapi_check import checked_client


def test_session_emulator_is_seeded_and_usable(emulator):
    info = emulator.seed_info
    assert info is not None and info.seed == 42 and len(info.clients) == 3
    assert "token" not in repr(info) and emulator.base_url not in repr(info)
    demo_nips = [str(getattr(c, "nip", "")) for c in DEMO_CLIENTS][:3]
    assert [c["nip"] for c in info.clients] == demo_nips
    with checked_client(emulator.base_url) as api:
        for client in info.clients:
            session = token_login(api, client["nip"], client["token"])
            personal = api.post("/permissions/query/personal/grants", headers=session.headers, json={}).json()
            scopes = {p["permissionScope"] for p in personal["permissions"]}
            expected = {"InvoiceRead", "InvoiceWrite"} if client["scenario"] == 3 else {"InvoiceRead"}
            assert scopes == expected, client["nip"]


def test_make_emulator_reuses_a_state_folder(make_emulator, tmp_path):
    first = make_emulator(state_dir=tmp_path / "biuro", seed=7, clients=1)
    token = first.seed_info.clients[0]["token"]
    second = make_emulator(state_dir=tmp_path / "biuro", seed=7, clients=1)
    assert second.seed_info.clients[0]["token"] == token
    assert second.base_url != first.base_url
    with checked_client(second.base_url) as api:
        token_login(api, second.seed_info.clients[0]["nip"], token)
