"""Fixtures of the office part: a demo office folder, staff editing a workbook as Excel would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import TableColumn

from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import demo_office_data
from ksef_sheets.workflows import init_office

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "biuro"
    init_office(OfficeFolder.resolve(root), demo=demo_office_data(), today=TODAY)
    return root


@pytest.fixture
def demo_office(demo_template: Path, tmp_path: Path) -> OfficeFolder:
    target = tmp_path / "biuro"
    shutil.copytree(demo_template, target)
    return OfficeFolder.resolve(target)


@pytest.fixture
def empty_office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder.resolve(tmp_path / "puste")
    init_office(folder, office_nip="5275260184", office_name="Biuro Testowe", today=TODAY)
    return folder


def table_rows(path: Path, table: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Read a table with plain openpyxl (independent of the toolkit's adapter)."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if table in ws.tables:
            min_col, min_row, max_col, max_row = range_boundaries(ws.tables[table].ref)
            headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
            rows = []
            for r in range(min_row + 1, max_row + 1):
                values = {h: ws.cell(r, min_col + i).value for i, h in enumerate(headers)}
                if any(v not in (None, "") for v in values.values()):
                    rows.append(values)
            return [str(h) for h in headers], rows
    raise AssertionError(f"no table {table}")


def edit_as_staff(path: Path, edit: Callable[[Any, Any], None], table: str = "Klienci") -> None:
    """Open the workbook, let ``edit(ws, table)`` change it like a person in Excel, save."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if table in ws.tables:
            edit(ws, ws.tables[table])
            wb.save(path)
            return
    raise AssertionError(f"no table {table}")


def add_staff_column(ws: Any, table: Any, header: str, values: dict[int, Any]) -> None:
    """Excel's "insert table column to the right": header, values by data-row index, ref and columns."""
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    col = max_col + 1
    ws.cell(min_row, col).value = header
    for index, value in values.items():
        ws.cell(min_row + 1 + index, col).value = value
    table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(col)}{max_row}"
    table.autoFilter.ref = table.ref
    table.tableColumns.append(TableColumn(id=max(c.id for c in table.tableColumns) + 1, name=header))


def header_col(ws: Any, table: Any, header: str) -> int:
    min_col, min_row, max_col, _ = range_boundaries(table.ref)
    for c in range(min_col, max_col + 1):
        if ws.cell(min_row, c).value == header:
            return c
    raise AssertionError(header)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *args], capture_output=True, text=True, timeout=180, cwd=cwd
    )


def render_pdf_text(soffice: str, workbook: Path, out_dir: Path) -> str:
    """Convert a workbook to PDF with LibreOffice (private profile) and return its text (pdftotext)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = out_dir / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    pdf = out_dir / (workbook.stem + ".pdf")
    assert pdf.exists(), "LibreOffice produced no PDF"
    result = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    return result.stdout


def resave_in_libreoffice(soffice: str, workbook: Path, work: Path) -> None:
    """Open and save the workbook in LibreOffice Calc (as a member of staff without Excel would)."""
    out = work / "lo-out"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(work / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    shutil.copyfile(out / workbook.name, workbook)
