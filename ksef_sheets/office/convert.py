"""Cell values ↔ ``Client`` fields: tolerant reading of what staff type, typed writing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ksef_sheets.identifiers import normalize_nip
from ksef_sheets.office.model import (
    COLUMN_BY_HEADER,
    FEE_QUANT,
    NO,
    REGISTER_COLUMNS,
    SIZE_LARGE,
    SIZE_MICRO,
    SIZE_STANDARD,
    YES,
    Client,
    RegisterColumn,
)

_TRUE = {"tak", "t", "yes", "y", "1", "x", "prawda", "true", "✓", "✔"}
_FALSE = {"nie", "n", "no", "0", "fałsz", "falsz", "false", "-", "—"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y", "%Y.%m.%d", "%d.%m.%y")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S")


class CellProblem(ValueError):
    """A value that cannot be read for its column; the message is a Polish phrase."""


def text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = text_of(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellProblem(f"„{text_of(value)}” to nie „tak” ani „nie”")


def parse_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = text_of(value)
    if not text:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellProblem(f"„{text}” to nie data (RRRR-MM-DD lub DD.MM.RRRR)")


def parse_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = text_of(value)
    if not text:
        return None
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    parsed = parse_date(text)
    return datetime(parsed.year, parsed.month, parsed.day) if parsed else None


def parse_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = text_of(value).replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise CellProblem(f"„{text_of(value)}” to nie liczba całkowita")


def parse_scenario(value: Any) -> int | None:
    text = text_of(value)
    if not text:
        return None
    # "2", "2.0", "Scenariusz 2", "scenariusz nr 2", "2 - klient wystawia, biuro pobiera"
    match = re.fullmatch(r"(?is)(?:scenariusz\s*(?:nr\.?\s*)?)?([0-9]+)(?:\.0)?(?:\s*[-–—:(].*)?", text)
    if not match or int(match.group(1)) not in (1, 2, 3):
        raise CellProblem(f"nieznany scenariusz „{text}” (dozwolone 1, 2, 3)")
    return int(match.group(1))


def parse_pln(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).quantize(FEE_QUANT)
    text = text_of(value).lower().replace("zł", "").replace("pln", "")
    text = text.replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    text = text.replace(".", "").replace(",", ".") if "," in text and "." in text else text.replace(",", ".")
    try:
        return Decimal(text).quantize(FEE_QUANT)
    except InvalidOperation as exc:
        raise CellProblem(f"„{text_of(value)}” to nie kwota w złotych") from exc


_SIZE_SYNONYMS = {
    "duży": SIZE_LARGE,
    "duza": SIZE_LARGE,
    "duży podatnik": SIZE_LARGE,
    "> 200 mln": SIZE_LARGE,
    "standardowy": SIZE_STANDARD,
    "standard": SIZE_STANDARD,
    "mały": SIZE_STANDARD,
    "mała": SIZE_STANDARD,
    "maly": SIZE_STANDARD,
    "średni": SIZE_STANDARD,
    "średnia": SIZE_STANDARD,
    "sredni": SIZE_STANDARD,
    "mikro": SIZE_MICRO,
    "mikroprzedsiębiorca": SIZE_MICRO,
    "mikrofirma": SIZE_MICRO,
}


def parse_size(value: Any) -> str:
    """A size class from what offices write (``mały``, ``średni`` → standardowy); unknown → problem."""
    text = text_of(value)
    if not text:
        return ""
    size = _SIZE_SYNONYMS.get(text.lower())
    if size is None:
        raise CellProblem(
            f"nieznana wielkość „{text}” (dozwolone: {SIZE_LARGE}, {SIZE_STANDARD}, {SIZE_MICRO})"
        )
    return size


def parse_nip_cell(value: Any) -> str:
    return normalize_nip(text_of(value))


_PARSERS = {
    "text": text_of,
    "nip": parse_nip_cell,
    "bool": parse_bool,
    "date": parse_date,
    "datetime": parse_datetime,
    "int": parse_int,
    "scenario": parse_scenario,
    "pln": parse_pln,
}


def parse_cell(column: RegisterColumn, value: Any) -> Any:
    if column.kind == "flag":
        return bool(parse_bool(value))
    if column.field == "size":
        return parse_size(value)
    return _PARSERS[column.kind](value)


def client_from_row(row: Mapping[str, Any], row_number: int | None = None) -> tuple[Client, list[str]]:
    """A ``Client`` from a register row keyed by header; unreadable cells become problems (left empty)."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for header, raw in row.items():
        column = COLUMN_BY_HEADER.get(header)
        if column is None or column.field is None:
            continue
        try:
            values[column.field] = parse_cell(column, raw)
        except CellProblem as exc:
            problems.append(f"kolumna „{header}”: {exc}")
    values.setdefault("nip", "")
    known = {f.name for f in fields(Client)}
    client = Client(**{k: v for k, v in values.items() if k in known})
    client.row = row_number
    return client, problems


def cell_value(column: RegisterColumn, value: Any) -> Any:
    """A Client field value as it goes into the sheet (bools as tak/nie, scenario as a number)."""
    if value is None:
        return None
    if column.kind in ("bool", "flag"):
        return YES if value else NO
    if column.kind == "pln" and isinstance(value, Decimal):
        return float(value)
    return value


def client_to_row(client: Client, *, only: set[str] | None = None) -> dict[str, Any]:
    """Register cells for the client's fields (headers → values); ``only`` limits the headers."""
    out: dict[str, Any] = {}
    for column in REGISTER_COLUMNS:
        if column.field is None or (only is not None and column.header not in only):
            continue
        out[column.header] = cell_value(column, getattr(client, column.field))
    return out
