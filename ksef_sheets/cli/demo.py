"""``ksef-sheets demo`` — the whole cycle on the embedded KSeF emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import console, err_console

DemoDirOption = Annotated[
    Path,
    typer.Option("--dir", help="Folder biura szkoleniowego (domyślnie ./biuro-demo)."),
]


@app.command("demo")
def demo(
    directory: DemoDirOption = Path("biuro-demo"),
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Zacznij od nowa (usuń poprzednie biuro demo).")
    ] = False,
    pdf: Annotated[
        bool, typer.Option("--pdf/--no-pdf", help="Przykładowy PDF przez LibreOffice (jeśli jest).")
    ] = True,
) -> None:
    """Pokaż cały cykl pracy biura na wbudowanym emulatorze KSeF: rejestr, pobranie, skoroszyty, dokumenty, zestawienia."""
    from ksef_sheets.config import OfficeFolder
    from ksef_sheets.demo import run_demo

    def echo(title: str, lines: list[str]) -> None:
        console.print(f"[bold]{title}[/bold]")
        for line in lines:
            console.print(f"   {line}", markup=False, highlight=False)

    folder = OfficeFolder.resolve(directory)
    console.print(f"[bold]Demo ksef-sheets[/bold] — biuro szkoleniowe w {folder.root}\n")
    summary = run_demo(folder, fresh=fresh, echo=echo, pdf=pdf)
    console.print()
    console.print(
        f"[bold]Gdzie zajrzeć:[/bold] {folder.office_workbook} (rejestr i plan), {folder.clients_dir} (faktury, dokumenty, zestawienia)."
    )
    console.print(
        f"Dalej z wiersza poleceń: ksef-sheets fetch --dir {directory} (pobiera tylko nowe faktury).",
        markup=False,
    )
    if summary.problems:
        err_console.print("Problemy:", markup=False)
        for problem in summary.problems:
            err_console.print(f"- {problem}", markup=False)
        raise typer.Exit(1)
