"""VAT rate codes (``P_12``) and the summary fields (``P_13_x``/``P_14_x``) they add up into."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Bucket:
    """One summary bucket of the invoice: net field, VAT field, PLN VAT field, accepted rates."""

    key: str  # "1".."11", "6_1" ...
    net_field: str
    vat_field: str | None
    vat_pln_field: str | None
    rates: tuple[Decimal, ...]  # the percentages that may apply (23 or 22; 8 or 7 ...)
    label: str  # Polish, for people


BUCKETS: tuple[Bucket, ...] = (
    Bucket("1", "P_13_1", "P_14_1", "P_14_1W", (Decimal(23), Decimal(22)), "23% (22%)"),
    Bucket("2", "P_13_2", "P_14_2", "P_14_2W", (Decimal(8), Decimal(7)), "8% (7%)"),
    Bucket("3", "P_13_3", "P_14_3", "P_14_3W", (Decimal(5),), "5%"),
    Bucket("4", "P_13_4", "P_14_4", "P_14_4W", (Decimal(4), Decimal(3)), "ryczałt taksówki 4% (3%)"),
    Bucket("5", "P_13_5", "P_14_5", None, (), "procedura OSS"),
    Bucket("6_1", "P_13_6_1", None, None, (), "0% kraj"),
    Bucket("6_2", "P_13_6_2", None, None, (), "0% WDT"),
    Bucket("6_3", "P_13_6_3", None, None, (), "0% eksport"),
    Bucket("7", "P_13_7", None, None, (), "zwolnione (zw)"),
    Bucket("8", "P_13_8", None, None, (), "poza krajem (np)"),
    Bucket("9", "P_13_9", None, None, (), "np — usługi art. 100 ust. 1 pkt 4"),
    Bucket("10", "P_13_10", None, None, (), "odwrotne obciążenie"),
    Bucket("11", "P_13_11", None, None, (), "procedura marży"),
)
BUCKET_BY_KEY = {b.key: b for b in BUCKETS}

# P_12 code -> (bucket key, percentage for computing VAT or None)
RATE_CODES: dict[str, tuple[str, Decimal | None]] = {
    "23": ("1", Decimal(23)),
    "22": ("1", Decimal(22)),
    "8": ("2", Decimal(8)),
    "7": ("2", Decimal(7)),
    "5": ("3", Decimal(5)),
    "4": ("4", Decimal(4)),
    "3": ("4", Decimal(3)),
    "0 KR": ("6_1", None),
    "0 WDT": ("6_2", None),
    "0 EX": ("6_3", None),
    "zw": ("7", None),
    "np I": ("8", None),
    "np II": ("9", None),
    "oo": ("10", None),
}

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round to grosze the way Polish invoices do (half up)."""
    result = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return result if result != 0 else CENT * 0


def fmt_money(value: Decimal) -> str:
    return f"{money(value):.2f}"


def fmt_decimal(value: Decimal, places: int) -> str:
    """A decimal with at most ``places`` fraction digits, no exponent, no trailing zeros."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
