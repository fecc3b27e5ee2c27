"""The office workbook ``biuro.xlsx``: creating it and keeping its sheets current.

``refresh_workbook`` is the one routine every operation ends with (init, import, check, fetch
results): it creates sheets that are missing, recomputes the register's computed columns, merges
generated rows into the staff-edited tables by key (never overwriting what staff typed) and rebuilds
the two purely generated sheets (Pulpit, Terminy). Reading and writing go through
``sheets.tables`` by table and column name only.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, range_boundaries

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, ensure_writable
from ksef_sheets.office import content
from ksef_sheets.office.convert import client_from_row, client_to_row, text_of
from ksef_sheets.office.deadlines import (
    KSEF_DEADLINES,
    OFFLINE_MODES,
    client_deadlines,
    obligation_date,
)
from ksef_sheets.office.model import (
    AUTH_SENT,
    AUTH_SIGNED,
    COLUMN_BY_FIELD,
    PERMS_MISSING,
    PERMS_OK,
    REGISTER_COLUMNS,
    REGISTER_HEADERS,
    Client,
)
from ksef_sheets.office.readiness import NO_ANSWERS, NOT_READY, PARTLY, QUESTIONS, READY, readiness
from ksef_sheets.office.rules import (
    client_problems,
    looks_like_secret,
    next_step,
    permissions_status,
    zaw_fa_default,
)
from ksef_sheets.office.scenarios import SCENARIOS
from ksef_sheets.sheets.office_layout import (
    FILL_AMBER,
    FILL_GREEN,
    FILL_GREY,
    FILL_RED,
    FIRST_ROW,
    FMT_DATE,
    FMT_DATETIME,
    FMT_INT,
    FMT_PERCENT,
    FMT_PLN,
    FMT_TEXT,
    FONT_GREEN,
    FONT_GREY,
    FONT_RED,
    HEADER_ROW,
    NAVY,
    SPAN_ROWS,
    Col,
    TableSheet,
    add_table,
    create_table_sheet,
    fit_rows,
    print_setup,
    write_title,
)
from ksef_sheets.sheets.tables import Formula, Link, OpenpyxlTables, merge_rows

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
            c.width,
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
    fit_width=3,
    freeze_cols=2,
    rules=(
        (
            "InvoiceRead",
            'AND(OR({col:Scenariusz}{row}=2,{col:Scenariusz}{row}=3),{col:InvoiceRead}{row}<>"tak")',
            FILL_RED,
            FONT_RED,
        ),
        ("InvoiceWrite", 'AND({col:Scenariusz}{row}=3,{col:InvoiceWrite}{row}<>"tak")', FILL_RED, FONT_RED),
        (
            "canDelegate",
            'AND(OR({col:Scenariusz}{row}=2,{col:Scenariusz}{row}=3),{col:canDelegate}{row}<>"tak")',
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


@dataclass
class RefreshResult:
    clients: list[Client]
    # (sheet row, NIP, problems) for every register row with problems.
    problems: list[tuple[int, str, list[str]]]
    secrets_removed: int = 0


# -- opening and saving ----------------------------------------------------------------------------


def open_office_workbook(path: Path) -> Workbook:
    """Load ``biuro.xlsx`` for editing, with a Polish message when it is missing or damaged."""
    if not path.exists():
        raise UserError(f"Nie ma pliku {path}. Utwórz biuro poleceniem: ksef-sheets init --dir {path.parent}")
    try:
        return load_workbook(path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UserError(
            f"Plik {path} nie jest poprawnym skoroszytem Excela (.xlsx) albo jest uszkodzony."
        ) from exc


def save_office_workbook(wb: Workbook, path: Path) -> None:
    ensure_writable(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)


# -- the register ---------------------------------------------------------------------------------


def read_register(tables: OpenpyxlTables) -> tuple[list[dict[str, Any]], list[int]]:
    data = tables.read_table(TABLE_CLIENTS)
    if "NIP" not in data.headers:
        raise UserError(f"Tabela {TABLE_CLIENTS} w arkuszu „{data.sheet}” nie ma kolumny „NIP”. Przywróć ją.")
    return data.rows, data.row_numbers


def _register_rows_refreshed(
    rows: list[dict[str, Any]], numbers: list[int], folder: OfficeFolder | None, today: date
) -> RefreshResult:
    clients: list[Client] = []
    problems: list[tuple[int, str, list[str]]] = []
    secrets = 0
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        number = numbers[index] if index < len(numbers) else FIRST_ROW + index
        client, parse_problems = client_from_row(row, number)
        if looks_like_secret(client.credential_ref):
            row[COLUMN_BY_FIELD["credential_ref"].header] = ""
            secrets += 1
        # Staff columns the toolkit may fill when they are empty.
        if client.ksef_obligation_date is None and obligation_date(client.size):
            client.ksef_obligation_date = obligation_date(client.size)
            row["Obowiązek KSeF od"] = client.ksef_obligation_date
        if client.zaw_fa_needed is None and zaw_fa_default(client.legal_form) is not None:
            client.zaw_fa_needed = zaw_fa_default(client.legal_form)
            row.update(client_to_row(client, only={"Potrzebny ZAW-FA"}))
        found = parse_problems + client_problems(client)
        if client.nip and client.nip in seen:
            found.insert(0, f"NIP powtarza się (także wiersz {seen[client.nip]})")
        elif client.nip:
            seen[client.nip] = number
        step = next_step(client, today)
        client.next_step = step
        client.problems = "; ".join(found)
        ready = readiness(client)
        row["Gotowość"] = ready.status
        row["Uprawnienia wg scenariusza"] = permissions_status(client)
        row["Następny krok"] = step
        row["Problemy"] = client.problems
        if folder is not None and client.nip and found[:1] != ["NIP jest pusty"]:
            row["Folder"] = Link("otwórz", f"klienci/{client.nip}")
        if found:
            problems.append((number, client.nip, found))
        clients.append(client)
    return RefreshResult(clients, problems, secrets)


# -- generated rows -------------------------------------------------------------------------------


def _client_link(client: Client) -> Link | str:
    if client.row:
        return Link(client.name or client.nip, f"#'{SHEET_CLIENTS}'!A{client.row}")
    return client.name


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else ("tak" if value else "nie")


def _readiness_rows(clients: Iterable[Client]) -> list[dict[str, Any]]:
    rows = []
    for c in clients:
        if not c.nip:
            continue
        r = readiness(c)
        row: dict[str, Any] = {
            "NIP": c.nip,
            "Klient": _client_link(c),
            "Scenariusz": c.scenario,
            "Wynik": r.score,
            "Status": r.status,
            "Do wyjaśnienia": "; ".join([*(f"brak odpowiedzi: {q}" for q in r.unanswered[:1]), *r.blockers])
            if r.status != NO_ANSWERS
            else "wyślij ankietę",
        }
        for q in QUESTIONS:
            row[q.header] = _yes_no(getattr(c, q.field))
        rows.append(row)
    return rows


# A demo office mid-rollout: what is done, what is in progress (one of it overdue), what is ahead.
_DEMO_DONE = {"1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "4.1", "5.2"}
_DEMO_OVERDUE = {"4.2"}
_DEMO_OWNERS = {"1.": "Anna Kowalska", "2.": "Marek Wójcik", "3.": "Ewa Lis"}


def _checklist_rows(start: date, today: date, demo: bool) -> list[dict[str, Any]]:
    rows = []
    for item in content.CHECKLIST:
        due = start + timedelta(days=item.days)
        status = STATUS_TODO
        owner = "właściciel biura" if item.number.startswith(("4.", "5.")) else ""
        if demo:
            owner = _DEMO_OWNERS.get(item.number[:2], owner)
            if item.number in _DEMO_DONE:
                status = STATUS_DONE
            elif item.number in _DEMO_OVERDUE:
                status, due = STATUS_DOING, today - timedelta(days=5)
            else:
                status = STATUS_DOING if item.number < "4.4" else STATUS_TODO
                due = today + timedelta(days=item.days // 2)
        rows.append(
            {
                "Lp.": item.number,
                "Krok": f"{item.number.split('.')[0]}. {item.step}",
                "Zadanie": item.task,
                "Odpowiedzialny": owner,
                "Termin": due,
                "Status": status,
            }
        )
    return rows


def _plan_done(step: int, c: Client) -> bool:
    if step == 2:
        return c.software_integrated is not None
    if step == 3:
        return c.authorisation_status in (AUTH_SENT, AUTH_SIGNED) or c.knows_ksef is not None
    if step == 4:
        return c.scenario is not None
    if step == 5:
        return c.software_integrated is True
    if step == 6:
        return c.last_fetch is not None
    return False


def _plan_rows(clients: Sequence[Client], start: date) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    rows: list[dict[str, Any]] = []
    done: set[tuple[str, str]] = set()
    for step in content.PLAN_STEPS:
        label = f"{step.number}. {step.title}"
        due = start + timedelta(days=step.days)
        if not step.per_client:
            rows.append(
                {"Etap": label, "NIP": "", "Klient": "wszyscy klienci", "Termin": due, "Status": STATUS_TODO}
            )
            if clients:
                done.add((label, ""))
            continue
        for c in clients:
            if not c.nip:
                continue
            if step.number == 5 and c.software_integrated is True and c.scenario != 3:
                continue
            if step.number == 6 and not c.pilot:
                continue
            rows.append(
                {
                    "Etap": label,
                    "NIP": c.nip,
                    "Klient": _client_link(c),
                    "Termin": due,
                    "Status": STATUS_TODO,
                    "Odpowiedzialny": c.staff_member,
                }
            )
            if _plan_done(step.number, c):
                done.add((label, c.nip))
    return rows, done


def _team_rows(clients: Sequence[Client]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    rows: list[dict[str, Any]] = []
    computed_keys: list[tuple[str, str]] = []
    by_staff: dict[str, list[Client]] = {}
    for c in clients:
        if c.nip:
            by_staff.setdefault(c.staff_member or "(nieprzypisani)", []).append(c)
    for person, mine in sorted(by_staff.items()):
        fetching = [c for c in mine if c.scenario in (2, 3)]
        issuing = [c for c in mine if c.scenario == 3]
        duties = [
            f"Opiekun {len(mine)} klientów: {', '.join(c.name or c.nip for c in mine)}.",
            "Prowadzi rejestr (uprawnienia, upoważnienia, aneksy) i następne kroki.",
        ]
        if fetching:
            duties.append(f"Pobiera faktury dla {len(fetching)} klientów i pilnuje ich weryfikacji.")
        if issuing:
            duties.append(f"Wystawia faktury w imieniu {len(issuing)} klientów (scenariusz 3).")
        key = ("Obowiązki", person)
        rows.append(
            {
                "Obszar": "Obowiązki",
                "Temat": person,
                "Opis": " ".join(duties),
                "Odpowiedzialny": person,
                "Częstotliwość": "stale",
            }
        )
        computed_keys.append(key)
    by_schedule: dict[str, list[Client]] = {}
    for c in clients:
        if c.nip and c.fetch_schedule and c.fetch_schedule != "nie pobieramy":
            by_schedule.setdefault(c.fetch_schedule, []).append(c)
    for schedule, mine in sorted(by_schedule.items()):
        rows.append(
            {
                "Obszar": "Harmonogram",
                "Temat": f"Pobieranie: {schedule}",
                "Opis": f"ksef-sheets fetch dla: {', '.join(c.name or c.nip for c in mine)}.",
                "Odpowiedzialny": ", ".join(sorted({c.staff_member for c in mine if c.staff_member}))
                or "opiekunowie",
                "Częstotliwość": schedule,
            }
        )
        computed_keys.append(("Harmonogram", f"Pobieranie: {schedule}"))
    for p in content.SECURITY_PROCEDURES:
        rows.append(
            {
                "Obszar": p.area,
                "Temat": p.topic,
                "Opis": p.description,
                "Odpowiedzialny": p.owner,
                "Częstotliwość": p.frequency,
            }
        )
    return rows, computed_keys


def _faq_rows() -> list[dict[str, Any]]:
    return [
        {
            "Lp.": f.number,
            "Temat": f.topic,
            "Pytanie klienta": f.question,
            "Odpowiedź biura (do wklejenia w e-mail)": f.answer,
        }
        for f in content.FAQ
    ]


def _scenario_rows(scenario_range: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for topic, getter in SCENARIO_TOPICS:
        rows.append({"Zagadnienie": topic, **{f"Scenariusz {n}": getter(s) for n, s in SCENARIOS.items()}})
    rows.append(
        {
            "Zagadnienie": TOPIC_COUNT,
            **{f"Scenariusz {n}": Formula(f"=COUNTIF({scenario_range},{n})") for n in SCENARIOS},
        }
    )
    return rows


# -- sheets ---------------------------------------------------------------------------------------


def _sync_table_sheet(
    wb: Workbook,
    tables: OpenpyxlTables,
    spec: TableSheet,
    generated: list[dict[str, Any]],
    office_line: str,
    *,
    computed_keys: Iterable[tuple[str, ...]] = (),
    after_merge: Callable[[list[dict[str, Any]]], None] | None = None,
) -> None:
    if spec.sheet not in wb.sheetnames or spec.table not in tables.table_names():
        if spec.sheet in wb.sheetnames:
            raise UserError(
                f"Arkusz „{spec.sheet}” nie zawiera tabeli „{spec.table}”. Przywróć tabelę albo usuń arkusz — "
                "program utworzy go na nowo."
            )
        rows = merge_rows([], generated, key=spec.key, computed=spec.computed)
        if after_merge:
            after_merge(rows)
        create_table_sheet(wb, spec, index=_index_for(wb, spec.sheet), office=office_line, rows=rows)
        return
    existing = tables.read_table(spec.table)
    rows = merge_rows(
        existing.rows, generated, key=spec.key, computed=spec.computed, computed_keys=list(computed_keys)
    )
    if after_merge:
        after_merge(rows)
    tables.write_table(spec.table, rows, headers=spec.headers)
    _fit(tables, spec.table)


def _fit(tables: OpenpyxlTables, table_name: str) -> None:
    ws, table = tables.find_table(table_name)
    fit_rows(ws, table.ref)


def _index_for(wb: Workbook, sheet: str) -> int:
    """Where a (re)created sheet goes: after the known sheets that precede it."""
    position = SHEET_ORDER.index(sheet)
    before = [s for s in SHEET_ORDER[:position] if s in wb.sheetnames]
    if not before:
        return 0
    return wb.sheetnames.index(before[-1]) + 1


def _column_range(tables: OpenpyxlTables, header: str) -> str:
    """An absolute range over a Klienci column, for COUNTIF on the dashboard."""
    ws, table = tables.find_table(TABLE_CLIENTS)
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    for c in range(min_col, max_col + 1):
        if text_of(ws.cell(row=min_row, column=c).value) == header:
            letter = get_column_letter(c)
            last = max(SPAN_ROWS, max_row + 500)
            return f"'{ws.title}'!${letter}${min_row + 1}:${letter}${last}"
    raise UserError(f"Tabela {TABLE_CLIENTS} nie ma kolumny „{header}”.")


def _table_column_range(tables: OpenpyxlTables, table_name: str, header: str) -> str | None:
    try:
        ws, table = tables.find_table(table_name)
    except UserError:
        return None
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    for c in range(min_col, max_col + 1):
        if text_of(ws.cell(row=min_row, column=c).value) == header:
            letter = get_column_letter(c)
            return f"'{ws.title}'!${letter}${min_row + 1}:${letter}${max(SPAN_ROWS, max_row + 500)}"
    return None


def _rebuild_dashboard(wb: Workbook, tables: OpenpyxlTables, config: OfficeConfig, now: datetime) -> None:
    index = wb.sheetnames.index(SHEET_DASHBOARD) if SHEET_DASHBOARD in wb.sheetnames else 0
    if SHEET_DASHBOARD in wb.sheetnames:
        wb.remove(wb[SHEET_DASHBOARD])
    ws = wb.create_sheet(SHEET_DASHBOARD, index)
    office_line = f"{config.office_name} · NIP {config.office_nip}"
    write_title(
        ws,
        "Pulpit — wdrożenie KSeF w biurze",
        "Stan na dzień odświeżenia; liczby przeliczają się w Excelu po każdej zmianie w arkuszu Klienci. "
        "Kliknij nazwę arkusza, aby przejść.",
        3,
        "",
    )
    ws["A3"].value = config.office_name
    ws["B3"].value = config.office_nip
    ws["B3"].number_format = FMT_TEXT
    ws["C3"].value = now.replace(microsecond=0, tzinfo=None)
    ws["C3"].number_format = '"odświeżono "dd.mm.yyyy hh:mm'
    for cell in ("A3", "B3", "C3"):
        ws[cell].font = Font(size=9, color="595959")
    tables.define_name("BiuroNazwa", SHEET_DASHBOARD, "A3")
    tables.define_name("BiuroNIP", SHEET_DASHBOARD, "B3")
    tables.define_name("Odswiezono", SHEET_DASHBOARD, "C3")

    nip = _column_range(tables, "NIP")
    scen = _column_range(tables, "Scenariusz")
    ready = _column_range(tables, "Gotowość")
    perms = _column_range(tables, "Uprawnienia wg scenariusza")
    annex = _column_range(tables, "Aneks")
    verify = _column_range(tables, "Do weryfikacji")
    fetch_problem = _column_range(tables, "Problem pobierania")
    problems = _column_range(tables, "Problemy")
    fee = _column_range(tables, "Opłata KSeF (zł/mies.)")
    clients_link = f"#'{SHEET_CLIENTS}'!A1"
    rows: list[dict[str, Any]] = [
        {
            "Wskaźnik": "Klienci w rejestrze",
            "Liczba": Formula(f"=COUNTA({nip})"),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
        *(
            {
                "Wskaźnik": f"Scenariusz {n}: {s.title.lower()}",
                "Liczba": Formula(f"=COUNTIF({scen},{n})"),
                "Przejdź": Link(SHEET_SCENARIOS, f"#'{SHEET_SCENARIOS}'!A1"),
            }
            for n, s in SCENARIOS.items()
        ),
        {
            "Wskaźnik": "Bez wybranego scenariusza",
            "Liczba": Formula(f"=COUNTA({nip})-COUNTIF({scen},1)-COUNTIF({scen},2)-COUNTIF({scen},3)"),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
        {
            "Wskaźnik": "Niegotowi (ankieta)",
            "Liczba": Formula(f'=COUNTIF({ready},"{NOT_READY}")'),
            "Przejdź": Link(SHEET_READINESS, f"#'{SHEET_READINESS}'!A1"),
        },
        {
            "Wskaźnik": "Bez ankiety gotowości",
            "Liczba": Formula(f'=COUNTIF({ready},"{NO_ANSWERS}")'),
            "Przejdź": Link(SHEET_READINESS, f"#'{SHEET_READINESS}'!A1"),
        },
        {
            "Wskaźnik": "Brak uprawnień wymaganych przez scenariusz",
            "Liczba": Formula(f'=COUNTIF({perms},"{PERMS_MISSING}")'),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
        {
            "Wskaźnik": "Aneks niepodpisany",
            "Liczba": Formula(f'=COUNTA({nip})-COUNTIF({annex},"podpisany")'),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
        {
            "Wskaźnik": "Faktury do weryfikacji przez klientów",
            "Liczba": Formula(f"=SUM({verify})"),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
        {
            "Wskaźnik": "Klienci z fakturami do weryfikacji",
            "Liczba": Formula(f'=COUNTIF({verify},">0")'),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
        {
            "Wskaźnik": "Problemy przy pobieraniu",
            "Liczba": Formula(f'=COUNTIF({fetch_problem},"?*")'),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
        {
            "Wskaźnik": "Wiersze rejestru z problemami",
            "Liczba": Formula(f'=COUNTIF({problems},"?*")'),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        },
    ]
    for table, sheet, label in (
        ("Checklista", SHEET_CHECKLIST, "Zaległe zadania biura"),
        ("Plan", SHEET_PLAN, "Zaległe kroki planu wdrożenia"),
    ):
        due = _table_column_range(tables, table, "Termin")
        status = _table_column_range(tables, table, "Status")
        if due and status:
            rows.append(
                {
                    "Wskaźnik": label,
                    "Liczba": Formula(
                        f'=COUNTIFS({due},"<"&TODAY(),{status},"<>{STATUS_DONE}",{status},"<>{STATUS_NA}",{due},"<>")'
                    ),
                    "Przejdź": Link(sheet, f"#'{sheet}'!A1"),
                }
            )
    rows.append(
        {
            "Wskaźnik": "Opłaty KSeF miesięcznie (zł)",
            "Liczba": Formula(f"=SUM({fee})"),
            "Przejdź": Link(SHEET_CLIENTS, clients_link),
        }
    )
    cols = (Col("Wskaźnik", 44), Col("Liczba", 13, FMT_INT), Col("Przejdź", 20))
    add_table(ws, "Pulpit", cols, HEADER_ROW, rows=rows)
    fee_row = HEADER_ROW + len(rows)
    ws.cell(row=fee_row, column=2).number_format = FMT_PLN
    for r in range(HEADER_ROW + 1, fee_row + 1):
        ws.cell(row=r, column=2).font = Font(bold=True, size=12, color=NAVY)
        ws.cell(row=r, column=2).alignment = Alignment(horizontal="right", vertical="top")
    # Highlight the counts that need action when they are above zero.
    from openpyxl.formatting.rule import FormulaRule

    for r in range(HEADER_ROW + 1, fee_row):
        label = text_of(ws.cell(row=r, column=1).value)
        if label.startswith(("Niegotowi", "Brak uprawnień", "Problemy", "Zaległe", "Wiersze", "Bez ")):
            ws.conditional_formatting.add(
                f"B{r}", FormulaRule(formula=[f"B{r}>0"], fill=FILL_RED, font=FONT_RED)
            )

    nav_row = HEADER_ROW
    nav = [
        (SHEET_CLIENTS, "rejestr klientów: dane, scenariusz, uprawnienia, upoważnienia, następny krok"),
        (SHEET_SCENARIOS, "trzy scenariusze współpracy obok siebie i ilu klientów wybrało każdy"),
        (SHEET_READINESS, "ankieta gotowości klientów z wynikiem"),
        (SHEET_CHECKLIST, "pięć kroków biura z odpowiedzialnym, terminem i statusem"),
        (SHEET_PLAN, "plan wdrożenia u klientów: daty i statusy"),
        (SHEET_TEAM, "obowiązki opiekunów, harmonogram pobierania, bezpieczeństwo"),
        (SHEET_FAQ, "odpowiedzi na pytania klientów do wklejenia w e-mail"),
        (SHEET_DEADLINES, "terminy KSeF, tryby offline i najbliższy termin każdego klienta"),
    ]
    add_table(
        ws,
        "Arkusze",
        (Col("Arkusz", 20), Col("Do czego służy", 50, wrap=True)),
        nav_row,
        start_col=5,
        rows=[{"Arkusz": Link(s, f"#'{s}'!A1"), "Do czego służy": d} for s, d in nav],
        style="TableStyleLight9",
    )
    ws.column_dimensions["D"].width = 3
    ws.freeze_panes = None
    print_setup(ws, landscape=True, fit_width=1, title_rows="", office=office_line)


def _rebuild_deadlines(wb: Workbook, clients: Sequence[Client], config: OfficeConfig, today: date) -> None:
    index = wb.sheetnames.index(SHEET_DEADLINES) if SHEET_DEADLINES in wb.sheetnames else len(wb.sheetnames)
    if SHEET_DEADLINES in wb.sheetnames:
        wb.remove(wb[SHEET_DEADLINES])
    ws = wb.create_sheet(SHEET_DEADLINES, index)
    office_line = f"{config.office_name} · NIP {config.office_nip}"
    write_title(
        ws,
        "Terminy KSeF",
        "Terminy ustawowe, terminy dosłania faktur z trybów offline i najbliższy termin każdego klienta. "
        "Arkusz jest generowany od nowa przy każdym odświeżeniu.",
        5,
        office_line,
    )
    dl_cols = (
        Col("Data", 16, FMT_DATE),
        Col("Termin", 36, wrap=True),
        Col("Kogo dotyczy", 36, wrap=True),
        Col("Szczegóły", 60, wrap=True),
        Col("Za ile dni", 10, FMT_INT),
    )
    dl_rows = [
        {
            "Data": d.when,
            "Termin": d.title,
            "Kogo dotyczy": d.who,
            "Szczegóły": d.details,
            "Za ile dni": (d.when - today).days if d.when >= today else None,
        }
        for d in KSEF_DEADLINES
    ]
    ref = add_table(ws, "Terminy", dl_cols, HEADER_ROW, rows=dl_rows)
    from openpyxl.formatting.rule import FormulaRule

    last = range_boundaries(ref)[3]
    ws.conditional_formatting.add(
        f"A{HEADER_ROW + 1}:E{last}", FormulaRule(formula=[f"$A{HEADER_ROW + 1}<TODAY()"], font=FONT_GREY)
    )
    ws.conditional_formatting.add(
        f"A{HEADER_ROW + 1}:E{last}",
        FormulaRule(
            formula=[f"AND($A{HEADER_ROW + 1}>=TODAY(),$A{HEADER_ROW + 1}-TODAY()<=45)"], fill=FILL_AMBER
        ),
    )

    row = last + 3
    ws.cell(row=row - 1, column=1).value = "Tryby offline — termin dosłania faktury do KSeF"
    ws.cell(row=row - 1, column=1).font = Font(bold=True, size=12, color=NAVY)
    off_cols = (
        Col("Tryb", 16, wrap=True),
        Col("Kiedy", 36, wrap=True),
        Col("Odpowiada", 36),
        Col("Termin wysłania do KSeF", 60, wrap=True),
        Col("Podstawa", 10),
    )
    ref = add_table(
        ws,
        "TrybyOffline",
        off_cols,
        row,
        rows=[
            {
                "Tryb": m.name,
                "Kiedy": m.trigger,
                "Odpowiada": m.responsibility,
                "Termin wysłania do KSeF": m.deadline,
                "Podstawa": m.legal_basis,
            }
            for m in OFFLINE_MODES
        ],
        style="TableStyleMedium7",
        widen_only=True,
    )
    row = range_boundaries(ref)[3] + 3
    ws.cell(row=row - 1, column=1).value = "Najbliższy termin każdego klienta"
    ws.cell(row=row - 1, column=1).font = Font(bold=True, size=12, color=NAVY)
    client_cols = (
        Col("Data", 16, FMT_DATE),
        Col("Klient", 36, wrap=True),
        Col("NIP", 36, FMT_TEXT),
        Col("Czego dotyczy", 60, wrap=True),
        Col("Za ile dni", 10, FMT_INT),
    )
    client_rows = []
    for c in clients:
        if not c.nip:
            continue
        upcoming = client_deadlines(c, today)
        first = upcoming[0]
        client_rows.append(
            {
                "Data": first.when,
                "Klient": _client_link(c),
                "NIP": c.nip,
                "Czego dotyczy": f"{first.title}. {first.details}",
                "Za ile dni": (first.when - today).days,
            }
        )
    client_rows.sort(key=lambda r: (r["Data"], r["NIP"]))
    add_table(
        ws, "TerminyKlientow", client_cols, row, rows=client_rows, style="TableStyleMedium4", widen_only=True
    )
    ws.freeze_panes = None
    print_setup(ws, landscape=True, fit_width=1, title_rows="", office=office_line)


# -- the one refresh ------------------------------------------------------------------------------


def refresh_workbook(
    wb: Workbook,
    config: OfficeConfig,
    *,
    folder: OfficeFolder | None,
    today: date,
    now: datetime | None = None,
    demo: bool = False,
    extra_register_rows: Callable[[list[dict[str, Any]], list[int]], list[dict[str, Any]]] | None = None,
) -> RefreshResult:
    """Bring every sheet of the office workbook up to date; staff edits are preserved.

    ``extra_register_rows`` lets a caller (the importer) change the register rows before the
    computed columns are recalculated; it receives and returns the rows in sheet order.
    """
    office_line = f"{config.office_name} · NIP {config.office_nip}"
    tables = OpenpyxlTables(wb, source="biuro.xlsx")
    if SHEET_CLIENTS not in wb.sheetnames and TABLE_CLIENTS not in tables.table_names():
        create_table_sheet(wb, CLIENTS_SPEC, index=_index_for(wb, SHEET_CLIENTS), office=office_line)
    rows, numbers = read_register(tables)
    if extra_register_rows is not None:
        rows = extra_register_rows(rows, numbers)
    # The register is written back contiguously, so messages and links use the rows after writing.
    numbers = _numbers_after_write(tables, rows)
    result = _register_rows_refreshed(rows, numbers, folder, today)
    tables.write_table(TABLE_CLIENTS, rows, headers=REGISTER_HEADERS)
    _fit(tables, TABLE_CLIENTS)
    clients = result.clients
    # A demo office is mid-rollout: its plan started a few months ago.
    start = today - timedelta(days=100) if demo else today
    scen_range = _column_range(tables, "Scenariusz")
    _sync_table_sheet(
        wb, tables, SCENARIOS_SPEC, _scenario_rows(scen_range), office_line, computed_keys=[(TOPIC_COUNT,)]
    )
    _sync_table_sheet(wb, tables, READINESS_SPEC, _readiness_rows(clients), office_line)
    _sync_table_sheet(wb, tables, CHECKLIST_SPEC, _checklist_rows(start, today, demo), office_line)
    plan_rows, done = _plan_rows(clients, start)

    def mark_done(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            key = (text_of(row.get("Etap")), text_of(row.get("NIP")))
            if key in done and text_of(row.get("Status")) in ("", STATUS_TODO, STATUS_DOING):
                row["Status"] = STATUS_DONE

    _sync_table_sheet(wb, tables, PLAN_SPEC, plan_rows, office_line, after_merge=mark_done)
    team_rows, team_keys = _team_rows(clients)
    _sync_table_sheet(wb, tables, TEAM_SPEC, team_rows, office_line, computed_keys=team_keys)
    _sync_table_sheet(wb, tables, FAQ_SPEC, _faq_rows(), office_line)
    _rebuild_deadlines(wb, clients, config, today)
    _rebuild_dashboard(wb, tables, config, now or datetime.now())
    if (
        "Sheet" in wb.sheetnames
        and len(wb.sheetnames) > 1
        and wb["Sheet"].max_row == 1
        and wb["Sheet"]["A1"].value is None
    ):
        wb.remove(wb["Sheet"])
    wb.active = wb.sheetnames.index(SHEET_DASHBOARD)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == SHEET_DASHBOARD
    return result


def _numbers_after_write(tables: OpenpyxlTables, rows: list[dict[str, Any]]) -> list[int]:
    """Sheet rows the register rows will occupy once written (they are written contiguously)."""
    _ws, table = tables.find_table(TABLE_CLIENTS)
    min_row = range_boundaries(table.ref)[1]
    return [min_row + 1 + i for i in range(len(rows))]
