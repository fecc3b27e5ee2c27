"""``ksef-sheets fetch`` on the emulator ends with refreshed invoice workbooks (real FA(3) from KSeF)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP, demo_seed_office
from ksef_sheets.emulator import Emulator
from ksef_sheets.emulator import seed as seeding
from ksef_sheets.sheets.invoice_columns import H_KSEF, H_STATUS
from ksef_sheets.sync.archive import Archive
from ksef_sheets.vault import PASSPHRASE_ENV, Vault

PASSPHRASE = "hasło-testowe-sejfu"


@pytest.fixture
def fetched_office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[OfficeFolder, list[str]]:
    state = tmp_path / "emulator"
    emu = Emulator(state)
    try:
        info = seeding.seed(emu, office=demo_seed_office(), seed=11, clients=2, invoices_per_client=40)
    finally:
        emu.close()
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(
        OfficeConfig(
            office_nip=DEMO_OFFICE_NIP,
            office_name=DEMO_OFFICE_NAME,
            clients=[c.nip for c in info.clients],
            fetch_from="2026-01-15",
            environment="emulator",
            emulator_state=str(state),
        )
    )
    vault = Vault.open(folder, PASSPHRASE)
    for client in info.clients:
        vault.add_token(client.nip, client.token)
    return folder, [c.nip for c in info.clients]


def test_fetch_writes_the_workbooks_and_a_second_fetch_keeps_staff_work(
    fetched_office: tuple[OfficeFolder, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, nips = fetched_office
    assert main(["fetch", "--dir", str(folder.root)]) == 0
    out = capsys.readouterr().out
    assert "Skoroszyty faktur: odświeżono" in out
    assert "tylko dane z metadanych" not in out  # every invoice KSeF sent parsed as FA(3)

    with Archive.open(folder) as archive:
        for nip in nips:
            archived = {i.ksef_number for i in archive.list_invoices(nip)}
            shown: set[str] = set()
            for path in sorted(folder.client_dir(nip).glob("faktury-*.xlsx")):
                wb = load_workbook(path, read_only=True)
                for sheet in ("Zakupy", "Sprzedaż"):
                    rows = list(wb[sheet].iter_rows(values_only=True))
                    col = rows[0].index(H_KSEF)
                    shown |= {r[col] for r in rows[1:] if r[col]}
                wb.close()
            assert shown == archived and archived

    # A person marks one invoice; the next fetch (nothing new) keeps it.
    nip = nips[0]
    path = sorted(folder.client_dir(nip).glob("faktury-*.xlsx"))[-1]
    wb = load_workbook(path)
    ws = wb["Zakupy"] if wb["Zakupy"].max_row > 1 else wb["Sprzedaż"]
    headers = [c.value for c in ws[1]]
    ws.cell(2, headers.index(H_STATUS) + 1, "Zaksięgowana")
    number = ws.cell(2, headers.index(H_KSEF) + 1).value
    wb.save(path)
    assert main(["fetch", "--dir", str(folder.root), "--json"]) == 0
    captured = capsys.readouterr()
    assert "Skoroszyty faktur" in captured.err  # --json keeps stdout for the JSON report
    ws = load_workbook(path)[ws.title]
    statuses = {
        ws.cell(r, headers.index(H_KSEF) + 1).value: ws.cell(r, headers.index(H_STATUS) + 1).value
        for r in range(2, ws.max_row + 1)
    }
    assert statuses[number] == "Zaksięgowana"
    with Archive.open(folder) as archive:
        assert archive.decisions_for(nip)[number].status == "Zaksięgowana"
