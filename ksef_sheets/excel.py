"""Excel entry points: what the *Uruchom* button of ``ksef_panel.xlsm`` runs (via xlwings).

Thin adapters over the same use cases the command line calls. The panel is read and written only
through ``PanelIO`` (named values and Excel Tables by name), with two implementations: xlwings for
the workbook open in Excel (``xw.Book.caller()``) and openpyxl for a file (tests, batch). Errors
reach staff as one Polish message box, never a Python traceback; progress goes to the status bar.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ksef_sheets.errors import UserError, file_system_error
from ksef_sheets.identifiers import normalize_nip
from ksef_sheets.redaction import redact
from ksef_sheets.sheets import panel_workbook as pw
from ksef_sheets.sheets.tables import TableIO
from ksef_sheets.text import format_datetime

log = logging.getLogger(__name__)


class PanelIO(TableIO, Protocol):
    """What an action may do with the panel workbook: the table I/O seam plus Excel's feedback."""

    def status(self, text: str | None) -> None: ...

    def alert(self, text: str, *, title: str, critical: bool = False) -> None: ...


@dataclass
class ActionContext:
    """What an action gets: the office folder, the chosen clients and options, and a progress sink."""

    office_dir: Path
    clients: list[str]
    document_kind: str
    month: str
    decisions_file: str
    panel: PanelIO
    messages: list[str] = field(default_factory=list)

    def progress(self, text: str) -> None:
        self.panel.status(text)


Action = Callable[[ActionContext], str]


@dataclass(frozen=True)
class ActionSpec:
    label: str
    run: Action
    needs_month: bool = False
    needs_file: bool = False


_ACTIONS: dict[str, ActionSpec] = {}


def action(label: str, *, needs_month: bool = False, needs_file: bool = False) -> Callable[[Action], Action]:
    """Register a panel action under its Polish label (the label is what the dropdown offers)."""

    def register(fn: Action) -> Action:
        _ACTIONS[label] = ActionSpec(label, fn, needs_month, needs_file)
        return fn

    return register


def actions() -> dict[str, ActionSpec]:
    from ksef_sheets import excel_actions  # noqa: F401  (registers the actions)

    return dict(_ACTIONS)


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
            raise UserError("Akcja wymaga pliku: wpisz ścieżkę w polu „Plik z decyzjami klienta”.")
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

    from ksef_sheets.sheets.xlwings_io import XlwingsPanel

    run_panel(XlwingsPanel(xw.Book.caller()))
