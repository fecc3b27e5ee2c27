"""One client's sending run (scenario 3): prepared invoices into KSeF, exactly once.

``ClientSender.run(items)`` takes the client's pending invoices (built and validated by the caller:
entry workbook rows, dropped XML files, or a technical correction) and

1. looks each up in the sending journal by its hash: already accepted or rejected → reported, never
   sent again; sent by a run that died → reconciled with the session's list of invoices in KSeF;
2. logs in with the client's credential, opens ONE online session, sends the rest (encrypted, with
   hashes; the journal row is committed before each POST), closes the session, polls each status;
3. stores the outcomes (``client_outcomes``); when KSeF does not answer the invoices stay pending or
   are issued offline (``issuing``) when the office has an Offline certificate.

``move_files`` then moves dropped files to ``wyslane/`` or ``odrzucone/``. Writing the outcome back
into the entry workbook and the PDFs are the use case's (``ksef_sheets.workflows``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx

from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.ksef import (
    KsefError,
    KsefNotFoundError,
    KsefSession,
    KsefUnavailableError,
    SessionInvoiceStatusResponse,
)
from ksef_sheets.office import OFFLINE24
from ksef_sheets.send import drop_folder
from ksef_sheets.send import entry_columns as E
from ksef_sheets.send.client_outcomes import UNKNOWN_OUTCOME, ClientOutcomes
from ksef_sheets.send.issue_date import issue_date_warnings
from ksef_sheets.send.issuing import changed_after_offline, offline_note
from ksef_sheets.send.journal import JournalEntry
from ksef_sheets.send.model import PendingInvoice, invoice_hash
from ksef_sheets.send.offline import current_deadline
from ksef_sheets.sync import problem_message

log = logging.getLogger("ksef_sheets.send")
LOGIN_RETRIES = 3


class ClientSender(ClientOutcomes):
    """Send one client's prepared invoices (see the module docstring); ``result`` collects the outcome."""

    async def run(self, items: Sequence[PendingInvoice]) -> None:
        to_send, needs_upo = self._sort(items)
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
        elif self.offline_now:
            self._issue_all_offline(to_send, OFFLINE24)
        elif to_send or in_flight or needs_upo:
            try:
                await self._with_ksef(to_send, in_flight, needs_upo)
            except KsefUnavailableError as exc:
                self._unavailable(exc, to_send, in_flight)
            except (UserError, httpx.HTTPError) as exc:
                self._failed(exc, to_send)
        self._finish_outcomes()

    def _sort(self, items: Sequence[PendingInvoice]) -> tuple[list[PendingInvoice], list[JournalEntry]]:
        """(invoices to send, accepted ones whose UPO is missing); the rest get their outcome now."""
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
        return to_send, needs_upo

    def _unavailable(
        self, exc: KsefUnavailableError, to_send: list[PendingInvoice], in_flight: list[JournalEntry]
    ) -> None:
        """KSeF did not answer: issue the waiting invoices offline when possible, else they wait."""
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

    def _failed(self, exc: UserError | httpx.HTTPError, to_send: list[PendingInvoice]) -> None:
        """Login or KSeF refused (not a silence): what was not sent is an error, what is in flight waits."""
        self.result.errors.append(problem_message(exc))
        for item in to_send:
            if self._key(item) in self.outcomes:
                continue
            if self._in_flight(item):
                self._outcome(item, E.STATUS_PENDING, UNKNOWN_OUTCOME)
            else:
                self._outcome(item, E.STATUS_ERROR, f"Nie wysłano: {problem_message(exc)}")

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

    def correction_items(self) -> list[PendingInvoice]:
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

    def move_files(self) -> None:
        """Move dropped files of decided invoices to ``wyslane/`` or ``odrzucone/``."""
        for o in self.result.outcomes:
            if o.path is None or not o.path.exists():
                continue
            if not (o.accepted or o.rejected or o.invalid):
                continue  # pending, or a problem of the run (login, KSeF): the file waits for the next run
            try:
                drop_folder.move_after(o.path, accepted=o.accepted, reason=o.message)
            except OSError as exc:
                self.result.warnings.append(f"Nie przeniesiono pliku {o.source}: {os_reason(exc)}.")
