"""Reconciling a JPK_V7 file with the invoices KSeF holds for the same client (pure: no I/O).

Rows are matched by ``NrKSeF`` first (checksum checked), then — for rows with a marker (OFF, BFK,
DI) — by counterparty NIP + invoice number + issue date. Sales rows are matched against the client's
sales in KSeF (Subject1), purchase rows against its purchases (Subject2).

The rules, with their sources in ``docs/sources.md``:
- each row carries exactly one of NrKSeF / OFF / BFK / DI (the schema's required choice; §5 of the JPK
  regulation as amended by Dz.U. 2025 poz. 1800): NrKSeF when the invoice has a number on the filing
  day; OFF only for the failure mode of art. 106nf ust. 1 without a number yet; BFK for invoices
  outside KSeF; DI for other documents and for offline24 / unavailability invoices not numbered yet
  (to be corrected once they are);
- a KSeF invoice is received on the day KSeF assigns its number (art. 106na ust. 3 of the VAT Act),
  and input VAT may be deducted no earlier than in the period of receipt (art. 86 ust. 10b pkt 1):
  a purchase row in a period before its KSeF acceptance month is ``booked_too_early``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from ksef_sheets.identifiers import is_valid_ksef_number
from ksef_sheets.jpk.model import SIDE_LABELS, JpkFile, JpkRow, Side
from ksef_sheets.text import format_date, format_number

FindingKind = Literal[
    "unknown_ksef_number",
    "bad_checksum",
    "missing_in_jpk",
    "amount_mismatch",
    "marker_has_number",
    "marker_misused",
    "duplicate_row",
    "booked_too_early",
]

KIND_LABELS: dict[str, str] = {
    "unknown_ksef_number": "Nieznany numer KSeF",
    "bad_checksum": "Błędna suma kontrolna numeru KSeF",
    "missing_in_jpk": "Brak w JPK",
    "amount_mismatch": "Różne kwoty",
    "marker_has_number": "Oznaczenie zamiast numeru KSeF",
    "marker_misused": "Błędne oznaczenie",
    "duplicate_row": "Powtórzony numer KSeF",
    "booked_too_early": "Odliczenie przed otrzymaniem",
}

TOLERANCE = Decimal("0.01")

# Sales: FA(3) summary buckets (P_13_x / P_14_x) → the JPK row's K fields (net, VAT).
SALE_GROUPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    ("23%", ("1",), ("K_19",), ("K_20",)),
    ("8%", ("2",), ("K_17",), ("K_18",)),
    ("5%", ("3",), ("K_15",), ("K_16",)),
    ("0% kraj", ("6_1",), ("K_13",), ()),
    ("WDT", ("6_2",), ("K_21",), ()),
    ("eksport", ("6_3",), ("K_22",), ()),
    ("zw", ("7",), ("K_10",), ()),
    ("poza krajem", ("8", "9"), ("K_11",), ()),
)
# Purchases: only the deductible buckets; the JPK splits by fixed assets vs others, not by rate.
PURCHASE_BUCKETS = ("1", "2", "3", "4")
PURCHASE_NET = ("K_40", "K_42")
PURCHASE_VAT = ("K_41", "K_43")


@dataclass(frozen=True)
class KsefInvoice:
    """What the reconciliation needs of one invoice in KSeF (amounts per bucket, in PLN)."""

    side: Side
    ksef_number: str
    number: str | None  # P_2
    counterparty_nip: str | None  # buyer's identifier for a sale, seller's NIP for a purchase
    issue_date: date | None  # P_1
    accepted_on: date | None  # the day KSeF assigned the number
    buckets: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # key -> (net, VAT) in PLN


@dataclass(frozen=True)
class FailurePeriod:
    """A KSeF failure (art. 106nf) the office knows of: OFF is right only for invoices issued in one."""

    start: date
    end: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    side: Side
    row: int | None  # LpSprzedazy / LpZakupu; None for an invoice missing from the JPK
    ksef_number: str | None
    counterparty_nip: str | None
    document_number: str | None
    jpk_net: Decimal | None
    jpk_vat: Decimal | None
    ksef_net: Decimal | None
    ksef_vat: Decimal | None
    message: str

    def as_dict(self) -> dict[str, object]:
        money = lambda v: None if v is None else f"{v:.2f}"  # noqa: E731
        return {
            "kind": self.kind,
            "side": self.side,
            "row": self.row,
            "ksef_number": self.ksef_number,
            "counterparty_nip": self.counterparty_nip,
            "document_number": self.document_number,
            "jpk_net": money(self.jpk_net),
            "jpk_vat": money(self.jpk_vat),
            "ksef_net": money(self.ksef_net),
            "ksef_vat": money(self.ksef_vat),
            "message": self.message,
        }


@dataclass(frozen=True)
class Reconciliation:
    nip: str
    period: str
    rows: int
    matched: int
    findings: tuple[Finding, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "nip": self.nip,
            "period": self.period,
            "rows": self.rows,
            "matched": self.matched,
            "findings": [f.as_dict() for f in self.findings],
        }


def _key(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "").casefold()


def _nip_key(text: str | None) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper().removeprefix("PL")


def _pln(value: Decimal) -> str:
    return f"{format_number(value, 2)} zł"


def _sale_amounts(row: JpkRow, invoice: KsefInvoice) -> tuple[bool, Decimal, Decimal, Decimal, Decimal]:
    """(matches, jpk net, jpk VAT, KSeF net, KSeF VAT) over the buckets the JPK can show separately."""
    ok = True
    jpk_net = jpk_vat = ksef_net = ksef_vat = Decimal(0)
    for _label, keys, net_fields, vat_fields in SALE_GROUPS:
        inv_net = sum((invoice.buckets.get(k, (Decimal(0), Decimal(0)))[0] for k in keys), Decimal(0))
        inv_vat = sum((invoice.buckets.get(k, (Decimal(0), Decimal(0)))[1] for k in keys), Decimal(0))
        row_net = row.amount(*net_fields)
        row_vat = row.amount(*vat_fields) if vat_fields else Decimal(0)
        if not vat_fields:
            inv_vat = Decimal(0)
        tolerance = TOLERANCE * max(1, sum(1 for k in keys if k in invoice.buckets))
        net_ok = abs(row_net - inv_net) <= tolerance
        if not net_ok and keys == (
            "8",
            "9",
        ):  # services of art. 100 ust. 1 pkt 4 may stand in K_12 beside K_11
            net_ok = abs(row_net + row.amount("K_12") - inv_net) <= tolerance
        if not net_ok or abs(row_vat - inv_vat) > tolerance:
            ok = False
        jpk_net += row_net
        jpk_vat += row_vat
        ksef_net += inv_net
        ksef_vat += inv_vat
    return ok, jpk_net, jpk_vat, ksef_net, ksef_vat


def _purchase_amounts(row: JpkRow, invoice: KsefInvoice) -> tuple[bool, Decimal, Decimal, Decimal, Decimal]:
    present = [k for k in PURCHASE_BUCKETS if k in invoice.buckets]
    ksef_net = sum((invoice.buckets[k][0] for k in present), Decimal(0))
    ksef_vat = sum((invoice.buckets[k][1] for k in present), Decimal(0))
    jpk_net = row.amount(*PURCHASE_NET)
    jpk_vat = row.amount(*PURCHASE_VAT)
    tolerance = TOLERANCE * max(1, len(present))
    ok = abs(jpk_net - ksef_net) <= tolerance and abs(jpk_vat - ksef_vat) <= tolerance
    return ok, jpk_net, jpk_vat, ksef_net, ksef_vat


def _month(day: date) -> tuple[int, int]:
    return day.year, day.month


def reconcile(
    jpk: JpkFile, invoices: Iterable[KsefInvoice], *, failures: Sequence[FailurePeriod] = ()
) -> Reconciliation:
    """Every difference between the JPK's evidence rows and the client's invoices in KSeF."""
    period = (jpk.year, jpk.month)
    by_number: dict[str, KsefInvoice] = {}
    by_document: dict[tuple[Side, str, str, date | None], KsefInvoice] = {}
    for item in invoices:
        by_number[item.ksef_number] = item
        by_document[(item.side, _nip_key(item.counterparty_nip), _key(item.number), item.issue_date)] = item
    findings: list[Finding] = []
    used: set[str] = set()
    matched = 0

    def add(
        kind: FindingKind,
        row: JpkRow | None,
        invoice: KsefInvoice | None,
        message: str,
        amounts: tuple[Decimal | None, ...] | None = None,
    ) -> None:
        jpk_net, jpk_vat, ksef_net, ksef_vat = amounts or (None, None, None, None)
        findings.append(
            Finding(
                kind=kind,
                side=row.side if row else invoice.side,  # type: ignore[union-attr]
                row=row.lp if row else None,
                ksef_number=(row.ksef_number if row and row.ksef_number else None)
                or (invoice.ksef_number if invoice else None),
                counterparty_nip=row.counterparty_nip
                if row
                else (invoice.counterparty_nip if invoice else None),
                document_number=row.document_number if row else (invoice.number if invoice else None),
                jpk_net=jpk_net,
                jpk_vat=jpk_vat,
                ksef_net=ksef_net,
                ksef_vat=ksef_vat,
                message=message,
            )
        )

    sides: tuple[tuple[Side, tuple[JpkRow, ...]], ...] = (("sale", jpk.sales), ("purchase", jpk.purchases))
    for side, rows in sides:
        where = "sprzedaży" if side == "sale" else "zakupów"
        seen: dict[str, int] = {}
        for row in rows:
            label = f"Wiersz {row.lp} ewidencji {where} ({row.document_number})"
            number = row.ksef_number
            if number:
                if not is_valid_ksef_number(number):
                    add(
                        "bad_checksum",
                        row,
                        None,
                        f"{label}: numer KSeF {number} ma błędną sumę kontrolną albo format — to literówka; przepisz go z faktury.",
                    )
                    continue
                if number in seen:
                    add(
                        "duplicate_row",
                        row,
                        by_number.get(number),
                        f"{label}: numer KSeF {number} jest już w wierszu {seen[number]} — faktura ujęta dwa razy.",
                    )
                    continue
                seen[number] = row.lp
                invoice = by_number.get(number)
                if invoice is None or invoice.side != side:
                    other = (
                        " (to faktura "
                        + ("sprzedaży" if invoice and invoice.side == "sale" else "zakupu")
                        + " tego klienta)"
                        if invoice
                        else ""
                    )
                    add(
                        "unknown_ksef_number",
                        row,
                        None,
                        f"{label}: numeru KSeF {number} nie ma wśród faktur {where} klienta w KSeF{other} — literówka albo faktura innego podmiotu.",
                    )
                    continue
                used.add(number)
                matched += 1
                amounts = (_sale_amounts if side == "sale" else _purchase_amounts)(row, invoice)
                if not amounts[0]:
                    note = ""
                    if side == "purchase" and amounts[2] < amounts[4]:
                        note = " (mniejszy VAT może wynikać z częściowego odliczenia)"
                    add(
                        "amount_mismatch",
                        row,
                        invoice,
                        f"{label}: w JPK netto {_pln(amounts[1])}, VAT {_pln(amounts[2])}; na fakturze w KSeF netto "
                        f"{_pln(amounts[3])}, VAT {_pln(amounts[4])}{note}.",
                        amounts[1:],
                    )
                if side == "purchase" and invoice.accepted_on and _month(invoice.accepted_on) > period:
                    add(
                        "booked_too_early",
                        row,
                        invoice,
                        f"{label}: faktura otrzymana w KSeF {format_date(invoice.accepted_on)} (nadanie numeru, art. 106na ust. 3), "
                        f"a VAT odliczono za {jpk.period} — odliczenie możliwe najwcześniej za okres otrzymania (art. 86 ust. 10b pkt 1).",
                    )
                continue
            # A row with a marker: find the invoice by counterparty, number and date.
            key = (side, _nip_key(row.counterparty_nip), _key(row.document_number), row.issue_date)
            invoice = by_document.get(key)
            if invoice is not None:
                used.add(invoice.ksef_number)
                if row.marker == "BFK":
                    add(
                        "marker_misused",
                        row,
                        invoice,
                        f"{label}: oznaczenie BFK (faktura poza KSeF), a faktura jest w KSeF pod numerem {invoice.ksef_number} — wpisz ten numer.",
                    )
                else:
                    add(
                        "marker_has_number",
                        row,
                        invoice,
                        f"{label}: oznaczenie {row.marker}, a faktura ma już numer KSeF {invoice.ksef_number} — JPK wymaga korekty: wpisz numer.",
                    )
                continue
            if row.marker == "OFF" and not any(row.issue_date and f.covers(row.issue_date) for f in failures):
                when = format_date(row.issue_date) if row.issue_date else "bez daty"
                add(
                    "marker_misused",
                    row,
                    None,
                    f"{label}: oznaczenie OFF (tryb awaryjny, art. 106nf), a biuro nie zna awarii KSeF obejmującej dzień {when} — sprawdź, czy nie chodzi o DI (offline24, niedostępność) albo BFK.",
                )
    for invoice in by_number.values():
        if invoice.ksef_number in used:
            continue
        if invoice.side == "sale" and invoice.issue_date and _month(invoice.issue_date) == period:
            add(
                "missing_in_jpk",
                None,
                invoice,
                f"Faktura sprzedaży {invoice.number or '—'} z {format_date(invoice.issue_date)} (KSeF {invoice.ksef_number}) nie jest ujęta w JPK za {jpk.period} — sprzedaż niewykazana.",
                (None, None, *_totals(invoice)),
            )
        elif invoice.side == "purchase" and invoice.accepted_on and _month(invoice.accepted_on) == period:
            add(
                "missing_in_jpk",
                None,
                invoice,
                f"Faktura zakupu {invoice.number or '—'} otrzymana w KSeF {format_date(invoice.accepted_on)} (KSeF {invoice.ksef_number}) nie jest ujęta w JPK za {jpk.period} — sprawdź, czy ją zaksięgowano (odliczenie można przesunąć na późniejszy okres).",
                (None, None, *_totals(invoice)),
            )
    order = {"sale": 0, "purchase": 1}
    findings.sort(key=lambda f: (order[f.side], f.row is None, f.row or 0, f.ksef_number or ""))
    return Reconciliation(
        nip=jpk.nip,
        period=jpk.period,
        rows=len(jpk.sales) + len(jpk.purchases),
        matched=matched,
        findings=tuple(findings),
    )


def _totals(invoice: KsefInvoice) -> tuple[Decimal, Decimal]:
    return (
        sum((v[0] for v in invoice.buckets.values()), Decimal(0)),
        sum((v[1] for v in invoice.buckets.values()), Decimal(0)),
    )


def side_label(side: Side) -> str:
    return SIDE_LABELS[side]
