"""A quick look at an XSD-valid invoice: can any business rule fire? Usually not, and then cheaply.

``rules.check_rules`` builds an index of the tree (a Python object per element it reads) and costs
more than the XSD step itself. For a document the XSD has accepted, the schema already fixes where
every field a rule reads can stand: ``P_15`` only as a child of the one ``Fa``, ``NrWierszaFa`` as the
first child of each ``Fa/FaWiersz`` and ``StanPrzed`` as its last, ``P_16``..``P_18A`` as the first
four children of ``Adnotacje``, ``Termin`` only in ``Fa/Platnosc/TerminPlatnosci``, ``NrRB`` only in
the two kinds of bank account of ``Fa/Platnosc``, and so on. So the quick look walks only the
branches that hold those fields, reads them by position where the schema fixes the position (the tag
is still compared, and anything unexpected is "maybe"), and never builds an index.

What a walk costs is the Python object lxml makes for each element touched (0.15-0.5 µs with its
tag), so the walk touches as few as it can (about 40 elements for the usual invoice). A C-level
extraction was measured and is not cheaper here (µs per invoice on the bench corpus): one compiled
``etree.XPath`` doing every check in XPath 1.0 ~110 (libxml2 pays 0.2-0.5 µs for each step and
string function: the decimal-format tests alone ~50), ``concat`` of the 27 summary fields in one
XPath call 20-28, an ``etree.XSLT`` emitting the fields as text ~36, a regular expression over the
bytes 14-26, ``iter`` with the ~45 field names ~21 (lxml's tag matcher costs per name and element),
validating while parsing (``XMLParser(schema=...)``) no faster than parse + validate.

``surely_clean`` answers only "certainly no problem" (``True``) or "maybe" (``False``); on "maybe"
the caller runs ``check_rules``, which alone words the problems, so messages, paths and lines come
from one place. Every test here is the condition of a rule in ``rules.py`` or stricter: a value is
read the way the rule reads it (stripped, first of its name), or the answer is "maybe" (a number
must be a plain decimal, a NIP or account number plain ASCII digits). ``tests/fa3/test_quick_rules.py``
holds the two to each other over the samples, the generated mix and invoices broken on purpose.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from lxml import etree

from ksef_sheets.fa3.rates import BUCKETS
from ksef_sheets.fa3.rules import CORRECTIONS, DATE_PATTERN, MPP_THRESHOLD, OSS_MAX, account_fault
from ksef_sheets.fa3.safe_xml import NS
from ksef_sheets.fa3.tree import to_decimal
from ksef_sheets.identifiers import is_valid_ksef_number

_P = f"{{{NS}}}"
_FA = _P + "Fa"
_SELLER = _P + "Podmiot1"
_BUYER = _P + "Podmiot2"
_OTHER_PARTIES = frozenset({_P + "Podmiot3", _P + "PodmiotUpowazniony"})
_IDS = _P + "DaneIdentyfikacyjne"
_NIP = _P + "NIP"
_JST = _P + "JST"
_GV = _P + "GV"
_ROLA = _P + "Rola"
_ROW = _P + "FaWiersz"
_LINE_NO = _P + "NrWierszaFa"
_QTY = _P + "P_8B"
_BEFORE = _P + "StanPrzed"
_ANNEX15 = _P + "P_12_Zal_15"
# P_12_Zal_15 and what the schema lets follow it in a row: a row ending otherwise has no Annex 15 mark.
_ANNEX15_OR_LATER = frozenset(
    _P + n for n in ("P_12_Zal_15", "KwotaAkcyzy", "GTU", "Procedura", "KursWaluty")
)
_LINE_RATE = _P + "KursWaluty"
_NOTES = _P + "Adnotacje"
_P_18 = _P + "P_18"
_P_18A = _P + "P_18A"
_EXEMPTION = _P + "Zwolnienie"
_P_19N = _P + "P_19N"
_PAYMENT = _P + "Platnosc"
_DUE = _P + "TerminPlatnosci"
_TERMIN = _P + "Termin"
_ACCOUNTS = frozenset({_P + "RachunekBankowy", _P + "RachunekBankowyFaktora"})
_NR_RB = _P + "NrRB"
_CORRECTED = _P + "DaneFaKorygowanej"
_KSEF_CORRECTED = _P + "NrKSeFFaKorygowanej"
_CORRECTION_TYPE = _P + "TypKorekty"
_KIND = _P + "RodzajFaktury"
_CURRENCY = _P + "KodWaluty"
_ISSUED = _P + "P_1"
_TOTAL = _P + "P_15"
_RATE = _P + "KursWalutyZ"
_P_13_7 = _P + "P_13_7"
_P_13_10 = _P + "P_13_10"
# (net, vat, vat in PLN, rates as fractions) of each summary bucket, as namespaced tags. ``net * 0.23``
# is the same Decimal as the rule's ``net * 23 / 100`` (both exact at these sizes).
_BUCKET_TAGS = tuple(
    (
        _P + b.net_field,
        _P + b.vat_field if b.vat_field else None,
        _P + b.vat_pln_field if b.vat_pln_field else None,
        tuple(pct / 100 for pct in b.rates),
    )
    for b in BUCKETS
)
_SUMMARY = frozenset(tag for tags in _BUCKET_TAGS for tag in tags[:3] if tag)
_BUCKET_OF_NET = {net: (vat, pln, rates) for net, vat, pln, rates in _BUCKET_TAGS}
# tree.to_decimal's pattern: a text it reads as is needs no strip.
_PLAIN_DECIMAL = re.compile(r"-?\d{1,22}(\.\d{1,8})?").fullmatch
_CENT = Decimal("0.01")
_TWO_CENTS = Decimal("0.02")
_ZERO = Decimal(0)
# NIP check digit: the weighted sum of the first nine digits, three at a time from tables ("521" -> 6*5 +
# 5*2 + 7*1); a key that is not three ASCII digits is missing, and the answer is then "maybe".
_NIP_PARTS = tuple(
    {f"{n:03d}": w0 * (n // 100) + w1 * (n // 10 % 10) + w2 * (n % 10) for n in range(1000)}
    for w0, w1, w2 in ((6, 5, 7), (2, 3, 4), (5, 6, 7))
)
_DIGITS = "0123456789"


def _strip(raw: str | None) -> str | None:
    return (raw.strip() or None) if raw else None


def _decimal(raw: str | None) -> Decimal | None:
    """``to_decimal`` of the stripped text, as the rules read it (the strip only when needed)."""
    if raw is not None and _PLAIN_DECIMAL(raw) is not None:
        return Decimal(raw)
    return to_decimal(_strip(raw))


def surely_clean(root: etree._Element) -> bool:
    """``True`` only when ``check_rules`` would find nothing in this XSD-valid invoice."""
    try:
        return _parties_ok(root)
    except IndexError:  # a child the schema requires is missing: the rules decide
        return False


def _parties_ok(root: etree._Element) -> bool:
    """``_nips`` and ``_third_party_flags``, then ``Fa``.

    The schema's order: Naglowek, Podmiot1, Podmiot2, Podmiot3*, PodmiotUpowazniony?, Fa; JST and
    GV are the last two children of Podmiot2; a NIP is the first child of DaneIdentyfikacyjne."""
    seller, buyer = root[1], root[2]
    if seller.tag != _SELLER or buyer.tag != _BUYER or not _nip_ok(seller) or not _nip_ok(buyer):
        return False
    jst, gv = buyer[-2], buyer[-1]
    if jst.tag != _JST or gv.tag != _GV:
        return False
    roles: list[str | None] = []  # the first Rola of each Podmiot3
    part = buyer.getnext()
    while part is not None and part.tag != _FA:
        if part.tag in _OTHER_PARTIES:
            if not _nip_ok(part):
                return False
            role = next(part.iterchildren(_ROLA), None)
            if role is not None:
                roles.append(_strip(role.text))
        part = part.getnext()
    if part is None:
        return False
    if (_strip(jst.text) == "1" and "8" not in roles) or (_strip(gv.text) == "1" and "10" not in roles):
        return False
    return _fa_ok(part)


def _nip_ok(party: etree._Element) -> bool:
    """No ten-digit NIP with a wrong check digit in the party's (one) DaneIdentyfikacyjne."""
    ids = party[0]
    if ids.tag != _IDS:  # PrefiksPodatnika or NrEORI come first
        ids = next(party.iterchildren(_IDS), None)
        if ids is None:
            return True
    el = ids[0]
    if el.tag != _NIP:
        return True
    value = el.text
    if value and len(value) != 10:
        value = value.strip()
    if not value or len(value) != 10 or not value.isdigit():
        return True  # the rule checks ten digits only
    first, second, third = _NIP_PARTS
    a, b, c = first.get(value[:3]), second.get(value[3:6]), third.get(value[6:9])
    if a is None or b is None or c is None:
        return False  # other Unicode digits: the rule's int() reads them, these tables do not
    check = _DIGITS.find(value[9])
    return check >= 0 and (a + b + c) % 11 == check  # 10 (no valid digit) never equals a digit


