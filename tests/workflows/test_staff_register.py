"""The Pracownicy sheet of biuro.xlsx: created by init, read back by name, bad rows named in Polish."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.ksef import make_seal_certificate
from ksef_sheets.office.convert import client_to_row
from ksef_sheets.office.model import REGISTER_HEADERS, Client
from ksef_sheets.sheets.office_access import STAFF_SPEC, read_staff, staff_identifier
from ksef_sheets.sheets.office_workbook import open_office_workbook, save_office_workbook
from ksef_sheets.sheets.tables import OpenpyxlTables
from ksef_sheets.vault import Vault
from ksef_sheets.workflows import init_office, register_staff_member

PASS = "haslo-do-sejfu-biura"
OFFICE = "5275260184"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OfficeFolder:
    office = OfficeFolder(tmp_path / "biuro")
    init_office(office, office_nip=OFFICE, office_name="Biuro Rachunkowe Test")
    wb = open_office_workbook(office.office_workbook)  # one client, so --all has someone to mean
    OpenpyxlTables(wb).write_table(
        "Klienci", [client_to_row(Client("5210537039", "Nowak IT", scenario=2))], headers=REGISTER_HEADERS
    )
    save_office_workbook(wb, office.office_workbook)
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    Vault.open(office, PASS, create=True).add_certificate(
        "biuro", make_seal_certificate(OFFICE, "Biuro Rachunkowe Test"), default=True
    )
    return office


def _staff_rows(folder: OfficeFolder, rows: list[dict[str, object]]) -> None:
    wb = open_office_workbook(folder.office_workbook)
    OpenpyxlTables(wb).write_table(STAFF_SPEC.table, rows, headers=STAFF_SPEC.headers)
    save_office_workbook(wb, folder.office_workbook)


def test_init_creates_an_empty_staff_table_and_register_fills_it(folder: OfficeFolder) -> None:
    wb = load_workbook(folder.office_workbook)
    ws = wb["Pracownicy"]
    table = ws.tables["Pracownicy"]
    assert [c.value for c in ws[table.ref][0]] == list(STAFF_SPEC.headers)
    assert read_staff(wb) == []

    config = folder.load_config()
    register_staff_member(folder, config, name="Anna Kowalska", identifier="900101 12349", role="księgowa")
    register_staff_member(
        folder, config, name="Anna Kowalska", identifier="90010112349", leave=date(2026, 12, 31)
    )
    staff = read_staff(load_workbook(folder.office_workbook))
    assert len(staff) == 1, "the same PESEL is one row, updated"
    anna = staff[0]
    assert (anna.id_type, anna.identifier, anna.role, anna.leave) == (
        "Pesel",
        "90010112349",
        "księgowa",
        date(2026, 12, 31),
    )
    assert anna.first_last == ("Anna", "Kowalska")
    assert not anna.left_by(date(2026, 12, 30)) and anna.left_by(date(2026, 12, 31))
    # A refresh of the workbook keeps what staff typed.
    init_office(folder)
    again = read_staff(load_workbook(folder.office_workbook))
    assert [(m.name, m.identifier, m.role, m.leave) for m in again] == [
        ("Anna Kowalska", "90010112349", "księgowa", date(2026, 12, 31))
    ]


def test_identifiers() -> None:
    assert staff_identifier("90010112349") == ("Pesel", "90010112349")
    assert staff_identifier("527-526-01-84") == ("Nip", OFFICE)
    for bad, words in (("90010112340", "cyfrę kontrolną"), ("123", "ani PESEL"), ("5275260185", "NIP")):
        with pytest.raises(Exception, match=words):
            staff_identifier(bad)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            {"Imię i nazwisko": "Jan Nowak", "PESEL lub NIP": "90010112340"},
            "arkusz Pracownicy, wiersz 5, kolumna „PESEL lub NIP”: PESEL „90010112340” ma błędną cyfrę kontrolną",
        ),
        (
            {"Imię i nazwisko": "Jan Nowak", "PESEL lub NIP": "90010112349", "Data odejścia": "jutro"},
            "wiersz 5, kolumna „Data odejścia”: „jutro” to nie data",
        ),
        ({"Imię i nazwisko": "Jan Nowak"}, "wiersz 5: brak PESEL lub NIP pracownika Jan Nowak"),
    ],
)
def test_a_bad_staff_row_is_one_polish_sentence(
    folder: OfficeFolder, capsys: pytest.CaptureFixture[str], row: dict[str, object], expected: str
) -> None:
    _staff_rows(folder, [row])
    code = main(["staff", "grant", "--person", "90010112349", "--all", "--dir", str(folder.root)])
    err = capsys.readouterr().err
    assert code == 1 and expected in err and "Traceback" not in err
    assert str(folder.office_workbook) in err


def test_usage_mistakes(folder: OfficeFolder, capsys: pytest.CaptureFixture[str]) -> None:
    _staff_rows(
        folder,
        [
            {
                "Imię i nazwisko": "Jan Nowak",
                "PESEL lub NIP": "90010112349",
                "Data rozpoczęcia": datetime(2026, 1, 2),
            }
        ],
    )
    root = str(folder.root)
    assert main(["staff", "grant", "--person", "90010112349", "--dir", root]) == 1
    assert "--client NIP" in capsys.readouterr().err
    assert main(["staff", "grant", "--person", "123", "--all", "--dir", root]) == 1
    assert "Opcja --person: „123” to ani PESEL" in capsys.readouterr().err
    assert (
        main(["staff", "grant", "--person", "90010112349", "--all", "--permission", "admin", "--dir", root])
        == 1
    )
    assert "Opcja --permission" in capsys.readouterr().err
    assert main(["staff", "revoke", "--person", "85050523457", "--dir", root]) == 1
    assert "nie ma osoby o identyfikatorze 85050523457" in capsys.readouterr().err
