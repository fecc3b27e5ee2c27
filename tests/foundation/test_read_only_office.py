"""An office folder the system will not let us write (a read-only network share, no permission).

Every command that writes into the office says so in one Polish sentence naming the file or
folder the person knows and the reason — never SQLite's English, never a hidden temporary or
lock file, never "damaged, delete it" — exits 1 and leaves no traceback.

As root, ``chmod`` stops nothing, so the folder is made immutable (``chattr +i``) instead; where
that is impossible (no CAP_LINUX_IMMUTABLE, a file system without the flag) the test is skipped.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import DEMO_CLIENTS, demo_office_data, demo_seed_office
from ksef_sheets.emulator import run_emulator
from ksef_sheets.sync.archive import Archive
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import export_client_list, fetch_invoices, init_office

PASSPHRASE = "hasło-biura-tylko-do-odczytu"
CLIENT = DEMO_CLIENTS[0]
REASONS = ("tylko do odczytu", "brak uprawnień", "brak dostępu")
NOT_FOR_PEOPLE = ("readonly", "attempt to", "database", "Errno", "Permission denied", "Traceback", ".tmp")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, Path]]:
    """A demo office with one client fetched, its emulator state, vault and an export month."""
    mp = pytest.MonkeyPatch()
    mp.setenv(PASSPHRASE_ENV, PASSPHRASE)
    root = tmp_path_factory.mktemp("tylko-odczyt") / "biuro"
    folder = OfficeFolder.resolve(root)
    init_office(folder, demo=demo_office_data())
    config = folder.load_config()
    with run_emulator(root / config.emulator_state, office=demo_seed_office(), seed=11, clients=1) as running:
        assert running.seed_info is not None
        vault = Vault.open(folder)
        for client in running.seed_info.clients:
            vault.add_token(client["nip"], client["token"])
        asyncio.run(
            fetch_invoices(folder, clients=[CLIENT.nip], base_url=running.base_url, since=date(2026, 2, 1))
        )
    with Archive.open(folder) as archive:
        month = max(f"{i.issue_date:%Y-%m}" for i in archive.list_invoices(CLIENT.nip) if i.issue_date)
    exported = export_client_list(folder, CLIENT.nip, month).xlsx  # what the client sends back
    yield root, month, exported.relative_to(root)
    mp.undo()


def _chattr(flag: str, path: Path) -> bool:
    tool = shutil.which("chattr")
    if tool is None:
        return False
    done = subprocess.run([tool, "-R", flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


@contextmanager
def read_only(root: Path) -> Iterator[None]:
    """The whole office folder refuses writes, as a read-only share does."""
    if os.geteuid() != 0:
        modes = {}
        for path in [root, *root.rglob("*")]:
            modes[path] = path.stat().st_mode
            path.chmod(stat.S_IMODE(modes[path]) & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(stat.S_IMODE(mode))
        return
    if not _chattr("+i", root):
        _chattr("-i", root)
        pytest.skip("running as root, where chmod stops nothing, and chattr +i is not available here")
    try:
        yield
    finally:
        assert _chattr("-i", root)


@pytest.mark.parametrize(
    "command",
    [
        ["init"],
        ["clients", "check"],
        ["documents", "aneks", "--client", CLIENT.nip],
        ["export", "--client", CLIENT.nip, "--month", "{month}"],
        ["import-decisions", "{exported}"],
        ["permissions", "--client", CLIENT.nip],
        ["fetch", "--client", CLIENT.nip],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_every_command_on_a_read_only_office_says_one_polish_sentence(
    template: tuple[Path, str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    source, month, exported = template
    root = tmp_path / "biuro"
    shutil.copytree(source, root)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    args = [part.format(month=month, exported=root / exported) for part in command]
    with read_only(root):
        code = main([*args, "--dir", str(root)])
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("Błąd: "), err
    sentence = lines[0]
    assert str(root) in sentence, sentence  # names the file or folder in the office
    assert any(reason in sentence for reason in REASONS), sentence
    assert not [word for word in NOT_FOR_PEOPLE if word in sentence], sentence
    assert "Usuń" not in sentence and "--state" not in sentence and "uszkodzon" not in sentence, sentence
