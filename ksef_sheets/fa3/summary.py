"""Only what a list of invoices shows of each: number, issue date, parties, currency and totals.

A client's monthly list (``workflows.client_export``) reads a few fields of each of up to 20,000
invoices; the full typed model (``parse_invoice``: lines, payment, annotations, addresses) costs
three times as much as these sections alone. Same safe parsing; the values are the ones
``to_register_row(parse_invoice(...))`` gives (a test compares them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ksef_sheets.fa3.model import Entity
from ksef_sheets.fa3.rates import BUCKETS
from ksef_sheets.fa3.safe_xml import parse_xml, require_invoice_root
from ksef_sheets.fa3.tree import Node, to_date, to_decimal

_NO_TEXTS: dict[str, str | None] = {}


@dataclass(frozen=True)
class InvoiceSummary:
    number: str | None  # P_2
    issue_date: date | None  # P_1
    seller_nip: str | None
    seller_name: str | None
    buyer_id: str | None  # NIP, EU VAT number with its code, or other ID (Entity.identifier)
    buyer_name: str | None
    currency: str | None  # KodWaluty
    net_total: Decimal | None  # sum of P_13_x, None when there is none
    vat_total: Decimal | None  # sum of P_14_x, None when there is none
    gross_total: Decimal | None  # P_15


def _ids(root: Node, section: str) -> dict[str, str | None]:
    party = root.child(section)
    ids = party.child("DaneIdentyfikacyjne") if party is not None else None
    return ids.texts if ids is not None else _NO_TEXTS


def read_summary(data: bytes, *, source: str = "faktura") -> InvoiceSummary:
    """The list fields of FA(3) bytes (safe parsing as ``parse_invoice``; ``UserError`` for a bad file)."""
    root = Node(require_invoice_root(parse_xml(data, source=source), source))
    seller = _ids(root, "Podmiot1")
    buyer = _ids(root, "Podmiot2")
    buyer_id = Entity(
        nip=buyer.get("NIP"),
        eu_code=buyer.get("KodUE"),
        eu_vat=buyer.get("NrVatUE"),
        tax_id=buyer.get("NrID"),
        internal_id=buyer.get("IDWew"),
    ).identifier
    fa = root.child("Fa")
    texts = fa.texts if fa is not None else _NO_TEXTS
    nets: list[Decimal] = []
    vats: list[Decimal] = []
    for b in BUCKETS:
        net = to_decimal(texts.get(b.net_field))
        if net is not None:
            nets.append(net)
        vat = to_decimal(texts.get(b.vat_field)) if b.vat_field else None
        if vat is not None:
            vats.append(vat)
    return InvoiceSummary(
        number=texts.get("P_2"),
        issue_date=to_date(texts.get("P_1")),
        seller_nip=seller.get("NIP"),
        seller_name=seller.get("Nazwa"),
        buyer_id=buyer_id,
        buyer_name=buyer.get("Nazwa"),
        currency=texts.get("KodWaluty"),
        net_total=sum(nets, Decimal("0.00")) if nets else None,
        vat_total=sum(vats, Decimal("0.00")) if vats else None,
        gross_total=to_decimal(texts.get("P_15")),
    )
