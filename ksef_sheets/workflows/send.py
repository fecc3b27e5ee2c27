"""Use case: sending the sales invoices of the office's clients into KSeF (scenario 3, ``ksef-sheets send``).

``send_office(folder, clients=None, dry_run=False)`` reads the register once, chooses the clients (a
client outside scenario 3 without InvoiceWrite is refused with a reason), sets the run up
(``ksef_sheets.sync.office_run``: lock, log, emulator or real KSeF, credentials) and runs each
client (``send_client``):

1. collect pending invoices: the entry workbook's rows and dropped XML files; every one is built and
   validated first — a bad one gets its Polish message (file, row, column) and is not sent;
2. send them once (``ksef_sheets.send.ClientSender``: the journal, one online session, the archive,
   UPOs, duplicates, reconciling a run that died, offline issuing when KSeF does not answer);
3. write the outcome back into the entry workbook (atomic; when it is open in Excel the archive and
   journal are still updated and the rows are filled in on the next run), move dropped files to
   ``wyslane/`` or ``odrzucone/``, and with ``pdf`` write a PDF of each accepted invoice;
4. audit each client's send, back the archive index up, and refresh the invoice workbooks of the
   clients with sent invoices.

When KSeF does not answer (connection errors, 5xx after retries) the invoices stay pending and the
report carries the offline-mode rule (DOMAIN.md §4).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import httpx

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.ksef import Clock, RateLimiter, qr_base_for
from ksef_sheets.office import Client
from ksef_sheets.send import (
    ClientSender,
    ClientSendResult,
    CredentialSource,
    OfflineIssuing,
    OfflineRegister,
    SendJournal,
    SendReport,
    SignerSource,
    current_deadline,
    deadline_warnings,
    entry_path,
    sending_day,
    vault_offline_signer,
)
from ksef_sheets.sheets import create_entry_workbook, load_clients, refresh_invoice_workbooks
from ksef_sheets.sync import SEND_RUN, Archive, backup_archive, office_run
from ksef_sheets.workflows.send_client import render_pdf, run_client

log = logging.getLogger("ksef_sheets.send")

Chosen = list[tuple[Client, str | None]]


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
    write (and no run lock or log). The keyword arguments after it exist for tests, benchmarks and
    embedding (a KSeF base URL — default: the config's environment, for ``emulator`` the in-process
    emulator —, an httpx transport, a limiter and clock, a credential source — default: the office
    vault; ``now``, the moment of sending, whose Warsaw day is compared with each invoice's issue date).

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
    _check_correction(clients, correction, offline=offline, dry_run=dry_run)
    chosen = select_send_clients(folder, config, clients)
    report = SendReport(environment=config.environment, dry_run=dry_run)
    async with office_run(
        folder,
        config,
        SEND_RUN,
        lock=not dry_run,
        connect=not dry_run and not offline and any(refused is None for _, refused in chosen),
        base_url=base_url,
        transport=transport,
        limiter=limiter,
        clock=clock,
        credentials=credentials,
    ) as run:
        assert run.stack is not None
        archive = run.stack.enter_context(Archive.open(folder))
        journal = run.stack.enter_context(SendJournal.open(folder))
        register = run.stack.enter_context(OfflineRegister.open(folder))
        day = sending_day(now)
        # The vault the command line opened (its passphrase asked for once), when it did.
        opened = getattr(credentials, "__self__", None)
        issuing = OfflineIssuing(
            folder,
            config,
            register,
            # A training server the office runs (emulator_url) serves the verification pages the codes open.
            qr_base_for(config.environment, base_url or config.emulator_url),
            offline_signer or (lambda: vault_offline_signer(folder, day, opened)),
            now,
            render_pdf,
        )
        senders: list[tuple[ClientSender, Client]] = []
        for client, refused in chosen:
            result = ClientSendResult(nip=client.nip, name=client.name, scenario=client.scenario)
            report.clients.append(result)
            if refused:
                result.refused = refused
                continue
            sender = ClientSender(
                folder,
                client.nip,
                result,
                archive,
                journal,
                run.ksef,
                run.credentials,
                issuing=issuing,
                sending_day=day,
                dry_run=dry_run,
                offline_now=offline,
                correction=correction,
            )
            senders.append((sender, client))
        await _run_clients(folder, senders, concurrency or config.fetch_concurrency, pdf=pdf)
        _after_clients(folder, config, report, archive, register, day, dry_run=dry_run)
    if refresh_workbooks and not dry_run:
        touched = [c.nip for c in report.clients if c.sent]
        if touched:
            report.warnings += _refresh(folder, touched)
    return report


def _check_correction(
    clients: Sequence[str] | None, correction: tuple[Path, Path] | None, *, offline: bool, dry_run: bool
) -> None:
    if correction is not None and len(list(clients or [])) != 1:
        raise UserError("Korektę techniczną (--correct) wysyła się dla jednego klienta: podaj --client NIP.")
    if correction is not None and (offline or dry_run):
        raise UserError(
            "Korektę techniczną (--correct) wysyła się do KSeF: nie łącz jej z --offline ani --dry-run."
        )


async def _run_clients(
    folder: OfficeFolder, senders: list[tuple[ClientSender, Client]], concurrency: int, *, pdf: bool
) -> None:
    """Each client's send, ``concurrency`` at a time; a bug in one client's run does not stop the others."""
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def bounded(sender: ClientSender, client: Client) -> None:
        async with semaphore:
            try:
                await run_client(folder, sender, client, pdf=pdf)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:  # a bug must not stop the other clients; the log has it
                log.exception("Nieoczekiwany błąd wysyłki dla klienta %s", sender.nip)
                sender.result.errors.append(
                    f"nieoczekiwany błąd programu ({type(exc).__name__}); szczegóły w logu. "
                    "Dziennik wysyłki jest zapisany: następne uruchomienie niczego nie wyśle drugi raz."
                )

    await asyncio.gather(*(bounded(s, c) for s, c in senders))


def _after_clients(
    folder: OfficeFolder,
    config: OfficeConfig,
    report: SendReport,
    archive: Archive,
    register: OfflineRegister,
    day: date,
    *,
    dry_run: bool,
) -> None:
    """Offline deadlines of every client, the audit of each client's send, a copy of the index."""
    for result in report.clients:
        if result.refused:
            continue
        result.offline_invoices = [
            current_deadline(config, i) for i in register.of_client(result.nip, state="waiting")
        ]
        result.warnings += deadline_warnings(result.offline_invoices, day)
    if dry_run:
        return
    for result in report.clients:
        if result.refused:
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
    # A copy of the index after every send (kopie/, rotated; sync.backup).
    try:
        backup_archive(folder)
    except UserError as exc:
        report.warnings.append(f"Nie zrobiono kopii bazy archiwum: {exc}")


