"""The send entry workbook on paper: Polish amounts and dates on any machine, pages of readable size."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ksef_sheets.sheets import send_entry as E
from ksef_sheets.sheets.tables import OpenpyxlTables
from tests.sheets.printouts import ISO_DATE, LOCALES, assert_reads_well, render, type_size

from .conftest import SELLER, line

pytestmark = pytest.mark.libreoffice


def test_entry_workbook_prints_in_polish(soffice: str, tmp_path: Path) -> None:
    path = tmp_path / E.ENTRY_FILE
    E.create_entry_workbook(path, client_nip=SELLER, client_name="Studio Urody Malwa", address="ul. Różana 1")
    wb = load_workbook(path)
    rows = [
        line("S/1", "Warsztaty", Decimal("12500.50"), **{E.H_QUANTITY: 2}),
        line("S/2", "Materiały", Decimal("35.00"), "5", **{E.H_QUANTITY: 1500}),
    ]
    OpenpyxlTables(wb, source=str(path)).write_table(E.TABLE, rows)
    wb.save(path)
    accepted = datetime(2026, 12, 5, 8, 4, tzinfo=UTC)
    E.write_back(path, {"S/1": E.RowUpdate(E.STATUS_SENT, ksef_number="X", accepted_at=accepted)})

    for locale in LOCALES:
        printout = render(soffice, [path], tmp_path / locale, locale)[path]
        # Three pages across for the entry sheet, one for the instructions.
        assert_reads_well(printout, pages=(4, 4), amounts=2)
        assert "12 500,50" in printout.text and "1 500" in printout.text
        assert not ISO_DATE.search(printout.text), f"ISO dates on paper ({locale})"
        assert re.search(r"05\.12\.2026 09:04", printout.text)  # accepted, in Warsaw time
        assert type_size(printout, 1) >= 6.5
