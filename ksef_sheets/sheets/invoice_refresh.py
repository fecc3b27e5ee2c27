"""Refreshing the per-client invoice workbooks from the archive without losing anyone's work.

``refresh_invoice_workbooks(folder, nips)`` is what ``ksef-sheets fetch`` (and the demo) call after
new invoices are archived. For every client and every year with invoices it:

1. reads the existing ``faktury-<YYYY>.xlsx`` back: the staff columns by KSeF number, the columns
   and rows staff added, and the hidden snapshot of what the toolkit wrote last time;
2. merges per field: a value that differs from the snapshot is a person's edit and wins; otherwise
   the archive's value stands (so a decision imported from the client is not undone by a stale
   cell); an invoice nobody decided on yet gets the scenario's first status;
3. saves the changed decisions into the archive (``save_decisions``) — even when the workbook is
   open in Excel and cannot be replaced now;
4. rewrites the workbook atomically (invoice rows sorted by date, then the rows staff added, their
   extra columns at the end of the table), or reports that it is open and will be refreshed on the
   next run.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import FileLockedError, UserError
from ksef_sheets.files import clean_interrupted_writes, is_open_elsewhere
from ksef_sheets.identifiers import is_valid_nip, normalize_nip
from ksef_sheets.office import Client
from ksef_sheets.sheets.invoice_columns import STATUS_CLIENT_CHECK, STATUS_NEW, Register
from ksef_sheets.sheets.invoice_fingerprint import inputs_fingerprint, is_unchanged
from ksef_sheets.sheets.invoice_readback import SheetWork, StaffRead, WorkbookWork
from ksef_sheets.sheets.invoice_row_cache import build_rows_cached
from ksef_sheets.sheets.invoice_rows import CellValue, InvoiceRow, SheetRow, StaffFields
from ksef_sheets.sheets.invoice_shown import read_shown, remember_shown, shown_path
from ksef_sheets.sheets.invoice_source import local_time
from ksef_sheets.sheets.invoice_workbook import RegisterSheet, WorkbookHeader, write_invoice_workbook
from ksef_sheets.sheets.invoice_written import read_work
from ksef_sheets.sheets.register_reader import load_clients
from ksef_sheets.sync import Archive, ArchivedInvoice, IndexEntry, IndexListing, StaffDecision
from ksef_sheets.text import warsaw_time


@dataclass
class WorkbookRefresh:
    """What happened to one client's workbook of one year."""

    client_nip: str
    year: int
    path: Path
    rows_written: int = 0
    # Invoice rows carrying a person's work (a staff field or an own column filled in).
    rows_preserved: int = 0
    # Rows staff added themselves (no KSeF number), carried over as they were.
    own_rows: int = 0
    # Decision rows written to the archive (new invoices' first status included).
    decisions_saved: int = 0
    # Invoices whose staff columns a person changed since the toolkit last wrote them.
    staff_edits: int = 0
    written: bool = False
    # Nothing changed since the toolkit wrote it (no new invoice or decision, nobody saved it).
    unchanged: bool = False
    locked: bool = False
    message: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class RefreshReport:
    workbooks: list[WorkbookRefresh] = field(default_factory=list)
    # Problems that stopped a whole client (a bad NIP, an unreadable archive).
    problems: list[str] = field(default_factory=list)

    @property
    def locked(self) -> list[WorkbookRefresh]:
        return [w for w in self.workbooks if w.locked]

    @property
    def ok(self) -> bool:
        return not self.problems and all(w.written or w.unchanged for w in self.workbooks)

    def messages(self) -> list[str]:
        """Polish sentences for people: problems, locked or unreadable workbooks, then warnings."""
        out = list(self.problems)
        out += [w.message for w in self.workbooks if w.message]
        out += [warning for w in self.workbooks for warning in w.warnings]
        return out

    def summary_lines(self) -> list[str]:
        written = [w for w in self.workbooks if w.written]
        unchanged = sum(1 for w in self.workbooks if w.unchanged)
        lines = [
            f"Skoroszyty faktur: odświeżono {len(written)} z {len(self.workbooks)}"
            + (f" (bez zmian: {unchanged})" if unchanged else "")
            + ", "
            f"wierszy faktur: {sum(w.rows_written for w in written)}, "
            f"zapisanych zmian pracowników: {sum(w.staff_edits for w in self.workbooks)}."
        ]
        return lines + self.messages()

    def to_dict(self) -> dict[str, Any]:
        return {
            "workbooks": [{**asdict(w), "path": str(w.path)} for w in self.workbooks],
            "problems": list(self.problems),
        }


