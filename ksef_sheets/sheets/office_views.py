"""The two sheets rebuilt on every refresh: Pulpit (dashboard) and Terminy (deadlines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from ksef_sheets.config import OfficeConfig
from ksef_sheets.errors import UserError
from ksef_sheets.office import (
    KSEF_DEADLINES,
    NO_ANSWERS,
    NOT_READY,
    OFFLINE_KINDS,
    OFFLINE_MODES,
    PERMS_MISSING,
    SCENARIOS,
    Client,
    client_deadlines,
    format_day,
    jpk_deadline,
    offline_deadline,
    text_of,
)
from ksef_sheets.sheets.office_layout import (
    FILL_AMBER,
    FILL_RED,
    FMT_DATE,
    FMT_INT,
    FMT_PLN,
    FMT_TEXT,
    FONT_GREY,
    FONT_RED,
    HEADER_ROW,
    NAVY,
    SPAN_ROWS,
    Col,
    add_table,
    print_setup,
    write_title,
)
from ksef_sheets.sheets.office_rows import client_link
from ksef_sheets.sheets.office_specs import (
    SHEET_CHECKLIST,
    SHEET_CLIENTS,
    SHEET_DASHBOARD,
    SHEET_DEADLINES,
    SHEET_FAQ,
    SHEET_PLAN,
    SHEET_READINESS,
    SHEET_SCENARIOS,
    SHEET_TEAM,
    STATUS_DONE,
    STATUS_NA,
    TABLE_CLIENTS,
)
from ksef_sheets.sheets.tables import Formula, Link, OpenpyxlTables
from ksef_sheets.text import warsaw_time


def column_range(tables: OpenpyxlTables, header: str) -> str:
    """An absolute range over a Klienci column, for COUNTIF on the dashboard."""
    ws, table = tables.find_table(TABLE_CLIENTS)
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    for c in range(min_col, max_col + 1):
        if text_of(ws.cell(row=min_row, column=c).value) == header:
            letter = get_column_letter(c)
            last = max(SPAN_ROWS, max_row + 500)
            return f"'{ws.title}'!${letter}${min_row + 1}:${letter}${last}"
    raise UserError(f"Tabela {TABLE_CLIENTS} nie ma kolumny „{header}”.")


def table_column_range(tables: OpenpyxlTables, table_name: str, header: str) -> str | None:
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


def _replace_sheet(
    wb: Workbook, name: str, own_tables: tuple[str, ...], *, default_index: int | None
) -> Worksheet:
    """A fresh sheet in place of the generated one — found by its tables, so a renamed tab is replaced too
    (never two tables with one name, which Excel would refuse)."""
    old = None
    for ws in wb.worksheets:
        if any(t.casefold() in {o.casefold() for o in own_tables} for t in ws.tables):
            old = ws
            break
    if old is None and name in wb.sheetnames:
        old = wb[name]
    index = (
        wb.worksheets.index(old)
        if old is not None
        else (len(wb.worksheets) if default_index is None else default_index)
    )
    if old is not None:
        wb.remove(old)
    if name in wb.sheetnames:  # a staff sheet took the name: keep it, ours gets a suffix
        name = f"{name} (program)"
    return wb.create_sheet(name, index)


def rebuild_dashboard(wb: Workbook, tables: OpenpyxlTables, config: OfficeConfig, now: datetime) -> None:
    ws = _replace_sheet(wb, SHEET_DASHBOARD, ("Pulpit", "Arkusze"), default_index=0)
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
    # Excel has no time zones: the cell holds the Polish wall clock, like "Ostatnie pobranie".
    ws["C3"].value = warsaw_time(now).replace(microsecond=0, tzinfo=None)
    ws["C3"].number_format = '"odświeżono "dd.mm.yyyy hh:mm'
    for cell in ("A3", "B3", "C3"):
        ws[cell].font = Font(size=9, color="595959")
    tables.define_name("BiuroNazwa", SHEET_DASHBOARD, "A3")
    tables.define_name("BiuroNIP", SHEET_DASHBOARD, "B3")
    tables.define_name("Odswiezono", SHEET_DASHBOARD, "C3")

    nip = column_range(tables, "NIP")
    scen = column_range(tables, "Scenariusz")
    ready = column_range(tables, "Gotowość")
    perms = column_range(tables, "Uprawnienia wg scenariusza")
    annex = column_range(tables, "Aneks")
    verify = column_range(tables, "Do weryfikacji")
    fetch_problem = column_range(tables, "Problem pobierania")
    jpk_findings = column_range(tables, "Ustalenia JPK")
    problems = column_range(tables, "Problemy")
    fee = column_range(tables, "Opłata KSeF (zł/mies.)")
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
            "Wskaźnik": "Klienci z ustaleniami uzgodnienia JPK z KSeF",
            "Liczba": Formula(f'=COUNTIF({jpk_findings},">0")'),
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
        due = table_column_range(tables, table, "Termin")
        status = table_column_range(tables, table, "Status")
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


def _offline_example(kind: str, today: date) -> str:
    """The deadline of the mode for an invoice issued (or an outage ended) today, by the calendar."""
    due = offline_deadline(kind, today)
    if due is None:
        return "brak obowiązku wysłania"
    return f"{format_day(today)} → {format_day(due)}"


def rebuild_deadlines(wb: Workbook, clients: Sequence[Client], config: OfficeConfig, today: date) -> None:
    ws = _replace_sheet(
        wb, SHEET_DEADLINES, ("Terminy", "TrybyOffline", "TerminyKlientow"), default_index=None
    )
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
    # The statutory list and the next JPK_V7, each moved past a day off (art. 12 § 5) with a note.
    deadlines = sorted((*KSEF_DEADLINES, jpk_deadline(today)), key=lambda d: d.when)
    dl_rows = [
        {
            "Data": d.when,
            "Termin": d.title,
            "Kogo dotyczy": d.who,
            "Szczegóły": d.full_details,
            "Za ile dni": (d.when - today).days if d.when >= today else None,
        }
        for d in deadlines
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
        Col("Przykład: od dziś", 30, wrap=True),
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
                "Przykład: od dziś": _offline_example(kind, today),
            }
            for m, kind in zip(OFFLINE_MODES, OFFLINE_KINDS, strict=True)
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
                "Klient": client_link(c),
                "NIP": c.nip,
                "Czego dotyczy": f"{first.title}. {first.full_details}",
                "Za ile dni": (first.when - today).days,
            }
        )
    client_rows.sort(key=lambda r: (r["Data"], r["NIP"]))
    add_table(
        ws, "TerminyKlientow", client_cols, row, rows=client_rows, style="TableStyleMedium4", widen_only=True
    )
    ws.freeze_panes = None
    print_setup(ws, landscape=True, fit_width=1, title_rows="", office=office_line)
