"""The README's demo command, end to end, as a new user runs it (a subprocess, real files)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook


def invoices_in(office: Path) -> list[Path]:
    return [p for p in office.glob("archiwum/**/*.xml") if not p.name.endswith(".upo.xml")]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *args],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )


def test_demo_runs_the_whole_cycle_and_a_second_run_brings_only_what_is_new(tmp_path: Path) -> None:
    office = tmp_path / "biuro-demo"
    env = {"KSEF_SHEETS_PASSPHRASE": ""}
    first = run("demo", "--dir", str(office), "--no-pdf", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    out = first.stdout
    for step in ("1.", "2.", "3.", "4.", "5.", "7.", "8.", "9.", "10.", "11."):
        assert f"\n{step} " in "\n" + out, step
    assert "odpowiedzi 429: 0" in out.replace("\n", " ")

    # the office workbook, per-client workbooks, documents, exports and the panel are real files
    register = load_workbook(office / "biuro.xlsx", read_only=True)
    assert "Klienci" in register.sheetnames
    workbooks = sorted(office.glob("klienci/*/faktury-*.xlsx"))
    assert len(workbooks) >= 5
    assert list(office.glob("klienci/*/dokumenty/*.docx"))
    assert list(office.glob("klienci/*/eksport/*.xlsx"))
    assert (office / "ksef_panel.xlsm").exists()
    archived = invoices_in(office)
    assert len(archived) > 100
    # the scenario-3 client's sales invoices went to KSeF, with UPOs beside them in the archive
    assert list(office.glob("archiwum/8527053079/**/*.upo.xml"))

    # no secret from the vault or the seed leaks into any workbook, document or log
    seed = (office / "emulator" / "seed.json").read_text(encoding="utf-8")
    tokens = [c["token"] for c in json.loads(seed)["clients"] if c.get("token")]
    assert tokens
    for path in [
        *office.glob("**/*.xlsx"),
        *office.glob("**/*.docx"),
        *office.glob("**/*.log"),
        *office.glob("**/*.eml"),
    ]:
        data = path.read_bytes()
        assert not any(t.encode() in data for t in tokens), path
    assert not any(t in out for t in tokens)

    second = run("demo", "--dir", str(office), "--no-pdf", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    flat = " ".join(second.stdout.split())
    # Nothing is sent twice; the only new invoice is the sale sent in the first run, which the
    # buyer (another client of the office, scenario 2) now finds among its purchases.
    assert "przyjęte przez KSeF 0" in flat
    match = re.search(r"Nowych faktur: (\d+)\.", flat)
    assert match is not None and int(match.group(1)) == 1, flat
    assert len(invoices_in(office)) == len(archived) + 1


def test_demo_refuses_a_real_office_folder(tmp_path: Path) -> None:
    office = tmp_path / "biuro"
    created = run("init", "--dir", str(office), "--office-nip", "7798676685", "--office-name", "Biuro X")
    assert created.returncode == 0, created.stderr
    result = run("demo", "--dir", str(office))
    assert result.returncode == 1
    assert "prawdziwe biuro" in result.stderr and "Traceback" not in result.stderr
