"""Plain data the invoice workbook is made of: an invoice row, the staff fields, carried-over cells.

``InvoiceRow`` is the workbook's view of one archived invoice (FA(3) content plus KSeF metadata);
it knows nothing about Excel. ``StaffFields`` are the four columns a person edits. ``CellValue`` is
whatever a person typed into a column or row the toolkit does not own, kept as read.
``RegisterSheet`` is what goes into one register sheet, ``WorkbookHeader`` whose workbook it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ksef_sheets.sheets.invoice_columns import INVOICE_COLUMNS, KNOWN_HEADERS, STATUS_NEW, Register


@dataclass(frozen=True)
class Formula:
    """A formula a person typed into a column of their own; written back as a formula.

    ``row`` (1-based) is where it was read: when its row moves (new invoices sorted in above it),
    relative row references move with it, as Excel would do when inserting rows.
    """

    text: str
    row: int | None = None


CellValue = str | int | float | bool | datetime | date | Formula | None


@dataclass(frozen=True)
class InvoiceRow:
    """One invoice as a row of the Zakupy or Sprzedaż sheet.

    Amounts are in the invoice currency unless the name ends in ``_pln``; ``None`` means the invoice
    does not carry the amount (so the cell stays empty, not zero).
    """

    ksef_number: str
    register: Register
    invoice_number: str
    issue_date: date | None
    accepted_at: datetime | None
    counterparty_nip: str | None
    counterparty_name: str | None
    currency: str
    items: str = ""
    net_by_rate: Mapping[str, Decimal] = field(default_factory=dict)
    vat_by_rate: Mapping[str, Decimal] = field(default_factory=dict)
    net_by_rate_pln: Mapping[str, Decimal] = field(default_factory=dict)
    vat_by_rate_pln: Mapping[str, Decimal] = field(default_factory=dict)
    net_total: Decimal | None = None
    vat_total: Decimal | None = None
    gross_total: Decimal | None = None
    net_pln: Decimal | None = None
    vat_pln: Decimal | None = None
    gross_pln: Decimal | None = None
    due_date: date | None = None
    bank_account: str | None = None
    split_payment: bool = False
    invoice_type: str = "VAT"
    corrected_invoice: str | None = None
    offline: bool = False
    xml_path: Path | None = None
    client_decision: str | None = None
    client_remark: str | None = None

    @property
    def period(self) -> date | None:
        """The day that puts the invoice into a year and month: its issue date, else KSeF acceptance."""
        if self.issue_date is not None:
            return self.issue_date
        return self.accepted_at.date() if self.accepted_at is not None else None


@dataclass(frozen=True)
class StaffFields:
    """The columns a person edits: Status, Komentarz, Data księgowania, Osoba."""

    status: str = STATUS_NEW
    comment: str = ""
    booked_on: date | None = None
    person: str = ""


@dataclass
class SheetRow:
    """A row as written: an invoice with its staff fields, or a person's own row (``invoice`` None)."""

    invoice: InvoiceRow | None
    staff: StaffFields
    # Values of columns staff added, by header; for a person's own row also the toolkit's columns.
    extra: dict[str, CellValue] = field(default_factory=dict)


@dataclass
class RegisterSheet:
    """What goes into one register sheet: invoice rows, staff's own rows and staff's own columns."""

    register: Register
    rows: list[SheetRow] = field(default_factory=list)
    loose_rows: list[dict[str, CellValue]] = field(default_factory=list)
    extra_headers: list[str] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [column.header for column in INVOICE_COLUMNS] + [
            h for h in self.extra_headers if h not in KNOWN_HEADERS
        ]


@dataclass(frozen=True)
class WorkbookHeader:
    client_nip: str
    client_name: str
    year: int
    generated_at: datetime
    # What the workbook was built from (see ``invoice_fingerprint``); None for a one-off write.
    fingerprint: str | None = None
