"""The seeding generator: deterministic, always valid, and the DOMAIN.md §8.1 mix."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from ksef_sheets.demo_data import DEMO_CLIENTS
from ksef_sheets.fa3 import Party, generate_invoice, generate_mix, parse_invoice, validate_invoice
from ksef_sheets.fa3.generator import generate_mix_invoices

CLIENTS = [Party(name=c.name, nip=c.nip) for c in DEMO_CLIENTS]
START, END = date(2026, 4, 1), date(2026, 6, 30)


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    a = generate_mix(random.Random(7), CLIENTS[2], CLIENTS, START, END, 15)
    b = generate_mix(random.Random(7), CLIENTS[2], CLIENTS, START, END, 15)
    c = generate_mix(random.Random(8), CLIENTS[2], CLIENTS, START, END, 15)
    assert a == b and a != c


@pytest.mark.parametrize("seed", range(12))
def test_every_generated_invoice_validates(seed: int) -> None:
    seller = CLIENTS[seed % len(CLIENTS)]
    for xml in generate_mix(random.Random(seed), seller, CLIENTS, START, END, 30):
        report = validate_invoice(xml)
        assert report.problems == [], [p.describe() for p in report.problems]


def test_the_mix_has_what_an_office_sees() -> None:
    invoices = [parse_invoice(x) for x in generate_mix(random.Random(3), CLIENTS[4], CLIENTS, START, END, 60)]
    kinds = Counter(inv.kind for inv in invoices)
    assert kinds["VAT"] > 30 and kinds["KOR"] >= 3 and kinds["ZAL"] == 1 and kinds["ROZ"] == 1
    numbers = {inv.number: inv for inv in invoices}
    for kor in (inv for inv in invoices if inv.kind == "KOR"):
        assert kor.correction is not None and kor.correction.type in (1, 2)
        ref = kor.correction.corrected[0]
        assert ref.number in numbers and numbers[ref.number].kind == "VAT"
        assert kor.issue_date >= ref.issue_date  # type: ignore[operator]
    zal = next(inv for inv in invoices if inv.kind == "ZAL")
    roz = next(inv for inv in invoices if inv.kind == "ROZ")
    assert roz.issue_date >= zal.issue_date  # type: ignore[operator]
    assert roz.advances and roz.advances[0].number == zal.number
    eur = [inv for inv in invoices if inv.currency == "EUR"]
    assert len(eur) >= 10  # about a fifth
    domestic_eur = [inv for inv in eur if inv.bucket("1")]
    assert all(inv.bucket("1").vat_pln is not None for inv in domestic_eur)  # type: ignore[union-attr]
    assert all(inv.exchange_rate and Decimal("4.0") < inv.exchange_rate < Decimal("4.5") for inv in eur)
    assert any(inv.bucket("10") for inv in invoices)  # domestic reverse charge P_13_10
    assert any(inv.buyer.eu_code for inv in invoices)  # EU buyer
    assert any(inv.buyer.no_id for inv in invoices)  # consumer without NIP
    mpp = [inv for inv in invoices if inv.split_payment]
    assert mpp and all(inv.total is not None for inv in mpp)
    for inv in mpp:
        rate = inv.exchange_rate or Decimal(1)
        assert inv.total * rate > 15000  # type: ignore[operator]
        assert any(ln.annex15 for ln in inv.lines)
    rates = {ln.rate for inv in invoices for ln in inv.lines}
    assert {"23", "8", "5", "zw", "oo"} <= rates
    assert all(START <= inv.issue_date <= END for inv in invoices)  # type: ignore[operator]
    assert [inv.issue_date for inv in invoices] == sorted(inv.issue_date for inv in invoices)  # type: ignore[type-var]
    assert len(numbers) == len(invoices)  # numbers are unique


def test_small_counts_and_empty() -> None:
    assert generate_mix(random.Random(1), CLIENTS[0], CLIENTS, START, END, 0) == []
    one = generate_mix(random.Random(1), CLIENTS[0], [], START, START, 1)
    assert len(one) == 1 and validate_invoice(one[0]).ok


def test_generate_invoice_kinds_from_xml_references() -> None:
    rng = random.Random(11)
    seller, buyer = CLIENTS[2], CLIENTS[0]
    original = generate_invoice(
        rng, seller=seller, buyer=buyer, issue_date=date(2026, 5, 4), number="FV/1/05/2026"
    )
    kor = generate_invoice(
        rng,
        seller=seller,
        buyer=buyer,
        issue_date=date(2026, 5, 20),
        number="KOR/1/05/2026",
        kind="KOR",
        corrects=original,
        corrected_ksef_number="7798676685-20260504-0123456789AB-1F",
        correction_type=2,
    )
    parsed = parse_invoice(kor)
    assert parsed.correction is not None and parsed.correction.type == 2
    assert parsed.correction.corrected[0].ksef_number == "7798676685-20260504-0123456789AB-1F"
    assert parsed.correction.corrected[0].number == "FV/1/05/2026"
    assert any(ln.before_correction for ln in parsed.lines)
    assert [p.code for p in validate_invoice(kor).problems] in ([], ["KSEF_NUMBER_CHECKSUM"])

    zal = generate_invoice(
        rng,
        seller=seller,
        buyer=buyer,
        issue_date=date(2026, 5, 4),
        number="FZ/1",
        kind="ZAL",
        currency="EUR",
    )
    roz = generate_invoice(
        rng, seller=seller, buyer=buyer, issue_date=date(2026, 6, 4), number="FV/9", kind="ROZ", advance=zal
    )
    z, r = parse_invoice(zal), parse_invoice(roz)
    assert z.advance_exchange_rate is not None and z.currency == r.currency == "EUR"
    assert r.total is not None and z.total is not None
    full = sum((ln.net or Decimal(0)) for ln in r.lines)
    assert r.net_total is not None and r.net_total < full  # the advance is deducted
    assert validate_invoice(roz).ok and validate_invoice(zal).ok

    consumer = parse_invoice(
        generate_invoice(rng, seller=seller, buyer=None, issue_date=date(2026, 5, 4), number="P/1")
    )
    assert consumer.buyer.no_id and consumer.buyer.nip is None


def test_kor_without_reference_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        generate_invoice(
            random.Random(1), seller=CLIENTS[0], buyer=CLIENTS[1], issue_date=START, number="K", kind="KOR"
        )


def test_typed_mix_matches_bytes() -> None:
    typed = generate_mix_invoices(random.Random(5), CLIENTS[8], CLIENTS, START, END, 10)
    raw = generate_mix(random.Random(5), CLIENTS[8], CLIENTS, START, END, 10)
    assert [t.number for t in typed] == [re.search(rb"<P_2>(.*?)</P_2>", x).group(1).decode() for x in raw]  # type: ignore[union-attr]


def test_simplified_and_correction_of_a_settlement() -> None:
    rng = random.Random(3)
    seller, buyer = CLIENTS[2], CLIENTS[0]
    upr = generate_invoice(
        rng, seller=seller, buyer=buyer, issue_date=date(2026, 5, 1), number="U/1", kind="UPR"
    )
    assert parse_invoice(upr).kind == "UPR" and validate_invoice(upr).ok
    zal = generate_invoice(
        rng, seller=seller, buyer=buyer, issue_date=date(2026, 5, 1), number="Z/1", kind="ZAL"
    )
    roz = generate_invoice(
        rng, seller=seller, buyer=buyer, issue_date=date(2026, 5, 9), number="R/1", kind="ROZ", advance=zal
    )
    kor = generate_invoice(
        rng, seller=seller, buyer=buyer, issue_date=date(2026, 5, 19), number="KR/1", kind="KOR", corrects=roz
    )
    parsed = parse_invoice(kor)
    assert parsed.kind == "KOR_ROZ" and validate_invoice(kor).problems == []
    assert parsed.total is not None and parsed.total < 0
    usd = parse_invoice(
        generate_invoice(rng, seller=seller, buyer=buyer, issue_date=START, number="U/2", currency="USD")
    )
    assert usd.exchange_rate is not None and Decimal("3.5") < usd.exchange_rate < Decimal("4.1")


def test_seller_account_comes_from_the_party_or_the_generators_own_samples() -> None:
    from ksef_sheets.fa3.generator import SAMPLE_BANK_ACCOUNTS

    seller, buyer = CLIENTS[0], CLIENTS[1]
    own = "61109010140000071219812874"
    xml = generate_invoice(
        random.Random(2),
        seller=seller.model_copy(update={"bank_account": own}),
        buyer=buyer,
        issue_date=START,
        number="B/1",
    )
    assert parse_invoice(xml).payment.accounts[0].number == own
    fallback = parse_invoice(
        generate_invoice(random.Random(2), seller=seller, buyer=buyer, issue_date=START, number="B/2")
    )
    assert fallback.payment.accounts[0].number == SAMPLE_BANK_ACCOUNTS[int(seller.nip or "0") % 5]
