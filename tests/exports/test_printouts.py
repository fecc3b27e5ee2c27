"""The client export on paper — the workbook the client prints and the office's PDF summary — in
Polish formats and a readable size, also on a machine whose locale is English."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.workflows import export_client_list
from tests.exports.conftest import CLIENT2, Stored
from tests.sheets.printouts import ISO_DATE, LOCALES, assert_reads_well, read_pdf, render, type_size

pytestmark = pytest.mark.libreoffice


def test_export_workbook_and_pdf_print_in_polish(
    office: OfficeFolder,
    purchases: list[Stored],
    soffice: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in LOCALES["angielski"].items():
        monkeypatch.setenv(name, value)  # the toolkit's own PDF run inherits the English locale
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=True)
    assert result.pdf is not None

    summary = read_pdf(result.pdf)
    assert_reads_well(summary, pages=(1, 1), amounts=len(purchases) * 3)
    assert not ISO_DATE.search(summary.text), "ISO dates in the PDF summary"
    assert re.search(r"\b\d\d\.03\.2026\b", summary.text)
    assert re.search(r"Razem: zakup\s+6 faktur", summary.text)
    for stored in purchases:
        assert stored.ksef_number in summary.text

    workbook = tmp_path / "zestawienie.xlsx"
    shutil.copy(result.xlsx, workbook)
    for locale in LOCALES:
        printout = render(soffice, [workbook], tmp_path / locale, locale)[workbook]
        # Faktury, Podsumowanie and Instrukcja: one page each.
        assert_reads_well(printout, pages=(3, 3), amounts=len(purchases) * 3)
        first = printout.page(1)
        assert not ISO_DATE.search(first), f"ISO dates on the client's list ({locale})"
        assert re.search(r"\b\d\d\.03\.2026\b", first)
        assert re.search(r"Suma brutto \(PLN\):\s+\d{1,3}( \d{3})*,\d{2} zł", first), first[:600]
        for header in ("Numer faktury", "Sprzedawca", "Brutto", "Decyzja", "Uwagi"):
            assert header in first, header
        # Normal print size, not shrunk to fit 17 columns on the page (11 pt at 100 %).
        assert type_size(printout, 1) >= 6.5, type_size(printout, 1)
