"""``ksef-sheets init`` and ``clients …`` through the real console entry point."""

from __future__ import annotations

import json
from pathlib import Path

from ksef_sheets.files import excel_lock_file
from tests.office.conftest import run_cli


def _one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Błąd: ")]
    # One sentence, and it is the last thing printed (a library warning above it is not ours to judge).
    assert len(errors) == 1 and lines[-1] == errors[0], stderr
    assert errors[0].rstrip().endswith((".", ")", "”")), stderr


def test_init_demo_then_refresh_and_list(tmp_path: Path) -> None:
    office = tmp_path / "biuro"
    first = run_cli("init", "--demo", "--dir", str(office))
    assert first.returncode == 0, first.stderr
    assert "Utworzono biuro" in first.stdout and "10" in first.stdout
    again = run_cli("init", "--dir", str(office), "--json")
    assert again.returncode == 0 and json.loads(again.stdout)["created"] is False
    listed = run_cli("clients", "list", "--dir", str(office), "--json")
    assert [c["nip"] for c in json.loads(listed.stdout)][:2] == ["5210537039", "6762966431"]
    check = run_cli("clients", "check", "--dir", str(office), "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["clients"] == 10
    questionnaire = run_cli("clients", "questionnaire", "--client", "8527053079", "--dir", str(office))
    assert questionnaire.returncode == 0 and "ankieta-ksef.xlsx" in questionnaire.stdout


def test_init_without_office_data_is_one_sentence(tmp_path: Path) -> None:
    result = run_cli("init", "--dir", str(tmp_path / "x"))
    assert result.returncode == 1
    _one_sentence(result.stderr)
    assert not (tmp_path / "x" / "biuro.xlsx").exists()
    bad = run_cli("init", "--dir", str(tmp_path / "y"), "--office-nip", "1234567890", "--office-name", "B")
    assert bad.returncode == 1 and "cyfrę kontrolną" in bad.stderr
    _one_sentence(bad.stderr)


def test_import_bad_file_and_bad_rows(tmp_path: Path) -> None:
    office = tmp_path / "biuro"
    assert (
        run_cli(
            "init", "--dir", str(office), "--office-nip", "5275260184", "--office-name", "Biuro"
        ).returncode
        == 0
    )
    broken = tmp_path / "klienci.xlsx"
    broken.write_bytes(b"this is no workbook")
    result = run_cli("clients", "import", str(broken), "--dir", str(office))
    assert result.returncode == 1
    _one_sentence(result.stderr)
    assert "klienci.xlsx" in result.stderr

    missing = run_cli("clients", "import", str(tmp_path / "nie-ma.csv"), "--dir", str(office))
    assert missing.returncode == 1
    _one_sentence(missing.stderr)

    rows = tmp_path / "lista.csv"
    rows.write_text(
        "NIP;Nazwa;E-mail\n5210537039;Nowak;jan@nowak.example.pl\n1234567890;Zły;z@z.pl\n", encoding="utf-8"
    )
    partial = run_cli("clients", "import", str(rows), "--dir", str(office))
    assert partial.returncode == 1 and "Traceback" not in partial.stderr
    assert "dodano 1" in partial.stdout and "Wiersz 3:" in partial.stderr


def test_commands_refuse_workbook_open_in_excel(tmp_path: Path) -> None:
    office = tmp_path / "biuro"
    assert run_cli("init", "--demo", "--dir", str(office)).returncode == 0
    workbook = office / "biuro.xlsx"
    before = workbook.read_bytes()
    excel_lock_file(workbook).write_text("anna")
    result = run_cli("clients", "check", "--dir", str(office))
    assert result.returncode == 1 and "otwarty" in result.stderr
    _one_sentence(result.stderr)
    assert workbook.read_bytes() == before


def test_commands_without_office(tmp_path: Path) -> None:
    result = run_cli("clients", "check", "--dir", str(tmp_path / "brak"))
    assert result.returncode == 1
    _one_sentence(result.stderr)
