"""``ksef-sheets send``: pending sales invoices of scenario-3 clients into KSeF (numbers and UPOs stored)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import (
    ClientOption,
    DirOption,
    JsonOption,
    console,
    err_console,
    office_folder,
    print_json,
    vault_credentials,
)
from ksef_sheets.workflows import prepare_entry_workbooks, send_office

DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Tylko sprawdź faktury i pokaż, co zostałoby wysłane (nic nie jest wysyłane)."
    ),
]
PrepareOption = Annotated[
    bool,
    typer.Option(
        "--prepare",
        help="Utwórz skoroszyt klienci/<NIP>/sprzedaz-do-wyslania.xlsx do wpisywania faktur (nic nie jest wysyłane).",
    ),
]
OfflineOption = Annotated[
    bool,
    typer.Option(
        "--offline",
        help="Wystaw oczekujące faktury poza KSeF (tryb offline24): kody QR, PDF dla nabywcy i lista "
        "„Do wysłania offline”; nic nie jest wysyłane.",
    ),
]
CorrectOption = Annotated[
    tuple[Path, Path] | None,
    typer.Option(
        "--correct",
        help="Wyślij korektę techniczną odrzuconej faktury offline: ORYGINAŁ.xml POPRAWIONA.xml (z --client).",
        metavar="ORYGINAŁ POPRAWIONA",
    ),
]
PdfOption = Annotated[
    bool,
    typer.Option("--pdf", help="Zapisz PDF każdej przyjętej faktury w klienci/<NIP>/pdf/."),
]


@app.command("send")
def send(
    client: ClientOption = None,
    dry_run: DryRunOption = False,
    prepare: PrepareOption = False,
    offline: OfflineOption = False,
    correct: CorrectOption = None,
    pdf: PdfOption = False,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Wyślij do KSeF oczekujące faktury sprzedaży klientów (scenariusz 3) i zapisz numery KSeF oraz UPO."""
    folder = office_folder(directory)
    if prepare:
        created = prepare_entry_workbooks(folder, client)
        if json_output:
            print_json({"created": [str(p) for p in created]})
        elif created:
            for path in created:
                console.print(f"Utworzono {path}", markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(
                "Skoroszyty do wpisywania faktur już istnieją; nic nie zmieniono.",
                markup=False,
                soft_wrap=True,
            )
        return
    try:
        credentials = None if dry_run else vault_credentials(folder)
        report = asyncio.run(
            send_office(
                folder,
                clients=client,
                dry_run=dry_run,
                credentials=credentials,
                offline=offline,
                correction=correct,
                pdf=pdf,
            )
        )
    except KeyboardInterrupt:
        err_console.print(
            "Przerwano wysyłkę. Wysłane faktury są zapisane w dzienniku wysyłki; następne uruchomienie "
            "ksef-sheets send sprawdzi ich wynik w KSeF i niczego nie wyśle drugi raz.",
            markup=False,
        )
        raise typer.Exit(130) from None
    if json_output:
        print_json(report.to_json())
    else:
        for line in report.summary_lines():
            problem = line.lstrip().startswith(("!", "Błąd", "Uwaga")) or ": pominięto — " in line
            target = err_console if problem else console
            target.print(line, markup=False, highlight=False, soft_wrap=True)
    if report.problems:
        raise typer.Exit(1)
