"""Business rules: each broken variant gets exactly the expected problem, in Polish, with path and line."""

from __future__ import annotations

import pytest

from ksef_sheets.fa3 import Problem, validate_invoice
from ksef_sheets.fa3.rules import nrb_is_valid
from tests.fa3.conftest import edit


def _only(xml: bytes, code: str) -> Problem:
    report = validate_invoice(xml)
    assert [p.code for p in report.problems] == [code], [p.describe() for p in report.problems]
    return report.problems[0]


def _line_of(xml: bytes, text: str, nth: int = 0) -> int:
    pos = -1
    for _ in range(nth + 1):
        pos = xml.index(text.encode(), pos + 1)
    return xml[:pos].count(b"\n") + 1


def test_good_invoice_has_no_problems(good_xml: bytes) -> None:
    report = validate_invoice(good_xml)
    assert report.ok and report.problems == []


def test_vat_not_matching_rate(good_xml: bytes) -> None:
    bad = edit(good_xml, "<P_14_1>510.60</P_14_1>", "<P_14_1>500.00</P_14_1>")
    bad = edit(bad, "<P_15>3523.75</P_15>", "<P_15>3513.15</P_15>")
    p = _only(bad, "VAT_RATE_MISMATCH")
    assert p.severity == "error" and p.path == "Faktura/Fa/P_14_1" and p.line == _line_of(bad, "<P_14_1>")
    assert "500,00" in p.message and "23% albo 22%" in p.message and "510,60" in p.message


def test_vat_at_22_percent_is_accepted(good_xml: bytes) -> None:
    ok = edit(good_xml, "<P_14_1>510.60</P_14_1>", "<P_14_1>488.40</P_14_1>")
    ok = edit(ok, "<P_15>3523.75</P_15>", "<P_15>3501.55</P_15>")
    assert validate_invoice(ok).problems == []


def test_rounding_within_a_grosz_per_line_is_accepted(good_xml: bytes) -> None:
    ok = edit(good_xml, "<P_14_2>58.75</P_14_2>", "<P_14_2>58.76</P_14_2>")
    ok = edit(ok, "<P_15>3523.75</P_15>", "<P_15>3523.76</P_15>")
    assert validate_invoice(ok).problems == []


def test_total_not_matching_sums(good_xml: bytes) -> None:
    p = _only(edit(good_xml, "<P_15>3523.75</P_15>", "<P_15>3533.75</P_15>"), "TOTAL_MISMATCH")
    assert p.path == "Faktura/Fa/P_15" and "3533,75" in p.message and "3523,75" in p.message


def test_duplicate_line_numbers_outside_corrections(good_xml: bytes) -> None:
    bad = edit(good_xml, "<NrWierszaFa>2</NrWierszaFa>", "<NrWierszaFa>1</NrWierszaFa>")
    p = _only(bad, "LINE_NUMBER_DUPLICATE")
    assert p.path == "Faktura/Fa/FaWiersz[2]/NrWierszaFa"
    assert p.line == _line_of(bad, "<NrWierszaFa>1", nth=1)
    assert f"wierszu pliku {_line_of(bad, '<NrWierszaFa>1')}" in p.message


def test_negative_quantity_outside_corrections(good_xml: bytes) -> None:
    bad = edit(good_xml, "<P_8B>12</P_8B>", "<P_8B>-12</P_8B>")
    p = _only(bad, "NEGATIVE_QUANTITY")
    assert p.path == "Faktura/Fa/FaWiersz[2]/P_8B" and "korygującej" in p.message


def test_due_date_before_issue_date(good_xml: bytes) -> None:
    p = _only(
        edit(good_xml, "<Termin>2026-04-29</Termin>", "<Termin>2026-04-01</Termin>"),
        "PAYMENT_DUE_BEFORE_ISSUE",
    )
    assert p.path == "Faktura/Fa/Platnosc/TerminPlatnosci/Termin" and "2026-04-01" in p.message


def test_bank_account_checksum(good_xml: bytes) -> None:
    bad = edit(good_xml, "73102010260940909620737689", "73102010260940909620737688")
    p = _only(bad, "BANK_ACCOUNT_CHECKSUM")
    assert p.severity == "error" and p.path.endswith("RachunekBankowy/NrRB") and "modulo 97" in p.message


def test_nrb_check() -> None:
    assert nrb_is_valid("73102010260940909620737689")
    assert nrb_is_valid("PL73 1020 1026 0940 9096 2073 7689")
    assert nrb_is_valid("DE89370400440532013000")
    assert not nrb_is_valid("73102010260940909620737698")


@pytest.mark.parametrize(
    ("old", "who"),
    [("<NIP>7798676685</NIP>", "sprzedawcy"), ("<NIP>5210537039</NIP>", "nabywcy")],
)
def test_nip_checksum(good_xml: bytes, old: str, who: str) -> None:
    bad = edit(good_xml, old, old[:-7] + ("0" if old[-7] != "0" else "1") + "</NIP>")
    p = _only(bad, "NIP_CHECKSUM")
    assert who in p.message and "cyfrę kontrolną" in p.message


