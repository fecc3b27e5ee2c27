"""The invoice workbook on paper: the checked columns one page wide, Polish amounts on any machine."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.office import Client
from ksef_sheets.sheets.invoice_refresh import refresh_client
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase
from tests.sheets.printouts import LOCALES, assert_reads_well, render

pytestmark = pytest.mark.libreoffice

PRINTED_HEADERS = (
    "Data",
    "Numer faktury",
    "Nazwa kontrahenta",
    "NIP",
    "Netto",
    "VAT",
    "Brutto",
    "Status",
    "Komentarz",
)


@pytest.fixture
def workbook(office: OfficeFolder, archive: Archive) -> Path:
    """A year of purchases (no sales), one with a seven-digit amount that must not print as ###."""
    invoices = [
        purchase(
            f"FV/{i}/2026",
            date(2026, 1, 2) + timedelta(days=i * 2),
            f"Dostawca {i % 7} sp. z o.o.",
            lines=[("towar", Decimal("9876543.21") if i == 50 else Decimal(1000 + i * 37), "23")],
        )
        for i in range(130)
    ]
    archive_invoices(archive, invoices)
    (result,) = refresh_client(
        office, archive, Client(CLIENT_NIP, "Nowak IT Consulting Jan Nowak", scenario=2)
    )
    assert result.written
    return result.path


def test_invoice_workbook_prints_one_page_wide_in_polish(
    workbook: Path, soffice: str, tmp_path: Path
) -> None:
    for locale in LOCALES:
        printout = render(soffice, [workbook], tmp_path / locale, locale)[workbook]
        # 130 rows at ~45 a page are 3 pages of Zakupy, plus the summary; columns spilling onto a
        # second page width would double the register pages, the empty Sprzedaż would add one.
        assert_reads_well(printout, pages=(3, 5), amounts=130 * 3)
        pages = printout.text.split("\f")
        register = [p for p in pages if "Zakupy 2026 — Nowak IT Consulting" in p]
        assert len(register) >= 3
        for page in register:  # the header row repeats and every checked column is on each page
            head = page[: page.index("FV/")]
            for header in PRINTED_HEADERS:
                assert header in head, (locale, header)
        assert "Numer KSeF" not in printout.text  # on screen only
        assert "Sprzedaż 2026" not in printout.text  # an empty register prints nothing
        assert "Sprzedaż: brak faktur w 2026 r." in printout.text
        # The big invoice: full amount in the register and the year's total in the summary.
        assert "9 876 543,21" in printout.text
        assert re.search(r"Razem\s+130\s+1[0-9] \d{3} \d{3},\d{2} zł", printout.text), locale
        assert re.search(r"\b\d\d\.\d\d\.2026\b", printout.text)  # dates dd.mm.rrrr, page header too
        assert "/2026 " not in printout.page(1).splitlines()[0]  # no "12/05/2026" locale date
