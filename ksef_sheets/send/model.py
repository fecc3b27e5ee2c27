"""Values of the sending use case: a pending invoice, its outcome, the per-client and the run's report."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ksef_sheets.send.entry_columns import STATUS_ERROR, STATUS_PENDING, STATUS_REJECTED, STATUS_SENT
from ksef_sheets.text import format_date

if TYPE_CHECKING:
    from ksef_sheets.send.issue_date import IssueDateWarning
    from ksef_sheets.send.offline import OfflineInvoice

Origin = Literal["arkusz", "plik", "dziennik"]


def invoice_hash(xml: bytes) -> str:
    """Base64 SHA-256 of the invoice bytes, as KSeF's ``invoiceHash``."""
    return base64.b64encode(hashlib.sha256(xml).digest()).decode("ascii")


@dataclass
class PendingInvoice:
    """One invoice waiting to be sent: built from workbook rows or read from a dropped XML file.

    ``error`` is set when it cannot be sent as it is (the Polish message names file, row, column).
    """

    number: str
    source: str  # for people: "sprzedaz-do-wyslania.xlsx, wiersze 8–10" or "do-wyslania/fv-1.xml"
    origin: Origin
    rows: tuple[int, ...] = ()
    path: Path | None = None
    xml: bytes | None = None
    error: str | None = None
    issue_date: date | None = None
    buyer: str = ""
    gross: str | None = None
    currency: str = "PLN"
    offline: bool = False  # issued outside KSeF: sent with offlineMode true
    corrects_hash: str | None = None  # a technical correction of the rejected invoice with this hash

    @property
    def hash(self) -> str:
        if self.xml is None:
            raise ValueError("no XML")
        return invoice_hash(self.xml)


@dataclass
class InvoiceOutcome:
    """What happened to one invoice in this run (``status`` is the workbook's Polish status)."""

    number: str
    source: str
    origin: Origin
    status: str
    message: str = ""
    ksef_number: str | None = None
    accepted_at: datetime | None = None
    upo_path: Path | None = None
    code: int | None = None  # KSeF status code of the invoice (200, 440, 450 …)
    original_ksef_number: str | None = None  # for a duplicate (440)
    sent_now: bool = False  # a POST in this run (False: known from an earlier run or reconciled)
    path: Path | None = None  # the dropped file, for moving it
    rows: tuple[int, ...] = ()
    invalid: bool = False  # refused before sending (the invoice itself is wrong)

    @property
    def accepted(self) -> bool:
        return self.status == STATUS_SENT

    @property
    def rejected(self) -> bool:
        return self.status == STATUS_REJECTED

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "source": self.source,
            "status": self.status,
            "ksef_number": self.ksef_number,
            "accepted_at": self.accepted_at.isoformat() if self.accepted_at else None,
            "upo": str(self.upo_path) if self.upo_path else None,
            "code": self.code,
            "original_ksef_number": self.original_ksef_number,
            "sent_now": self.sent_now,
            "message": self.message,
        }


