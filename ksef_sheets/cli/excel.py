"""``ksef-sheets excel panel|actions`` — the Excel panel for staff."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import (
    DirOption,
    JsonOption,
    console,
    err_console,
    office_folder,
    print_json,
    vault_passphrase,
)
from ksef_sheets.config import OfficeFolder

excel_app = typer.Typer(help="Panel KSeF w Excelu (przyciski zamiast wiersza poleceń).", no_args_is_help=True)
app.add_typer(excel_app, name="excel")


@excel_app.command("panel")
def panel(directory: DirOption = None) -> None:
    """Zbuduj ksef_panel.xlsm (przycisk „Uruchom”) i ksef_panel.py w folderze biura."""
    from ksef_sheets.excel import build_office_panel

    folder = office_folder(directory)
    path = build_office_panel(folder, interpreter=_pythonw())
    console.print(f"Panel zapisany: {path}")


@excel_app.command("actions")
def list_actions(as_json: JsonOption = False) -> None:
    """Pokaż akcje, które oferuje panel."""
    from ksef_sheets.excel import actions

    labels = list(actions())
    if as_json:
        print_json(labels)
    else:
        for label in labels:
            console.print(f"• {label}")


def _pythonw() -> str:
    exe = Path(sys.executable)
    windowed = exe.with_name("pythonw.exe")
    return str(windowed if windowed.exists() else exe)


@excel_app.command("run")
def run(
    directory: DirOption = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="Akcja (jak w panelu) tylko dla tego uruchomienia; wybór w panelu zostaje bez zmian.",
        ),
    ] = None,
) -> None:
    """Wykonaj akcję wybraną w ksef_panel.xlsm bez Excela (z Harmonogramu zadań albo na serwerze)."""
    from ksef_sheets.excel import PANEL_NAME, run_panel_file

    folder = office_folder(directory)
    _ask_for_passphrase(folder, action)
    result, alerts = run_panel_file(
        folder.root / f"{PANEL_NAME}.xlsm",
        say=lambda t: err_console.print(t, markup=False),
        action=action,
    )
    console.print(result, markup=False, highlight=False)
    if alerts:
        raise typer.Exit(1)


def _ask_for_passphrase(folder: OfficeFolder, action: str | None) -> None:
    """At a terminal, a run that may talk to KSeF asks for the vault's passphrase like fetch does.

    The panel's actions run in this process and open the vault themselves, so the passphrase is
    handed to them in this process's environment; without a terminal (Task Scheduler) nothing is
    asked and KSEF_SHEETS_PASSPHRASE must be set for a fetch.
    """
    import os

    from ksef_sheets.vault import PASSPHRASE_ENV

    if os.environ.get(PASSPHRASE_ENV) or not sys.stdin.isatty():
        return
    if action is not None and "KSeF" not in action:  # only the KSeF actions open the vault
        return
    passphrase = vault_passphrase(folder)
    if passphrase:
        os.environ[PASSPHRASE_ENV] = passphrase
