"""``ksef-sheets documents KIND``: annexes, authorisations, letters and e-mails from the register."""

from __future__ import annotations

from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import (
    ClientOption,
    DirOption,
    JsonOption,
    console,
    office_folder,
    print_json,
    show_progress,
)
from ksef_sheets.documents import GROUPS, KINDS, resolve_kinds
from ksef_sheets.text import count
from ksef_sheets.workflows import generate_client_documents

_KIND_HELP = (
    "Rodzaj dokumentu: "
    + ", ".join(f"{k} ({v.label})" for k, v in KINDS.items())
    + "; grupy: "
    + ", ".join(GROUPS)
    + "."
)


@app.command("documents")
def documents(
    kinds: Annotated[list[str], typer.Argument(help=_KIND_HELP, metavar="RODZAJ")],
    client: ClientOption = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Utwórz także pliki PDF (LibreOffice).")] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Przygotuj aneksy, upoważnienia, umowy powierzenia, pisma i e-maile dla klientów z rejestru (do folderu klienci/<NIP>/dokumenty)."""
    folder = office_folder(directory)
    chosen = resolve_kinds(kinds)
    if show_progress() and not as_json:
        from rich.progress import Progress, SpinnerColumn, TextColumn

        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
        ) as bar:
            task = bar.add_task("Tworzenie dokumentów…")

            def tick(nip: str) -> None:
                bar.update(task, description=f"Tworzenie dokumentów… klient {nip}")

            report = generate_client_documents(folder, chosen, nips=client, pdf=pdf, progress=tick)
    else:
        report = generate_client_documents(folder, chosen, nips=client, pdf=pdf)
    if as_json:
        print_json(report.as_json())
    else:
        for warning in report.warnings:
            typer.echo(f"Uwaga: {warning}", err=True)
        for item in report.generated:
            typer.echo(f"{item.path}")
        for path in report.pdf:
            typer.echo(f"{path}")
        for skipped in report.skipped:
            typer.echo(f"Pominięto: {skipped.sentence()}")
        for problem in report.problems:
            typer.echo(f"Błąd: {problem.sentence()}", err=True)
        clients = len({g.nip for g in report.generated})
        made = count(len(report.generated), "plik", "pliki", "plików")
        typer.echo(
            f"Utworzono {made} dla {count(clients, 'klienta', 'klientów', 'klientów')}"
            + (f" i {count(len(report.pdf), 'plik PDF', 'pliki PDF', 'plików PDF')}" if report.pdf else "")
            + (
                f"; {count(len(report.problems), 'problem', 'problemy', 'problemów')}."
                if report.problems
                else "."
            )
        )
    if report.problems:
        raise typer.Exit(1)
