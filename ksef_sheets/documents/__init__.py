"""Word documents and e-mails for clients: annexes, authorisations, letters (docxtpl, PDF via LibreOffice).

Public API:
- ``generate_documents(folder, kinds, *, clients=None, nips=None, pdf=False, today=None) -> DocumentsReport``
- ``resolve_kinds(names) -> list[DocumentKind]`` (kind or group names: aneks, upowaznienie, pismo,
  email-informacja, email-ankieta, email-uprawnienia, email-aneks, email-przypomnienie, dokumenty,
  emaile, wszystkie)
- ``convert_to_pdf(files) -> dict[Path, Path]`` (LibreOffice, one call for many files)
- ``invoice_pdf(invoice, *, ksef_number, qr_codes) -> bytes`` — the A4 visualisation of an FA(3)
  invoice with its KSeF QR codes (reportlab; ``QrCode(url, label, caption)``);
- ``build_eml(...)`` / ``email_problem(address)`` for other parts that send files by e-mail.
"""

from ksef_sheets.documents.email_message import EmailText, build_eml, email_problem
from ksef_sheets.documents.generate import (
    GROUPS,
    KINDS,
    ClientProblem,
    DocumentKind,
    DocumentsReport,
    GeneratedDocument,
    generate_documents,
    resolve_kinds,
)
from ksef_sheets.documents.pdf import INSTALL_HINT as PDF_INSTALL_HINT
from ksef_sheets.documents.invoice_pdf import QrCode, amount_in_words, invoice_pdf
from ksef_sheets.documents.pdf import convert_to_pdf, find_soffice

# Names accepted by ``ksef-sheets documents`` (kinds, then groups), e.g. for a dropdown in Excel.
DOCUMENT_KINDS: tuple[str, ...] = (*KINDS, *GROUPS)

__all__ = [
    "DOCUMENT_KINDS",
    "GROUPS",
    "KINDS",
    "PDF_INSTALL_HINT",
    "ClientProblem",
    "DocumentKind",
    "DocumentsReport",
    "EmailText",
    "QrCode",
    "GeneratedDocument",
    "amount_in_words",
    "build_eml",
    "convert_to_pdf",
    "email_problem",
    "find_soffice",
    "generate_documents",
    "invoice_pdf",
    "resolve_kinds",
]
