"""``workbooks/``: each committed file is what scripts/build_workbooks.py makes, and each works."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.excel import panel_file as pw
from ksef_sheets.excel import run_panel_file
from ksef_sheets.sheets import load_clients
from ksef_sheets.sheets.invoice_columns import Register
from ksef_sheets.sheets.invoice_readback import read_workbook_work
from ksef_sheets.workflows import import_clients, init_office
from tests.workbooks.build import WORKBOOKS, build_script
from tests.workbooks.content import differences, workbook_content

# The invoice workbook says when it was written ("Stan na 05.12.2026 10:47"); the rest is fixed.
_WRITTEN_AT = re.compile(r"Stan na \d{2}\.\d{2}\.\d{4} \d{2}:\d{2}")


def _without_write_time(content: Any) -> Any:
    if isinstance(content, dict):
        return {k: _without_write_time(v) for k, v in content.items()}
    if isinstance(content, (list, tuple)):
        return type(content)(_without_write_time(v) for v in content)
    if isinstance(content, str):
        return _WRITTEN_AT.sub("Stan na …", content)
    return content


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("workbooks")
    build_script().build_all(out)
    return out


def test_the_folder_holds_exactly_what_the_script_builds(rebuilt: Path) -> None:
    committed = sorted(p.name for p in WORKBOOKS.iterdir() if p.name != "README.md")
    assert committed == sorted(build_script().FILES) == sorted(p.name for p in rebuilt.iterdir())


@pytest.mark.parametrize("name", [n for n in build_script().FILES if n.endswith((".xlsx", ".xlsm"))])
def test_committed_workbook_matches_the_build_script(rebuilt: Path, name: str) -> None:
    committed = _without_write_time(workbook_content(WORKBOOKS / name))
    fresh = _without_write_time(workbook_content(rebuilt / name))
    diff = differences(committed, fresh)
    assert not diff, f"workbooks/{name} is stale (run python scripts/build_workbooks.py): {diff[:5]}"


@pytest.mark.parametrize("name", [n for n in build_script().FILES if n.endswith((".csv", ".py"))])
def test_committed_text_file_matches_the_build_script(rebuilt: Path, name: str) -> None:
    assert (WORKBOOKS / name).read_bytes() == (rebuilt / name).read_bytes()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_client_template_is_read_by_clients_import(tmp_path: Path, suffix: str) -> None:
    folder = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(folder, office_nip="5275260184", office_name="Biuro Testowe")
    report = import_clients(folder, WORKBOOKS / f"klienci-wzor{suffix}")
    assert report.errors == [] and report.ignored_headers == []
    clients = load_clients(folder)
    expected = [c for c in build_script().demo_clients()[:2]]
    assert [(c.nip, c.name, c.email, c.scenario) for c in clients] == [
        (c.nip, c.name, c.email, c.scenario) for c in expected
    ]


def test_blank_office_workbook_becomes_the_office_workbook_of_a_new_office(tmp_path: Path) -> None:
    folder = OfficeFolder.resolve(tmp_path / "biuro")
    folder.root.mkdir()
    shutil.copyfile(WORKBOOKS / "biuro.xlsx", folder.office_workbook)
    assert load_clients(folder) == []
    init_office(folder, office_nip="5275260184", office_name="Biuro Testowe")
    report = import_clients(folder, WORKBOOKS / "klienci-wzor.csv")
    assert report.added == ["5210537039", "6762966431"]
    assert [c.nip for c in load_clients(folder)] == ["5210537039", "6762966431"]
    content = workbook_content(folder.office_workbook)
    assert content["sheets"] == workbook_content(WORKBOOKS / "biuro.xlsx")["sheets"]


def test_sample_invoice_workbook_is_read_like_one_fetch_wrote(tmp_path: Path) -> None:
    work = read_workbook_work(WORKBOOKS / build_script().INVOICE_SAMPLE)
    assert work.warnings == []
    assert len(work.sheets[Register.PURCHASES].staff) == 9
    assert len(work.sheets[Register.SALES].staff) == 3


def test_panel_carries_the_xlwings_button_and_asks_for_the_office_folder(tmp_path: Path) -> None:
    with zipfile.ZipFile(WORKBOOKS / "ksef_panel.xlsm") as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    assert (WORKBOOKS / "ksef_panel.py").read_text(encoding="utf-8") == pw.MODULE_SOURCE
    panel = tmp_path / "ksef_panel.xlsm"
    shutil.copyfile(WORKBOOKS / "ksef_panel.xlsm", panel)
    result, alerts = run_panel_file(panel, say=lambda _text: None)
    assert alerts == ["Pole „Folder biura” w panelu jest puste."]
    assert result == "Błąd: Pole „Folder biura” w panelu jest puste."
