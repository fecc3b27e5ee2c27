"""The office workbook on paper: whole headers and e-mails, even rows, Polish amounts on any machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ksef_sheets.sheets import load_clients
from ksef_sheets.sheets.office_specs import CLIENTS_SPEC, SHEET_CLIENTS
from tests.sheets.printouts import LOCALES, assert_reads_well, render

pytestmark = pytest.mark.libreoffice


def test_office_workbook_prints_readably_in_polish(soffice: str, demo_office: Any, tmp_path: Path) -> None:
    clients = load_clients(demo_office)
    assert len(clients) == 10
    for locale in LOCALES:
        printout = render(soffice, [demo_office.office_workbook], tmp_path / locale, locale)
        text = printout[demo_office.office_workbook].text
        # Nine sheets and the register five pages across; an overflow of pages would mean a sheet
        # lost its fit-to-width.
        assert_reads_well(printout[demo_office.office_workbook], pages=(12, 24), amounts=5)
        for header in CLIENTS_SPEC.headers:  # headers break between words, never inside one
            for word in header.split():
                assert word in text, f"{locale}: register header word „{word}” broken or missing"
        for client in clients:  # e-mails printed whole, not clipped by the next column
            assert client.email and client.email in text, (locale, client.email)
        assert "600,00 zł" in text  # the dashboard's monthly KSeF fees


def test_register_rows_have_even_heights(demo_office: Any) -> None:
    ws = load_workbook(demo_office.office_workbook)[SHEET_CLIENTS]
    heights = [ws.row_dimensions[r].height or 15.0 for r in range(5, 15)]
    assert ws.cell(14, 1).value and not ws.cell(15, 1).value  # the ten demo clients
    assert max(heights) <= 2 * min(heights), heights


def test_refresh_gives_an_older_workbooks_amounts_the_polish_format(demo_office: Any) -> None:
    from ksef_sheets.workflows import check_clients
    from tests.office.conftest import TODAY

    path = demo_office.office_workbook
    wb = load_workbook(path)
    old = 0
    for row in wb[SHEET_CLIENTS].iter_rows(min_row=5):
        for cell in row:
            if cell.number_format.startswith("[$-415]"):  # as written before the locale tag
                cell.number_format = cell.number_format.removeprefix("[$-415]")
                old += 1
    assert old >= 10
    wb.save(path)
    check_clients(demo_office, today=TODAY)
    formats = {
        cell.number_format
        for row in load_workbook(path)[SHEET_CLIENTS].iter_rows(min_row=5)
        for cell in row
        if "0.00" in cell.number_format
    }
    assert formats == {'[$-415]#,##0.00" zł"'}


@pytest.mark.parametrize(
    "old",
    [
        '#,##0.00 "zł"',  # written before the locale tag, with a bare space before "zł"
        '[$-415]#,##0.00 "zł"',  # written before the space moved inside the quotes
        '[$-415]#,##0.00,"zł"',  # what LibreOffice re-saved that as: shown divided by 1000
    ],
)
def test_refresh_repairs_zloty_formats_of_an_older_or_libreoffice_saved_register(
    demo_office: Any, old: str
) -> None:
    from ksef_sheets.workflows import check_clients
    from tests.office.conftest import TODAY

    path = demo_office.office_workbook
    wb = load_workbook(path)
    changed = 0
    for row in wb[SHEET_CLIENTS].iter_rows(min_row=5):
        for cell in row:
            if "zł" in cell.number_format:
                cell.number_format = old
                changed += 1
    assert changed >= 10
    wb.save(path)
    check_clients(demo_office, today=TODAY)
    formats = {
        cell.number_format
        for row in load_workbook(path)[SHEET_CLIENTS].iter_rows(min_row=5)
        for cell in row
        if "0.00" in cell.number_format
    }
    assert formats == {'[$-415]#,##0.00" zł"'}
