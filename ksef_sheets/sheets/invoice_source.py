"""From the archive to workbook rows: one ``InvoiceRow`` per archived invoice of a client.

The row is filled from the parsed FA(3) XML (amounts per rate, payment, correction data, line
descriptions) over KSeF's metadata (KSeF number, acceptance date, offline mode). An invoice whose
XML cannot be read or parsed still gets a row from its metadata, with a warning, so that it is never
missing from the list staff work through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import Line, RegisterRow, parse_invoice, to_register_row
from ksef_sheets.sheets.invoice_columns import INVOICE_TYPES, Register
from ksef_sheets.sheets.invoice_rows import InvoiceRow
from ksef_sheets.sync import Archive, ArchivedInvoice

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
    invoice = parse_invoice(xml, source=f"faktura {base.ksef_number}")
    reg = to_register_row(invoice, ksef_number=base.ksef_number)
    if base.register is Register.PURCHASES:
        nip, name = reg.seller_nip or base.counterparty_nip, reg.seller_name or base.counterparty_name
    else:
        nip, name = reg.buyer_id or base.counterparty_nip, reg.buyer_name or base.counterparty_name
    net_by_rate, vat_by_rate = _per_rate(reg, "")
    net_by_rate_pln, vat_by_rate_pln = _per_rate(reg, "_pln")
    return replace(
        base,
        invoice_number=reg.number or base.invoice_number,
        issue_date=reg.issue_date or base.issue_date,
        counterparty_nip=nip,
        counterparty_name=name,
        currency=(reg.currency or base.currency).upper(),
        items=_items_text(invoice.lines),
        net_by_rate=net_by_rate,
        vat_by_rate=vat_by_rate,
        net_by_rate_pln=net_by_rate_pln,
        vat_by_rate_pln=vat_by_rate_pln,
        net_total=_first(reg.net_total, base.net_total),
        vat_total=_first(reg.vat_total, base.vat_total),
        gross_total=_first(reg.gross_total, base.gross_total),
        net_pln=_first(reg.net_total_pln, base.net_pln),
        vat_pln=_first(reg.vat_total_pln, base.vat_pln),
        gross_pln=_first(reg.gross_total_pln, base.gross_pln),
        due_date=reg.due_date,
        bank_account=reg.bank_account,
        split_payment=reg.split_payment,
        invoice_type=reg.kind or base.invoice_type,
        corrected_invoice=reg.corrected_numbers or reg.corrected_ksef_numbers or None,
    )


# The workbook's rate columns and the register-row fields (``net_<suffix>``) that add up into them.
_RATE_FIELDS: dict[str, tuple[str, ...]] = {
    "23": ("23",),
    "8": ("8",),
    "5": ("5",),
    "0": ("0_kr", "0_wdt", "0_ex"),
    "zw": ("zw",),
    "np": ("np", "np_art100"),
    "oo": ("oo",),
    "inne": ("taxi", "oss", "marza"),
}


def _per_rate(reg: RegisterRow, tail: str) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    nets: dict[str, Decimal] = {}
    vats: dict[str, Decimal] = {}
    for key, suffixes in _RATE_FIELDS.items():
        net = _sum(getattr(reg, f"net_{s}{tail}", None) for s in suffixes)
        vat = _sum(getattr(reg, f"vat_{s}{tail}", None) for s in suffixes)
        if net is not None:
            nets[key] = net
        if vat is not None:
            vats[key] = vat
    return nets, vats


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _first(*values: Decimal | None) -> Decimal | None:
    return next((v for v in values if v is not None), None)


MAX_ITEMS_TEXT = 250


def _items_text(lines: Iterable[Line]) -> str:
    """What was bought or sold, from the line names (P_7), shortened for a cell people scan."""
    names: list[str] = []
    for line in lines:
        name = " ".join((line.name or "").split())
        if name and name not in names and not line.before_correction:
            names.append(name)
    text = "; ".join(names)
    return text if len(text) <= MAX_ITEMS_TEXT else text[: MAX_ITEMS_TEXT - 1] + "…"
