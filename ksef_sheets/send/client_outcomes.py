"""One client's sending run, second half: what KSeF decided about each invoice, and what is stored.

``ClientOutcomes`` is the base of ``client_send.ClientSender``: it keeps the per-invoice outcomes of
the run (by invoice hash), stores accepted invoices in the archive (exactly the bytes sent, as the
client's sales, Subject1) with their UPO next to them (``<KSeF number>.upo.xml``), records each
decision in the sending journal, recognises a duplicate (440) whose original is these very bytes, and
marks what waits when KSeF does not answer (DOMAIN.md §4, offline modes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.fa3 import parse_invoice
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.identifiers import is_valid_ksef_number
from ksef_sheets.ksef import (
    KsefClient,
    KsefError,
    KsefSession,
    KsefUnavailableError,
    SessionInvoiceStatusResponse,
)
from ksef_sheets.office import format_day, next_business_day
from ksef_sheets.redaction import redact
from ksef_sheets.send import entry_columns as E
from ksef_sheets.send.issuing import OfflineIssuing
from ksef_sheets.send.journal import JournalEntry, SendJournal
from ksef_sheets.send.model import ClientSendResult, InvoiceOutcome, PendingInvoice, invoice_hash
from ksef_sheets.sync import Archive, problem_message

UPO_SUFFIX = ".upo.xml"
UNKNOWN_OUTCOME = (
    "Wysłana, ale KSeF nie podał jeszcze wyniku; zostanie on sprawdzony przy następnym uruchomieniu."
)

CredentialSource = Callable[[str], Any]
# Called with (exact bytes, KSeF number) for each invoice KSeF accepts in this run (the use case's PDF).
AcceptedHook = Callable[[bytes, str], None]


class ClientOutcomes:
    """The state of one client's run: its journal, archive, KSeF client and outcomes so far."""

    def __init__(
        self,
        folder: OfficeFolder,
        nip: str,
        result: ClientSendResult,
        archive: Archive,
        journal: SendJournal,
        ksef: KsefClient | None,
        credential_for: CredentialSource,
        *,
        issuing: OfflineIssuing,
        sending_day: date,
        dry_run: bool = False,
        offline_now: bool = False,
        correction: tuple[Path, Path] | None = None,
        on_accepted: AcceptedHook | None = None,
    ) -> None:
        self.folder = folder
        self.nip = nip
        self.result = result
        self.archive = archive
        self.journal = journal
        self.ksef = ksef
        self.credential_for = credential_for
        self.issuing = issuing
        self.sending_day = sending_day
        self.dry_run = dry_run
        self.offline_now = offline_now
        self.correction = correction
        self.on_accepted = on_accepted
        self.outcomes: dict[str, InvoiceOutcome] = {}  # by invoice hash (or source for broken ones)
        self.items_by_hash: dict[str, PendingInvoice] = {}

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
        if sent_now and self.on_accepted is not None:
            self.on_accepted(xml, ksef_number)
        outcome = self._outcome_by_hash(digest, number, source, E.STATUS_SENT, note)
        outcome.ksef_number = ksef_number
        outcome.accepted_at = accepted_at
        outcome.upo_path = upo_path
        outcome.code = 200
        outcome.sent_now = sent_now

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
                self._outcome(item, E.STATUS_PENDING, UNKNOWN_OUTCOME)
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
