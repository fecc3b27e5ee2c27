"""Use case: staff mark invoices as booked (the Excel panel's "Zaksięguj zaznaczone faktury").

The booking goes to the archive's staff decisions, so the next refresh of the invoice workbook
shows it even when the workbook open in Excel is never saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets import STATUS_BOOKED
from ksef_sheets.sync import Archive, StaffDecision


def book_invoices(
    folder: OfficeFolder, nip: str, numbers: Sequence[str], *, person: str, on: date
) -> list[str]:
    """Record ``numbers`` of client ``nip`` as booked on ``on`` by ``person``; returns the numbers
    that are in the archive (others — rows typed by hand — are left to the workbook)."""
    booked: list[str] = []
    with Archive.open(folder) as archive:
        known = archive.decisions_for(nip)
        decisions = []
        for number in numbers:
            if archive.get_invoice(nip, number) is None:
                continue
            decision = known.get(number) or StaffDecision(number, nip)
            decision.status, decision.booked_on, decision.person = STATUS_BOOKED, on, person
            decision.updated_at = None
            decisions.append(decision)
            booked.append(number)
        archive.save_decisions(decisions)
    return booked
