"""From a received FA(3) invoice back to a ``SalesInvoice`` (to correct it, or to settle an advance)."""

from __future__ import annotations

from decimal import Decimal

from ksef_sheets.errors import UserError
from ksef_sheets.fa3.model import Entity, Invoice, Line
from ksef_sheets.fa3.reader import parse_invoice
from ksef_sheets.fa3.sales import Party, SalesInvoice, SalesLine


def _party(entity: Entity) -> Party:
    address = entity.address
    return Party(
        name=entity.name or entity.identifier or "—",
        nip=entity.nip,
        eu_code=entity.eu_code,
        eu_vat=entity.eu_vat,
        tax_id=entity.tax_id,
        country=(address.country if address and address.country else entity.country_code) or "PL",
        address1=(address.line1 or "") if address else "",
        address2=address.line2 if address else None,
        email=entity.email,
    )


def _line(line: Line) -> SalesLine:
    quantity = line.quantity if line.quantity is not None else Decimal(1)
    price = line.unit_net_price
    if price is None:
        price = (line.net or Decimal(0)) / quantity if quantity else Decimal(0)
    return SalesLine(
        name=line.name or "pozycja",
        unit=line.unit,
        quantity=quantity,
        unit_price=price,
        rate=line.rate or "23",
        net=line.net,
        gtu=line.gtu,
        annex15=line.annex15,
        exchange_rate=line.exchange_rate,
    )


def sales_invoice_from_invoice(invoice: Invoice) -> SalesInvoice:
    if invoice.number is None or invoice.issue_date is None:
        raise UserError(
            "Faktura nie ma numeru (P_2) albo daty wystawienia (P_1); nie można się do niej odwołać."
        )
    advance = invoice.kind in ("ZAL", "KOR_ZAL")
    source_lines = (
        invoice.order_lines if advance else tuple(ln for ln in invoice.lines if not ln.before_correction)
    )
    no_buyer = invoice.buyer.no_id and not invoice.buyer.name
    return SalesInvoice(
        number=invoice.number,
        issue_date=invoice.issue_date,
        kind=invoice.kind if invoice.kind in ("VAT", "ZAL", "ROZ", "UPR") else "VAT",  # type: ignore[arg-type]
        seller=_party(invoice.seller),
        buyer=None if no_buyer else _party(invoice.buyer),
        currency=invoice.currency or "PLN",
        exchange_rate=invoice.exchange_rate if invoice.currency not in (None, "PLN") else None,
        lines=[_line(ln) for ln in source_lines],
        exemption_basis=invoice.annotations.exemption_basis,
        advance_gross=invoice.total if advance else None,
    )


def sales_invoice_from_xml(data: bytes, *, source: str = "faktura") -> SalesInvoice:
    return sales_invoice_from_invoice(parse_invoice(data, source=source))
