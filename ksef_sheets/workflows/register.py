"""The office's register (``biuro.xlsx``): setting up the office, importing clients, checking them,
and writing back what fetch, permissions and JPK found.

The register is read by ``ksef_sheets.sheets.load_clients``; the rules applied to it are
``ksef_sheets.office``'s. The use cases here:

- ``init_office(...)``: create or refresh the office folder and workbook (the demo office's data is
  passed in by the caller as an ``office.DemoOffice``);
- ``import_clients`` / ``import_readiness``: a client list or questionnaire answers into the register;
- ``write_questionnaires``: the readiness questionnaire into each client's documents folder;
- ``update_fetch_results(folder, results, permissions=...)``: the fetch part reports per NIP; only
  the fetch columns, the permission columns KSeF answered for (``update_permissions``) and the
  computed next step / dashboard change, everything else staff typed stays;
- ``update_jpk_results``: the last JPK reconciliation per client;
- ``check_clients(folder)``: re-validate after staff edits and write problems and next steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.files import clean_interrupted_writes, ensure_writable
from ksef_sheets.identifiers import is_valid_nip, nip_problem, normalize_nip
from ksef_sheets.office import (
    COLUMN_BY_FIELD,
    IMPORT_OWNED,
    NO,
    READINESS_HEADERS,
    YES,
    DemoOffice,
    ImportReport,
    client_to_row,
    merge_into_register,
    validate_rows,
)
from ksef_sheets.sheets import (
    RefreshResult,
    load_clients,
    open_office_workbook,
    read_answers,
    read_client_list,
    refresh_workbook,
    save_office_workbook,
    write_questionnaire,
)
from ksef_sheets.text import count, format_date, warsaw_time


@dataclass(frozen=True)
class FetchResult:
    """What one fetch run found for one client (reported by the fetch part)."""

    last_fetch: datetime
    new_invoices: int
    to_verify: int
    problem: str | None = None


@dataclass
class CheckReport:
    clients: int
    # (sheet row, NIP, problems)
    problems: list[tuple[int, str, list[str]]] = field(default_factory=list)
    secrets_removed: int = 0


@dataclass
class InitReport:
    folder: Path
    created: bool
    clients: int
    problems: list[tuple[int, str, list[str]]] = field(default_factory=list)


def _today() -> date:
    """Today in Poland (a server on UTC is a day behind for an hour or two after midnight)."""
    return warsaw_time(datetime.now(UTC)).date()


def _refresh_and_save(
    folder: OfficeFolder,
    wb: Workbook,
    *,
    today: date | None = None,
    demo: bool = False,
    change: Any = None,
    answered_on: dict[str, date] | None = None,
) -> RefreshResult:
    config = folder.load_config()
    result = refresh_workbook(
        wb,
        config,
        folder=folder,
        today=today or _today(),
        demo=demo,
        extra_register_rows=change,
        answered_on=answered_on,
    )
    for client in result.clients:
        if client.nip and is_valid_nip(client.nip):
            folder.client_dir(client.nip).mkdir(parents=True, exist_ok=True)
    save_office_workbook(wb, folder.office_workbook)
    return result


def _office_time(moment: datetime) -> datetime:
    """Wall-clock time in Poland for a cell (Excel has no time zones); naive values are taken as UTC
    (how the toolkit stores times), never as the machine's own zone."""
    return warsaw_time(moment).replace(microsecond=0, tzinfo=None)


def _write_access(row: dict[str, Any], access: Any) -> None:
    """The register's permission columns from KSeF's answer (an ``ksef_sheets.ksef.OfficeAccess``).

    KSeF is the one source of truth: what staff typed there is replaced by what KSeF says, so the
    columns, the next step, fetch and ``ksef-sheets permissions`` never disagree.
    """
    for name, held in (
        ("perm_invoice_read", access.invoice_read),
        ("perm_invoice_write", access.invoice_write),
        ("perm_can_delegate", access.can_delegate),
    ):
        row[COLUMN_BY_FIELD[name].header] = YES if held else NO
    if access.since is not None:
        row[COLUMN_BY_FIELD["permissions_date"].header] = _office_time(access.since).date()


def update_permissions(
    folder: OfficeFolder, permissions: Mapping[str, Any], *, today: date | None = None
) -> list[str]:
    """Write KSeF's answer on the office's permissions (NIP → ``OfficeAccess``) into the register.

    Returns the NIPs that are not in the register; raises ``FileLockedError`` when ``biuro.xlsx`` is
    open in Excel (nothing is written then).
    """
    return update_fetch_results(folder, {}, permissions=permissions, today=today)


