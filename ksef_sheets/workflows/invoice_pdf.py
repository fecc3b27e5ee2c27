"""Use case: PDF visualisations of FA(3) invoice files, with the KSeF QR code (KOD I).

The KSeF number printed under KOD I comes from the file's name when it is one (the archive names
files by their KSeF number) or is given by the caller; without it the label is OFFLINE, as the
Ministry's rules say for an invoice not yet in KSeF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents import QrCode, invoice_pdf
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.fa3 import parse_invoice
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.identifiers import is_valid_ksef_number
from ksef_sheets.ksef import OFFLINE_LABEL, kod_i_url, qr_base_for
from ksef_sheets.sync import Archive

KOD_I_CAPTION = "Sprawdź, czy ta faktura jest w KSeF (KOD I)"
PDF_DIR = "pdf"  # klienci/<NIP>/pdf/: PDFs of fetched or sent invoices (fetch/send --pdf)


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


def archive_invoice_pdfs(
    folder: OfficeFolder, client_nip: str, ksef_numbers: Iterable[str], out_dir: Path
) -> list[Path]:
    """A PDF of each archived invoice (KOD I labelled with its KSeF number) as ``out_dir/<KSeF number>.pdf``."""
    config = folder.load_config()
    qr_base = qr_base_for(config.environment, config.emulator_url)
    written: list[Path] = []
    with Archive.open(folder) as archive:
        for number in ksef_numbers:
            xml = archive.read_xml(client_nip, number)
            invoice = parse_invoice(xml, source=number)
            if not invoice.seller.nip or invoice.issue_date is None:
                continue
            link = kod_i_url(
                xml, seller_nip=invoice.seller.nip, issue_date=invoice.issue_date, qr_base=qr_base
            )
            target = out_dir / f"{number}.pdf"
            try:
                atomic_write_bytes(
                    target,
                    invoice_pdf(invoice, ksef_number=number, qr_codes=[QrCode(link, number, KOD_I_CAPTION)]),
                )
            except OSError as exc:
                raise UserError(f"Nie zapisano pliku {target}: {os_reason(exc)}.") from None
            written.append(target)
    return written


def archived_numbers(folder: OfficeFolder, client_nips: Iterable[str]) -> dict[str, set[str]]:
    """The KSeF numbers the archive holds per client (to tell a fetch's new invoices afterwards)."""
    with Archive.open(folder) as archive:
        return {nip: archive.ksef_numbers(nip) for nip in client_nips}


def new_invoice_pdfs(folder: OfficeFolder, before: dict[str, set[str]]) -> list[Path]:
    """``fetch --pdf``: a PDF of every invoice archived since ``before``, in ``klienci/<NIP>/pdf/``."""
    after = archived_numbers(folder, before)
    written: list[Path] = []
    for nip, numbers in after.items():
        fresh = sorted(numbers - before[nip])
        if fresh:
            written += archive_invoice_pdfs(folder, nip, fresh, folder.client_dir(nip) / PDF_DIR)
    return written


def month_invoice_pdfs(
    folder: OfficeFolder, client_nip: str, month: str, kind: str, out_dir: Path
) -> list[Path]:
    """``export --invoice-pdfs``: a PDF of every invoice of the client's monthly list, into ``out_dir``."""
    from ksef_sheets.sheets import parse_month
    from ksef_sheets.workflows.client_export import collect_rows

    year, number = parse_month(month)
    with Archive.open(folder) as archive:
        rows, _ = collect_rows(archive, client_nip, year, number, kind)  # type: ignore[arg-type]
    return archive_invoice_pdfs(folder, client_nip, [r.ksef_number for r in rows], out_dir)
