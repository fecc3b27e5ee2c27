"""Documents for the office's clients: the register read once, then the chosen kinds rendered for each.

``generate_client_documents(folder, kinds, nips=...)`` is what ``ksef-sheets documents``, the Excel
panel, the credential migration and the demo run: it reads the register (``biuro.xlsx``, table
Klienci) and hands the ``Client`` records to ``documents.generate_documents``, which renders the
Word files, the PDFs and the e-mails (a client missing data is reported there, not raised).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents import DocumentKind, DocumentsReport, generate_documents
from ksef_sheets.office import Client
from ksef_sheets.sheets import load_clients


def generate_client_documents(
    folder: OfficeFolder,
    kinds: Sequence[DocumentKind],
    *,
    clients: Sequence[Client] | None = None,
    nips: Sequence[str] | None = None,
    pdf: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DocumentsReport:
    """Render ``kinds`` for the register's clients (``nips`` narrows them) into their ``dokumenty/`` folders.

    ``clients`` stands in for the register when the caller has read it already.
    """
    if clients is None:
        folder.load_config()  # a folder with no office says so before the register is looked for
        clients = load_clients(folder)
    register = list(clients)
    return generate_documents(
        folder, kinds, clients=register, nips=nips, pdf=pdf, today=today, progress=progress
    )
