"""Hostile and broken files: refused early, with bounded memory, in one Polish sentence."""

from __future__ import annotations

import tracemalloc

import pytest

from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import NS, parse_invoice, validate_invoice, validate_xsd
from tests.fa3.conftest import edit

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><Fa><P_2>&lol9;</P_2></Fa></Faktura>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Faktura [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><Fa><P_2>&xxe;</P_2></Fa></Faktura>
"""


def _peak_bytes(func: object, *args: object) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(UserError):
            func(*args)  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("func", [parse_invoice, validate_invoice])
def test_billion_laughs_refused_with_bounded_memory(func: object) -> None:
    peak = _peak_bytes(func, BILLION_LAUGHS)
    assert peak < 1_000_000  # the expansion would be 3 GB


def test_billion_laughs_in_utf16_still_refused() -> None:
    data = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
    data = data.decode().encode("utf-16")
    assert b"<!DOCTYPE" not in data  # the byte check cannot see it; the parsed tree must
    peak = _peak_bytes(parse_invoice, data)
    assert peak < 1_000_000
    with pytest.raises(UserError, match="DOCTYPE"):
        parse_invoice(data)


def test_external_entity_refused_and_nothing_leaks() -> None:
    with pytest.raises(UserError) as info:
        parse_invoice(EXTERNAL_ENTITY, source="xxe.xml")
    assert "xxe.xml" in info.value.message and "DOCTYPE" in info.value.message
    assert "root:" not in info.value.message


def test_fifty_megabytes_refused_before_parsing() -> None:
    data = b"<Faktura>" + b"A" * 50_000_000 + b"</Faktura>"
    peak = _peak_bytes(parse_invoice, data)
    assert peak < 100_000  # no copy, no parse: only the message
    with pytest.raises(UserError, match=r"50,0 MB.*1 MB"):
        validate_invoice(data, source="duza.xml")


def test_over_one_megabyte_without_attachment_refused(good_xml: bytes) -> None:
    padding = "<DodatkowyOpis><Klucz>k</Klucz><Wartosc>" + "x" * 200 + "</Wartosc></DodatkowyOpis>"
    big = edit(good_xml, "<FaWiersz>", padding * 5000 + "<FaWiersz>")
    assert 1_000_000 < len(big) < 3_000_000
    with pytest.raises(UserError, match="bez załączników"):
        parse_invoice(big, source="duza.xml")
    # the word alone (e.g. in a description) does not count as an attachment
    sneaky = edit(big, "<Klucz>k</Klucz>", "<Klucz>Zalacznik</Klucz>")
    with pytest.raises(UserError, match="bez załączników"):
        parse_invoice(sneaky)


def test_attachment_allows_up_to_three_megabytes(good_xml: bytes) -> None:
    block = (
        "<BlokDanych><MetaDane><ZKlucz>umowa</ZKlucz><ZWartosc>1</ZWartosc></MetaDane><Tekst>"
        + ("<Akapit>" + "Treść załącznika. " * 25 + "</Akapit>") * 8
        + "</Tekst></BlokDanych>"
    )
    big = edit(good_xml, "</Faktura>", "<Zalacznik>" + block * 350 + "</Zalacznik></Faktura>")
    assert 1_000_000 < len(big) < 3_000_000
    inv = parse_invoice(big)
    assert inv.has_attachment
    assert validate_invoice(big).ok


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "pusty"),
        (b"%PDF-1.7\n...", "nie jest plikiem XML"),
        (b"<Faktura xmlns='" + NS.encode() + b"'>\n<Fa>\n<P_2>1</P_3>\n</Fa></Faktura>", "wierszu 3"),
        (b"<Faktura xmlns='" + NS.encode() + b"'><Fa>", "urywa się"),
        (b"<a>&amp</a>", "nie jest poprawnym dokumentem XML"),
    ],
)
def test_broken_files_get_one_polish_sentence(data: bytes, expected: str) -> None:
    with pytest.raises(UserError) as info:
        parse_invoice(data, source="zla.xml")
    assert expected in info.value.message
    assert "zla.xml" in info.value.message
    assert "\n" not in info.value.message


def test_wrong_root_and_wrong_version() -> None:
    with pytest.raises(UserError, match="„Invoice”"):
        parse_invoice(b"<Invoice/>", source="x.xml")
    fa2 = b'<Faktura xmlns="http://crd.gov.pl/wzor/2023/06/29/12648/"/>'
    with pytest.raises(UserError, match="innej wersji schematu"):
        validate_invoice(fa2, source="fa2.xml")


def test_validate_xsd_turns_hostile_input_into_a_problem() -> None:
    problems = validate_xsd(BILLION_LAUGHS)
    assert [p.code for p in problems] == ["XML_SYNTAX"]
