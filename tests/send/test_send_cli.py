"""``ksef-sheets send`` as a process: the in-process emulator, the vault, exit codes, Polish messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets import send_entry as E

from .conftest import BUYER, SELLER, SeededState, fill_entry, line, read_entry


def _run(folder: OfficeFolder, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_sheets", "send", "--dir", str(folder.root), *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_cli_prepare_dry_run_send_json_and_exit_codes(
    office: OfficeFolder, send_seed: SeededState, tmp_path: Path
) -> None:
    state = tmp_path / "emulator-state"
    shutil.copytree(send_seed.path, state)
    config = office.load_config()
    office.save_config(config.model_copy(update={"environment": "emulator", "emulator_state": str(state)}))

    prepared = _run(office, "--prepare", "--client", SELLER)
    assert prepared.returncode == 0, prepared.stderr
    path = E.entry_path(office, SELLER)
    assert path.exists() and str(path) in prepared.stdout
    fill_entry(office, SELLER, [line("FV/1/2026", "Usługa", 100), line("FV/2/2026", "Usługa", 5, "17")])

    dry = _run(office, "--client", SELLER, "--dry-run")
    assert dry.returncode == 1
    assert "FV/1/2026" in dry.stdout and "nic nie wysłano" in dry.stdout
    assert "wiersz 9" in dry.stderr and "Stawka VAT" in dry.stderr and "Traceback" not in dry.stderr

    sent = _run(office, "--client", SELLER, "--json")
    assert sent.returncode == 1, sent.stderr  # the bad row
    summary = json.loads(sent.stdout)
    assert summary["sent"] == 1 and summary["errors"] == 1 and summary["environment"] == "emulator"
    (client,) = summary["clients"]
    accepted = next(i for i in client["invoices"] if i["number"] == "FV/1/2026")
    assert accepted["status"] == E.STATUS_SENT and accepted["ksef_number"].startswith(SELLER)
    assert Path(accepted["upo"]).exists()
    rows = read_entry(path)
    assert rows[0][E.H_STATUS] == E.STATUS_SENT and rows[1][E.H_STATUS] == E.STATUS_ERROR

    # Staff fix the rate: the next run sends only that invoice and exits 0.
    fill_entry(
        office,
        SELLER,
        [rows[0], {**rows[1], E.H_RATE: "23", E.H_STATUS: E.STATUS_PENDING}],
        append=False,
    )
    fixed = _run(office, "--client", SELLER)
    assert fixed.returncode == 0, fixed.stderr
    assert "przyjęte przez KSeF 1" in fixed.stdout
    assert [r[E.H_STATUS] for r in read_entry(path)] == [E.STATUS_SENT] * 2

    output = (
        prepared.stdout + dry.stdout + dry.stderr + sent.stdout + sent.stderr + fixed.stdout + fixed.stderr
    )
    assert os.environ["KSEF_SHEETS_PASSPHRASE"] not in output
    for client_info in send_seed.info.clients:
        assert client_info["token"] not in output

    refused = _run(office, "--client", BUYER)
    assert refused.returncode == 1 and "scenariusz 2" in refused.stderr and "Traceback" not in refused.stderr


def test_cli_bad_options_and_missing_office(office: OfficeFolder, tmp_path: Path) -> None:
    bad = _run(office, "--client", "123")
    assert bad.returncode == 1 and "--client" in bad.stderr and "Traceback" not in bad.stderr
    unknown = _run(office, "--client", "5260250274")
    assert unknown.returncode == 1 and "nie ma na liście" in unknown.stderr
    missing = _run(OfficeFolder(tmp_path / "nie-ma"))
    assert missing.returncode == 1 and "nie ma biura" in missing.stderr and "Traceback" not in missing.stderr
    usage = _run(office, "--no-such-flag")
    assert usage.returncode == 2
