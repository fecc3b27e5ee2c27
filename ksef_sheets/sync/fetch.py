"""The fetch: every new invoice of every client, exactly once, within KSeF's limits.

``fetch_office(folder, clients, since=None, progress=None)`` is what the fetch use case
(``ksef_sheets.workflows.fetch``, called by ``ksef-sheets fetch``, Excel and the demo) runs with the
register's client records. For each client whose scenario needs it (``planner.subject_types_for``) it logs in in
the client's context with the credential from the vault and, per subject type, walks the
incremental recipe of PROTOCOL §15.1 (``planner``): exports by permanent-storage date from the
checkpoint, ``restrictToPermanentStorageHwmDate``, continuing from ``lastPermanentStorageDate`` when
a package is truncated. A run after a recent one first asks the metadata query (its own limit
budget) what is new: nothing → no export at all; a handful → single downloads; more → an export.

Resumability: each package is stored in one archive transaction together with its new checkpoint
(``Archive.add_invoices(..., checkpoint=...)``), so an interrupted run (crash, Ctrl-C, killed
process) restarts from the last committed checkpoint; invoices seen again at the boundary are
recognised by KSeF number. Clients run concurrently (``fetch_concurrency``), each within its own
limits (the KSeF client's shared limiter counts per context). One client's failure is recorded in
the report and never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import httpx

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.files import clean_interrupted_writes
from ksef_sheets.ksef import (
    Clock,
    ExportResult,
    KsefClient,
    KsefError,
    KsefPackageError,
    KsefSession,
    KsefUnavailableError,
    OfficeAccess,
    RateLimiter,
    holds_nothing,
    permission_label,
    read_office_access,
)
from ksef_sheets.office import Client
from ksef_sheets.sync.archive import Archive
from ksef_sheets.sync.archive_values import SUBJECT_TYPE_NAMES
from ksef_sheets.sync.backup import backup_archive
from ksef_sheets.sync.invoice_store import IncomingInvoice
from ksef_sheets.sync.planner import (
    METADATA_PAGE_SIZE,
    Step,
    Window,
    after_window,
    can_use_single_downloads,
    next_window,
    subject_types_for,
)
from ksef_sheets.sync.report import ClientFetchResult, FetchProgress, FetchReport, SubjectResult
from ksef_sheets.sync.runtime import (
    FETCH_RUN,
    CountingTransport,
    CredentialSource,
    office_run,
    problem_message,
)

log = logging.getLogger("ksef_sheets.sync")
INVOICE_READ = "InvoiceRead"
READ_LABEL = permission_label(INVOICE_READ)

# A window is retried this many times after a transient failure (KSeF unavailable, a damaged
# package) before the client's problem is reported; each retry starts from the same checkpoint.
WINDOW_RETRIES = 3
WINDOW_RETRY_DELAY = 2.0  # seconds, doubled on each retry
# Single downloads are used only while they flow; a longer wait for the download limit → export.
DOWNLOAD_MAX_WAIT = 10.0
# KSeF exception / export status codes meaning "nothing is complete after your start date yet".
_FROM_AFTER_HWM = {21183, 420}


# --------------------------------------------------------------------------------------------
# Entry point


async def fetch_office(
    folder: OfficeFolder,
    clients: Sequence[Client],
    *,
    since: date | datetime | None = None,
    progress: FetchProgress | None = None,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: RateLimiter | None = None,
    clock: Clock | None = None,
    now: Callable[[], datetime] | None = None,
    credentials: CredentialSource | None = None,
    concurrency: int | None = None,
    max_limit_wait: float = 300.0,
    backup: bool = True,
) -> FetchReport:
    """Fetch new invoices of these clients (register rows, NIPs valid) into the archive; the report.

    The use case (``ksef_sheets.workflows.fetch``) chooses the clients and writes the results back
    to the register. ``since`` is where a client's first fetch starts (default: the config's
    ``fetch_from``). The keyword arguments after ``progress`` exist for tests, benchmarks and
    embedding and go to the run's set-up (``runtime.office_run``): a KSeF base URL (default: the
    config's environment — for ``emulator`` the in-process emulator on the office's state folder),
    an httpx transport, a shared limiter and clock, "now" for window planning, and a credential
    source (default: the office vault). When a client's hourly export budget would make it wait
    longer than ``max_limit_wait`` seconds, its fetch stops there (committed so far) and the report
    says when the next run can continue.
    """
    config = folder.load_config()
    start_date = _since(since, config)
    report = FetchReport(started_at=datetime.now(UTC), environment=config.environment)

    def prepare() -> None:
        # Leftovers of writes a kill interrupted (workbooks, archive files) go before anything new.
        clean_interrupted_writes(folder.root, *_client_dirs(folder))
        clean_interrupted_writes(folder.archive_dir, recursive=True)

    async with office_run(
        folder,
        config,
        FETCH_RUN,
        prepare=prepare,
        base_url=base_url,
        transport=transport,
        limiter=limiter,
        clock=clock,
        now=now,
        credentials=credentials,
        margin_follows_speed=True,
    ) as run:
        assert run.ksef is not None and run.stack is not None  # connected: a run that fetches
        archive = run.stack.enter_context(Archive.open(folder))
        semaphore = asyncio.Semaphore(max(1, concurrency or config.fetch_concurrency))
        runs = [
            _ClientRun(
                client,
                archive,
                run.ksef,
                run.credentials,
                start_date,
                run.now,
                run.clock,
                progress,
                max_limit_wait,
            )
            for client in clients
        ]

        async def bounded(one: _ClientRun) -> ClientFetchResult:
            async with semaphore:
                return await one.run()

        report.clients = list(await asyncio.gather(*(bounded(r) for r in runs)))
        _count_requests(report, run.counter)
        if backup:
            _backup(folder, report)
    report.finished_at = datetime.now(UTC)
    return report


def _count_requests(report: FetchReport, counter: CountingTransport) -> None:
    report.requests = counter.total
    report.rate_limited = counter.statuses.get(429, 0)
    report.requests_by_group = dict(counter.groups)
    report.rate_limited_by_group = dict(counter.limited_groups)


def _backup(folder: OfficeFolder, report: FetchReport) -> None:
    """A copy of the index after every run (kopie/, rotated); a damaged index is never copied."""
    try:
        backup_archive(folder)
    except UserError as exc:
        report.warnings.append(f"Nie zrobiono kopii bazy archiwum: {exc}")


# --------------------------------------------------------------------------------------------
# One client


class _ClientRun:
    def __init__(
        self,
        client: Client,
        archive: Archive,
        ksef: KsefClient,
        credential_for: CredentialSource,
        since: datetime,
        now: Callable[[], datetime],
        clock: Clock,
        progress: FetchProgress | None,
        max_limit_wait: float = 300.0,
    ) -> None:
        self.max_limit_wait = max_limit_wait
        self.client = client
        self.archive = archive
        self.ksef = ksef
        self.credential_for = credential_for
        self.since = since
        self.now = now
        self.clock = clock
        self.progress = progress
        self.result = ClientFetchResult(nip=client.nip, name=client.name, scenario=client.scenario)
        self._announced = False

    async def run(self) -> ClientFetchResult:
        client, result = self.client, self.result
        result.started_at = datetime.now(UTC)
        try:
            try:
                credential = self.credential_for(client.nip)
            except UserError as exc:
                if client.scenario != 1:
                    raise
                # The client fetches itself; no credential for its context is no problem of this run.
                result.skipped = f"scenariusz 1: klient pobiera faktury sam ({problem_message(exc)})"
                self._finished()
                return result
            try:
                session = await self._login(credential)
            except UserError as exc:
                if not holds_nothing(exc):
                    raise
                result.access = OfficeAccess()  # KSeF: the office holds nothing in this context
                self._plan(result.access)
            else:
                async with session:
                    result.access = await self._access(session)
                    subjects = self._plan(result.access)
                    # Subject types have their own checkpoints: fetched side by side within the
                    # context's limits (the limiter counts them together).
                    await asyncio.gather(*(self._subject(session, subject) for subject in subjects))
        except asyncio.CancelledError:
            raise
        except (UserError, httpx.HTTPError) as exc:
            result.errors.append(problem_message(exc))
        except Exception as exc:  # a bug must not stop the other clients; the log has the traceback
            log.exception("Nieoczekiwany błąd pobierania klienta %s", client.nip)
            result.errors.append(f"nieoczekiwany błąd programu ({type(exc).__name__}); szczegóły w logu.")
        if result.skipped:
            self._finished()
            return result
        self._started(tuple(result.subjects))
        for subject, sub in result.subjects.items():
            sub.total = self.archive.count_invoices(client.nip).get((client.nip, subject), 0)
            sub.hwm = self.archive.get_hwm(client.nip, subject)
        if "Subject2" in result.subjects:
            result.to_verify = self.archive.count_awaiting(client.nip, subject_type="Subject2")
        # Who fetched what, when, in which context: one audit entry per client and run.
        await asyncio.to_thread(
            self.archive.audit,
            "pobranie",
            client.nip,
            {"nowe": result.new, "razem": result.total, "problemy": result.errors},
            result.new,
        )
        self._finished()
        return result

    async def _access(self, session: KsefSession) -> OfficeAccess | None:
        """What KSeF says the office holds here; None (the register's word is used) if it cannot say."""
        try:
            return await read_office_access(session)
        except KsefError as exc:
            log.warning("Klient %s: nie odczytano uprawnień biura: %s", self.client.nip, problem_message(exc))
            return None

    def _plan(self, access: OfficeAccess | None) -> tuple[str, ...]:
        """The subject types to fetch by scenario and KSeF's answer; a skip or a problem otherwise."""
        client, result = self.client, self.result
        has_read = access.invoice_read if access is not None else client.perm_invoice_read
        subjects = subject_types_for(client.scenario, has_invoice_read=has_read)
        if not subjects:
            result.skipped = (
                f"scenariusz 1: klient pobiera faktury sam, a biuro nie ma w KSeF uprawnienia "
                f"„{READ_LABEL}” ({INVOICE_READ}) w jego kontekście"
            )
            return ()
        if access is not None and not access.invoice_read:
            result.errors.append(
                f"biuro nie ma w KSeF uprawnienia „{READ_LABEL}” ({INVOICE_READ}) w kontekście klienta — "
                "poproś klienta o nadanie go dla NIP biura (z możliwością dalszego przekazania)."
            )
            return ()
        for subject in subjects:
            result.subjects[subject] = SubjectResult(subject, hwm=self.archive.get_hwm(client.nip, subject))
        self._started(subjects)
        return subjects

    def _started(self, subjects: tuple[str, ...]) -> None:
        """The progress display learns of a client once, when it is known to be fetched (or failed)."""
        if self.progress and not self._announced:
            self._announced = True
            self.progress.client_started(self.client.nip, self.client.name, subjects)

    async def _login(self, credential: Any) -> KsefSession:
        """Log in; a login that failed because KSeF did not answer is simply started again."""
        failures = 0
        while True:
            try:
                return await self.ksef.login(self.client.nip, credential)
            except KsefUnavailableError as exc:
                failures += 1
                if failures > WINDOW_RETRIES:
                    raise
                log.warning("Klient %s: %s — loguję ponownie", self.client.nip, problem_message(exc))
                await self.clock.sleep(WINDOW_RETRY_DELAY * 2 ** (failures - 1))

    def _finished(self) -> None:
        self.result.finished_at = datetime.now(UTC)
        if self.progress:
            self.progress.client_finished(self.result)

    async def _subject(self, session: KsefSession, subject: str) -> None:
        sub = self.result.subjects[subject]
        try:
            await self._sync(session, subject, sub)
        except asyncio.CancelledError:
            raise
        except (UserError, httpx.HTTPError) as exc:
            sub.error = problem_message(exc)
        except Exception as exc:  # a bug must not stop the other subject type or client
            log.exception("Nieoczekiwany błąd pobierania klienta %s (%s)", self.client.nip, subject)
            sub.error = f"nieoczekiwany błąd programu ({type(exc).__name__}); szczegóły w logu."
        if sub.error:
            # The run's log has every problem too, for the office's IT person (secrets masked).
            log.warning("Klient %s, %s: %s", self.client.nip, _subject_pl(subject), sub.error)
            self.result.errors.append(f"{_subject_pl(subject)}: {sub.error}")
            await asyncio.to_thread(self.archive.record_sync_error, self.client.nip, subject, sub.error)

    async def _sync(self, session: KsefSession, subject: str, sub: SubjectResult) -> None:
        nip = self.client.nip
        state = self.archive.sync_state(nip, subject)
        stored = state.hwm if state else None
        if state is not None and state.window_from is not None:
            # The previous run stopped inside a window; it restarts from the committed checkpoint.
            sub.resumed = True
            log.info("Klient %s, %s: wznawiam przerwane pobieranie od %s", nip, subject, stored or self.since)
        checkpoint = stored or self.since
        probe = stored is not None
        failures = 0
        while True:
            window = next_window(checkpoint, self.now())
            waits = self.ksef.limiter.delay(nip, "invoiceExport")
            if waits > self.max_limit_wait:
                # The context's hourly export budget is spent: stop here (everything so far is
                # committed) rather than keep the office waiting; the next run continues.
                sub.deferred = (
                    f"wyczerpany godzinowy limit eksportów KSeF — dalsze faktury przy następnym "
                    f"uruchomieniu (za ok. {max(1, round(waits / 60))} min)."
                )
                log.info("Klient %s, %s: %s", nip, subject, sub.deferred)
                return
            try:
                if probe and window.end is None:
                    probe = False
                    metadata_wait = self.ksef.limiter.delay(nip, "invoiceMetadata")
                    if metadata_wait <= self.max_limit_wait and await self._single_downloads(
                        session, subject, sub, window
                    ):
                        return
                step = await self._export(session, subject, sub, window)
            except (KsefUnavailableError, KsefPackageError) as exc:
                failures += 1
                if failures > WINDOW_RETRIES:
                    raise
                log.warning("Klient %s, %s: %s — ponawiam okno", nip, subject, problem_message(exc))
                await self.clock.sleep(WINDOW_RETRY_DELAY * 2 ** (failures - 1))
                continue
            failures = 0
            if step.checkpoint < checkpoint:  # never: after_window cannot go back
                raise AssertionError("checkpoint moved backwards")
            checkpoint = step.checkpoint
            if not step.more:
                return

    async def _single_downloads(
        self, session: KsefSession, subject: str, sub: SubjectResult, window: Window
    ) -> bool:
        """A metadata probe; when only a handful is new, download those and finish. False → export."""
        nip = self.client.nip
        try:
            page = await session.query_metadata(window.filters(subject), 0, METADATA_PAGE_SIZE)
        except KsefError as exc:
            if exc.code in _FROM_AFTER_HWM:
                return True  # nothing stored permanently after the checkpoint yet
            raise
        finally:
            sub.metadata_queries += 1
        known = await asyncio.to_thread(
            self.archive.known_numbers, nip, [m.ksef_number for m in page.invoices]
        )
        fresh = [m for m in page.invoices if m.ksef_number not in known]
        if not can_use_single_downloads(len(fresh), has_more=page.has_more, is_truncated=page.is_truncated):
            return False
        items: list[IncomingInvoice] = []
        for meta in fresh:
            if self.ksef.limiter.delay(nip, "invoiceDownload") > DOWNLOAD_MAX_WAIT:
                # The download budget (16/min, 64/h) is nearly spent: one export is cheaper now.
                return False
            xml = await session.download_invoice(meta.ksef_number)
            sub.downloads += 1
            items.append(IncomingInvoice(meta.ksef_number, xml, meta.model_dump(by_alias=True, mode="json")))
        step = after_window(
            window, is_truncated=False, last_permanent_storage=None, hwm=page.permanent_storage_hwm_date
        )
        await self._store(subject, sub, items, step)
        return True

    async def _export(self, session: KsefSession, subject: str, sub: SubjectResult, window: Window) -> Step:
        nip = self.client.nip
        try:
            handle = await session.start_export(window.filters(subject))
        except KsefError as exc:
            if exc.code in _FROM_AFTER_HWM:
                return Step(window.start, False)
            if exc.code == 21182:  # ten exports already running in this context: wait, then again
                raise KsefUnavailableError(problem_message(exc), code=exc.code, context_nip=nip) from exc
            raise
        sub.exports += 1
        await asyncio.to_thread(
            self.archive.begin_window, nip, subject, window.start, window.end, handle.reference_number
        )
        try:
            status = await session.wait_for_export(handle)
        except KsefError as exc:
            if exc.code in _FROM_AFTER_HWM:
                await asyncio.to_thread(self.archive.end_window, nip, subject)
                return Step(window.start, False)
            if exc.code in (210, 500, 550):  # expired / failed inside KSeF: a new export may succeed
                raise KsefUnavailableError(problem_message(exc), code=exc.code, context_nip=nip) from exc
            raise
        # The KSeF client's download: each part within its declared size, the storage's hash
        # header checked, signed links masked in logs; the CPU work (hashes, decryption, unzip)
        # in a worker thread, so other clients' requests keep flowing meanwhile.
        export = await session.download_export(handle, status, in_thread=True)
        package = export.package
        items = await asyncio.to_thread(_package_items, export, nip)
        del export
        step = after_window(
            window,
            is_truncated=package.is_truncated,
            last_permanent_storage=package.last_permanent_storage_date,
            hwm=package.permanent_storage_hwm_date,
        )
        await self._store(subject, sub, items, step)
        return step

    async def _store(
        self, subject: str, sub: SubjectResult, items: list[IncomingInvoice], step: Step
    ) -> None:
        nip = self.client.nip
        # The archive moves the checkpoint only when no invoice of the batch was refused.
        batch = await asyncio.to_thread(
            self.archive.add_invoices, nip, subject, items, checkpoint=step.checkpoint
        )
        sub.new += len(batch.new)
        if self.progress:
            self.progress.client_advanced(nip, len(batch.new), _subject_pl(subject))
        if batch.refused:
            raise UserError(
                f"odrzucono {len(batch.refused)} faktur z KSeF ({batch.refused[0][1]}); "
                "pobieranie zostanie powtórzone przy następnym uruchomieniu."
            )


def _package_items(export: ExportResult, nip: str) -> list[IncomingInvoice]:
    """An opened export package's invoices with KSeF's metadata as sent; every listed invoice present.

    The client checked ``_metadata.json`` against the model and the invoices' hashes against it
    (else the package is refused); the archive takes those checked hashes (``sha256``) instead of
    hashing every XML again.
    """
    label = export.reference_number
    raw_meta = {
        item["ksefNumber"]: item
        for item in export.metadata_items
        if isinstance(item, dict) and isinstance(item.get("ksefNumber"), str)
    }
    invoices = export.invoices
    missing = sorted(set(raw_meta) - set(invoices))
    if missing:
        raise KsefPackageError(
            f"Paczka eksportu {label} nie zawiera {len(missing)} faktur wymienionych w metadanych "
            f"(np. {missing[0]}).",
            context_nip=nip,
        )
    items: list[IncomingInvoice] = []
    for number, xml in invoices.items():
        meta = raw_meta.get(number, {})
        checked = meta.get("invoiceHash")  # compared with this very XML's SHA-256 by the client
        digest = checked if isinstance(checked, str) and checked else None
        items.append(IncomingInvoice(number, xml, meta, sha256=digest))
    return items


def _subject_pl(subject: str) -> str:
    return SUBJECT_TYPE_NAMES.get(subject, subject)


# --------------------------------------------------------------------------------------------
# The run


def _client_dirs(folder: OfficeFolder) -> list[Path]:
    try:
        return [p for p in folder.clients_dir.iterdir() if p.is_dir()] if folder.clients_dir.is_dir() else []
    except OSError:
        return []


def _since(since: date | datetime | None, config: OfficeConfig) -> datetime:
    if since is None:
        try:
            since = date.fromisoformat(config.fetch_from)
        except ValueError as exc:
            raise UserError(
                f"Pole „fetch_from” w ksef-sheets.toml („{config.fetch_from}”) nie jest datą RRRR-MM-DD."
            ) from exc
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    from zoneinfo import ZoneInfo

    # A day as the office means it: midnight in Poland.
    return datetime.combine(since, time(0), tzinfo=ZoneInfo("Europe/Warsaw")).astimezone(UTC)
