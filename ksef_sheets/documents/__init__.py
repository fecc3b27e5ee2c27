"""Word documents and e-mails for clients: annexes, authorisations, letters (docxtpl, PDF via LibreOffice).

Public API:
- ``generate_documents(folder, kinds, *, clients, nips=None, pdf=False, today=None) -> DocumentsReport``
  (the register's ``Client`` records come from the caller: ``workflows.generate_client_documents``)
- ``resolve_kinds(names) -> list[DocumentKind]`` (kind or group names: aneks, upowaznienie, pismo,
  email-informacja, email-ankieta, email-uprawnienia, email-aneks, email-przypomnienie, dokumenty,
  emaile, wszystkie)
- ``convert_to_pdf(files) -> dict[Path, Path]`` (LibreOffice, one call for many files)
- ``invoice_pdf(invoice, *, ksef_number, qr_codes) -> bytes`` — the A4 visualisation of an FA(3)
  invoice with its KSeF QR codes (reportlab; ``QrCode(url, label, caption)``);
- ``build_eml(...)`` / ``email_problem(address)`` for other parts that send files by e-mail.
"""

from ksef_sheets.documents.context import OfficeData, client_context, office_data
from ksef_sheets.documents.email_message import EmailText, build_eml, email_problem, split_subject
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
from ksef_sheets.documents.invoice_pdf import QrCode, amount_in_words, invoice_pdf
from ksef_sheets.documents.pdf import INSTALL_HINT as PDF_INSTALL_HINT
from ksef_sheets.documents.pdf import MISSING_MESSAGE, convert_to_pdf, find_soffice
from ksef_sheets.documents.render import render_text, template_path

# Names accepted by ``ksef-sheets documents`` (kinds, then groups), e.g. for a dropdown in Excel.
DOCUMENT_KINDS: tuple[str, ...] = (*KINDS, *GROUPS)

__all__ = [
    "DOCUMENT_KINDS",
    "GROUPS",
    "KINDS",
    "MISSING_MESSAGE",
    "PDF_INSTALL_HINT",
    "ClientProblem",
    "DocumentKind",
    "DocumentsReport",
    "EmailText",
    "GeneratedDocument",
    "OfficeData",
    "QrCode",
    "amount_in_words",
    "build_eml",
    "client_context",
    "convert_to_pdf",
    "email_problem",
    "find_soffice",
    "generate_documents",
    "invoice_pdf",
    "office_data",
    "render_text",
    "resolve_kinds",
    "split_subject",
    "template_path",
]
