"""Deterministic, realistic FA(3) invoices for the emulator's seeding, demos and tests.

Everything random comes from the ``random.Random`` passed in, so a seed always gives the same bytes.
Every invoice is built by ``build_invoice_xml`` and therefore validated against the XSD and the
business rules before it is returned.

``generate_mix`` produces the mix of DOMAIN.md §8.1 for one seller and its counterparties (the
buyers): several VAT rates including exempt, "np" and domestic reverse charge (P_13_10), EUR
invoices with KursWaluty and the P_14_xW fields (about a fifth), corrections (KOR, TypKorekty 1 or
2) of earlier invoices of the mix, an advance (ZAL) and its settlement (ROZ), split payment (MPP)
above 15,000 PLN for Annex 15 goods, one consumer without a NIP and one EU buyer. Marking an
invoice as issued offline is the emulator's business (its acceptance date), not the XML's.

To seed purchases of a client, call it with the supplier as ``seller`` and the client among the
``counterparties``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ksef_sheets.fa3.builder import build_invoice_xml, compute_totals
from ksef_sheets.fa3.sales import (
    AdvanceInvoice,
    CorrectedInvoice,
    Correction,
    InvoiceKind,
    Party,
    Payment,
    SalesInvoice,
    SalesLine,
)

__all__ = ["SAMPLE_BANK_ACCOUNTS", "Party", "generate_invoice", "generate_mix", "generate_sales_invoice"]


@dataclass(frozen=True)
class _Item:
    name: str
    unit: str
    low: int  # net unit price range in PLN
    high: int
    rate: str
    gtu: str | None = None
    annex15: bool = False
    qty: tuple[int, int] = (1, 10)


_DOMESTIC: tuple[_Item, ...] = (
    _Item("Usługa programistyczna", "godz.", 120, 260, "23", qty=(8, 160)),
    _Item("Konsultacje wdrożeniowe", "godz.", 150, 300, "23", qty=(2, 40)),
    _Item("Abonament oprogramowania księgowego", "mies.", 89, 399, "23", qty=(1, 12)),
    _Item("Usługa księgowa — pełna księgowość", "mies.", 600, 2500, "23", qty=(1, 1)),
    _Item("Transport drogowy towarów", "usł.", 800, 6500, "23", qty=(1, 4)),
    _Item("Olej napędowy ON", "l", 5, 7, "23", gtu="GTU_02", qty=(100, 1500)),
    _Item("Opony zimowe 205/55 R16", "szt.", 260, 480, "23", qty=(4, 16)),
    _Item("Wymiana oleju z filtrem", "usł.", 180, 420, "23", qty=(1, 3)),
    _Item("Roboty tynkarskie", "m2", 35, 80, "23", annex15=True, qty=(20, 250)),
    _Item("Montaż instalacji elektrycznej", "usł.", 4000, 26000, "23", annex15=True, qty=(1, 1)),
    _Item("Pręty stalowe zbrojeniowe fi 12", "t", 3200, 4100, "23", annex15=True, qty=(1, 5)),
    _Item("Smartfon Galaxy A55", "szt.", 1100, 1900, "23", gtu="GTU_06", annex15=True, qty=(1, 6)),
    _Item("Papier ksero A4 500 ark.", "ryza", 14, 24, "23", qty=(5, 100)),
    _Item("Kampania reklamowa w mediach społecznościowych", "usł.", 2000, 18000, "23", qty=(1, 1)),
    _Item("Usługa gastronomiczna — catering", "os.", 45, 120, "8", qty=(10, 120)),
    _Item("Nocleg w hotelu", "doba", 220, 480, "8", qty=(1, 14)),
    _Item("Chleb żytni 500 g", "szt.", 4, 9, "5", qty=(20, 400)),
    _Item("Mleko 3,2% 1 l", "szt.", 3, 5, "5", qty=(24, 600)),
    _Item("Książka — poradnik podatkowy", "szt.", 45, 120, "5", qty=(1, 20)),
    _Item("Szkolenie zawodowe z obsługi KSeF", "os.", 300, 900, "zw", qty=(1, 15)),
    _Item("Konsultacja lekarska (medycyna pracy)", "usł.", 150, 350, "zw", qty=(1, 30)),
)
_EXEMPTION = "art. 43 ust. 1 pkt 29 lit. c oraz pkt 19 ustawy o VAT"
_REVERSE_CHARGE = _Item(
    "Przeniesienie uprawnień do emisji gazów cieplarnianych", "t CO2", 300, 420, "oo", qty=(50, 900)
)
_EU_GOODS = _Item("Naczepa chłodnicza — części zamienne", "kpl.", 900, 5200, "0 WDT", qty=(1, 6))
_EU_SERVICES = _Item("Usługa projektowa (art. 28b)", "usł.", 2500, 16000, "np II", qty=(1, 1))
_EXPORT = _Item("Maszyna pakująca — eksport", "szt.", 15000, 60000, "0 EX", qty=(1, 2))

_EU_BUYER = Party(
    name="Müller Logistik GmbH",
    eu_code="DE",
    eu_vat="811234567",
    country="DE",
    address1="Hafenstraße 12",
    address2="20457 Hamburg",
)
_CONSUMER = Party(name="Jan Kowalski", country="PL", address1="ul. Lipowa 7/3", address2="30-001 Kraków")
_BANKS = (
    "PKO Bank Polski S.A.",
    "Bank Pekao S.A.",
    "mBank S.A.",
    "ING Bank Śląski S.A.",
    "Santander Bank Polska S.A.",
)
# Fictional NRB numbers with valid check digits, for a seller whose ``Party`` brings no account
# (a caller with real or demo accounts puts them on the party: ``Party(bank_account=...)``).
SAMPLE_BANK_ACCOUNTS: tuple[str, ...] = (
    "73102010260940909620737689",
    "18114020045829101226066407",
    "47105010092855692187665772",
    "39124060037070115660532917",
    "31109010148874472003245415",
)
_CITIES = ("Warszawa", "Kraków", "Poznań", "Wrocław", "Gdańsk", "Łódź", "Lublin")


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


# Plausible NBP mid-rate ranges (PLN per unit, in ten-thousandths) for 2026.
_RATE_RANGES = {
    "EUR": (41800, 43600),
    "USD": (35500, 40500),
    "GBP": (48500, 52000),
    "CHF": (44000, 47500),
    "CZK": (1650, 1760),
}


def _exchange_rate(rng: random.Random, currency: str) -> Decimal:
    low, high = _RATE_RANGES.get(currency, (10000, 50000))
    return Decimal(rng.randint(low, high)) / 10000


def _lines_from(rng: random.Random, items: Sequence[_Item], count: int) -> list[SalesLine]:
    chosen = [rng.choice(items) for _ in range(count)]
    return [
        SalesLine(
            name=item.name,
            unit=item.unit,
            quantity=Decimal(rng.randint(*item.qty)),
            unit_price=_money(rng, item.low, item.high),
            rate=item.rate,
            gtu=item.gtu,
            annex15=item.annex15,
        )
        for item in chosen
    ]


def _seller_account(rng: random.Random, seller: Party) -> str:
    if seller.bank_account:
        return seller.bank_account
    return SAMPLE_BANK_ACCOUNTS[int(seller.nip or "0") % len(SAMPLE_BANK_ACCOUNTS)]


def _with_address(rng: random.Random, party: Party) -> Party:
    if party.address1:
        return party
    city = _CITIES[sum(map(ord, party.name)) % len(_CITIES)]
    street = ("Polna", "Lipowa", "Przemysłowa", "Długa", "Kwiatowa", "Słoneczna")[len(party.name) % 6]
    return party.model_copy(
        update={
            "address1": f"ul. {street} {len(party.name) % 90 + 1}",
            "address2": f"00-{len(party.name):03d} {city}",
        }
    )


def generate_sales_invoice(
    rng: random.Random,
    *,
    seller: Party,
    buyer: Party | None,
    issue_date: date,
    kind: str = "VAT",
    currency: str = "PLN",
    number: str,
    corrects: SalesInvoice | None = None,
    corrected_ksef_number: str | None = None,
    correction_type: int = 1,
    advance: SalesInvoice | None = None,
    advance_ksef_number: str | None = None,
    lines: Sequence[SalesLine] | None = None,
    exchange_rate: Decimal | None = None,
    split_payment: bool | None = None,
    reverse_charge: bool = False,
) -> SalesInvoice:
    """The typed invoice behind ``generate_invoice`` (useful when a later invoice refers to it)."""
    seller = _with_address(rng, seller)
    buyer = _with_address(rng, buyer) if buyer is not None else None
    if currency != "PLN" and exchange_rate is None:
        exchange_rate = _exchange_rate(rng, currency)
    foreign_buyer = buyer is not None and buyer.eu_code is not None and buyer.eu_code != "PL"

    kind_t: InvoiceKind = kind  # type: ignore[assignment]
    correction: Correction | None = None
    advances: list[AdvanceInvoice] = []
    advance_gross: Decimal | None = None
    notes: list[tuple[str, str]] = []

    if kind in ("KOR", "KOR_ROZ"):
        if corrects is None:
            raise ValueError("a correction needs the corrected invoice (corrects=...)")
        seller, buyer = corrects.seller, corrects.buyer
        currency, exchange_rate = corrects.currency, corrects.exchange_rate
        base = [ln for ln in corrects.lines if not ln.before_correction]
        idx = rng.randrange(len(base))
        original = base[idx]
        if rng.random() < 0.5 and int(original.quantity) > 1:
            returned = Decimal(rng.randint(1, int(original.quantity) - 1))
            after = original.model_copy(update={"quantity": original.quantity - returned, "net": None})
            reason = f"zwrot {returned} {original.unit or 'szt.'} towaru"
        else:
            cut = Decimal(rng.choice((5, 10, 15, 20))) / 100
            after = original.model_copy(
                update={
                    "unit_price": (original.unit_price * (1 - cut)).quantize(Decimal("0.01")),
                    "net": None,
                }
            )
            reason = f"rabat {int(cut * 100)}% udzielony po sprzedaży"
        new_lines = [original.model_copy(update={"before_correction": True}), after]
        correction = Correction(
            reason=reason,
            type=correction_type,
            corrected=[
                CorrectedInvoice(
                    number=corrects.number, issue_date=corrects.issue_date, ksef_number=corrected_ksef_number
                )
            ],
        )
        if corrects.kind == "ROZ":
            kind_t = "KOR_ROZ"
    elif kind == "ROZ":
        if advance is None:
            raise ValueError("a settlement invoice needs its advance invoice (advance=...)")
        seller, buyer = advance.seller, advance.buyer
        currency, exchange_rate = advance.currency, advance.exchange_rate
        new_lines = list(advance.lines)
        gross = advance.advance_gross or Decimal(0)
        advances = [
            AdvanceInvoice(
                ksef_number=advance_ksef_number,
                number=None if advance_ksef_number else advance.number,
                gross=gross,
            )
        ]
        notes = [
            (
                "Rozliczenie zaliczki",
                f"faktura zaliczkowa {advance.number} z {advance.issue_date.isoformat()}",
            )
        ]
    elif lines is not None:
        new_lines = list(lines)
    elif reverse_charge:
        new_lines = _lines_from(rng, (_REVERSE_CHARGE,), 1)
    elif foreign_buyer:
        new_lines = _lines_from(
            rng, (_EU_GOODS,) if rng.random() < 0.5 else (_EU_SERVICES,), rng.randint(1, 3)
        )
        if len({ln.rate for ln in new_lines}) > 1:
            new_lines = new_lines[:1]
    else:
        # Annex 15 goods (construction, steel, phones) appear on about one invoice in five.
        catalogue = _DOMESTIC if rng.random() < 0.2 else tuple(it for it in _DOMESTIC if not it.annex15)
        new_lines = _lines_from(rng, catalogue, rng.choice((1, 1, 2, 2, 3, 4, 6)))

    if currency != "PLN" and lines is None and kind not in ("KOR", "KOR_ROZ", "ROZ") and exchange_rate:
        # Catalogue prices are in PLN; a foreign-currency invoice quotes them in its own currency.
        new_lines = [
            ln.model_copy(
                update={
                    "unit_price": max(
                        (ln.unit_price / exchange_rate).quantize(Decimal("0.01")), Decimal("0.01")
                    )
                }
            )
            for ln in new_lines
        ]
    if kind == "ZAL":
        order = SalesInvoice(
            number=number,
            issue_date=issue_date,
            seller=seller,
            buyer=buyer,
            lines=new_lines,
            currency=currency,
            exchange_rate=exchange_rate,
            exemption_basis=_EXEMPTION,
        )
        total = compute_totals(order).gross
        advance_gross = (total * Decimal(rng.choice((20, 30, 40, 50))) / 100).quantize(Decimal("0.01"))
        notes = [("Wartość zamówienia brutto", f"{total:.2f} {currency}")]

    draft = SalesInvoice(
        number=number,
        issue_date=issue_date,
        kind=kind_t,
        seller=seller,
        buyer=buyer,
        currency=currency,
        exchange_rate=exchange_rate,
        lines=new_lines,
        exemption_basis=_EXEMPTION if any(ln.rate == "zw" for ln in new_lines) else None,
        correction=correction,
        advances=advances,
        advance_gross=advance_gross,
        notes=notes,
        place=seller.address2.split(" ", 1)[-1] if seller.address2 else None,
        sale_date=issue_date - timedelta(days=rng.choice((0, 0, 0, 1, 2, 5)))
        if kind in ("VAT", "ROZ")
        else None,
    )
    gross = compute_totals(draft).gross
    rate = exchange_rate or Decimal(1)
    gross_pln = gross * rate
    annex15 = any(ln.annex15 for ln in new_lines)
    if split_payment is None:
        split_payment = annex15 and gross_pln > 15000 and kind not in ("KOR", "KOR_ZAL", "KOR_ROZ")
    paid_now = kind == "ZAL" or (
        (buyer is None or buyer.nip is None) and not foreign_buyer and rng.random() < 0.7
    )
    payment = Payment(
        due_date=None if paid_now else issue_date + timedelta(days=rng.choice((7, 14, 14, 21, 30, 60))),
        paid_on=issue_date if paid_now else None,
        method=6 if not paid_now or rng.random() < 0.5 else rng.choice((1, 2)),
        bank_account=_seller_account(rng, seller),
        bank_name=seller.bank_name or _BANKS[int(seller.nip or "0") % len(_BANKS)],
    )
    if kind in ("KOR", "KOR_ROZ") and gross < 0:
        payment = Payment(method=6, bank_account=payment.bank_account, bank_name=payment.bank_name)
    return draft.model_copy(update={"split_payment": split_payment, "payment": payment})


def generate_invoice(
    rng: random.Random,
    *,
    seller: Party,
    buyer: Party | None,
    issue_date: date,
    kind: str = "VAT",
    currency: str = "PLN",
    number: str,
    corrects: SalesInvoice | bytes | None = None,
    corrected_ksef_number: str | None = None,
    correction_type: int = 1,
    advance: SalesInvoice | bytes | None = None,
    advance_ksef_number: str | None = None,
    lines: Sequence[SalesLine] | None = None,
    exchange_rate: Decimal | None = None,
    split_payment: bool | None = None,
    reverse_charge: bool = False,
) -> bytes:
    """One realistic, XSD-valid FA(3) invoice as bytes.

    ``kind``: VAT, ZAL (advance: order lines, 20–50% received), ROZ (needs ``advance``), KOR (needs
    ``corrects``: a returned quantity or a price cut shown as before/after rows), UPR. ``corrects`` and
    ``advance`` may be the ``SalesInvoice`` from ``generate_sales_invoice`` or an invoice's XML bytes.
    ``buyer=None`` issues to a consumer without data (BrakID). Pass the KSeF numbers the emulator gave
    to the referenced invoices, when known, as ``corrected_ksef_number`` / ``advance_ksef_number``.
    """
    return build_invoice_xml(
        generate_sales_invoice(
            rng,
            seller=seller,
            buyer=buyer,
            issue_date=issue_date,
            kind=kind,
            currency=currency,
            number=number,
            corrects=_as_sales(corrects),
            corrected_ksef_number=corrected_ksef_number,
            correction_type=correction_type,
            advance=_as_sales(advance),
            advance_ksef_number=advance_ksef_number,
            lines=lines,
            exchange_rate=exchange_rate,
            split_payment=split_payment,
            reverse_charge=reverse_charge,
        )
    )


def _as_sales(value: SalesInvoice | bytes | None) -> SalesInvoice | None:
    if value is None or isinstance(value, SalesInvoice):
        return value
    from ksef_sheets.fa3.convert import sales_invoice_from_xml

    return sales_invoice_from_xml(value)


def _spread_dates(rng: random.Random, start: date, end: date, count: int) -> list[date]:
    span = max((end - start).days, 0)
    days = sorted(rng.randint(0, span) for _ in range(count))
    return [start + timedelta(days=d) for d in days]


def generate_mix(
    rng: random.Random,
    seller: Party,
    counterparties: Sequence[Party],
    start: date,
    end: date,
    count: int,
) -> list[bytes]:
    """``count`` invoices of ``seller`` dated from ``start`` to ``end`` (sorted by date), the §8.1 mix."""
    return [
        build_invoice_xml(inv)
        for inv in generate_mix_invoices(rng, seller, counterparties, start, end, count)
    ]


def generate_mix_invoices(
    rng: random.Random,
    seller: Party,
    counterparties: Sequence[Party],
    start: date,
    end: date,
    count: int,
) -> list[SalesInvoice]:
    """The typed invoices behind ``generate_mix`` (same order)."""
    if count <= 0:
        return []
    buyers = [p for p in counterparties if p.nip != seller.nip] or [_CONSUMER]
    dates = _spread_dates(rng, start, end, count)
    slots: dict[int, str] = {}
    free = list(range(count))
    rng.shuffle(free)

    def take(label: str, at_least: int = 0) -> None:
        for i in list(free):
            if i >= at_least:
                free.remove(i)
                slots[i] = label
                return

    if count >= 4:
        take("consumer")
        take("eu")
    if count >= 8:
        take("zal", 0)
        zal_slot = next(i for i, v in slots.items() if v == "zal")
        take("roz", zal_slot + 1)
        take("reverse")
    n_kor = max(1 if count >= 5 else 0, count // 20)
    for _ in range(n_kor):
        take("kor", 1)
    for _ in range(count // 5):  # about a fifth in EUR
        take("eur")
    for _ in range(max(1 if count >= 6 else 0, count // 12)):
        take("mpp")

    invoices: list[SalesInvoice] = []
    seq: dict[tuple[str, int, int], int] = {}
    zal: SalesInvoice | None = None

    def number(prefix: str, d: date) -> str:
        key = (prefix, d.year, d.month)
        seq[key] = seq.get(key, 0) + 1
        return f"{prefix}/{seq[key]}/{d.month:02d}/{d.year}"

    for i, d in enumerate(dates):
        slot = slots.get(i, "vat")
        buyer: Party | None = rng.choice(buyers)
        prefix = {"zal": "FZ", "kor": "KOR"}.get(slot, "FV")
        inv: SalesInvoice | None = None
        if slot == "consumer":
            buyer = _CONSUMER
        elif slot == "eu":
            buyer = next((p for p in counterparties if p.eu_code and p.eu_code != "PL"), _EU_BUYER)
            inv = _gen(rng, seller, buyer, d, number(prefix, d), currency="EUR")
        elif slot == "eur":
            inv = _gen(rng, seller, buyer, d, number(prefix, d), currency="EUR")
        elif slot == "reverse":
            inv = _gen(rng, seller, buyer, d, number(prefix, d), reverse_charge=True)
        elif slot == "mpp":
            items = [it for it in _DOMESTIC if it.annex15 and it.high * it.qty[1] > 20000]
            big = _lines_from(rng, items, 2)
            first = big[0]
            qty = max(first.quantity, Decimal(15000) / first.unit_price // 1 + 1)
            big[0] = first.model_copy(update={"quantity": qty})
            inv = _gen(rng, seller, buyer, d, number(prefix, d), lines=big)
        elif slot == "zal":
            inv = zal = _gen(rng, seller, buyer, d, number(prefix, d), kind="ZAL")
        elif slot == "roz" and zal is not None:
            inv = _gen(rng, seller, buyer, d, number(prefix, d), kind="ROZ", advance=zal)
        elif slot == "kor":
            earlier = [x for x in invoices if x.kind == "VAT"]
            if earlier:
                target = rng.choice(earlier)
                inv = _gen(
                    rng,
                    seller,
                    target.buyer,
                    d,
                    number(prefix, d),
                    kind="KOR",
                    corrects=target,
                    correction_type=rng.choice((1, 2)),
                )
            else:
                prefix = "FV"
        if inv is None:
            inv = _gen(rng, seller, buyer, d, number(prefix, d))
        invoices.append(inv)
    return invoices


def _gen(
    rng: random.Random, seller: Party, buyer: Party | None, d: date, number: str, **options: Any
) -> SalesInvoice:
    return generate_sales_invoice(rng, seller=seller, buyer=buyer, issue_date=d, number=number, **options)
