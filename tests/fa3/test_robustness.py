"""Mangled invoices never crash the reader, the validator or the register row — only UserError or problems."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import parse_invoice, to_register_row, validate_invoice
from tests.fa3.conftest import edit


def _mutate(data: bytes, picks: list[tuple[int, int, str]]) -> bytes:
    root = etree.fromstring(data)
    for index, action, text in picks:
        elements = [e for e in root.iter() if e is not root]
        if not elements:
            break
        el = elements[index % len(elements)]
        if action == 0 and el.getparent() is not None:
            el.getparent().remove(el)  # type: ignore[union-attr]
        elif action == 1:
            el.text = text
        elif action == 2:
            etree.SubElement(el, el.tag).text = text  # a repeated / nested element
        else:
            parent = el.getparent()
            if parent is not None:
                parent.append(el)  # moved out of order
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.integers(min_value=0, max_value=8),
    picks=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=500),
            st.integers(min_value=0, max_value=3),
            st.sampled_from(
                ["", "-1", "abc", "2026-13-45", "1e400", "NaN", "99999999999999999999", "0", "PLN", "1"]
            ),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_mangled_samples_never_crash(
    sample_bytes: dict[str, bytes], sample: int, picks: list[tuple[int, int, str]]
) -> None:
    data = _mutate(sorted(sample_bytes.values())[sample], picks)
    try:
        invoice = parse_invoice(data)
    except UserError:
        return
    to_register_row(invoice)
    report = validate_invoice(data)
    for problem in report.problems:
        assert problem.message and problem.code


def test_absurd_numbers_are_not_computed_with(good_xml: bytes) -> None:
    for value in ("1e999999999", "9" * 400, "NaN", "Infinity", "0x10"):
        data = edit(good_xml, "<P_15>3523.75</P_15>", f"<P_15>{value}</P_15>")
        invoice = parse_invoice(data)
        assert invoice.total is None and invoice.total_text == value
        report = validate_invoice(data)
        assert not report.ok and all(len(p.message) < 2000 for p in report.problems)


def test_remaining_warning_rules(good_xml: bytes) -> None:
    short_account = edit(good_xml, "73102010260940909620737689", "1234567890")
    assert [p.code for p in validate_invoice(short_account).problems] == ["BANK_ACCOUNT_FORMAT"]
    bad_iban = edit(good_xml, "73102010260940909620737689", "DE89370400440532013001")
    assert [(p.code, p.severity) for p in validate_invoice(bad_iban).problems] == [
        ("BANK_ACCOUNT_CHECKSUM", "warning")
    ]
    stan = edit(good_xml, "<P_12>8</P_12>", "<P_12>8</P_12><StanPrzed>1</StanPrzed>")
    assert [p.code for p in validate_invoice(stan).problems] == ["STAN_PRZED_OUTSIDE_CORRECTION"]
    oss = edit(
        good_xml, "<P_15>3523.75</P_15>", "<P_13_5>100.00</P_13_5><P_14_5>40.00</P_14_5><P_15>3663.75</P_15>"
    )
    assert [(p.code, p.severity) for p in validate_invoice(oss).problems] == [
        ("VAT_RATE_MISMATCH", "warning")
    ]
