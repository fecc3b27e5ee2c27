"""``ksef-sheets fetch``: new invoices of every client into the archive (and then the workbooks)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from ksef_sheets.cli import app
from ksef_sheets.cli._common import (
    ClientOption,
    DirOption,
    JsonOption,
    console,
    err_console,
    office_folder,
    print_json,
    show_progress,
    vault_credentials,
)
from ksef_sheets.errors import UserError
from ksef_sheets.sync import ClientFetchResult, FetchReport, parse_ksef_datetime
from ksef_sheets.workflows import office_fetch

FromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="Od kiedy pobierać przy pierwszym pobraniu klienta (RRRR-MM-DD); domyślnie „fetch_from” z ksef-sheets.toml.",
        show_default=False,
    ),
]
PdfOption = Annotated[
    bool,
    typer.Option("--pdf", help="Zapisz PDF każdej nowej faktury (z kodem QR) w klienci/<NIP>/pdf/."),
]


@app.command("fetch")
def fetch(
    client: ClientOption = None,
    since: FromOption = None,
    pdf: PdfOption = False,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Pobierz z KSeF nowe faktury klientów biura do archiwum (przyrostowo, ze wznowieniem po przerwie)."""
    folder = office_folder(directory)
    start = _parse_from(since)
    folder.load_config()  # a missing office is said before the passphrase is asked for
    credentials = vault_credentials(folder)  # asked for before the progress display starts
    progress = _RichProgress() if show_progress() and not json_output else None
    try:
        with progress or contextlib.nullcontext():
            # The use case: fetch, the register's columns, the PDFs asked for, the invoice workbooks.
            fetched = office_fetch(
                folder, clients=client, since=start, progress=progress, credentials=credentials, pdf=pdf
            )
    except KeyboardInterrupt:
        err_console.print(
            "Przerwano pobieranie. Pobrane dotąd faktury są w archiwum; "
            "następne uruchomienie ksef-sheets fetch dokończy pobieranie od miejsca przerwania.",
            markup=False,
        )
        raise typer.Exit(130) from None
    report = fetched.report
    _print(report, json_output)
    if fetched.pdfs is not None:
        (err_console if json_output else console).print(
            f"Zapisano PDF nowych faktur: {len(fetched.pdfs)} (klienci/<NIP>/pdf/).",
            markup=False,
            highlight=False,
        )
    for line in fetched.refresh_lines():  # per-client invoice workbooks
        (err_console if json_output else console).print(line, markup=False, highlight=False)
    if report.problems:
        raise typer.Exit(1)


def _parse_from(text: str | None) -> date | datetime | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        moment = parse_ksef_datetime(text)
        if moment is None:
            raise UserError(f"Opcja --from: „{text}” nie jest datą w formacie RRRR-MM-DD.") from None
        return moment


def _print(report: FetchReport, json_output: bool) -> None:
    if json_output:
        print_json(report.to_json())
        return
    for line in report.summary_lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    if report.problems:
        err_console.print("Problemy:", markup=False)
        for problem in report.problems:
            err_console.print(f"- {problem}", markup=False, highlight=False, soft_wrap=True)
    for warning in report.warnings:
        err_console.print(f"Uwaga: {warning}", markup=False, highlight=False, soft_wrap=True)


class _RichProgress:
    """One line per client: a spinner while it runs, the count of new invoices, the outcome."""

    def __init__(self) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("nowe: {task.completed:.0f}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _RichProgress:
        self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.__exit__(None, None, None)

    def client_started(self, nip: str, name: str, subject_types: tuple[str, ...]) -> None:
        label = f"{nip} {name}"[:50]
        self._tasks[nip] = self._progress.add_task(label, total=None)

    def client_advanced(self, nip: str, new: int, message: str) -> None:
        task = self._tasks.get(nip)
        if task is not None:
            self._progress.advance(task, new)

    def client_finished(self, result: ClientFetchResult) -> None:
        task = self._tasks.get(result.nip)
        if task is None:
            return
        state = "błąd" if result.errors else "gotowe"
        self._progress.update(
            task, total=max(1, result.new), completed=result.new, description=f"{result.label[:40]} — {state}"
        )
