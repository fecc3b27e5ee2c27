"""``ksef-sheets documents`` over a real office register (biuro.xlsx made by ``init --demo``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import demo_office_data
from ksef_sheets.workflows import init_office


@pytest.fixture
def demo_office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    return folder


def test_documents_for_chosen_clients_json(
    demo_office: OfficeFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "documents",
            "aneks",
            "email-uprawnienia",
            "--client",
            "5210537039",
            "--client",
            "8527053079",
            "--dir",
            str(demo_office.root),
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    made = {(g["nip"], g["kind"]) for g in out["generated"]}
    assert made == {
        ("5210537039", "aneks"),
        ("5210537039", "upowaznienie"),
        ("5210537039", "email-uprawnienia"),
        ("8527053079", "aneks"),
        ("8527053079", "upowaznienie"),
        ("8527053079", "email-uprawnienia"),
    }
    assert out["problems"] == []
    assert any("office_address" in w for w in out["warnings"])
    assert (demo_office.documents_dir("5210537039") / "aneks-KSeF-5210537039.docx").exists()


def test_unknown_client_and_kind_exit_codes(
    demo_office: OfficeFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["documents", "pismo", "--client", "5272700004", "--dir", str(demo_office.root)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Błąd: NIP 5272700004 — klient: nie ma takiego klienta w rejestrze." in captured.err
    assert "Traceback" not in captured.err
    assert main(["documents", "umowa", "--dir", str(demo_office.root)]) == 1
    assert "Nieznany rodzaj dokumentu „umowa”" in capsys.readouterr().err
    assert main(["documents", "pismo", "--dir", str(demo_office.root / "brak")]) == 1
    assert "nie ma biura" in capsys.readouterr().err


def test_text_summary_inflects_the_counts(
    demo_office: OfficeFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["documents", "umowa-powierzenia", "--client", "8131863036", "--dir", str(demo_office.root)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "Utworzono 1 plik dla 1 klienta."
    code = main(
        [
            "documents",
            "aneks",
            "--client",
            "8131863036",
            "--client",
            "5210537039",
            "--dir",
            str(demo_office.root),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "Utworzono 2 pliki dla 2 klientów."
