"""Which VAT month an archived invoice belongs to: one rule for the JPK check and the client's list.

A sale belongs to the month of its issue date (P_1); a purchase to the month KSeF delivered it —
an invoice counts as received on the day KSeF assigns its number (art. 106na ust. 3 of the VAT
Act). That day is the date part of the KSeF number (``NIP-YYYYMMDD-…``, KSeF's ``acquisitionDate``
in Warsaw time), not ``invoicingDate``: in a batch session the latter is the moment the session was
opened, which can be an earlier day than the number.
"""

from __future__ import annotations

from datetime import date

from ksef_sheets.sync import ArchivedInvoice

SUBJECT_SIDES = {"Subject1": "sale", "Subject2": "purchase"}


def accepted_on(ksef_number: str) -> date | None:
    """The day KSeF assigned the number (its date part: the acceptance date, not P_1)."""
    try:
        return date.fromisoformat(f"{ksef_number[11:15]}-{ksef_number[15:17]}-{ksef_number[17:19]}")
    except ValueError:
        return None


def period_side(entry: ArchivedInvoice) -> tuple[str, tuple[int, int]] | None:
    """(side, (year, month)) an invoice belongs to in the VAT records: a sale by its issue date, a
    purchase by the day KSeF delivered it (art. 106na ust. 3); None for other subjects or no date.

    When the index lacks the one date (a row without ``issueDate``), the other places the invoice
    rather than leaving it out of every month."""
    side = SUBJECT_SIDES.get(entry.subject_type)
    if side is None:
        return None
    received = accepted_on(entry.ksef_number)
    day = (entry.issue_date or received) if side == "sale" else (received or entry.issue_date)
    if day is None:
        return None
    return side, (day.year, day.month)
