"""Which clients a send is for: the register's Client records (scenario 3 or InvoiceWrite), read once.

No KSeF here: choosing clients and preparing entry workbooks happen before any connection.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.office import Client
from ksef_sheets.office.convert import client_to_row
from ksef_sheets.office.model import REGISTER_HEADERS
from ksef_sheets.sheets import read_entry_workbook
from ksef_sheets.sheets.office_workbook import open_office_workbook, save_office_workbook
from ksef_sheets.sheets.tables import OpenpyxlTables
from ksef_sheets.workflows import init_office, prepare_entry_workbooks, select_send_clients

SELLER = "6762966431"  # scenario 3
WRITER = "5210537039"  # scenario 2, but the register records InvoiceWrite for the office
OTHER = "7798676685"  # scenario 2, no InvoiceWrite
OFFICE_NIP = "9591924432"


def _office(tmp_path: Path, clients: list[Client]) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    init_office(folder, office_nip=OFFICE_NIP, office_name="Biuro Testowe")
    wb = open_office_workbook(folder.office_workbook)
    OpenpyxlTables(wb).write_table("Klienci", [client_to_row(c) for c in clients], headers=REGISTER_HEADERS)
    save_office_workbook(wb, folder.office_workbook)
    return folder


@pytest.fixture
def folder(tmp_path: Path) -> OfficeFolder:
    return _office(
        tmp_path,
        [
            Client(SELLER, "Studio Urody Malwa", scenario=3, address="ul. Kwiatowa 1, 00-001 Warszawa"),
            Client(WRITER, "Nowak IT Consulting", scenario=2, perm_invoice_write=True, address="ul. Polna 2"),
            Client(OTHER, "Budmax Sp. z o.o.", scenario=2),
        ],
    )


def test_the_office_sends_for_scenario_3_and_for_clients_with_invoice_write(folder: OfficeFolder) -> None:
    config = folder.load_config()
    chosen = select_send_clients(folder, config)
    assert [(c.nip, refused) for c, refused in chosen] == [(SELLER, None), (WRITER, None)]
    writer = chosen[1][0]
    assert isinstance(writer, Client) and writer.perm_invoice_write and writer.name == "Nowak IT Consulting"


def test_a_named_client_without_scenario_3_or_invoice_write_is_refused_with_the_reason(
    folder: OfficeFolder,
) -> None:
    config = folder.load_config()
    chosen = select_send_clients(folder, config, [OTHER, f"{WRITER[:3]}-{WRITER[3:6]}-{WRITER[6:]}", OTHER])
    assert [c.nip for c, _ in chosen] == [OTHER, WRITER]  # a repeated NIP once, NIPs normalised
    assert chosen[0][1] == (
        "scenariusz 2: biuro nie wystawia faktur sprzedaży za tego klienta, a w rejestrze nie zaznaczono "
        "uprawnienia InvoiceWrite."
    )
    assert chosen[1][1] is None
    with pytest.raises(UserError, match="nie ma na liście klientów biura"):
        select_send_clients(folder, config, ["1234563218"])


def test_prepare_creates_the_entry_workbook_with_the_register_name_and_address(folder: OfficeFolder) -> None:
    created = prepare_entry_workbooks(folder, [WRITER])
    assert created == [folder.client_dir(WRITER) / "sprzedaz-do-wyslania.xlsx"]
    sheet = read_entry_workbook(created[0])
    assert (sheet.seller_name, sheet.seller_address) == ("Nowak IT Consulting", "ul. Polna 2")
    assert prepare_entry_workbooks(folder, [WRITER]) == []  # never overwritten
    with pytest.raises(UserError, match=f"Klient {OTHER}: scenariusz 2"):
        prepare_entry_workbooks(folder, [OTHER])


def test_without_a_register_nobody_is_sent_for(tmp_path: Path) -> None:
    folder = OfficeFolder(tmp_path / "biuro")
    init_office(folder, office_nip=OFFICE_NIP, office_name="Biuro Testowe")
    data = folder.load_config().model_dump(mode="json")
    data.update(clients=[SELLER])
    folder.save_config(OfficeConfig.model_validate(data))
    folder.office_workbook.unlink()
    config = folder.load_config()
    [(client, refused)] = select_send_clients(folder, config, [SELLER])
    assert client == Client(nip=SELLER)
    assert refused is not None and refused.startswith("brak rejestru klientów (biuro.xlsx)")
    with pytest.raises(UserError, match="Żaden klient biura nie jest w scenariuszu 3"):
        select_send_clients(folder, config)
