"""Every kind of workbook the toolkit writes, opened and saved again by LibreOffice Calc.

In the spirit of XlsxWriter's tests against files saved by Excel: a member of staff (or a client)
without Excel opens our file in LibreOffice and saves it. What must survive: sheets, tables,
data validations, named cells, sheet protection, number formats, formulas and values — and our
own readers (the code paths of fetch, import-decisions, clients import, send, excel run) must read
the re-saved file exactly as they read the original.

What LibreOffice legitimately changes is named here, not hidden: see ``_LIBREOFFICE_CHANGES``.
All files go through one LibreOffice run (plus one for the macro workbook, which needs its own
filter to keep the VBA project).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.excel import FilePanel, build_office_panel, run_panel_file
from ksef_sheets.excel import panel_file as pw
from ksef_sheets.sheets import load_clients, read_client_list
from ksef_sheets.sheets import send_entry as entry
from ksef_sheets.sheets.invoice_readback import read_workbook_work
from ksef_sheets.sheets.tables import OpenpyxlTables
from ksef_sheets.workflows import export_client_list, import_clients, import_decisions
from ksef_sheets.workflows.staff import register_staff_member
from tests.workbooks.build import build_script
from tests.workbooks.content import differences, workbook_content

pytestmark = pytest.mark.libreoffice

MONTH = "2026-02"
EXPORT_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _answer_export(export: Path, reply: Path) -> int:
    """Fill the export's Decyzja column as a client would (accept all but the last), like the demo."""
    wb = load_workbook(export)
    answered = 0
    for ws in wb.worksheets:
        for table in ws.tables.values():
            header_row = ws[table.ref.split(":")[0]].row
            headers = {str(c.value): c.column for c in ws[header_row] if c.value}
            if "Decyzja" not in headers:
                continue
            last_row = ws[table.ref.split(":")[1]].row
            for r in range(header_row + 1, last_row + 1):
                ws.cell(r, headers["Decyzja"]).value = "Odrzucam" if r == last_row else "Akceptuję"
                answered += 1
    wb.save(reply)
    return answered


def _entry_workbook(folder: OfficeFolder, path: Path) -> Path:
    entry.create_entry_workbook(
        path, client_nip="6762966431", client_name='Studio Urody "Malwa"', address="ul. Kwiatowa 7, Radom"
    )
    wb = load_workbook(path)
    tables = OpenpyxlTables(wb, source=path.name)
    tables.write_table(
        entry.TABLE,
        [
            {
                entry.H_NUMBER: "FV/1/03/2026",
                entry.H_ISSUED: date(2026, 3, 2),
                entry.H_BUYER_NIP: "7798676685",
                entry.H_BUYER_NAME: "Budmax Sp. z o.o.",
                entry.H_ITEM: "Zabieg — karnet",
                entry.H_QUANTITY: 2,
                entry.H_PRICE: 150.5,
                entry.H_RATE: "zw",
            },
            {
                entry.H_NUMBER: "FV/2/03/2026",
                entry.H_ISSUED: date(2026, 3, 3),
                entry.H_ITEM: "=Kosmetyki",  # text that looks like a formula stays text
                entry.H_QUANTITY: 1,
                entry.H_PRICE: 99.99,
                entry.H_RATE: "23",
            },
        ],
    )
    wb.save(path)
    return path


