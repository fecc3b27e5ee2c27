"""Exporting a month's invoices to a client: the list to verify (.xlsx, CSV, PDF) and a ready e-mail.

``export_client_list(folder, nip, "2026-03", kind)`` chooses the client's invoices of the month
from the archive, signs them with the office's export key and writes, into ``klienci/<NIP>/eksport/``:

- ``faktury-<kind>-<NIP>-<YYYY-MM>.xlsx`` — the list the client decides in (``sheets.client_export``);
- the same list as CSV for Excel, a PDF of the summary when LibreOffice is installed, and an .eml
  draft with the workbook attached (the template ``email-zestawienie.txt``, ``documents``).

The key (``klucz-eksportu.bin``) is random, created on first use, and never leaves the office folder;
``workflows.client_decisions`` checks a returned file with it.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, atomic_write_bytes, ensure_writable
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.office import Client, add_business_days, format_day
from ksef_sheets.sheets import (
    EXPORT_KINDS,
    KIND_LABELS,
    SIDE_PURCHASE,
    SIDE_SALE,
    ExportHeader,
    ExportKind,
    ExportRow,
    clean_text,
    export_base_name,
    export_csv,
    load_clients,
    parse_month,
    sign_export,
    write_export_workbook,
    write_summary_workbook,
)
from ksef_sheets.sync import Archive, ArchivedInvoice, StaffDecision
from ksef_sheets.text import WARSAW, plural
from ksef_sheets.workflows._periods import accepted_on, period_side

if TYPE_CHECKING:
    from ksef_sheets.documents import OfficeData

KEY_FILE = "klucz-eksportu.bin"
MAX_ROWS = 20_000


def export_key(folder: OfficeFolder) -> bytes:
    """The office's secret for export integrity; created on first use, kept only in the office folder."""
    path = folder.root / KEY_FILE
    if path.exists():
        data = path.read_bytes()
        if len(data) != 32:
            raise UserError(f"Plik klucza {path} jest uszkodzony (zła długość).")
        return data
    data = secrets.token_bytes(32)
    atomic_write_bytes(path, data)
    if os.name != "nt":
        path.chmod(0o600)
    return data


# ----------------------------------------------------------------------------------------------
# Rows from the archive


def row_from_archive(archive: Archive, invoice: ArchivedInvoice, side: str) -> ExportRow:
    # The XML is the source of truth for what the invoice says; the index (KSeF's metadata) is the
    # fallback. Only the list's fields are read (not the full model), from the entry already listed.
    from ksef_sheets.fa3 import read_summary

    try:
        parsed = read_summary(archive.read_entry_xml(invoice), source=invoice.ksef_number)
    except UserError:
        parsed = None
    ksef_date = accepted_on(invoice.ksef_number) or invoice.issue_date
    if parsed is None:
        return ExportRow(
            side=side,
            ksef_number=invoice.ksef_number,
            number=clean_text(invoice.invoice_number or ""),
            issue_date=invoice.issue_date,
            ksef_date=ksef_date,
            seller_nip=invoice.seller_nip or "",
            seller_name=clean_text(invoice.seller_name or ""),
            buyer=clean_text(invoice.buyer_name or invoice.buyer_identifier or ""),
            currency=invoice.currency or "PLN",
            net=invoice.net_amount,
            vat=invoice.vat_amount,
            gross=invoice.gross_amount,
        )
    return ExportRow(
        side=side,
        ksef_number=invoice.ksef_number,
        number=clean_text(parsed.number or invoice.invoice_number or ""),
        issue_date=parsed.issue_date or invoice.issue_date,
        ksef_date=ksef_date,
        seller_nip=parsed.seller_nip or invoice.seller_nip or "",
        seller_name=clean_text(parsed.seller_name or invoice.seller_name or ""),
        buyer=clean_text(
            parsed.buyer_name or parsed.buyer_id or invoice.buyer_name or invoice.buyer_identifier or ""
        ),
        currency=parsed.currency or invoice.currency or "PLN",
        net=parsed.net_total if parsed.net_total is not None else invoice.net_amount,
        vat=parsed.vat_total if parsed.vat_total is not None else invoice.vat_amount,
        gross=parsed.gross_total if parsed.gross_total is not None else invoice.gross_amount,
    )


