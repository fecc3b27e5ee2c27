"""``ksef-sheets audit``: the office's audit log (who, when, which client, result); also the Audyt sheet."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import DirOption, JsonOption, console, office_folder, print_json
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.text import format_datetime


def _date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise UserError(f"Opcja --from: „{text}” to nie data (wpisz np. 2026-12-01 albo 01.12.2026).")


@app.command("audit")
def audit(
    client: Annotated[str | None, typer.Option("--client", help="Tylko ten klient (NIP).")] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Od dnia (RRRR-MM-DD albo DD.MM.RRRR, czas polski).")
    ] = None,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Pokaż dziennik działań: pobrania, wysyłki, uprawnienia, certyfikaty, zmiany w sejfie (i odśwież arkusz Audyt)."""
    from ksef_sheets.workflows import audit_lines, write_audit_sheet

    if client and nip_problem(client):
        raise UserError(f"Opcja --client: {nip_problem(client)}")
    folder = office_folder(directory)
    lines = audit_lines(
        folder, client_nip=normalize_nip(client) if client else None, since=_date(since) if since else None
    )
    if json_output:
        print_json([line.to_json() for line in lines])
        return
    if folder.office_workbook.exists() and not client and not since:
        write_audit_sheet(folder, folder.load_config(), lines)
    if not lines:
        console.print("Dziennik jest pusty (dla wybranych warunków).")
        return
    # One line per entry (not a table): long details stay whole and greppable in logs and pipes.
    for line in lines:
        parts = [format_datetime(line.at), line.who, line.action]
        if line.client_nip:
            parts.append(f"klient {line.client_nip}")
        parts.append(line.result)
        text = " · ".join(parts) + (f" — {line.details}" if line.details else "")
        console.print(text, markup=False, highlight=False)
    if folder.office_workbook.exists() and not client and not since:
        console.print(f"Arkusz Audyt w {folder.office_workbook} odświeżony.", markup=False, highlight=False)
