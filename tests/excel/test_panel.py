from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from oletools.olevba import VBA_Parser
from openpyxl import load_workbook

from ksef_sheets import excel
from ksef_sheets.errors import UserError
from ksef_sheets.excel import XlwingsPanel, registry
from ksef_sheets.excel import panel_file as pw
from tests.excel.fake_xlwings import FakeBook


def build(tmp_path: Path, actions: list[str] | None = None) -> Path:
    choices = pw.PanelChoices(actions or list(excel.actions()), ["aneks"])
    clients = [pw.PanelClient("5210537039", "Nowak IT"), pw.PanelClient("7798676685", "Budmax")]
    return pw.build_panel(tmp_path / "panel", office_dir=tmp_path / "biuro", choices=choices, clients=clients)


def test_xlsm_has_vba_project_and_a_button_whose_macro_exists(tmp_path: Path) -> None:
    path = build(tmp_path)
    parser = VBA_Parser(str(path))
    assert parser.detect_vba_macros()
    code = "\n".join(c for _, _, _, c in parser.extract_macros())
    subs = set(re.findall(r"^\s*(?:Public\s+)?Sub\s+(\w+)", code, re.MULTILINE))
    with zipfile.ZipFile(path) as z:
        vml = next(z.read(n).decode() for n in z.namelist() if n.endswith(".vml"))
    macros = re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml)
    assert macros == [pw.BUTTON_MACRO]
    assert set(macros) <= subs
    # SampleCall imports the module named like the workbook and calls main(): that module exists
    assert "RunPython" in code and 'mymodule & ".main()"' in code
    module = (path.parent / f"{pw.PANEL_NAME}.py").read_text()
    assert "from ksef_sheets.excel import main" in module and "def main()" in module


def test_every_offered_action_exists_in_python_and_vice_versa(tmp_path: Path) -> None:
    path = build(tmp_path)
    wb = load_workbook(path, keep_vba=True)
    ws = wb[pw.PANEL_SHEET]
    action_cell = next(iter(wb.defined_names[pw.NAME_ACTION].destinations))[1].replace("$", "")
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation if action_cell in str(dv.sqref)]
    offered = lists[0].strip('"').split(",")
    assert offered and set(offered) == set(excel.actions())


def test_unknown_action_gives_a_polish_message_box_and_a_log_row(tmp_path: Path) -> None:
    book = FakeBook(build(tmp_path))
    panel = XlwingsPanel(book)
    panel.set_named_value(pw.NAME_ACTION, "Zrób coś dziwnego")
    result = excel.run_panel(panel)
    assert result.startswith("Błąd: Nieznana akcja")
    assert book.app.alerts and book.app.alerts[0][2] == "critical"
    assert book.app.status_bar is False
    log = panel.read_table(pw.LOG_TABLE).rows
    assert [r["Akcja"] for r in log if r["Akcja"]] == ["Zrób coś dziwnego"]


def test_action_gets_selected_clients_and_a_bug_never_shows_a_traceback(tmp_path: Path) -> None:
    seen: dict[str, list[str]] = {}

    @excel.action("Test: zapamiętaj klientów")
    def remember(ctx: excel.ActionContext) -> str:
        seen["clients"] = ctx.clients
        ctx.progress("pracuję")
        return "ok"

    @excel.action("Test: błąd programu")
    def crash(ctx: excel.ActionContext) -> str:
        raise RuntimeError("secret-token-value")

    @excel.action("Test: pełny dysk")
    def disk_full(ctx: excel.ActionContext) -> str:
        raise OSError(28, "No space left on device", str(ctx.office_dir / "faktury-2026.xlsx"))

    try:
        book = FakeBook(build(tmp_path, actions=["Test: zapamiętaj klientów"]))
        panel = XlwingsPanel(book)
        rows = panel.read_table(pw.CLIENTS_TABLE).rows
        rows[1]["Zaznacz"] = "TAK"
        panel.write_table(pw.CLIENTS_TABLE, rows)
        assert excel.run_panel(panel) == "ok"
        assert seen["clients"] == ["7798676685"]
        assert "pracuję" in book.app.status_history and book.app.status_bar is False

        panel.set_named_value(pw.NAME_ACTION, "Test: błąd programu")
        result = excel.run_panel(panel)
        assert "Błąd programu (RuntimeError)" in result
        assert "secret-token-value" not in result and "Traceback" not in book.app.alerts[-1][0]
        assert len([r for r in panel.read_table(pw.LOG_TABLE).rows if r["Akcja"]]) == 2

        # The system refusing a file is the office's problem to fix, not a bug: path and reason.
        panel.set_named_value(pw.NAME_ACTION, "Test: pełny dysk")
        result = excel.run_panel(panel)
        assert result.startswith("Błąd: Nie można użyć ") and result.endswith(
            "faktury-2026.xlsx: brak miejsca na dysku."
        )
        assert book.app.alerts[-1][1] == "KSeF — nie wykonano"
    finally:
        registry._ACTIONS.pop("Test: zapamiętaj klientów", None)
        registry._ACTIONS.pop("Test: błąd programu", None)
        registry._ACTIONS.pop("Test: pełny dysk", None)


def test_missing_named_cell_is_a_user_error(tmp_path: Path) -> None:
    book = FakeBook(build(tmp_path))
    with pytest.raises(UserError, match="brakuje nazwanej komórki"):
        XlwingsPanel(book).get_named_value("NieMaTakiej")


def test_xlwings_tables_keep_unknown_columns_and_never_write_a_formula(tmp_path: Path) -> None:
    book = FakeBook(build(tmp_path))
    panel = XlwingsPanel(book)
    data = panel.read_table(pw.CLIENTS_TABLE)
    assert data.headers == ["NIP", "Nazwa", "Zaznacz"] and len(data.rows) == 2
    rows = [*data.rows, {"NIP": "8131863036", "Nazwa": '=HYPERLINK("http://x","y")', "Zaznacz": ""}]
    panel.write_table(pw.CLIENTS_TABLE, rows)
    written = panel.read_table(pw.CLIENTS_TABLE).rows
    assert [r["NIP"] for r in written] == ["5210537039", "7798676685", "8131863036"]
    # Excel's own text prefix: shown as the literal text, never evaluated
    assert written[2]["Nazwa"] == '\'=HYPERLINK("http://x","y")'
    with pytest.raises(UserError, match="nie ma kolumn"):
        panel.write_table(pw.CLIENTS_TABLE, rows, headers=["Nowa kolumna"])
    assert panel.table_names() == [pw.CLIENTS_TABLE, pw.LOG_TABLE]
