"""Every time a person reads is Polish time, whatever the machine's time zone (a server on UTC).

The demo office fetches one client from the emulator with ``TZ=UTC``; the register's *Pulpit*
("odświeżono …") and *Klienci* ("Ostatnie pobranie") and the run's log must show the same Warsaw wall clock.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import DEMO_CLIENTS, demo_office_data, demo_seed_office
from ksef_sheets.emulator import run_emulator
from ksef_sheets.text import warsaw_time
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import init_office

from .conftest import table_rows

PASSPHRASE = "hasło-czasu-warszawskiego"
CLIENT = DEMO_CLIENTS[0]


def _wall_clock() -> datetime:
    return warsaw_time(datetime.now(UTC)).replace(second=0, microsecond=0, tzinfo=None)


@pytest.mark.skipif(not hasattr(__import__("time"), "tzset"), reason="TZ is honoured on POSIX only")
def test_fetch_on_a_utc_machine_writes_warsaw_times_in_both_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    folder = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    config = folder.load_config()
    with run_emulator(
        folder.root / config.emulator_state, office=demo_seed_office(), seed=11, clients=1
    ) as running:
        assert running.seed_info is not None
        vault = Vault.open(folder)
        for client in running.seed_info.clients:
            vault.add_token(client["nip"], client["token"])

    env = {**os.environ, "TZ": "UTC", PASSPHRASE_ENV: PASSPHRASE}
    before = _wall_clock()
    result = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", "fetch", "--dir", str(folder.root), "--client", CLIENT.nip],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    after = _wall_clock()
    assert result.returncode == 0, result.stderr

    # Warsaw is UTC+1 or UTC+2, so a time written from the machine's UTC clock falls outside.
    _, clients = table_rows(folder.office_workbook, "Klienci")
    fetched = next(r["Ostatnie pobranie"] for r in clients if str(r["NIP"]) == CLIENT.nip)
    assert isinstance(fetched, datetime)
    assert before <= fetched.replace(second=0) <= after, (before, fetched, after)

    dashboard = load_workbook(folder.office_workbook)["Pulpit"]
    refreshed = dashboard["C3"].value
    assert isinstance(refreshed, datetime)
    assert before <= refreshed.replace(second=0) <= after, (before, refreshed, after)
    assert "odświeżono" in dashboard["C3"].number_format

    # The run's log, read by the office's IT person, is on the same clock.
    last = (folder.logs_dir / "pobieranie.log").read_text(encoding="utf-8").strip().splitlines()[-1]
    logged = datetime.strptime(last[:16], "%Y-%m-%d %H:%M")
    assert before <= logged <= after, (before, last, after)
