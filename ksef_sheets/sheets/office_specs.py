"""What the office workbook's sheets are: names, table specs (columns, keys, formatting rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ksef_sheets.office import (
    CHANNEL_HEADER,
    NO_ANSWERS,
    NOT_READY,
    PARTLY,
    PERM_DELEGATE_HEADER,
    PERM_READ_HEADER,
    PERM_WRITE_HEADER,
    PERMS_MISSING,
    PERMS_OK,
    QUESTIONS,
    READY,
    REGISTER_COLUMNS,
    REPRESENTATION_HEADER,
)
from ksef_sheets.sheets.office_layout import (
    FILL_AMBER,
    FILL_GREEN,
    FILL_GREY,
    FILL_RED,
    FMT_DATE,
    FMT_DATETIME,
    FMT_INT,
    FMT_PERCENT,
    FMT_PLN,
    FMT_TEXT,
    FONT_GREEN,
    FONT_GREY,
    FONT_RED,
    Col,
    TableSheet,
)

SHEET_DASHBOARD = "Pulpit"
SHEET_CLIENTS = "Klienci"
SHEET_SCENARIOS = "Scenariusze"
SHEET_READINESS = "Gotowość klientów"
SHEET_CHECKLIST = "Checklista biura"
SHEET_PLAN = "Plan wdrożenia"
SHEET_TEAM = "Zespół i procedury"
SHEET_FAQ = "FAQ"
SHEET_DEADLINES = "Terminy"
SHEET_ORDER = (
    SHEET_DASHBOARD,
    SHEET_CLIENTS,
    SHEET_SCENARIOS,
    SHEET_READINESS,
    SHEET_CHECKLIST,
    SHEET_PLAN,
    SHEET_TEAM,
    SHEET_FAQ,
    SHEET_DEADLINES,
)
TABLE_CLIENTS = "Klienci"

STATUS_TODO, STATUS_DOING, STATUS_DONE, STATUS_NA = "do zrobienia", "w toku", "zrobione", "nie dotyczy"
TASK_STATUSES = (STATUS_TODO, STATUS_DOING, STATUS_DONE, STATUS_NA)

_KIND_FORMAT = {
    "date": FMT_DATE,
    "datetime": FMT_DATETIME,
    "pln": FMT_PLN,
    "int": FMT_INT,
    "nip": FMT_TEXT,
}
_WRAP = {
    "Następny krok",
    "Problemy",
    "Uwagi",
    "Problem pobierania",
    "Adres",
    "Nazwa",
    "Branża",
    "Osoba kontaktowa",
    REPRESENTATION_HEADER,
    CHANNEL_HEADER,
}


# Wider than the register's defaults for the long free-text columns, so that a row needs two or
# three lines rather than four and the rows print at an even height.
_WIDTHS = {
    REPRESENTATION_HEADER: 40.0,
    CHANNEL_HEADER: 24.0,
    "Uwagi": 50.0,
    "Problemy": 50.0,
    "Następny krok": 55.0,
}


def _overdue(date_col: str, status_col: str) -> str:
    return (
        f'AND({{col:{date_col}}}{{row}}<>"",{{col:{date_col}}}{{row}}<TODAY(),'
        f'{{col:{status_col}}}{{row}}<>"{STATUS_DONE}",{{col:{status_col}}}{{row}}<>"{STATUS_NA}")'
    )


CLIENTS_SPEC = TableSheet(
    sheet=SHEET_CLIENTS,
    table=TABLE_CLIENTS,
    title="Klienci — rejestr KSeF",
    subtitle=(
        "Jeden wiersz = jeden klient. Kolumny wpisujecie sami; szare (Gotowość, Uprawnienia wg scenariusza, "
        "Następny krok, Problemy, pobieranie) uzupełnia program: ksef-sheets clients check. "
        "Własne kolumny i wiersze możecie dodawać — program ich nie rusza."
    ),
    columns=tuple(
        Col(
            c.header,
            max(c.width, _WIDTHS.get(c.header, 0.0)),
            _KIND_FORMAT.get(c.kind),
            c.choices,
            wrap=c.header in _WRAP,
            computed=c.owner == "computed",
            note=c.note,
            center=c.kind in ("bool", "flag", "scenario") or c.header in ("Gotowość", "Folder"),
        )
        for c in REGISTER_COLUMNS
    ),
    key=("NIP",),
    # Some forty columns: five A4 pages across (NIP and name repeated on each) keep the type at
    # about 70 %, where three pages shrank it below what a person reads comfortably.
    fit_width=5,
    freeze_cols=2,
    rules=(
        (
            PERM_READ_HEADER,
            f'AND(OR({{col:Scenariusz}}{{row}}=2,{{col:Scenariusz}}{{row}}=3),{{col:{PERM_READ_HEADER}}}{{row}}<>"tak")',
            FILL_RED,
            FONT_RED,
        ),
        (
            PERM_WRITE_HEADER,
            f'AND({{col:Scenariusz}}{{row}}=3,{{col:{PERM_WRITE_HEADER}}}{{row}}<>"tak")',
            FILL_RED,
            FONT_RED,
        ),
        (
            PERM_DELEGATE_HEADER,
            f'AND(OR({{col:Scenariusz}}{{row}}=2,{{col:Scenariusz}}{{row}}=3),{{col:{PERM_DELEGATE_HEADER}}}{{row}}<>"tak")',
            FILL_RED,
            FONT_RED,
        ),
        ("Scenariusz", f'{{col:Uprawnienia wg scenariusza}}{{row}}="{PERMS_MISSING}"', FILL_RED, FONT_RED),
        (
            "Uprawnienia wg scenariusza",
            f'{{col:Uprawnienia wg scenariusza}}{{row}}="{PERMS_MISSING}"',
            FILL_RED,
            FONT_RED,
        ),
        (
            "Uprawnienia wg scenariusza",
            f'{{col:Uprawnienia wg scenariusza}}{{row}}="{PERMS_OK}"',
            FILL_GREEN,
            FONT_GREEN,
        ),
        ("Gotowość", f'{{col:Gotowość}}{{row}}="{NOT_READY}"', FILL_RED, FONT_RED),
        ("Gotowość", f'{{col:Gotowość}}{{row}}="{PARTLY}"', FILL_AMBER, None),
        ("Gotowość", f'{{col:Gotowość}}{{row}}="{READY}"', FILL_GREEN, FONT_GREEN),
        (
            "Obowiązek KSeF od",
            'AND({col:Obowiązek KSeF od}{row}<>"",{col:Obowiązek KSeF od}{row}<TODAY(),{col:Aneks}{row}<>"podpisany")',
            FILL_RED,
            FONT_RED,
        ),
        ("Do weryfikacji", "{col:Do weryfikacji}{row}>0", FILL_AMBER, None),
        ("Problem pobierania", "LEN({col:Problem pobierania}{row})>0", FILL_RED, None),
        ("Ustalenia JPK", "{col:Ustalenia JPK}{row}>0", FILL_AMBER, None),
        ("Problemy", "LEN({col:Problemy}{row})>0", FILL_AMBER, None),
        ("NIP", "LEN({col:Problemy}{row})>0", FILL_AMBER, None),
    ),
)

READINESS_SPEC = TableSheet(
    sheet=SHEET_READINESS,
    table="Gotowosc",
    title="Gotowość klientów — ankieta",
    subtitle=(
        "Odpowiedzi z ankiety (tak/nie) wpisujcie w arkuszu Klienci albo wczytajcie wypełnioną ankietę: "
        "ksef-sheets clients readiness PLIK. Wynik i status liczy program; Data ankiety i Uwagi są Wasze."
    ),
    columns=(
        Col("NIP", 13, FMT_TEXT, computed=True),
        Col("Klient", 32, wrap=True, computed=True),
        Col("Scenariusz", 10, computed=True, center=True),
        *(Col(q.header, 15, wrap=True, computed=True, center=True) for q in QUESTIONS),
        Col("Wynik", 8, FMT_PERCENT, computed=True),
        Col("Status", 12, computed=True),
        Col("Do wyjaśnienia", 40, wrap=True, computed=True),
        Col("Data ankiety", 12, FMT_DATE),
        Col("Uwagi", 28, wrap=True),
    ),
    key=("NIP",),
    rules=(
        ("Status", f'{{col:Status}}{{row}}="{NOT_READY}"', FILL_RED, FONT_RED),
        ("Status", f'{{col:Status}}{{row}}="{PARTLY}"', FILL_AMBER, None),
        ("Status", f'{{col:Status}}{{row}}="{READY}"', FILL_GREEN, FONT_GREEN),
        ("Status", f'{{col:Status}}{{row}}="{NO_ANSWERS}"', FILL_GREY, None),
    ),
)

CHECKLIST_SPEC = TableSheet(
    sheet=SHEET_CHECKLIST,
    table="Checklista",
    title="Checklista biura — pięć kroków do KSeF",
    subtitle=(
        "Kroki biura: lista klientów, komunikacja z klientami, oprogramowanie, upoważnienia i tokeny, procedury. "
        "Uzupełniajcie Odpowiedzialny, Termin i Status; zaległe zadania świecą na czerwono."
    ),
    columns=(
        Col("Lp.", 6, FMT_TEXT, center=True),
        Col("Krok", 22, wrap=True),
        Col("Zadanie", 62, wrap=True),
        Col("Odpowiedzialny", 18),
        Col("Termin", 12, FMT_DATE),
        Col("Status", 13, choices=TASK_STATUSES),
        Col("Uwagi", 30, wrap=True),
    ),
    key=("Lp.",),
    rules=(
        ("*", _overdue("Termin", "Status"), FILL_RED, None),
        ("*", f'{{col:Status}}{{row}}="{STATUS_DONE}"', None, FONT_GREY),
    ),
)

PLAN_SPEC = TableSheet(
    sheet=SHEET_PLAN,
    table="Plan",
    title="Plan wdrożenia KSeF",
    subtitle=(
        "Etapy: lista klientów → sprawdzenie programu do faktur → mail edukacyjny z wzorem upoważnienia → "
        "prezentacja scenariuszy → aplikacja do fakturowania → pilotaż z 1–2 klientami. Status „zrobione” "
        "program wpisuje sam, gdy rejestr to pokazuje."
    ),
    columns=(
        Col("Etap", 42, wrap=True),
        Col("NIP", 13, FMT_TEXT),
        Col("Klient", 38, wrap=True, computed=True),
        Col("Termin", 12, FMT_DATE),
        Col("Status", 13, choices=TASK_STATUSES),
        Col("Odpowiedzialny", 18),
        Col("Uwagi", 34, wrap=True),
    ),
    key=("Etap", "NIP"),
    rules=(
        ("*", _overdue("Termin", "Status"), FILL_RED, None),
        ("*", f'{{col:Status}}{{row}}="{STATUS_DONE}"', None, FONT_GREY),
    ),
)

TEAM_SPEC = TableSheet(
    sheet=SHEET_TEAM,
    table="Procedury",
    title="Zespół i procedury",
    subtitle=(
        "Obowiązki opiekunów i harmonogram pobierania wynikają z rejestru (kolumny Opiekun, Harmonogram "
        "pobierania) i są odświeżane; procedury bezpieczeństwa możecie przeredagować — program ich nie nadpisze."
    ),
    columns=(
        Col("Obszar", 16),
        Col("Temat", 30, wrap=True),
        Col("Opis", 70, wrap=True),
        Col("Odpowiedzialny", 18, wrap=True),
        Col("Częstotliwość", 16, wrap=True),
        Col("Uwagi", 24, wrap=True),
    ),
    key=("Obszar", "Temat"),
)

FAQ_SPEC = TableSheet(
    sheet=SHEET_FAQ,
    table="Pytania",
    title="FAQ — pytania klientów o KSeF",
    subtitle="Odpowiedzi gotowe do wklejenia w e-mail. Możecie je zmieniać — program ich nie nadpisze.",
    columns=(
        Col("Lp.", 5, FMT_INT, center=True),
        Col("Temat", 16, wrap=True),
        Col("Pytanie klienta", 30, wrap=True),
        Col("Odpowiedź biura (do wklejenia w e-mail)", 100, wrap=True),
    ),
    key=("Lp.",),
)

SCENARIO_TOPICS: tuple[tuple[str, Callable[[Any], str]], ...] = (
    ("Nazwa", lambda s: s.title),
    ("Kto wystawia faktury sprzedaży", lambda s: s.who_issues),
    ("Kto wysyła do KSeF", lambda s: s.who_sends),
    ("Kto pobiera faktury kosztowe", lambda s: s.who_fetches),
    ("Kto weryfikuje", lambda s: s.who_verifies),
    ("Automatyzacja", lambda s: s.automation),
    ("Odpowiedzialność", lambda s: s.responsibility),
    ("Uprawnienia dla biura", lambda s: s.permissions_text),
    ("Zapisy w aneksie", lambda s: s.contract_clauses),
    ("Terminy w umowie", lambda s: s.deadlines),
    ("Awaria KSeF", lambda s: s.outage),
    ("Opłata", lambda s: s.fee_note),
)
TOPIC_COUNT = "Liczba klientów"

SCENARIOS_SPEC = TableSheet(
    sheet=SHEET_SCENARIOS,
    table="Scenariusze",
    title="Trzy scenariusze współpracy w KSeF",
    subtitle=(
        "Porównanie do rozmowy z klientem. Teksty możecie dopasować (np. opłaty) — program nadpisuje tylko "
        "wiersz „Liczba klientów”."
    ),
    columns=(
        Col("Zagadnienie", 24, wrap=True),
        Col("Scenariusz 1", 42, wrap=True),
        Col("Scenariusz 2", 42, wrap=True),
        Col("Scenariusz 3", 42, wrap=True),
    ),
    key=("Zagadnienie",),
)