def _resave(soffice: str, files: list[Path], out: Path, work: Path, filter_spec: str) -> None:
    """One LibreOffice run converting ``files`` into ``out`` with ``filter_spec``."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(work / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            filter_spec,
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, soffice: str) -> dict[str, tuple[Path, Path]]:
    """Kind → (original, re-saved by LibreOffice); the office they came from is ``files["_office"]``."""
    work = tmp_path_factory.mktemp("round-trip")
    script = build_script()
    folder = script.build_sample_office(work / "biuro")
    config = folder.load_config()
    register_staff_member(folder, config, name="Anna Kowalska", identifier="900101 12349", role="księgowa")
    export = export_client_list(
        folder, script.SAMPLE_CLIENT.nip, MONTH, pdf=False, email=False, now=EXPORT_NOW
    ).xlsx
    panel = build_office_panel(folder)
    originals = work / "original"
    originals.mkdir()
    kinds = {
        "office": shutil.copyfile(folder.office_workbook, originals / "biuro.xlsx"),
        "invoices": shutil.copyfile(script.sample_invoice_workbook(folder), originals / "faktury-2026.xlsx"),
        "export": shutil.copyfile(export, originals / export.name),
        "reply": originals / "odpowiedz-klienta.xlsx",
        "entry": _entry_workbook(folder, originals / "sprzedaz-do-wyslania.xlsx"),
        "client template": shutil.copyfile(
            script.WORKBOOKS_DIR / "klienci-wzor.xlsx", originals / "klienci-wzor.xlsx"
        ),
        "panel": shutil.copyfile(panel, originals / panel.name),
    }
    assert _answer_export(kinds["export"], kinds["reply"]) > 1
    resaved = work / "libreoffice"
    xlsx = [p for p in kinds.values() if p.suffix == ".xlsx"]
    _resave(soffice, xlsx, resaved, work, "xlsx:Calc MS Excel 2007 XML")
    _resave(soffice, [kinds["panel"]], resaved, work, "xlsm:Calc MS Excel 2007 VBA XML")
    result = {kind: (path, resaved / path.name) for kind, path in kinds.items()}
    for original, copy in result.values():
        assert copy.exists(), f"LibreOffice did not save {original.name}"
    result["_office"] = (folder.root, folder.root)
    return result


# What LibreOffice changes on the way (found with LibreOffice 7.4, headless); the checks below
# assert what must still hold instead of comparing these:
# - number formats are respelled: "dd.mm.yyyy" -> "dd\\.mm\\.yyyy", "[Red]-" -> "[RED]\\-", "\"–\"" ->
#   "\\–" — the same display, compared after removing quotes and escapes (``_display_format``);
# - sheet names in formulas and named ranges lose quotes they do not need ('Klienci'!A1 -> Klienci!A1);
# - frozen panes are dropped by a headless conversion (no view exists to keep them);
# - a data validation over a long empty range is cut to 1,000 rows below the last used row
#   (E5:E5000 -> E5:E1032): the rows with data and the next thousand keep their dropdowns;
# - veryHidden sheets come back "hidden"; table styles and cell styles are not compared.
# Found and fixed on our side: an amount format with a bare space before a quoted literal
# ('#,##0.00 "zł"') is written back as '#,##0.00,"zł"', which Excel and LibreOffice then show
# divided by a thousand (12 345,67 zł -> 12,35zł); the formats in sheets/printing.py and the office
# workbook's FMT_PLN (sheets/office_layout.py) now quote the space ('#,##0.00" zł"').

_QUOTED_SHEET = re.compile(r"'([A-Za-z_][A-Za-z0-9_.]*)'!")
_VALIDATION_KEPT_BELOW = 1000


def _display_format(number_format: str) -> str:
    """A number format as displayed: quotes and escapes removed, colour names case-folded."""
    text = re.sub(r"\[[A-Za-z]+\]", lambda m: m.group(0).lower(), number_format)
    return text.replace('"', "").replace("\\", "")


def _formula(value: Any) -> Any:
    return _QUOTED_SHEET.sub(r"\1!", value) if isinstance(value, str) and value.startswith("=") else value


def _validations(items: list[tuple[str, str, str]], last_rows: dict[str, int]) -> list[tuple[str, str, str]]:
    """Validations with each range cut the way LibreOffice cuts it (see above)."""
    out = []
    for sqref, kind, formula in items:
        cut = []
        for part in sqref.split():
            low, _, high = part.partition(":")
            if high:
                column, top = re.match(r"([A-Z]+)(\d+)", high).groups()  # type: ignore[union-attr]
                limit = last_rows["_"] + _VALIDATION_KEPT_BELOW
                part = f"{low}:{column}{min(int(top), limit)}"
            cut.append(part)
        out.append((" ".join(cut), kind, _formula("=" + formula)[1:] if formula else formula))
    return sorted(out)


def _comparable(content: dict[str, Any]) -> dict[str, Any]:
    """``workbook_content`` minus what LibreOffice may legitimately change (listed above)."""
    out: dict[str, Any] = {"sheets": content["sheets"]}
    out["names"] = {k: _QUOTED_SHEET.sub(r"\1!", v) for k, v in content["names"].items()}
    for key, sheet in content.items():
        if not key.startswith("sheet "):
            continue
        rows = [int(re.sub(r"[A-Z]+", "", coordinate)) for coordinate in sheet["cells"]]
        out[key] = {
            "state": "hidden" if sheet["state"] == "veryHidden" else sheet["state"],
            "protected": sheet["protected"],
            "tables": sheet["tables"],
            "merged": sheet["merged"],
            "validations": _validations(sheet["validations"], {"_": max(rows, default=1)}),
            "cells": {
                coordinate: (_formula(value), _display_format(number_format))
                for coordinate, (value, number_format) in sheet["cells"].items()
            },
        }
    return out


KINDS = ["office", "invoices", "export", "reply", "entry", "client template", "panel"]


@pytest.mark.parametrize("kind", KINDS)
def test_workbook_content_survives_libreoffice(files: dict[str, tuple[Path, Path]], kind: str) -> None:
    original, resaved = files[kind]
    before, after = _comparable(workbook_content(original)), _comparable(workbook_content(resaved))
    diff = differences(before, after)
    assert not diff, f"{original.name}: {len(diff)} differences, first: {diff[:8]}"
    for name, sheet in before.items():
        if name.startswith("sheet ") and sheet["tables"]:
            assert after[name]["tables"] == sheet["tables"]  # every table, same range and columns


def test_office_amounts_in_zloty_survive_libreoffice(files: dict[str, tuple[Path, Path]]) -> None:
    """FMT_PLN keeps its space inside the quotes, so LibreOffice does not turn it into a thousands
    separator (the amounts would show divided by 1000)."""
    original, resaved = files["office"]
    for path in (original, resaved):
        formats = {
            c.number_format
            for ws in load_workbook(path).worksheets
            for row in ws.iter_rows()
            for c in row
            if c.value is not None and "zł" in c.number_format
        }
        assert formats, path.name
        assert not any(",zł" in f.replace('"', "") for f in formats), (path.name, formats)
    before, after = _comparable(workbook_content(original)), _comparable(workbook_content(resaved))
    assert differences(before, after) == []


def test_amount_formats_of_invoice_workbooks_survive_libreoffice(files: dict[str, tuple[Path, Path]]) -> None:
    """The fix for the thousand-fold display: the invoice workbook and export keep "zł" formats."""
    for kind in ("invoices", "export"):
        after = load_workbook(files[kind][1])
        formats = {
            c.number_format for ws in after.worksheets for row in ws.iter_rows() for c in row if c.value
        }
        assert any("zł" in f for f in formats), kind
        assert not any(",zł" in f.replace('"', "") for f in formats), (kind, formats)


def test_protection_survives_on_the_export(files: dict[str, tuple[Path, Path]]) -> None:
    """The client's export is protected except the decision columns; LibreOffice keeps both."""
    _, resaved = files["export"]
    wb = load_workbook(resaved)
    sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert sheets and all(ws.protection.sheet for ws in sheets)
    unlocked = [c for ws in sheets for row in ws.iter_rows() for c in row if not c.protection.locked]
    assert unlocked, "the decision cells stay editable"


