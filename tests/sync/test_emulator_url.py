"""``emulator_url`` in ksef-sheets.toml: ``ksef-sheets fetch`` against an emulator that already runs.

An office's shared training server (or a benchmark's emulator, which a peer SDK talks to as well)
is started elsewhere; the office's runs then use it and start none of their own.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ksef_sheets.config import CONFIG_NAME, OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP, demo_seed_office
from ksef_sheets.emulator import Emulator, RunningEmulator, run_emulator
from ksef_sheets.emulator import seed as seeding
from ksef_sheets.errors import UserError
from ksef_sheets.vault import PASSPHRASE_ENV, Vault

from .conftest import PASSPHRASE, assert_archive_matches


def _cli(folder: OfficeFolder, *args: str) -> list[str]:
    return [sys.executable, "-m", "ksef_sheets", "fetch", "--dir", str(folder.root), *args]


@pytest.fixture
def shared_emulator(tmp_path: Path) -> Iterator[tuple[RunningEmulator, Path, list[seeding.SeededClient]]]:
    state = tmp_path / "serwer-szkoleniowy"
    emu = Emulator(state)
    try:
        info = seeding.seed(emu, office=demo_seed_office(), seed=11, clients=1, invoices_per_client=120)
    finally:
        emu.close()
    with run_emulator(state) as running:
        yield running, state, list(info.clients)


def _office(root: Path, url: str, clients: list[str], monkeypatch: pytest.MonkeyPatch) -> OfficeFolder:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    folder = OfficeFolder(root)
    folder.save_config(
        OfficeConfig(
            office_nip=DEMO_OFFICE_NIP,
            office_name=DEMO_OFFICE_NAME,
            clients=clients,
            fetch_from="2026-01-15",
            emulator_url=url,
        )
    )
    return folder


def test_fetch_uses_the_running_emulator_and_starts_none(
    shared_emulator: tuple[RunningEmulator, Path, list[seeding.SeededClient]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running, state, clients = shared_emulator
    # As an office writes it: the address the emulator command prints, without the API's /v2.
    url = running.base_url.removesuffix("/v2")
    folder = _office(tmp_path / "biuro", url, [c.nip for c in clients], monkeypatch)
    assert folder.load_config().emulator_url == running.base_url
    vault = Vault.open(folder, PASSPHRASE)
    for client in clients:
        vault.add_token(client.nip, client.token)

    done = subprocess.run(_cli(folder, "--json"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == []
    total = assert_archive_matches(folder, state, clients)
    assert total > 0 and summary["new"] == total
    # No emulator of the office's own: its state folder was never created.
    assert not folder.emulator_dir.exists()
    assert not (folder.root / folder.load_config().emulator_state).exists()


def test_an_emulator_url_that_does_not_answer_is_one_polish_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = _office(tmp_path / "biuro", f"http://127.0.0.1:{port}", ["5260250274"], monkeypatch)
    Vault.open(folder, PASSPHRASE).add_token(
        "5260250274", "20260101-EC-0000000000-0000000000-00|nip-5260250274|" + "0" * 64
    )

    result = subprocess.run(_cli(folder), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Emulator KSeF pod adresem http://127.0.0.1:{port}/v2" in result.stderr
    assert "nie odpowiada" in result.stderr and "ksef-sheets emulator" in result.stderr
    assert not folder.database.exists()


def test_an_emulator_url_that_is_not_http_names_the_field(tmp_path: Path) -> None:
    folder = OfficeFolder(tmp_path / "biuro")
    folder.root.mkdir()
    (folder.root / CONFIG_NAME).write_text(
        f'office_nip = "{DEMO_OFFICE_NIP}"\noffice_name = "Biuro"\nemulator_url = "127.0.0.1:8123"\n',
        encoding="utf-8",
    )
    with pytest.raises(UserError) as caught:
        folder.load_config()
    assert "emulator_url" in caught.value.message
    assert "musi zaczynać się od http://" in caught.value.message
    assert "Value error" not in caught.value.message
