"""Only the amounts of an FA(3) invoice: currency, the summary buckets, exchange rates.

What a reconciliation with the VAT records needs of each of thousands of invoices; reading just the
``Fa`` section's summary and the lines' rates costs a fraction of the full typed model.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ksef_sheets.fa3.model import VatBucket
from ksef_sheets.fa3.rates import BUCKETS
from ksef_sheets.fa3.safe_xml import parse_xml, require_invoice_root
from ksef_sheets.fa3.tree import Node, to_decimal


@dataclass(frozen=True)
class InvoiceAmounts:
    currency: str | None  # KodWaluty
    buckets: tuple[VatBucket, ...]
    advance_exchange_rate: Decimal | None  # KursWalutyZ
    line_rates: tuple[tuple[Decimal, Decimal], ...]  # (P_11 net, KursWaluty) of lines that have both

    @property
    def exchange_rate(self) -> Decimal | None:
        """As ``Invoice.exchange_rate``: 1 in PLN, KursWalutyZ, or the rate all lines share."""
        if (self.currency or "PLN").upper() == "PLN":
            return Decimal(1)
        if self.advance_exchange_rate is not None:
            return self.advance_exchange_rate
        rates = {rate for _, rate in self.line_rates}
        return rates.pop() if len(rates) == 1 else None


def read_amounts(data: bytes, *, source: str = "faktura") -> InvoiceAmounts:
    """The amounts of FA(3) bytes (safe parsing as ``parse_invoice``; ``UserError`` for a bad file)."""
    root = Node(require_invoice_root(parse_xml(data, source=source), source))
    fa = root.child("Fa")
    if fa is None:
        return InvoiceAmounts(None, (), None, ())
    texts = fa.texts
    buckets = []
    for b in BUCKETS:
        net = to_decimal(texts.get(b.net_field))
        vat = to_decimal(texts.get(b.vat_field)) if b.vat_field else None
        vat_pln = to_decimal(texts.get(b.vat_pln_field)) if b.vat_pln_field else None
        if net is not None or vat is not None or vat_pln is not None:
            buckets.append(VatBucket(b.key, net, vat, vat_pln))
    line_rates = []
    for line in fa.all("FaWiersz"):
        net = to_decimal(line.texts.get("P_11"))
        rate = to_decimal(line.texts.get("KursWaluty"))
        if net is not None and rate is not None:
            line_rates.append((net, rate))
    return InvoiceAmounts(
        texts.get("KodWaluty"), tuple(buckets), to_decimal(texts.get("KursWalutyZ")), tuple(line_rates)
    )
