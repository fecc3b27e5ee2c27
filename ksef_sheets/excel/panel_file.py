"""The KSeF panel file: a macro-enabled workbook (``ksef_panel.xlsm``) with one button.

Staff pick an action, the clients and the options on the **Panel** sheet and press *Uruchom*.
The button runs ``SampleCall`` from the VBA project of the xlwings package's standalone quickstart,
which imports the Python module named like the workbook (``ksef_panel.py``, written beside it)
and calls its ``main()``; that dispatches to ``ksef_sheets.excel.main``. No hand-written VBA ships with
the toolkit: the VBA project is taken from the installed xlwings, so its DLL version always matches.

The workbook is built headlessly with XlsxWriter (``add_vba_project`` + ``insert_button``).
``FilePanel`` reads and writes the built file without Excel (``ksef-sheets excel run``).
"""

from __future__ import annotations

import importlib.resources
import io
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter
from openpyxl import load_workbook

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, atomic_write_text, ensure_writable
from ksef_sheets.sheets import OpenpyxlTables

PANEL_NAME = "ksef_panel"
PANEL_SHEET = "Panel"
CONFIG_SHEET = "xlwings.conf"
BUTTON_MACRO = "SampleCall"  # the quickstart's macro: import <workbook name>; <workbook name>.main()
CLIENTS_TABLE = "WyborKlientow"
LOG_TABLE = "Dziennik"
SELECTED_MARK = "TAK"

# Named cells the Python side reads by name, never by address.
NAME_FOLDER = "FolderBiura"
NAME_ACTION = "Akcja"
NAME_DOCUMENT = "RodzajDokumentu"
NAME_MONTH = "Miesiac"
NAME_FILE = "PlikDecyzji"
# One file field for the actions that read a file: the client's decisions, a JPK_V7.
FILE_CAPTION = "Plik (decyzje klienta, JPK)"
NAME_RESULT = "OstatniWynik"

# Panels already built in offices import ``ksef_sheets.excel.main``: keep that name exported by
# ``ksef_sheets/excel/__init__.py`` (the file beside each panel is not rebuilt on upgrade).
MODULE_SOURCE = '''"""Called by the Uruchom button of ksef_panel.xlsm (xlwings RunPython). Do not rename."""

from ksef_sheets.excel import main as _main


def main() -> None:
    _main()
'''


@dataclass(frozen=True)
class PanelChoices:
    """What the panel's dropdowns offer; the labels are exactly the keys Python dispatches on."""

    actions: Sequence[str]
    document_kinds: Sequence[str]


@dataclass(frozen=True)
class PanelClient:
    nip: str
    name: str


def xlwings_vba_project() -> bytes:
    """The vbaProject.bin of the installed xlwings package's standalone quickstart workbook."""
    try:
        quickstart = importlib.resources.files("xlwings") / "quickstart_standalone.xlsm"
        with quickstart.open("rb") as fh, zipfile.ZipFile(fh) as archive:
            return archive.read("xl/vbaProject.bin")
    except (ModuleNotFoundError, FileNotFoundError, KeyError) as exc:
        raise UserError(
            'Do zbudowania panelu Excela potrzebny jest pakiet xlwings: pip install "ksef-sheets[excel]".'
        ) from exc


def build_panel(
    target_dir: Path,
    *,
    office_dir: Path | None,
    choices: PanelChoices,
    clients: Sequence[PanelClient],
    interpreter: str | None = None,
) -> Path:
    """Write ``ksef_panel.xlsm`` and ``ksef_panel.py`` into ``target_dir``; return the workbook path.

    ``office_dir`` None leaves *Folder biura* empty (the panel in ``workbooks/``: the office types
    its folder there; xlwings finds ``ksef_panel.py`` beside the workbook).
    """
    vba = xlwings_vba_project()
    target_dir.mkdir(parents=True, exist_ok=True)
    workbook_path = target_dir / f"{PANEL_NAME}.xlsm"
    with atomic_path(workbook_path) as tmp:
        _write_workbook(tmp, vba, office_dir, choices, clients, interpreter)
    atomic_write_text(target_dir / f"{PANEL_NAME}.py", MODULE_SOURCE)
    return workbook_path


