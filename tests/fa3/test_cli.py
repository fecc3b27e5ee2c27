"""``ksef-sheets invoice show|validate`` as a person or a script runs them (subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

from ksef_sheets.fa3 import build_invoice_xml
from tests.fa3.conftest import SELLER, edit, run_cli, sales_invoice

KEYS = {
    "type",
    "issue_date",
    "number",
    "seller_nip",
    "buyer_nip",
    "currency",
    "total",
    "net_total",
    "vat_total",
    "errors",
    "warnings",
}


def test_show_json_one_file_is_an_object(fa3_samples: list[Path]) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_01_vat_23_and_5.xml")
    result = run_cli("invoice", "show", str(sample), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict) and data.keys() >= KEYS
    assert data["type"] == "VAT" and data["issue_date"] == "2026-02-15" and data["number"] == "FV2026/02/150"
    assert data["seller_nip"] == "9999999999" and data["buyer_nip"] == "1111111111"
    assert data["total"] == "2051"  # exactly as in the XML
    assert data["net_total"] == "1667.61" and data["vat_total"] == "383.38"
    assert data["errors"] == [] and data["warnings"] == []


def test_show_json_several_files_is_a_list(fa3_samples: list[Path], tmp_path: Path) -> None:
    consumer = tmp_path / "b2c.xml"
    consumer.write_bytes(build_invoice_xml(sales_invoice(buyer=None)))
    result = run_cli("invoice", "show", "--json", str(fa3_samples[0]), str(consumer))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 2 and all(d.keys() >= KEYS for d in data)
    assert data[1]["buyer_nip"] is None and data[1]["total"] == "3523.75"
    kor = next(p for p in fa3_samples if "kor.xml" in p.name)
    data = json.loads(run_cli("invoice", "show", "--json", str(kor)).stdout)
    assert data["total"] == "-200" and data["net_total"] == "-162.60"
    assert [w["code"] for w in data["warnings"]] == ["KSEF_NUMBER_CHECKSUM"]
    assert data["warnings"][0]["line"] == 75


def test_show_for_a_person_in_polish_with_hostile_text_literal(tmp_path: Path) -> None:
    hostile = SELLER.model_copy(update={"name": '[bold red]=HYPERLINK("http://x","y")[/bold red]'})
    path = tmp_path / "f.xml"
    path.write_bytes(build_invoice_xml(sales_invoice(seller=hostile)))
    result = run_cli("invoice", "show", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for word in (
        "Faktura VAT",
        "Sprzedawca",
        "Nabywca",
        "Pozycje",
        "Podsumowanie według stawek",
        "Płatność",
        "przelew",
    ):
        assert word in out, word
    assert '[bold red]=HYPERLINK("http://x","y")[/bold red]' in out  # printed literally, not as markup
    assert "3\u00a0523,75 zł" in out  # Polish amount format (text.format_amount), not the XML's "3523.75"


def test_validate_good_files_exit_0(fa3_samples: list[Path]) -> None:
    result = run_cli("invoice", "validate", *map(str, fa3_samples))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("✓") == len(fa3_samples)


def test_validate_lists_every_problem_with_element_and_line(tmp_path: Path, good_xml: bytes) -> None:
    bad = edit(good_xml, "<P_15>3523.75</P_15>", "<P_15>3533.75</P_15>")
    bad = edit(bad, "<P_12>8</P_12>", "<P_12>9</P_12>")
    path = tmp_path / "zla.xml"
    path.write_bytes(bad)
    good = tmp_path / "dobra.xml"
    good.write_bytes(good_xml)
    result = run_cli("invoice", "validate", str(good), str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    line_p15 = bad[: bad.index(b"<P_15>")].count(b"\n") + 1
    assert f"wiersz {line_p15}, Faktura/Fa/P_15" in result.stdout
    assert "TOTAL_MISMATCH" in result.stdout and "XSD_ENUM" in result.stdout
    assert "Faktura/Fa/FaWiersz[2]/P_12" in result.stdout
    data = json.loads(run_cli("invoice", "validate", "--json", str(good), str(path)).stdout)
    assert [d["ok"] for d in data] == [True, False]
    assert {e["code"] for e in data[1]["errors"]} == {"TOTAL_MISMATCH", "XSD_ENUM"}


def test_missing_file_directory_and_non_xml(tmp_path: Path) -> None:
    missing = run_cli("invoice", "show", str(tmp_path / "brak.xml"))
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip() == f"Błąd: Plik {tmp_path / 'brak.xml'} nie istnieje."
    folder = run_cli("invoice", "validate", str(tmp_path))
    assert folder.returncode == 1 and "jest folderem" in folder.stderr and "Traceback" not in folder.stderr
    pdf = tmp_path / "faktura.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    shown = run_cli("invoice", "show", str(pdf))
    assert shown.returncode == 1 and "nie jest plikiem XML" in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1 and "Traceback" not in shown.stderr
    checked = run_cli("invoice", "validate", str(pdf))
    assert checked.returncode == 1 and "nie jest plikiem XML" in checked.stdout


def test_oversized_file_refused_without_reading(tmp_path: Path) -> None:
    big = tmp_path / "duza.xml"
    with big.open("wb") as fh:
        fh.seek(50_000_000)
        fh.write(b"<")
    result = run_cli("invoice", "show", str(big))
    assert result.returncode == 1 and "50,0 MB" in result.stderr and "Traceback" not in result.stderr