def collect_rows(
    archive: Archive, nip: str, year: int, month: int, kind: ExportKind
) -> tuple[list[ExportRow], dict[str, StaffDecision]]:
    sides = {"zakupy": (SIDE_SALE,), "sprzedaz": (SIDE_PURCHASE,), "wszystkie": ()}
    skip = sides[kind]
    decisions = archive.decisions_for(nip)
    rows: list[ExportRow] = []
    for subject, side in (("Subject1", SIDE_SALE), ("Subject2", SIDE_PURCHASE)):
        if side in skip:
            continue
        for invoice in archive.list_invoices(nip, subject_type=subject):
            placed = period_side(invoice)
            if placed is None or placed[1] != (year, month):
                continue
            row = row_from_archive(archive, invoice, side)
            decision = decisions.get(invoice.ksef_number)
            if decision is not None:
                row.status = decision.status or ""
                row.decision = decision.client_decision or ""
                row.remark = decision.client_remark or ""
            rows.append(row)
    rows.sort(key=lambda r: (r.side != SIDE_SALE, r.issue_date or date.min, r.ksef_number))
    if len(rows) > MAX_ROWS:
        raise UserError(
            f"Okres {year}-{month:02d} ma {len(rows)} faktur; zestawienie mieści najwyżej {MAX_ROWS}."
        )
    return rows, decisions


def reply_deadline(created_at: datetime, reply_days: int) -> tuple[date, str]:
    """The verification deadline: ``reply_days`` business days after the export's day (Warsaw),
    and how the client reads it: w ciągu 5 dni roboczych, czyli do 14.12.2026 (pon.)."""
    reply_by = add_business_days(created_at.astimezone(WARSAW).date(), reply_days)
    days = plural(reply_days, "dnia roboczego", "dni roboczych", "dni roboczych")
    return reply_by, f"w ciągu {reply_days} {days}, czyli do {format_day(reply_by)}"


@dataclass
class ExportResult:
    client_nip: str
    period: str
    kind: ExportKind
    rows: int
    xlsx: Path
    csv: Path
    pdf: Path | None = None
    eml: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "client_nip": self.client_nip,
            "period": self.period,
            "kind": self.kind,
            "rows": self.rows,
            "xlsx": str(self.xlsx),
            "csv": str(self.csv),
            "pdf": str(self.pdf) if self.pdf else None,
            "eml": str(self.eml) if self.eml else None,
            "warnings": self.warnings,
        }


def find_client(folder: OfficeFolder, nip: str) -> Client | None:
    """The client's register row when the office workbook exists (name, e-mail, scenario)."""
    if not folder.office_workbook.exists():
        return None
    for client in load_clients(folder):
        if client.nip == nip:
            return client
    return None


def _not_a_client(folder: OfficeFolder, config: OfficeConfig, nip: str) -> bool:
    """Whether the office's client list (the register, else the config's list) leaves ``nip`` out."""
    if folder.office_workbook.exists():
        return True  # find_client looked in the register and did not find it
    listed = {normalize_nip(n) for n in config.clients}
    return bool(listed) and nip not in listed


