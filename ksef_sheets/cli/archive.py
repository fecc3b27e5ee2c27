"""``ksef-sheets archive check|rebuild|backup|restore``: the archive index checked, rebuilt, copied back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import DirOption, JsonOption, console, err_console, office_folder, print_json
from ksef_sheets.text import count
from ksef_sheets.workflows import (
    backup_office_archive,
    check_office_archive,
    rebuild_office_archive,
    restore_office_archive,
)

archive_app = typer.Typer(
    help="Archiwum faktur: sprawdzenie, odbudowa indeksu z plików, kopie bazy i przywracanie.",
    no_args_is_help=True,
)
app.add_typer(archive_app, name="archive")


def _say(line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)


@archive_app.command("check")
def check(json_output: JsonOption = False, directory: DirOption = None) -> None:
    """Sprawdź, czy indeks archiwum zgadza się z plikami faktur, decyzjami i punktami kontrolnymi."""
    report = check_office_archive(office_folder(directory))
    if json_output:
        print_json(report.to_json())
    else:
        for line in report.summary_lines():
            _say(line)
        for problem in report.problems:
            err_console.print(f"- {problem}", markup=False, highlight=False, soft_wrap=True)
        for note in report.notes:
            _say(f"Uwaga: {note}")
    if not report.ok:
        raise typer.Exit(1)


@archive_app.command("rebuild")
def rebuild(json_output: JsonOption = False, directory: DirOption = None) -> None:
    """Odbuduj indeks archiwum z plików XML i skoroszytów faktur (stary indeks zostaje odłożony)."""
    report = rebuild_office_archive(office_folder(directory))
    if json_output:
        print_json(report.to_json())
        return
    for line in report.summary_lines():
        _say(line)
    _say("Następne ksef-sheets fetch pobierze tylko faktury, których w archiwum brakuje.")


@archive_app.command("backup")
def backup(json_output: JsonOption = False, directory: DirOption = None) -> None:
    """Zapisz kopię bazy archiwum w folderze kopie/ (7 dziennych i 4 tygodniowe)."""
    result = backup_office_archive(office_folder(directory))
    if json_output:
        print_json(
            {
                "path": str(result.path),
                "invoices": result.invoices,
                "removed": [str(p) for p in result.removed],
            }
        )
        return
    _say(f"Kopia bazy archiwum ({count(result.invoices, 'faktura', 'faktury', 'faktur')}): {result.path}")
    if result.removed:
        _say(f"Usunięto starsze kopie: {len(result.removed)}.")


@archive_app.command("restore")
def restore(
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Plik kopii do przywrócenia; domyślnie najnowsza kopia z folderu kopie/.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Przywróć bazę archiwum ze sprawdzonej kopii (obecna zostaje odłożona, nie usunięta)."""
    result = restore_office_archive(office_folder(directory), source)
    if json_output:
        print_json(
            {
                "source": str(result.source),
                "invoices": result.invoices,
                "set_aside": [str(p) for p in result.set_aside],
            }
        )
        return
    _say(
        f"Przywrócono bazę archiwum z kopii {result.source} ({count(result.invoices, 'faktura', 'faktury', 'faktur')})."
    )
    if result.decisions_from_workbooks:
        _say(
            "Decyzje pracowników zapisane po zrobieniu kopii, odczytane ze skoroszytów faktur: "
            f"{result.decisions_from_workbooks}."
        )
    if result.set_aside:
        _say(f"Poprzednia baza została odłożona: {result.set_aside[0]}.")
    _say("Następne ksef-sheets fetch uzupełni faktury pobrane po zrobieniu kopii.")
