"""``ksef-sheets jpk check|numbers``: the accounting program's JPK_V7 files against KSeF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ksef_sheets.cli import app
from ksef_sheets.cli._common import DirOption, JsonOption, console, err_console, office_folder, print_json
from ksef_sheets.errors import UserError
from ksef_sheets.jpk import KIND_LABELS, SIDE_LABELS
from ksef_sheets.text import count
from ksef_sheets.workflows import check_jpk, ksef_numbers_csv, record_jpk_results

jpk_app = typer.Typer(
    help="JPK_V7M(3) i JPK_V7K(3): uzgodnienie ewidencji VAT z fakturami w KSeF, numery KSeF dla programu księgowego.",
    no_args_is_help=True,
)
app.add_typer(jpk_app, name="jpk")


@jpk_app.command("check")
def check(
    files: Annotated[
        list[Path],
        typer.Argument(help="Pliki JPK_V7 (XML) albo foldery z nimi (po jednym na klienta).", metavar="PLIK"),
    ],
    client: Annotated[
        str | None, typer.Option("--client", help="Oczekiwany NIP klienta (sprawdzany).", show_default=False)
    ] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Uzgodnij plik JPK_V7 klienta z jego fakturami w KSeF: brakujące, nieznane, różne kwoty, oznaczenia."""
    folder = office_folder(directory)
    results = check_jpk(folder, files, client=client)
    for warning in record_jpk_results(folder, results):
        err_console.print(f"Uwaga: {warning}", markup=False, highlight=False)
    if as_json:
        print_json([r.result.as_dict() | {"file": str(r.path), "name": r.client_name} for r in results])
        return
    for check_result in results:
        result = check_result.result
        console.print(check_result.summary(), markup=False, highlight=False)
        if not result.findings:
            continue
        table = Table(show_lines=False)
        for header in ("Ewidencja", "Lp.", "Ustalenie", "Numer KSeF", "Kontrahent", "Opis"):
            table.add_column(header, overflow="fold")
        for finding in result.findings:
            table.add_row(
                SIDE_LABELS[finding.side],
                str(finding.row or "—"),
                KIND_LABELS[finding.kind],
                finding.ksef_number or "—",
                finding.counterparty_nip or "—",
                finding.message,
            )
        console.print(table)


@jpk_app.command("numbers")
def numbers(
    client: Annotated[str, typer.Option("--client", help="NIP klienta.", show_default=False)],
    month: Annotated[str, typer.Option("--month", help="Miesiąc RRRR-MM, np. 2026-03.", show_default=False)],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Plik CSV (domyślnie klienci/<NIP>/eksport/numery-ksef-RRRR-MM.csv).",
            show_default=False,
        ),
    ] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Zapisz numery KSeF faktur z miesiąca do CSV dla programu księgowego (UTF-8 z BOM, średnik)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise UserError(f"Opcja --month: „{month}” — podaj miesiąc jako RRRR-MM, np. 2026-03.")
    path, rows = ksef_numbers_csv(
        office_folder(directory), client, int(match.group(1)), int(match.group(2)), out
    )
    if as_json:
        print_json({"file": str(path), "invoices": rows})
        return
    console.print(
        f"{path}: {count(rows, 'faktura', 'faktury', 'faktur')} z numerem KSeF.",
        markup=False,
        highlight=False,
    )
