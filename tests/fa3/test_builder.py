"""Building FA(3) from a SalesInvoice: property-based round trips and clear Polish refusals."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import (
    CorrectedInvoice,
    Correction,
    Party,
    SalesInvoice,
    SalesLine,
    SalesThirdParty,
    build_invoice_xml,
    parse_invoice,
    to_register_row,
    validate_invoice,
)
from ksef_sheets.fa3.rates import RATE_CODES
from tests.fa3.conftest import BUYER, SELLER, sales_invoice

_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co")),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")
_FORMULA_LIKE = st.sampled_from(
    ['=HYPERLINK("http://x","y")', "+48 600 100 200", "-1", "@SUM(A1)", "<b>&amp;</b>"]
)

_LINE = st.builds(
    SalesLine,
    name=st.one_of(_TEXT, _FORMULA_LIKE),
    quantity=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(5000), places=3),
    unit=st.sampled_from(["szt.", "godz.", "m2", "kg", None]),
    unit_price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50000), places=2),
    # 22%, 7% and 3% are the alternatives of 23%, 8% and 4%: never on one invoice together (tested below)
    rate=st.sampled_from(sorted(set(RATE_CODES) - {"22", "7", "3"})),
)
_BUYER = st.sampled_from(
    [
        BUYER,
        None,
        Party(name="Jan Kowalski", address1="ul. Długa 1"),
        Party(
            name="Acme SARL", eu_code="FR", eu_vat="12345678901", country="FR", address1="1 rue de la Paix"
        ),
        Party(name="Globex Inc.", tax_id="98-7654321", country="US", address1="1 Main St"),
    ]
)


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(_LINE, min_size=1, max_size=6),
    buyer=_BUYER,
    currency=st.sampled_from(["PLN", "EUR", "USD"]),
    rate=st.decimals(min_value=Decimal("3.5"), max_value=Decimal("5.0"), places=4),
    day=st.integers(min_value=0, max_value=1500),
)
def test_build_then_parse_round_trip(
    lines: list[SalesLine], buyer: Party | None, currency: str, rate: Decimal, day: int
) -> None:
    issue = date(2026, 1, 1) + timedelta(days=day)
    inv = SalesInvoice(
        number=f"FV/{day}/2026",
        issue_date=issue,
        seller=SELLER,
        buyer=buyer,
        currency=currency,
        exchange_rate=None if currency == "PLN" else rate,
        lines=lines,
        exemption_basis="art. 43 ust. 1 pkt 19 ustawy o VAT",
    )
    xml = build_invoice_xml(inv)
    report = validate_invoice(xml)
    assert report.errors == []
    parsed = parse_invoice(xml)
    assert parsed.number == inv.number and parsed.issue_date == issue and parsed.currency == currency
    assert parsed.seller.nip == SELLER.nip
    assert parsed.buyer.identifier == (buyer.identifier if buyer else None)
    assert parsed.buyer.name == (buyer.name if buyer else None)
    assert [ln.name for ln in parsed.lines] == [ln.name for ln in lines]
    assert [ln.quantity for ln in parsed.lines] == [ln.quantity for ln in lines]
    assert [ln.net for ln in parsed.lines] == [_q(ln.quantity * ln.unit_price) for ln in lines]
    assert [ln.rate for ln in parsed.lines] == [ln.rate for ln in lines]
    expected_net = sum((_q(ln.quantity * ln.unit_price) for ln in lines), Decimal(0))
    assert parsed.net_total == expected_net
    assert parsed.total == (parsed.net_total or 0) + (parsed.vat_total or 0)
    assert parsed.annotations.reverse_charge == any(ln.rate in ("oo", "np II") for ln in lines)
    row = to_register_row(parsed)
    if currency == "PLN":
        assert row.gross_total_pln == parsed.total
    else:
        assert parsed.exchange_rate == rate
        assert row.net_total_pln == sum(
            (_q(b.net * rate) for b in parsed.buckets if b.net is not None), Decimal(0)
        )


def test_correction_shows_before_and_after_and_the_difference() -> None:
    before = SalesLine(
        name="Tynk", unit="m2", quantity=Decimal(40), unit_price=Decimal("55.50"), before_correction=True
    )
    after = SalesLine(name="Tynk", unit="m2", quantity=Decimal(30), unit_price=Decimal("55.50"))
    inv = sales_invoice(
        number="KOR/1/05/2026",
        kind="KOR",
        lines=[before, after],
        correction=Correction(
            reason="zwrot 10 m2",
            type=2,
            corrected=[CorrectedInvoice(number="FV/7/04/2026", issue_date=date(2026, 4, 15))],
        ),
    )
    parsed = parse_invoice(build_invoice_xml(inv))
    assert parsed.kind == "KOR" and parsed.correction is not None and parsed.correction.type == 2
    assert parsed.correction.corrected[0].ksef_number is None
    assert [(ln.number, ln.before_correction) for ln in parsed.lines] == [(1, True), (1, False)]
    assert parsed.bucket("1").net == Decimal("-555.00")  # type: ignore[union-attr]
    assert parsed.bucket("1").vat == Decimal("-127.65")  # type: ignore[union-attr]
    assert parsed.total == Decimal("-682.65")


def test_advance_invoice_splits_the_amount_received_across_rates() -> None:
    inv = sales_invoice(kind="ZAL", number="FZ/1/04/2026", advance_gross=Decimal(1000), payment=None)
    parsed = parse_invoice(build_invoice_xml(inv))
    assert parsed.kind == "ZAL" and parsed.total == Decimal(1000)
    assert parsed.lines == () and len(parsed.order_lines) == 2
    assert parsed.net_total is not None and parsed.vat_total is not None
    assert parsed.net_total + parsed.vat_total == Decimal(1000)


def test_jst_invoice_with_third_party() -> None:
    school = Party(name="Szkoła Podstawowa nr 1", nip="8527053079", address1="ul. Szkolna 1")
    inv = sales_invoice(jst=True, third_parties=[SalesThirdParty(party=school, role=8)])
    parsed = parse_invoice(build_invoice_xml(inv))
    assert parsed.buyer.jst is True
    assert parsed.third_parties[0].role == 8 and parsed.third_parties[0].role_label == "JST — odbiorca"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lines": []}, "brak pozycji"),
        ({"lines": [SalesLine(name="Szkolenie", unit_price=Decimal(100), rate="zw")]}, "podstawy zwolnienia"),
        ({"currency": "EUR"}, "kursu waluty"),
        ({"kind": "KOR"}, "danych faktury korygowanej"),
        ({"kind": "ROZ"}, "faktur zaliczkowych"),
        ({"jst": True}, "roli 8"),
        (
            {"lines": [SalesLine(name="Zwrot", quantity=Decimal(-1), unit_price=Decimal(10))]},
            "tylko w korekcie",
        ),
        ({"lines": [SalesLine(name="Ba\x01d", unit_price=Decimal(10))]}, "znaki sterujące"),
        ({"buyer": BUYER.model_copy(update={"email": "to-nie-email"})}, "Email"),
        ({"seller": SELLER.model_copy(update={"address1": ""})}, "adres sprzedawcy"),
        (
            {
                "lines": [
                    SalesLine(name="a", unit_price=Decimal(1)),
                    SalesLine(name="b", unit_price=Decimal(1), rate="22"),
                ]
            },
            "stawki 23% i 22%",
        ),
    ],
)
def test_builder_refuses_with_a_polish_sentence(changes: dict[str, object], words: str) -> None:
    with pytest.raises(UserError) as info:
        build_invoice_xml(sales_invoice(**changes))
    assert words in info.value.message
    assert "FV/7/04/2026" in info.value.message or "Pole" in info.value.message


def test_from_data_reports_fields_in_polish() -> None:
    with pytest.raises(UserError) as info:
        SalesInvoice.from_data(
            {
                "number": "FV/1",
                "issue_date": "2026-04-01",
                "seller": {"name": "X", "nip": "1234567890"},
                "lines": [{"name": "a", "unit_price": "1", "rate": "24"}],
            },
            source="arkusz Sprzedaż, wiersz 5",
        )
    message = info.value.message
    assert message.startswith("Faktura arkusz Sprzedaż, wiersz 5:")
    assert "sprzedawca → NIP" in message and "cyfrę kontrolną" in message
    assert "pozycje → pozycja 1 → stawka VAT" in message and "„24”" in message
