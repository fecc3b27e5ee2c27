"""LibreOffice opens an invoice workbook and renders it: PLN formats, no formula errors, text as text."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.office import Client
from ksef_sheets.sheets.invoice_refresh import refresh_client
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale

ERRORS = ("Err:", "#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#N/A", "#NUM!", "###")


@pytest.mark.libreoffice
def test_rendered_pages_show_pln_amounts_and_no_errors(
    office: OfficeFolder, archive: Archive, soffice: str, tmp_path: Path
) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    archive_invoices(
        archive,
        [
            purchase(
                "FV/1/2026",
                date(2026, 3, 1),
                '=HYPERLINK("http://x","y")',
                lines=[("@SUM(A1)", Decimal("1000.00"), "23"), ("-1", Decimal("50.00"), "8")],
                due_date=date(2026, 3, 15),
                account="73111111111111111111111111",
                split_payment=True,
            ),
            purchase(
                "EU/7",
                date(2026, 4, 2),
                "Trans GmbH",
                lines=[("fracht", Decimal("1000.00"), "23")],
                currency="EUR",
                exchange_rate=Decimal("4.3000"),
            ),
            sale("S/1/2026", date(2026, 3, 5), "+48 600"),
            sale(
                "S/2/2026",
                date(2026, 3, 6),
                "Zażółć gęślą jaźń",
                kind="KOR",
                lines=[("korekta ceny", Decimal("-100.00"), "23")],
            ),
        ],
    )
    (result,) = refresh_client(
        office, archive, Client(CLIENT_NIP, "Nowak IT Consulting Jan Nowak", scenario=2)
    )
    assert result.written
    out = tmp_path / "pdf"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(result.path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = out / "faktury-2026.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout

    for error in ERRORS:
        assert error not in text, error
    assert "Zakupy 2026 — Nowak IT Consulting Jan Nowak (NIP 5210537039)" in text  # page header
    assert "Podsumowanie faktur 2026" in text and "Zakupy — statusy (liczba faktur)" in text
    # PLN amounts carry the currency: the EUR invoice's gross in PLN, the yearly VAT total.
    # (April's only invoice is the EUR one: its PLN gross is April's total in the summary.)
    amounts = re.findall(r"-?\d{1,3}(?:[ \u00a0]\d{3})*,\d{2} zł", text)
    assert any(a.replace("\u00a0", " ") == "5 289,00 zł" for a in amounts), amounts
    assert "Do weryfikacji u klienta" in text
    # Third-party text is shown literally, never evaluated.
    # (The items column is on screen only; the counterparty names are printed.)
    for literal in ('=HYPERLINK("http://x","y")', "+48 600"):
        assert literal in text
    # The hidden snapshot sheet is not printed.
    assert "Rejestr" not in text
