"""JPK_V7M(3) / JPK_V7K(3) as the reconciliation needs it: the header and the evidence rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

Side = Literal["sale", "purchase"]
Marker = Literal["OFF", "BFK", "DI"]

SIDE_LABELS = {"sale": "sprzedaż", "purchase": "zakup"}


@dataclass(frozen=True)
class JpkRow:
    """One ``SprzedazWiersz`` or ``ZakupWiersz``.

    ``ksef_number`` and ``marker`` are the row's required choice (exactly one is set in a valid file);
    ``amounts`` holds every ``K_*`` field of the row by name, as written.
    """

    side: Side
    lp: int
    counterparty_nip: str | None  # NrKontrahenta / NrDostawcy (any tax ID, as written)
    counterparty_country: str | None  # KodKrajuNadaniaTIN
    counterparty_name: str | None
    document_number: str  # DowodSprzedazy / DowodZakupu
    issue_date: date | None  # DataWystawienia / DataZakupu
    other_date: date | None  # DataSprzedazy / DataWplywu
    ksef_number: str | None
    marker: Marker | None
    document_type: str | None  # TypDokumentu (RO, WEW, FP) / DokumentZakupu (MK, VAT_RR, WEW)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    line: int | None = None  # line of the row in the file

    def amount(self, *names: str) -> Decimal:
        return sum((self.amounts.get(n, Decimal(0)) for n in names), Decimal(0))


@dataclass(frozen=True)
class JpkFile:
    variant: Literal["JPK_V7M", "JPK_V7K"]
    nip: str
    name: str | None
    year: int
    month: int
    purpose: int | None  # CelZlozenia: 1 first filing, 2 correction
    created_at: str | None  # DataWytworzeniaJPK as written
    sales: tuple[JpkRow, ...]
    purchases: tuple[JpkRow, ...]
    source: str

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