def _fa_ok(fa: etree._Element) -> bool:
    # The fields read here stand once in Fa (the schema); FaWiersz rows are one run of siblings.
    kids = {el.tag: el for el in fa}
    last_row = kids.get(_ROW)
    rows = [last_row, *last_row.itersiblings(_ROW, preceding=True)] if last_row is not None else []
    kind_el = kids.get(_KIND)
    correction = (_strip(kind_el.text) if kind_el is not None else None) in CORRECTIONS
    currency_el = kids.get(_CURRENCY)
    currency = (_strip(currency_el.text) if currency_el is not None else None) or "PLN"
    p15 = _amounts_ok(kids, currency)
    if p15 is False or not _payment_ok(kids):
        return False
    if correction:  # no line or split-payment rule for corrections
        return _notes_ok(kids, rows, currency, None, False) and _correction_ok(fa, kids)
    annex15 = _lines_ok(rows)
    return annex15 is not None and _notes_ok(kids, rows, currency, p15, annex15)


def _amounts_ok(kids: dict[str, etree._Element], currency: str) -> Decimal | Literal[False] | None:
    """``_vat_rates``, ``_total`` and ``_currency``: rates within two grosze, the total, PLN VAT.
    ``False`` when a rule may fire, else P_15 as the rules read it (for the split-payment rule)."""
    p15_el = kids.get(_TOTAL)
    p15 = _decimal(p15_el.text) if p15_el is not None else None
    present = _SUMMARY.intersection(kids)
    if not present:
        return p15
    total = _ZERO
    seen = 0
    for net_tag in present:  # any order: the sum is exact
        bucket = _BUCKET_OF_NET.get(net_tag)
        if bucket is None:
            continue
        vat_tag, pln_tag, rates = bucket
        net = _decimal(kids[net_tag].text)
        if net is None:
            return False
        total += net
        seen += 1
        if vat_tag is None:
            continue
        vat = _decimal(kids[vat_tag].text) if vat_tag in present else None
        if vat is None:
            return False
        total += vat
        seen += 1
        if not rates:
            if abs(vat) > abs(net) * OSS_MAX + _CENT:
                return False
        elif abs(vat - net * rates[0]) > _TWO_CENTS and (
            len(rates) == 1 or abs(vat - net * rates[1]) > _TWO_CENTS
        ):
            return False  # maybe within the per-line rounding: check_rules counts the lines
        if pln_tag is not None:
            if pln_tag in present:
                if currency == "PLN":
                    return False
                seen += 1
            elif currency != "PLN" and vat != 0:
                return False
    if seen != len(present):
        return False  # a VAT field without its net, where the schema does not put it: the rules decide
    return p15 if p15 is None or abs(p15 - total) <= _CENT else False


