"""Use case ``send``, one client: collect its pending invoices, send them, write the outcome back.

The sending itself is the library's (``ksef_sheets.send.ClientSender``); around it this module reads
the entry workbook and the drop folder, writes the outcome into the workbook (its rows and the sheet
"Do wysłania offline"), moves dropped files, and renders the PDFs (``ksef_sheets.documents``): the
buyer's PDF of an invoice issued offline and, with ``send --pdf``, one of each accepted invoice.
"""

from __future__ import annotations

from collections.abc import Sequence

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents import QrCode, invoice_pdf
from ksef_sheets.errors import FileLockedError, UserError, os_reason
from ksef_sheets.fa3 import Invoice, parse_invoice
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.ksef import kod_i_url
from ksef_sheets.office import Client
from ksef_sheets.send import (
    ENTRY_FILE,
    KOD_I_CAPTION,
    ClientSender,
    PendingInvoice,
    current_deadline,
    entry_path,
    invoices_from_files,
    invoices_from_sheet,
)
from ksef_sheets.sheets import (
    EntryOfflineRow,
    EntryRowUpdate,
    create_entry_workbook,
    read_entry_workbook,
    write_entry_back,
)


async def run_client(folder: OfficeFolder, sender: ClientSender, client: Client, *, pdf: bool) -> None:
    """One client's run: collect, send (or check, or issue offline), write back, move dropped files."""
    if pdf:
        sender.on_accepted = lambda xml, ksef_number: accepted_pdf(folder, sender, xml, ksef_number)
    items = sender.correction_items() if sender.correction else collect_invoices(folder, sender, client)
    await sender.run(items)
    if sender.dry_run:
        return
    write_back(folder, sender)
    if not sender.offline_now:
        sender.move_files()


def collect_invoices(folder: OfficeFolder, sender: ClientSender, client: Client) -> list[PendingInvoice]:
    """The entry workbook's pending rows (the workbook is created when missing) and dropped files."""
    items: list[PendingInvoice] = []
    path = entry_path(folder, client.nip)
    if not path.exists() and not sender.dry_run:
        try:
            create_entry_workbook(
                path, client_nip=client.nip, client_name=client.name, address=client.address
            )
            sender.result.workbook_created = path
        except UserError as exc:
            sender.result.errors.append(str(exc))
    if path.exists():
        try:
            sheet = read_entry_workbook(path)
            items += invoices_from_sheet(
                sheet,
                seller_nip=client.nip,
                seller_name=sheet.seller_name or client.name,
                seller_address=sheet.seller_address or client.address,
            )
        except UserError as exc:
            sender.result.errors.append(str(exc))
    items += invoices_from_files(folder, client.nip)
    return items


def write_back(folder: OfficeFolder, sender: ClientSender) -> None:
    """The outcome into the entry workbook's rows and its sheet "Do wysłania offline"."""
    path = entry_path(folder, sender.nip)
    updates: dict[str, EntryRowUpdate] = {}
    for o in sender.result.outcomes:
        if not o.number:
            continue
        from_sheet = o.origin == "arkusz" or (o.origin == "dziennik" and o.source.startswith(ENTRY_FILE))
        if not from_sheet:
            continue
        updates[o.number] = EntryRowUpdate(
            status=o.status,
            ksef_number=o.ksef_number or o.original_ksef_number if o.accepted else None,
            accepted_at=o.accepted_at,
            upo_path=o.upo_path,
            message=o.message,
        )
    offline_rows: list[EntryOfflineRow] | None = None
    issuing = sender.issuing
    issued = [current_deadline(issuing.config, i) for i in issuing.register.of_client(sender.nip)]
    if issued:  # the sheet appears with the first offline invoice and stays (empty when all are sent)
        offline_rows = [
            EntryOfflineRow(
                i.number, i.mode_label, i.issue_date, i.deadline or i.deadline_text(), i.pdf, i.kod_i
            )
            for i in issued
            if i.state == "waiting"
        ]
    if (not updates and offline_rows is None) or not path.exists():
        return
    try:
        write_entry_back(path, updates, offline_rows)
    except FileLockedError as exc:
        sender.result.warnings.append(
            f"{exc.message} Archiwum i dziennik wysyłki są aktualne; stan faktur zostanie wpisany "
            "do skoroszytu przy następnym uruchomieniu ksef-sheets send."
        )
    except UserError as exc:
        sender.result.warnings.append(f"Nie zapisano wyników w {path.name}: {exc}")


def accepted_pdf(folder: OfficeFolder, sender: ClientSender, xml: bytes, ksef_number: str) -> None:
    """``send --pdf``: the PDF of an invoice KSeF accepted, KOD I labelled by its KSeF number."""
    target = folder.client_dir(sender.nip) / "pdf" / f"{ksef_number}.pdf"
    try:
        invoice = parse_invoice(xml, source=ksef_number)
        assert invoice.issue_date is not None and invoice.seller.nip
        link = kod_i_url(
            xml, seller_nip=invoice.seller.nip, issue_date=invoice.issue_date, qr_base=sender.issuing.qr_base
        )
        data = invoice_pdf(
            invoice, ksef_number=ksef_number, qr_codes=[QrCode(link, ksef_number, KOD_I_CAPTION)]
        )
        atomic_write_bytes(target, data)
    except (UserError, OSError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        sender.result.warnings.append(f"Nie zapisano pliku PDF faktury {ksef_number} ({target}): {reason}")


def render_pdf(invoice: Invoice, ksef_number: str | None, codes: Sequence[tuple[str, str, str]]) -> bytes:
    """The buyer's PDF of an invoice with its QR codes ((link, label, caption) each)."""
    return invoice_pdf(invoice, ksef_number=ksef_number, qr_codes=[QrCode(*code) for code in codes])
