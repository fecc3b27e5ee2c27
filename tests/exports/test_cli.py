"""``ksef-sheets export`` and ``import-decisions`` on a real office register."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import demo_office_data
from ksef_sheets.sync.archive import Archive
from ksef_sheets.workflows import init_office
from tests.exports.conftest import CLIENT2, SUPPLIERS, party, store


@pytest.fixture
def demo_office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    with Archive.open(folder) as archive:
        for i in range(3):
            store(
                archive,
                CLIENT2,
                seller=SUPPLIERS[i],
                buyer=party(CLIENT2),
                issue=date(2026, 3, 3 + i),
                accepted=date(2026, 3, 4 + i),
                number=f"A/{i}",
                seed=300 + i,
            )
    return folder


def test_export_then_import_through_the_cli(
    demo_office: OfficeFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(demo_office.root)
    code = main(
        ["export", "--client", CLIENT2.nip, "--month", "2026-03", "--no-pdf", "--dir", root, "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["rows"] == 3 and out["kind"] == "zakupy" and out["pdf"] is None
    assert out["eml"].endswith(".eml")  # the register has the client's e-mail
    wb = load_workbook(out["xlsx"])
    ws = wb["Faktury"]
    header = next(r[0].row for r in ws.iter_rows(max_row=20) if any(c.value == "Decyzja" for c in r))
    col = {c.value: c.column for c in ws[header]}
    ws.cell(header + 1, col["Decyzja"]).value = "Akceptuję"
    ws.cell(header + 2, col["Decyzja"]).value = "Odrzucam"
    ws.cell(header + 2, col["Uwagi"]).value = "nie znam"
    ws.cell(header + 3, col["Netto"]).value = 1
    ws.cell(header + 3, col["Decyzja"]).value = "Akceptuję"
    reply = Path(out["xlsx"]).with_name("odpowiedz.xlsx")
    wb.save(reply)
    code = main(["import-decisions", str(reply), "--dir", root])
    captured = capsys.readouterr()
    assert code == 1  # one conflict (changed amount), the rest applied
    assert "zastosowano 2" in captured.out and "konflikty 1" in captured.out
    assert "Konflikt: Wiersz" in captured.err and "„Netto”" in captured.err
    code = main(["import-decisions", str(reply), "--client", "7798676685", "--dir", root])
    assert code == 1
    assert "a nie dla klienta NIP 7798676685" in capsys.readouterr().err


def test_export_usage_errors(demo_office: OfficeFolder, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(demo_office.root)
    assert main(["export", "--client", CLIENT2.nip, "--month", "2026-13", "--dir", root]) == 1
    assert "Okres „2026-13”" in capsys.readouterr().err
    assert (
        main(["export", "--client", CLIENT2.nip, "--month", "2026-03", "--kind", "koszty", "--dir", root])
        == 1
    )
    assert "Opcja --kind" in capsys.readouterr().err
    assert main(["export", "--client", "123", "--month", "2026-03", "--dir", root]) == 1
    assert "Opcja --client" in capsys.readouterr().err


def test_export_for_a_nip_outside_the_register_says_so(
    demo_office: OfficeFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(demo_office.root)
    stranger = "1234563218"  # checksum-valid, not among the demo clients
    assert main(["export", "--client", stranger, "--month", "2026-03", "--no-pdf", "--dir", root]) == 1
    err = capsys.readouterr().err
    assert f"NIP {stranger} nie jest klientem biura w rejestrze klientów" in err
    assert "archiwum" not in err and "Traceback" not in err
    assert not list(demo_office.root.rglob(f"*{stranger}*.xlsx"))

    # A registered client with nothing archived for the month keeps the archive message.
    registered = "7735432306"  # a demo client with no invoices in this archive
    assert main(["export", "--client", registered, "--month", "2026-03", "--no-pdf", "--dir", root]) == 1
    err = capsys.readouterr().err
    assert f"Klient {registered} nie ma w archiwum faktur" in err and "ksef-sheets fetch" in err
    assert "nie jest klientem" not in err
