"""The office fetches (``workflows.fetch``): clients chosen from one reading of the register, the
fetch, the register written back and the invoice workbooks refreshed with the same records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

import ksef_sheets.sheets.invoice_refresh as invoice_refresh
import ksef_sheets.workflows.fetch as fetch_workflow
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_CLIENTS, DEMO_OFFICE_NAME, DEMO_OFFICE_NIP, demo_office_data
from ksef_sheets.emulator import RunningEmulator
from ksef_sheets.errors import UserError
from ksef_sheets.office import Client
from ksef_sheets.sheets import load_clients
from ksef_sheets.sheets.invoice_columns import H_STATUS, STATUS_CLIENT_CHECK
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import init_office, office_fetch, select_clients

CLIENT = DEMO_CLIENTS[0]  # Nowak IT, scenario 2: purchases fetched, first status "client checks"


def _config_office(tmp_path: Path, clients: list[str]) -> tuple[OfficeFolder, OfficeConfig]:
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(
        OfficeConfig(office_nip=DEMO_OFFICE_NIP, office_name=DEMO_OFFICE_NAME, clients=clients)
    )
    return folder, folder.load_config()


def test_without_a_register_the_config_list_gives_client_records_with_normalised_nips(tmp_path: Path) -> None:
    folder, config = _config_office(tmp_path, ["526-025-02-74", "123", "PL 7798676685"])
    chosen = select_clients(folder, config)
    assert chosen == [Client(nip="5260250274"), Client(nip="7798676685")]
    assert select_clients(folder, config, ["7798676685", "779-867-66-85"]) == [Client(nip="7798676685")]


def test_a_client_not_of_the_office_or_a_wrong_nip_is_one_polish_sentence(tmp_path: Path) -> None:
    folder, config = _config_office(tmp_path, ["5260250274"])
    with pytest.raises(UserError) as unknown:
        select_clients(folder, config, ["7798676685"])
    assert str(unknown.value) == (
        f"Klienta o NIP 7798676685 nie ma na liście klientów biura ({folder.config_path})."
    )
    with pytest.raises(UserError, match=r"^Opcja --client: "):
        select_clients(folder, config, ["12345"])
    empty, empty_config = _config_office(tmp_path / "pusty", [])
    with pytest.raises(UserError, match="nie ma klientów do pobrania"):
        select_clients(empty, empty_config)


def test_register_rows_are_the_records_passed_down(tmp_path: Path) -> None:
    folder = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    chosen = select_clients(folder, folder.load_config(), [CLIENT.nip])
    (record,) = chosen
    register = {c.nip: c for c in load_clients(folder)}
    assert record == register[CLIENT.nip]  # the register row itself, every field of it
    assert record.scenario == 2 and record.name == CLIENT.name


def _counting(target: Any, name: str, calls: list[str]) -> Callable[..., Any]:
    original = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(target.__name__)
        return original(*args, **kwargs)

    return counted


def test_the_fetch_reads_the_register_once_and_the_workbooks_use_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: RunningEmulator
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "hasło-pobierania-testowego")
    folder = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    reads: list[str] = []
    monkeypatch.setattr(fetch_workflow, "load_clients", _counting(fetch_workflow, "load_clients", reads))
    monkeypatch.setattr(invoice_refresh, "load_clients", _counting(invoice_refresh, "load_clients", reads))
    assert emulator.seed_info is not None
    assert CLIENT.nip in {c["nip"] for c in emulator.seed_info.clients}
    vault = Vault.open(folder)
    for client in emulator.seed_info.clients:
        vault.add_token(client["nip"], client["token"])
    fetched = office_fetch(folder, clients=[CLIENT.nip], base_url=emulator.base_url, since=date(2026, 2, 1))
    assert reads == ["ksef_sheets.workflows.fetch"]  # once, by the use case; never by the refresh
    report = fetched.report
    assert not report.problems, report.problems
    (result,) = report.clients
    assert result.nip == CLIENT.nip and result.new > 0
    assert [c.nip for c in fetched.clients] == [CLIENT.nip]
    # The register got the run's results back.
    row = next(c for c in load_clients(folder) if c.nip == CLIENT.nip)
    assert row.new_invoices == result.new and row.last_fetch is not None
    # The workbooks were refreshed with the register's record: scenario 2 purchases wait for the client.
    assert fetched.refresh is not None and fetched.refresh_error is None
    written = [w for w in fetched.refresh.workbooks if w.written]
    assert written and {w.client_nip for w in fetched.refresh.workbooks} == {CLIENT.nip}
    rows = list(load_workbook(written[0].path)["Zakupy"].iter_rows(values_only=True))
    status = list(rows[0]).index(H_STATUS)
    statuses = {r[status] for r in rows[1:] if r[status]}
    assert statuses == {STATUS_CLIENT_CHECK}
    assert fetched.refresh_lines()[0].startswith("Skoroszyty faktur: odświeżono ")
