"""Schema violations come back in Polish, with the element path and the line."""

from __future__ import annotations

import pytest

from ksef_sheets.fa3 import validate_invoice, validate_xsd
from ksef_sheets.fa3.schema import fa3_schema, schemas_dir, translate
from tests.fa3.conftest import edit


def _line_of(xml: bytes, text: str) -> int:
    return xml[: xml.index(text.encode())].count(b"\n") + 1


def test_schema_is_compiled_once_from_package_data() -> None:
    assert fa3_schema() is fa3_schema()
    assert sorted(p.name for p in schemas_dir().glob("*.xsd")) == [
        "ElementarneTypyDanych_v10-0E.xsd",
        "KodyKrajow_v10-0E.xsd",
        "StrukturyDanych_v10-0E.xsd",
        "schemat_FA(3)_v1-0E.xsd",
    ]


def test_good_invoice_has_no_xsd_problems(good_xml: bytes) -> None:
    assert validate_xsd(good_xml) == []


def test_missing_element(good_xml: bytes) -> None:
    broken = edit(good_xml, "<P_2>FV/7/04/2026</P_2>", "")
    (problem,) = [p for p in validate_xsd(broken)]
    assert problem.code in ("XSD_UNEXPECTED", "XSD_MISSING")
    assert "P_2" in problem.message and problem.severity == "error"
    assert problem.path.startswith("Faktura/Fa/")
    assert problem.line == _line_of(broken, "<P_13_1>")


def test_unexpected_element(good_xml: bytes) -> None:
    broken = edit(good_xml, "<P_15>", "<Rabat>5</Rabat><P_15>")
    (problem,) = validate_xsd(broken)
    assert problem.code == "XSD_UNEXPECTED"
    assert problem.message.startswith("Element Rabat jest w tym miejscu niedozwolony")
    assert "oczekiwano: " in problem.message and "P_13_3" in problem.message
    assert problem.path == "Faktura/Fa/Rabat"
    assert problem.line == _line_of(broken, "<Rabat>")


@pytest.mark.parametrize(
    ("old", "new", "code", "words"),
    [
        ("<NIP>7798676685</NIP>", "<NIP>0798676685</NIP>", "XSD_PATTERN", ["0798676685", "NIP", "format"]),
        (
            "<RodzajFaktury>VAT</RodzajFaktury>",
            "<RodzajFaktury>FAK</RodzajFaktury>",
            "XSD_ENUM",
            ["FAK", "KOR"],
        ),
        ("<P_12>8</P_12>", "<P_12>9</P_12>", "XSD_ENUM", ["„9”", "P_12"]),
        ("<P_15>", "<P_15>1.234", "XSD_TYPE", ["P_15", "liczby"]),
        (
            "<P_1>2026-04-15</P_1>",
            "<P_1>2005-12-31</P_1>",
            "XSD_RANGE",
            ["2005-12-31", "za mała", "2006-01-01"],
        ),
        ("<P_1>2026-04-15</P_1>", "<P_1>15.04.2026</P_1>", "XSD_TYPE", ["15.04.2026", "RRRR-MM-DD"]),
        ("<P_7>Catering</P_7>", "<P_7>" + "x" * 513 + "</P_7>", "XSD_LENGTH", ["za długa", "512"]),
        ('wersjaSchemy="1-0E"', 'wersjaSchemy="1-0"', "XSD_ENUM", ["wersjaSchemy", "1-0E"]),
    ],
)
def test_facet_and_type_messages_in_polish(
    good_xml: bytes, old: str, new: str, code: str, words: list[str]
) -> None:
    broken = edit(good_xml, old, new)
    problems = validate_xsd(broken)
    assert problems, "the schema must reject this"
    assert problems[0].code == code, problems
    for word in words:
        assert word in problems[0].message, (word, problems[0].message)
    assert problems[0].line is not None and problems[0].path.startswith("Faktura/")


def test_repeated_elements_get_positions_in_the_path(good_xml: bytes) -> None:
    broken = edit(good_xml, "<P_12>8</P_12>", "<P_12>9</P_12>")
    (problem,) = validate_xsd(broken)
    assert problem.path == "Faktura/Fa/FaWiersz[2]/P_12"


def test_validate_invoice_includes_xsd_problems(good_xml: bytes) -> None:
    report = validate_invoice(edit(good_xml, "<P_12>8</P_12>", "<P_12>9</P_12>"))
    assert not report.ok and report.errors[0].code == "XSD_ENUM"


def test_unknown_message_still_polish_prefix() -> None:
    code, element, message = translate("Element '{x}Foo': Something new happened.")
    assert code == "XSD_OTHER" and element == "Foo"
    assert message.startswith("Niezgodność ze schematem FA(3)")


def test_threads_do_not_mix_their_errors(good_xml: bytes) -> None:
    import threading

    bad = edit(good_xml, "<P_12>8</P_12>", "<P_12>9</P_12>")
    failures: list[str] = []

    def work(data: bytes, expected: list[str]) -> None:
        for _ in range(150):
            codes = [p.code for p in validate_xsd(data)]
            if codes != expected:
                failures.append(repr(codes))

    threads = [
        threading.Thread(target=work, args=(good_xml if i % 2 else bad, [] if i % 2 else ["XSD_ENUM"]))
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
