"""Archived invoices for tests: real FA(3) XML with the metadata KSeF sends, stored in an office's archive.

Shared by the parts whose tests need a client's month in the archive (``tests/exports``, ``tests/jpk``);
each part's conftest keeps its own clients and its own record of what it stored.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time

from ksef_sheets.fa3 import Invoice, Party, generate_invoice, parse_invoice
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.sync.archive import Archive, IncomingInvoice, sha256_b64


def archive_invoice(
    archive: Archive,
    client_nip: str,
    *,
    seller: Party,
    buyer: Party,
    issue: date,
    accepted: date,
    number: str,
    seed: int,
    currency: str = "PLN",
    invoicing: datetime | None = None,
) -> tuple[str, Invoice]:
    """Generate an invoice (``seed`` makes it reproducible), number it as KSeF would on ``accepted``
    (10:00 UTC) and store it as the client's sale when the client is the seller, else as a purchase.

    ``invoicing`` is KSeF's ``invoicingDate`` when it differs from the numbering (a batch session
    opened the day before). Returns the KSeF number and the parsed invoice."""
    xml = generate_invoice(
        random.Random(seed), seller=seller, buyer=buyer, issue_date=issue, number=number, currency=currency
    )
    invoice = parse_invoice(xml)
    ksef = make_ksef_number(seller.nip or "", accepted, f"{seed:012X}")
    when = datetime.combine(accepted, time(10, 0), tzinfo=UTC)
    meta = {
        "ksefNumber": ksef,
        "invoiceNumber": number,
        "issueDate": issue.isoformat(),
        "invoicingDate": (invoicing or when).isoformat(),
        "acquisitionDate": when.isoformat(),
        "permanentStorageDate": when.isoformat(),
        "seller": {"nip": seller.nip, "name": seller.name},
        "buyer": {"identifier": {"type": "Nip", "value": buyer.nip}, "name": buyer.name},
        "netAmount": str(invoice.net_total),
        "vatAmount": str(invoice.vat_total),
        "grossAmount": str(invoice.total),
        "currency": invoice.currency,
        "invoicingMode": "Online",
        "invoiceType": "Vat",
        "invoiceHash": sha256_b64(xml),
    }
    subject = "Subject1" if seller.nip == client_nip else "Subject2"
    result = archive.add_invoices(client_nip, subject, [IncomingInvoice(ksef, xml, meta)])
    assert not result.refused, result.refused
    return ksef, invoice