def first_status(scenario: int | None, register: Register) -> str:
    """The status a newly fetched invoice starts with: scenario 2 purchases wait for the client."""
    if scenario == 2 and register is Register.PURCHASES:
        return STATUS_CLIENT_CHECK
    return STATUS_NEW


def refresh_invoice_workbooks(
    folder: OfficeFolder,
    nips: list[str] | None = None,
    *,
    clients: Sequence[Client] | None = None,
    force: bool = False,
) -> RefreshReport:
    """Rebuild the invoice workbooks of the given clients (default: every client with invoices).

    ``clients``: the office's client records (names and scenarios, e.g. the register the fetch
    read); without them the register is read here. A workbook whose inputs did not change and that
    nobody saved since it was written is left as it is (``unchanged``), unless ``force``.
    """
    report = RefreshReport()
    clients_by_nip = _known_clients(folder, report.problems, clients)
    # Temp files of a workbook write that a kill interrupted (a 0-byte .faktury-RRRR.xlsx.….tmp.xlsx).
    clean_interrupted_writes(folder.root, *_client_dirs(folder))
    with Archive.open(folder) as archive:
        if nips is None:
            chosen = sorted({nip for nip, _ in archive.count_invoices()} | set(clients_by_nip))
        else:
            chosen = []
            for raw in nips:
                nip = normalize_nip(raw)
                if not is_valid_nip(nip):
                    report.problems.append(f"NIP klienta „{raw}” jest nieprawidłowy; pominięto go.")
                    continue
                if nip not in chosen:
                    chosen.append(nip)
        for nip in chosen:
            info = clients_by_nip.get(nip) or Client(nip=nip)
            try:
                report.workbooks += refresh_client(folder, archive, info, force=force)
            except UserError as exc:
                report.problems.append(f"Klient {nip}: {exc}")
    return report


def _client_dirs(folder: OfficeFolder) -> list[Path]:
    try:
        return [p for p in folder.clients_dir.iterdir() if p.is_dir()] if folder.clients_dir.is_dir() else []
    except OSError:
        return []


def refresh_client(
    folder: OfficeFolder,
    archive: Archive,
    client: Client,
    *,
    now: datetime | None = None,
    force: bool = False,
) -> list[WorkbookRefresh]:
    """Refresh every yearly workbook of one client; see the module docstring for the steps."""
    with contextlib.ExitStack() as stack:
        if not gc.get_freeze_count():  # a caller's own frozen objects stay frozen
            stack.callback(gc.unfreeze)
        return _refresh_years(folder, archive, client, now, force)


def _refresh_years(
    folder: OfficeFolder, archive: Archive, client: Client, now: datetime | None, force: bool
) -> list[WorkbookRefresh]:
    with _gc_paused():
        # The index rows as stored: an ``ArchivedInvoice`` is made only for an invoice to parse.
        listing = archive.index_listing(client.nip)
        by_year: dict[int, list[IndexEntry]] = {}
        # A year's invoices fall on at most 366 days: each day's text is read once.
        year_of_day: dict[str | None, int | None] = {}
        for entry in listing.entries:
            issued = entry.issue_date
            if issued in year_of_day:
                year = year_of_day[issued]
            else:
                year = year_of_day[issued] = _issue_year(issued)
            by_year.setdefault(_year_of(listing.invoice(entry)) if year is None else year, []).append(entry)
    results = []
    for year in sorted(by_year):
        results.append(_refresh_year(folder, archive, client, year, listing, by_year[year], now, force))
    return results


def _issue_year(issued: str | None) -> int | None:
    """``_year_of`` an invoice read off the index's text when it holds an issue date, else None
    (then the index's reading, with no issue date, decides, as for the converted invoice)."""
    if issued:
        try:
            return date.fromisoformat(issued[:10]).year
        except ValueError:
            pass
    return None


