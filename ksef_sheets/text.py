"""Polish formatting for everything a person reads: plurals, amounts, dates, times.

One place, so that "2 faktury", "12 670,59 zł", "05.12.2026" and "14:03" look the same in the
terminal, workbooks, documents and e-mails — and never depend on the machine's locale or time zone.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

__all__ = [
    "WARSAW",
    "count",
    "format_amount",
    "format_date",
    "format_datetime",
    "format_number",
    "format_time",
    "plural",
    "warsaw_time",
    "warsaw_today",
]

WARSAW = ZoneInfo("Europe/Warsaw")

# A narrow no-break space would be typographically right, but many fonts in offices (and Excel's
# default Calibri in older builds) show it as a box; a no-break space keeps "12 670,59" on one line.
_GROUP = "\u00a0"


def plural(n: int, one: str, few: str, many: str) -> str:
    """The noun form for n in Polish: 1 faktura, 2–4 faktury (not 12–14), else faktur.

    The rule is on the absolute value: "-2 faktury" like "2 faktury".
    """
    n = abs(int(n))
    if n == 1:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    """The number with its noun: count(5, "faktura", "faktury", "faktur") == "5 faktur"."""
    return f"{n} {plural(n, one, few, many)}"


def format_number(value: Decimal | int | float | str, places: int = 2) -> str:
    """Polish number: groups of three separated by a no-break space, decimal comma.

    Rounding is half-up (as in accounting), not banker's rounding.
    """
    number = Decimal(str(value))
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP) if places >= 0 else number
    sign = "-" if rounded < 0 else ""
    digits = f"{abs(rounded):f}"
    whole, _, fraction = digits.partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = _GROUP.join(groups)
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def format_amount(value: Decimal | int | float | str, currency: str = "PLN") -> str:
    """An amount as staff and clients read it: "12 670,59 zł"; other currencies by code: "100,00 EUR"."""
    unit = "zł" if currency.upper() == "PLN" else currency.upper()
    return f"{format_number(value, 2)} {unit}"


def format_date(value: date | datetime) -> str:
    """dd.mm.rrrr — the form Polish documents use (a datetime is shown as its date in Warsaw)."""
    if isinstance(value, datetime):
        value = warsaw_time(value).date()
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


def warsaw_time(moment: datetime) -> datetime:
    """The moment on a Polish wall clock; a naive value is taken as UTC (how the toolkit stores times)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(WARSAW)


def warsaw_today() -> date:
    """Today's date in Poland: what "today" means for a deadline, a booking or an expiry, whatever the
    server's time zone (between 23:00 and 01:00 UTC the two dates differ)."""
    return datetime.now(WARSAW).date()


def format_time(moment: datetime) -> str:
    """HH:MM in Poland."""
    local = warsaw_time(moment)
    return f"{local.hour:02d}:{local.minute:02d}"


def format_datetime(moment: datetime) -> str:
    """dd.mm.rrrr HH:MM in Poland."""
    return f"{format_date(moment)} {format_time(moment)}"
