"""An issue date (P_1) earlier than the sending day: KSeF will treat the invoice as offline.

KSeF compares the calendar day of P_1 with the day it accepts the invoice (``invoicingDate``,
Warsaw time) and marks an invoice sent with ``offlineMode: false`` as offline when P_1 is earlier
(MF, ``offline/automatyczne-okreslanie-trybu-offline.md``; DOMAIN.md §4). Such an invoice is an
offline24 invoice (art. 106nda of the VAT Act): it must reach KSeF by the next business day after
its issue date. ``send`` warns about each one before sending, with that deadline — and says
plainly when it has already passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from ksef_sheets.office import OFFLINE24, format_day, offline_deadline
from ksef_sheets.text import format_date, warsaw_time

# Fines for offline invoices sent late (art. 106ni) apply from this day (DOMAIN.md §1.1).
PENALTIES_START = date(2027, 1, 1)


class DatedInvoice(Protocol):
    """What a warning needs of an invoice (``model.PendingInvoice`` has it; the model imports this module)."""

    @property
    def number(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def issue_date(self) -> date | None: ...


@dataclass(frozen=True)
class IssueDateWarning:
    """One invoice whose P_1 is earlier than the day it is being sent."""

    number: str
    source: str
    issue_date: date
    sending_day: date
    deadline: date  # offline24: the next business day after the issue date

    @property
    def passed(self) -> bool:
        return self.deadline < self.sending_day

    @property
    def message(self) -> str:
        text = (
            f"Faktura {self.number} ma datę wystawienia {format_date(self.issue_date)}, wcześniejszą niż "
            f"dzień wysyłki {format_date(self.sending_day)}: KSeF uzna ją za fakturę offline (tryb offline24, "
            f"art. 106nda ustawy o VAT); termin przesłania: {format_day(self.deadline)}, następny dzień "
            "roboczy po dniu wystawienia"
        )
        if not self.passed:
            return text + " — wysyłka dziś mieści się w tym terminie."
        text += " — ten termin już minął, faktura trafi do KSeF po terminie."
        if self.sending_day >= PENALTIES_START:
            text += " Za fakturę offline przesłaną po terminie grozi kara (art. 106ni ustawy o VAT)."
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "source": self.source,
            "issue_date": self.issue_date.isoformat(),
            "sending_day": self.sending_day.isoformat(),
            "deadline": self.deadline.isoformat(),
            "deadline_passed": self.passed,
            "message": self.message,
        }


def sending_day(now: datetime | None = None) -> date:
    """The day of sending as KSeF counts it: the calendar day in Warsaw."""
    return warsaw_time(now or datetime.now(UTC)).date()


def issue_date_warnings(items: Sequence[DatedInvoice], day: date) -> list[IssueDateWarning]:
    """A warning for each invoice about to be sent on ``day`` whose issue date is earlier."""
    found: list[IssueDateWarning] = []
    for item in items:
        if item.issue_date is None or item.issue_date >= day:
            continue
        deadline = offline_deadline(OFFLINE24, item.issue_date)
        assert deadline is not None  # offline24 always has a deadline
        found.append(IssueDateWarning(item.number, item.source, item.issue_date, day, deadline))
    return found
