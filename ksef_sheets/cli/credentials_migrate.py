"""``ksef-sheets credentials migrate``: which clients will still work when KSeF tokens end (31.12.2026).

Registered on the ``credentials`` group of ``cli/credentials.py``; the use case is
``ksef_sheets.workflows.migrate``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ksef_sheets.cli._common import DirOption, JsonOption, console, office_folder, print_json
from ksef_sheets.cli.credentials import credentials_app, open_vault
from ksef_sheets.text import count, warsaw_today


@credentials_app.command("migrate")
def migrate(
    remove_tokens: Annotated[
        bool,
        typer.Option(
            "--remove-tokens",
            help="Usuń z sejfu tokeny klientów, u których działa już certyfikat biura (wpis w dzienniku).",
        ),
    ] = False,
    letters: Annotated[
        bool,
        typer.Option(
            "--letters",
            help="Utwórz e-mail z prośbą o nadanie uprawnień (i upoważnienie) dla klientów, którzy muszą je nadać.",
        ),
    ] = False,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Sprawdź certyfikat biura w kontekście każdego klienta: kto zadziała po 31.12.2026, a kto musi nadać uprawnienia."""
    from ksef_sheets.workflows import GROUP_LABELS, MigrationClient, migrate_credentials, select_clients

    folder = office_folder(directory)
    config = folder.load_config()
    vault = open_vault(folder, create=False)
    clients = [MigrationClient(c.nip, c.name, c.scenario) for c in select_clients(folder, config, None)]
    results = migrate_credentials(
        folder, config, vault, clients, today=warsaw_today(), remove_tokens=remove_tokens
    )
    needing = [r.nip for r in results if r.group == "needs_permission"]
    written: list[str] = []
    if letters and needing:
        from ksef_sheets.documents import resolve_kinds
        from ksef_sheets.workflows import generate_client_documents

        report = generate_client_documents(
            folder, resolve_kinds(["upowaznienie", "email-uprawnienia"]), nips=needing
        )
        written = [str(g.path) for g in report.generated]
        for problem in report.problems:
            typer.echo(f"Błąd: {problem.sentence()}", err=True)
        for skipped in report.skipped:
            typer.echo(f"Pominięto: {skipped.sentence()}", err=True)
    if json_output:
        print_json([r.to_json() for r in results])
        return
    # One line per client (not a table): the next step stays whole in narrow terminals and logs.
    for result in results:
        name = f" {result.name}" if result.name else ""
        console.print(
            f"{result.nip}{name} — {GROUP_LABELS[result.group]} ({result.credential or 'brak poświadczenia'}): "
            f"{result.next_step}",
            markup=False,
            highlight=False,
        )
    by_group = {g: sum(1 for r in results if r.group == g) for g in GROUP_LABELS}
    days = results[0].days_left if results else 0
    console.print(
        f"Działa certyfikatem: {by_group['works']}; klient musi nadać uprawnienia: {by_group['needs_permission']}; "
        f"brak certyfikatu: {by_group['no_certificate']}"
        + (f"; nie sprawdzono: {by_group['check_failed']}" if by_group["check_failed"] else "")
        + f". Tokeny działają do 31.12.2026 — zostało {count(days, 'dzień', 'dni', 'dni')}.",
        markup=False,
        highlight=False,
    )
    removed = [r.nip for r in results if r.token_removed]
    if removed:
        console.print(
            f"Usunięto z sejfu tokeny klientów: {', '.join(removed)}.", markup=False, highlight=False
        )
    for path in written:
        console.print(path, markup=False, highlight=False)
    if letters and not needing:
        console.print("Żaden klient nie musi nadawać uprawnień — nie utworzono e-maili.")
