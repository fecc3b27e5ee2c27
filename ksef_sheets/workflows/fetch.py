"""The office fetches: choose the clients, fetch their new invoices, write the register back,
refresh the invoice workbooks (and, on request, a PDF of every new invoice).

This is the one place for "what happens when the office fetches"; ``ksef-sheets fetch``, the Excel
panel's *Pobierz faktury z KSeF* and the demo call it:

- ``select_clients(folder, config, only)``: the office's clients as register rows (``Client``),
  read once per run — from ``biuro.xlsx`` when it exists, else the config's ``clients`` list
  (``Client(nip=...)``); ``only`` (``--client``) narrows them, with a Polish sentence for a NIP that
  is wrong or not the office's.
- ``fetch_invoices(folder, ...)`` (async): the above, the fetch itself (``ksef_sheets.sync``'s
  ``fetch_office`` with the chosen records) and the register's fetch and permission columns.
- ``office_fetch(folder, ...)``: ``fetch_invoices`` then the PDFs and the workbooks
  (``ksef_sheets.sheets.refresh_invoice_workbooks`` with the same records); returns ``OfficeFetch``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import FileLockedError, UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.office import Client
from ksef_sheets.sheets import load_clients, refresh_invoice_workbooks
from ksef_sheets.sync import FetchProgress, FetchReport, fetch_office
from ksef_sheets.workflows.invoice_pdf import archived_numbers, new_invoice_pdfs
from ksef_sheets.workflows.register import FetchResult, update_fetch_results

if TYPE_CHECKING:
    from ksef_sheets.sheets import RefreshReport

# Which invoice workbooks ``office_fetch`` refreshes: "chosen" — the clients asked for (``--client``),
# else every client with invoices (the command line, the demo); "fetched" — the clients this run
# fetched for (the Excel panel); None — none.
Workbooks = Literal["chosen", "fetched"] | None


@dataclass
class OfficeFetch:
    """What one office fetch did: the fetch report, the workbooks, the PDFs asked for."""

    report: FetchReport
    clients: list[Client] = field(default_factory=list)
    refresh: RefreshReport | None = None
    # The workbooks could not be refreshed at all (the fetch's report stands).
    refresh_error: UserError | None = None
    pdfs: list[Path] | None = None

    def refresh_lines(self) -> list[str]:
        """The workbooks in Polish lines, as ``ksef-sheets fetch`` prints them after its report."""
        if self.refresh_error is not None:
            return [f"Skoroszyty faktur nie zostały odświeżone: {self.refresh_error}"]
        return self.refresh.summary_lines() if self.refresh is not None else []


def select_clients(
    folder: OfficeFolder,
    config: OfficeConfig,
    only: Sequence[str] | None = None,
    *,
    listed: Sequence[Client] | None = None,
) -> list[Client]:
    """The office's clients to fetch: the register when ``biuro.xlsx`` exists, else the config list.

    ``listed``: the register's rows when the caller has read them already. NIPs come normalised.
    """
    if listed is None:
        listed = _office_clients(folder, config)
    valid = [c for c in listed if nip_problem(c.nip) is None]
    if only:
        wanted: list[Client] = []
        for raw in only:
            problem = nip_problem(raw)
            if problem:
                raise UserError(f"Opcja --client: {problem}")
            nip = normalize_nip(raw)
            if any(c.nip == nip for c in wanted):
                continue
            found = next((c for c in valid if c.nip == nip), None)
            if found is None:
                where = folder.office_workbook if folder.office_workbook.exists() else folder.config_path
                raise UserError(f"Klienta o NIP {nip} nie ma na liście klientów biura ({where}).")
            wanted.append(found)
        return wanted
    if not valid:
        raise UserError(
            f"Biuro w {folder.root} nie ma klientów do pobrania: dodaj ich do rejestru ({folder.office_workbook.name}) "
            f"albo do listy „clients” w {folder.config_path.name}."
        )
    return valid


def _office_clients(folder: OfficeFolder, config: OfficeConfig) -> list[Client]:
    """The register's rows (read once), else a ``Client(nip=...)`` per NIP of the config's list."""
    if folder.office_workbook.exists():
        clients = load_clients(folder)
    else:
        clients = [Client(nip=nip) for nip in config.clients]
    return [c if c.nip == normalize_nip(c.nip) else replace(c, nip=normalize_nip(c.nip)) for c in clients]


def _config_warnings(folder: OfficeFolder, config: OfficeConfig) -> list[str]:
    """Wrong NIPs on the config's list (used only while the office has no register)."""
    if folder.office_workbook.exists():
        return []
    return [
        f"NIP „{nip}” z listy „clients” w {folder.config_path.name} jest nieprawidłowy — pominięto."
        for nip in config.clients
        if nip_problem(nip)
    ]