def export_client_list(
    folder: OfficeFolder,
    nip: str,
    month: str,
    kind: ExportKind | None = None,
    *,
    client: Client | None = None,
    pdf: bool | None = None,
    email: bool = True,
    now: datetime | None = None,
) -> ExportResult:
    """Write the client's invoice list for a month (see the module docstring).

    ``kind`` defaults by scenario: the whole report in scenario 3, purchases otherwise. ``pdf``:
    None = when LibreOffice is installed, True = required, False = never.
    """
    problem = nip_problem(nip)
    if problem:
        raise UserError(f"Opcja --client: {problem}")
    nip = normalize_nip(nip)
    year, mon = parse_month(month)
    period = f"{year}-{mon:02d}"
    config = folder.load_config()
    client = client or find_client(folder, nip)
    if client is None and _not_a_client(folder, config, nip):
        where = (
            f"w rejestrze klientów ({folder.office_workbook})"
            if folder.office_workbook.exists()
            else f"na liście „clients” w {folder.config_path}"
        )
        raise UserError(f"NIP {nip} nie jest klientem biura {where} — sprawdź NIP albo dodaj klienta.")
    scenario = client.scenario if client else None
    chosen: ExportKind = kind or ("wszystkie" if scenario == 3 else "zakupy")
    if chosen not in EXPORT_KINDS:
        raise UserError(f"Nieznany zakres „{chosen}”; dostępne: {', '.join(EXPORT_KINDS)}.")
    from ksef_sheets.documents import office_data

    office = office_data(config, config_name=str(folder.config_path))
    key = export_key(folder)
    with Archive.open(folder) as archive:
        rows, _ = collect_rows(archive, nip, year, mon, chosen)
    if not rows:
        raise UserError(
            f"Klient {nip} nie ma w archiwum faktur ({KIND_LABELS[chosen]}) za {period}; "
            "najpierw pobierz faktury (ksef-sheets fetch)."
        )
    created_at = (now or datetime.now(UTC)).astimezone(UTC)
    reply_days = office.settings.verification_days
    reply_by, reply_text = reply_deadline(created_at, reply_days)
    header = ExportHeader(
        client_nip=nip,
        client_name=clean_text(client.name) if client else "",
        period=period,
        kind=chosen,
        scenario=scenario,
        export_id=uuid.uuid4().hex,
        created_at=created_at,
        office_name=clean_text(config.office_name),
        office_email=office.email,
        reply_days=reply_days,
        reply_by=reply_by,
        reply_deadline_text=reply_text,
    )
    sign_export(key, header, rows)

    base = folder.exports_dir(nip) / export_base_name(chosen, nip, period)
    xlsx_path, csv_path = base.with_suffix(".xlsx"), base.with_suffix(".csv")
    for path in (xlsx_path, csv_path, base.with_suffix(".pdf"), base.with_suffix(".eml")):
        ensure_writable(path)
    with atomic_path(xlsx_path) as tmp:
        write_export_workbook(tmp, header, rows)
    atomic_write_bytes(csv_path, export_csv(header, rows))
    result = ExportResult(nip, period, chosen, len(rows), xlsx_path, csv_path)

    from ksef_sheets.documents import MISSING_MESSAGE, convert_to_pdf, find_soffice

    if pdf is True or (pdf is None and find_soffice() is not None):
        result.pdf = base.with_suffix(".pdf")
        with tempfile.TemporaryDirectory(prefix="ksef-sheets-pdf-") as work:
            printable = Path(work) / xlsx_path.name
            write_summary_workbook(printable, header, rows)
            produced = convert_to_pdf([printable])[printable]
            atomic_write_bytes(result.pdf, produced.read_bytes())
    elif pdf is None:
        result.warnings.append(MISSING_MESSAGE)
    if email:
        result.eml = _write_email(folder, office, client, header, xlsx_path, result)
    with Archive.open(folder) as archive:
        archive.audit(
            "eksport-dla-klienta",
            nip,
            {"okres": period, "zakres": chosen, "plik": xlsx_path.name, "id": header.export_id},
            len(rows),
        )
    return result


def _write_email(
    folder: OfficeFolder,
    office: OfficeData,
    client: Client | None,
    header: ExportHeader,
    attachment: Path,
    result: ExportResult,
) -> Path | None:
    from ksef_sheets.documents import (
        build_eml,
        client_context,
        email_problem,
        render_text,
        split_subject,
        template_path,
    )

    if client is None or email_problem(client.email):
        reason = "nie ma go w rejestrze" if client is None else email_problem(client.email)
        result.warnings.append(
            f"Nie utworzono e-maila do klienta {header.client_nip}: {reason}; plik wyślij samodzielnie."
        )
        return None
    context = client_context(client, office, today=header.created_at.astimezone(WARSAW).date())
    context["zestawienie"] = {
        "okres": header.period,
        "zakres": KIND_LABELS[header.kind],
        "liczba": result.rows,
        "plik": attachment.name,
        "calosc": header.confirms_whole,
        "termin": format_day(header.reply_by),  # the verification deadline on business days
    }
    template = template_path("email-zestawienie.txt", folder)
    text = split_subject(render_text(template, context), str(template))
    eml = build_eml(
        text,
        to_name=client.name,
        to_email=client.email.strip(),
        from_name=str(office.values["nazwa"]),
        from_email=office.email,
        attachments=[attachment],
    )
    path = attachment.with_suffix(".eml")
    atomic_write_bytes(path, eml)
    return path
