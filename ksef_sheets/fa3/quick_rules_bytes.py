"""The quick look of ``quick_rules`` read from the invoice's bytes instead of its tree.

The tree walk pays for a Python proxy (and a new ``{ns}tag`` string) for every element it touches;
``bytes.find`` pays nothing of the kind. For a document the XSD has accepted, the schema makes the byte
form predictable: FA(3) uses no wildcard and no element of another namespace, and every name read here
is declared in one place only (``P_15`` only as ``Fa/P_15``, ``NrRB`` only in a bank account, ``NIP``
only in a party's identification), so ``<P_15>`` in the bytes is that element and nothing else, as long
as the bytes are in the plain form this reader understands. What would break that is checked first,
mostly with one ``memchr``-fast search each; whenever the form is not plain the answer is ``None`` and
the caller walks the tree as before:

- a comment, CDATA section or processing instruction (``<!``, ``<?`` after the declaration), which
  may hold ``<P_15>`` that is not an element; an encoding other than UTF-8;
- a prefix bound to the FA(3) namespace on the root (``<x:P_15>``), or any attribute after the
  header (``=``; it may declare one, or be an ``xsi:nil``) unless a scan finds no odd tag at all;
- a tag read here with anything but ``>`` after its name (``<P_15 >``, ``<Zwolnienie/>``);
- an entity or character reference (``&``) in a value read here (``\\r`` is turned into the parser's
  ``\\n``), so a value read is exactly the element's ``.text``.

The rules' conditions are those of the tree walk (``quick_rules``), sharing its value checks. A
reader of a name that may stand several times (``NIP``, ``NrWierszaFa``, ``P_8B``, ``Termin``, ``NrRB``)
reads every occurrence: where the rules read fewer (the NIP of a party only in its identification),
the look is stricter, never looser. ``True`` only when ``check_rules`` would find nothing; ``False``
when a rule may fire; ``None`` when the bytes do not say (the tree walk decides).
"""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree

from ksef_sheets.fa3.quick_rules import (
    SUMMARY_FIELDS,
    account_ok,
    amounts_ok,
    decimal_text,
    nip_text_ok,
    split_payment_doubtful,
)
from ksef_sheets.fa3.rules import CORRECTIONS, DATE_PATTERN
from ksef_sheets.fa3.safe_xml import NS
from ksef_sheets.fa3.tree import to_decimal
from ksef_sheets.identifiers import is_valid_ksef_number

_GT = ord(">")
# Bytes that may continue an element name: ``<P_13_1`` is also the start of ``<P_13_10>``.
_NAME_MORE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
_UTF8_DECLARED = re.compile(rb"""encoding\s*=\s*["'](?i:utf-8)["']""").search
# A start tag with something after its name (whitespace, an attribute, ``/``) or a prefixed name.
_ODD_TAG = re.compile(rb"<[^\s/>:]++[\s/:]").search
# The summary fields (P_13_x, P_14_x, P_14_xW) by the bytes of their names.
_SUMMARY_BYTES = {name.encode(): name for name in SUMMARY_FIELDS}
# A start tag named P_1... with the text after it: between P_1 and P_15 stand P_1M and the summary.
_NEAR_P1 = re.compile(rb"<(P_1[^>]*)>([^<]*)").findall
_DOT = ord(".")
_DIGITS = frozenset(b"0123456789")
_ROW_NUMBERS = tuple(b"<NrWierszaFa>%d<" % n for n in range(1, 201))
_LT = ord("<")
_NIP_ZEROS = 48 * (6 + 5 + 7 + 2 + 3 + 4 + 5 + 6 + 7)  # the weighted sum of nine b"0"


class _NotPlain(Exception):
    """The bytes are not in the form this reader understands."""


def bytes_say_clean(data: bytes, root: etree._Element) -> bool | None:
    """``True``: ``check_rules`` finds nothing in this XSD-valid invoice; ``False``: it may find
    something; ``None``: the bytes are not plain enough to say (walk the tree)."""
    try:
        return _look(data, root)
    except (_NotPlain, IndexError, ValueError):  # ValueError: a tag not found, or not UTF-8
        return None


