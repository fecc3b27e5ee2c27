"""Excel entry points: what the *Uruchom* button of ``ksef_panel.xlsm`` runs (via xlwings),
``ksef-sheets excel run`` (the panel file without Excel) and building the office's panel.

Thin adapters over the same use cases the command line calls. The panel is read and written only
through ``PanelIO`` (named values and Excel Tables by name), with two implementations: xlwings for
the workbook open in Excel (``xw.Book.caller()``) and openpyxl for a file (tests, batch). Errors
reach staff as one Polish message box, never a Python traceback; progress goes to the status bar.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, file_system_error
from ksef_sheets.excel import panel_actions as _registers  # noqa: F401  (importing registers them)
from ksef_sheets.excel import panel_file as pw
from ksef_sheets.excel.registry import ActionContext, ActionSpec, PanelIO, registered
from ksef_sheets.identifiers import normalize_nip
from ksef_sheets.redaction import redact
from ksef_sheets.text import format_datetime

log = logging.getLogger(__name__)


def actions() -> dict[str, ActionSpec]:
    """Every panel action by its Polish label, in the order the dropdown offers them."""
    return registered()


def selected_clients(rows: Sequence[dict[str, Any]]) -> list[str]:
    chosen = []
    for row in rows:
        mark = str(row.get("Zaznacz") or "").strip().upper()
        nip = normalize_nip(str(row.get("NIP") or ""))
        if nip and mark in {pw.SELECTED_MARK, "T", "X", "1", "TAK"}:
            chosen.append(nip)
    return chosen


def unknown_action_message(label: str, *, where: str) -> str:
    """The Polish sentence for an action that does not exist, listing the ones that do."""
    valid = "; ".join(f"„{name}”" for name in actions())
    return f"Nieznana akcja „{label}” {where}. Dostępne akcje: {valid}."


def check_action(label: str) -> str:
    """The label of a registered action, or a ``UserError`` listing the valid ones."""
    label = label.strip()
    if label not in actions():
        raise UserError(unknown_action_message(label, where="w opcji --action"))
    return label


def run_panel(panel: PanelIO, *, action: str | None = None) -> str:
    """Run the action chosen on the panel; returns the Polish result (also shown in the workbook).

    ``action`` (``excel run --action``) overrides the panel's choice for this run only: the panel's
    *Akcja* cell keeps what staff chose, so the next scheduled run does what the panel says.
    """
    chosen = str(panel.get_named_value(pw.NAME_ACTION) or "").strip()
    label = action.strip() if action is not None else chosen
    registry = actions()
    started = format_datetime(datetime.now(UTC))
    try:
        spec = registry.get(label)
        if spec is None:
            where = "w opcji --action" if action is not None else "w polu Akcja panelu"
            raise UserError(unknown_action_message(label, where=where))
        folder_text = str(panel.get_named_value(pw.NAME_FOLDER) or "").strip()
        if not folder_text:
            raise UserError("Pole „Folder biura” w panelu jest puste.")
        ctx = ActionContext(
            office_dir=Path(folder_text),
            clients=selected_clients(panel.read_table(pw.CLIENTS_TABLE).rows),
            document_kind=str(panel.get_named_value(pw.NAME_DOCUMENT) or "").strip(),
            month=str(panel.get_named_value(pw.NAME_MONTH) or "").strip(),
            decisions_file=str(panel.get_named_value(pw.NAME_FILE) or "").strip(),
            panel=panel,
        )
        if spec.needs_month and not ctx.month:
            raise UserError("Akcja wymaga miesiąca: wpisz go w polu „Miesiąc (RRRR-MM)”.")
        if spec.needs_file and not ctx.decisions_file:
            raise UserError(f"Akcja wymaga pliku: wpisz ścieżkę w polu „{pw.FILE_CAPTION}”.")
        panel.status(f"KSeF: {label}…")
        try:
            result = spec.run(ctx)
        except OSError as exc:
            raise file_system_error(exc) or exc from None
    except UserError as exc:
        result = f"Błąd: {redact(str(exc))}"
        panel.alert(redact(str(exc)), title="KSeF — nie wykonano", critical=True)
    except Exception as exc:  # a bug: staff still get a message box, the details go to the log
        log.error("Panel action %s failed:\n%s", label, redact(traceback.format_exc()))
        result = (
            f"Błąd programu ({type(exc).__name__}). Szczegóły zapisano w dzienniku; zgłoś to informatykowi."
        )
        panel.alert(result, title="KSeF — błąd programu", critical=True)
    finally:
        panel.status(None)
    # One line in the panel's result cell and log row (rows stay one line high); a result of
    # several lines (fetch: a line per client) is returned whole for the terminal of "excel run".
    one_line = " ".join(result.split("\n"))
    panel.set_named_value(pw.NAME_RESULT, one_line)
    log_rows = panel.read_table(pw.LOG_TABLE).rows
    panel.write_table(pw.LOG_TABLE, [*log_rows, {"Czas": started, "Akcja": label, "Wynik": one_line}])
    return result


def main() -> None:
    """Entry point for ``ksef_panel.main()`` (RunPython from the workbook)."""
    import xlwings as xw

    from ksef_sheets.excel.xlwings_io import XlwingsPanel

    run_panel(XlwingsPanel(xw.Book.caller()))


def run_panel_file(
    path: Path, *, say: Callable[[str], None] = print, action: str | None = None
) -> tuple[str, list[str]]:
    """Run the action chosen in the panel file, or ``action`` for this run only.

    An ``action`` given here is never stored in the panel: the *Akcja* cell keeps the staff's
    choice (the log row names the action that ran). An unknown one is refused before the panel is
    touched, with the list of valid actions.
    """
    if action is not None:
        action = check_action(action)
    panel = pw.FilePanel(path, say=say)
    result = run_panel(panel, action=action)
    panel.save()
    return result, panel.alerts


def build_office_panel(folder: OfficeFolder, *, interpreter: str | None = None) -> Path:
    """Build ``ksef_panel.xlsm`` (and ``ksef_panel.py``) in the office folder from its register."""
    folder.load_config()  # a clear message when the folder is not an office yet
    clients: list[pw.PanelClient] = []
    if folder.office_workbook.exists():
        from ksef_sheets.sheets import load_clients

        clients = [pw.PanelClient(c.nip, c.name) for c in load_clients(folder)]
    choices = pw.PanelChoices(actions=list(actions()), document_kinds=document_kinds())
    return pw.build_panel(
        folder.root, office_dir=folder.root, choices=choices, clients=clients, interpreter=interpreter
    )


def document_kinds() -> list[str]:
    try:
        from ksef_sheets.documents import DOCUMENT_KINDS
    except ImportError:
        return []
    return list(DOCUMENT_KINDS)
