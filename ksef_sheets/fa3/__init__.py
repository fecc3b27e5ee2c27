"""FA(3) invoices: safe parsing, XSD and business validation, the typed model, building and generating.

Other parts code against these names (keep them stable):

- ``validate_invoice(data, *, source) -> ValidationReport`` — ``.errors``, ``.warnings``, ``.ok``;
- ``validate_xsd(data) -> list[Problem]``;
- ``build_invoice_xml(invoice: SalesInvoice) -> bytes``;
- ``generate_invoice(rng, *, seller, buyer, issue_date, kind, currency, number, ...) -> bytes`` and
  ``generate_mix(rng, seller, counterparties, start, end, count) -> list[bytes]``; ``Party``.
"""

from ksef_sheets.fa3.builder import build_invoice_xml
from ksef_sheets.fa3.generator import generate_invoice, generate_mix, generate_sales_invoice
from ksef_sheets.fa3.problems import Problem, ValidationReport
from ksef_sheets.fa3.sales import (
    AdvanceInvoice,
    CorrectedInvoice,
    Correction,
    Party,
    Payment,
    SalesInvoice,
    SalesLine,
    ThirdParty,
)
from ksef_sheets.fa3.validate import validate_invoice, validate_xsd

__all__ = [
    "AdvanceInvoice",
    "CorrectedInvoice",
    "Correction",
    "Party",
    "Payment",
    "Problem",
    "SalesInvoice",
    "SalesLine",
    "ThirdParty",
    "ValidationReport",
    "build_invoice_xml",
    "generate_invoice",
    "generate_mix",
    "generate_sales_invoice",
    "validate_invoice",
    "validate_xsd",
]
