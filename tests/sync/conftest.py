"""Fixtures for the fetch tests: a seeded emulator state (copied per test), an office with a vault."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP, demo_seed_office
from ksef_sheets.emulator import Emulator, RunningEmulator, run_emulator
from ksef_sheets.emulator import seed as seeding
from ksef_sheets.sync.archive import Archive
from ksef_sheets.vault import PASSPHRASE_ENV, Vault

# "A few thousand invoices each": ~2,100 purchases and ~900 sales per client (3 clients).
INVOICES_PER_CLIENT = 3000
PASSPHRASE = "hasło-testowe-sejfu"


@dataclass(frozen=True)
class SeededState:
    path: Path
    clients: list[Any]  # seeding.SeededClient (nip, name, scenario, token, invoices)


@pytest.fixture(scope="session")
def seeded_state(tmp_path_factory: pytest.TempPathFactory) -> SeededState:
    path = tmp_path_factory.mktemp("seeded") / "emulator"
    emu = Emulator(path)
    try:
        info = seeding.seed(
            emu, office=demo_seed_office(), seed=5, clients=3, invoices_per_client=INVOICES_PER_CLIENT
        )
    finally:
        emu.close()
    return SeededState(path, list(info.clients))


@pytest.fixture
def fresh_emulator(
    seeded_state: SeededState, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., RunningEmulator]]:
    """Start an emulator on a private copy of the seeded state: ``fresh_emulator(limits="off")``."""
    with ExitStack() as stack:

        def start(**options: Any) -> RunningEmulator:
            target = tmp_path_factory.mktemp("emu") / "emulator"
            shutil.copytree(seeded_state.path, target)
            return stack.enter_context(run_emulator(target, **options))

        yield start


@pytest.fixture
def office(tmp_path: Path, seeded_state: SeededState, monkeypatch: pytest.MonkeyPatch) -> OfficeFolder:
    """An office folder whose config lists the seeded clients and whose vault holds their tokens."""
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(
        OfficeConfig(
            office_nip=DEMO_OFFICE_NIP,
            office_name=DEMO_OFFICE_NAME,
            clients=[c.nip for c in seeded_state.clients],
            fetch_from="2026-01-15",
        )
    )
    vault = Vault.open(folder, PASSPHRASE)
    for client in seeded_state.clients:
        vault.add_token(client.nip, client.token)
    return folder


def emulator_invoices(state_dir: Path, nip: str, subject_type: str) -> dict[str, str]:
    """The emulator's own truth: {KSeF number: invoice hash} visible to ``nip`` as ``subject_type``."""
    column = {"Subject1": "seller_nip", "Subject2": "buyer_value"}[subject_type]
    db = sqlite3.connect(f"file:{state_dir / 'emulator.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            f"SELECT ksef_number, invoice_hash FROM invoice WHERE {column} = ?",
            (nip,),
        ).fetchall()
    finally:
        db.close()
    return dict(rows)


def archive_invoices(folder: OfficeFolder, nip: str, subject_type: str) -> dict[str, str]:
    with Archive.open(folder) as archive:
        return {i.ksef_number: i.sha256 for i in archive.list_invoices(nip, subject_type=subject_type)}


def assert_archive_matches(folder: OfficeFolder, state_dir: Path, clients: list[Any]) -> int:
    """Every client's archive holds exactly the emulator's invoices, with their files; returns the total."""
    total = 0
    for client in clients:
        for subject in ("Subject1", "Subject2"):
            expected = emulator_invoices(state_dir, client.nip, subject)
            got = archive_invoices(folder, client.nip, subject)
            assert got == expected, (client.nip, subject, len(got), len(expected))
            total += len(got)
        files = list((folder.archive_dir / client.nip).rglob("*.xml")) if total else []
        with Archive.open(folder) as archive:
            indexed = sum(n for (_, _), n in archive.count_invoices(client.nip).items())
        assert len(files) == indexed
    return total