async def fetch_invoices(
    folder: OfficeFolder,
    *,
    clients: Sequence[str] | None = None,
    since: date | datetime | None = None,
    progress: FetchProgress | None = None,
    update_register: bool = True,
    chosen: list[Client] | None = None,
    **options: Any,
) -> FetchReport:
    """Fetch new invoices of the office's clients into the archive and write the register back.

    ``clients`` limits the run to these NIPs (``--client``); ``chosen``: the records already
    selected. ``options`` go to ``ksef_sheets.sync.fetch_office`` (``base_url``, ``transport``,
    ``limiter``, ``clock``, ``now``, ``credentials``, ``concurrency``, ``max_limit_wait``,
    ``backup``: for tests, benchmarks and the demo).
    """
    config = folder.load_config()
    if chosen is None:
        chosen = select_clients(folder, config, clients)
    warnings = _config_warnings(folder, config)
    report = await fetch_office(folder, chosen, since=since, progress=progress, **options)
    report.warnings[:0] = warnings
    if update_register:
        update_register_after_fetch(folder, report)
    return report


def office_fetch(
    folder: OfficeFolder,
    *,
    clients: Sequence[str] | None = None,
    since: date | datetime | None = None,
    progress: FetchProgress | None = None,
    pdf: bool = False,
    workbooks: Workbooks = "chosen",
    before_refresh: Callable[[], None] | None = None,
    **options: Any,
) -> OfficeFetch:
    """The whole fetch of the office: ``fetch_invoices``, then the PDFs (``pdf``) and workbooks.

    The register is read once; its records go to the fetch and to the workbooks' refresh (names,
    scenarios). ``before_refresh`` is called before the workbooks are refreshed (the panel's status
    bar). A problem refreshing the workbooks never loses the fetch's report (``refresh_error``).
    """
    config = folder.load_config()
    listed = _office_clients(folder, config)
    chosen = select_clients(folder, config, clients, listed=listed)
    before = archived_numbers(folder, [c.nip for c in chosen]) if pdf else None
    report = asyncio.run(fetch_invoices(folder, since=since, progress=progress, chosen=chosen, **options))
    result = OfficeFetch(report, chosen)
    if before is not None:
        result.pdfs = new_invoice_pdfs(folder, before)
    if workbooks is None:
        return result
    if workbooks == "fetched":
        nips: list[str] | None = [c.nip for c in report.clients if not c.skipped]
    else:
        nips = [c.nip for c in chosen] if clients else None
    if before_refresh is not None:
        before_refresh()
    try:
        result.refresh = refresh_invoice_workbooks(folder, nips, clients=listed)
    except UserError as exc:
        result.refresh_error = exc
    return result


def update_register_after_fetch(folder: OfficeFolder, report: FetchReport) -> None:
    """The fetch columns (and KSeF's answer on permissions) into ``biuro.xlsx``, when there is one.

    A register open in Excel or unreadable costs a warning in the report: the archive is current.
    """
    if not folder.office_workbook.exists():
        return
    results = {
        c.nip: FetchResult(
            last_fetch=c.finished_at or report.finished_at or datetime.now(UTC),
            new_invoices=c.new,
            to_verify=c.to_verify or 0,
            problem=c.problem_text() or None,
        )
        for c in report.clients
        if not c.skipped
    }
    # KSeF's answer on the office's permissions, for every client it was asked about (skipped too).
    access = {c.nip: c.access for c in report.clients if c.access is not None}
    try:
        update_fetch_results(folder, results, permissions=access)
    except FileLockedError as exc:
        report.warnings.append(f"{exc} Rejestr klientów nie został uzupełniony; archiwum jest aktualne.")
    except UserError as exc:
        report.warnings.append(f"Nie uzupełniono rejestru klientów: {exc}")
