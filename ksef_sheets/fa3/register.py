"""One invoice, one row: the register columns offices use (DOMAIN.md §6.1).

Amounts per rate are given in the invoice currency and in PLN. PLN comes from the invoice's own
rate: ``KursWalutyZ`` or the ``KursWaluty`` shared by its lines; when the lines carry different
rates, the lines of each rate are converted at their own rates; failing that, the rate implied by
P_14_xW / P_14_x. VAT in PLN is taken from the ``P_14_xW`` fields when present (they are what the
seller declared). ``ksef_number`` is not in the XML: the caller fills it from KSeF metadata.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ksef_sheets.fa3.model import Invoice
from ksef_sheets.fa3.rates import RATE_CODES, money

# bucket key -> column suffix
_SUFFIX = {
    "1": "23",
    "2": "8",
    "3": "5",
    "4": "taxi",
    "5": "oss",
    "6_1": "0_kr",
    "6_2": "0_wdt",
    "6_3": "0_ex",
    "7": "zw",
    "8": "np",
    "9": "np_art100",
    "10": "oo",
    "11": "marza",
}
_WITH_VAT = ("1", "2", "3", "4", "5")


@dataclass(frozen=True)
class RegisterRow:
    ksef_number: str | None
    form: str | None  # "FA (3)"
    kind: str | None  # RodzajFaktury
    number: str | None  # P_2
    issue_date: date | None  # P_1
    place: str | None  # P_1M
    sale_date: date | None  # P_6, or the end of OkresFa
    seller_nip: str | None
    seller_name: str | None
    buyer_id: str | None  # NIP, EU VAT number with its country code, or another tax ID
    buyer_id_type: str  # Nip, VatUe, Other, None
    buyer_name: str | None
    currency: str | None
    exchange_rate: Decimal | None  # None when the lines carry different rates
    # invoice currency
    net_23: Decimal | None = None
    vat_23: Decimal | None = None
    net_8: Decimal | None = None
    vat_8: Decimal | None = None
    net_5: Decimal | None = None
    vat_5: Decimal | None = None
    net_taxi: Decimal | None = None
    vat_taxi: Decimal | None = None
    net_oss: Decimal | None = None
    vat_oss: Decimal | None = None
    net_0_kr: Decimal | None = None
    net_0_wdt: Decimal | None = None
    net_0_ex: Decimal | None = None
    net_zw: Decimal | None = None
    net_np: Decimal | None = None
    net_np_art100: Decimal | None = None
    net_oo: Decimal | None = None
    net_marza: Decimal | None = None
    net_total: Decimal | None = None
    vat_total: Decimal | None = None
    gross_total: Decimal | None = None  # P_15
    # PLN
    net_23_pln: Decimal | None = None
    vat_23_pln: Decimal | None = None
    net_8_pln: Decimal | None = None
    vat_8_pln: Decimal | None = None
    net_5_pln: Decimal | None = None
    vat_5_pln: Decimal | None = None
    net_taxi_pln: Decimal | None = None
    vat_taxi_pln: Decimal | None = None
    net_oss_pln: Decimal | None = None
    vat_oss_pln: Decimal | None = None
    net_0_kr_pln: Decimal | None = None
    net_0_wdt_pln: Decimal | None = None
    net_0_ex_pln: Decimal | None = None
    net_zw_pln: Decimal | None = None
    net_np_pln: Decimal | None = None
    net_np_art100_pln: Decimal | None = None
    net_oo_pln: Decimal | None = None
    net_marza_pln: Decimal | None = None
    net_total_pln: Decimal | None = None
    vat_total_pln: Decimal | None = None
    gross_total_pln: Decimal | None = None
    # annotations, correction, payment
    split_payment: bool = False  # P_18A, MPP
    cash_method: bool = False  # P_16
    self_billing: bool = False  # P_17
    reverse_charge: bool = False  # P_18
    exemption_basis: str | None = None
    receipt_invoice: bool = False  # FP
    related_parties: bool = False  # TP
    gtu: str = ""  # "GTU_02, GTU_06"
    procedures: str = ""
    correction_type: int | None = None
    correction_reason: str | None = None
    corrected_numbers: str = ""
    corrected_ksef_numbers: str = ""
    advance_ksef_numbers: str = ""
    due_date: date | None = None
    paid: bool = False
    paid_on: date | None = None
    payment_method: str | None = None
    bank_account: str | None = None
    third_parties: str = ""  # "8 JST — odbiorca: 1234567890"
    has_attachment: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        return data


# Polish column headers for workbooks, in register order.
REGISTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ksef_number", "Numer KSeF"),
    ("kind", "Rodzaj"),
    ("number", "Numer faktury"),
    ("issue_date", "Data wystawienia"),
    ("sale_date", "Data sprzedaży"),
    ("seller_nip", "NIP sprzedawcy"),
    ("seller_name", "Sprzedawca"),
    ("buyer_id", "Identyfikator nabywcy"),
    ("buyer_name", "Nabywca"),
    ("currency", "Waluta"),
    ("exchange_rate", "Kurs"),
    ("net_23", "Netto 23%"),
    ("vat_23", "VAT 23%"),
    ("net_8", "Netto 8%"),
    ("vat_8", "VAT 8%"),
    ("net_5", "Netto 5%"),
    ("vat_5", "VAT 5%"),
    ("net_taxi", "Netto taksówki"),
    ("vat_taxi", "VAT taksówki"),
    ("net_oss", "Netto OSS"),
    ("vat_oss", "VAT OSS"),
    ("net_0_kr", "Netto 0% kraj"),
    ("net_0_wdt", "Netto 0% WDT"),
    ("net_0_ex", "Netto 0% eksport"),
    ("net_zw", "Netto zw"),
    ("net_np", "Netto np"),
    ("net_np_art100", "Netto np art. 100"),
    ("net_oo", "Netto odwrotne obciążenie"),
    ("net_marza", "Netto marża"),
    ("net_total", "Netto razem"),
    ("vat_total", "VAT razem"),
    ("gross_total", "Brutto (P_15)"),
    ("net_total_pln", "Netto razem PLN"),
    ("vat_total_pln", "VAT razem PLN"),
    ("gross_total_pln", "Brutto PLN"),
    ("split_payment", "MPP"),
    ("cash_method", "Metoda kasowa"),
    ("self_billing", "Samofakturowanie"),
    ("reverse_charge", "Odwrotne obciążenie"),
    ("gtu", "GTU"),
    ("procedures", "Procedury"),
    ("correction_type", "Typ korekty"),
    ("corrected_numbers", "Faktura korygowana"),
    ("corrected_ksef_numbers", "Numer KSeF faktury korygowanej"),
    ("due_date", "Termin płatności"),
    ("paid", "Zapłacono"),
    ("payment_method", "Forma płatności"),
    ("bank_account", "Rachunek"),
)


def _bucket_rate(invoice: Invoice, key: str, rate: Decimal | None) -> Decimal | None:
    """The PLN rate of one bucket; ``rate`` is ``invoice.exchange_rate``, worked out once per invoice."""
    if invoice.currency in (None, "PLN"):
        return Decimal(1)
    if rate is not None:
        return rate
    lines = [
        ln
        for ln in invoice.lines
        if ln.rate in RATE_CODES and RATE_CODES[ln.rate][0] == key and ln.net and ln.exchange_rate
    ]
    base = sum((ln.net for ln in lines if ln.net), Decimal(0))
    if base:
        return (
            sum((ln.net * ln.exchange_rate for ln in lines if ln.net and ln.exchange_rate), Decimal(0)) / base
        )
    bucket = invoice.bucket(key)
    if bucket and bucket.vat and bucket.vat_pln:
        return bucket.vat_pln / bucket.vat
    return None


def to_register_row(invoice: Invoice, *, ksef_number: str | None = None) -> RegisterRow:
    values: dict[str, Any] = {}
    net_pln_sum: Decimal | None = None
    vat_pln_sum: Decimal | None = None
    complete = True
    invoice_rate = invoice.exchange_rate
    for b in invoice.buckets:
        suffix = _SUFFIX[b.key]
        rate = _bucket_rate(invoice, b.key, invoice_rate)
        values[f"net_{suffix}"] = b.net
        if b.net is not None:
            if rate is None:
                complete = False
            else:
                pln = money(b.net * rate)
                values[f"net_{suffix}_pln"] = pln
                net_pln_sum = (net_pln_sum or Decimal("0.00")) + pln
        if b.key in _WITH_VAT:
            values[f"vat_{suffix}"] = b.vat
            vat_pln = b.vat_pln if invoice.currency != "PLN" else b.vat
            if vat_pln is None and b.vat is not None and rate is not None:
                vat_pln = money(b.vat * rate)
            if vat_pln is None and b.vat is not None:
                complete = False
            values[f"vat_{suffix}_pln"] = vat_pln
            if vat_pln is not None:
                vat_pln_sum = (vat_pln_sum or Decimal("0.00")) + vat_pln
    if complete and (net_pln_sum is not None or vat_pln_sum is not None):
        values["net_total_pln"] = net_pln_sum
        values["vat_total_pln"] = vat_pln_sum
        values["gross_total_pln"] = (net_pln_sum or Decimal(0)) + (vat_pln_sum or Decimal(0))
    if invoice.currency in (None, "PLN") and invoice.total is not None:
        values["gross_total_pln"] = invoice.total

    corr = invoice.correction
    pay = invoice.payment
    account = pay.accounts[0].number if pay and pay.accounts else None
    # One construction with the per-bucket values (a frozen dataclass of ~90 fields is not cheap to build).
    return RegisterRow(
        ksef_number=ksef_number,
        form=invoice.header.system_code,
        kind=invoice.kind,
        number=invoice.number,
        issue_date=invoice.issue_date,
        place=invoice.place,
        sale_date=invoice.sale_date or invoice.period_to,
        seller_nip=invoice.seller.nip,
        seller_name=invoice.seller.name,
        buyer_id=invoice.buyer.identifier,
        buyer_id_type=invoice.buyer.identifier_type,
        buyer_name=invoice.buyer.name,
        currency=invoice.currency,
        exchange_rate=invoice_rate,
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        gross_total=invoice.total,
        split_payment=invoice.annotations.split_payment,
        cash_method=invoice.annotations.cash_method,
        self_billing=invoice.annotations.self_billing,
        reverse_charge=invoice.annotations.reverse_charge,
        exemption_basis=invoice.annotations.exemption_basis,
        receipt_invoice=invoice.receipt_invoice,
        related_parties=invoice.related_parties,
        gtu=", ".join(sorted({ln.gtu for ln in invoice.lines if ln.gtu})),
        procedures=", ".join(sorted({ln.procedure for ln in invoice.lines if ln.procedure})),
        correction_type=corr.type if corr else None,
        correction_reason=corr.reason if corr else None,
        corrected_numbers=", ".join(c.number for c in corr.corrected if c.number) if corr else "",
        corrected_ksef_numbers=", ".join(c.ksef_number for c in corr.corrected if c.ksef_number)
        if corr
        else "",
        advance_ksef_numbers=", ".join(a.ksef_number or a.number or "" for a in invoice.advances),
        due_date=pay.due_date if pay else None,
        paid=bool(pay and pay.paid),
        paid_on=pay.paid_on if pay else None,
        payment_method=pay.method_label if pay else None,
        bank_account=account,
        third_parties="; ".join(
            f"{tp.role_label}: {tp.entity.identifier or tp.entity.name or '—'}"
            for tp in invoice.third_parties
        ),
        has_attachment=invoice.has_attachment,
        **values,
    )