def _after(data: bytes, needle: bytes, start: int, end: int = -1) -> int:
    """The index just after the first start tag ``needle + b'>'`` from ``start``, ``-1`` when there is
    none; ``_NotPlain`` when an element of that name is written otherwise."""
    size = len(needle)
    at = data.find(needle, start) if end < 0 else data.find(needle, start, end)
    while at >= 0:
        nxt = data[at + size]
        if nxt == _GT:
            return at + size + 1
        if nxt not in _NAME_MORE:
            raise _NotPlain
        at = data.find(needle, at + size) if end < 0 else data.find(needle, at + size, end)
    return -1


def _text(data: bytes, at: int) -> str | None:
    """The text of the element whose start tag ends at ``at``, as lxml's ``.text`` gives it."""
    raw = data[at : data.index(b"<", at)]
    if b"&" in raw:
        raise _NotPlain
    if b"\r" in raw:  # the parser's end-of-line handling
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return raw.decode() or None


def _texts(data: bytes, needle: bytes, start: int) -> list[str | None]:
    out = []
    at = _after(data, needle, start)
    while at >= 0:
        out.append(_text(data, at))
        at = _after(data, needle, at)
    return out


def _strip(raw: str | None) -> str | None:
    return (raw.strip() or None) if raw else None


def _plain_prolog(data: bytes, root: etree._Element) -> int:
    """Where the body may be read from (the end of Naglowek), or ``_NotPlain``."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.startswith(b"<?xml", start):
        start = data.index(b"?>", start) + 2
        declared = data.find(b"encoding", 0, start)
        if (
            declared >= 0
            and data[declared : declared + 16].upper() != b'ENCODING="UTF-8"'
            and _UTF8_DECLARED(data, 0, start) is None
        ):
            raise _NotPlain
    elif data[start] != _LT or data[start + 1] == 0:  # UTF-16 or other without a declaration
        raise _NotPlain
    if (data.find(b"?", start) >= 0 and data.find(b"<?", start) >= 0) or (
        data.find(b"!", start) >= 0 and data.find(b"<!", start) >= 0
    ):
        raise _NotPlain
    body = data.index(b"</Naglowek>", start)
    if data.find(b"xmlns:", start, body) >= 0:
        for prefix, uri in root.nsmap.items():
            if prefix is not None and uri == NS:
                raise _NotPlain
    if data.find(b"=", body) >= 0 and _ODD_TAG(data, body) is not None:
        raise _NotPlain
    return body


def _look(data: bytes, root: etree._Element) -> bool | None:
    body = _plain_prolog(data, root)
    fa = data.index(b"<Fa>", body)  # Fa is required: not found, it is written otherwise
    at = data.find(b"<NIP", body, fa)
    while at >= 0:  # no other name starts with NIP
        if data[at + 4] != _GT:
            raise _NotPlain
        at += 5
        d = data[at : at + 10]
        if data[at + 10] == _LT and d.isdigit():  # ten ASCII digits, the usual NIP
            # The weights 6 5 7 2 3 4 5 6 7 written out: the cheapest form in Python.
            total = (
                6 * d[0]
                + 5 * d[1]
                + 7 * d[2]
                + 2 * d[3]
                + 3 * d[4]
                + 4 * d[5]
                + 5 * d[6]
                + 6 * d[7]
                + 7 * d[8]
            )
            if (total - _NIP_ZEROS) % 11 != d[9] - 48:  # 10 (no valid digit) never equals a digit
                return False
        elif not nip_text_ok(_text(data, at)):
            return False
        at = data.find(b"<NIP", at, fa)
    jst = data.index(b"<JST>", body, fa) + 5
    gv = data.index(b"<GV>", jst, fa) + 4
    if (data[jst : jst + 2] != b"2<" and _strip(_text(data, jst)) == "1") or (
        data[gv : gv + 2] != b"2<" and _strip(_text(data, gv)) == "1"
    ):
        return None  # JST or GV marked: the roles of Podmiot3 decide (the tree walk reads them)
    return _fa_ok(data, fa + 4)


def _cents(raw: bytes) -> int:
    r"""An amount of the schema's TKwotowy (``-?\d+(\.\d{1,2})?`` amid whitespace) in grosze."""
    dot = raw.find(b".")
    if dot < 0:
        return int(raw) * 100
    frac = raw[dot + 1 :].rstrip()
    if len(frac) == 1:
        frac += b"0"
    elif len(frac) != 2:
        raise _NotPlain
    return int(raw[:dot] + frac)


