"""``read_summary`` (a list's fields only) gives what the full model gives for those fields."""

from __future__ import annotations

import random
from datetime import date

import pytest

from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import Party, generate_mix, parse_invoice, read_summary, to_register_row

ME = Party(name="Nowak IT Consulting Jan Nowak", nip="5210537039", address1="ul. Prosta 1, Warszawa")
OTHERS = [
    Party(name="ABC AGD sp. z o.o.", nip="7798676685", address1="ul. Kwiatowa 1, Łódź"),
    Party(name="Trans-Kowalscy Sp. j.", nip="8948836028", address1="ul. Drogowa 3, Poznań"),
]


def _full(data: bytes) -> tuple[object, ...]:
    row = to_register_row(parse_invoice(data))
    return (
        row.number,
        row.issue_date,
        row.seller_nip,
        row.seller_name,
        row.buyer_id,
        row.buyer_name,
        row.currency,
        row.net_total,
        row.vat_total,
        row.gross_total,
    )


def _summary(data: bytes) -> tuple[object, ...]:
    s = read_summary(data)
    return (
        s.number,
        s.issue_date,
        s.seller_nip,
        s.seller_name,
        s.buyer_id,
        s.buyer_name,
        s.currency,
        s.net_total,
        s.vat_total,
        s.gross_total,
    )


def test_the_ministry_samples_read_the_same(sample_bytes: dict[str, bytes]) -> None:
    for name, data in sample_bytes.items():
        assert _summary(data) == _full(data), name


def test_the_generated_mix_reads_the_same() -> None:
    rng = random.Random(5)
    invoices = generate_mix(rng, OTHERS[0], [ME], date(2026, 3, 1), date(2026, 3, 31), 150)
    invoices += generate_mix(rng, ME, OTHERS, date(2026, 3, 1), date(2026, 3, 31), 150)
    currencies = set()
    for data in invoices:
        assert _summary(data) == _full(data)
        currencies.add(read_summary(data).currency)
    assert len(currencies) > 1  # foreign-currency invoices were among them


def test_a_buyer_without_nip_is_named_by_its_eu_vat_number(sample_bytes: dict[str, bytes]) -> None:
    data = next(iter(sample_bytes.values()))
    nip = parse_invoice(data).buyer.nip
    assert nip
    eu = data.replace(f"<NIP>{nip}</NIP>".encode(), b"<KodUE>DE</KodUE><NrVatUE>123456789</NrVatUE>", 1)
    summary = read_summary(eu)
    assert summary.buyer_id == "DE123456789" == _full(eu)[4]


def test_bad_bytes_are_refused_as_by_parse_invoice() -> None:
    for data in (b"<a>", b"<?xml version='1.0'?><Inny/>", b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'):
        with pytest.raises(UserError) as full:
            parse_invoice(data, source="plik.xml")
        with pytest.raises(UserError) as summary:
            read_summary(data, source="plik.xml")
        assert str(summary.value) == str(full.value)
