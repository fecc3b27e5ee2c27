"""Invoice PDFs: every official sample renders, the text carries what a buyer checks, the QR code decodes
to the KOD I link, long invoices paginate with repeated headers, third-party text stays text."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from ksef_sheets.documents import QrCode, amount_in_words, invoice_pdf
from ksef_sheets.fa3 import NS, parse_invoice
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.ksef import kod_i_url, qr_base_for
from ksef_sheets.text import format_amount

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _text(pdf: Path, *pages: int) -> str:
    args = ["pdftotext", "-layout"]
    if pages:
        args += ["-f", str(pages[0]), "-l", str(pages[-1])]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def _decode_qr(pdf: Path, tmp_path: Path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    prefix = tmp_path / pdf.stem
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "9", str(pdf), str(prefix)], check=True)
    texts: list[str] = []
    for png in sorted(tmp_path.glob(f"{pdf.stem}-*.png")):
        texts += [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    return texts


def _render(xml: bytes, target: Path, ksef_number: str | None = None) -> str:
    invoice = parse_invoice(xml)
    assert invoice.seller.nip and invoice.issue_date
    link = kod_i_url(
        xml, seller_nip=invoice.seller.nip, issue_date=invoice.issue_date, qr_base=qr_base_for("test")
    )
    target.write_bytes(
        invoice_pdf(
            invoice, ksef_number=ksef_number, qr_codes=[QrCode(link, ksef_number or "OFFLINE", "KOD I")]
        )
    )
    return link


def test_every_sample_renders_with_totals_nips_and_a_qr_that_decodes_to_kod_i(
    fa3_samples: list[Path], tmp_path: Path
) -> None:
    assert len(fa3_samples) >= 9
    for sample in fa3_samples:
        xml = sample.read_bytes()
        invoice = parse_invoice(xml)
        pdf = tmp_path / f"{sample.stem}.pdf"
        number = make_ksef_number(invoice.seller.nip or "9999999999", date(2026, 3, 1), "0123456789AB")
        link = _render(xml, pdf, number)
        text = " ".join(_text(pdf).split())
        assert invoice.seller.nip in text and invoice.number in text, sample.name
        if invoice.buyer.nip:
            assert invoice.buyer.nip in text, sample.name
        assert invoice.total is not None
        total = format_amount(invoice.total, invoice.currency or "PLN").replace("\u00a0", " ")
        assert total in text, (sample.name, total)
        assert number in text and "Słownie:" in text
        assert "," in total and not any(c in text for c in ("22,092.47",)), sample.name
        assert _decode_qr(pdf, tmp_path) == [link], sample.name


def test_correction_shows_before_and_after_rows(fa3_samples: list[Path], tmp_path: Path) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_02_kor.xml")
    pdf = tmp_path / "kor.pdf"
    _render(sample.read_bytes(), pdf)
    text = _text(pdf)
    assert "Faktura korygująca" in text and "Przyczyna korekty" in text and "(przed korektą)" in text
    assert "OFFLINE" in text  # no KSeF number yet: KOD I is labelled OFFLINE


def test_foreign_currency_shows_the_rate_and_pln_vat(fa3_samples: list[Path], tmp_path: Path) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_21_vat_eur.xml")
    pdf = tmp_path / "eur.pdf"
    _render(sample.read_bytes(), pdf)
    text = _text(pdf)
    assert "EUR" in text and "Kwota VAT w PLN" in text and "Kurs" in text
    assert "4,4080" in text and "4,5005" in text  # each line's own KursWaluty


def _with_lines(xml: bytes, count: int, name: str | None = None) -> bytes:
    root = etree.fromstring(xml)
    rows = root.findall(f".//{{{NS}}}FaWiersz")
    template = rows[0]
    parent = template.getparent()
    assert parent is not None
    for row in rows:
        parent.remove(row)
    insert_at = (
        list(parent).index(parent.find(f"{{{NS}}}Adnotacje")) + 1
        if parent.find(f"{{{NS}}}Adnotacje") is not None
        else len(parent)
    )
    for number in range(1, count + 1):
        row = copy.deepcopy(template)
        row.find(f"{{{NS}}}NrWierszaFa").text = str(number)  # type: ignore[union-attr]
        if name is not None:
            row.find(f"{{{NS}}}P_7").text = name  # type: ignore[union-attr]
        parent.insert(insert_at + number - 1, row)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_500_line_invoice_paginates_with_the_header_on_every_page(
    fa3_samples: list[Path], tmp_path: Path
) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_01_vat_23_and_5.xml")
    pdf = tmp_path / "long.pdf"
    _render(_with_lines(sample.read_bytes(), 500), pdf)
    pages = _pages(pdf)
    assert 8 <= pages <= 30
    for page in range(1, pages):
        assert "Nazwa towaru lub usługi" in _text(pdf, page), page
    assert "Weryfikacja w KSeF" in _text(pdf, pages)


def test_third_party_markup_is_printed_as_text(fa3_samples: list[Path], tmp_path: Path) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_01_vat_23_and_5.xml")
    pdf = tmp_path / "markup.pdf"
    _render(_with_lines(sample.read_bytes(), 1, name='<b>pogrubienie</b> & <font size="40">x</font>'), pdf)
    assert '<b>pogrubienie</b> & <font size="40">x</font>' in _text(pdf)


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        (
            "12670.59",
            "PLN",
            "dwanaście tysięcy sześćset siedemdziesiąt złotych, pięćdziesiąt dziewięć groszy",
        ),
        ("1", "PLN", "jeden złoty, zero groszy"),
        ("2.02", "PLN", "dwa złote, dwa grosze"),
        ("-200", "PLN", "minus dwieście złotych, zero groszy"),
        ("100", "EUR", "sto euro, zero centów"),
        ("15.5", "GBP", "piętnaście GBP 50/100"),
    ],
)
def test_amounts_in_words(amount: str, currency: str, words: str) -> None:
    from decimal import Decimal

    assert amount_in_words(Decimal(amount), currency) == words


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", "LANG": "en_US.UTF-8"},
    )


def test_cli_invoice_pdf_and_show_json_kod_i(fa3_samples: list[Path], tmp_path: Path) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_01_vat_23_and_5.xml")
    number = make_ksef_number("9999999999", date(2026, 2, 15), "ABCDEF012345")
    named = tmp_path / f"{number}.xml"
    named.write_bytes(sample.read_bytes())
    result = _cli(
        "invoice",
        "pdf",
        str(named),
        "--out",
        str(tmp_path / "pdf"),
        "--environment",
        "test",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (entry,) = json.loads(result.stdout)
    assert entry["ksef_number"] == number  # taken from the archive's file name
    assert entry["kod_i"].startswith("https://qr-test.ksef.mf.gov.pl/invoice/9999999999/15-02-2026/")
    assert number in _text(Path(entry["pdf"]))
    shown = _cli("invoice", "show", "--json", "--environment", "test", str(named), cwd=tmp_path)
    assert json.loads(shown.stdout)["kod_i"] == entry["kod_i"]
    # Without an office folder and without --environment the link is production's.
    plain = _cli("invoice", "show", "--json", str(named), cwd=tmp_path)
    assert json.loads(plain.stdout)["kod_i"].startswith("https://qr.ksef.mf.gov.pl/invoice/")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ksef-number", "123"], "nie jest poprawnym numerem KSeF"),
        (["--environment", "produkcja"], "Nieznane środowisko KSeF"),
    ],
)
def test_cli_invoice_pdf_bad_input_is_one_polish_sentence(
    fa3_samples: list[Path], tmp_path: Path, args: list[str], message: str
) -> None:
    result = _cli("invoice", "pdf", str(fa3_samples[0]), "--out", str(tmp_path), *args, cwd=tmp_path)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.pdf"))


def test_cli_invoice_pdf_not_an_invoice(tmp_path: Path) -> None:
    bad = tmp_path / "zly.xml"
    bad.write_text("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>")
    result = _cli("invoice", "pdf", str(bad), cwd=tmp_path)
    assert result.returncode == 1 and "zly.xml" in result.stderr and "Traceback" not in result.stderr