def _lines_ok(rows: list[etree._Element]) -> bool | None:
    """``_lines`` (outside corrections): line numbers unique, no negative quantity, no StanPrzed.
    ``None`` when a rule may fire, else whether any row may carry the Annex 15 mark.

    The schema makes NrWierszaFa each row's first child and StanPrzed its last; P_8B comes after at
    most ten optional fields, fourth in the usual row (NrWierszaFa, P_7, P_8A, P_8B)."""
    numbers: set[str | None] = set()
    annex15 = False
    for row in rows:
        first = row[0]
        last_tag = row[-1].tag
        if first.tag != _LINE_NO or last_tag == _BEFORE:
            return None
        number = _strip(first.text)
        if number in numbers:
            return None
        numbers.add(number)
        try:
            guess = row[3]
        except IndexError:
            guess = None
        qty = guess if guess is not None and guess.tag == _QTY else next(row.iterchildren(_QTY), None)
        if qty is not None:
            text = qty.text
            if text and "-" in text:  # a quantity is never below zero without a minus sign
                return None
        if last_tag in _ANNEX15_OR_LATER and (last_tag != _LINE_RATE or row[-2].tag in _ANNEX15_OR_LATER):
            annex15 = True  # (a foreign-currency row ends in KursWaluty: what stands before it?)
    return annex15