@dataclass
class ClientSendResult:
    nip: str
    name: str = ""
    scenario: int | None = None
    refused: str | None = None  # the client was not processed at all (scenario, permissions)
    outcomes: list[InvoiceOutcome] = field(default_factory=list)
    would_send: list[PendingInvoice] = field(default_factory=list)  # --dry-run
    errors: list[str] = field(default_factory=list)  # problems of the whole client (login, KSeF down)
    warnings: list[str] = field(default_factory=list)
    # P_1 earlier than the sending day: KSeF will treat the invoice as offline (found before sending)
    issue_date_warnings: list[IssueDateWarning] = field(default_factory=list)
    offline: bool = False  # KSeF did not answer: invoices stay pending
    # issued outside KSeF and still to be sent ("Do wysłania offline"), with their deadlines
    offline_invoices: list[OfflineInvoice] = field(default_factory=list)
    session_reference: str | None = None
    workbook_created: Path | None = None

    @property
    def sent(self) -> list[InvoiceOutcome]:
        return [o for o in self.outcomes if o.accepted]

    @property
    def rejected(self) -> list[InvoiceOutcome]:
        return [o for o in self.outcomes if o.rejected]

    @property
    def failed(self) -> list[InvoiceOutcome]:
        return [o for o in self.outcomes if o.status == STATUS_ERROR]

    @property
    def pending(self) -> list[InvoiceOutcome]:
        return [o for o in self.outcomes if o.status == STATUS_PENDING]

    @property
    def label(self) -> str:
        return f"{self.nip} {self.name}".strip()

    def to_json(self) -> dict[str, Any]:
        return {
            "nip": self.nip,
            "name": self.name,
            "scenario": self.scenario,
            "refused": self.refused,
            "offline": self.offline,
            "session_reference": self.session_reference,
            "sent": len([o for o in self.sent if o.sent_now]),
            "accepted_total": len(self.sent),
            "rejected": len(self.rejected),
            "errors_in_invoices": len(self.failed),
            "pending": len(self.pending),
            "invoices": [o.to_json() for o in self.outcomes],
            "would_send": [
                {
                    "number": p.number,
                    "source": p.source,
                    "buyer": p.buyer,
                    "gross": p.gross,
                    "currency": p.currency,
                }
                for p in self.would_send
            ],
            "errors": list(self.errors),
            "warnings": [*(w.message for w in self.issue_date_warnings), *self.warnings],
            "issue_date_warnings": [w.to_json() for w in self.issue_date_warnings],
            "offline_invoices": [o.to_json() for o in self.offline_invoices],
        }


@dataclass
class SendReport:
    environment: str
    dry_run: bool = False
    clients: list[ClientSendResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def problems(self) -> bool:
        """True when the run must end with exit code 1: a rejection, a bad invoice, a client's failure."""
        return any(c.rejected or c.failed or c.errors or c.refused for c in self.clients)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "dry_run": self.dry_run,
            "sent": sum(len([o for o in c.sent if o.sent_now]) for c in self.clients),
            "rejected": sum(len(c.rejected) for c in self.clients),
            "errors": sum(len(c.failed) + len(c.errors) for c in self.clients),
            "clients": [c.to_json() for c in self.clients],
            "warnings": list(self.warnings),
            # "Do wysłania offline": every client's invoices issued outside KSeF, not yet in KSeF
            "offline": [o.to_json() for c in self.clients for o in c.offline_invoices],
        }

    def summary_lines(self) -> list[str]:
        """Polish lines for people."""
        lines: list[str] = []
        for c in self.clients:
            if c.refused:
                lines.append(f"Klient {c.label}: pominięto — {c.refused}")
                continue
            if c.workbook_created:
                lines.append(
                    f"Klient {c.label}: utworzono skoroszyt do wpisywania faktur {c.workbook_created}."
                )
            if self.dry_run:
                lines.append(
                    f"Klient {c.label}: do wysłania {len(c.would_send)} faktur (próba, nic nie wysłano)."
                )
                for p in c.would_send:
                    gross = f", brutto {p.gross} {p.currency}" if p.gross else ""
                    lines.append(f"  - {p.number} ({p.source}), nabywca: {p.buyer or 'konsument'}{gross}")
            else:
                now = len([o for o in c.sent if o.sent_now])
                lines.append(
                    f"Klient {c.label}: przyjęte przez KSeF {now}, odrzucone {len(c.rejected)}, "
                    f"błędy {len(c.failed)}, nadal do wysłania {len(c.pending)}."
                )
            lines += [f"  Uwaga: {w.message}" for w in c.issue_date_warnings]
            for o in c.outcomes:
                if o.accepted and o.sent_now:
                    lines.append(f"  + {o.number}: {o.ksef_number}")
                elif not o.accepted or o.message:
                    lines.append(f"  ! {o.number} ({o.source}): {o.status} — {o.message}")
            if c.offline_invoices:
                lines.append(f"  Do wysłania offline ({len(c.offline_invoices)}):")
                for item in c.offline_invoices:
                    lines.append(
                        f"    {item.number}: wystawiona {format_date(item.issue_date)} ({item.mode_label}), "
                        f"termin wysłania do KSeF: {item.deadline_text()}"
                    )
            for e in c.errors:
                lines.append(f"  Błąd: {e}")
            for w in c.warnings:
                lines.append(f"  Uwaga: {w}")
        lines += [f"Uwaga: {w}" for w in self.warnings]
        return lines
