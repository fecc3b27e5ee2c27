"""``ksef-sheets export`` and ``ksef-sheets import-decisions``: invoice lists for clients and their answers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from ksef_sheets.cli import app
from ksef_sheets.cli._common import DirOption, JsonOption, office_folder, print_json
from ksef_sheets.errors import UserError
from ksef_sheets.sheets import EXPORT_KINDS, ExportKind
from ksef_sheets.workflows import export_client_list, import_decisions


@app.command("export")
def export(
    client: Annotated[str, typer.Option("--client", help="NIP klienta.", show_default=False)],
    month: Annotated[str, typer.Option("--month", help="Miesiąc RRRR-MM, np. 2026-03.", show_default=False)],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="zakupy, sprzedaz albo wszystkie (domyślnie: wszystkie w scenariuszu 3, zakupy w pozostałych).",
            show_default=False,
        ),
    ] = None,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf", help="PDF zestawienia (domyślnie, gdy jest LibreOffice).", show_default=False
        ),
    ] = None,
    invoice_pdfs: Annotated[
        bool,
        typer.Option(
            "--invoice-pdfs",
            help="Dołącz PDF każdej faktury z zestawienia (z kodem QR i numerem KSeF) w folderze obok.",
        ),
    ] = False,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Przygotuj zestawienie faktur do weryfikacji przez klienta: .xlsx, CSV, PDF i gotowy e-mail."""
    if kind is not None and kind not in EXPORT_KINDS:
        raise UserError(f"Opcja --kind: „{kind}” — dostępne: {', '.join(EXPORT_KINDS)}.")
    chosen = cast(ExportKind | None, kind)  # checked above
    folder = office_folder(directory)
    result = export_client_list(folder, client, month, chosen, pdf=pdf)
    invoices: list[Path] = []
    if invoice_pdfs:
        from ksef_sheets.workflows import month_invoice_pdfs

        target = result.xlsx.with_name(f"{result.xlsx.stem}-faktury")
        invoices = month_invoice_pdfs(folder, result.client_nip, month, result.kind, target)
    if as_json:
        print_json({**result.as_json(), "invoice_pdfs": [str(p) for p in invoices]})
        return
    for warning in result.warnings:
        typer.echo(f"Uwaga: {warning}", err=True)
    for path in (result.xlsx, result.csv, result.pdf, result.eml):
        if path is not None:
            typer.echo(str(path))
    if invoice_pdfs:
        typer.echo(f"PDF faktur: {len(invoices)} w {result.xlsx.with_name(f'{result.xlsx.stem}-faktury')}")
    typer.echo(f"Zestawienie {result.period} dla klienta {result.client_nip}: {result.rows} faktur.")


@app.command("import-decisions")
def import_decisions_command(
    file: Annotated[
        Path, typer.Argument(help="Plik .xlsx odesłany przez klienta.", show_default=False, metavar="PLIK")
    ],
    client: Annotated[
        str | None, typer.Option("--client", help="Oczekiwany NIP klienta (sprawdzany).", show_default=False)
    ] = None,
    month: Annotated[
        str | None,
        typer.Option("--month", help="Oczekiwany miesiąc RRRR-MM (sprawdzany).", show_default=False),
    ] = None,
    directory: DirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Wczytaj decyzje klienta (Akceptuję / Odrzucam) z odesłanego zestawienia do archiwum biura."""
    report = import_decisions(office_folder(directory), file, expect_nip=client, expect_month=month)
    if as_json:
        print_json(report.as_json())
    else:
        for item in report.applied:
            typer.echo(item.message)
        for item in report.undecided:
            typer.echo(item.message)
        for warning in [*report.warnings, *report.workbook_messages]:
            typer.echo(f"Uwaga: {warning}", err=True)
        for item in report.conflicts:
            typer.echo(f"Konflikt: {item.message}", err=True)
        typer.echo(f"Gotowe do księgowania (zaakceptowane zakupy klienta): {report.ready_to_book}.")
        if report.follow_up is not None:
            typer.echo(
                f"Do wyjaśnienia (odrzucone przez klientów): {report.follow_up_count} — {report.follow_up}"
            )
        typer.echo(
            f"Klient {report.client_nip}, okres {report.period}: zastosowano {len(report.applied)}, "
            f"bez zmian {len(report.unchanged)}, bez decyzji {len(report.undecided)}, "
            f"konflikty {len(report.conflicts)}."
        )
    if report.conflicts:
        raise typer.Exit(1)
