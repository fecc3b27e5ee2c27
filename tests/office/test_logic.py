"""Pure office logic: scenarios, readiness, next step, problems, deadlines, cell parsing, merging."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from ksef_sheets.office import Client, missing_permissions, required_permissions
from ksef_sheets.office.convert import (
    CellProblem,
    client_from_row,
    parse_bool,
    parse_date,
    parse_pln,
    parse_scenario,
)
from ksef_sheets.office.deadlines import client_deadlines, jpk_due, obligation_date
from ksef_sheets.office.readiness import NO_ANSWERS, NOT_READY, PARTLY, READY, readiness
from ksef_sheets.office.rules import (
    client_problems,
    looks_like_secret,
    next_step,
    permissions_status,
    zaw_fa_default,
)
from ksef_sheets.sheets.tables import merge_rows

TODAY = date(2026, 11, 28)


def ready_client(**changes: object) -> Client:
    base = Client(
        nip="5210537039",
        name="Nowak IT",
        legal_form="JDG",
        email="jan@nowak.example.pl",
        size="standardowy",
        scenario=2,
        software_integrated=True,
        knows_ksef=True,
        needs_registration_help=False,
        will_authorise_office=True,
        perm_invoice_read=True,
        perm_can_delegate=True,
        permissions_date=date(2026, 3, 1),
        credential_ref="sejf:biuro",
        authorisation_status="podpisane",
        authorisation_date=date(2026, 3, 1),
        annex_status="podpisany",
        annex_date=date(2026, 3, 1),
        last_fetch=datetime(2026, 11, 27, 6, 0),
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_required_permissions_per_scenario() -> None:
    assert required_permissions(1) == ()
    assert required_permissions(2) == ("InvoiceRead", "canDelegate")
    assert required_permissions(3) == ("InvoiceRead", "InvoiceWrite", "canDelegate")
    assert missing_permissions(3, invoice_read=True, invoice_write=False, can_delegate=True) == [
        "InvoiceWrite"
    ]
    assert missing_permissions(None, invoice_read=False, invoice_write=False, can_delegate=False) == []


def test_permissions_status() -> None:
    assert permissions_status(ready_client()) == "komplet"
    assert permissions_status(ready_client(scenario=3)) == "brakuje"
    assert permissions_status(ready_client(scenario=None)) == "—"


def test_readiness_scores() -> None:
    assert readiness(ready_client()).status == READY
    assert readiness(ready_client()).score == 100
    empty = ready_client(
        knows_ksef=None, software_integrated=None, needs_registration_help=None, will_authorise_office=None
    )
    assert readiness(empty).status == NO_ANSWERS
    half = ready_client(knows_ksef=False, software_integrated=False)
    assert (readiness(half).score, readiness(half).status) == (50, PARTLY)
    bad = ready_client(knows_ksef=False, software_integrated=False, needs_registration_help=True)
    assert readiness(bad).status == NOT_READY
    assert any("pomocy" in b for b in readiness(bad).blockers)
    # In scenario 1 the office needs no access, so refusing to authorise it is no obstacle.
    assert readiness(ready_client(scenario=1, will_authorise_office=False)).status == READY


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"nip": "1234567890"}, "Popraw NIP"),
        ({"email": ""}, "Uzupełnij e-mail"),
        (
            {
                "knows_ksef": None,
                "software_integrated": None,
                "needs_registration_help": None,
                "will_authorise_office": None,
            },
            "ankietę gotowości",
        ),
        ({"scenario": None}, "trzy scenariusze"),
        ({"annex_status": "brak"}, "wyślij aneks"),
        ({"annex_status": "wysłany"}, "Przypomnij o podpisaniu aneksu"),
        ({"perm_invoice_read": False, "authorisation_status": "brak"}, "wzór upoważnienia"),
        (
            {"perm_invoice_read": False, "perm_can_delegate": False},
            "„przeglądanie faktur” (InvoiceRead) z możliwością dalszego przekazania (canDelegate)",
        ),
        ({"perm_invoice_read": False}, "uprawnień: „przeglądanie faktur” (InvoiceRead)."),
        ({"scenario": 3}, "InvoiceWrite"),
        ({"credential_ref": ""}, "sejfie"),
        ({"fetch_problem": "403 brak uprawnień"}, "problem pobierania"),
        ({"last_fetch": None}, "pierwsze pobieranie"),
        ({"to_verify": 4}, "weryfikacji 4 faktur"),
        ({}, "Obsługa bieżąca"),
    ],
)
def test_next_step(changes: dict[str, object], expected: str) -> None:
    assert expected.lower() in next_step(ready_client(**changes), TODAY).lower()


def test_zaw_fa_needed_with_refusal() -> None:
    client = ready_client(
        legal_form="fundacja",
        zaw_fa_needed=True,
        needs_registration_help=True,
        perm_invoice_read=False,
        perm_can_delegate=False,
    )
    assert "ZAW-FA" in next_step(client, TODAY)
    assert zaw_fa_default("JDG") is False
    assert zaw_fa_default("sp. z o.o.") is True
    assert zaw_fa_default("") is None


def test_client_problems_and_secret_detection() -> None:
    assert client_problems(ready_client()) == []
    token = "20251010-EC-0123456789-ABCDEF0123-AB|nip-5210537039|" + "a" * 64
    assert looks_like_secret(token)
    assert looks_like_secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop")
    assert not looks_like_secret("sejf:5210537039")
    problems = client_problems(ready_client(credential_ref=token, scenario=3, email="zly@"))
    text = "; ".join(problems)
    assert "sekret" in text and "InvoiceWrite" in text and "błędny e-mail" in text
    assert token not in text


def test_obligation_dates_and_deadlines() -> None:
    assert obligation_date("duży") == date(2026, 2, 1)
    assert obligation_date("standardowy") == date(2026, 4, 1)
    assert obligation_date("mikro") == date(2027, 1, 1)
    assert obligation_date("?") is None
    # 25.12.2026 is Christmas (a Friday): the November JPK is due Mon 28.12 (art. 12 § 5)
    assert jpk_due(date(2026, 11, 28)) == date(2026, 12, 28)
    assert jpk_due(date(2026, 12, 26)) == date(2026, 12, 28)
    assert jpk_due(date(2026, 12, 29)) == date(2027, 1, 25)
    assert jpk_due(date(2026, 4, 20)) == date(2026, 4, 27)  # the 25th is a Saturday
    micro = client_deadlines(ready_client(size="mikro", ksef_obligation_date=None), TODAY)
    assert micro[0].title == "Koniec ulgi mikro"
    assert client_deadlines(ready_client(), TODAY)[0].title.startswith("JPK_V7")


def test_cell_parsing() -> None:
    assert parse_bool("TAK") is True and parse_bool("n") is False and parse_bool("") is None
    with pytest.raises(CellProblem):
        parse_bool("może")
    assert parse_date("15.03.2026") == date(2026, 3, 15)
    assert parse_date(datetime(2026, 3, 15, 0, 0)) == date(2026, 3, 15)
    with pytest.raises(CellProblem):
        parse_date("jutro")
    assert parse_scenario("Scenariusz 3") == 3 and parse_scenario(2.0) == 2
    with pytest.raises(CellProblem):
        parse_scenario("4")
    assert parse_pln("1 200,50 zł") == Decimal("1200.50")
    client, problems = client_from_row(
        {"NIP": 5210537039, "Scenariusz": "x", "Przeglądanie faktur": "tak"}, 7
    )
    assert client.nip == "5210537039" and client.perm_invoice_read and client.row == 7
    assert problems and "Scenariusz" in problems[0]


def test_merge_rows_keeps_staff_values_and_rows() -> None:
    existing = [
        {"Lp.": "1", "Zadanie": "staff edited", "Status": "zrobione", "Licznik": 1},
        {"Lp.": "staff", "Zadanie": "own row", "Status": "", "Licznik": 2},
    ]
    generated = [
        {"Lp.": "1", "Zadanie": "original", "Status": "do zrobienia", "Licznik": 10},
        {"Lp.": "2", "Zadanie": "new", "Status": "do zrobienia", "Licznik": 20},
    ]
    merged = merge_rows(existing, generated, key=("Lp.",), computed=("Licznik",))
    assert merged[0] == {"Lp.": "1", "Zadanie": "staff edited", "Status": "zrobione", "Licznik": 10}
    assert merged[1] == existing[1]
    assert merged[2]["Lp."] == "2" and merged[2]["Zadanie"] == "new"
    whole = merge_rows(existing, generated, key=("Lp.",), computed=(), computed_keys=[("1",)])
    assert whole[0]["Zadanie"] == "original"


def test_office_spellings_are_accepted() -> None:
    from ksef_sheets.office.convert import parse_size
    from ksef_sheets.office.rules import is_valid_email

    assert parse_scenario("2 - klient wystawia, biuro pobiera") == 2
    assert parse_scenario("scenariusz nr 3") == 3
    assert parse_size("Mały") == "standardowy" and parse_size("mikrofirma") == "mikro"
    with pytest.raises(CellProblem):
        parse_size("olbrzymi")
    assert is_valid_email("biuro@firma.pl; prezes@firma.pl")
    assert not is_valid_email("biuro@firma.pl;") and not is_valid_email("fundacja@example")


def test_merge_keys_ignore_number_representation() -> None:
    merged = merge_rows(
        [{"Lp.": 1.0, "Odpowiedź": "nasza"}], [{"Lp.": 1, "Odpowiedź": "domyślna"}], key=("Lp.",), computed=()
    )
    assert merged == [{"Lp.": 1.0, "Odpowiedź": "nasza"}]


def test_fetch_time_shown_in_polish_wall_clock() -> None:
    from datetime import UTC

    from ksef_sheets.workflows.register import _office_time

    assert _office_time(datetime(2026, 11, 28, 5, 0, 7, 123, tzinfo=UTC)) == datetime(2026, 11, 28, 6, 0, 7)
    assert _office_time(datetime(2026, 7, 1, 5, 0, tzinfo=UTC)) == datetime(2026, 7, 1, 7, 0)
