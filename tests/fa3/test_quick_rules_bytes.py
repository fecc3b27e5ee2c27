"""``quick_rules_bytes.bytes_say_clean`` reads the invoice's bytes: it may say "certainly clean" only
when every business rule finds nothing, and it must notice every byte form it does not understand
(comments, CDATA, prefixes, references, attributes, whitespace in tags, other encodings) and leave
those to the tree walk. Each case is XSD-valid (else the quick look never runs) and gives the same
report as XSD + all rules; the expected answer says which path decides."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date

import pytest
from lxml import etree

from ksef_sheets.fa3 import NS, generate_mix, parse_xml, validate_invoice
from ksef_sheets.fa3.quick_rules import surely_clean
from ksef_sheets.fa3.quick_rules_bytes import bytes_say_clean
from ksef_sheets.fa3.rules import check_rules
from ksef_sheets.fa3.schema import validate_tree
from ksef_sheets.fa3.tree import Node
from ksef_sheets.identifiers import make_ksef_number
from tests.fa3.test_quick_rules import PARTIES

Edit = Callable[[str], str]
BAD_NIP = "7798676686"  # 7798676685 with a wrong check digit
KSEF_NUMBER = make_ksef_number("7798676685", date(2026, 3, 13), "8BEF280C8D35")
WRONG_KSEF_NUMBER = KSEF_NUMBER[:-1] + ("0" if KSEF_NUMBER[-1] != "0" else "1")


def _mix() -> list[bytes]:
    return generate_mix(random.Random(20), PARTIES[0], PARTIES, date(2026, 3, 1), date(2026, 6, 30), 25)


def _base(kind: str = "VAT", currency: str = "PLN", p18a: str = "2", having: str = "") -> str:
    for data in _mix():
        text = data.decode()
        if (
            re.search(having, text)
            and f"<RodzajFaktury>{kind}<" in text
            and f"<KodWaluty>{currency}<" in text
            and f"<P_18A>{p18a}<" in text
            and (kind != "VAT" or ("<NrRB>" in text and "<Termin>" in text))
        ):
            return text
    raise AssertionError(f"no {kind} {currency} invoice with P_18A={p18a} in the mix")


def _sub(pattern: str, repl: str | Callable[[re.Match[str]], str], count: int = 1) -> Edit:
    def edit(text: str) -> str:
        new, n = re.subn(pattern, repl, text, count=count)
        assert n, pattern
        return new

    return edit


def _chain(*edits: Edit) -> Edit:
    def edit(text: str) -> str:
        for one in edits:
            text = one(text)
        return text

    return edit


def _wrong_total(m: re.Match[str]) -> str:
    return f"{m.group(1)}{int(m.group(2)) + 7}{m.group(3)}"


WRONG_TOTAL = _sub(r"(<P_15>)(\d+)(\.\d\d</P_15>)", _wrong_total)
PREFIX_ON_ROOT = _sub(r"<Faktura ", f'<Faktura xmlns:x="{NS}" ')
WRONG_ACCOUNT = _sub(r"<NrRB>(\d)", lambda m: f"<NrRB>{(int(m.group(1)) + 1) % 10}")
ROW_TWO_IS_ONE = _sub(r"<NrWierszaFa>2<", "<NrWierszaFa >1<")
PODMIOT3 = (
    "<Podmiot3><DaneIdentyfikacyjne><NIP>{nip}</NIP><Nazwa>Budmax</Nazwa></DaneIdentyfikacyjne>"
    "<Rola>2</Rola></Podmiot3>"
)
UPOWAZNIONY = (
    "<PodmiotUpowazniony><DaneIdentyfikacyjne><NIP>{nip}</NIP><Nazwa>Komornik</Nazwa></DaneIdentyfikacyjne>"
    "<Adres><KodKraju>PL</KodKraju><AdresL1>ul. Krótka 1</AdresL1></Adres><RolaPU>1</RolaPU></PodmiotUpowazniony>"
)


def _before_fa(block: str) -> Edit:
    return _sub(r"(\s*)<Fa>", lambda m: f"{block}{m.group(1)}<Fa>")


# (name, base invoice, edit, expected answer of the byte reader, a rule code expected or None)
CASES: list[tuple[str, tuple[str, str, str], Edit, bool | None, str | None]] = [
    ("plain", ("VAT", "PLN", "2"), lambda t: t, True, None),
    ("wrong total, plain", ("VAT", "PLN", "2"), WRONG_TOTAL, False, "TOTAL_MISMATCH"),
    ("CRLF line ends", ("VAT", "PLN", "2"), lambda t: t.replace("\n", "\r\n"), True, None),
    (
        "a comment holding <P_15> before the real one",
        ("VAT", "PLN", "2"),
        _sub(r"<P_15>", "<!-- <P_15>1.00</P_15> --><P_15>"),
        None,
        None,
    ),
    (
        "a comment holding a right <P_15>, the real one wrong",
        ("VAT", "PLN", "2"),
        _chain(WRONG_TOTAL, _sub(r"<P_15>", "<!-- <P_15>0.00</P_15> --><P_15>")),
        None,
        "TOTAL_MISMATCH",
    ),
    (
        "CDATA around a total",
        ("VAT", "PLN", "2"),
        _sub(r"<P_15>([^<]*)</P_15>", r"<P_15><![CDATA[\1]]></P_15>"),
        None,
        None,
    ),
    ("a processing instruction in Fa", ("VAT", "PLN", "2"), _sub(r"<P_15>", "<?note x?><P_15>"), None, None),
    (
        "a prefix for the FA(3) namespace on the root, a wrong prefixed total",
        ("VAT", "PLN", "2"),
        _chain(WRONG_TOTAL, PREFIX_ON_ROOT, _sub(r"<P_15>([^<]*)</P_15>", r"<x:P_15>\1</x:P_15>")),
        None,
        "TOTAL_MISMATCH",
    ),
    (
        "a prefix declared on Fa, a wrong prefixed NIP-free total",
        ("VAT", "PLN", "2"),
        _chain(
            WRONG_TOTAL,
            _sub(r"<Fa>", f'<Fa xmlns:x="{NS}">'),
            _sub(r"<P_15>([^<]*)</P_15>", r"<x:P_15>\1</x:P_15>"),
        ),
        None,
        "TOTAL_MISMATCH",
    ),
    (
        "a prefixed NIP with a wrong check digit",
        ("VAT", "PLN", "2"),
        _chain(PREFIX_ON_ROOT, _sub(r"<NIP>\d+</NIP>", f"<x:NIP>{BAD_NIP}</x:NIP>")),
        None,
        "NIP_CHECKSUM",
    ),
    ("&#49; in an amount", ("VAT", "PLN", "2"), _sub(r"<P_15>\d", "<P_15>&#49;"), None, "TOTAL_MISMATCH"),
    (
        "&#45; before a quantity",
        ("VAT", "PLN", "2"),
        _sub(r"<P_8B>", "<P_8B>&#45;"),
        None,
        "NEGATIVE_QUANTITY",
    ),
    ("an attribute on P_15", ("VAT", "PLN", "2"), _sub(r"<P_15>", f'<P_15 xmlns="{NS}">'), None, None),
    (
        "xmlns redeclared on Adnotacje",
        ("VAT", "PLN", "2"),
        _sub(r"<Adnotacje>", f'<Adnotacje xmlns="{NS}">'),
        None,
        None,
    ),
    (
        "whitespace in a NIP tag, wrong check digit",
        ("VAT", "PLN", "2"),
        _sub(r"<NIP>\d+</NIP>", f"<NIP >{BAD_NIP}</NIP>"),
        None,
        "NIP_CHECKSUM",
    ),
    (
        "a newline in the P_15 tag, wrong total",
        ("VAT", "PLN", "2"),
        _chain(WRONG_TOTAL, _sub("<P_15>", "<P_15\n>")),
        None,
        "TOTAL_MISMATCH",
    ),
    (
        "a line number repeated in an odd tag",
        ("VAT", "PLN", "2"),
        ROW_TWO_IS_ONE,
        None,
        "LINE_NUMBER_DUPLICATE",
    ),
    (
        "whitespace in a row's tag and end tag, StanPrzed last",
        ("VAT", "PLN", "2"),
        _sub(r"</FaWiersz>(?![\s\S]*</FaWiersz>)", "<StanPrzed >1</StanPrzed></FaWiersz >"),
        False,
        "STAN_PRZED_OUTSIDE_CORRECTION",
    ),
    (
        "rows numbered out of order",
        ("VAT", "PLN", "2"),
        _chain(_sub(r"<NrWierszaFa>1<", "<NrWierszaFa>9<")),
        True,
        None,
    ),
    (
        "a sound NIP in Podmiot3",
        ("VAT", "PLN", "2"),
        _before_fa(PODMIOT3.format(nip="7798676685")),
        True,
        None,
    ),
    (
        "a wrong NIP in Podmiot3",
        ("VAT", "PLN", "2"),
        _before_fa(PODMIOT3.format(nip=BAD_NIP)),
        False,
        "NIP_CHECKSUM",
    ),
    (
        "a wrong NIP in PodmiotUpowazniony",
        ("VAT", "PLN", "2"),
        _before_fa(UPOWAZNIONY.format(nip=BAD_NIP)),
        False,
        "NIP_CHECKSUM",
    ),
    (
        "JST marked without Podmiot3",
        ("VAT", "PLN", "2"),
        _sub("<JST>2<", "<JST>1<"),
        None,
        "JST_WITHOUT_PODMIOT3",
    ),
    (
        "a prefix declared on an account, a wrong prefixed account number",
        ("VAT", "PLN", "2"),
        _chain(
            WRONG_ACCOUNT,
            _sub("<RachunekBankowy>", f'<RachunekBankowy xmlns:x="{NS}">'),
            _sub(r"<NrRB>([^<]*)</NrRB>", r"<x:NrRB>\1</x:NrRB>"),
        ),
        None,
        "BANK_ACCOUNT_CHECKSUM",
    ),
    (
        "whitespace in an NrRB tag, a wrong account number",
        ("VAT", "PLN", "2"),
        _chain(WRONG_ACCOUNT, _sub("<NrRB>", "<NrRB >")),
        None,
        "BANK_ACCOUNT_CHECKSUM",
    ),
    ("a wrong bank account", ("VAT", "PLN", "2"), WRONG_ACCOUNT, False, "BANK_ACCOUNT_CHECKSUM"),
    (
        "payment due before the issue",
        ("VAT", "PLN", "2"),
        _sub(r"<Termin>[^<]*<", "<Termin>2020-01-01<"),
        False,
        "PAYMENT_DUE_BEFORE_ISSUE",
    ),
    (
        "a due date in whitespace",
        ("VAT", "PLN", "2"),
        _sub(r"<Termin>([^<]*)<", r"<Termin> \1 <"),
        True,
        None,
    ),
    ("foreign currency", ("VAT", "EUR", "2"), lambda t: t, True, None),
    (
        "foreign currency, PLN VAT missing",
        ("VAT", "EUR", "2"),
        _sub(r"<P_14_(\d)W>[^<]*</P_14_\dW>\s*", ""),
        False,
        "PLN_VAT_MISSING",
    ),
    ("split payment marked", ("VAT", "PLN", "1"), lambda t: t, True, None),
    ("a correction", ("KOR", "EUR", "2"), lambda t: t, True, None),
    (
        "a correction of a KSeF invoice",
        ("KOR", "EUR", "2"),
        _sub(
            "<NrKSeFN>1</NrKSeFN>",
            f"<NrKSeF>1</NrKSeF><NrKSeFFaKorygowanej>{KSEF_NUMBER}</NrKSeFFaKorygowanej>",
        ),
        True,
        None,
    ),
    (
        "a correction with a wrong KSeF number",
        ("KOR", "EUR", "2"),
        _sub(
            "<NrKSeFN>1</NrKSeFN>",
            f"<NrKSeF>1</NrKSeF><NrKSeFFaKorygowanej>{WRONG_KSEF_NUMBER}</NrKSeFFaKorygowanej>",
        ),
        False,
        "KSEF_NUMBER_CHECKSUM",
    ),
    (
        "a correction without its type",
        ("KOR", "EUR", "2"),
        _sub(r"<TypKorekty>\d</TypKorekty>\s*", ""),
        False,
        "CORRECTION_TYPE_MISSING",
    ),
]


ROUND_NET = r"<P_13_\d+>\d+\.\d0<"  # a net amount whose second decimal is 0


@pytest.mark.parametrize(
    ("name", "having", "edit", "answer"),
    [
        ("one decimal and a space", ROUND_NET, _sub(r"(<P_13_\d+>\d+\.\d)0<", r"\1 <"), True),
        (
            "a newline in a net field's tag",
            ROUND_NET,
            _sub(r"<P_13_(\d+)>(\d+\.\d0)<", r"<P_13_\1\n>\2<"),
            None,
        ),
        ("whitespace in a VAT field's tag", r"<P_14_\d+>", _sub(r"<P_14_(\d+)>", r"<P_14_\1 >"), None),
    ],
)
def test_summary_amounts_in_other_forms(name: str, having: str, edit: Edit, answer: bool | None) -> None:
    """The summary fields are read as amounts in grosze; a value or tag in an unusual form is either
    read as the rules read it or left to the tree walk, never dropped."""
    got, problems = _held_to_the_rules(edit(_base(having=having)).encode())
    assert (got, problems) == (answer, []), name


def _held_to_the_rules(data: bytes) -> tuple[bool | None, list[str]]:
    tree = parse_xml(data)
    assert [p.describe() for p in validate_tree(tree)] == []  # the quick look runs on valid documents only
    found = check_rules(Node(tree.getroot()))
    assert [p.describe() for p in validate_invoice(data).problems] == [p.describe() for p in found]
    problems = [f"{p.code}: {p.describe()}" for p in found]
    answer = bytes_say_clean(data, tree.getroot())
    assert not (answer and problems), problems
    assert not (surely_clean(tree.getroot()) and problems), problems
    return answer, problems


@pytest.mark.parametrize(("name", "base", "edit", "answer", "code"), CASES, ids=[c[0] for c in CASES])
def test_byte_forms(
    name: str, base: tuple[str, str, str], edit: Edit, answer: bool | None, code: str | None
) -> None:
    data = edit(_base(*base)).encode()
    got, problems = _held_to_the_rules(data)
    assert got is answer, (name, problems)
    if code is None:
        assert problems == [], problems
    else:
        assert any(p.startswith(code + ":") for p in problems), problems


@pytest.mark.parametrize("encoding", ["UTF-16", "ISO-8859-2"])
def test_other_encodings_go_to_the_tree(encoding: str) -> None:
    root = etree.fromstring(_base().encode())
    data = etree.tostring(root, xml_declaration=True, encoding=encoding)
    assert _held_to_the_rules(data) == (None, [])


def test_a_bom_and_no_declaration_are_plain() -> None:
    text = _base()
    body = text[text.index("<Faktura") :]
    assert _held_to_the_rules(b"\xef\xbb\xbf" + text.encode()) == (True, [])
    assert _held_to_the_rules(body.encode()) == (True, [])
