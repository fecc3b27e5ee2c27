"""``ksef-sheets init`` and ``ksef-sheets clients import|check|readiness|questionnaire|list``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import ClientOption, DirOption, JsonOption, office_folder, print_json
from ksef_sheets.demo_data import demo_office_data
from ksef_sheets.office import ImportReport
from ksef_sheets.sheets import load_clients
from ksef_sheets.workflows import (
    check_clients,
    import_clients,
    import_readiness,
    init_office,
    write_questionnaires,
)

clients_app = typer.Typer(
    help="Rejestr klientów w biuro.xlsx: import listy, sprawdzenie, ankiety gotowości.", no_args_is_help=True
)
app.add_typer(clients_app, name="clients")

FileArgument = Annotated[
    Path, typer.Argument(help="Plik CSV (UTF-8 lub Windows-1250, ; lub ,) albo XLSX.", metavar="PLIK")
]


@app.command("init")
def init(
    directory: DirOption = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Biuro szkoleniowe z dziesięcioma klientami demo.")
    ] = False,
    office_nip: Annotated[str | None, typer.Option("--office-nip", help="NIP biura rachunkowego.")] = None,
    office_name: Annotated[str | None, typer.Option("--office-name", help="Nazwa biura.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Utwórz folder biura (ksef-sheets.toml, biuro.xlsx) albo odśwież istniejący bez utraty danych."""
    folder = office_folder(directory)
    report = init_office(
        folder, office_nip=office_nip, office_name=office_name, demo=demo_office_data() if demo else None
    )
    if as_json:
        print_json(
            {
                "folder": str(report.folder),
                "created": report.created,
                "clients": report.clients,
                "workbook": str(folder.office_workbook),
            }
        )
        return
    verb = "Utworzono" if report.created else "Odświeżono"
    typer.echo(
        f"{verb} biuro w {report.folder}: {folder.office_workbook.name}, klientów w rejestrze: {report.clients}."
    )
    if report.problems:
        typer.echo(f"Wiersze z uwagami w rejestrze: {len(report.problems)} (kolumna „Problemy”).")


def _print_import(report: ImportReport, as_json: bool, what: str) -> None:
    if as_json:
        print_json(report.as_dict())
    else:
        typer.echo(
            f"{what}: dodano {len(report.added)}, zaktualizowano {len(report.updated)}, "
            f"bez zmian {len(report.unchanged)}, błędnych wierszy {len(report.errors)}."
        )
        if report.ignored_headers:
            typer.echo("Pominięte kolumny pliku: " + ", ".join(report.ignored_headers) + ".")
        for error in report.errors:
            typer.echo(f"Wiersz {error.row}: {error.message}.", err=True)
    if report.errors:
        raise typer.Exit(1)


@clients_app.command("import")
def clients_import(file: FileArgument, directory: DirOption = None, as_json: JsonOption = False) -> None:
    """Wczytaj listę klientów do rejestru; błędne wiersze są wypisane i pominięte (kod wyjścia 1)."""
    folder = office_folder(directory)
    folder.load_config()
    report = import_clients(folder, file)
    _print_import(report, as_json, f"Import {file.name}")


@clients_app.command("readiness")
def clients_readiness(file: FileArgument, directory: DirOption = None, as_json: JsonOption = False) -> None:
    """Wczytaj odpowiedzi z ankiety gotowości (wypełniony ankieta-ksef.xlsx albo tabela z NIP i odpowiedziami)."""
    folder = office_folder(directory)
    folder.load_config()
    report = import_readiness(folder, file)
    _print_import(report, as_json, f"Ankiety z {file.name}")


@clients_app.command("check")
def clients_check(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """Sprawdź rejestr po zmianach; problemy i następne kroki trafiają do biuro.xlsx."""
    folder = office_folder(directory)
    report = check_clients(folder)
    if as_json:
        print_json(
            {
                "clients": report.clients,
                "secrets_removed": report.secrets_removed,
                "problems": [{"row": r, "nip": n, "problems": p} for r, n, p in report.problems],
            }
        )
        return
    typer.echo(f"Sprawdzono klientów: {report.clients}; z problemami: {len(report.problems)}.")
    for row, nip, problems in report.problems:
        typer.echo(f"Wiersz {row} ({nip or 'bez NIP'}): {'; '.join(problems)}.")
    if report.secrets_removed:
        typer.echo(
            f"Usunięto z rejestru sekrety (tokeny, klucze) wklejone do {report.secrets_removed} komórek — "
            "zapisz je w sejfie: ksef-sheets credentials add.",
            err=True,
        )


@clients_app.command("questionnaire")
def clients_questionnaire(clients: ClientOption = None, directory: DirOption = None) -> None:
    """Przygotuj ankietę gotowości (ankieta-ksef.xlsx) w folderze dokumentów klienta."""
    folder = office_folder(directory)
    written = write_questionnaires(folder, clients or None)
    for path in written:
        typer.echo(str(path))
    typer.echo(f"Ankiet: {len(written)}.")


@clients_app.command("list")
def clients_list(directory: DirOption = None, as_json: JsonOption = False) -> None:
    """Pokaż klientów z rejestru: NIP, nazwę, scenariusz, następny krok."""
    folder = office_folder(directory)
    clients = load_clients(folder)
    if as_json:
        print_json(
            [
                {
                    "nip": c.nip,
                    "name": c.name,
                    "scenario": c.scenario,
                    "staff_member": c.staff_member,
                    "next_step": c.next_step,
                    "problems": c.problems,
                }
                for c in clients
            ]
        )
        return
    for c in clients:
        typer.echo(f"{c.nip}  {c.name}  [scenariusz {c.scenario or '—'}]  {c.next_step}")
