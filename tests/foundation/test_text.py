"""Polish formatting helpers: plurals, amounts, dates and times independent of locale and TZ."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ksef_sheets.text import (
    count,
    format_amount,
    format_date,
    format_datetime,
    format_number,
    format_time,
    plural,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("n", "invoices", "clients"),
    [
        (0, "0 faktur", "0 klientów"),
        (1, "1 faktura", "1 klient"),
        (2, "2 faktury", "2 klientów"),
        (4, "4 faktury", "4 klientów"),
        (5, "5 faktur", "5 klientów"),
        (12, "12 faktur", "12 klientów"),
        (21, "21 faktur", "21 klientów"),
        (22, "22 faktury", "22 klientów"),
        (25, "25 faktur", "25 klientów"),
        (101, "101 faktur", "101 klientów"),
        (102, "102 faktury", "102 klientów"),
        (112, "112 faktur", "112 klientów"),
    ],
)
def test_inflection_table(n: int, invoices: str, clients: str) -> None:
    assert count(n, "faktura", "faktury", "faktur") == invoices
    # "klient" has one form for 2–4 and 5+ in the genitive plural used after numbers.
    assert count(n, "klient", "klientów", "klientów") == clients


def test_plural_uses_absolute_value() -> None:
    assert plural(-2, "dzień", "dni", "dni") == "dni"
    assert plural(-3, "faktura", "faktury", "faktur") == "faktury"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("12670.59"), f"12{NBSP}670,59 zł"),
        (Decimal("0"), "0,00 zł"),
        (Decimal("-1234567.005"), f"-1{NBSP}234{NBSP}567,01 zł"),
        ("999.995", f"1{NBSP}000,00 zł"),
        (5, "5,00 zł"),
    ],
)
def test_amounts_in_polish(value: object, text: str) -> None:
    assert format_amount(value) == text  # type: ignore[arg-type]


def test_foreign_currency_and_plain_numbers() -> None:
    assert format_amount(Decimal("100"), "eur") == "100,00 EUR"
    assert format_number(Decimal("1234.5"), 0) == f"1{NBSP}235"


def test_dates_and_times_are_polish_and_in_warsaw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    assert format_date(date(2026, 1, 5)) == "05.01.2026"
    winter = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert format_time(winter) == "00:30"
    assert format_datetime(winter) == "06.12.2026 00:30"
    summer = datetime(2026, 7, 1, 5, 54, tzinfo=UTC)
    assert format_time(summer) == "07:54"
    # Naive values are the toolkit's stored UTC.
    assert format_time(datetime(2026, 7, 1, 5, 54)) == "07:54"