def _write_workbook(
    path: Path,
    vba: bytes,
    office_dir: Path | None,
    choices: PanelChoices,
    clients: Sequence[PanelClient],
    interpreter: str | None,
) -> None:
    # XlsxWriter needs the .xlsm extension to write a macro workbook; the temp name keeps it.
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        wb.add_vba_project(io.BytesIO(vba), is_stream=True)
        wb.set_vba_name("ThisWorkbook")
        title = wb.add_format({"bold": True, "font_size": 16, "font_color": "#1F4E78"})
        label = wb.add_format({"bold": True, "align": "right"})
        field = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "locked": False})
        note = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
        text = wb.add_format({"num_format": "@"})

        ws = wb.add_worksheet(PANEL_SHEET)
        ws.set_vba_name("Sheet1")
        ws.set_column("A:A", 2)
        ws.set_column("B:B", 26)
        ws.set_column("C:C", 48)
        ws.set_column("D:D", 4)
        ws.set_column("E:E", 14)
        ws.set_column("F:F", 44)
        ws.set_column("G:G", 12)
        ws.write_string("B1", "Panel KSeF biura rachunkowego", title)
        ws.merge_range(
            "B2:G2",
            "Wybierz akcję i (opcjonalnie) klientów w tabeli po prawej — wpisz TAK w kolumnie „Zaznacz”. "
            "Pusta lista zaznaczonych oznacza wszystkich klientów. Następnie kliknij „Uruchom”. "
            "Postęp widać na pasku stanu Excela, wynik w polu „Ostatni wynik” i w dzienniku poniżej.",
            note,
        )
        ws.set_row(1, 48)
        rows = [
            (3, "Folder biura:", NAME_FOLDER, "" if office_dir is None else str(office_dir)),
            (5, "Akcja:", NAME_ACTION, choices.actions[0] if choices.actions else ""),
            (
                6,
                "Rodzaj dokumentu:",
                NAME_DOCUMENT,
                choices.document_kinds[0] if choices.document_kinds else "",
            ),
            (7, "Miesiąc (RRRR-MM):", NAME_MONTH, ""),
            (8, f"{FILE_CAPTION}:", NAME_FILE, ""),
            (10, "Ostatni wynik:", NAME_RESULT, ""),
        ]
        for row, caption, name, value in rows:
            ws.write_string(row, 1, caption, label)
            ws.write_string(row, 2, value, field)
            wb.define_name(name, f"='{PANEL_SHEET}'!$C${row + 1}")
        ws.data_validation(5, 2, 5, 2, {"validate": "list", "source": list(choices.actions)})
        if choices.document_kinds:
            ws.data_validation(6, 2, 6, 2, {"validate": "list", "source": list(choices.document_kinds)})
        ws.insert_button(
            "C13",
            {"macro": BUTTON_MACRO, "caption": "Uruchom", "width": 160, "height": 36},
        )

        # Client choice: an Excel Table read by column name.
        data = [[c.nip, c.name, ""] for c in clients] or [["", "", ""]]
        ws.add_table(
            3,
            4,
            3 + len(data),
            6,
            {
                "name": CLIENTS_TABLE,
                "style": "Table Style Light 9",
                "columns": [{"header": "NIP", "format": text}, {"header": "Nazwa"}, {"header": "Zaznacz"}],
                "data": data,
            },
        )
        ws.data_validation(4, 6, 3 + len(data), 6, {"validate": "list", "source": [SELECTED_MARK, ""]})

        log_row = 17
        ws.write_string(log_row - 1, 1, "Dziennik operacji", wb.add_format({"bold": True}))
        ws.add_table(
            log_row,
            1,
            log_row + 1,
            3,
            {
                "name": LOG_TABLE,
                "style": "Table Style Light 1",
                "columns": [{"header": "Czas"}, {"header": "Akcja"}, {"header": "Wynik"}],
            },
        )
        ws.freeze_panes(3, 0)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.activate()

        conf = wb.add_worksheet(CONFIG_SHEET)
        conf.set_vba_name("Sheet2")
        conf.set_column("A:A", 22)
        conf.set_column("B:B", 70)
        settings = [] if office_dir is None else [("PYTHONPATH", str(Path(office_dir)))]
        if interpreter and sys.platform == "win32":
            settings.insert(0, ("INTERPRETER_WIN", interpreter))
        for i, (key, value) in enumerate(settings):
            conf.write_string(i, 0, key)
            conf.write_string(i, 1, value)
        conf.hide()
    finally:
        wb.close()


class FilePanel(OpenpyxlTables):
    """``PanelIO`` over ``ksef_panel.xlsm`` as a file (``ksef-sheets excel run``: scheduled tasks, servers).

    Status lines and message boxes go to the terminal, and the panel file is saved atomically with
    the result and the log row (refused, with the usual message, while Excel has it open).
    """

    def __init__(self, path: Path, *, say: Callable[[str], None] = print) -> None:
        if not path.exists():
            raise UserError(f"Nie ma pliku panelu {path} — zbuduj go: ksef-sheets excel panel.")
        ensure_writable(path)
        super().__init__(load_workbook(path, keep_vba=True), source=path.name)
        self.path = path
        self.say = say
        self.alerts: list[str] = []

    def status(self, text: str | None) -> None:
        if text:
            self.say(text)

    def alert(self, text: str, *, title: str, critical: bool = False) -> None:
        self.alerts.append(text)

    def save(self) -> None:
        with atomic_path(self.path) as tmp:
            self.workbook.save(tmp)
