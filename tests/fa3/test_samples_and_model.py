"""Every official sample parses and validates; the typed model and the register row read them right."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ksef_sheets.fa3 import parse_invoice, read_and_validate, to_register_row, validate_invoice


def test_every_sample_parses_and_validates(sample_bytes: dict[str, bytes]) -> None:
    for name, data in sample_bytes.items():
        report = validate_invoice(data, source=name)
        assert report.ok, (name, [p.describe() for p in report.errors])
        invoice = parse_invoice(data, source=name)
        assert invoice.number and invoice.issue_date and invoice.kind
        assert invoice.header.system_code == "FA (3)" and invoice.header.variant == "3"


def test_sample_warnings_are_only_the_fictional_ksef_numbers(sample_bytes: dict[str, bytes]) -> None:
    # SOURCES.md: the KOR samples reference a fictional KSeF number whose CRC does not verify.
    codes = {p.code for data in sample_bytes.values() for p in validate_invoice(data).warnings}
    assert codes == {"KSEF_NUMBER_CHECKSUM"}


def test_basic_vat_invoice_model(sample_bytes: dict[str, bytes]) -> None:
    inv = parse_invoice(sample_bytes["mf_fa3_przyklad_01_vat_23_and_5.xml"])
    assert inv.kind == "VAT" and inv.number == "FV2026/02/150"
    assert inv.issue_date == date(2026, 2, 15) and inv.sale_date == date(2026, 1, 27)
    assert inv.seller.nip == "9999999999" and inv.buyer.nip == "1111111111"
    assert inv.buyer.jst is False and inv.buyer.gv is False
    assert inv.bucket("1") is not None and inv.bucket("1").net == Decimal("1666.66")  # type: ignore[union-attr]
    assert inv.bucket("3").vat == Decimal("0.05")  # type: ignore[union-attr]
    assert inv.total_text == "2051" and inv.total == Decimal(2051)
    assert inv.net_total == Decimal("1667.61") and inv.vat_total == Decimal("383.38")
    assert [ln.number for ln in inv.lines] == [1, 2, 3]
    assert inv.lines[0].name == "lodówka Zimnotech mk1" and inv.lines[0].net == Decimal("1626.01")
    assert inv.payment is not None and inv.payment.paid and inv.payment.paid_on == date(2026, 1, 27)
    assert inv.payment.method_label == "przelew"
    assert inv.annotations.split_payment is False and inv.receipt_invoice is True
    assert inv.krs == "0000099999"


def test_correction_model(sample_bytes: dict[str, bytes]) -> None:
    inv = parse_invoice(sample_bytes["mf_fa3_przyklad_02_kor.xml"])
    assert inv.is_correction and inv.correction is not None
    assert inv.correction.type == 3
    ref = inv.correction.corrected[0]
    assert ref.number == "FV2026/02/150" and ref.issue_date == date(2026, 2, 15)
    assert ref.ksef_number == "9999999999-20230908-8BEF280C8D35-4D"
    assert [ln.before_correction for ln in inv.lines] == [True, False]
    assert inv.total == Decimal(-200)


def test_exempt_and_third_party(sample_bytes: dict[str, bytes]) -> None:
    inv = parse_invoice(sample_bytes["mf_fa3_przyklad_09_vat_23_and_zw.xml"])
    assert inv.bucket("7") is not None and inv.bucket("7").net == Decimal(300)  # type: ignore[union-attr]
    assert inv.annotations.exempt and inv.annotations.exemption_basis
    assert inv.third_parties and all(tp.role is not None for tp in inv.third_parties)


def test_advance_and_settlement(sample_bytes: dict[str, bytes]) -> None:
    zal = parse_invoice(sample_bytes["mf_fa3_przyklad_10_zal.xml"])
    assert zal.kind == "ZAL" and zal.order_value == Decimal(375150)
    assert [ln.name for ln in zal.order_lines] == ["mieszkanie 50m^2", "usługi dodatkowe"]
    roz = parse_invoice(sample_bytes["mf_fa3_przyklad_14_roz.xml"])
    assert roz.kind == "ROZ"
    assert roz.advances[0].ksef_number == "9999999999-20230908-8BEF280C8D35-4D"
    assert roz.payment is not None and len(roz.payment.due_dates) == 2
    assert roz.payment.due_date == date(2026, 9, 15)


def test_eur_invoice_register_row_in_pln(sample_bytes: dict[str, bytes]) -> None:
    inv = parse_invoice(sample_bytes["mf_fa3_przyklad_21_vat_eur.xml"])
    assert inv.currency == "EUR"
    assert inv.exchange_rate is None  # the lines carry three different rates
    row = to_register_row(inv, ksef_number="9999999999-20260215-ABCDEF123456-00")
    assert row.ksef_number.startswith("9999999999")  # type: ignore[union-attr]
    assert row.net_23 == Decimal(13560) and row.vat_23 == Decimal("3118.80")
    # each line at its own rate: 4060×4.4080 + 5000×4.5005 + 4500×4.3250
    assert row.net_23_pln == Decimal("59861.48")
    assert row.vat_23_pln == Decimal("13768.14")  # P_14_1W as declared
    assert row.gross_total_pln == Decimal("73629.62")
    assert row.buyer_id == "1111111111" and row.buyer_id_type == "Nip"


def test_pln_register_row(sample_bytes: dict[str, bytes]) -> None:
    row = to_register_row(parse_invoice(sample_bytes["mf_fa3_przyklad_01_vat_23_and_5.xml"]))
    assert row.net_23 == row.net_23_pln == Decimal("1666.66")
    assert row.vat_5 == row.vat_5_pln == Decimal("0.05")
    assert row.gross_total == row.gross_total_pln == Decimal(2051)
    assert row.net_8 is None and row.ksef_number is None
    data = row.as_dict()
    assert data["number"] == "FV2026/02/150" and "extra" not in data


def test_read_and_validate_agree_with_separate_calls(sample_bytes: dict[str, bytes]) -> None:
    for data in sample_bytes.values():
        inv, report = read_and_validate(data)
        assert inv == parse_invoice(data)
        assert report.problems == validate_invoice(data).problems


def test_unknown_and_missing_parts_do_not_crash(good_xml: bytes) -> None:
    from tests.fa3.conftest import edit

    odd = edit(good_xml, "<P_2>FV/7/04/2026</P_2>", "")
    odd = edit(odd, "<P_15>", "<Nieznany>x</Nieznany><P_15>")
    odd = edit(odd, "<P_1>2026-04-15</P_1>", "<P_1>15.04.2026</P_1>")
    odd = edit(odd, "<P_13_1>", "<P_13_1>abc")
    inv = parse_invoice(odd)
    assert inv.number is None and inv.issue_date is None
    assert inv.bucket("1").net is None  # type: ignore[union-attr]
    report = validate_invoice(odd)
    assert not report.ok
    assert {"XSD_MISSING", "XSD_UNEXPECTED"} & {p.code for p in report.errors}
