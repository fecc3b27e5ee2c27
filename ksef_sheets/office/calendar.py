"""Polish business days: the one calendar every deadline uses (pure, no I/O).

A *business day* (dzień roboczy) is a day that is neither a Saturday, nor a Sunday, nor a
statutory holiday of the Act of 18 January 1951 on days off work (ustawa o dniach wolnych od
pracy, art. 1): 1 and 6 January, Easter Sunday and Monday, 1 and 3 May, Pentecost Sunday,
Corpus Christi, 15 August, 1 and 11 November, 24 (from 2025), 25 and 26 December. 24 December
(Wigilia) was added by the Act of 6 December 2024 (Dz.U. 2024 poz. 1965), in force from
1 February 2025, so it is a day off from 2025 on and a working day in 2024 and earlier.

The VAT Act's offline deadlines ("następny dzień roboczy", "7 dni roboczych") and the tax
deadlines moved by the Tax Ordinance art. 12 § 5 ("a deadline whose last day falls on a Saturday
or a statutory day off moves to the next day that is not a day off") are both computed here.

Public API:

- ``is_business_day(day)`` — not a Saturday, Sunday or holiday;
- ``move_to_business_day(day)`` — art. 12 § 5: ``day`` itself when it is a business day, else
  the first business day after it (a deadline on a day off moves, one on a business day stays);
- ``next_business_day(day)`` — the first business day strictly *after* ``day`` (whatever ``day``
  is): "next business day after the issue date" of offline24;
- ``add_business_days(day, n)`` — the n-th business day strictly after ``day`` (n > 0), the
  |n|-th strictly before it (n < 0), ``day`` unchanged for n == 0; ``add_business_days(d, 1)``
  is ``next_business_day(d)``;
- ``holidays(year)`` — {date: Polish name} of the statutory holidays, in date order;
- ``day_off_reason(day)`` — "sobota", "niedziela" or the holiday's name; None on a business day;
- ``weekday_short(day)`` / ``format_day(day)`` — "pon." / "25.01.2027 (pon.)" for people.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from ksef_sheets.text import format_date

__all__ = [
    "CHRISTMAS_EVE_FROM",
    "add_business_days",
    "day_off_reason",
    "easter_sunday",
    "format_day",
    "holidays",
    "is_business_day",
    "move_to_business_day",
    "next_business_day",
    "weekday_short",
]

# Ustawa z 6 grudnia 2024 r. o zmianie ustawy o dniach wolnych od pracy (Dz.U. 2024 poz. 1965),
# in force 1 February 2025: the first 24 December off work is 24.12.2025.
CHRISTMAS_EVE_FROM = 2025

WEEKDAYS_SHORT = ("pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz.")

# Longest run of days off in a row is short (Sat–Sun plus 24–26 Dec gives 5); this only guards
# the loops against a broken table.
_MAX_GAP = 14


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous algorithm: Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 - the algorithm's own name
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def _holidays(year: int) -> tuple[tuple[date, str], ...]:
    easter = easter_sunday(year)
    found = [
        (date(year, 1, 1), "Nowy Rok"),
        (date(year, 1, 6), "Święto Trzech Króli"),
        (easter, "Wielkanoc"),
        (easter + timedelta(days=1), "Poniedziałek Wielkanocny"),
        (date(year, 5, 1), "Święto Pracy"),
        (date(year, 5, 3), "Święto Konstytucji 3 Maja"),
        (easter + timedelta(days=49), "Zielone Świątki"),
        (easter + timedelta(days=60), "Boże Ciało"),
        (date(year, 8, 15), "Wniebowzięcie Najświętszej Maryi Panny"),
        (date(year, 11, 1), "Wszystkich Świętych"),
        (date(year, 11, 11), "Narodowe Święto Niepodległości"),
        (date(year, 12, 25), "Boże Narodzenie (pierwszy dzień)"),
        (date(year, 12, 26), "Boże Narodzenie (drugi dzień)"),
    ]
    if year >= CHRISTMAS_EVE_FROM:
        found.append((date(year, 12, 24), "Wigilia Bożego Narodzenia"))
    return tuple(sorted(found))


def holidays(year: int) -> dict[date, str]:
    """The statutory holidays of ``year`` with their Polish names, in date order."""
    return dict(_holidays(year))


def day_off_reason(day: date) -> str | None:
    """Why ``day`` is not a business day ("sobota", "niedziela", a holiday's name), or None."""
    for when, name in _holidays(day.year):
        if when == day:
            return name
    if day.weekday() == 5:
        return "sobota"
    if day.weekday() == 6:
        return "niedziela"
    return None


def is_business_day(day: date) -> bool:
    """Not a Saturday, a Sunday or a statutory holiday."""
    if day.weekday() >= 5:
        return False
    return all(when != day for when, _ in _holidays(day.year))


def move_to_business_day(day: date) -> date:
    """Tax Ordinance art. 12 § 5: a deadline falling on a day off moves to the next business day.

    ``day`` itself when it is a business day.
    """
    moved = day
    for _ in range(_MAX_GAP):
        if is_business_day(moved):
            return moved
        moved += timedelta(days=1)
    raise AssertionError(f"no business day within {_MAX_GAP} days of {day}")  # pragma: no cover


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day`` (a business day or not)."""
    return move_to_business_day(day + timedelta(days=1))


def add_business_days(day: date, n: int) -> date:
    """The n-th business day after ``day`` (n > 0), the |n|-th before it (n < 0); ``day`` for n == 0.

    ``day`` itself is never counted: from Friday, 1 business day is Monday; from Saturday too.
    """
    step = timedelta(days=1 if n > 0 else -1)
    current = day
    remaining = abs(n)
    while remaining:
        current += step
        if is_business_day(current):
            remaining -= 1
    return current


def weekday_short(day: date) -> str:
    """The Polish weekday abbreviation: "pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz."."""
    return WEEKDAYS_SHORT[day.weekday()]


def format_day(day: date) -> str:
    """ "25.01.2027 (pon.)" — a deadline as staff and clients read it."""
    return f"{format_date(day)} ({weekday_short(day)})"
