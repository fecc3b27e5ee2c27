"""A quick look at an XSD-valid invoice: can any business rule fire? Usually not, and then cheaply.

``rules.check_rules`` builds an index of the tree (a Python object per element it reads) and costs
more than the XSD step itself. For a document the XSD has accepted, the schema already fixes where
every field a rule reads can stand: ``P_15`` only as a child of the one ``Fa``, ``NrWierszaFa`` only
in ``Fa/FaWiersz``, ``Termin`` only in ``Fa/Platnosc/TerminPlatnosci``, ``NrRB`` only in the two
kinds of bank account of ``Fa/Platnosc``, and so on (``NIP`` is the exception: it also stands in
``Podmiot1K``/``Podmiot2K`` and the carrier, which the rules leave alone). So one filtered walk over
the tree in C (``iter`` with a few tag names) and the texts of ``Fa``'s children are enough to
evaluate every rule's condition without building the index or a Python object per element.

``surely_clean`` answers only "certainly no problem" (``True``) or "maybe" (``False``); on "maybe"
the caller runs ``check_rules``, which alone words the problems, so messages, paths and lines come
from one place. Every test here is the condition of a rule in ``rules.py`` or looser (a doubtful
case is "maybe"): a NIP with a wrong check digit anywhere, a VAT amount off its rate by more than
two grosze, and so on. ``tests/fa3/test_quick_rules.py`` holds the two to each other over the
samples, the generated mix and invoices broken on purpose.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from ksef_sheets.fa3.rates import BUCKETS
from ksef_sheets.fa3.rules import (
    CORRECTIONS,
    DATE_PATTERN,
    MPP_THRESHOLD,
    OSS_MAX,
    account_fault,
    nip_checksum_wrong,
)
from ksef_sheets.fa3.safe_xml import NS
from ksef_sheets.fa3.tree import to_decimal
from ksef_sheets.identifiers import is_valid_ksef_number

_P = f"{{{NS}}}"
_FA = _P + "Fa"
_NIP = _P + "NIP"
_NR_RB = _P + "NrRB"
_TERMIN = _P + "Termin"
_KSEF_CORRECTED = _P + "NrKSeFFaKorygowanej"
_ROLA = _P + "Rola"
_JST = _P + "JST"
_GV = _P + "GV"
_LINE_NO = _P + "NrWierszaFa"
_QTY = _P + "P_8B"
_BEFORE = _P + "StanPrzed"
_ANNEX15 = _P + "P_12_Zal_15"
_LINE_RATE = _P + "KursWaluty"
_P_18A = _P + "P_18A"
_P_18 = _P + "P_18"
_P_19N = _P + "P_19N"
_KIND = _P + "RodzajFaktury"
_CURRENCY = _P + "KodWaluty"
_ISSUED = _P + "P_1"
_TOTAL = _P + "P_15"
_RATE = _P + "KursWalutyZ"
_P_13_7 = _P + "P_13_7"
_P_13_10 = _P + "P_13_10"
# Everything read outside Fa's own children, found in one walk (the fewer names, the faster it is).
_WALK = (
    _NIP,
    _NR_RB,
    _TERMIN,
    _KSEF_CORRECTED,
    _JST,
    _GV,
    _LINE_NO,
    _QTY,
    _BEFORE,
    _ANNEX15,
    _P_18A,
    _P_18,
    _P_19N,
)
# (net, vat, vat in PLN, rates) of each summary bucket, as namespaced tags.
_BUCKET_TAGS = tuple(
    (
        _P + b.net_field,
        _P + b.vat_field if b.vat_field else None,
        _P + b.vat_pln_field if b.vat_pln_field else None,
        b.rates,
    )
    for b in BUCKETS
)
# Each summary field -> the position of its bucket in ``_BUCKET_TAGS``.
_BUCKET_OF = {tag: i for i, tags in enumerate(_BUCKET_TAGS) for tag in tags[:3] if tag}
_CENT = Decimal("0.01")
_TWO_CENTS = Decimal("0.02")
_NONE: tuple[str | None, ...] = ()


def _strip(raw: str | None) -> str | None:
    return (raw.strip() or None) if raw else None


def _first(found: dict[str, list[str | None]], tag: str) -> str | None:
    values = found.get(tag)
    return _strip(values[0]) if values else None


def surely_clean(root: etree._Element) -> bool:
    """``True`` only when ``check_rules`` would find nothing in this XSD-valid invoice."""
    fa = root.find(_FA)
    if fa is None:
        return False
    texts = {el.tag: el.text for el in fa}
    found: dict[str, list[str | None]] = {}
    for tag, text in [(el.tag, el.text) for el in root.iter(*_WALK)]:
        values = found.get(tag)
        if values is None:
            found[tag] = [text]
        else:
            values.append(text)
    correction = (_strip(texts.get(_KIND)) or "") in CORRECTIONS
    return (
        _identifiers_ok(found)
        and _amounts_ok(texts)
        and (correction or _lines_ok(found))
        and _due_ok(found, texts)
        and _annotations_ok(fa, found, texts, correction)
        and _third_party_ok(root, found)
        and (not correction or (_P + "DaneFaKorygowanej" in texts and _P + "TypKorekty" in texts))
    )


def _identifiers_ok(found: dict[str, list[str | None]]) -> bool:
    """``_nips`` (every NIP of the invoice, a superset), ``_bank_accounts``, the KSeF numbers of ``_correction``."""
    for raw in found.get(_NIP, _NONE):
        value = _strip(raw)
        if value and len(value) == 10 and value.isdigit() and nip_checksum_wrong(value):
            return False
    for raw in found.get(_NR_RB, _NONE):
        value = _strip(raw)
        if value and account_fault(value) is not None:
            return False
    for raw in found.get(_KSEF_CORRECTED, _NONE):
        value = _strip(raw)
        if value and not is_valid_ksef_number(value):
            return False
    return True


def _amounts_ok(texts: dict[str, str | None]) -> bool:
    """``_vat_rates``, ``_total`` and ``_currency``: rates within two grosze, the total, PLN VAT."""
    used = sorted({_BUCKET_OF[tag] for tag in _BUCKET_OF.keys() & texts.keys()})
    if not used:
        return True
    currency = _strip(texts.get(_CURRENCY)) or "PLN"
    parts: list[Decimal] = []
    for index in used:  # the buckets with any of their fields, in order
        net_tag, vat_tag, pln_tag, rates = _BUCKET_TAGS[index]
        net_present = net_tag in texts
        vat_present = vat_tag is not None and vat_tag in texts
        pln_present = pln_tag is not None and pln_tag in texts
        vat = to_decimal(_strip(texts[vat_tag])) if vat_present else None  # type: ignore[index]
        if net_present:
            net = to_decimal(_strip(texts[net_tag]))
            if net is not None:
                parts.append(net)
            if vat is not None:
                parts.append(vat)
            if vat_tag and net is not None and vat is not None:
                if not rates:
                    if abs(vat) > abs(net) * OSS_MAX + _CENT:
                        return False
                elif min(abs(vat - net * pct / 100) for pct in rates) > _TWO_CENTS:
                    return False  # maybe within the per-line rounding: check_rules counts the lines
        if pln_tag and vat_tag and (vat_present or pln_present):
            if currency != "PLN" and vat is not None and vat != 0 and not pln_present:
                return False
            if currency == "PLN" and pln_present:
                return False
    p15 = to_decimal(_strip(texts.get(_TOTAL)))
    return not (p15 is not None and parts and abs(p15 - sum(parts, Decimal(0))) > _CENT)


def _lines_ok(found: dict[str, list[str | None]]) -> bool:
    """``_lines`` (outside corrections): line numbers unique, no negative quantity, no StanPrzed."""
    numbers = [n for n in map(_strip, found.get(_LINE_NO, _NONE)) if n is not None]
    if len(set(numbers)) != len(numbers):
        return False
    for raw in found.get(_QTY, _NONE):
        qty = to_decimal(_strip(raw))
        if qty is not None and qty < 0:
            return False
    return not any(_strip(raw) == "1" for raw in found.get(_BEFORE, _NONE))


def _due_ok(found: dict[str, list[str | None]], texts: dict[str, str | None]) -> bool:
    """``_payment_dates``: no due date before the issue date."""
    issued = _strip(texts.get(_ISSUED))
    if not issued or len(issued) != 10 or DATE_PATTERN.fullmatch(issued) is None:
        return True
    for raw in found.get(_TERMIN, _NONE):
        due = _strip(raw)
        if due and due < issued and DATE_PATTERN.fullmatch(due):
            return False
    return True


def _pln_total(fa: etree._Element, texts: dict[str, str | None]) -> Decimal | None:
    p15 = to_decimal(_strip(texts.get(_TOTAL)))
    if p15 is None:
        return None
    if (_strip(texts.get(_CURRENCY)) or "PLN") == "PLN":
        return p15
    rate = to_decimal(_strip(texts.get(_RATE)))
    if rate is None:
        rates = [r for r in (to_decimal(_strip(el.text)) for el in fa.iter(_LINE_RATE)) if r]
        rate = max(rates) if rates else None
    return p15 * rate if rate else None


def _annotations_ok(
    fa: etree._Element, found: dict[str, list[str | None]], texts: dict[str, str | None], correction: bool
) -> bool:
    """``_annotations``: split payment against the threshold, reverse charge and exemption marks."""
    p18a = _first(found, _P_18A)
    annex15 = p18a == "2" and any(_strip(raw) == "1" for raw in found.get(_ANNEX15, _NONE))
    if (p18a == "1" or annex15) and not correction:
        pln = _pln_total(fa, texts)
        if p18a == "1" and pln is not None and abs(pln) <= MPP_THRESHOLD:
            return False
        if annex15 and pln is not None and pln > MPP_THRESHOLD:
            return False
    if _first(found, _P_18) == "2" and to_decimal(_strip(texts.get(_P_13_10))):
        return False
    return not (_P_19N in found and to_decimal(_strip(texts.get(_P_13_7))))


def _third_party_ok(root: etree._Element, found: dict[str, list[str | None]]) -> bool:
    """``_third_party_flags``: a JST or GV buyer comes with its Podmiot3 in role 8 or 10."""
    jst, gv = _first(found, _JST), _first(found, _GV)
    if jst != "1" and gv != "1":
        return True
    roles = {_strip(el.text) for el in root.iter(_ROLA)}
    return (jst != "1" or "8" in roles) and (gv != "1" or "10" in roles)