def _fa_ok(data: bytes, fa: int) -> bool | None:
    """Fa's children in the schema's order, each search starting where the last one ended."""
    at = data.index(b"<KodWaluty>", fa) + 11
    currency = "PLN" if data[at : at + 4] == b"PLN<" else (_strip(_text(data, at)) or "PLN")
    p1 = data.index(b"<P_1>", at) + 5
    p15 = data.index(b"<P_15>", p1) + 6
    summary: dict[str, int | None] = {}
    for name, raw in _NEAR_P1(data, p1, p15 - 6):  # up to <P_15>: P_1M and the summary fields
        field = _SUMMARY_BYTES.get(name)
        if field is None:
            if name != b"P_1M":
                raise _NotPlain  # a summary field's tag written otherwise (its name then holds more)
        elif len(raw) > 3 and raw[-3] == _DOT and raw[-1] in _DIGITS:  # the usual two decimals
            summary[field] = int(raw[:-3] + raw[-2:])
        else:
            summary[field] = _cents(raw)
    total = amounts_ok(summary, _cents(data[p15 : data.index(b"<", p15)]), currency, 1)
    if total is False:
        return False
    notes = data.index(b"<Adnotacje>", p15) + 11
    kind_at = data.index(b"<RodzajFaktury>", notes) + 15
    first_row = _after(data, b"<FaWiersz", kind_at)
    # The rows end where the last one ends (an end tag may hold whitespace before its ">"); Platnosc
    # (Termin, NrRB) comes after them. No other name starts with FaWiersz.
    tail = data.rindex(b"</FaWiersz") if first_row >= 0 else kind_at
    if not _payment_ok(data, tail, data[p1 : data.index(b"<", p1)]):
        return False
    if data[kind_at : kind_at + 4] != b"VAT<" and _strip(_text(data, kind_at)) in CORRECTIONS:
        # no line or split-payment rule for corrections
        return _notes_ok(data, p15, notes, summary, None, currency, False) and _correction_ok(data, kind_at)
    annex15 = False
    if first_row >= 0:
        if data.find(b"StanPrzed", first_row, tail) >= 0 or not _lines_ok(data, first_row, tail):
            return False
        annex15 = data.find(b"Z", first_row, tail) >= 0 and data.find(b"Zal_15", first_row, tail) >= 0
    return _notes_ok(data, p15, notes, summary, total, currency, annex15)


def _lines_ok(data: bytes, start: int, end: int) -> bool:
    """Line numbers unique, no negative quantity (a minus sign is needed for one)."""
    if data.find(b"-", start, end) >= 0 or data.find(b"&", start, end) >= 0:  # "&#45;" is a minus too
        for qty in _texts(data, b"<P_8B", start):
            if qty and "-" in qty:
                return False
    # Usually the rows are numbered 1, 2, 3...: each number found where the last one ended.
    # No other name starts with NrWierszaFa: a tag written otherwise, or a reference in the number,
    # fails the comparison and the numbers are read one by one.
    at = data.find(b"<NrWierszaFa", start, end)
    for expected in _ROW_NUMBERS:
        if at < 0:
            return True
        if not data.startswith(expected, at):
            break
        at = data.find(b"<NrWierszaFa", at + 14, end)
    numbers = _texts(data, b"<NrWierszaFa", start)
    return len({_strip(n) for n in numbers}) == len(numbers)