def _payment_ok(kids: dict[str, etree._Element]) -> bool:
    """``_payment_dates`` and ``_bank_accounts``: no due date before the issue date, sound accounts.
    The schema makes Termin the first child of TerminPlatnosci if there, NrRB that of an account."""
    payment = kids.get(_PAYMENT)
    if payment is None:
        return True
    issued_el = kids.get(_ISSUED)
    issued = _strip(issued_el.text) if issued_el is not None else None
    if issued and (len(issued) != 10 or DATE_PATTERN.fullmatch(issued) is None):
        issued = None  # the rule compares nothing then
    for el in payment:
        tag = el.tag
        if tag == _DUE:
            due_el = el[0]
            if issued and due_el.tag == _TERMIN:
                due = _strip(due_el.text)
                if due and due < issued and DATE_PATTERN.fullmatch(due):
                    return False
        elif tag in _ACCOUNTS:
            nr = el[0]
            if nr.tag != _NR_RB or not _account_ok(nr.text):
                return False
    return True


def _account_ok(raw: str | None) -> bool:
    value = _strip(raw)
    if not value:
        return True
    if len(value) == 26 and value.isascii() and value.isdigit():
        # A plain NRB: the IBAN mod-97 check of "PL" + the digits, "PL" moved to the end as 2521.
        return int(value[2:] + "2521" + value[:2]) % 97 == 1
    return account_fault(value) is None


def _notes_ok(
    kids: dict[str, etree._Element],
    rows: list[etree._Element],
    currency: str,
    p15: Decimal | None,
    annex15: bool,
) -> bool:
    """``_annotations``: split payment against the threshold (only when ``p15`` is given: not for
    corrections), reverse charge and exemption marks; ``annex15``: a row may carry the Annex 15 mark.
    The schema puts P_16, P_17, P_18, P_18A first in Adnotacje, in this order, then Zwolnienie."""
    notes = kids.get(_NOTES)
    if notes is None:
        return True
    p18a_el = notes[3]
    if p18a_el.tag != _P_18A:
        return False
    p18a = _strip(p18a_el.text)
    if p15 is not None and (p18a == "1" or (p18a == "2" and annex15)):
        pln = _pln_total(p15, kids, rows, currency)
        if pln is not None:
            if p18a == "1" and abs(pln) <= MPP_THRESHOLD:
                return False
            if p18a == "2" and pln > MPP_THRESHOLD and _any_annex15(rows):
                return False
    p13_10 = kids.get(_P_13_10)
    if p13_10 is not None and _decimal(p13_10.text):
        p18 = notes[2]
        if p18.tag != _P_18 or _strip(p18.text) == "2":
            return False
    p13_7 = kids.get(_P_13_7)
    if p13_7 is not None and _decimal(p13_7.text):
        exemption = notes[4]
        return exemption.tag == _EXEMPTION and next(exemption.iterchildren(_P_19N), None) is None
    return True


def _first_text(parent: etree._Element, tag: str) -> str | None:
    el = next(parent.iterchildren(tag), None)
    return _strip(el.text) if el is not None else None


def _pln_total(
    p15: Decimal, kids: dict[str, etree._Element], rows: list[etree._Element], currency: str
) -> Decimal | None:
    """``rules._pln_total``: P_15 in złoty (at the invoice's rate, or the highest line rate)."""
    if currency == "PLN":
        return p15
    rate_el = kids.get(_RATE)
    rate = _decimal(rate_el.text) if rate_el is not None else None
    if rate is None:
        rates = [r for r in (to_decimal(_first_text(row, _LINE_RATE)) for row in rows) if r]
        rate = max(rates) if rates else None
    return p15 * rate if rate else None


def _any_annex15(rows: list[etree._Element]) -> bool:
    return any(_first_text(row, _ANNEX15) == "1" for row in rows)


def _correction_ok(fa: etree._Element, kids: dict[str, etree._Element]) -> bool:
    """``_correction``: the corrected invoice and the type of correction named, sound KSeF numbers."""
    if _CORRECTED not in kids or _CORRECTION_TYPE not in kids:
        return False
    for block in fa.iterchildren(_CORRECTED):
        for el in block.iterchildren(_KSEF_CORRECTED):
            value = _strip(el.text)
            if value and not is_valid_ksef_number(value):
                return False
    return True
