from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from ksef_sheets.demo_data import DEMO_CLIENTS, DEMO_OFFICE_NIP
from ksef_sheets.identifiers import (
    crc8,
    is_valid_ksef_number,
    is_valid_nip,
    make_ksef_number,
    nip_check_digit,
    nip_problem,
)


def test_documented_ksef_numbers() -> None:
    assert is_valid_ksef_number("5265877635-20250826-0100001AF629-AF")
    assert is_valid_ksef_number("5265877635-20250626-010080DD2B5E-26")
    assert not is_valid_ksef_number("5265877635-20250626-010080DD2B5E-27")
    assert not is_valid_ksef_number("5265877635-20250626-010080dd2b5e-26")


def test_demo_nips_valid_and_known_invalid() -> None:
    assert all(is_valid_nip(c.nip) for c in DEMO_CLIENTS)
    assert is_valid_nip(DEMO_OFFICE_NIP)
    assert not is_valid_nip("1234567890")
    assert "kontrolną" in (nip_problem("1234567890") or "")
    assert nip_problem("PL 521-053-70-39") is None
    assert "10 cyfr" in (nip_problem("52105") or "")


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(
    lambda s: s[0] != "0" and s[1:3] != "00"
)


@given(nine_digits)
def test_nip_check_digit_is_the_only_valid_tenth_digit(first: str) -> None:
    check = nip_check_digit(first)
    valid = [d for d in range(10) if is_valid_nip(first + str(d))]
    assert valid == ([] if check is None else [check])


@given(
    nine_digits,
    st.dates(min_value=date(2026, 1, 1), max_value=date(2099, 12, 31)),
    st.text(alphabet="0123456789ABCDEF", min_size=12, max_size=12),
    st.integers(min_value=0, max_value=34),
)
def test_ksef_number_round_trip_and_single_char_corruption(
    first: str, day: date, tech: str, pos: int
) -> None:
    check = nip_check_digit(first)
    if check is None:
        return
    number = make_ksef_number(first + str(check), day, tech)
    assert len(number) == 35 and is_valid_ksef_number(number)
    # changing one hex character of the technical part always breaks CRC-8 (it detects all single-byte errors)
    if 20 <= pos < 32:
        ch = number[pos]
        other = "0" if ch != "0" else "1"
        assert not is_valid_ksef_number(number[:pos] + other + number[pos + 1 :])


def test_crc8_reference_value() -> None:
    # CRC-8/SMBUS check value for "123456789"
    assert crc8(b"123456789") == 0xF4


def _crc8_bitwise(data: bytes) -> int:
    """The polynomial division bit by bit, as PROTOCOL.md §12 states it: the table must agree."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def test_crc8_table_matches_bitwise_on_every_byte() -> None:
    assert [crc8(bytes([b])) for b in range(256)] == [_crc8_bitwise(bytes([b])) for b in range(256)]
    assert crc8(b"") == 0


@given(st.binary(max_size=64))
def test_crc8_table_matches_bitwise(data: bytes) -> None:
    assert crc8(data) == _crc8_bitwise(data)
