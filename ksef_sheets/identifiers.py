"""Polish tax identifiers used everywhere: NIP and the KSeF invoice number.

NIP: DOMAIN.md §6.2 (weights 6,5,7,2,3,4,5,6,7, mod 11, FA(3) ``TNrNIP`` pattern).
KSeF number: PROTOCOL.md §12 (35 chars, CRC-8 poly 0x07 over the first 32 characters).
"""

from __future__ import annotations

import re
from datetime import date

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_NIP_PATTERN = re.compile(r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$")
_KSEF_NUMBER_PATTERN = re.compile(
    r"^([1-9](\d[1-9]|[1-9]\d)\d{7})-(20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3})(0[1-9]|1[0-2])"
    r"(0[1-9]|[12]\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$"
)


def normalize_nip(text: str) -> str:
    """Strip the separators people type (spaces, hyphens, a ``PL`` prefix)."""
    cleaned = re.sub(r"[\s\-.]", "", str(text)).upper()
    if cleaned.startswith("PL"):
        cleaned = cleaned[2:]
    return cleaned


def nip_check_digit(first_nine: str) -> int | None:
    """The tenth digit for nine NIP digits, or None when no digit can make it valid (sum mod 11 = 10)."""
    s = sum(int(d) * w for d, w in zip(first_nine, _NIP_WEIGHTS, strict=True)) % 11
    return None if s == 10 else s


def is_valid_nip(text: str) -> bool:
    nip = normalize_nip(text)
    if not _NIP_PATTERN.match(nip):
        return False
    return nip_check_digit(nip[:9]) == int(nip[9])


def nip_problem(text: str) -> str | None:
    """A Polish description of what is wrong with a NIP, or None when it is valid."""
    nip = normalize_nip(text)
    if not nip:
        return "NIP jest pusty."
    if not nip.isdigit() or len(nip) != 10:
        return f"NIP „{text}” musi mieć 10 cyfr."
    if not _NIP_PATTERN.match(nip):
        return f"NIP „{text}” ma niedozwolony początek (pierwsza cyfra nie może być 0, a cyfry 2–3 nie mogą być 00)."
    if nip_check_digit(nip[:9]) != int(nip[9]):
        return f"NIP „{text}” ma błędną cyfrę kontrolną."
    return None


def _crc8_table() -> bytes:
    """The CRC of each single byte: the eight polynomial steps done once, not once per byte checked."""
    table = bytearray(256)
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table[value] = crc
    return bytes(table)


_CRC8_TABLE = _crc8_table()


def crc8(data: bytes) -> int:
    """CRC-8/SMBUS: polynomial 0x07, init 0x00, no reflection, no final XOR (table-driven: every
    fetched invoice's KSeF number is checked, so this runs once per invoice)."""
    crc = 0
    table = _CRC8_TABLE
    for byte in data:
        crc = table[crc ^ byte]
    return crc


def is_valid_ksef_number(text: str) -> bool:
    """Format and checksum of a KSeF number (35-char 2.0 form or 36-char 1.0 form)."""
    match = _KSEF_NUMBER_PATTERN.match(text or "")
    if not match:
        return False
    body, _, checksum = text.rpartition("-")
    return f"{crc8(body.encode('ascii')):02X}" == checksum


def make_ksef_number(seller_nip: str, accepted_on: date, technical_part: str) -> str:
    """Compose a KSeF 2.0 number; ``technical_part`` is 12 upper-case hex characters."""
    if not re.fullmatch(r"[0-9A-F]{12}", technical_part):
        raise ValueError("technical_part must be 12 upper-case hex characters")
    body = f"{seller_nip}-{accepted_on:%Y%m%d}-{technical_part}"
    return f"{body}-{crc8(body.encode('ascii')):02X}"
