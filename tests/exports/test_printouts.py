"""The client export on paper — the workbook the client prints and the office's PDF summary — and the
office's follow-up list of rejected invoices (``do-wyjasnienia.xlsx``), in Polish formats and a
readable size, also on a machine whose locale is English."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sync import Archive, StaffDecision
from ksef_sheets.workflows import export_client_list, write_follow_up_list
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


def test_follow_up_list_prints_on_a4_landscape_one_page_wide_in_polish(
    office: OfficeFolder, purchases: list[Stored], soffice: str, tmp_path: Path
) -> None:
    """``do-wyjasnienia.xlsx`` (invoices clients rejected) on paper like the other lists."""
    rejected = purchases[:3]
    with Archive.open(office) as archive:
        archive.save_decisions(
            StaffDecision(
                ksef_number=stored.ksef_number,
                client_nip=CLIENT2.nip,
                status="Odrzucona",
                comment="Zapytać dostawcę o korektę" if i == 0 else None,
                client_decision="Odrzucam",
                client_remark="Nie zamawialiśmy tego towaru — proszę wyjaśnić z dostawcą" if i else None,
                client_decided_on=date(2026, 4, 7),
            )
            for i, stored in enumerate(rejected)
        )
    path, count = write_follow_up_list(office)
    assert count == len(rejected)

    setup = load_workbook(path)["Do wyjaśnienia"]
    assert setup.page_setup.orientation == "landscape"
    assert setup.page_setup.paperSize == 9  # A4
    assert setup.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (1 is the default, so the file may leave it out), as many pages long as it takes.
    assert (setup.page_setup.fitToWidth or 1, setup.page_setup.fitToHeight) == (1, 0)
    assert setup.print_title_rows == "$1:$1"  # the headers on every page

    for locale in LOCALES:
        printout = render(soffice, [path], tmp_path / locale, locale)[path]
        assert_reads_well(printout, pages=(1, 1), amounts=len(rejected))
        page = printout.page(1)
        assert not ISO_DATE.search(page), f"ISO dates on the follow-up list ({locale})"
        assert "07.04.2026" in page
        for header in ("NIP klienta", "Numer KSeF", "Brutto", "Uwagi klienta", "Komentarz biura"):
            assert header in page, header
        for stored in rejected:
            assert stored.ksef_number in page
        # Every column on the page, at a size a person reads (not shrunk to a footnote).
        assert type_size(printout, 1) >= 6.5, type_size(printout, 1)