def test_jst_and_gv_need_the_matching_third_party(good_xml: bytes) -> None:
    p = _only(edit(good_xml, "<JST>2</JST>", "<JST>1</JST>"), "JST_WITHOUT_PODMIOT3")
    assert p.path == "Faktura/Podmiot2/JST" and "roli 8" in p.message
    p = _only(edit(good_xml, "<GV>2</GV>", "<GV>1</GV>"), "GV_WITHOUT_PODMIOT3")
    assert "roli 10" in p.message
    podmiot3 = (
        "<Podmiot3><DaneIdentyfikacyjne><NIP>5210537039</NIP><Nazwa>Szkoła nr 1</Nazwa></DaneIdentyfikacyjne>"
        "<Rola>8</Rola></Podmiot3><Fa>"
    )
    fixed = edit(edit(good_xml, "<JST>2</JST>", "<JST>1</JST>"), "<Fa>", podmiot3)
    assert validate_invoice(fixed).problems == []


def test_foreign_currency_needs_pln_vat(good_xml: bytes) -> None:
    bad = edit(good_xml, "<KodWaluty>PLN</KodWaluty>", "<KodWaluty>EUR</KodWaluty>")
    report = validate_invoice(bad)
    assert [p.code for p in report.errors] == ["PLN_VAT_MISSING", "PLN_VAT_MISSING"]
    assert "P_14_1W" in report.errors[0].message and "EUR" in report.errors[0].message


def test_pln_vat_fields_on_a_pln_invoice_warn(good_xml: bytes) -> None:
    odd = edit(good_xml, "<P_13_2>", "<P_14_1W>510.60</P_14_1W><P_13_2>")
    p = _only(odd, "PLN_VAT_UNEXPECTED")
    assert p.severity == "warning"


def test_annex15_above_15000_needs_split_payment(good_xml: bytes) -> None:
    big = edit(good_xml, "<P_13_1>2220.00</P_13_1>", "<P_13_1>22200.00</P_13_1>")
    big = edit(big, "<P_14_1>510.60</P_14_1>", "<P_14_1>5106.00</P_14_1>")
    big = edit(big, "<P_15>3523.75</P_15>", "<P_15>28099.15</P_15>")
    big = edit(big, "<P_8B>40</P_8B>", "<P_8B>400</P_8B>")
    big = edit(big, "<P_11>2220.00</P_11>", "<P_11>22200.00</P_11>")
    assert validate_invoice(big).problems == []  # not Annex 15 goods: no obligation
    annex = edit(big, "<P_12>23</P_12>", "<P_12>23</P_12><P_12_Zal_15>1</P_12_Zal_15>")
    p = _only(annex, "SPLIT_PAYMENT_MISSING")
    assert p.path == "Faktura/Fa/Adnotacje/P_18A" and "załącznika nr 15" in p.message
    assert validate_invoice(edit(annex, "<P_18A>2</P_18A>", "<P_18A>1</P_18A>")).problems == []


def test_split_payment_below_threshold_warns(good_xml: bytes) -> None:
    p = _only(edit(good_xml, "<P_18A>2</P_18A>", "<P_18A>1</P_18A>"), "SPLIT_PAYMENT_BELOW_THRESHOLD")
    assert p.severity == "warning" and "15 000 zł" in p.message


def test_exempt_sales_need_a_basis(good_xml: bytes) -> None:
    bad = edit(good_xml, "<P_15>3523.75</P_15>", "<P_13_7>100.00</P_13_7><P_15>3623.75</P_15>")
    p = _only(bad, "EXEMPTION_BASIS_MISSING")
    assert p.path == "Faktura/Fa/P_13_7" and "P_19" in p.message


def test_reverse_charge_without_mark_warns(good_xml: bytes) -> None:
    odd = edit(good_xml, "<P_15>3523.75</P_15>", "<P_13_10>100.00</P_13_10><P_15>3623.75</P_15>")
    p = _only(odd, "REVERSE_CHARGE_MARK_MISSING")
    assert p.severity == "warning"


def test_correction_needs_reference_and_allows_repeated_rows(good_xml: bytes) -> None:
    kor = edit(good_xml, "<RodzajFaktury>VAT</RodzajFaktury>", "<RodzajFaktury>KOR</RodzajFaktury>")
    kor = edit(kor, "<NrWierszaFa>2</NrWierszaFa>", "<NrWierszaFa>1</NrWierszaFa>")
    kor = edit(kor, "<P_8B>12</P_8B>", "<P_8B>-12</P_8B>")
    codes = [p.code for p in validate_invoice(kor).problems]
    assert codes == ["CORRECTION_REFERENCE_MISSING", "CORRECTION_TYPE_MISSING"]


def test_every_problem_has_code_polish_message_path_and_line(good_xml: bytes) -> None:
    bad = edit(good_xml, "<P_15>3523.75</P_15>", "<P_15>1.00</P_15>")
    bad = edit(bad, "<JST>2</JST>", "<JST>1</JST>")
    for p in validate_invoice(bad).problems:
        assert p.code and p.severity in ("error", "warning")
        assert p.path.startswith("Faktura/") and isinstance(p.line, int)
        assert p.message.endswith(".") and p.message[0].isupper()
