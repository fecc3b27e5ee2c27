"""Importing client lists: messy CSV/XLSX, bad rows reported by number, re-import idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from ksef_sheets.errors import UserError
from ksef_sheets.sheets import load_clients
from ksef_sheets.workflows import import_clients, import_readiness, write_questionnaires
from tests.office.conftest import TODAY, edit_as_staff, header_col, table_rows

MESSY = """Lista klientów biura — stan na listopad
Nip klienta;Nazwa firmy;Adres e-mail;Scenariusz;Telefon;Forma prawna;Opiekun;Kolumna własna
521-053-70-39;Nowak IT Consulting Jan Nowak;jan@nowak.example.pl;2;601234567;JDG;Anna;x
1234567890;Zły NIP Sp. z o.o.;zly@example.pl;2;;sp. z o.o.;;
7798676685;Budmax Sp. z o.o.;biuro@budmax.example.pl;Scenariusz 2;;sp. z o.o.;;
PL 7798676685;Budmax duplikat;inny@budmax.example.pl;2;;sp. z o.o.;;
8948836028;Hurtownia Spożywcza Smak;;1;;sp. z o.o.;;
5838213566;Trans-Kowalscy Sp. j.;piotr@trans.example.pl;4;;spółka jawna;;
;;;;;;;
6348883403;=HYPERLINK("http://evil.example","kliknij");sklep@lesny.example.pl;2;;sp. z o.o.;;
8527053079;Fundacja Zielone Podwórko;fundacja@example;3;;fundacja;;
"""

EXPECTED_BAD = {4: "cyfrę kontrolną", 6: "powtarza się", 7: "e-mail", 8: "scenariusz", 11: "e-mail"}


def _register(folder: Any) -> list[dict[str, Any]]:
    return table_rows(folder.office_workbook, "Klienci")[1]


@pytest.mark.parametrize("encoding", ["cp1250", "utf-8-sig"])
def test_messy_csv_reports_exactly_the_bad_rows_and_imports_the_rest(
    empty_office: Any, tmp_path: Path, encoding: str
) -> None:
    source = tmp_path / "klienci.csv"
    text = MESSY
    if encoding != "cp1250":  # the comma variant, as a UTF-8 export quotes a field with commas
        evil = '=HYPERLINK("http://evil.example","kliknij")'
        text = (
            text.replace(evil, "EVIL").replace(";", ",").replace("EVIL", '"' + evil.replace('"', '""') + '"')
        )
    source.write_bytes(text.encode(encoding))
    report = import_clients(empty_office, source, today=TODAY)
    assert [e.row for e in report.errors] == sorted(EXPECTED_BAD)
    for error in report.errors:
        assert EXPECTED_BAD[error.row].lower() in error.message.lower(), error
    assert report.added == ["5210537039", "7798676685", "6348883403"]
    assert report.ignored_headers == ["Kolumna własna"]
    rows = _register(empty_office)
    assert [r["NIP"] for r in rows] == report.added
    assert rows[0]["Telefon"] == "601234567" and rows[0]["Opiekun"] == "Anna" and rows[0]["Scenariusz"] == 2
    evil = load_workbook(empty_office.office_workbook)["Klienci"]["B7"]
    assert evil.value.startswith("=HYPERLINK") and evil.data_type == "s"

    before = _register(empty_office)
    again = import_clients(empty_office, source, today=TODAY)
    assert again.added == [] and again.updated == [] and sorted(again.unchanged) == sorted(report.added)
    assert _register(empty_office) == before


def test_reimport_updates_master_data_but_not_staff_columns(empty_office: Any, tmp_path: Path) -> None:
    source = tmp_path / "k.csv"
    source.write_text(
        "NIP;Nazwa;E-mail;Opiekun\n5210537039;Nowak;jan@nowak.example.pl;Anna\n", encoding="utf-8"
    )
    import_clients(empty_office, source, today=TODAY)

    def staff(ws: Any, table: Any) -> None:
        ws.cell(5, header_col(ws, table, "Opiekun")).value = "Ewa Lis"
        ws.cell(5, header_col(ws, table, "Przeglądanie faktur")).value = "tak"
        ws.cell(5, header_col(ws, table, "Uwagi")).value = "ważne"

    edit_as_staff(empty_office.office_workbook, staff)
    source.write_text(
        "NIP;Nazwa;E-mail;Opiekun\n5210537039;Nowak IT;nowy@nowak.example.pl;Anna\n", encoding="utf-8"
    )
    report = import_clients(empty_office, source, today=TODAY)
    assert report.updated == ["5210537039"]
    row = _register(empty_office)[0]
    assert (row["Nazwa"], row["E-mail"]) == ("Nowak IT", "nowy@nowak.example.pl")
    assert (row["Opiekun"], row["Przeglądanie faktur"], row["Uwagi"]) == ("Ewa Lis", "tak", "ważne")


def test_xlsx_with_other_headers(empty_office: Any, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Arkusz z klientami"
    ws.append(["NIP", "Nazwa klienta", "E-mail", "Scenariusz współpracy", "Wielkość firmy"])
    ws.append([7735432306, "Pixelwave Studio Sp. z o.o.", "finanse@pixelwave.example.pl", 2, "standardowy"])
    ws.append([8131863036, "Auto-Serwis Mazur s.c.", "serwis@auto-mazur.example.pl", 1.0, "mikro"])
    path = tmp_path / "klienci.xlsx"
    wb.save(path)
    report = import_clients(empty_office, path, today=TODAY)
    assert report.added == ["7735432306", "8131863036"] and not report.errors
    clients = load_clients(empty_office)
    assert clients[1].scenario == 1 and str(clients[1].ksef_obligation_date) == "2027-01-01"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"Nazwa;E-mail\nA;a@b.pl\n", "bez_nip.csv", "nie ma kolumny z NIP"),
        (b"PK\x03\x04 not really", "zepsuty.xlsx", "nie jest poprawnym plikiem"),
        (b"\xd0\xcf\x11\xe0", "stary.xls", "starym formacie"),
        (b"NIP\n5210537039\n", "lista.pdf", "nieobsługiwany format"),
    ],
)
def test_bad_files_are_one_user_error(
    empty_office: Any, tmp_path: Path, content: bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = empty_office.office_workbook.read_bytes()
    with pytest.raises(UserError, match=message) as info:
        import_clients(empty_office, path, today=TODAY)
    assert name in str(info.value)
    assert empty_office.office_workbook.read_bytes() == before


def test_questionnaire_round_trip(demo_office: Any, tmp_path: Path) -> None:
    (path,) = write_questionnaires(demo_office, ["8527053079"])
    wb = load_workbook(path)
    ws = wb["Ankieta KSeF"]
    answers = {7: "tak", 8: "nie", 9: "nie", 10: "tak"}
    for row, answer in answers.items():
        ws.cell(row, 2).value = answer
    wb.save(path)
    report = import_readiness(demo_office, path, today=TODAY)
    assert report.updated == ["8527053079"] and not report.errors
    client = next(c for c in load_clients(demo_office) if c.nip == "8527053079")
    assert (
        client.knows_ksef,
        client.software_integrated,
        client.needs_registration_help,
        client.will_authorise_office,
    ) == (
        True,
        False,
        False,
        True,
    )
    _, readiness = table_rows(demo_office.office_workbook, "Gotowosc")
    row = next(r for r in readiness if r["NIP"] == "8527053079")
    assert row["Wynik"] == 75 and row["Status"] == "częściowo"
    assert row["Data ankiety"].date() == TODAY


def test_readiness_table_for_unknown_client_is_reported(demo_office: Any, tmp_path: Path) -> None:
    path = tmp_path / "formularz.csv"
    path.write_text(
        "NIP;Zna KSeF?;Nada biuru uprawnienia?\n7010001453;tak;tak\n5210537039;tak;tak\n", encoding="utf-8"
    )
    report = import_readiness(demo_office, path, today=TODAY)
    assert [e.row for e in report.errors] == [2] and "nie ma w rejestrze" in report.errors[0].message
    assert report.unchanged == ["5210537039"]


def test_xlsx_with_xml_entities_is_refused(empty_office: Any, tmp_path: Path) -> None:
    import zipfile

    good = tmp_path / "ok.xlsx"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["NIP", "Nazwa", "E-mail"])
    ws.append(["5210537039", "&lol;", "a@b.pl"])
    wb.save(good)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = b'<!DOCTYPE x [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>' + data
            dst.writestr(item, data)
    before = empty_office.office_workbook.read_bytes()
    with pytest.raises(UserError, match="DOCTYPE"):
        import_clients(empty_office, bomb, today=TODAY)
    with pytest.raises(UserError, match="DOCTYPE"):
        import_readiness(empty_office, bomb, today=TODAY)
    assert empty_office.office_workbook.read_bytes() == before
