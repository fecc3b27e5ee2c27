"""Use case: PDF visualisations of FA(3) invoice files, with the KSeF QR code (KOD I).

The KSeF number printed under KOD I comes from the file's name when it is one (the archive names
files by their KSeF number) or is given by the caller; without it the label is OFFLINE, as the
Ministry's rules say for an invoice not yet in KSeF.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ksef_sheets.documents import QrCode, invoice_pdf
from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import parse_invoice
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.identifiers import is_valid_ksef_number
from ksef_sheets.ksef import OFFLINE_LABEL, kod_i_url, qr_base_for

KOD_I_CAPTION = "Sprawdź, czy ta faktura jest w KSeF (KOD I)"


@dataclass(frozen=True)
class RenderedInvoice:
    source: Path
    pdf: Path
    ksef_number: str | None
    kod_i: str


def render_invoice_pdfs(
    files: Sequence[tuple[Path, bytes]],
    *,
    out_dir: Path | None,
    environment: str,
    emulator_url: str | None = None,
    ksef_number: str | None = None,
) -> list[RenderedInvoice]:
    """Render each (path, bytes) to ``<out_dir or beside it>/<name>.pdf``; returns what was written."""
    if ksef_number is not None and not is_valid_ksef_number(ksef_number):
        raise UserError(f"„{ksef_number}” nie jest poprawnym numerem KSeF (format albo suma kontrolna).")
    if ksef_number is not None and len(files) > 1:
        raise UserError("Numer KSeF można podać tylko dla jednego pliku faktury.")
    qr_base = qr_base_for(environment, emulator_url)
    rendered: list[RenderedInvoice] = []
    for path, xml in files:
        invoice = parse_invoice(xml, source=str(path))
        if not invoice.seller.nip or invoice.issue_date is None:
            raise UserError(
                f"Faktura {path} nie ma NIP sprzedawcy albo daty wystawienia (P_1): nie ma z czego zbudować kodu QR."
            )
        number = ksef_number or (path.stem if is_valid_ksef_number(path.stem) else None)
        link = kod_i_url(xml, seller_nip=invoice.seller.nip, issue_date=invoice.issue_date, qr_base=qr_base)
        pdf = invoice_pdf(
            invoice, ksef_number=number, qr_codes=[QrCode(link, number or OFFLINE_LABEL, KOD_I_CAPTION)]
        )
        target = (out_dir or path.parent) / f"{path.stem}.pdf"
        atomic_write_bytes(target, pdf)
        rendered.append(RenderedInvoice(path, target, number, link))
    return rendered
