"""``ksef-sheets invoice pdf``: A4 Polish visualisations of FA(3) files, with the KSeF QR code.

The QR base is that of ``--environment``, else of the office's configured environment, else
production's (the same rule as the ``kod_i`` key of ``invoice show --json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ksef_sheets.cli._common import DirOption, JsonOption, console, print_json
from ksef_sheets.cli.invoice import (
    EnvironmentOption,
    FilesArgument,
    invoice_app,
    qr_environment,
    read_invoice_file,
)
from ksef_sheets.errors import UserError
from ksef_sheets.workflows import render_invoice_pdfs


@invoice_app.command("pdf")
def pdf(
    files: FilesArgument,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder na pliki PDF (domyślnie obok plików XML).", show_default=False),
    ] = None,
    ksef_number: Annotated[
        str | None,
        typer.Option(
            "--ksef-number",
            help="Numer KSeF faktury (dla jednego pliku; domyślnie z nazwy pliku, a bez niego: OFFLINE).",
            show_default=False,
        ),
    ] = None,
    environment: EnvironmentOption = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Utwórz wizualizację faktury w PDF (A4, po polsku) z kodem QR KSeF."""
    loaded = [(path, read_invoice_file(path)) for path in files]
    if out is not None:
        if out.exists() and not out.is_dir():
            raise UserError(f"{out} jest plikiem, a nie folderem na pliki PDF.")
        out.mkdir(parents=True, exist_ok=True)
    rendered = render_invoice_pdfs(
        loaded, out_dir=out, environment=qr_environment(environment, directory), ksef_number=ksef_number
    )
    if as_json:
        print_json(
            [
                {"file": str(r.source), "pdf": str(r.pdf), "ksef_number": r.ksef_number, "kod_i": r.kod_i}
                for r in rendered
            ]
        )
        return
    for r in rendered:
        console.print(f"{r.source} → {r.pdf}", markup=False, highlight=False)
