"""``send`` warns, per invoice and before sending, when P_1 is earlier than the sending day.

KSeF (and the emulator, like it) then marks the invoice offline; the warning gives the offline24
deadline from the business-day calendar and says plainly when it has passed.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.emulator import RunningEmulator
from ksef_sheets.office import next_business_day
from ksef_sheets.send import SendReport
from ksef_sheets.send.issue_date import IssueDateWarning, issue_date_warnings
from ksef_sheets.send.model import PendingInvoice
from ksef_sheets.sheets import send_entry as E
from ksef_sheets.text import WARSAW, format_date
from ksef_sheets.workflows import send_office

from .conftest import SELLER, SeededState, fill_entry, line, today


def send(folder: OfficeFolder, running: RunningEmulator, **options: Any) -> SendReport:
    return asyncio.run(send_office(folder, base_url=running.base_url, **options))


def emulator_modes(running: RunningEmulator) -> dict[str, str]:
    """The emulator's own record: {invoice number: Online/Offline} for the seller."""
    db = sqlite3.connect(f"file:{running.emulator.state_dir / 'emulator.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT invoice_number, mode FROM invoice WHERE seller_nip = ?", (SELLER,)
        ).fetchall()
    finally:
        db.close()
    return dict(rows)


def test_messages_on_time_passed_and_penalties() -> None:
    # Issued Thu 3.12.2026, sent Sat 5.12.2026: the deadline Fri 4.12 has passed (2026: no fines yet).
    late = IssueDateWarning("FV/1/2026", "arkusz", date(2026, 12, 3), date(2026, 12, 5), date(2026, 12, 4))
    assert late.passed
    assert late.message == (
        "Faktura FV/1/2026 ma datę wystawienia 03.12.2026, wcześniejszą niż dzień wysyłki 05.12.2026: "
        "KSeF uzna ją za fakturę offline (tryb offline24, art. 106nda ustawy o VAT); termin przesłania: "
        "04.12.2026 (pt.), następny dzień roboczy po dniu wystawienia — ten termin już minął, faktura "
        "trafi do KSeF po terminie."
    )
    # Issued Thu 24.12.2026 (Wigilia), sent Sat 26.12: the deadline is Mon 28.12 — still on time.
    (on_time,) = issue_date_warnings(
        [PendingInvoice("FV/9/2026", "arkusz", "arkusz", issue_date=date(2026, 12, 24))], date(2026, 12, 26)
    )
    assert on_time.deadline == date(2026, 12, 28) and not on_time.passed
    assert "termin przesłania: 28.12.2026 (pon.)" in on_time.message
    assert on_time.message.endswith("wysyłka dziś mieści się w tym terminie.")
    # From 2027 a late offline invoice can be fined (art. 106ni).
    (fined,) = issue_date_warnings(
        [PendingInvoice("FV/1/2027", "arkusz", "arkusz", issue_date=date(2027, 4, 29))], date(2027, 5, 6)
    )
    assert fined.deadline == date(2027, 4, 30) and fined.passed and "art. 106ni" in fined.message
    # Same day, later day, no date: no warning.
    same = [
        PendingInvoice("A", "arkusz", "arkusz", issue_date=date(2026, 12, 5)),
        PendingInvoice("B", "arkusz", "arkusz", issue_date=None),
    ]
    assert issue_date_warnings(same, date(2026, 12, 5)) == []


def test_send_warns_before_sending_and_the_emulator_records_them_offline(
    office: OfficeFolder, emulator_copy: Any
) -> None:
    running = emulator_copy()
    day = today()
    yesterday = day - timedelta(days=1)  # its next business day is today or later: on time
    long_ago = day - timedelta(days=10)  # its next business day is at most 5 days later: passed
    fill_entry(
        office,
        SELLER,
        [
            line("FV/70/2026", "Usługa", 100, **{E.H_ISSUED: yesterday}),
            line("FV/71/2026", "Usługa", 100, **{E.H_ISSUED: long_ago}),
            line("FV/72/2026", "Usługa", 100, **{E.H_ISSUED: day}),
        ],
    )
    now = datetime.combine(day, time(12, 0), tzinfo=WARSAW)

    # A dry run shows the warnings and sends nothing.
    dry = send(office, running, clients=[SELLER], dry_run=True, now=now)
    (planned,) = dry.clients
    assert [w.number for w in planned.issue_date_warnings] == ["FV/70/2026", "FV/71/2026"]
    assert emulator_modes(running) == {}
    lines = "\n".join(dry.summary_lines())
    assert f"Uwaga: Faktura FV/70/2026 ma datę wystawienia {format_date(yesterday)}" in lines

    report = send(office, running, clients=[SELLER], now=now)
    assert not report.problems, report.summary_lines()
    (client,) = report.clients
    by_number = {w.number: w for w in client.issue_date_warnings}
    assert set(by_number) == {"FV/70/2026", "FV/71/2026"}
    on_time, late = by_number["FV/70/2026"], by_number["FV/71/2026"]
    assert on_time.deadline == next_business_day(yesterday) and not on_time.passed
    assert late.deadline == next_business_day(long_ago) and late.passed
    assert f"wcześniejszą niż dzień wysyłki {format_date(day)}" in late.message
    assert "ten termin już minął" in late.message
    assert "ten termin już minął" not in on_time.message
    # The JSON report carries them, structured and as warnings.
    data = client.to_json()
    assert [w["number"] for w in data["issue_date_warnings"]] == ["FV/70/2026", "FV/71/2026"]
    assert data["issue_date_warnings"][1]["deadline_passed"] is True
    assert late.message in data["warnings"]
    # KSeF's rule, as the emulator applies it: the two earlier-dated invoices are offline.
    assert emulator_modes(running) == {
        "FV/70/2026": "Offline",
        "FV/71/2026": "Offline",
        "FV/72/2026": "Online",
    }


def test_cli_dry_run_json_includes_the_warnings(
    office: OfficeFolder, send_seed: SeededState, tmp_path: Path
) -> None:
    state = tmp_path / "emulator-state"
    shutil.copytree(send_seed.path, state)
    config = office.load_config()
    office.save_config(config.model_copy(update={"environment": "emulator", "emulator_state": str(state)}))
    fill_entry(
        office, SELLER, [line("FV/80/2026", "Usługa", 100, **{E.H_ISSUED: today() - timedelta(days=10)})]
    )
    args = ["send", "--dir", str(office.root), "--client", SELLER, "--dry-run", "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    (client,) = json.loads(result.stdout)["clients"]
    (warning,) = client["issue_date_warnings"]
    assert warning["number"] == "FV/80/2026" and warning["deadline_passed"] is True
    assert warning["message"].startswith("Faktura FV/80/2026 ma datę wystawienia")
    assert warning["message"] in client["warnings"]
