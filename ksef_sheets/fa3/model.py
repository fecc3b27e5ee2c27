"""The typed FA(3) invoice: what an accounting office needs from the XML, as plain dataclasses.

Money is ``Decimal`` (never float), dates are ``date``. Everything the XSD makes optional is
optional here too, and so is everything a malformed invoice might lack: the reader never crashes on
a missing or unknown part, it leaves the field ``None`` (the validator reports the problem).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ksef_sheets.fa3.rates import BUCKET_BY_KEY


@dataclass(frozen=True)
class Header:
    form_code: str | None  # KodFormularza, "FA"
    system_code: str | None  # @kodSystemowy, "FA (3)"
    schema_version: str | None  # @wersjaSchemy, "1-0E"
    variant: str | None  # WariantFormularza, "3"
    created_at: datetime | None  # DataWytworzeniaFa
    system_info: str | None  # SystemInfo


@dataclass(frozen=True)
class Address:
    country: str | None
    line1: str | None
    line2: str | None = None

    def text(self) -> str:
        return ", ".join(x for x in (self.line1, self.line2, self.country) if x)


@dataclass(frozen=True)
class Entity:
    """A party: seller (Podmiot1), buyer (Podmiot2), third party (Podmiot3), or authorised subject."""

    name: str | None = None
    nip: str | None = None
    eu_code: str | None = None  # KodUE
    eu_vat: str | None = None  # NrVatUE
    country_code: str | None = None  # KodKraju beside NrID
    tax_id: str | None = None  # NrID
    internal_id: str | None = None  # IDWew (Podmiot3 only)
    no_id: bool = False  # BrakID = 1
    address: Address | None = None
    email: str | None = None
    phone: str | None = None

    @property
    def identifier(self) -> str | None:
        """NIP, or the EU VAT number with its country code, or the other tax ID; None when there is none."""
        if self.nip:
            return self.nip
        if self.eu_vat:
            return f"{self.eu_code or ''}{self.eu_vat}"
        if self.internal_id:
            return self.internal_id
        return self.tax_id

    @property
    def identifier_type(self) -> str:
        """KSeF's vocabulary (``buyerIdentifier.type``): Nip, VatUe, InternalId, Other or None."""
        if self.nip:
            return "Nip"
        if self.eu_vat:
            return "VatUe"
        if self.internal_id:
            return "InternalId"
        if self.tax_id:
            return "Other"
        return "None"


@dataclass(frozen=True)
class Seller(Entity):
    vat_prefix: str | None = None  # PrefiksPodatnika
    status: int | None = None  # StatusInfoPodatnika: 1 likwidacja, 2 restrukturyzacja, 3 upadłość, 4 spadek


@dataclass(frozen=True)
class Buyer(Entity):
    jst: bool | None = None  # JST = 1: invoice for a subordinate unit of local government
    gv: bool | None = None  # GV = 1: invoice for a VAT-group member
    customer_number: str | None = None  # NrKlienta


THIRD_PARTY_ROLES = {
    1: "faktor",
    2: "odbiorca",
    3: "podmiot pierwotny",
    4: "dodatkowy nabywca",
    5: "wystawca faktury",
    6: "dokonujący płatności",
    7: "JST — wystawca",
    8: "JST — odbiorca",
    9: "członek grupy VAT — wystawca",
    10: "członek grupy VAT — odbiorca",
    11: "pracownik",
}


@dataclass(frozen=True)
class ThirdParty:
    entity: Entity
    role: int | None  # Rola 1..11, see THIRD_PARTY_ROLES
    other_role: str | None = None  # OpisRoli when RolaInna = 1
    share: Decimal | None = None  # Udzial (%)

    @property
    def role_label(self) -> str:
        if self.role is not None:
            return THIRD_PARTY_ROLES.get(self.role, str(self.role))
        return self.other_role or "inna rola"


@dataclass(frozen=True)
class VatBucket:
    """One rate bucket of the summary: P_13_x (net), P_14_x (VAT), P_14_xW (VAT in PLN)."""

    key: str  # "1", "2", ... "6_1", "10"
    net: Decimal | None
    vat: Decimal | None = None
    vat_pln: Decimal | None = None

    @property
    def label(self) -> str:
        return BUCKET_BY_KEY[self.key].label


@dataclass(frozen=True)
class Line:
    number: int | None  # NrWierszaFa
    name: str | None  # P_7
    unit: str | None = None  # P_8A
    quantity: Decimal | None = None  # P_8B
    unit_net_price: Decimal | None = None  # P_9A
    unit_gross_price: Decimal | None = None  # P_9B
    discount: Decimal | None = None  # P_10
    net: Decimal | None = None  # P_11
    gross: Decimal | None = None  # P_11A
    vat: Decimal | None = None  # P_11Vat
    rate: str | None = None  # P_12 code
    oss_rate: Decimal | None = None  # P_12_XII
    annex15: bool = False  # P_12_Zal_15
    gtu: str | None = None
    procedure: str | None = None
    exchange_rate: Decimal | None = None  # KursWaluty
    before_correction: bool = False  # StanPrzed
    sale_date: date | None = None  # P_6A
    index: str | None = None
    gtin: str | None = None
    pkwiu: str | None = None
    cn: str | None = None
    uu_id: str | None = None


@dataclass(frozen=True)
class CorrectedInvoiceRef:
    issue_date: date | None
    number: str | None
    ksef_number: str | None  # NrKSeFFaKorygowanej; None when the original was issued outside KSeF


