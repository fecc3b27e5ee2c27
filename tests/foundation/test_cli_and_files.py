from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import FileLockedError, UserError
from ksef_sheets.files import atomic_write_text, excel_lock_file
from ksef_sheets.redaction import redact, register_secret


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_usage_error_exits_2_without_traceback() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_cli_version() -> None:
    result = run_cli("version")
    assert result.returncode == 0 and "ksef-sheets" in result.stdout


def test_atomic_write_refuses_file_open_in_excel(tmp_path: Path) -> None:
    target = tmp_path / "a.xlsx"
    atomic_write_text(target, "one")
    excel_lock_file(target).write_text("owner")
    with pytest.raises(FileLockedError) as info:
        atomic_write_text(target, "two")
    assert "otwarty" in str(info.value)
    assert target.read_text() == "one"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp.xlsx")] == []


def test_config_round_trip_and_bad_config(tmp_path: Path) -> None:
    folder = OfficeFolder.resolve(tmp_path / "biuro")
    with pytest.raises(UserError) as missing:
        folder.load_config()
    assert "ksef-sheets init" in str(missing.value)
    folder.save_config(OfficeConfig(office_nip="527-526-01-84", office_name="Biuro"))
    assert folder.load_config().office_nip == "5275260184"
    folder.config_path.write_text('office_nip = "1234567890"\noffice_name = "x"\n', encoding="utf-8")
    with pytest.raises(UserError) as bad:
        folder.load_config()
    assert "office_nip" in str(bad.value) and "kontroln" in str(bad.value)


def test_redaction_masks_registered_secrets_and_token_shapes() -> None:
    register_secret("very-secret-passphrase")
    text = redact(
        "pass=very-secret-passphrase tok=20251010-EC-0123456789-ABCDEF0123-AB|nip-5210537039|" + "a" * 64
    )
    assert "very-secret" not in text and "nip-5210537039|" not in text
