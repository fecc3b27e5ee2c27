"""The monthly summary of a client's invoice year, computed in Python (money logic lives here, not
in Excel formulas): per register and month, PLN totals per VAT rate and invoice counts per status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ksef_sheets.sheets.invoice_columns import RATE_KEYS, STATUSES, Register
from ksef_sheets.sheets.invoice_rows import SheetRow

MONTHS_PL = (
    "styczeń",
    "luty",
    "marzec",
    "kwiecień",
    "maj",
    "czerwiec",
    "lipiec",
    "sierpień",
    "wrzesień",
    "październik",
    "listopad",
    "grudzień",
)

ZERO = Decimal("0.00")


@dataclass
class MonthTotals:
    """Totals for one month (or the whole year when ``month`` is None)."""

    month: int | None
    count: int = 0
    net_by_rate: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(RATE_KEYS, ZERO))
    vat_by_rate: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(RATE_KEYS, ZERO))
    net: Decimal = ZERO
    vat: Decimal = ZERO
    gross: Decimal = ZERO
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    # Invoices whose PLN amounts are unknown (a foreign currency without a rate in the XML).
    missing_pln: int = 0

    def add(self, row: SheetRow) -> None:
        invoice = row.invoice
        assert invoice is not None
        self.count += 1
        for key, amount in invoice.net_by_rate_pln.items():
            self.net_by_rate[key] = self.net_by_rate.get(key, ZERO) + amount
        for key, amount in invoice.vat_by_rate_pln.items():
            self.vat_by_rate[key] = self.vat_by_rate.get(key, ZERO) + amount
        if invoice.gross_pln is None and invoice.gross_total is not None:
            self.missing_pln += 1
        self.net += invoice.net_pln or ZERO
        self.vat += invoice.vat_pln or ZERO
        self.gross += invoice.gross_pln or ZERO
        status = row.staff.status
        self.by_status[status] = self.by_status.get(status, 0) + 1


@dataclass
class RegisterSummary:
    register: Register
    months: list[MonthTotals]
    total: MonthTotals


def summarize(register: Register, rows: Iterable[SheetRow], year: int) -> RegisterSummary:
    months = [MonthTotals(month) for month in range(1, 13)]
    total = MonthTotals(None)
    for row in rows:
        if row.invoice is None:
            continue
        period = row.invoice.period
        if period is None or period.year != year:
            continue
        months[period.month - 1].add(row)
        total.add(row)
    return RegisterSummary(register, months, total)
