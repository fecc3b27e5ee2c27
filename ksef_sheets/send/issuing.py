"""Issuing invoices outside KSeF during a sending run: the Offline certificate, asked for once per run.

``OfflineIssuing`` is shared by the clients of one run (``client_send``): it finds the office's
Offline signer on first need, issues an invoice (``offline.issue_offline``: KOD I, KOD II, the buyer's
PDF through the renderer the caller gives) and records it in the ``OfflineRegister``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.ksef import OfflineSigner
from ksef_sheets.send.model import PendingInvoice
from ksef_sheets.send.offline import (
    NO_SIGNER,
    OfflineInvoice,
    OfflineRegister,
    PdfRenderer,
    SignerSource,
    issue_offline,
)


class OfflineIssuing:
    """What a client's run needs to issue invoices outside KSeF (shared by the run's clients)."""

    def __init__(
        self,
        folder: OfficeFolder,
        config: OfficeConfig,
        register: OfflineRegister,
        qr_base: str,
        signer_source: SignerSource,
        now: datetime | None,
        render_pdf: PdfRenderer,
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
        self.render_pdf = render_pdf

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
            render_pdf=self.render_pdf,
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