def update_fetch_results(
    folder: OfficeFolder,
    results: Mapping[str, FetchResult],
    *,
    today: date | None = None,
    permissions: Mapping[str, Any] | None = None,
) -> list[str]:
    """Write fetch results (and KSeF's answer on permissions) into the register.

    Returns the NIPs that are not in the register. Raises ``FileLockedError`` when ``biuro.xlsx`` is
    open in Excel (nothing is written then).
    """
    ensure_writable(folder.office_workbook)
    wanted = {normalize_nip(nip): result for nip, result in results.items()}
    access = {normalize_nip(nip): held for nip, held in (permissions or {}).items()}
    found: set[str] = set()

    def change(rows: list[dict[str, Any]], _numbers: list[int]) -> list[dict[str, Any]]:
        for row in rows:
            nip = normalize_nip(str(row.get("NIP") or ""))
            if nip in access:
                found.add(nip)
                _write_access(row, access[nip])
            result = wanted.get(nip)
            if result is None:
                continue
            found.add(nip)
            row["Ostatnie pobranie"] = _office_time(result.last_fetch)
            row["Nowe faktury"] = result.new_invoices
            row["Do weryfikacji"] = result.to_verify
            row["Problem pobierania"] = result.problem or ""
        return rows

    wb = open_office_workbook(folder.office_workbook)
    _refresh_and_save(folder, wb, today=today, change=change)
    return sorted((set(wanted) | set(access)) - found)


def update_jpk_results(
    folder: OfficeFolder, results: Mapping[str, tuple[str, int]], *, today: date | None = None
) -> None:
    """Write the last JPK reconciliation per client (period, number of findings) into the register.

    Raises ``FileLockedError`` when ``biuro.xlsx`` is open in Excel (nothing is written then).
    """
    ensure_writable(folder.office_workbook)
    wanted = {normalize_nip(nip): result for nip, result in results.items()}
    day = format_date(today or _today())

    def change(rows: list[dict[str, Any]], _numbers: list[int]) -> list[dict[str, Any]]:
        for row in rows:
            result = wanted.get(normalize_nip(str(row.get("NIP") or "")))
            if result is not None:
                period, findings = result
                row["Uzgodnienie JPK"] = (
                    f"{period}: {count(findings, 'ustalenie', 'ustalenia', 'ustaleń')} ({day})"
                )
                row["Ustalenia JPK"] = findings
        return rows

    wb = open_office_workbook(folder.office_workbook)
    _refresh_and_save(folder, wb, today=today, change=change)


def check_clients(folder: OfficeFolder, *, today: date | None = None) -> CheckReport:
    """Re-validate the register after staff edits; problems and next steps go into the sheet."""
    ensure_writable(folder.office_workbook)
    wb = open_office_workbook(folder.office_workbook)
    result = _refresh_and_save(folder, wb, today=today)
    return CheckReport(len(result.clients), result.problems, result.secrets_removed)


def import_clients(folder: OfficeFolder, path: Path, *, today: date | None = None) -> ImportReport:
    """Import a client list (CSV/XLSX) into the register; bad rows are reported, good ones imported."""
    source = read_client_list(path)
    good, errors = validate_rows(source)
    report = ImportReport(errors=errors, ignored_headers=source.ignored_headers)
    return _apply(folder, good, report, today=today, owned=IMPORT_OWNED, allow_new=True)


def import_readiness(folder: OfficeFolder, path: Path, *, today: date | None = None) -> ImportReport:
    """Read questionnaire answers (a filled ankieta-ksef.xlsx or a table of answers) into the register."""
    source = read_answers(path)
    answer_headers = set(READINESS_HEADERS)
    if not any(answer_headers & set(record) for _, record in source.rows):
        raise UserError(
            f"W pliku {path} nie ma odpowiedzi z ankiety (kolumn takich jak „Zna KSeF”, „Upoważni biuro”)."
        )
    good, errors = validate_rows(source, require=())
    report = ImportReport(errors=errors, ignored_headers=source.ignored_headers)
    return _apply(
        folder, good, report, today=today, owned=READINESS_HEADERS, allow_new=False, record_answers=True
    )


