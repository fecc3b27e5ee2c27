"""The business-day calendar against an Easter computed differently (Gauss) and known dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksef_sheets.office.calendar import (
    add_business_days,
    day_off_reason,
    easter_sunday,
    format_day,
    holidays,
    is_business_day,
    move_to_business_day,
    next_business_day,
    weekday_short,
)

FIRST, LAST = date(2025, 1, 1), date(2035, 12, 31)
DAYS = st.dates(min_value=FIRST, max_value=LAST)


def gauss_easter(year: int) -> date:
    """Gauss's Easter algorithm for the Gregorian calendar, with its two exceptions.

    Deliberately not the anonymous (Meeus/Jones/Butcher) algorithm the module uses.
    """
    a, b, c = year % 19, year % 4, year % 7
    k = year // 100
    p = (13 + 8 * k) // 25
    q = k // 4
    m = (15 - p + k - q) % 30
    n = (4 + k - q) % 7
    d = (19 * a + m) % 30
    e = (2 * b + 4 * c + 6 * d + n) % 7
    if d == 29 and e == 6:
        return date(year, 4, 19)
    if d == 28 and e == 6 and (11 * m + 11) % 30 < 19:
        return date(year, 4, 18)
    return date(year, 3, 22) + timedelta(days=d + e)


def days_off(year: int) -> set[date]:
    """The statutory holidays written out independently of the module (from the act's list)."""
    easter = gauss_easter(year)
    fixed = [(1, 1), (1, 6), (5, 1), (5, 3), (8, 15), (11, 1), (11, 11), (12, 25), (12, 26)]
    found = {date(year, m, d) for m, d in fixed}
    found |= {easter, easter + timedelta(days=1), easter + timedelta(days=49), easter + timedelta(days=60)}
    if year >= 2025:  # Dz.U. 2024 poz. 1965, in force 1.02.2025
        found.add(date(year, 12, 24))
    return found


def reference_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in days_off(day.year)


def test_easter_matches_gauss_for_every_year_and_known_dates() -> None:
    for year in range(1900, 2200):
        assert easter_sunday(year) == gauss_easter(year), year
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2027) == date(2027, 3, 28)
    assert easter_sunday(2035) == date(2035, 3, 25)


def test_movable_holidays_on_known_dates() -> None:
    h2026 = holidays(2026)
    assert h2026[date(2026, 4, 6)] == "Poniedziałek Wielkanocny"
    assert h2026[date(2026, 5, 24)] == "Zielone Świątki"
    assert h2026[date(2026, 6, 4)] == "Boże Ciało"
    assert holidays(2027)[date(2027, 5, 27)] == "Boże Ciało"
    assert holidays(2025)[date(2025, 6, 19)] == "Boże Ciało"


def test_christmas_eve_is_a_holiday_from_2025_only() -> None:
    assert date(2024, 12, 24) not in holidays(2024)
    assert is_business_day(date(2024, 12, 24))  # a Tuesday, still a working day in 2024
    assert holidays(2025)[date(2025, 12, 24)] == "Wigilia Bożego Narodzenia"
    assert not is_business_day(date(2026, 12, 24))
    assert len(holidays(2024)) == 13
    assert all(len(holidays(y)) == 14 for y in range(2025, 2036))
    assert list(holidays(2026)) == sorted(holidays(2026))


def test_every_day_2025_to_2035_against_the_reference() -> None:
    day = FIRST
    while day <= LAST:
        assert is_business_day(day) == reference_business_day(day), day
        assert (day_off_reason(day) is None) == reference_business_day(day), day
        day += timedelta(days=1)
    # 2026: 261 weekdays, 8 holidays on weekdays (1.01, 6.01, 6.04, 1.05, 4.06, 11.11, 24.12, 25.12)
    year_2026 = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    assert sum(map(is_business_day, year_2026)) == 253


@given(DAYS)
def test_move_to_business_day_is_the_first_business_day_on_or_after(day: date) -> None:
    moved = move_to_business_day(day)
    assert moved >= day
    assert reference_business_day(moved)
    assert all(not reference_business_day(day + timedelta(days=i)) for i in range((moved - day).days))
    if reference_business_day(day):
        assert moved == day


@given(DAYS)
def test_next_business_day_is_strictly_after(day: date) -> None:
    nxt = next_business_day(day)
    assert nxt > day
    assert reference_business_day(nxt)
    assert all(not reference_business_day(day + timedelta(days=i)) for i in range(1, (nxt - day).days))
    assert nxt == add_business_days(day, 1)
    assert nxt == move_to_business_day(day + timedelta(days=1))


@given(DAYS, st.integers(min_value=-40, max_value=40))
def test_add_business_days_counts_business_days_strictly_between(day: date, n: int) -> None:
    result = add_business_days(day, n)
    if n == 0:
        assert result == day
        return
    if n > 0:  # business days in (day, result]
        span = [day + timedelta(days=i) for i in range(1, (result - day).days + 1)]
    else:  # business days in [result, day)
        span = [result + timedelta(days=i) for i in range((day - result).days)]
    assert sum(map(reference_business_day, span)) == abs(n)
    assert reference_business_day(result)
    if reference_business_day(day):
        assert add_business_days(result, -n) == day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 12, 24), date(2026, 12, 28)),  # Thu (Wigilia) → Fri 25 holiday, Sat, Sun → Mon
        (date(2027, 4, 30), date(2027, 5, 4)),  # Fri → Sat 1.05, Sun 2.05, Mon 3.05 → Tue
        (date(2026, 4, 3), date(2026, 4, 7)),  # Good Friday → Easter Monday is off → Tue
        (date(2026, 6, 3), date(2026, 6, 5)),  # Wed → Corpus Christi Thu → Fri
        (date(2025, 7, 8), date(2025, 7, 9)),  # MF's offline24 example
    ],
)
def test_next_business_day_across_weekends_and_holidays(day: date, expected: date) -> None:
    assert next_business_day(day) == expected


def test_mf_failure_example_seven_business_days() -> None:
    # tryby-offline.md: failure ended Sat 12.07.2025 → deadline Tue 22.07.2025
    assert add_business_days(date(2025, 7, 12), 7) == date(2025, 7, 22)


def test_jpk_25th_on_a_day_off_moves() -> None:
    assert move_to_business_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert move_to_business_day(date(2026, 4, 25)) == date(2026, 4, 27)
    assert move_to_business_day(date(2027, 1, 25)) == date(2027, 1, 25)


def test_names_for_people() -> None:
    assert format_day(date(2027, 1, 25)) == "25.01.2027 (pon.)"
    assert weekday_short(date(2026, 12, 6)) == "niedz."
    assert day_off_reason(date(2026, 12, 26)) == "Boże Narodzenie (drugi dzień)"  # a Saturday too
    assert day_off_reason(date(2026, 12, 5)) == "sobota"
    assert day_off_reason(date(2026, 12, 7)) is None
