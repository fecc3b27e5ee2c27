"""The archive's vocabulary and the conversions between values and the index's text.

The index stores text; times in UTC ISO form so that text order is time order. NIPs, subject types
and KSeF numbers are checked here before they become index keys or file names.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import is_valid_ksef_number, is_valid_nip, normalize_nip

SUBJECT_TYPES = ("Subject1", "Subject2", "Subject3", "SubjectAuthorized")
# Polish names for people: what the subject type means from the client's point of view.
SUBJECT_TYPE_NAMES = {
    "Subject1": "sprzedaż",
    "Subject2": "zakupy",
    "Subject3": "podmiot trzeci",
    "SubjectAuthorized": "podmiot upoważniony",
}

# Staff statuses after which an invoice no longer waits for anyone (the invoice workbook's list).
DONE_STATUSES = ("Zaakceptowana", "Odrzucona", "Zaksięgowana")


def _utc_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime in the archive")
    # The same text as strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"), made in a third of its time.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# KSeF writes its timestamps in UTC with milliseconds ("2026-02-03T09:25:33.576+00:00"): such a
# text becomes the index's form by padding the fraction, without parsing and formatting a datetime.
_UTC_STAMP = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]+))?(?:Z|\+00:00)"
)


def _utc_index_text(value: object) -> str | None:
    """``_utc_text(parse_ksef_datetime(value))``, the same text, quicker for KSeF's usual form."""
    if isinstance(value, str):
        match = _UTC_STAMP.fullmatch(value)
        if match is not None:
            head, fraction = match.groups()
            try:
                datetime.fromisoformat(head)  # an impossible date or time takes the full path (None)
            except ValueError:
                pass
            else:
                return f"{head}.{(fraction or '')[:6].ljust(6, '0')}+00:00"
    return _utc_text(parse_ksef_datetime(value))


_DIGITS = "0123456789"


def parse_ksef_datetime(text: object) -> datetime | None:
    """An ISO date-time from KSeF (up to 7 fraction digits, ``Z`` or an offset) as aware UTC.

    Extra fraction digits are cut (never rounded up), so a checkpoint made from it is never later
    than KSeF's own value: at worst one boundary invoice is seen twice and deduplicated.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    raw = text.strip().replace("z", "Z")
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    head, sep, rest = raw.partition(".")
    if sep:
        count = len(rest) - len(rest.lstrip(_DIGITS))
        digits, rest = rest[:count], rest[count:]
        raw = f"{head}.{digits[:6].ljust(6, '0')}{rest}"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # KSeF interprets date-times without an offset as Warsaw time (PROTOCOL §2).
        from zoneinfo import ZoneInfo

        parsed = parsed.replace(tzinfo=ZoneInfo("Europe/Warsaw"))
    return parsed.astimezone(UTC)


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _date(text: object) -> date | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _decimal_text(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return str(number) if number.is_finite() else None


def _text(value: object, limit: int = 512) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text[:limit] if text else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment (containers, services)
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "nieznany"


def _now() -> datetime:
    return datetime.now(UTC)


def _json_default(value: object) -> str:
    if isinstance(value, (Decimal, date, datetime)):
        return str(value)
    raise TypeError(type(value).__name__)


def _xml_place(number: str) -> tuple[str, str, str]:
    """Where an invoice's XML lies in its client's archive folder: the year and month of its KSeF
    number's date, and the file's name."""
    date_part = number.split("-")[1]
    return date_part[:4], date_part[4:6], f"{number}.xml"


def _path_in(client_dir: Path, number: str) -> Path:
    year, month, name = _xml_place(number)
    return client_dir / f"{year}/{month}/{name}"  # one join: once per invoice


def _checked_nip(value: str) -> str:
    nip = normalize_nip(value)
    if not is_valid_nip(nip):
        raise UserError(f"NIP klienta „{value}” jest nieprawidłowy.")
    return nip


def _checked_subject(value: str) -> str:
    if value not in SUBJECT_TYPES:
        raise UserError(f"Nieznany typ podmiotu „{value}” (dozwolone: {', '.join(SUBJECT_TYPES)}).")
    return value


def _checked_ksef_number(value: str) -> str:
    if not isinstance(value, str) or not is_valid_ksef_number(value):
        raise UserError(f"Numer KSeF „{str(value)[:60]}” jest nieprawidłowy.")
    return value


def _empty_none(value: str | None) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
