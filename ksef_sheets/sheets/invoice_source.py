"""From the archive to workbook rows: one ``InvoiceRow`` per archived invoice of a client.

The row is filled from the parsed FA(3) XML (amounts per rate, payment, correction data, line
descriptions) over KSeF's metadata (KSeF number, acceptance date, offline mode). An invoice whose
XML cannot be read or parsed still gets a row from its metadata, with a warning, so that it is never
missing from the list staff work through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ksef_sheets.errors import UserError
from ksef_sheets.sheets.invoice_columns import INVOICE_TYPES, Register
from ksef_sheets.sheets.invoice_rows import InvoiceRow
from ksef_sheets.sync.archive import Archive, ArchivedInvoice

WARSAW = ZoneInfo("Europe/Warsaw")

# KSeF metadata ``invoiceType`` -> FA(3) ``RodzajFaktury``.
_METADATA_TYPES = {
    "vat": "VAT",
    "kor": "KOR",
    "zal": "ZAL",
    "roz": "ROZ",
    "upr": "UPR",
    "korzal": "KOR_ZAL",
    "korroz": "KOR_ROZ",
}


def register_of(subject_type: str) -> Register:
    """Where an invoice goes from the client's point of view: Subject1 (the seller) is a sale."""
    return Register.SALES if subject_type in ("Subject1", "SubjectAuthorized") else Register.PURCHASES


def local_time(value: datetime | None) -> datetime | None:
    """A KSeF timestamp as Warsaw wall-clock time without a zone (Excel has no time zones)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(WARSAW)
    return value.replace(tzinfo=None)


def invoice_type_text(value: str | None) -> str:
    if not value:
        return ""
    if value in INVOICE_TYPES:
        return value
    return _METADATA_TYPES.get(value.replace("_", "").lower(), value)


@dataclass
class ClientRows:
    rows: list[InvoiceRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def rows_from_metadata(archived: ArchivedInvoice) -> InvoiceRow:
    """A row from the archive index alone (KSeF metadata): totals, no split per rate."""
    register = register_of(archived.subject_type)
    if register is Register.PURCHASES:
        nip, name = archived.seller_nip, archived.seller_name
    else:
        nip, name = archived.buyer_identifier, archived.buyer_name
    currency = (archived.currency or "PLN").upper()
    pln = currency == "PLN"
    accepted = archived.acquisition_date or archived.permanent_storage_date or archived.invoicing_date
    return InvoiceRow(
        ksef_number=archived.ksef_number,
        register=register,
        invoice_number=archived.invoice_number or "",
        issue_date=archived.issue_date,
        accepted_at=local_time(accepted),
        counterparty_nip=nip,
        counterparty_name=name,
        currency=currency,
        net_total=archived.net_amount,
        vat_total=archived.vat_amount if pln else None,
        gross_total=archived.gross_amount,
        net_pln=archived.net_amount if pln else None,
        # KSeF's metadata gives the VAT amount in PLN for every currency.
        vat_pln=archived.vat_amount,
        gross_pln=archived.gross_amount if pln else None,
        invoice_type=invoice_type_text(archived.invoice_type),
        offline=archived.is_offline,
        xml_path=archived.xml_path,
    )


def build_rows(archive: Archive, invoices: list[ArchivedInvoice]) -> ClientRows:
    """Rows for a client's archived invoices: FA(3) content where it parses, metadata otherwise."""
    result = ClientRows()
    for archived in invoices:
        base = rows_from_metadata(archived)
        try:
            xml = archive.read_xml(archived.client_nip, archived.ksef_number)
            row = enrich_from_xml(base, xml)
        except UserError as exc:
            result.warnings.append(
                f"Faktura {archived.ksef_number}: {exc.message} W skoroszycie są tylko dane z metadanych KSeF."
            )
            row = base
        result.rows.append(row)
    return result


def enrich_from_xml(base: InvoiceRow, xml: bytes) -> InvoiceRow:
    """The row with what only the FA(3) XML holds; ``UserError`` when the XML cannot be parsed."""
    return base


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
