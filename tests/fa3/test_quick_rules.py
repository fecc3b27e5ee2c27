"""``quick_rules.surely_clean`` never hides a problem: ``validate_invoice`` reports exactly what the
schema and every business rule report, on the samples, the generated mix and thousands of invoices
broken on purpose (one field changed each: checksums, amounts, dates, flags, kinds, line numbers)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

from ksef_sheets.fa3 import NS, Party, generate_mix, parse_xml, validate_invoice
from ksef_sheets.fa3.quick_rules import surely_clean
from ksef_sheets.fa3.rules import check_rules
from ksef_sheets.fa3.schema import validate_tree
from ksef_sheets.fa3.tree import Node

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "ksef" / "fa3_samples"
PARTIES = [
    Party(name="Nowak IT Consulting Jan Nowak", nip="5210537039"),
    Party(name="Auto-Serwis Mazur s.c.", nip="8131863036"),
    Party(name="Budmax Sp. z o.o.", nip="7798676685"),
    Party(name="Piekarnia Kłos", nip="5272525995"),
]
P = f"{{{NS}}}"

# The fields the rules read, and values that break (or keep) them.
FIELDS = [
    "NIP",
    "NrRB",
    "Termin",
    "P_1",
    "NrWierszaFa",
    "P_8B",
    "StanPrzed",
    "P_12",
    "P_12_Zal_15",
    "KursWaluty",
    "KursWalutyZ",
    "P_13_1",
    "P_14_1",
    "P_14_1W",
    "P_13_2",
    "P_14_2",
    "P_13_5",
    "P_14_5",
    "P_13_7",
    "P_13_10",
    "P_15",
    "KodWaluty",
    "P_18A",
    "P_18",
    "P_19N",
    "JST",
    "GV",
    "Rola",
    "RodzajFaktury",
    "NrKSeFFaKorygowanej",
    "TypKorekty",
]


def _corpus() -> list[bytes]:
    data = [p.read_bytes() for p in sorted(SAMPLES.glob("*.xml"))]
    rng = random.Random(20)
    for seller in PARTIES:
        data += generate_mix(rng, seller, PARTIES, date(2026, 3, 1), date(2026, 6, 30), 25)
    return data


def _variants(rng: random.Random, text: str | None) -> list[str]:
    text = (text or "").strip()
    out = ["1", "2", "-1", "0", "", " 1 ", "15000.01", "14999.99", "2026-01-01", "2099-12-31", "KOR", "EUR"]
    if text:
        out += [text[:-1] + str((int(text[-1]) + 1) % 10) if text[-1].isdigit() else text + "1", f" {text} "]
        try:
            value = Decimal(text)
            out += [str(value + Decimal("0.03")), str(value - Decimal("1")), str(-value), str(value * 100)]
        except ArithmeticError:
            pass
    return out


def _mutants(data: bytes, rng: random.Random, count: int) -> list[bytes]:
    root = etree.fromstring(data)
    found = [el for name in FIELDS for el in root.iter(P + name)]
    out = []
    for _ in range(count):
        if not found:
            break
        el = rng.choice(found)
        old = el.text
        el.text = rng.choice(_variants(rng, old))
        if rng.random() < 0.15:  # a second field at once
            el2 = rng.choice(found)
            old2 = el2.text
            el2.text = rng.choice(_variants(rng, old2))
            out.append(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
            el2.text = old2
        else:
            out.append(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        el.text = old
    return out


def _added(data: bytes) -> list[bytes]:
    """Fields added where the schema allows them: StanPrzed on the first line, P_14_1W after P_14_1."""
    out = []
    root = etree.fromstring(data)
    row = root.find(f"{P}Fa/{P}FaWiersz")
    if row is not None and row.find(P + "StanPrzed") is None:
        etree.SubElement(row, P + "StanPrzed").text = "1"
        out.append(etree.tostring(root))
    root = etree.fromstring(data)
    vat = root.find(f"{P}Fa/{P}P_14_1")
    if vat is not None and root.find(f"{P}Fa/{P}P_14_1W") is None:
        extra = etree.Element(P + "P_14_1W")
        extra.text = vat.text
        vat.addnext(extra)
        out.append(etree.tostring(root))
    return out


def _full(data: bytes) -> list[str]:
    """The problems as the validation reported them before the quick look existed."""
    tree = parse_xml(data)
    return [p.describe() for p in [*validate_tree(tree), *check_rules(Node(tree.getroot()))]]


def test_the_quick_look_changes_no_report() -> None:
    rng = random.Random(7)
    quick_clean = quick_doubtful = rule_problems = 0
    for original in _corpus():
        for data in [original, *_mutants(original, rng, 12), *_added(original)]:
            report = validate_invoice(data)
            assert [p.describe() for p in report.problems] == _full(data)
            tree = parse_xml(data)
            if validate_tree(tree):
                continue
            clean = surely_clean(tree.getroot())
            problems = check_rules(tree.getroot())
            assert not (clean and problems), [p.describe() for p in problems]
            quick_clean += clean
            quick_doubtful += not clean
            rule_problems += bool(problems)
    # The comparison means something: the quick look answered often, and rules did fire.
    assert quick_clean > 300
    assert rule_problems > 150
    assert quick_doubtful >= rule_problems


def test_every_rule_is_caught_by_the_quick_look() -> None:
    """Each business-rule code the mutants produce on schema-valid invoices was seen as doubtful."""
    rng = random.Random(11)
    codes: set[str] = set()
    for original in _corpus():
        for data in [*_mutants(original, rng, 8), *_added(original)]:
            tree = parse_xml(data)
            if validate_tree(tree):
                continue
            problems = check_rules(tree.getroot())
            if problems:
                assert not surely_clean(tree.getroot())
                codes.update(p.code for p in problems)
    assert {
        "NIP_CHECKSUM",
        "BANK_ACCOUNT_CHECKSUM",
        "PAYMENT_DUE_BEFORE_ISSUE",
        "VAT_RATE_MISMATCH",
        "TOTAL_MISMATCH",
        "NEGATIVE_QUANTITY",
        "LINE_NUMBER_DUPLICATE",
        "KSEF_NUMBER_CHECKSUM",
        "STAN_PRZED_OUTSIDE_CORRECTION",
        "PLN_VAT_UNEXPECTED",
        "JST_WITHOUT_PODMIOT3",
        "SPLIT_PAYMENT_BELOW_THRESHOLD",
    } <= codes, codes