def _apply(
    folder: OfficeFolder,
    good: list[tuple[int, dict[str, Any]]],
    report: ImportReport,
    *,
    today: date | None,
    owned: tuple[str, ...],
    allow_new: bool,
    record_answers: bool = False,
) -> ImportReport:
    if not good:
        return report
    ensure_writable(folder.office_workbook)
    wb = open_office_workbook(folder.office_workbook)
    numbers = {typed["NIP"]: number for number, typed in good}
    # Filled while the register is merged (only clients found in it), read when Gotowość is built.
    answered: dict[str, date] = {}

    def change(rows: list[dict[str, Any]], _numbers: list[int]) -> list[dict[str, Any]]:
        merged = merge_into_register(
            rows, good, owned=owned, report=report, allow_new=allow_new, numbers=numbers
        )
        if record_answers:
            answered.update(dict.fromkeys(report.updated + report.unchanged, today or _today()))
        return merged

    _refresh_and_save(folder, wb, today=today, change=change, answered_on=answered)
    report.errors.sort(key=lambda e: e.row)
    return report


def write_questionnaires(folder: OfficeFolder, nips: list[str] | None = None) -> list[Path]:
    """``ankieta-ksef.xlsx`` in each chosen client's documents folder (all clients by default)."""
    config = folder.load_config()
    clients = load_clients(folder)
    wanted = {normalize_nip(n) for n in nips} if nips else None
    if wanted:
        unknown = wanted - {c.nip for c in clients}
        if unknown:
            raise UserError(f"Nie ma w rejestrze klienta o NIP {', '.join(sorted(unknown))}.")
    written: list[Path] = []
    for client in clients:
        if wanted is not None and client.nip not in wanted:
            continue
        target = folder.documents_dir(client.nip) / "ankieta-ksef.xlsx"
        written.append(write_questionnaire(target, client, config))
    return written


def init_office(
    folder: OfficeFolder,
    *,
    office_nip: str | None = None,
    office_name: str | None = None,
    demo: DemoOffice | None = None,
    today: date | None = None,
) -> InitReport:
    """Create the office folder (config + workbook), or refresh an existing one keeping staff edits.

    On an existing office the register and every staff column are kept; sheets are brought up to
    date and missing ones recreated. ``demo`` (``--demo``) on an existing office adds the demo
    clients that are not in the register yet.
    """
    # A workbook write a kill interrupted leaves a hidden temp file (.biuro.xlsx.….tmp.xlsx).
    clean_interrupted_writes(folder.root)
    created = not folder.exists()
    config_changed = created
    if created:
        nip = office_nip or (demo.nip if demo else None)
        name = office_name or (demo.name if demo else None)
        if not nip or not name:
            raise UserError(
                "Podaj NIP i nazwę biura: ksef-sheets init --office-nip NIP --office-name NAZWA "
                "(albo --demo dla biura szkoleniowego)."
            )
        issue = nip_problem(nip)
        if issue:
            raise UserError(f"Opcja --office-nip: {issue}")
        config = OfficeConfig(office_nip=nip, office_name=name)
    else:
        config = folder.load_config()
        if office_nip and normalize_nip(office_nip) != config.office_nip:
            raise UserError(
                f"Biuro w {folder.root} ma NIP {config.office_nip}, a podano {normalize_nip(office_nip)}. "
                "Zmień NIP w pliku ksef-sheets.toml albo wybierz inny folder (--dir)."
            )
        if office_name and office_name != config.office_name:
            config.office_name = office_name
            config_changed = True
    if folder.office_workbook.exists():
        ensure_writable(folder.office_workbook)
        wb = open_office_workbook(folder.office_workbook)
    else:
        wb = Workbook()
    change = None
    if demo is not None:
        demo_rows = [client_to_row(c) for c in demo.clients]

        def change(rows: list[dict[str, Any]], _numbers: list[int]) -> list[dict[str, Any]]:
            present = {normalize_nip(str(r.get("NIP") or "")) for r in rows}
            return rows + [r for r in demo_rows if r["NIP"] not in present]

    result = refresh_workbook(
        wb,
        config,
        folder=folder,
        today=today or _today(),
        demo=demo is not None and not folder.office_workbook.exists(),
        extra_register_rows=change,
    )
    # Config last but one, workbook last: a failure above leaves no half-made office behind.
    folder.root.mkdir(parents=True, exist_ok=True)
    if config_changed:
        folder.save_config(config)
    folder.clients_dir.mkdir(parents=True, exist_ok=True)
    for client in result.clients:
        if client.nip and is_valid_nip(client.nip):
            folder.client_dir(client.nip).mkdir(parents=True, exist_ok=True)
    save_office_workbook(wb, folder.office_workbook)
    return InitReport(folder.root, created, len(result.clients), result.problems)
