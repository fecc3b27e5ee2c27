"""Every panel action, run as the Uruchom button runs it, on a real office with fetched invoices.

Excel is the only thing not real here: the panel and the invoice workbook are opened in the
in-memory xlwings stand-in, backed by the files the toolkit wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets import excel
from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import DEMO_CLIENTS, demo_office_data, demo_seed_office
from ksef_sheets.emulator import run_emulator
from ksef_sheets.excel import XlwingsPanel, build_office_panel
from ksef_sheets.excel import panel_file as pw
from ksef_sheets.sheets.invoice_columns import STATUS_BOOKED
from ksef_sheets.sheets.tables import OpenpyxlTables
from ksef_sheets.sync.archive import Archive
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import fetch_invoices, init_office
from tests.excel.fake_xlwings import FakeApp, FakeBook

CLIENT = DEMO_CLIENTS[0]  # Nowak IT, scenario 2: purchases fetched


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficeFolder]:
    mp = pytest.MonkeyPatch()
    mp.setenv(PASSPHRASE_ENV, "hasło-panelu-testowego")
    root = tmp_path_factory.mktemp("panel") / "biuro"
    folder = OfficeFolder.resolve(root)
    init_office(folder, demo=demo_office_data())
    config = folder.load_config()
    with run_emulator(root / config.emulator_state, office=demo_seed_office(), seed=11, clients=2) as running:
        assert running.seed_info is not None
        vault = Vault.open(folder)
        for client in running.seed_info.clients:
            vault.add_token(client["nip"], client["token"])
        asyncio.run(
            fetch_invoices(folder, clients=[CLIENT.nip], base_url=running.base_url, since=date(2026, 2, 1))
        )
    build_office_panel(folder)
    yield folder
    mp.undo()


def open_panel(
    folder: OfficeFolder, action: str, *, app: FakeApp | None = None, **named: str
) -> tuple[FakeBook, XlwingsPanel]:
    book = FakeBook(folder.root / f"{pw.PANEL_NAME}.xlsm", app)
    panel = XlwingsPanel(book)
    panel.set_named_value(pw.NAME_ACTION, action)
    for name, value in named.items():
        panel.set_named_value(name, value)
    return book, panel


def choose(panel: XlwingsPanel, nips: list[str]) -> None:
    rows = panel.read_table(pw.CLIENTS_TABLE).rows
    for row in rows:
        row["Zaznacz"] = "TAK" if row["NIP"] in nips else ""
    panel.write_table(pw.CLIENTS_TABLE, rows)


def test_panel_lists_the_register_clients(office: OfficeFolder) -> None:
    _, panel = open_panel(office, "Odśwież listę klientów w panelu")
    assert {r["NIP"] for r in panel.read_table(pw.CLIENTS_TABLE).rows} == {c.nip for c in DEMO_CLIENTS}
    assert excel.run_panel(panel) == f"Lista klientów odświeżona: {len(DEMO_CLIENTS)}."


def test_refresh_documents_export_and_import_from_the_panel(office: OfficeFolder) -> None:
    _, panel = open_panel(office, "Odśwież skoroszyty faktur")
    choose(panel, [CLIENT.nip])
    assert excel.run_panel(panel).startswith("Odświeżono 1 skoroszyt.")
    assert office.invoice_workbook(CLIENT.nip, 2026).exists()

    panel.set_named_value(pw.NAME_ACTION, "Generuj dokumenty")
    panel.set_named_value(pw.NAME_DOCUMENT, "aneks")
    assert excel.run_panel(panel).startswith("Wygenerowano 1 dokument.")
    assert list(office.documents_dir(CLIENT.nip).glob("*.docx"))

    with Archive.open(office) as archive:
        month = max(f"{i.issue_date:%Y-%m}" for i in archive.list_invoices(CLIENT.nip) if i.issue_date)
    panel.set_named_value(pw.NAME_ACTION, "Eksport faktur dla klienta")
    panel.set_named_value(pw.NAME_MONTH, "")
    assert "wymaga miesiąca" in excel.run_panel(panel)
    panel.set_named_value(pw.NAME_MONTH, month)
    result = excel.run_panel(panel)
    assert result.startswith("Zestawienie:"), result
    exported = next(office.exports_dir(CLIENT.nip).glob(f"*{month}.xlsx"))

    panel.set_named_value(pw.NAME_ACTION, "Import decyzji klienta")
    panel.set_named_value(pw.NAME_FILE, str(exported))
    result = excel.run_panel(panel)
    assert "bez decyzji" in result and not result.startswith("Błąd"), result
    # Several lines for the terminal ("excel run"), one line in the panel's cell and log.
    assert "\n" in result and panel.get_named_value(pw.NAME_RESULT) == " ".join(result.splitlines())

    panel.set_named_value(pw.NAME_ACTION, "Sprawdź rejestr klientów")
    assert excel.run_panel(panel).startswith(f"Sprawdzono {len(DEMO_CLIENTS)} klientów")
    log = [r["Akcja"] for r in panel.read_table(pw.LOG_TABLE).rows if r["Akcja"]]
    assert log[-1] == "Sprawdź rejestr klientów" and len(log) == 6


def test_a_locked_register_gives_a_message_box_not_a_traceback(office: OfficeFolder) -> None:
    lock = office.office_workbook.with_name("~$" + office.office_workbook.name)
    lock.write_text("excel")
    try:
        book, panel = open_panel(office, "Sprawdź rejestr klientów")
        result = excel.run_panel(panel)
        assert result.startswith("Błąd:") and "otwarty" in result
        assert book.app.alerts[-1][2] == "critical"
    finally:
        lock.unlink()


def test_mark_selection_booked_in_the_open_invoice_workbook(office: OfficeFolder) -> None:
    from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks

    refresh_invoice_workbooks(office, [CLIENT.nip])
    app = FakeApp()
    path = office.invoice_workbook(CLIENT.nip, 2026)
    invoices = FakeBook(path, app)
    sheet = invoices.sheets["Zakupy"]
    table = sheet.tables[0]
    first_data_row = table.header_row_range.row + 1
    invoices.select("Zakupy", f"A{first_data_row}:C{first_data_row + 1}")
    headers = list(table.header_row_range.value)
    ksef_col = table.header_row_range.column + headers.index("Numer KSeF")
    chosen = [sheet.range((first_data_row + i, ksef_col)).value for i in range(2)]

    _, panel = open_panel(office, "Zaksięguj zaznaczone faktury", app=app)
    result = excel.run_panel(panel)
    assert result.startswith("Zaksięgowano 2 faktury"), result
    status_col = table.header_row_range.column + headers.index("Status")
    assert [sheet.range((first_data_row + i, status_col)).value for i in range(2)] == [STATUS_BOOKED] * 2
    # the file was not rewritten behind Excel's back …
    on_disk = load_workbook(path, read_only=True)["Zakupy"]
    assert STATUS_BOOKED not in {c.value for row in on_disk.iter_rows() for c in row}
    # … but the archive knows, so the next refresh shows the booking even if nobody saved
    with Archive.open(office) as archive:
        decisions = archive.decisions_for(CLIENT.nip)
    assert all(
        decisions[n].status == STATUS_BOOKED and decisions[n].booked_on == date.today() for n in chosen
    )
    refresh_invoice_workbooks(office, [CLIENT.nip])
    refreshed = load_workbook(path, read_only=True)["Zakupy"]
    rows = {
        r[headers.index("Numer KSeF")]: r[headers.index("Status")]
        for r in refreshed.iter_rows(values_only=True)
    }
    assert all(rows[n] == STATUS_BOOKED for n in chosen)


def test_fetch_from_the_panel_uses_the_office_emulator(office: OfficeFolder) -> None:
    _, panel = open_panel(office, "Pobierz faktury z KSeF")
    choose(panel, [CLIENT.nip])
    result = excel.run_panel(panel)
    assert "Nowych faktur: 0." in result and not result.startswith("Błąd"), result


def test_every_action_is_covered_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    missing = [label for label in excel.actions() if f'"{label}"' not in source]
    assert not missing, missing


def test_the_same_actions_run_on_the_panel_file_without_excel(office: OfficeFolder) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ksef_sheets",
            "excel",
            "run",
            "--dir",
            str(office.root),
            "--action",
            "Sprawdź rejestr klientów",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Sprawdzono {len(DEMO_CLIENTS)} klientów")
    panel = load_workbook(office.root / f"{pw.PANEL_NAME}.xlsm", keep_vba=True)
    from ksef_sheets.sheets.tables import OpenpyxlTables

    tables = OpenpyxlTables(panel)
    assert str(tables.get_named_value(pw.NAME_RESULT)).startswith("Sprawdzono")
    assert tables.read_table(pw.LOG_TABLE).rows[-1]["Akcja"] == "Sprawdź rejestr klientów"


def _panel_tables(office: OfficeFolder) -> OpenpyxlTables:
    return OpenpyxlTables(load_workbook(office.root / f"{pw.PANEL_NAME}.xlsm", keep_vba=True))


def test_run_action_option_is_for_that_run_only_and_an_unknown_one_changes_nothing(
    office: OfficeFolder, capsys: pytest.CaptureFixture[str]
) -> None:
    from ksef_sheets.cli import main
    from ksef_sheets.excel import FilePanel

    path = office.root / f"{pw.PANEL_NAME}.xlsm"
    # Staff chose an action in the panel and saved it; a scheduled task runs the panel as it is.
    panel = FilePanel(path)
    panel.set_named_value(pw.NAME_ACTION, "Odśwież listę klientów w panelu")
    panel.save()

    assert main(["excel", "run", "--dir", str(office.root), "--action", "Sprawdź rejestr klientów"]) == 0
    assert capsys.readouterr().out.startswith(f"Sprawdzono {len(DEMO_CLIENTS)} klientów")
    tables = _panel_tables(office)
    assert tables.get_named_value(pw.NAME_ACTION) == "Odśwież listę klientów w panelu"
    assert tables.read_table(pw.LOG_TABLE).rows[-1]["Akcja"] == "Sprawdź rejestr klientów"

    before = path.read_bytes()
    assert main(["excel", "run", "--dir", str(office.root), "--action", "Pobierz fakturki"]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Błąd: Nieznana akcja „Pobierz fakturki”"), err
    assert all(f"„{label}”" in lines[0] for label in excel.actions()), err
    assert "Traceback" not in err and out == ""
    assert path.read_bytes() == before  # nothing stored, no log row

    # The next scheduled run (no --action) does what the panel says.
    assert main(["excel", "run", "--dir", str(office.root)]) == 0
    assert capsys.readouterr().out.startswith(f"Lista klientów odświeżona: {len(DEMO_CLIENTS)}.")
    tables = _panel_tables(office)
    assert tables.get_named_value(pw.NAME_ACTION) == "Odśwież listę klientów w panelu"
    assert tables.read_table(pw.LOG_TABLE).rows[-1]["Akcja"] == "Odśwież listę klientów w panelu"


def test_jpk_check_from_the_panel_for_the_selected_client(office: OfficeFolder) -> None:
    import dataclasses
    import os

    from ksef_sheets.jpk import build_jpk
    from ksef_sheets.workflows import evidence_from_archive

    _, panel = open_panel(office, "Uzgodnij JPK z KSeF", **{pw.NAME_FILE: "", pw.NAME_MONTH: ""})
    choose(panel, [])
    result = excel.run_panel(panel)
    assert result.startswith("Błąd: Zaznacz dokładnie jednego klienta"), result
    choose(panel, [CLIENT.nip])
    result = excel.run_panel(panel)
    assert result.startswith("Błąd: W folderze") and "nie ma pliku JPK" in result, result

    with Archive.open(office) as archive:
        days = [d for i in archive.list_invoices(CLIENT.nip) for d in (i.issue_date, i.acquisition_date) if d]
    year, month = next(
        (y, m)
        for y, m in sorted({(d.year, d.month) for d in days}, reverse=True)
        if any(evidence_from_archive(office, CLIENT.nip, y, m))
    )
    sales, purchases = evidence_from_archive(office, CLIENT.nip, year, month)
    jpk_dir = office.client_dir(CLIENT.nip) / "jpk"
    jpk_dir.mkdir(parents=True, exist_ok=True)
    period = f"{year:04d}-{month:02d}"
    clean = jpk_dir / f"JPK_V7M-{period}.xml"
    clean.write_bytes(
        build_jpk(nip=CLIENT.nip, name=CLIENT.name, year=year, month=month, sales=sales, purchases=purchases)
    )
    result = excel.run_panel(panel)
    assert f"okres {period}" in result and result.endswith("0 ustaleń."), result

    # A newer file of the same month with one mistyped KSeF number: the panel takes the newest.
    rows = sales or purchases
    typo = rows[0].ksef_number[:-1] + ("0" if rows[0].ksef_number[-1] != "0" else "1")
    broken = [dataclasses.replace(rows[0], ksef_number=typo), *rows[1:]]
    wrong = jpk_dir / f"{period}-poprawiony.xml"
    wrong.write_bytes(
        build_jpk(
            nip=CLIENT.nip,
            name=CLIENT.name,
            year=year,
            month=month,
            sales=broken if sales else [],
            purchases=purchases if sales else broken,
        )
    )
    stamp = clean.stat().st_mtime + 60
    os.utime(wrong, (stamp, stamp))
    panel.set_named_value(pw.NAME_MONTH, period)
    result = excel.run_panel(panel)
    assert result.startswith(f"{wrong}:") and "Wiersz 1:" in result and "Uzgodnienie JPK" in result, result
    sheet = load_workbook(office.invoice_workbook(CLIENT.nip, year), read_only=True)["Uzgodnienie JPK"]
    assert typo in {c.value for row in sheet.iter_rows() for c in row}

    # The month with no file in the folder, then the file named in the panel's file field.
    panel.set_named_value(pw.NAME_MONTH, f"{year - 1:04d}-{month:02d}")
    assert "nie ma pliku JPK za" in excel.run_panel(panel)
    panel.set_named_value(pw.NAME_FILE, str(clean))
    result = excel.run_panel(panel)
    assert result.startswith(f"{clean}:") and result.endswith("0 ustaleń."), result
    panel.set_named_value(pw.NAME_FILE, str(jpk_dir / "brak.xml"))
    assert excel.run_panel(panel) == f"Błąd: Plik {jpk_dir / 'brak.xml'} nie istnieje."
