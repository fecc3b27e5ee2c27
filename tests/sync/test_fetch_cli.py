"""``ksef-sheets fetch`` as a process: the in-process emulator, the vault, Ctrl-C and a killed process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeFolder

from .conftest import SeededState, assert_archive_matches


def _cli(folder: OfficeFolder, *args: str) -> list[str]:
    return [sys.executable, "-m", "ksef_sheets", "fetch", "--dir", str(folder.root), *args]


def _archived(folder: OfficeFolder) -> int:
    if not folder.database.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{folder.database}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT COUNT(*) FROM invoices").fetchone()[0])
        finally:
            db.close()
    except sqlite3.OperationalError:  # not created yet, or busy
        return 0


def _interrupt_after_progress(folder: OfficeFolder, sig: signal.Signals, more_than: int) -> tuple[int, str]:
    """Start a fetch, wait until it archived more than ``more_than`` invoices, send ``sig``."""
    proc = subprocess.Popen(_cli(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    try:
        while _archived(folder) <= more_than:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the fetch made no progress"
            time.sleep(0.02)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr


def test_interrupted_and_killed_fetch_resumes_to_the_same_archive(
    office: OfficeFolder, seeded_state: SeededState, tmp_path: Path
) -> None:
    state = tmp_path / "emulator-state"
    shutil.copytree(seeded_state.path, state)
    config = office.load_config()
    office.save_config(config.model_copy(update={"environment": "emulator", "emulator_state": str(state)}))

    code, stderr = _interrupt_after_progress(office, signal.SIGINT, 0)
    assert code == 130 and "Przerwano" in stderr and "Traceback" not in stderr
    after_ctrl_c = _archived(office)
    assert after_ctrl_c > 0

    code, _ = _interrupt_after_progress(office, signal.SIGKILL, after_ctrl_c)
    assert code == -signal.SIGKILL
    after_kill = _archived(office)
    assert after_kill > after_ctrl_c

    done = subprocess.run(_cli(office, "--json"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["problems"] == [] and summary["http_429"] == 0
    assert any(sub["resumed"] for c in summary["clients"] for sub in c["subjects"].values())
    assert summary["new"] == _archived(office) - after_kill
    total = assert_archive_matches(office, state, seeded_state.clients)
    assert sum(c["total"] for c in summary["clients"]) == total
    for client in summary["clients"]:
        assert set(client["high_water_marks"]) == {"Subject1", "Subject2"}
        assert all(client["high_water_marks"].values())

    again = subprocess.run(_cli(office), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "Nowych faktur: 0." in again.stdout
    assert os.environ["KSEF_SHEETS_PASSPHRASE"] not in again.stdout + again.stderr
    for client in seeded_state.clients:
        assert client.token not in again.stdout + again.stderr
        assert client.token not in (office.logs_dir / "pobieranie.log").read_text(encoding="utf-8")


def test_cli_reports_problems_in_polish_with_exit_code_1(office: OfficeFolder, tmp_path: Path) -> None:
    result = subprocess.run(_cli(office, "--from", "1 stycznia"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "--from" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run(
        _cli(OfficeFolder(tmp_path / "nie-ma")), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and "nie ma biura" in result.stderr and "Traceback" not in result.stderr


def test_progress_bars_show_each_client(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    import ksef_sheets.cli.fetch as cli_fetch
    from ksef_sheets.sync.report import ClientFetchResult, SubjectResult

    out = io.StringIO()
    monkeypatch.setattr(cli_fetch, "console", Console(file=out, force_terminal=True, width=120))
    with cli_fetch._RichProgress() as progress:
        progress.client_started("5210537039", "Nowak IT", ("Subject2",))
        progress.client_advanced("5210537039", 7, "zakupy")
        result = ClientFetchResult(
            "5210537039", "Nowak IT", 2, {"Subject2": SubjectResult("Subject2", new=7)}
        )
        progress.client_finished(result)
        progress.client_finished(ClientFetchResult("7798676685"))  # never started: ignored
    text = out.getvalue()
    assert "Nowak IT" in text and "gotowe" in text and "nowe: 7" in text
