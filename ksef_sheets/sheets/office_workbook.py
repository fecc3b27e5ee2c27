"""The office workbook ``biuro.xlsx``: creating it and keeping its sheets current.

``refresh_workbook`` is the one routine every operation ends with (init, import, check, fetch
results): it creates sheets that are missing, recomputes the register's computed columns, merges
generated rows into the staff-edited tables by key (never overwriting what staff typed) and rebuilds
the two purely generated sheets (Pulpit, Terminy). Reading and writing go through
``sheets.tables`` by table and column name only.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import range_boundaries

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, ensure_writable
from ksef_sheets.office import (
    COLUMN_BY_FIELD,
    LEGACY_HEADERS,
    REGISTER_HEADERS,
    Client,
    client_from_row,
    client_problems,
    client_to_row,
    looks_like_secret,
    next_step,
    obligation_date,
    permissions_status,
    readiness,
    replace_superseded,
    text_of,
    zaw_fa_default,
)
from ksef_sheets.redaction import redact
from ksef_sheets.sheets.office_access import ensure_staff_sheet
from ksef_sheets.sheets.office_layout import (
    FIRST_ROW,
    TableSheet,
    create_table_sheet,
    fit_rows,
)
from ksef_sheets.sheets.office_rows import (
    checklist_rows,
    faq_rows,
    plan_rows,
    readiness_rows,
    scenario_rows,
    team_rows,
)
from ksef_sheets.sheets.office_specs import (
    CHECKLIST_SPEC,
    CLIENTS_SPEC,
    FAQ_SPEC,
    PLAN_SPEC,
    READINESS_SPEC,
    SCENARIOS_SPEC,
    SHEET_CLIENTS,
    SHEET_DASHBOARD,
    SHEET_ORDER,
    STATUS_DOING,
    STATUS_DONE,
    STATUS_TODO,
    TABLE_CLIENTS,
    TEAM_SPEC,
    TOPIC_COUNT,
)
from ksef_sheets.sheets.office_views import column_range, rebuild_dashboard, rebuild_deadlines
from ksef_sheets.sheets.tables import Link, OpenpyxlTables, merge_rows


@dataclass
class RefreshResult:
    clients: list[Client]
    # (sheet row, NIP, problems) for every register row with problems.
    problems: list[tuple[int, str, list[str]]]
    secrets_removed: int = 0


# -- opening and saving ----------------------------------------------------------------------------


# Parts of an .xlsx that openpyxl does not carry over when it saves: writing would silently drop them.
_UNKEPT_PARTS = {
    "xl/charts/": "wykresy",
    "xl/media/": "obrazy",
    "xl/slicers/": "fragmentatory (slicery)",
    "xl/timelines/": "osie czasu",
    "xl/vbaProject.bin": "makra",
}


def open_office_workbook(path: Path, *, for_writing: bool = True) -> Workbook:
    """Load ``biuro.xlsx`` (Polish message when missing or damaged).

    For writing, a workbook holding things the toolkit could not keep (charts, images, slicers) is
    refused rather than saved without them.
    """
    if not path.exists():
        raise UserError(
            f"Nie ma pliku {path}. Utwórz biuro poleceniem „ksef-sheets init --dir {path.parent}”."
        )
    if for_writing:
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as exc:
            raise UserError(
                f"Plik {path} nie jest poprawnym skoroszytem Excela (.xlsx) albo jest uszkodzony."
            ) from exc
        found = sorted(
            {label for prefix, label in _UNKEPT_PARTS.items() for n in names if n.startswith(prefix)}
        )
        if found:
            raise UserError(
                f"Plik {path} zawiera {', '.join(found)}, których program nie umie zachować przy zapisie. "
                "Przenieś je do osobnego skoroszytu i uruchom polecenie ponownie."
            )
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


def _superseded(rows: list[dict[str, Any]], table: str, key: tuple[str, ...], column: str) -> None:
    """Seeded texts an earlier version got wrong are updated while staff have not edited them."""
    replace_superseded(rows, table, key, column)


def read_register(tables: OpenpyxlTables) -> tuple[list[dict[str, Any]], list[int]]:
    _rename_legacy_headers(tables)
    data = tables.read_table(TABLE_CLIENTS)
    if "NIP" not in data.headers:
        raise UserError(f"Tabela {TABLE_CLIENTS} w arkuszu „{data.sheet}” nie ma kolumny „NIP”. Przywróć ją.")
    return data.rows, data.row_numbers


def _rename_legacy_headers(tables: OpenpyxlTables) -> None:
    """An older register's permission columns headed by KSeF codes get their Polish names, in place
    (header cell and table column), so their values stay in their column (``LEGACY_HEADERS``)."""
    try:
        ws, table = tables.find_table(TABLE_CLIENTS)
    except UserError:
        return  # read_table says the table is missing
    min_col, min_row, max_col, _ = range_boundaries(table.ref)
    present = {ws.cell(min_row, c).value for c in range(min_col, max_col + 1)}
    for index, column in enumerate(range(min_col, max_col + 1)):
        cell = ws.cell(min_row, column)
        new = LEGACY_HEADERS.get(str(cell.value)) if isinstance(cell.value, str) else None
        if new is None or new in present:
            continue
        cell.value = new
        if table.tableColumns and index < len(table.tableColumns):
            table.tableColumns[index].name = new


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
        # A token or JWT pasted anywhere else in the row (notes, staff's own columns) is masked.
        for header, value in row.items():
            if isinstance(value, str) and not value.startswith("=") and redact(value) != value:
                row[header] = redact(value)
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
    # The table is what counts: staff may rename a sheet, and Excel table names are unique.
    if spec.table.casefold() not in {t.casefold() for t in tables.table_names()}:
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
    answered_on: Mapping[str, date] | None = None,
) -> RefreshResult:
    """Bring every sheet of the office workbook up to date; staff edits are preserved.

    ``extra_register_rows`` lets a caller (the importer) change the register rows before the
    computed columns are recalculated; it receives and returns the rows in sheet order.
    ``answered_on`` (NIP → date) records when questionnaire answers arrived (Gotowość, Data ankiety).
    """
    office_line = f"{config.office_name} · NIP {config.office_nip}"
    tables = OpenpyxlTables(wb, source="biuro.xlsx")
    if SHEET_CLIENTS not in wb.sheetnames and TABLE_CLIENTS.casefold() not in {
        t.casefold() for t in tables.table_names()
    }:
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
    scen_range = column_range(tables, "Scenariusz")
    _sync_table_sheet(
        wb, tables, SCENARIOS_SPEC, scenario_rows(scen_range), office_line, computed_keys=[(TOPIC_COUNT,)]
    )
    answered = dict(answered_on or {})
    _sync_table_sheet(
        wb,
        tables,
        READINESS_SPEC,
        readiness_rows(clients, answered),
        office_line,
        computed_keys=[(nip,) for nip in answered],
    )
    _sync_table_sheet(
        wb,
        tables,
        CHECKLIST_SPEC,
        checklist_rows(start, today, demo),
        office_line,
        after_merge=lambda rows: _superseded(rows, "checklist", CHECKLIST_SPEC.key, "Zadanie"),
    )
    generated_plan, done = plan_rows(clients, start)

    def mark_done(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            key = (text_of(row.get("Etap")), text_of(row.get("NIP")))
            if key in done and text_of(row.get("Status")) in ("", STATUS_TODO, STATUS_DOING):
                row["Status"] = STATUS_DONE

    _sync_table_sheet(wb, tables, PLAN_SPEC, generated_plan, office_line, after_merge=mark_done)
    generated_team, team_keys = team_rows(clients)
    _sync_table_sheet(
        wb,
        tables,
        TEAM_SPEC,
        generated_team,
        office_line,
        computed_keys=team_keys,
        after_merge=lambda rows: _superseded(rows, "procedures", TEAM_SPEC.key, "Opis"),
    )
    ensure_staff_sheet(wb, office_line)  # staff register: created once, then only staff edit it
    _sync_table_sheet(
        wb,
        tables,
        FAQ_SPEC,
        faq_rows(),
        office_line,
        after_merge=lambda rows: _superseded(
            rows, "faq", FAQ_SPEC.key, "Odpowiedź biura (do wklejenia w e-mail)"
        ),
    )
    rebuild_deadlines(wb, clients, config, today)
    rebuild_dashboard(wb, tables, config, now or datetime.now(UTC))
    _follow_renamed_sheets(wb, tables)
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


# Each generated sheet and the table that identifies it, so a tab staff renamed is still found.
_SHEET_TABLES = (
    (CLIENTS_SPEC.sheet, CLIENTS_SPEC.table),
    (SCENARIOS_SPEC.sheet, SCENARIOS_SPEC.table),
    (READINESS_SPEC.sheet, READINESS_SPEC.table),
    (CHECKLIST_SPEC.sheet, CHECKLIST_SPEC.table),
    (PLAN_SPEC.sheet, PLAN_SPEC.table),
    (TEAM_SPEC.sheet, TEAM_SPEC.table),
    (FAQ_SPEC.sheet, FAQ_SPEC.table),
)


def _follow_renamed_sheets(wb: Workbook, tables: OpenpyxlTables) -> None:
    """Point the toolkit's hyperlinks at the tabs' current names when staff renamed a sheet."""
    renamed: dict[str, str] = {}
    for sheet, table in _SHEET_TABLES:
        title = tables.find_table(table)[0].title
        if title != sheet:
            renamed[f"'{sheet}'!"] = f"'{title.replace(chr(39), chr(39) * 2)}'!"
    if not renamed:
        return
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                link = cell.hyperlink
                if link is None or not link.location:
                    continue
                for old, new in renamed.items():
                    if link.location.startswith(old):
                        link.location = new + link.location[len(old) :]


def _numbers_after_write(tables: OpenpyxlTables, rows: list[dict[str, Any]]) -> list[int]:
    """Sheet rows the register rows will occupy once written (they are written contiguously)."""
    _ws, table = tables.find_table(TABLE_CLIENTS)
    min_row = range_boundaries(table.ref)[1]
    return [min_row + 1 + i for i in range(len(rows))]
