"""``ksef-sheets permissions``: who holds which KSeF permission in each client's context."""

from __future__ import annotations

import typer
from rich import box
from rich.table import Table

from ksef_sheets.cli import app
from ksef_sheets.cli._common import (
    ClientOption,
    DirOption,
    JsonOption,
    console,
    err_console,
    office_folder,
    open_vault,
    print_json,
)
from ksef_sheets.ksef import (
    ClientPermissions,
    permission_label,
)
from ksef_sheets.text import format_date


@app.command("permissions")
def permissions(
    client: ClientOption = None,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Pokaż, kto ma jakie uprawnienia KSeF w kontekście każdego klienta (logowanie poświadczeniem z sejfu).

    Uprawnienia biura z odpowiedzi KSeF trafiają też do kolumn uprawnień w rejestrze klientów.
    """
    from ksef_sheets.workflows import read_office_permissions, select_clients

    folder = office_folder(directory)
    config = folder.load_config()
    chosen = select_clients(folder, config, client)
    vault = open_vault(folder, create=False)
    report = read_office_permissions(folder, config, vault, chosen, whole_office=not client)
    _print(report.results, json_output, config.office_nip)
    for note in report.notes:
        err_console.print(f"Uwaga: {note}", markup=False, highlight=False)
    if report.failed:
        raise typer.Exit(1)


def _holder(kind: str, value: str, name: str, office_nip: str) -> str:
    if kind == "Nip" and value == office_nip:
        return "biuro"
    label = {"Nip": "NIP", "Pesel": "PESEL", "Fingerprint": "odcisk"}.get(kind, kind)
    shown = value if kind != "Fingerprint" else value[:16] + "…"
    return f"{label} {shown}" + (f" — {name}" if name else "")


def _print(results: list[ClientPermissions], json_output: bool, office_nip: str) -> None:
    if json_output:
        print_json([r.to_json() for r in results])
        return
    table = Table(
        title=f"Uprawnienia KSeF w kontekstach klientów (biuro: NIP {office_nip})",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    # Polish names for staff, the KSeF code beside them for whoever grants it in KSeF. The client's
    # name and the holder wrap; permission names, codes and dates never break mid-word.
    table.add_column("Klient", ratio=3, min_width=10)
    table.add_column("Kto", ratio=2, min_width=5)
    table.add_column("Uprawnienie", no_wrap=True)
    table.add_column("Kod KSeF", no_wrap=True, style="dim")
    table.add_column("Przekaże dalej", min_width=8)
    table.add_column("Od", no_wrap=True)
    for result in results:
        label = f"{result.nip} {result.name}".strip()
        if result.problem:
            table.add_row(label, "—", "błąd (poniżej)", "", "", "")
            continue
        if not result.rows:
            table.add_row(label, "—", "brak uprawnień", "", "", "")
        for index, row in enumerate(result.rows):
            if index:
                label = ""
            holder = _holder(row.holder_type, row.holder, row.holder_name, office_nip)
            if row.source == "kontekst" and row.holder == office_nip:
                holder += " (w kontekście)"
            table.add_row(
                label,
                holder,
                permission_label(row.permission),
                row.permission,
                {True: "tak", False: "nie", None: ""}[row.can_delegate],
                format_date(row.since) if row.since else "",
            )
    console.print(table)
    notes: dict[str, list[str]] = {}
    for result in results:
        if result.note:
            notes.setdefault(result.note, []).append(result.nip)
    for note, nips in notes.items():
        who = f"Klient {nips[0]}" if len(nips) == 1 else f"Klienci {', '.join(nips)}"
        console.print(f"{who}: {note}", markup=False, highlight=False)
    for result in results:
        if result.problem:
            err_console.print(f"Klient {result.nip}: {result.problem}", markup=False, highlight=False)