@dataclass(frozen=True)
class CorrectionInfo:
    reason: str | None  # PrzyczynaKorekty
    type: int | None  # TypKorekty: 1 original's period, 2 correction's date, 3 another date
    corrected: tuple[CorrectedInvoiceRef, ...]
    period: str | None = None  # OkresFaKorygowanej
    corrected_number_fix: str | None = None  # NrFaKorygowany (a corrected wrong number)


@dataclass(frozen=True)
class AdvanceRef:
    ksef_number: str | None
    number: str | None


@dataclass(frozen=True)
class BankAccount:
    number: str
    swift: str | None = None
    bank_name: str | None = None
    description: str | None = None
    factor: bool = False  # RachunekBankowyFaktora


@dataclass(frozen=True)
class PartialPayment:
    amount: Decimal | None
    paid_on: date | None
    method: int | None = None


PAYMENT_METHODS = {
    1: "gotówka",
    2: "karta",
    3: "bon",
    4: "czek",
    5: "kredyt",
    6: "przelew",
    7: "mobilna",
}


@dataclass(frozen=True)
class PaymentInfo:
    paid: bool = False  # Zaplacono = 1
    paid_on: date | None = None  # DataZaplaty
    partial: tuple[PartialPayment, ...] = ()
    due_dates: tuple[date, ...] = ()  # TerminPlatnosci/Termin
    due_descriptions: tuple[str, ...] = ()  # TerminOpis, as text
    method: int | None = None  # FormaPlatnosci
    other_method: str | None = None  # OpisPlatnosci
    accounts: tuple[BankAccount, ...] = ()
    discount: str | None = None  # Skonto
    link: str | None = None  # LinkDoPlatnosci
    ksef_payment_id: str | None = None  # IPKSeF

    @property
    def method_label(self) -> str | None:
        if self.method is not None:
            return PAYMENT_METHODS.get(self.method, str(self.method))
        return self.other_method

    @property
    def due_date(self) -> date | None:
        return min(self.due_dates) if self.due_dates else None


@dataclass(frozen=True)
class Annotations:
    cash_method: bool = False  # P_16
    self_billing: bool = False  # P_17
    reverse_charge: bool = False  # P_18
    split_payment: bool = False  # P_18A
    exempt: bool = False  # Zwolnienie/P_19
    exemption_basis: str | None = None  # P_19A (act), P_19B (directive), P_19C (other)
    new_transport: bool = False  # NoweSrodkiTransportu/P_22
    triangular: bool = False  # P_23
    margin: bool = False  # PMarzy/P_PMarzy
    margin_kind: str | None = None  # P_PMarzy_2 / _3_1 / _3_2 / _3_3


@dataclass(frozen=True)
class Invoice:
    header: Header
    seller: Seller
    buyer: Buyer
    third_parties: tuple[ThirdParty, ...] = ()
    authorized: Entity | None = None  # PodmiotUpowazniony
    authorized_role: int | None = None
    kind: str | None = None  # RodzajFaktury: VAT, KOR, ZAL, ROZ, UPR, KOR_ZAL, KOR_ROZ
    number: str | None = None  # P_2
    issue_date: date | None = None  # P_1
    place: str | None = None  # P_1M
    sale_date: date | None = None  # P_6
    period_from: date | None = None  # OkresFa/P_6_Od
    period_to: date | None = None  # OkresFa/P_6_Do
    currency: str | None = None  # KodWaluty
    buckets: tuple[VatBucket, ...] = ()  # only the buckets present on the invoice
    total: Decimal | None = None  # P_15
    total_text: str | None = None  # P_15 exactly as written in the XML
    advance_exchange_rate: Decimal | None = None  # KursWalutyZ
    annotations: Annotations = field(default_factory=Annotations)
    correction: CorrectionInfo | None = None
    advances: tuple[AdvanceRef, ...] = ()  # FakturaZaliczkowa
    lines: tuple[Line, ...] = ()
    order_value: Decimal | None = None  # Zamowienie/WartoscZamowienia (advance invoices)
    order_lines: tuple[Line, ...] = ()  # Zamowienie/ZamowienieWiersz (advance invoices)
    payment: PaymentInfo | None = None
    receipt_invoice: bool = False  # FP: invoice to a receipt
    related_parties: bool = False  # TP
    notes: tuple[tuple[str, str], ...] = ()  # DodatkowyOpis
    krs: str | None = None
    regon: str | None = None
    bdo: str | None = None
    has_attachment: bool = False  # Zalacznik

    @property
    def is_correction(self) -> bool:
        return self.kind in ("KOR", "KOR_ZAL", "KOR_ROZ")

    @property
    def split_payment(self) -> bool:
        return self.annotations.split_payment

    def bucket(self, key: str) -> VatBucket | None:
        return next((b for b in self.buckets if b.key == key), None)

    @property
    def net_total(self) -> Decimal | None:
        """Sum of the P_13_x fields (invoice currency); None when the invoice has none."""
        values = [b.net for b in self.buckets if b.net is not None]
        return sum(values, Decimal("0.00")) if values else None

    @property
    def vat_total(self) -> Decimal | None:
        """Sum of the P_14_x fields (invoice currency); None when the invoice has none."""
        values = [b.vat for b in self.buckets if b.vat is not None]
        return sum(values, Decimal("0.00")) if values else None

    @property
    def exchange_rate(self) -> Decimal | None:
        """The invoice's rate: KursWalutyZ, else the rate shared by all lines; None in PLN or when lines differ."""
        if self.currency == "PLN":
            return Decimal(1)
        if self.advance_exchange_rate is not None:
            return self.advance_exchange_rate
        rates = {ln.exchange_rate for ln in self.lines if ln.exchange_rate is not None}
        return rates.pop() if len(rates) == 1 else None
