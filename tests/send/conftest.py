"""Fixtures for the sending tests: a seeded emulator (copied per test), a demo office with a vault."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import demo_office_data, demo_seed_office
from ksef_sheets.emulator import RunningEmulator, SeedInfo, run_emulator
from ksef_sheets.sheets import send_entry as E
from ksef_sheets.sheets.tables import OpenpyxlTables
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import init_office

PASSPHRASE = "hasło-testowe-sejfu"
SELLER = "6762966431"  # Studio Urody "Malwa": scenario 3 in the demo register and the seed
BUYER = "5210537039"  # Nowak IT Consulting: scenario 2, another seeded client
OTHER = "7798676685"  # Budmax: scenario 2


@dataclass(frozen=True)
class SeededState:
    path: Path
    info: SeedInfo

    def token(self, nip: str) -> str:
        return str(self.info.client(nip)["token"])


@pytest.fixture(scope="session")
def send_seed(tmp_path_factory: pytest.TempPathFactory) -> SeededState:
    path = tmp_path_factory.mktemp("send-seed") / "emulator"
    with run_emulator(path, office=demo_seed_office(), seed=42, clients=3) as running:
        assert running.seed_info is not None
        info = running.seed_info
    return SeededState(path, info)


@pytest.fixture
def emulator_copy(
    send_seed: SeededState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., RunningEmulator]]:
    """Start an emulator on a private copy of the seeded state: ``emulator_copy(limits="off")``."""
    with ExitStack() as stack:

        def start(**options: Any) -> RunningEmulator:
            target = tmp_path_factory.mktemp("emu") / "emulator"
            shutil.copytree(send_seed.path, target)
            return stack.enter_context(run_emulator(target, **options))

        yield start


@pytest.fixture
def office(tmp_path: Path, send_seed: SeededState, monkeypatch: pytest.MonkeyPatch) -> OfficeFolder:
    """A demo office (register with scenario-3 clients) whose vault holds the seeded clients' tokens."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    folder = OfficeFolder(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    vault = Vault.open(folder, PASSPHRASE)
    for client in send_seed.info.clients:
        vault.add_token(client["nip"], client["token"])
    return folder


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Warsaw")).date()


def line(number: str, item: str, price: Any, rate: Any = "23", **extra: Any) -> dict[str, Any]:
    """One row of the entry table (by header)."""
    row: dict[str, Any] = {E.H_NUMBER: number, E.H_ITEM: item, E.H_PRICE: price, E.H_RATE: rate}
    row.setdefault(E.H_ISSUED, today())
    row.update(extra)
    return row


def fill_entry(folder: OfficeFolder, nip: str, rows: list[dict[str, Any]], *, append: bool = True) -> Path:
    """Prepare the client's entry workbook (when missing) and add rows the way staff would type them."""
    path = E.entry_path(folder, nip)
    if not path.exists():
        E.create_entry_workbook(
            path, client_nip=nip, client_name="Studio Urody Malwa", address="ul. Różana 1, 00-001 Warszawa"
        )
    wb = load_workbook(path)
    tables = OpenpyxlTables(wb, source=str(path))
    existing = tables.read_table(E.TABLE).rows if append else []
    tables.write_table(E.TABLE, [*existing, *rows])
    wb.save(path)
    return path


def read_entry(path: Path) -> list[dict[str, Any]]:
    wb = load_workbook(path)
    return OpenpyxlTables(wb, source=str(path)).read_table(E.TABLE).rows


def emulator_sales(running: RunningEmulator, nip: str) -> dict[str, str]:
    """The emulator's own truth: {KSeF number: invoice number} issued by ``nip``."""
    db = sqlite3.connect(f"file:{running.emulator.state_dir / 'emulator.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT ksef_number, invoice_number FROM invoice WHERE seller_nip = ?", (nip,)
        ).fetchall()
    finally:
        db.close()
    return dict(rows)


def session_invoice_count(running: RunningEmulator) -> int:
    """Every invoice POSTed into any session of the emulator (accepted or not)."""
    db = sqlite3.connect(f"file:{running.emulator.state_dir / 'emulator.sqlite'}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM session_invoice").fetchone()[0])
    finally:
        db.close()
