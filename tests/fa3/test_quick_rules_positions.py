"""``quick_rules.surely_clean`` reads some fields by the position the schema gives them and falls back
to a search when the usual position holds something else. These invoices put the optional fields the
generated mix never has in front of the ones read (PrefiksPodatnika, Indeks, a short row, Annex 15
before KursWaluty, a Podmiot3): each must be XSD-valid, give the same report as XSD + all rules, and
be "certainly clean" exactly when the rules find nothing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date

import pytest
from lxml import etree

from ksef_sheets.fa3 import NS, generate_mix, parse_xml, validate_invoice
from ksef_sheets.fa3.quick_rules import surely_clean
from ksef_sheets.fa3.rules import check_rules
from ksef_sheets.fa3.schema import validate_tree
from ksef_sheets.fa3.tree import Node
from tests.fa3.test_quick_rules import PARTIES

P = f"{{{NS}}}"
Edit = Callable[[etree._Element], None]


def _mix() -> list[bytes]:
    return generate_mix(random.Random(20), PARTIES[0], PARTIES, date(2026, 3, 1), date(2026, 6, 30), 25)


def _invoice(currency: str, p18a: str) -> bytes:
    """The first plain VAT invoice of the mix in ``currency`` with ``P_18A`` = ``p18a``."""
    for data in _mix():
        root = etree.fromstring(data)
        fa = root.find(P + "Fa")
        if (
            fa.findtext(P + "RodzajFaktury") == "VAT"
            and fa.findtext(P + "KodWaluty") == currency
            and fa.findtext(f"{P}Adnotacje/{P}P_18A") == p18a
        ):
            return data
    raise AssertionError(f"no {currency} invoice with P_18A={p18a} in the mix")


def _sub(parent: etree._Element, name: str, text: str, index: int | None = None) -> etree._Element:
    el = etree.Element(P + name)
    el.text = text
    if index is None:
        parent.append(el)
    else:
        parent.insert(index, el)
    return el


def _after(el: etree._Element, name: str, text: str) -> None:
    new = etree.Element(P + name)
    new.text = text
    el.addnext(new)


def _first_row(root: etree._Element) -> etree._Element:
    return root.find(f"{P}Fa/{P}FaWiersz")


def _prefix(root: etree._Element) -> None:
    _sub(root.find(P + "Podmiot1"), "PrefiksPodatnika", "PL", 0)


def _prefix_bad_nip(root: etree._Element) -> None:
    _prefix(root)
    nip = root.find(f"{P}Podmiot1/{P}DaneIdentyfikacyjne/{P}NIP")
    nip.text = nip.text[:-1] + str((int(nip.text[-1]) + 1) % 10)


def _indeks(root: etree._Element) -> None:
    _after(_first_row(root).find(P + "P_7"), "Indeks", "IDX-1")


def _indeks_negative(root: etree._Element) -> None:
    _indeks(root)
    _first_row(root).find(P + "P_8B").text = "-1"


def _short_row(root: etree._Element) -> None:
    row = _first_row(root)
    for el in list(row)[2:]:
        row.remove(el)


def _annex15_before_rate(root: etree._Element) -> None:
    for row in root.iter(P + "FaWiersz"):
        _after(row.find(P + "P_12"), "P_12_Zal_15", "1")


def _podmiot3(role: str, jst: str, nip: str = "7798676685") -> Edit:
    def edit(root: etree._Element) -> None:
        buyer = root.find(P + "Podmiot2")
        buyer.find(P + "JST").text = jst
        third = etree.Element(P + "Podmiot3")
        ids = etree.SubElement(third, P + "DaneIdentyfikacyjne")
        _sub(ids, "NIP", nip)
        _sub(ids, "Nazwa", "Budmax Sp. z o.o.")
        _sub(third, "Rola", role)
        buyer.addnext(third)

    return edit


CASES: list[tuple[str, str, str, Edit, bool]] = [
    ("PrefiksPodatnika przed DaneIdentyfikacyjne", "PLN", "2", _prefix, True),
    ("PrefiksPodatnika i błędny NIP", "PLN", "2", _prefix_bad_nip, False),
    ("Indeks przed P_8B", "PLN", "2", _indeks, True),
    ("Indeks przed ujemną P_8B", "PLN", "2", _indeks_negative, False),
    ("wiersz z dwoma polami", "PLN", "2", _short_row, True),
    ("załącznik 15 przed KursWaluty, bez MPP", "EUR", "2", _annex15_before_rate, False),
    ("JST z Podmiotem3 w roli 8", "PLN", "2", _podmiot3("8", "1"), True),
    ("JST z Podmiotem3 w innej roli", "PLN", "2", _podmiot3("2", "1"), False),
    ("Podmiot3 z błędnym NIP", "PLN", "2", _podmiot3("2", "2", "7798676686"), False),
]


@pytest.mark.parametrize(("name", "currency", "p18a", "edit", "clean"), CASES, ids=[c[0] for c in CASES])
def test_positions_the_schema_allows(name: str, currency: str, p18a: str, edit: Edit, clean: bool) -> None:
    root = etree.fromstring(_invoice(currency, p18a))
    edit(root)
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    tree = parse_xml(data)
    assert [p.describe() for p in validate_tree(tree)] == [], name  # the case is one the quick look sees
    problems = check_rules(Node(tree.getroot()))
    assert [p.describe() for p in validate_invoice(data).problems] == [p.describe() for p in problems]
    assert surely_clean(tree.getroot()) is clean
    assert (not problems) is clean, [p.describe() for p in problems]
