"""FA(3) invoices: safe parsing, XSD and business validation, the typed model, building and generating.

Other parts code against these names (keep them stable):

- ``parse_invoice(data, *, source="faktura") -> Invoice`` — raises ``UserError`` for bytes that are
  not well-formed, hostile (DOCTYPE/entities), over KSeF's caps (1 MB; 3 MB with Zalacznik) or not FA(3);
- ``validate_invoice(data, *, source="faktura") -> ValidationReport`` — ``.errors``, ``.warnings``,
  ``.ok``; each a ``Problem(code, severity, message, path, line)``;
- ``validate_xsd(data) -> list[Problem]``;
- ``read_and_validate(data, *, source) -> (Invoice, ValidationReport)`` — both, parsing once;
- ``read_amounts(data, *, source) -> InvoiceAmounts`` — only currency, summary buckets and rates (fast);
- ``read_summary(data, *, source) -> InvoiceSummary`` — only a list's fields: number, dates, parties, totals;
- ``to_register_row(invoice, *, ksef_number=None) -> RegisterRow`` (``REGISTER_COLUMNS`` has the
  Polish headers);
- ``build_invoice_xml(invoice: SalesInvoice) -> bytes``;
- ``generate_invoice(rng, *, seller, buyer, issue_date, kind, currency, number, ...) -> bytes`` and
  ``generate_mix(rng, seller, counterparties, start, end, count) -> list[bytes]``; ``Party``.
"""

from ksef_sheets.fa3.amounts import InvoiceAmounts, read_amounts
from ksef_sheets.fa3.builder import build_invoice_xml
from ksef_sheets.fa3.convert import sales_invoice_from_invoice, sales_invoice_from_xml
from ksef_sheets.fa3.generator import generate_invoice, generate_mix, generate_sales_invoice
from ksef_sheets.fa3.model import (
    PAYMENT_METHODS,
    Address,
    Annotations,
    BankAccount,
    Buyer,
    CorrectionInfo,
    Entity,
    Header,
    Invoice,
    Line,
    PaymentInfo,
    Seller,
    ThirdParty,
    VatBucket,
)
from ksef_sheets.fa3.problems import Problem, ValidationReport
from ksef_sheets.fa3.rates import RATE_CODES
from ksef_sheets.fa3.reader import parse_invoice
from ksef_sheets.fa3.register import REGISTER_COLUMNS, RegisterRow, to_register_row
from ksef_sheets.fa3.safe_xml import (
    MAX_SIZE,
    MAX_SIZE_WITH_ATTACHMENTS,
    NS,
    format_mb,
    parse_xml,
    require_invoice_root,
)
from ksef_sheets.fa3.sales import (
    EU_COUNTRY_CODES,
    AdvanceInvoice,
    CorrectedInvoice,
    Correction,
    Party,
    Payment,
    SalesInvoice,
    SalesLine,
)
from ksef_sheets.fa3.sales import ThirdParty as SalesThirdParty
from ksef_sheets.fa3.schema import validate_tree
from ksef_sheets.fa3.summary import InvoiceSummary, read_summary
from ksef_sheets.fa3.validate import read_and_validate, validate_invoice, validate_parsed, validate_xsd
from ksef_sheets.fa3.verification_links import (
    b64url,
    b64url_decode,
    invoice_hash,
    kod_i_url,
    sign_link,
    verify_link_signature,
)

__all__ = [
    "EU_COUNTRY_CODES",
    "MAX_SIZE",
    "MAX_SIZE_WITH_ATTACHMENTS",
    "NS",
    "PAYMENT_METHODS",
    "RATE_CODES",
    "REGISTER_COLUMNS",
    "Address",
    "AdvanceInvoice",
    "Annotations",
    "BankAccount",
    "Buyer",
    "CorrectedInvoice",
    "Correction",
    "CorrectionInfo",
    "Entity",
    "Header",
    "Invoice",
    "InvoiceAmounts",
    "InvoiceSummary",
    "Line",
    "Party",
    "Payment",
    "PaymentInfo",
    "Problem",
    "RegisterRow",
    "SalesInvoice",
    "SalesLine",
    "SalesThirdParty",
    "Seller",
    "ThirdParty",
    "ValidationReport",
    "VatBucket",
    "b64url",
    "b64url_decode",
    "build_invoice_xml",
    "format_mb",
    "generate_invoice",
    "generate_mix",
    "generate_sales_invoice",
    "invoice_hash",
    "kod_i_url",
    "parse_invoice",
    "parse_xml",
    "read_amounts",
    "read_and_validate",
    "read_summary",
    "require_invoice_root",
    "sales_invoice_from_invoice",
    "sales_invoice_from_xml",
    "sign_link",
    "to_register_row",
    "validate_invoice",
    "validate_parsed",
    "validate_tree",
    "validate_xsd",
    "verify_link_signature",
]
