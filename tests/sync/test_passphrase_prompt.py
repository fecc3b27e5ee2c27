"""The vault's passphrase: asked for at a terminal (hidden), named as a variable without one.

``fetch`` runs as a real process on a pseudo-terminal (the ``pty`` module) against an office whose
vault is an encrypted file; the test types the passphrase at the prompt like a person would.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.emulator import Emulator
from ksef_sheets.ksef import make_seal_certificate
from ksef_sheets.vault import PASSPHRASE_ENV, Vault

OFFICE_NIP = "5275260184"
CLIENT_NIP = "5210537039"
PASSPHRASE = "tajne-haslo-sejfu-42"


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OfficeFolder:
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    state = tmp_path / "emulator"
    emu = Emulator(state)
    try:
        emu.subjects.add(OFFICE_NIP, "Biuro Testowe")
        emu.subjects.add(CLIENT_NIP, "Klient Testowy")
        emu.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceRead"], True)
    finally:
        emu.close()
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(
        OfficeConfig.model_validate(
            {
                "office_nip": OFFICE_NIP,
                "office_name": "Biuro Testowe",
                "clients": [CLIENT_NIP],
                "environment": "emulator",
                "emulator_state": str(state),
                "fetch_from": "2026-02-01",
            }
        )
    )
    vault = Vault.open(folder, PASSPHRASE)
    vault.add_certificate("biuro", make_seal_certificate(OFFICE_NIP, "Biuro Testowe"), default=True)
    assert Vault.needs_passphrase(folder)
    return folder


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PASSPHRASE_ENV}
    env["KSEF_SHEETS_VAULT_BACKEND"] = "file"
    env["COLUMNS"] = "120"
    return env


def _read(fd: int, until: str | None, output: bytearray, limit: float = 240) -> None:
    """Read the terminal until ``until`` appears (or, with None, until the process closes it)."""
    deadline = time.monotonic() + limit  # only against a hang; nothing here measures speed
    while time.monotonic() < deadline:
        if until is not None and until.encode() in output:
            return
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            assert until is None, f"no „{until}” in: {output.decode(errors='replace')}"
            return
        output.extend(chunk)
    raise AssertionError(f"the process did not finish: {output.decode(errors='replace')}")


def _type_passphrase_at_the_prompt(args: list[str]) -> tuple[int, str]:
    """Run ``ksef-sheets args`` on a pseudo-terminal, type the passphrase when asked; (exit code, screen)."""
    argv = [sys.executable, "-m", "ksef_sheets", *args]
    env = _env()
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the pseudo-terminal
        try:
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    output = bytearray()
    try:
        _read(fd, "Hasło do sejfu", output)
        # getpass turns echo off with TCSAFLUSH, which drops anything typed before: type only then.
        deadline = time.monotonic() + 30
        while termios.tcgetattr(fd)[3] & termios.ECHO and time.monotonic() < deadline:
            time.sleep(0.05)
        os.write(fd, (PASSPHRASE + "\r").encode())
        _read(fd, None, output)
    finally:
        # A prompt that never came must not leave the child waiting on the terminal (and the test on it).
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            time.sleep(2)
            done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", errors="replace")


def test_fetch_asks_for_the_passphrase_at_a_terminal_and_never_echoes_it(office: OfficeFolder) -> None:
    code, text = _type_passphrase_at_the_prompt(["fetch", "--dir", str(office.root)])
    assert code == 0, text
    assert PASSPHRASE not in text  # the hidden prompt did not echo it
    assert text.count("Hasło do sejfu") == 1
    assert f"{CLIENT_NIP}" in text and "OK" in text and "Traceback" not in text


def test_excel_run_of_the_fetch_action_asks_the_same_way(office: OfficeFolder) -> None:
    from ksef_sheets.excel import build_office_panel

    build_office_panel(office)
    code, text = _type_passphrase_at_the_prompt(
        ["excel", "run", "--dir", str(office.root), "--action", "Pobierz faktury z KSeF"]
    )
    assert code == 0, text
    assert PASSPHRASE not in text and text.count("Hasło do sejfu") == 1
    assert CLIENT_NIP in text and "Traceback" not in text


@pytest.mark.parametrize("command", [["fetch"], ["send"], ["credentials", "list"], ["permissions"]])
def test_without_a_terminal_the_variable_is_named_once(office: OfficeFolder, command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *command, "--dir", str(office.root)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(),
        timeout=240,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count(PASSPHRASE_ENV) == 1, done.stderr
    assert "bez terminala" in done.stderr and "pytanie o hasło" not in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