def _year_of(archived: ArchivedInvoice) -> int:
    if archived.issue_date is not None:
        return archived.issue_date.year
    accepted = local_time(archived.acquisition_date or archived.permanent_storage_date)
    if accepted is not None:
        return accepted.year
    return int(archived.ksef_number.split("-")[1][:4])


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a refresh builds what it writes, and none over it later.

    Listing, kept rows, read-back and merge create about a million objects that all live until the
    workbook is written and hold no reference cycles; CPython's collector would walk them again
    and again as they pile up (a quarter of those steps' time for a year of 20,000 invoices) and
    free nothing. When the block ends they are frozen (``gc.freeze``: still freed when no longer
    referenced, only not walked by the collector), else the first collections of the write would
    walk them all once more as young objects; ``refresh_client`` unfreezes them when it is done.
    Collection resumes (if it was on) as soon as the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _refresh_year(
    folder: OfficeFolder,
    archive: Archive,
    client: Client,
    year: int,
    listing: IndexListing,
    invoices: list[IndexEntry],
    now: datetime | None,
    force: bool,
) -> WorkbookRefresh:
    path = folder.invoice_workbook(client.nip, year)
    result = WorkbookRefresh(client.nip, year, path)
    with _gc_paused():
        decisions = archive.decisions_for(client.nip)
        fingerprint = inputs_fingerprint(client.name, client.scenario, invoices, decisions)
        if not force and path.exists() and is_unchanged(path, fingerprint):
            result.unchanged = True
            return result
        # Only invoices not built by the last refresh are parsed (see ``invoice_row_cache``).
        built = build_rows_cached(archive, listing, invoices, path)
    # A person may save the workbook while it is being rebuilt (a big client takes seconds): then
    # it is read again, so that their save is merged rather than overwritten.
    for attempt in range(MAX_ATTEMPTS):
        result.warnings = list(built.warnings)
        result.rows_preserved = result.own_rows = result.staff_edits = 0
        work: WorkbookWork | None = None
        seen_state = _file_state(path)
        with _gc_paused():
            if seen_state is not None:
                try:
                    # The file itself unless it is just as the toolkit wrote it (``invoice_written``).
                    work = read_work(path)
                except UserError as exc:
                    # Never overwrite what cannot be read: a person's work may be in it.
                    result.message = str(exc)
                    return result
                result.warnings += work.warnings
                # After a run that found the workbook open, the baseline is what it showed then.
                work.snapshot.update(read_shown(path))
            if attempt:
                # Read once for the fingerprint above and the first merge; again after a retry.
                decisions = archive.decisions_for(client.nip)
            sheets, changed = merge_sheets(client, built.rows, decisions, work, result)
            result.decisions_saved += archive.save_decisions(changed) if changed else 0
            if changed:
                # The inputs as they are now: what was saved, as the index keeps it.
                decisions.update(archive.decisions_among(client.nip, [d.ksef_number for d in changed]))
                fingerprint = inputs_fingerprint(client.name, client.scenario, invoices, decisions)

        if seen_state is not None and is_open_elsewhere(path):
            remember_shown(path, work)
            result.locked = True
            result.message = _locked_message(path, result.staff_edits)
            return result
        header = WorkbookHeader(client.nip, client.name, year, now or _warsaw_now(), fingerprint)
        try:
            write_invoice_workbook(
                path,
                header,
                sheets,
                own_sheets=work.own_sheets if work else (),
                before_replace=_unchanged_since(path, seen_state),
            )
        except FileLockedError:
            remember_shown(path, work)
            result.locked = True
            result.message = _locked_message(path, result.staff_edits)
            return result
        except _ChangedMeanwhile:
            continue
        shown_path(path).unlink(missing_ok=True)
        result.written = True
        result.rows_written = sum(len(sheet.rows) for sheet in sheets)
        return result
    result.message = (
        f"Skoroszyt {path} był zapisywany w trakcie odświeżania, więc nie został odświeżony; "
        "zostanie odświeżony przy następnym pobraniu."
    )
    return result


MAX_ATTEMPTS = 3


class _ChangedMeanwhile(Exception):
    """The workbook was saved by someone after it was read back."""


def _file_state(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _unchanged_since(path: Path, state: tuple[int, int] | None) -> Callable[[], None]:
    """A check run right before the new file replaces the old one: nobody saved it meanwhile."""

    def check() -> None:
        if _file_state(path) != state:
            raise _ChangedMeanwhile(str(path))

    return check


def _locked_message(path: Path, saved: int) -> str:
    saved_text = f" Zapisano w archiwum {saved} zmian z kolumn pracowników." if saved else ""
    return (
        f"Skoroszyt {path} jest otwarty w Excelu, więc nie został odświeżony.{saved_text} "
        "Zostanie odświeżony przy następnym pobraniu (po zamknięciu pliku)."
    )


def merge_sheets(
    client: Client,
    rows: Iterable[InvoiceRow],
    decisions: Mapping[str, StaffDecision],
    work: WorkbookWork | None,
    result: WorkbookRefresh,
) -> tuple[list[RegisterSheet], list[StaffDecision]]:
    """Sheets to write and the decisions to save: archive, snapshot and workbook merged per field."""
    sheets = {register: RegisterSheet(register) for register in Register}
    changed: list[StaffDecision] = []
    placed: set[tuple[Register, str]] = set()
    default_status = {register: first_status(client.scenario, register) for register in Register}
    sheet_works = work.sheets if work else {}
    snapshots = work.snapshot if work else {}
    for invoice in sorted(rows, key=_row_order):
        register = invoice.register
        number = invoice.ksef_number
        decision = decisions.get(number)
        base = _staff_from_decision(decision, default_status[register])
        sheet_work = sheet_works.get(register)
        seen = sheet_work.staff.get(number) if sheet_work else None
        snapshot = snapshots.get((register, number))
        # A workbook value the archive has no decision for is adopted, never replaced by the
        # default: the archive may have lost it (an index rebuilt or restored from a backup).
        staff = merge_staff(base, snapshot if decision is not None else None, seen)
        # ``staff is base``: nobody changed the row (the usual case, answered without comparing).
        if staff is not base and _is_staff_edit(base, snapshot, seen, staff):
            result.staff_edits += 1
        if decision is None or not (
            (staff is base and decision.status) or staff == _staff_from_decision(decision, "")
        ):
            changed.append(_decision(client.nip, number, staff, decision))
        extra: dict[str, CellValue] = {}
        if sheet_work is not None and sheet_work.extra_headers:
            values = sheet_work.values.get(number, {})
            extra = {h: values[h] for h in sheet_work.extra_headers if h in values}
        if seen is not None and (extra or _has_staff_work(staff)):
            result.rows_preserved += 1
        if decision is not None and (decision.client_decision or decision.client_remark):
            invoice = _with_client_decision(invoice, decision)
        sheets[register].rows.append(SheetRow(invoice, staff, extra))
        placed.add((register, number))
    if work is not None:
        for register, sheet_work in work.sheets.items():
            target = sheets[register]
            target.extra_headers = list(sheet_work.extra_headers)
            target.loose_rows = list(sheet_work.loose_rows)
            # Rows with a KSeF number the archive does not have for this year stay as they were.
            for number, values in sheet_work.values.items():
                if (register, number) not in placed:
                    target.loose_rows.append(values)
                    result.warnings.append(
                        f"Arkusz „{register.value}”, wiersz {sheet_work.staff[number].row}: faktury o numerze "
                        f"KSeF {number} nie ma w archiwum dla roku tego skoroszytu; wiersz zachowano bez zmian "
                        "(sprawdź, czy numer nie został zmieniony)."
                    )
            result.own_rows += len(target.loose_rows)
    return [sheets[Register.PURCHASES], sheets[Register.SALES]], changed


def _row_order(invoice: InvoiceRow) -> tuple[str, str]:
    period = invoice.period
    return (period.isoformat() if period else "9999", invoice.ksef_number)


def _is_staff_edit(
    base: StaffFields, snapshot: StaffFields | None, seen: StaffRead | None, staff: StaffFields
) -> bool:
    """A person changed a staff field since the toolkit wrote it, and the change is being kept."""
    if seen is None or staff == base:
        return False
    if snapshot is None:
        return True
    return any(
        getattr(staff, name) != getattr(base, name) and getattr(staff, name) != getattr(snapshot, name)
        for name in ("status", "comment", "booked_on", "person")
    )


def _has_staff_work(staff: StaffFields) -> bool:
    return bool(staff.comment or staff.booked_on or staff.person)


def merge_staff(base: StaffFields, snapshot: StaffFields | None, seen: StaffRead | None) -> StaffFields:
    """Per field: the workbook's value when a person changed it, else the archive's (``base``)."""
    if seen is None:
        return base
    if (
        snapshot is not None
        and seen.status == snapshot.status
        and seen.comment == snapshot.comment
        and seen.booked_on == snapshot.booked_on
        and seen.person == snapshot.person
    ):
        return base  # every field as the toolkit wrote it (an invalid one is the archive's anyway)

    def pick(archive_value: Any, written: Any, found: Any, valid: bool) -> Any:
        if not valid:
            return archive_value
        if snapshot is not None and found == written:
            return archive_value
        return found

    return StaffFields(
        status=pick(base.status, snapshot.status if snapshot else None, seen.status, seen.status is not None),
        comment=pick(base.comment, snapshot.comment if snapshot else None, seen.comment, True),
        booked_on=pick(
            base.booked_on, snapshot.booked_on if snapshot else None, seen.booked_on, seen.booked_valid
        ),
        person=pick(base.person, snapshot.person if snapshot else None, seen.person, True),
    )


def _staff_from_decision(decision: StaffDecision | None, default_status: str) -> StaffFields:
    if decision is None:
        return StaffFields(status=default_status)
    return StaffFields(
        status=decision.status or default_status,
        comment=decision.comment or "",
        booked_on=decision.booked_on,
        person=decision.person or "",
    )


def _decision(nip: str, number: str, staff: StaffFields, previous: StaffDecision | None) -> StaffDecision:
    return StaffDecision(
        ksef_number=number,
        client_nip=nip,
        status=staff.status or None,
        comment=staff.comment or None,
        booked_on=staff.booked_on,
        person=staff.person or None,
        client_decision=previous.client_decision if previous else None,
        client_remark=previous.client_remark if previous else None,
        client_decided_on=previous.client_decided_on if previous else None,
    )


def _with_client_decision(invoice: InvoiceRow, decision: StaffDecision) -> InvoiceRow:
    return replace(invoice, client_decision=decision.client_decision, client_remark=decision.client_remark)


def _known_clients(
    folder: OfficeFolder, problems: list[str], given: Sequence[Client] | None = None
) -> dict[str, Client]:
    """Names and scenarios from the client records given, else the office register (when it
    exists), else NIPs from the config.

    A register that cannot be read does not stop the refresh: its problem is reported and the
    workbooks are written with the first status "Nowa" until it is fixed.
    """
    clients: dict[str, Client] = {}
    if given is not None:
        for client in given:
            nip = normalize_nip(client.nip)
            clients.setdefault(nip, client if client.nip == nip else replace(client, nip=nip))
    elif folder.office_workbook.exists():
        try:
            for client in load_clients(folder):
                nip = normalize_nip(client.nip)
                clients[nip] = client if client.nip == nip else replace(client, nip=nip)
        except UserError as exc:
            problems.append(
                f"Rejestr klientów nie został odczytany ({exc}); przyjęto status początkowy „Nowa”."
            )
    if not clients and given is None and folder.exists():
        try:
            configured = folder.load_config().clients
        except UserError as exc:
            problems.append(str(exc))
            configured = []
        for raw in configured:
            nip = normalize_nip(raw)
            clients.setdefault(nip, Client(nip=nip))
    return {nip: info for nip, info in clients.items() if is_valid_nip(nip)}


__all__ = [
    "RefreshReport",
    "SheetWork",
    "WorkbookRefresh",
    "first_status",
    "merge_staff",
    "refresh_client",
    "refresh_invoice_workbooks",
]


def _warsaw_now() -> datetime:
    """The workbook's "Stan na …": the Polish wall clock, whatever the machine's time zone."""
    return warsaw_time(datetime.now(UTC)).replace(microsecond=0, tzinfo=None)
