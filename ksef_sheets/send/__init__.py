"""Sending sales invoices for clients (scenario 3): the ``ksef-sheets send`` use case.

Public API (keep stable)::

    from ksef_sheets.send import send_office, prepare_entry_workbooks, SendReport

    report = await send_office(folder, clients=None, dry_run=False)   # SendReport
    report.problems            # True → exit code 1 (a rejection, a bad invoice, a client's failure)
    report.to_json(), report.summary_lines()
    prepare_entry_workbooks(folder, clients=None) -> list[Path]      # klienci/<NIP>/sprzedaz-do-wyslania.xlsx

Where pending invoices come from: the entry workbook (``entry_workbook``, table ``DoWyslania``) and
FA(3) files dropped into ``klienci/<NIP>/do-wyslania/`` (``drop_folder``). Idempotency: the sending
journal (``journal``, table ``send_journal`` in ``ksef.sqlite``). UPOs: ``<KSeF number>.upo.xml``
next to the archived invoice.
"""

from __future__ import annotations

from ksef_sheets.send.model import ClientSendResult, InvoiceOutcome, PendingInvoice, SendReport
from ksef_sheets.send.service import prepare_entry_workbooks, select_send_clients, send_office

__all__ = [
    "ClientSendResult",
    "InvoiceOutcome",
    "PendingInvoice",
    "SendReport",
    "prepare_entry_workbooks",
    "select_send_clients",
    "send_office",
]
