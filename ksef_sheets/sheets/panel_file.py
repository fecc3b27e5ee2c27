"""The panel run on its file, without Excel: ``ksef-sheets excel run`` (scheduled tasks, servers).

The same ``run_panel`` as the button, over the openpyxl side of the table I/O seam; status lines
and message boxes go to the terminal, and the panel file is saved atomically with the result and
the log row (refused, with the usual message, while Excel has it open).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, ensure_writable
from ksef_sheets.sheets.tables import OpenpyxlTables


class FilePanel(OpenpyxlTables):
    """``PanelIO`` over ``ksef_panel.xlsm`` as a file."""

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


def run_panel_file(
    path: Path, *, say: Callable[[str], None] = print, action: str | None = None
) -> tuple[str, list[str]]:
    """Run the action chosen in the panel file, or ``action`` for this run only.

    An ``action`` given here is never stored in the panel: the *Akcja* cell keeps the staff's
    choice (the log row names the action that ran). An unknown one is refused before the panel is
    touched, with the list of valid actions.
    """
    from ksef_sheets.excel import check_action, run_panel

    if action is not None:
        action = check_action(action)
    panel = FilePanel(path, say=say)
    result = run_panel(panel, action=action)
    panel.save()
    return result, panel.alerts