def prepare_entry_workbooks(folder: OfficeFolder, clients: Sequence[str] | None = None) -> list[Path]:
    """Create the entry workbook of each chosen scenario-3 client that has none; returns the new files."""
    config = folder.load_config()
    created: list[Path] = []
    refusals: list[str] = []
    for client, refused in select_send_clients(folder, config, clients):
        if refused:
            refusals.append(f"Klient {client.nip}: {refused}")
            continue
        path = entry_path(folder, client.nip)
        if not path.exists():
            create_entry_workbook(
                path, client_nip=client.nip, client_name=client.name, address=client.address
            )
            created.append(path)
    if refusals and not created:
        raise UserError(" ".join(refusals))
    return created


# --------------------------------------------------------------------------------------------
# Clients


def select_send_clients(
    folder: OfficeFolder, config: OfficeConfig, only: Sequence[str] | None = None
) -> Chosen:
    """(client, reason it is refused or None). Without ``only``: every client the office sends for.

    The register (``biuro.xlsx``) is read here, once per run; without it the config's list of NIPs.
    """
    has_register = folder.office_workbook.exists()
    if has_register:
        listed = [replace(c, nip=normalize_nip(c.nip)) for c in load_clients(folder)]
    else:
        listed = [Client(nip=normalize_nip(n)) for n in config.clients]
    if only:
        wanted: Chosen = []
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
    chosen: Chosen = [(c, None) for c in listed if _refusal(c, has_register) is None]
    if not chosen:
        raise UserError(
            "Żaden klient biura nie jest w scenariuszu 3 ani nie ma w rejestrze uprawnienia InvoiceWrite "
            f"({folder.office_workbook.name}); biuro nie wysyła faktur za żadnego klienta."
        )
    return chosen


def _refusal(client: Client, has_register: bool) -> str | None:
    if not has_register:
        return (
            "brak rejestru klientów (biuro.xlsx), więc nie wiadomo, czy biuro wystawia faktury za tego klienta "
            "(scenariusz 3); utwórz rejestr poleceniem ksef-sheets init."
        )
    if client.scenario == 3 or client.perm_invoice_write:
        return None
    scenario = f"scenariusz {client.scenario}" if client.scenario else "brak scenariusza w rejestrze"
    return (
        f"{scenario}: biuro nie wystawia faktur sprzedaży za tego klienta, a w rejestrze nie zaznaczono "
        "uprawnienia InvoiceWrite."
    )


def _refresh(folder: OfficeFolder, nips: list[str]) -> list[str]:
    try:
        report = refresh_invoice_workbooks(folder, nips)
    except UserError as exc:
        return [f"Skoroszyty faktur nie zostały odświeżone: {exc}"]
    return report.messages()