def test_panel_keeps_its_vba_project(files: dict[str, tuple[Path, Path]]) -> None:
    original, resaved = files["panel"]
    with zipfile.ZipFile(original) as before, zipfile.ZipFile(resaved) as after:
        assert "xl/vbaProject.bin" in before.namelist()
        assert "xl/vbaProject.bin" in after.namelist(), "LibreOffice dropped the panel's macros"


# -- our readers read the re-saved files the same ------------------------------------------------


def _office_copy(files: dict[str, tuple[Path, Path]], tmp_path: Path, name: str) -> OfficeFolder:
    root, _ = files["_office"]
    target = tmp_path / name
    shutil.copytree(root, target)
    return OfficeFolder.resolve(target)


def test_register_reads_the_same(files: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    """``clients import``/``fetch`` read the register from biuro.xlsx: the same clients either way."""
    original, resaved = files["office"]
    folder = _office_copy(files, tmp_path, "biuro")
    shutil.copyfile(original, folder.office_workbook)
    before = load_clients(folder)
    shutil.copyfile(resaved, folder.office_workbook)
    assert load_clients(folder) == before and len(before) == 10
    report = import_clients(folder, files["client template"][1])
    assert report.errors == [] and sorted(report.updated + report.unchanged) == ["5210537039", "6762966431"]


def test_client_template_reads_the_same(files: dict[str, tuple[Path, Path]]) -> None:
    original, resaved = files["client template"]
    before, after = read_client_list(original), read_client_list(resaved)
    assert after.rows == before.rows and after.ignored_headers == before.ignored_headers


def test_invoice_workbook_reads_the_same(files: dict[str, tuple[Path, Path]]) -> None:
    """What ``fetch`` reads back before rewriting a client's invoice workbook."""
    original, resaved = files["invoices"]
    before, after = read_workbook_work(original), read_workbook_work(resaved)
    assert after.sheets == before.sheets and after.snapshot == before.snapshot
    assert after.own_sheets == before.own_sheets and after.warnings == before.warnings
    assert sum(len(sheet.staff) for sheet in before.sheets.values()) == 12


def test_client_reply_imports_the_same(files: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    """``import-decisions`` on the client's answer, as saved by Excel (openpyxl) and by LibreOffice."""
    original, resaved = files["reply"]
    reports = []
    for name, path in (("a", original), ("b", resaved)):
        folder = _office_copy(files, tmp_path, name)
        reports.append(import_decisions(folder, path))
    first, second = reports
    for field in ("client_nip", "period", "kind", "export_id", "confirmed_whole"):
        assert getattr(second, field) == getattr(first, field), field
    for field in ("applied", "unchanged", "undecided", "conflicts"):
        assert [(o.ksef_number, o.code) for o in getattr(second, field)] == [
            (o.ksef_number, o.code) for o in getattr(first, field)
        ], field
    assert len(first.applied) > 1 and first.conflicts == []


def test_entry_workbook_reads_the_same(files: dict[str, tuple[Path, Path]]) -> None:
    """What ``send`` reads from the sales entry workbook."""
    original, resaved = files["entry"]
    before, after = entry.read_entry_workbook(original), entry.read_entry_workbook(resaved)
    assert after.table.rows == before.table.rows and len(before.table.rows) == 2
    assert after.table.headers == before.table.headers
    assert (after.seller_name, after.seller_address) == (before.seller_name, before.seller_address)


def test_panel_reads_and_runs_the_same(files: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    """``excel run`` on the panel re-saved by LibreOffice."""
    original, resaved = files["panel"]
    before = FilePanel(original, say=lambda _t: None)
    after = FilePanel(resaved, say=lambda _t: None)
    for name in (pw.NAME_FOLDER, pw.NAME_ACTION, pw.NAME_DOCUMENT, pw.NAME_RESULT):
        # An empty text cell comes back empty (None): the panel reads both as "".
        assert (after.get_named_value(name) or "") == (before.get_named_value(name) or ""), name
    for table in (pw.CLIENTS_TABLE, pw.LOG_TABLE):
        assert after.read_table(table).rows == before.read_table(table).rows, table
    panel = tmp_path / "ksef_panel.xlsm"
    shutil.copyfile(resaved, panel)
    result, alerts = run_panel_file(panel, say=lambda _t: None, action="Sprawdź rejestr klientów")
    assert alerts == [] and result.startswith("Sprawdzono 10 klientów"), result
    log = FilePanel(panel, say=lambda _t: None).read_table(pw.LOG_TABLE).rows
    assert log[-1]["Akcja"] == "Sprawdź rejestr klientów"
