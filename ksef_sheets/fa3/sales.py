"""A sales invoice as the office types it (scenario 3): the typed input of ``build_invoice_xml``.

Pydantic models, because this is an edge: data comes from a workbook, a script or the generator.
Field checks carry Polish messages; ``SalesInvoice.from_data`` turns a validation failure into one
``UserError`` naming the field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ksef_sheets.errors import UserError
from ksef_sheets.fa3.rates import RATE_CODES
from ksef_sheets.identifiers import nip_problem, normalize_nip

InvoiceKind = Literal["VAT", "KOR", "ZAL", "ROZ", "UPR", "KOR_ZAL", "KOR_ROZ"]
CORRECTION_KINDS = ("KOR", "KOR_ZAL", "KOR_ROZ")
ADVANCE_KINDS = ("ZAL", "KOR_ZAL")

_EU_CODES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "EL",
        "HR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "XI",
    ]
)
EU_COUNTRY_CODES: frozenset[str] = _EU_CODES  # public: the send part checks buyers' countries with it


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Party(_Model):
    """A seller, buyer or third party. Identified by NIP, an EU VAT number, another tax ID, or nothing."""

    name: str = Field(min_length=1, max_length=512)
    nip: str | None = None
    eu_code: str | None = None  # KodUE, e.g. "DE"
    eu_vat: str | None = None  # NrVatUE without the country prefix
    tax_id: str | None = None  # NrID (outside the EU), with ``country``
    country: str = Field(default="PL", pattern=r"^[A-Z]{2}$")
    address1: str = Field(default="", max_length=512)
    address2: str | None = Field(default=None, max_length=512)
    email: str | None = None
    bank_account: str | None = None
    bank_name: str | None = None

    @field_validator("nip")
    @classmethod
    def _check_nip(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = nip_problem(value)
        if problem:
            raise ValueError(problem)
        return normalize_nip(value)

    @field_validator("eu_code")
    @classmethod
    def _check_eu(cls, value: str | None) -> str | None:
        if value is not None and value not in _EU_CODES:
            raise ValueError(f"„{value}” nie jest kodem kraju UE (np. DE, FR, CZ).")
        return value

    @field_validator("eu_vat")
    @classmethod
    def _check_eu_vat(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9A-Z+*]{1,12}", value):
            raise ValueError(
                f"Numer VAT UE „{value}” ma niedozwolony format (1–12 cyfr lub wielkich liter, bez prefiksu kraju)."
            )
        return value

    @model_validator(mode="after")
    def _check_ids(self) -> Party:
        if (self.eu_code is None) != (self.eu_vat is None):
            raise ValueError("Numer VAT UE wymaga kodu kraju UE i odwrotnie (eu_code + eu_vat).")
        return self

    @property
    def identifier(self) -> str | None:
        if self.nip:
            return self.nip
        if self.eu_vat:
            return f"{self.eu_code}{self.eu_vat}"
        return self.tax_id


class SalesLine(_Model):
    name: str = Field(min_length=1, max_length=512)
    quantity: Decimal = Decimal(1)
    unit: str | None = Field(default="szt.", max_length=256)
    unit_price: Decimal  # net price per unit (P_9A)
    rate: str = "23"  # P_12 code: 23, 8, 5, 0 KR, 0 WDT, 0 EX, zw, oo, np I, np II ...
    net: Decimal | None = None  # net value; by default quantity × unit price, rounded to grosze
    gtu: str | None = Field(default=None, pattern=r"^GTU_(0[1-9]|1[0-3])$")
    annex15: bool = False  # goods/services of Annex 15 (P_12_Zal_15)
    exchange_rate: Decimal | None = Field(default=None, gt=0)  # per-line KursWaluty
    before_correction: bool = False  # StanPrzed: the row shows the state before a correction
    line_date: date | None = None  # P_6A

    @field_validator("rate")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        if value not in RATE_CODES:
            raise ValueError(f"Stawka „{value}” jest nieznana; dozwolone: {', '.join(RATE_CODES)}.")
        return value


class Payment(_Model):
    due_date: date | None = None
    method: int | None = Field(default=6, ge=1, le=7)  # 1 gotówka … 6 przelew, 7 mobilna
    bank_account: str | None = Field(default=None, min_length=10, max_length=34)
    bank_name: str | None = None
    paid_on: date | None = None


class CorrectedInvoice(_Model):
    number: str = Field(min_length=1, max_length=256)
    issue_date: date
    ksef_number: str | None = None  # None: the corrected invoice was issued outside KSeF


class Correction(_Model):
    reason: str | None = Field(default=None, max_length=256)
    type: int | None = Field(default=None, ge=1, le=3)  # TypKorekty
    corrected: list[CorrectedInvoice] = Field(min_length=1)


class AdvanceInvoice(_Model):
    """An advance invoice settled by a ROZ invoice: its KSeF number (or number) and gross received."""

    ksef_number: str | None = None
    number: str | None = None
    gross: Decimal

    @model_validator(mode="after")
    def _check(self) -> AdvanceInvoice:
        if not self.ksef_number and not self.number:
            raise ValueError("Faktura zaliczkowa wymaga numeru KSeF albo numeru faktury.")
        return self


class ThirdParty(_Model):
    party: Party
    role: int = Field(ge=1, le=11)  # Podmiot3/Rola: 8 JST odbiorca, 10 członek grupy VAT odbiorca …


class SalesInvoice(_Model):
    number: str = Field(min_length=1, max_length=256)
    issue_date: date
    kind: InvoiceKind = "VAT"
    seller: Party
    buyer: Party | None = None  # None: a consumer without data (BrakID)
    currency: str = Field(default="PLN", pattern=r"^[A-Z]{3}$")
    exchange_rate: Decimal | None = Field(default=None, gt=0)  # KursWaluty (PLN per unit)
    sale_date: date | None = None  # P_6, when it differs from the issue date
    place: str | None = Field(default=None, max_length=256)  # P_1M
    lines: list[SalesLine] = Field(default_factory=list)
    payment: Payment | None = None
    split_payment: bool = False  # P_18A
    cash_method: bool = False  # P_16
    self_billing: bool = False  # P_17
    reverse_charge: bool | None = None  # P_18; by default when a line is "oo" or "np II"
    exemption_basis: str | None = Field(default=None, max_length=256)  # P_19A, for "zw" lines
    correction: Correction | None = None
    advance_gross: Decimal | None = None  # ZAL: the gross amount received
    advances: list[AdvanceInvoice] = Field(default_factory=list)  # ROZ: advances settled
    third_parties: list[ThirdParty] = Field(default_factory=list)
    jst: bool = False
    gv: bool = False
    notes: list[tuple[str, str]] = Field(default_factory=list)  # DodatkowyOpis key/value
    created_at: datetime | None = None  # DataWytworzeniaFa; default: the issue date, 08:00 UTC
    system_info: str = Field(default="ksef-sheets", max_length=256)

    @classmethod
    def from_data(cls, data: dict[str, Any], *, source: str = "faktura") -> SalesInvoice:
        """Build from plain data (a workbook row, JSON); a problem becomes one Polish ``UserError``."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise UserError(f"Faktura {source}: {describe_validation_error(exc)}") from None


_PL_FIELDS = {
    "number": "numer faktury",
    "issue_date": "data wystawienia",
    "seller": "sprzedawca",
    "buyer": "nabywca",
    "lines": "pozycje",
    "name": "nazwa",
    "nip": "NIP",
    "unit_price": "cena jednostkowa netto",
    "quantity": "ilość",
    "rate": "stawka VAT",
    "currency": "waluta",
    "payment": "płatność",
    "bank_account": "numer rachunku",
}


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = " → ".join(
            f"pozycja {int(x) + 1}" if isinstance(x, int) else _PL_FIELDS.get(str(x), str(x))
            for x in err["loc"]
        )
        msg = str(err.get("msg", ""))
        msg = msg.removeprefix("Value error, ")
        if err.get("type") == "missing":
            msg = "brak wymaganej wartości"
        parts.append(f"{loc}: {msg}" if loc else msg)
    text = "; ".join(parts)
    return text if text.endswith(".") else text + "."