def _payment_ok(data: bytes, start: int, issued_raw: bytes) -> bool:
    """No due date before the issue date, sound bank accounts (every Termin and NrRB of Fa)."""
    if len(issued_raw) == 10:  # the usual date; if it is no date, the look is only stricter
        issued_b = issued_raw
    else:  # whitespace or other digits about the date: as the rule reads it
        if b"&" in issued_raw:
            raise _NotPlain
        text = _strip(issued_raw.decode())
        issued_b = text.encode() if text and len(text) == 10 and DATE_PATTERN.fullmatch(text) else b""
    if issued_b:
        at = _after(data, b"<Termin", start)
        while at >= 0:
            # Ten bytes not before the issue date: the rule's due date (stripped, a date of ten
            # characters) is either these very bytes or no date at all.
            if data[at + 10] != _LT or data[at : at + 10] < issued_b:
                issued = issued_b.decode()
                due = _strip(_text(data, at))
                if due and due < issued and DATE_PATTERN.fullmatch(due) and DATE_PATTERN.fullmatch(issued):
                    return False
            at = _after(data, b"<Termin", at)
    at = data.find(b"<NrRB", start)
    while at >= 0:  # no other name starts with NrRB
        if data[at + 5] != _GT:
            raise _NotPlain
        at += 6
        raw = data[at : at + 26]
        if data[at + 26] == _LT and raw.isdigit():  # a plain NRB: the IBAN check of "PL" + the digits
            if int(raw[2:] + b"2521" + raw[:2]) % 97 != 1:
                return False
        elif not account_ok(_text(data, at)):
            return False
        at = data.find(b"<NrRB", at)
    return True


def _notes_ok(
    data: bytes,
    p15_at: int,
    notes: int,
    summary: dict[str, int | None],
    p15: int | None,
    currency: str,
    annex15: bool,
) -> bool:
    """``_annotations``, as ``quick_rules._notes_ok`` reads it; ``p15`` (grosze) ``None`` for corrections."""
    at = data.index(b"<P_18A>", notes) + 7
    p18a = "2" if data[at : at + 2] == b"2<" else _strip(_text(data, at))
    if p15 is not None and (p18a == "1" or (p18a == "2" and annex15)):
        pln = _pln_total(data, p15_at, notes, Decimal(p15).scaleb(-2), currency)
        if pln is not None and split_payment_doubtful(
            p18a, pln, lambda: any(_strip(raw) == "1" for raw in _texts(data, b"<P_12_Zal_15", notes))
        ):
            return False
    if summary.get("P_13_10") and _strip(_text(data, data.index(b"<P_18>", notes) + 6)) == "2":
        return False
    return not (summary.get("P_13_7") and _after(data, b"<P_19N", notes) >= 0)


def _pln_total(data: bytes, p15_at: int, notes: int, p15: Decimal, currency: str) -> Decimal | None:
    """``rules._pln_total``: P_15 in złoty (at the invoice's rate, or the highest line rate)."""
    if currency == "PLN":
        return p15
    rate_at = _after(data, b"<KursWalutyZ", p15_at, notes)  # the schema puts it between the two
    rate = decimal_text(_text(data, rate_at)) if rate_at >= 0 else None
    if rate is None:
        found = [r for r in (to_decimal(_strip(raw)) for raw in _texts(data, b"<KursWaluty", notes)) if r]
        rate = max(found) if found else None
    return p15 * rate if rate else None


def _correction_ok(data: bytes, kind_at: int) -> bool:
    """``_correction``: the corrected invoice and the type of correction named, sound KSeF numbers."""
    if _after(data, b"<DaneFaKorygowanej", kind_at) < 0 or _after(data, b"<TypKorekty", kind_at) < 0:
        return False
    for raw in _texts(data, b"<NrKSeFFaKorygowanej", kind_at):
        value = _strip(raw)
        if value and not is_valid_ksef_number(value):
            return False
    return True
