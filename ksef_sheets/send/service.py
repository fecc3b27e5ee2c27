"""The sending use case (scenario 3): pending sales invoices of the office's clients into KSeF.

``send_office(folder, clients=None, dry_run=False)`` is what ``ksef-sheets send`` calls. Per client:

1. collect pending invoices: the entry workbook's rows (``entry_rows``) and dropped XML files
   (``drop_folder``); every one is built and validated first — a bad one gets its Polish message
   (file, row, column) and is not sent, the others are;
2. look each up in the sending journal by its hash: already accepted or rejected → reported, never
   sent again; sent by a run that died → reconciled with the session's list of invoices in KSeF;
3. log in with the vault credential in the client's context, open ONE online session, send the rest
   (encrypted, with hashes; the journal row is committed before each POST), close the session, poll
   each invoice's status;
4. for each accepted invoice store in the archive the exact bytes sent (the client's sales,
   Subject1), the KSeF number and acceptance date, and its UPO next to it (``<KSeF number>.upo.xml``);
   a duplicate (440) is reported with the original KSeF number; when the original is byte for byte
   this invoice (a resend after a lost answer) it counts as accepted under that number;
5. write the outcome back into the entry workbook (atomic; when it is open in Excel the archive and
   journal are still updated and the rows are filled in on the next run) and move dropped files to
   ``wyslane/`` or ``odrzucone/``;
6. refresh the client's invoice workbooks (``refresh_invoice_workbooks``).

When KSeF does not answer (connection errors, 5xx after retries) the invoices stay pending and the
report carries the offline-mode rule (DOMAIN.md §4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import FileLockedError, UserError, os_reason
from ksef_sheets.fa3 import parse_invoice
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.identifiers import is_valid_ksef_number, nip_problem, normalize_nip
from ksef_sheets.ksef import (
    Clock,
    KsefClient,
    KsefError,
    KsefNotFoundError,
    KsefSession,
    KsefUnavailableError,
    OfflineSigner,
    RateLimiter,
    SessionInvoiceStatusResponse,
    SystemClock,
    base_url_for,
    kod_i_url,
    qr_base_for,
)
from ksef_sheets.office import OFFLINE24, format_day, next_business_day
from ksef_sheets.redaction import redact
from ksef_sheets.send import drop_folder
from ksef_sheets.send import entry_workbook as E
from ksef_sheets.send.entry_rows import invoices_from_sheet
from ksef_sheets.send.issue_date import issue_date_warnings, sending_day
from ksef_sheets.send.journal import JournalEntry, SendJournal
from ksef_sheets.send.model import ClientSendResult, InvoiceOutcome, PendingInvoice, SendReport, invoice_hash
from ksef_sheets.send.offline import (
    KOD_I_CAPTION,
    NO_SIGNER,
    OfflineInvoice,
    OfflineRegister,
    SignerSource,
    current_deadline,
    deadline_warnings,
    issue_offline,
    vault_offline_signer,
)
from ksef_sheets.sync import (
    Archive,
    CountingTransport,
    EmulatedClock,
    log_to_file,
    office_run_lock,
    problem_message,
    start_office_emulator,
    vault_credentials,
)

log = logging.getLogger("ksef_sheets.send")
LOGIN_RETRIES = 3
UPO_SUFFIX = ".upo.xml"
_UNKNOWN_OUTCOME = (
    "Wysłana, ale KSeF nie podał jeszcze wyniku; zostanie on sprawdzony przy następnym uruchomieniu."
)

CredentialSource = Callable[[str], Any]


@dataclass(frozen=True)
class SendClient:
    nip: str
    name: str = ""
    address: str = ""
    scenario: int | None = None
    has_invoice_write: bool = False


# --------------------------------------------------------------------------------------------
# Entry points


async def send_office(
    folder: OfficeFolder,
    *,
    clients: Sequence[str] | None = None,
    dry_run: bool = False,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: RateLimiter | None = None,
    clock: Clock | None = None,
    credentials: CredentialSource | None = None,
    refresh_workbooks: bool = True,
    concurrency: int | None = None,
    now: datetime | None = None,
    offline: bool = False,
    correction: tuple[Path, Path] | None = None,
    offline_signer: SignerSource | None = None,
    pdf: bool = False,
) -> SendReport:
    """Send the pending sales invoices of the office's scenario-3 clients; returns the report.

    ``clients`` limits the run to these NIPs (a client outside scenario 3 without InvoiceWrite in
    the register is refused with a reason). ``dry_run`` builds and validates only: no login, no
    write. The keyword arguments after it exist for tests, benchmarks and embedding (a KSeF base
    URL — default: the config's environment, for ``emulator`` the in-process emulator —, an httpx
    transport, a limiter and clock, a credential source — default: the office vault; ``now``, the
    moment of sending, whose Warsaw day is compared with each invoice's issue date).

    ``offline``: issue the pending invoices outside KSeF now (offline24, the office's choice): KOD I
    and KOD II, the buyer's PDF in ``klienci/<NIP>/faktury-offline/``, the "Do wysłania offline" list;
    nothing is sent. Without it, when KSeF does not answer, the invoices are issued offline the same
    way; invoices issued offline earlier are sent with ``offlineMode: true``. ``correction``
    (original, corrected file): a technical correction of an offline invoice KSeF rejected (one client).
    ``offline_signer``: where the Offline certificate comes from (default: the office vault).
    ``pdf``: a PDF of every invoice KSeF accepts in this run, with KOD I labelled by its KSeF number,
    in ``klienci/<NIP>/pdf/``.
    """
    config = folder.load_config()
    if correction is not None and len(list(clients or [])) != 1:
        raise UserError("Korektę techniczną (--correct) wysyła się dla jednego klienta: podaj --client NIP.")
    if correction is not None and (offline or dry_run):
        raise UserError(
            "Korektę techniczną (--correct) wysyła się do KSeF: nie łącz jej z --offline ani --dry-run."
        )
    # A training server the office runs (emulator_url) serves the verification pages the codes open.
    qr_base = qr_base_for(config.environment, base_url or config.emulator_url)
    chosen = select_send_clients(folder, config, clients)
    report = SendReport(environment=config.environment, dry_run=dry_run)
    with contextlib.ExitStack() as stack:
        if not dry_run:
            stack.enter_context(
                office_run_lock(
                    folder,
                    ".wysylka.lock",
                    f"Wysyłka faktur dla biura {folder.root} już trwa w innym oknie lub zadaniu; "
                    "poczekaj, aż się zakończy.",
                )
            )
            stack.enter_context(log_to_file(folder, "wysylka.log"))
        archive = stack.enter_context(Archive.open(folder))
        journal = stack.enter_context(SendJournal.open(folder))
        register = stack.enter_context(OfflineRegister.open(folder))
        day = sending_day(now)
        # The vault the command line opened (its passphrase asked for once), when it did.
        opened = getattr(credentials, "__self__", None)
        issuing = _OfflineIssuing(
            folder,
            config,
            register,
            qr_base,
            offline_signer or (lambda: vault_offline_signer(folder, day, opened)),
            now,
        )
        ksef: KsefClient | None = None
        need_ksef = not dry_run and not offline and any(refused is None for _, refused in chosen)
        if need_ksef:
            if base_url is None:
                if config.environment == "emulator":
                    base_url, emulated = start_office_emulator(folder, config, stack)
                    clock = clock or EmulatedClock(emulated)
                else:
                    base_url = base_url_for(config.environment)
            clock = clock or (limiter.clock if limiter else SystemClock())
            limiter = limiter or RateLimiter(clock=clock)
            ksef = KsefClient(base_url, transport=CountingTransport(transport), limiter=limiter, clock=clock)
        try:
            credential_for = credentials or (vault_credentials(folder) if need_ksef else _no_credentials)
            runs: list[_ClientSend] = []
            for client, refused in chosen:
                result = ClientSendResult(nip=client.nip, name=client.name, scenario=client.scenario)
                report.clients.append(result)
                if refused:
                    result.refused = refused
                    continue
                run = _ClientSend(folder, client, result, archive, journal, ksef, credential_for, dry_run)
                run.sending_day = day
                run.issuing = issuing
                run.offline_now = offline
                run.correction = correction
                run.pdf = pdf
                runs.append(run)
            semaphore = asyncio.Semaphore(max(1, concurrency or config.fetch_concurrency))

            async def bounded(run: _ClientSend) -> None:
                async with semaphore:
                    try:
                        await run.run()
                    except (asyncio.CancelledError, KeyboardInterrupt):
                        raise
                    except Exception as exc:  # a bug must not stop the other clients; the log has it
                        log.exception("Nieoczekiwany błąd wysyłki dla klienta %s", run.nip)
                        run.result.errors.append(
                            f"nieoczekiwany błąd programu ({type(exc).__name__}); szczegóły w logu. "
                            "Dziennik wysyłki jest zapisany: następne uruchomienie niczego nie wyśle drugi raz."
                        )

            await asyncio.gather(*(bounded(r) for r in runs))
        finally:
            if ksef is not None:
                await ksef.aclose()
        for result in report.clients:
            if result.refused:
                continue
            result.offline_invoices = [
                current_deadline(config, i) for i in register.of_client(result.nip, state="waiting")
            ]
            result.warnings += deadline_warnings(result.offline_invoices, day)
        for result in report.clients:
            if result.refused or dry_run:
                continue
            archive.audit(
                "wysyłka",
                result.nip,
                {
                    "przyjete": [o.ksef_number for o in result.sent if o.sent_now],
                    "odrzucone": [o.number for o in result.rejected],
                    "bledy": len(result.failed) + len(result.errors),
                    "sesja": result.session_reference,
                    "srodowisko": config.environment,
                },
                len([o for o in result.sent if o.sent_now]),
            )
        if not dry_run:
            # A copy of the index after every send (kopie/, rotated; sync.backup).
            from ksef_sheets.sync import backup_archive

            try:
                backup_archive(folder)
            except UserError as exc:
                report.warnings.append(f"Nie zrobiono kopii bazy archiwum: {exc}")
    if refresh_workbooks and not dry_run:
        touched = [c.nip for c in report.clients if c.sent]
        if touched:
            report.warnings += _refresh(folder, touched)
    return report


def prepare_entry_workbooks(folder: OfficeFolder, clients: Sequence[str] | None = None) -> list[Path]:
    """Create the entry workbook of each chosen scenario-3 client that has none; returns the new files."""
    config = folder.load_config()
    created: list[Path] = []
    refusals: list[str] = []
    for client, refused in select_send_clients(folder, config, clients):
        if refused:
            refusals.append(f"Klient {client.nip}: {refused}")
            continue
        path = E.entry_path(folder, client.nip)
        if not path.exists():
            E.create_entry_workbook(
                path, client_nip=client.nip, client_name=client.name, address=client.address
            )
            created.append(path)
    if refusals and not created:
        raise UserError(" ".join(refusals))
    return created


def _no_credentials(nip: str) -> Any:  # pragma: no cover - never called in a dry run
    raise UserError("Próba wysyłki nie loguje się do KSeF.")


# --------------------------------------------------------------------------------------------
# Clients


def select_send_clients(
    folder: OfficeFolder, config: OfficeConfig, only: Sequence[str] | None = None
) -> list[tuple[SendClient, str | None]]:
    """(client, reason it is refused or None). Without ``only``: every client the office sends for."""
    listed: list[SendClient] = []
    has_register = folder.office_workbook.exists()
    if has_register:
        from ksef_sheets.sheets import load_clients

        listed = [
            SendClient(
                nip=normalize_nip(c.nip),
                name=c.name,
                address=c.address,
                scenario=c.scenario,
                has_invoice_write=bool(c.perm_invoice_write),
            )
            for c in load_clients(folder)
        ]
    else:
        listed = [SendClient(nip=normalize_nip(n)) for n in config.clients]
    if only:
        wanted: list[tuple[SendClient, str | None]] = []
        for raw in only:
            problem = nip_problem(raw)
            if problem:
                raise UserError(f"Opcja --client: {problem}")
            nip = normalize_nip(raw)
            found = next((c for c in listed if c.nip == nip), None)
            if found is None:
                where = folder.office_workbook if has_register else folder.config_path
                raise UserError(f"Klienta o NIP {nip} nie ma na liście klientów biura ({where}).")
            if any(c.nip == nip for c, _ in wanted):
                continue
            wanted.append((found, _refusal(found, has_register)))
        return wanted
    chosen: list[tuple[SendClient, str | None]] = [
        (c, None) for c in listed if _refusal(c, has_register) is None
    ]
    if not chosen:
        raise UserError(
            "Żaden klient biura nie jest w scenariuszu 3 ani nie ma w rejestrze uprawnienia InvoiceWrite "
            f"({folder.office_workbook.name}); biuro nie wysyła faktur za żadnego klienta."
        )
    return chosen


def _refusal(client: SendClient, has_register: bool) -> str | None:
    if not has_register:
        return (
            "brak rejestru klientów (biuro.xlsx), więc nie wiadomo, czy biuro wystawia faktury za tego klienta "
            "(scenariusz 3); utwórz rejestr poleceniem ksef-sheets init."
        )
    if client.scenario == 3 or client.has_invoice_write:
        return None
    scenario = f"scenariusz {client.scenario}" if client.scenario else "brak scenariusza w rejestrze"
    return (
        f"{scenario}: biuro nie wystawia faktur sprzedaży za tego klienta, a w rejestrze nie zaznaczono "
        "uprawnienia InvoiceWrite."
    )


# --------------------------------------------------------------------------------------------
# One client


class _OfflineIssuing:
    """What a client's run needs to issue invoices outside KSeF (shared by the run's clients)."""

    def __init__(
        self,
        folder: OfficeFolder,
        config: OfficeConfig,
        register: OfflineRegister,
        qr_base: str,
        signer_source: SignerSource,
        now: datetime | None,
    ) -> None:
        self.folder = folder
        self.config = config
        self.register = register
        self.qr_base = qr_base
        self._signer_source = signer_source
        self._signer: OfflineSigner | None = None
        self._looked = False
        self.problem: str | None = None
        self.now = now

    def signer(self) -> OfflineSigner | None:
        if not self._looked:
            self._looked = True
            try:
                self._signer = self._signer_source()
            except UserError as exc:
                self.problem = f"Nie można wystawić faktur offline: {exc}"
        return self._signer

    def no_signer(self) -> str:
        """Why nothing can be issued offline, in one Polish sentence."""
        return self.problem or NO_SIGNER

    def issue(self, nip: str, item: PendingInvoice, mode: str | None) -> OfflineInvoice:
        signer = self.signer()
        assert signer is not None and item.xml is not None
        issued = issue_offline(
            self.folder,
            client_nip=nip,
            number=item.number,
            source=item.source,
            xml=item.xml,
            invoice_hash=item.hash,
            config=self.config,
            signer=signer,
            qr_base=self.qr_base,
            now=self.now or datetime.now(UTC),
            mode=mode,
        )
        self.register.add(issued)
        return issued


def changed_after_offline(item: OfflineInvoice, folder: OfficeFolder) -> str:
    """A row or file of an invoice issued offline was changed afterwards: the issued version is sent."""
    xml = item.pdf.with_suffix(".xml") if item.pdf else None
    where = f" ({xml.relative_to(folder.client_dir(item.client_nip)).as_posix()})" if xml else ""
    return (
        f"Faktura {item.number} została zmieniona po wystawieniu jej offline; do KSeF trafia wersja przekazana "
        f"nabywcy{where} — zmiany wymagają faktury korygującej."
    )


def offline_note(item: OfflineInvoice, folder: OfficeFolder) -> str:
    """What the entry workbook's row says about an invoice issued offline."""
    where = item.pdf.relative_to(folder.client_dir(item.client_nip)) if item.pdf else None
    pdf = f" PDF dla nabywcy: {where.as_posix()}." if where else ""
    return (
        f"Wystawiona offline ({item.mode_label}) — wyślij do KSeF do {item.deadline_text()} "
        f"(ksef-sheets send).{pdf}"
    )


class _ClientSend:
    issuing: _OfflineIssuing
    offline_now: bool = False
    correction: tuple[Path, Path] | None = None
    pdf: bool = False

    def __init__(
        self,
        folder: OfficeFolder,
        client: SendClient,
        result: ClientSendResult,
        archive: Archive,
        journal: SendJournal,
        ksef: KsefClient | None,
        credential_for: CredentialSource,
        dry_run: bool,
    ) -> None:
        self.folder = folder
        self.client = client
        self.nip = client.nip
        self.result = result
        self.archive = archive
        self.journal = journal
        self.ksef = ksef
        self.credential_for = credential_for
        self.dry_run = dry_run
        self.sending_day: date = sending_day()
        self.outcomes: dict[str, InvoiceOutcome] = {}  # by invoice hash (or source for broken ones)
        self.items_by_hash: dict[str, PendingInvoice] = {}

    # -- orchestration ----------------------------------------------------------------------

    async def run(self) -> None:
        items = self._correction_items() if self.correction else self._collect()
        waiting_offline = {i.number: i for i in self.issuing.register.of_client(self.nip, state="waiting")}
        to_send: list[PendingInvoice] = []
        needs_upo: list[JournalEntry] = []
        for item in items:
            if item.error or item.xml is None:
                self._outcome(item, E.STATUS_ERROR, item.error or "Nie można wysłać faktury.").invalid = True
                continue
            digest = item.hash
            if digest in self.items_by_hash:
                other = self.items_by_hash[digest]
                self._outcome(
                    item,
                    E.STATUS_ERROR,
                    f"Ta sama faktura {item.number} jest też w {other.source}; wysłano by ją dwa razy.",
                    key=item.source,
                )
                continue
            entry = self.journal.get(self.nip, digest)
            if entry is None or entry.state == "lost":
                issued = self.issuing.register.get(self.nip, digest)
                if issued is not None and issued.state == "waiting":
                    item.offline = True
                elif item.number in waiting_offline and not self.correction:
                    # Handed to the buyer already: the issued bytes go to KSeF (_offline_without_item).
                    self.result.warnings.append(
                        changed_after_offline(waiting_offline[item.number], self.folder)
                    )
                    continue
                self.items_by_hash[digest] = item
                to_send.append(item)
                continue
            self.items_by_hash[digest] = item
            if entry.state == "accepted":
                self._known_accepted(item, entry)
                if not entry.upo_stored:
                    needs_upo.append(entry)
            elif entry.state == "rejected":
                self._outcome(
                    item, E.STATUS_REJECTED, entry.message or "Odrzucona przez KSeF.", code=entry.status_code
                )
            # in flight: reconciled below with every other in-flight entry of the client
        if not self.correction:
            to_send += self._offline_without_item()
        # Before anything is sent: an issue date earlier than today makes KSeF treat it as offline.
        if not self.offline_now:  # with --offline nothing is sent now: the list gives the deadlines
            self.result.issue_date_warnings = issue_date_warnings(
                [i for i in to_send if not i.offline], self.sending_day
            )
        for warning in self.result.issue_date_warnings:
            log.warning("Klient %s: %s", self.nip, warning.message)
        in_flight = self.journal.in_flight(self.nip)
        if self.dry_run:
            self.result.would_send = list(to_send)
            for entry in in_flight:
                self._outcome_for_entry(
                    entry,
                    E.STATUS_PENDING,
                    "wysłana wcześniej, wynik jeszcze nieznany — zostanie sprawdzony przy wysyłce.",
                )
            self._finish_outcomes()
            return
        if self.offline_now:
            self._issue_all_offline(to_send, OFFLINE24)
            self._finish_outcomes()
            self._write_back()
            return
        if to_send or in_flight or needs_upo:
            try:
                await self._with_ksef(to_send, in_flight, needs_upo)
            except KsefUnavailableError as exc:
                waiting = [i for i in to_send if self._key(i) not in self.outcomes and not self._in_flight(i)]
                if self.correction or not waiting or self.issuing.signer() is None:
                    self._offline(exc, to_send, in_flight)
                    if not self.correction and any(not i.offline for i in waiting):
                        self.result.errors.append(self.issuing.no_signer())
                    self._issue_all_offline(waiting, None)  # outcomes of those issued offline earlier
                else:
                    self._offline(exc, [i for i in to_send if i not in waiting], in_flight, quiet=True)
                    self.result.warnings.append(
                        f"{problem_message(exc)} Faktury wystawiono offline: przekaż nabywcom pliki PDF z kodami "
                        "QR; następne uruchomienie ksef-sheets send wyśle je do KSeF."
                    )
                    self._issue_all_offline(waiting, None)
            except (UserError, httpx.HTTPError) as exc:
                self.result.errors.append(problem_message(exc))
                for item in to_send:
                    if self._key(item) in self.outcomes:
                        continue
                    if self._in_flight(item):
                        self._outcome(item, E.STATUS_PENDING, _UNKNOWN_OUTCOME)
                    else:
                        self._outcome(item, E.STATUS_ERROR, f"Nie wysłano: {problem_message(exc)}")
        self._finish_outcomes()
        self._write_back()
        self._move_files()

    def _collect(self) -> list[PendingInvoice]:
        items: list[PendingInvoice] = []
        path = E.entry_path(self.folder, self.nip)
        if not path.exists() and not self.dry_run:
            try:
                E.create_entry_workbook(
                    path, client_nip=self.nip, client_name=self.client.name, address=self.client.address
                )
                self.result.workbook_created = path
            except UserError as exc:
                self.result.errors.append(str(exc))
        if path.exists():
            try:
                sheet = E.read_entry_workbook(path)
                items += invoices_from_sheet(
                    sheet,
                    seller_nip=self.nip,
                    seller_name=sheet.seller_name or self.client.name,
                    seller_address=sheet.seller_address or self.client.address,
                )
            except UserError as exc:
                self.result.errors.append(str(exc))
        items += drop_folder.invoices_from_files(self.folder, self.nip)
        return items

    def _offline_without_item(self) -> list[PendingInvoice]:
        """Invoices issued offline whose row or file is gone or changed: sent from the issued bytes."""
        found: list[PendingInvoice] = []
        for issued in self.issuing.register.of_client(self.nip, state="waiting"):
            if issued.invoice_hash in self.items_by_hash:
                continue
            entry = self.journal.get(self.nip, issued.invoice_hash)
            if entry is not None and entry.state not in ("lost",):
                continue
            item = PendingInvoice(
                number=issued.number,
                source=issued.source,
                origin="dziennik",
                xml=issued.xml,
                issue_date=issued.issue_date,
                offline=True,
            )
            self.items_by_hash[issued.invoice_hash] = item
            found.append(item)
        return found

    def _correction_items(self) -> list[PendingInvoice]:
        """The corrected file of ``send --correct``, marked as the technical correction of the original."""
        assert self.correction is not None
        original_path, corrected_path = self.correction
        try:
            original = original_path.read_bytes()
        except OSError as exc:
            raise UserError(f"Nie można odczytać pliku {original_path}: {os_reason(exc)}.") from None
        original_hash = invoice_hash(original)
        known = self.journal.get(self.nip, original_hash)
        if known is not None and known.state == "accepted":
            raise UserError(
                f"Faktura {original_path.name} została przyjęta przez KSeF jako {known.ksef_number}; korekta "
                "techniczna dotyczy tylko faktury odrzuconej — zmiany treści wymagają faktury korygującej."
            )
        item = drop_folder.read_file(corrected_path, self.nip)
        item.path = None  # the office's own file stays where it is
        item.source = str(corrected_path)
        item.offline = True
        item.corrects_hash = original_hash
        return [item]

    def _issue_all_offline(self, items: Sequence[PendingInvoice], mode: str | None) -> None:
        """Issue the waiting invoices outside KSeF (KOD I, KOD II, PDF) or say why it cannot be done."""
        fresh = [i for i in items if not i.offline and i.xml is not None]
        if fresh and self.issuing.signer() is None:
            self.result.errors.append(self.issuing.no_signer())
            fresh = []
        for item in fresh:
            try:
                issued = self.issuing.issue(self.nip, item, mode)
            except UserError as exc:
                self._outcome(item, E.STATUS_ERROR, f"Nie wystawiono faktury offline: {exc}")
                continue
            item.offline = True
            log.info("Klient %s: faktura %s wystawiona offline (%s)", self.nip, item.number, issued.mode)
        for item in items:
            if not item.offline or item.xml is None:
                continue
            issued_item = self.issuing.register.get(self.nip, item.hash)
            if issued_item is not None:
                issued_item = current_deadline(self.issuing.config, issued_item)
                self._outcome(item, E.STATUS_PENDING, offline_note(issued_item, self.folder))

    async def _with_ksef(
        self, to_send: list[PendingInvoice], in_flight: list[JournalEntry], needs_upo: list[JournalEntry]
    ) -> None:
        assert self.ksef is not None
        credential = self.credential_for(self.nip)
        session = await self._login(credential)
        async with session:
            to_send += await self._reconcile(session, in_flight)
            for entry in needs_upo:
                await self._fetch_missing_upo(session, entry)
            if to_send:
                await self._send(session, to_send)

    async def _login(self, credential: Any) -> KsefSession:
        assert self.ksef is not None
        failures = 0
        while True:
            try:
                return await self.ksef.login(self.nip, credential)
            except KsefUnavailableError:
                failures += 1
                if failures > LOGIN_RETRIES:
                    raise
                await self.ksef.clock.sleep(2.0 * 2 ** (failures - 1))

    # -- sending ----------------------------------------------------------------------------

    async def _send(self, session: KsefSession, items: list[PendingInvoice]) -> None:
        online = await session.open_online_session()
        self.result.session_reference = online.reference_number
        sent: list[tuple[PendingInvoice, str]] = []
        for item in items:
            assert item.xml is not None
            digest = item.hash
            self.journal.sending(
                self.nip, digest, item.number, item.source, item.xml, online.reference_number
            )
            try:
                reference = await online.send_invoice(
                    item.xml, offline_mode=item.offline, hash_of_corrected_invoice=item.corrects_hash
                )
            except KsefUnavailableError:
                # Whether KSeF got this one is unknown: its journal row stays "sending" and the next
                # run asks the session before sending anything again.
                self._outcome(
                    item,
                    E.STATUS_PENDING,
                    "KSeF nie potwierdził przyjęcia; wynik zostanie sprawdzony przy następnym uruchomieniu.",
                )
                raise
            except KsefError as exc:
                self.journal.lost(self.nip, digest)
                self._outcome(
                    item, E.STATUS_ERROR, f"KSeF nie przyjął faktury do sesji: {problem_message(exc)}"
                )
                continue
            self.journal.sent(self.nip, digest, reference)
            sent.append((item, reference))
        try:
            await online.close()
        except KsefUnavailableError:
            raise
        except KsefError as exc:
            self.result.warnings.append(
                f"Nie zamknięto sesji {online.reference_number}: {problem_message(exc)}"
            )
        for item, reference in sent:
            assert item.xml is not None
            status = await self._wait(session, online.reference_number, reference)
            await self._decided(
                session, item.xml, item.number, item.source, online.reference_number, status, True
            )

    async def _wait(
        self, session: KsefSession, session_ref: str, invoice_ref: str
    ) -> SessionInvoiceStatusResponse:
        client = session.client
        waited, delay = 0.0, client.poll.first
        while True:
            response = await session.request(
                "GET",
                f"/sessions/{session_ref}/invoices/{invoice_ref}",
                operation=f"status faktury {invoice_ref}",
            )
            try:
                status = SessionInvoiceStatusResponse.model_validate(response.json())
            except ValueError:
                raise KsefError("KSeF zwrócił nieoczekiwany status faktury.", context_nip=self.nip) from None
            if status.status.code not in (100, 150):
                return status
            if waited >= client.poll.timeout:
                raise KsefUnavailableError(
                    f"KSeF długo przetwarza fakturę {invoice_ref} — wynik zostanie sprawdzony przy następnym uruchomieniu.",
                    context_nip=self.nip,
                )
            await client.clock.sleep(delay)
            waited += delay
            delay = min(client.poll.maximum, delay * client.poll.factor)

    # -- reconciling ------------------------------------------------------------------------

    async def _reconcile(self, session: KsefSession, entries: list[JournalEntry]) -> list[PendingInvoice]:
        """Outcomes of invoices sent by a run that died; returns pending ones KSeF never got."""
        resend: list[PendingInvoice] = []
        by_session: dict[str, list[JournalEntry]] = {}
        for entry in entries:
            by_session.setdefault(entry.session_ref or "", []).append(entry)
        for session_ref, group in by_session.items():
            listed: list[SessionInvoiceStatusResponse] | None = None
            if session_ref:
                try:
                    listed = await session.session_invoices(session_ref)
                except KsefNotFoundError:
                    listed = None
            for entry in group:
                match = None
                for status in listed or []:
                    if (entry.invoice_ref and status.reference_number == entry.invoice_ref) or (
                        status.invoice_hash == entry.invoice_hash
                    ):
                        match = status
                        break
                if match is None:
                    # Not in the session: the POST never reached KSeF. Send again (a duplicate
                    # check in KSeF would still catch it, see _duplicate).
                    self.journal.lost(self.nip, entry.invoice_hash)
                    item = self.items_by_hash.get(entry.invoice_hash)
                    if item is not None:
                        resend.append(item)
                    continue
                if match.status.code in (100, 150):
                    match = await self._wait(session, session_ref, match.reference_number)
                await self._decided(
                    session, entry.xml, entry.invoice_number, entry.source, session_ref, match, False
                )
        return resend

    async def _fetch_missing_upo(self, session: KsefSession, entry: JournalEntry) -> None:
        if not (entry.ksef_number and entry.session_ref):
            return
        try:
            upo = await session.download_upo(
                f"/sessions/{entry.session_ref}/invoices/ksef/{entry.ksef_number}/upo"
            )
        except KsefError as exc:
            self.result.warnings.append(
                f"UPO faktury {entry.ksef_number} nadal niedostępne: {problem_message(exc)}"
            )
            return
        path = self._store_upo(entry.ksef_number, upo)
        self.journal.accepted(
            self.nip,
            entry.invoice_hash,
            ksef_number=entry.ksef_number,
            accepted_at=entry.accepted_at,
            session_ref=entry.session_ref,
            invoice_ref=entry.invoice_ref,
            upo_stored=True,
        )
        outcome = self.outcomes.get(entry.invoice_hash)
        if outcome is not None:
            outcome.upo_path = path

    # -- outcomes ---------------------------------------------------------------------------

    async def _decided(
        self,
        session: KsefSession,
        xml: bytes,
        number: str,
        source: str,
        session_ref: str,
        status: SessionInvoiceStatusResponse,
        sent_now: bool,
    ) -> None:
        digest = invoice_hash(xml)
        code = status.status.code
        if code == 200 and status.ksef_number:
            upo: bytes | None = None
            try:
                upo = await session.download_upo(
                    f"/sessions/{session_ref}/invoices/{status.reference_number}/upo"
                )
            except KsefError as exc:
                self.result.warnings.append(
                    f"UPO faktury {status.ksef_number} nie zostało pobrane ({problem_message(exc)}); "
                    "program pobierze je przy następnym uruchomieniu."
                )
            await self._accept(
                xml,
                number,
                source,
                status.ksef_number,
                status.acquisition_date,
                upo,
                session_ref,
                status.reference_number,
                status,
                sent_now,
            )
            return
        if code == 440 and await self._duplicate(session, xml, number, source, status, sent_now):
            return
        details = "; ".join(status.status.details or [])
        description = status.status.description or "odrzucona"
        message = redact(
            f"KSeF odrzucił fakturę (kod {code}: {description})" + (f": {details}" if details else ".")
        )
        original = (status.status.extensions or {}).get("originalKsefNumber") if code == 440 else None
        if code == 440 and original:
            message = (
                f"Duplikat: faktura o numerze {number} została już przyjęta w KSeF jako {original}; "
                "nie wysłano jej ponownie. Zmiany wymagają faktury korygującej."
            )
        issued = self.issuing.register.get(self.nip, digest)
        if issued is not None and issued.pdf is not None and code != 410:  # 410: permissions, not technical
            message += (
                f" Faktura była wystawiona offline: po usunięciu błędu technicznego wyślij korektę techniczną — "
                f"ksef-sheets send --client {self.nip} --correct {issued.pdf.with_suffix('.xml')} POPRAWIONA.xml"
            )
        self.journal.rejected(self.nip, digest, code=code, message=message)
        self.issuing.register.rejected(self.nip, digest, message)
        outcome = self._outcome_by_hash(digest, number, source, E.STATUS_REJECTED, message)
        outcome.code = code
        outcome.original_ksef_number = original
        outcome.sent_now = sent_now

    async def _duplicate(
        self,
        session: KsefSession,
        xml: bytes,
        number: str,
        source: str,
        status: SessionInvoiceStatusResponse,
        sent_now: bool,
    ) -> bool:
        """A 440 for an invoice whose original is these very bytes: accepted under the original number."""
        extensions = status.status.extensions or {}
        original = extensions.get("originalKsefNumber")
        original_session = extensions.get("originalSessionReferenceNumber")
        if not original or not is_valid_ksef_number(original):
            return False
        digest = invoice_hash(xml)
        known = self.archive.get_invoice(self.nip, original)
        same = known is not None and known.sha256 == digest
        if not same:
            try:
                same = invoice_hash(await session.download_invoice(original)) == digest
            except KsefError:
                same = False
        if not same:
            return False
        upo = None
        if original_session:
            with contextlib.suppress(KsefError):
                upo = await session.download_upo(f"/sessions/{original_session}/invoices/ksef/{original}/upo")
        accepted_at = known.acquisition_date if known else None
        await self._accept(
            xml,
            number,
            source,
            original,
            accepted_at,
            upo,
            original_session,
            None,
            None,
            False,
            note="KSeF przyjął tę fakturę już wcześniej; nie utworzono duplikatu.",
        )
        return True

    async def _accept(
        self,
        xml: bytes,
        number: str,
        source: str,
        ksef_number: str,
        accepted_at: datetime | None,
        upo: bytes | None,
        session_ref: str | None,
        invoice_ref: str | None,
        status: SessionInvoiceStatusResponse | None,
        sent_now: bool,
        *,
        note: str = "",
    ) -> None:
        if not is_valid_ksef_number(ksef_number):
            raise KsefError(
                f"KSeF zwrócił nieprawidłowy numer KSeF dla faktury {number}.", context_nip=self.nip
            )
        digest = invoice_hash(xml)
        self.issuing.register.sent(self.nip, digest, ksef_number)
        corrected = self.items_by_hash.get(digest)
        if corrected is not None and corrected.corrects_hash:
            self.issuing.register.sent(self.nip, corrected.corrects_hash, ksef_number)
        metadata = archive_metadata(xml, ksef_number, status)
        # Exactly the bytes sent, as the client's sales; idempotent by KSeF number.
        await asyncio.to_thread(self.archive.add_invoice, self.nip, "Subject1", ksef_number, xml, metadata)
        upo_path = self._store_upo(ksef_number, upo) if upo is not None else None
        self.journal.accepted(
            self.nip,
            digest,
            ksef_number=ksef_number,
            accepted_at=accepted_at,
            session_ref=session_ref,
            invoice_ref=invoice_ref,
            upo_stored=upo_path is not None,
            message=note or None,
        )
        if sent_now and self.pdf:
            self._accepted_pdf(xml, ksef_number)
        outcome = self._outcome_by_hash(digest, number, source, E.STATUS_SENT, note)
        outcome.ksef_number = ksef_number
        outcome.accepted_at = accepted_at
        outcome.upo_path = upo_path
        outcome.code = 200
        outcome.sent_now = sent_now

    def _accepted_pdf(self, xml: bytes, ksef_number: str) -> None:
        from ksef_sheets.documents import QrCode, invoice_pdf

        target = self.folder.client_dir(self.nip) / "pdf" / f"{ksef_number}.pdf"
        try:
            invoice = parse_invoice(xml, source=ksef_number)
            assert invoice.issue_date is not None and invoice.seller.nip
            link = kod_i_url(
                xml,
                seller_nip=invoice.seller.nip,
                issue_date=invoice.issue_date,
                qr_base=self.issuing.qr_base,
            )
            data = invoice_pdf(
                invoice, ksef_number=ksef_number, qr_codes=[QrCode(link, ksef_number, KOD_I_CAPTION)]
            )
            atomic_write_bytes(target, data)
        except (UserError, OSError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            self.result.warnings.append(f"Nie zapisano pliku PDF faktury {ksef_number} ({target}): {reason}")

    def _store_upo(self, ksef_number: str, upo: bytes) -> Path:
        path = self.upo_path(ksef_number)
        atomic_write_bytes(path, upo)
        return path

    def upo_path(self, ksef_number: str) -> Path:
        xml_path = self.archive.xml_path(self.nip, ksef_number)
        return xml_path.with_name(ksef_number + UPO_SUFFIX)

    def _known_accepted(self, item: PendingInvoice, entry: JournalEntry) -> None:
        assert entry.ksef_number is not None
        if not self.archive.has_invoice(self.nip, entry.ksef_number):
            # The run that got the number died before archiving: store the journal's bytes now.
            metadata = archive_metadata(entry.xml, entry.ksef_number, None)
            self.archive.add_invoice(self.nip, "Subject1", entry.ksef_number, entry.xml, metadata)
        outcome = self._outcome(item, E.STATUS_SENT, entry.message or "")
        outcome.ksef_number = entry.ksef_number
        outcome.accepted_at = entry.accepted_at
        outcome.code = 200
        upo = self.upo_path(entry.ksef_number)
        outcome.upo_path = upo if upo.exists() else None

    def _key(self, item: PendingInvoice) -> str:
        return item.hash if item.xml is not None and not item.error else item.source

    def _outcome(
        self,
        item: PendingInvoice,
        status: str,
        message: str,
        *,
        code: int | None = None,
        key: str | None = None,
    ) -> InvoiceOutcome:
        outcome = InvoiceOutcome(
            number=item.number,
            source=item.source,
            origin=item.origin,
            status=status,
            message=message,
            code=code,
            path=item.path,
            rows=item.rows,
        )
        self.outcomes[key or self._key(item)] = outcome
        return outcome

    def _outcome_by_hash(
        self, digest: str, number: str, source: str, status: str, message: str
    ) -> InvoiceOutcome:
        item = self.items_by_hash.get(digest)
        if item is not None:
            return self._outcome(item, status, message)
        outcome = InvoiceOutcome(
            number=number, source=source, origin="dziennik", status=status, message=message
        )
        self.outcomes[digest] = outcome
        return outcome

    def _outcome_for_entry(self, entry: JournalEntry, status: str, message: str) -> None:
        self._outcome_by_hash(entry.invoice_hash, entry.invoice_number, entry.source, status, message)

    def _offline(
        self,
        exc: KsefUnavailableError,
        items: Sequence[PendingInvoice],
        in_flight: Sequence[JournalEntry],
        *,
        quiet: bool = False,
    ) -> None:
        self.result.offline = True
        waiting = [i for i in items if self._key(i) not in self.outcomes]
        if not quiet:
            self.result.errors.append(offline_message(problem_message(exc), waiting))
        for item in waiting:
            if self._in_flight(item):
                self._outcome(item, E.STATUS_PENDING, _UNKNOWN_OUTCOME)
                continue
            deadline = next_business_day(item.issue_date) if item.issue_date else None
            when = f" Termin w trybie offline24: {format_day(deadline)}." if deadline else ""
            self._outcome(item, E.STATUS_PENDING, f"KSeF niedostępny — faktura czeka na wysłanie.{when}")
        for entry in in_flight:
            if entry.invoice_hash not in self.outcomes:
                self._outcome_for_entry(
                    entry,
                    E.STATUS_PENDING,
                    "KSeF niedostępny — wynik wcześniejszej wysyłki zostanie sprawdzony później.",
                )

    def _in_flight(self, item: PendingInvoice) -> bool:
        entry = self.journal.get(self.nip, item.hash) if item.xml is not None else None
        return entry is not None and entry.state in ("sending", "sent")

    def _finish_outcomes(self) -> None:
        self.result.outcomes = list(self.outcomes.values())

    # -- writing back -----------------------------------------------------------------------

    def _write_back(self) -> None:
        path = E.entry_path(self.folder, self.nip)
        updates: dict[str, E.RowUpdate] = {}
        for o in self.result.outcomes:
            if not o.number:
                continue
            from_sheet = o.origin == "arkusz" or (
                o.origin == "dziennik" and o.source.startswith(E.ENTRY_FILE)
            )
            if not from_sheet:
                continue
            updates[o.number] = E.RowUpdate(
                status=o.status,
                ksef_number=o.ksef_number or o.original_ksef_number if o.accepted else None,
                accepted_at=o.accepted_at,
                upo_path=o.upo_path,
                message=o.message,
            )
        offline_rows: list[E.OfflineRow] | None = None
        issued = [current_deadline(self.issuing.config, i) for i in self.issuing.register.of_client(self.nip)]
        if issued:  # the sheet appears with the first offline invoice and stays (empty when all are sent)
            offline_rows = [
                E.OfflineRow(
                    i.number, i.mode_label, i.issue_date, i.deadline or i.deadline_text(), i.pdf, i.kod_i
                )
                for i in issued
                if i.state == "waiting"
            ]
        if (not updates and offline_rows is None) or not path.exists():
            return
        try:
            E.write_back(path, updates, offline_rows)
        except FileLockedError as exc:
            self.result.warnings.append(
                f"{exc.message} Archiwum i dziennik wysyłki są aktualne; stan faktur zostanie wpisany "
                "do skoroszytu przy następnym uruchomieniu ksef-sheets send."
            )
        except UserError as exc:
            self.result.warnings.append(f"Nie zapisano wyników w {path.name}: {exc}")

    def _move_files(self) -> None:
        for o in self.result.outcomes:
            if o.path is None or not o.path.exists():
                continue
            if not (o.accepted or o.rejected or o.invalid):
                continue  # pending, or a problem of the run (login, KSeF): the file waits for the next run
            try:
                drop_folder.move_after(o.path, accepted=o.accepted, reason=o.message)
            except OSError as exc:
                self.result.warnings.append(f"Nie przeniesiono pliku {o.source}: {os_reason(exc)}.")


# --------------------------------------------------------------------------------------------
# Helpers


def archive_metadata(
    xml: bytes, ksef_number: str, status: SessionInvoiceStatusResponse | None
) -> dict[str, Any]:
    """``InvoiceMetadata`` (camelCase, as KSeF lists it) for the archive index of a sent invoice."""
    invoice = parse_invoice(xml, source=ksef_number)
    foreign = (invoice.currency or "PLN") != "PLN"
    vat = sum(
        ((b.vat_pln if foreign and b.vat_pln is not None else b.vat) or 0 for b in invoice.buckets),
        start=0,
    )
    buyer = invoice.buyer

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    meta: dict[str, Any] = {
        "ksefNumber": ksef_number,
        "invoiceNumber": invoice.number,
        "issueDate": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "seller": {"nip": invoice.seller.nip, "name": invoice.seller.name},
        "buyer": {
            "identifier": {"type": buyer.identifier_type, "value": buyer.identifier},
            "name": buyer.name,
        },
        "netAmount": str(invoice.net_total) if invoice.net_total is not None else None,
        "vatAmount": str(vat),
        "grossAmount": invoice.total_text,
        "currency": invoice.currency,
        "invoiceType": invoice.kind,
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "isSelfInvoicing": False,
        "hasAttachment": invoice.has_attachment,
        "invoiceHash": invoice_hash(xml),
        "invoicingMode": "Online",
    }
    if status is not None:
        meta.update(
            invoicingDate=iso(status.invoicing_date),
            acquisitionDate=iso(status.acquisition_date),
            permanentStorageDate=iso(status.permanent_storage_date),
            invoicingMode=status.invoicing_mode or "Online",
        )
    return meta


def offline_message(reason: str, waiting: Sequence[PendingInvoice]) -> str:
    """KSeF did not answer: what that means for the invoices (DOMAIN.md §4, offline modes)."""
    text = (
        f"{reason} Faktury ({len(waiting)}) pozostają do wysłania; uruchom ksef-sheets send ponownie, "
        "gdy KSeF zacznie odpowiadać. Faktura przekazana już nabywcy poza KSeF jest fakturą offline: "
        "trzeba ją wysłać do KSeF najpóźniej następnego dnia roboczego po dniu wystawienia (offline24, "
        "art. 106nda), a przy niedostępności KSeF ogłoszonej przez MF — następnego dnia roboczego po jej "
        "zakończeniu (art. 106nh)."
    )
    dated = sorted({i.issue_date for i in waiting if i.issue_date})
    if dated:
        text += f" Najbliższy termin (offline24): {format_day(next_business_day(dated[0]))}."
    return text


def _refresh(folder: OfficeFolder, nips: list[str]) -> list[str]:
    from ksef_sheets.sheets import refresh_invoice_workbooks

    try:
        report = refresh_invoice_workbooks(folder, nips)
    except UserError as exc:
        return [f"Skoroszyty faktur nie zostały odświeżone: {exc}"]
    return report.messages()
