"""The client register of ``biuro.xlsx`` (table ``Klienci``) read as ``Client`` records.

The one reader of the register: a use case reads it once per run and passes the records down.
"""

from __future__ import annotations

import logging

from ksef_sheets.config import OfficeFolder
from ksef_sheets.identifiers import nip_problem
from ksef_sheets.office import Client, client_from_row, client_problems
from ksef_sheets.sheets.office_workbook import open_office_workbook, read_register
from ksef_sheets.sheets.tables import OpenpyxlTables

log = logging.getLogger(__name__)


def load_clients(folder: OfficeFolder) -> list[Client]:
    """Clients from table ``Klienci`` of ``biuro.xlsx``, read by column name, in register order.

    Rows with an unusable NIP (or a repeated one) are reported in the log and skipped; every other
    problem is attached to the client (``Client.problems``), never raised.
    """
    wb = open_office_workbook(folder.office_workbook, for_writing=False)
    rows, numbers = read_register(OpenpyxlTables(wb, source=str(folder.office_workbook)))
    clients: list[Client] = []
    seen: set[str] = set()
    for row, number in zip(rows, numbers, strict=True):
        client, problems = client_from_row(row, number)
        issue = nip_problem(client.nip)
        if issue:
            log.warning("biuro.xlsx, arkusz Klienci, wiersz %s: %s Wiersz pominięto.", number, issue)
            continue
        if client.nip in seen:
            log.warning(
                "biuro.xlsx, arkusz Klienci, wiersz %s: NIP %s powtarza się. Wiersz pominięto.",
                number,
                client.nip,
            )
            continue
        seen.add(client.nip)
        found = problems + [p for p in client_problems(client) if p not in problems]
        client.problems = "; ".join(found)
        clients.append(client)
    return clients
