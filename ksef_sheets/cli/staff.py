"""``ksef-sheets staff grant|revoke``: the office's staff and their access to clients in KSeF.

The use cases are in ``ksef_sheets.workflows.staff``; staff come from the Pracownicy sheet of biuro.xlsx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

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
)
from ksef_sheets.cli.credentials import open_vault
from ksef_sheets.errors import UserError

if TYPE_CHECKING:
    from ksef_sheets.workflows import StaffOperation

staff_app = typer.Typer(
    help="Pracownicy biura: nadawanie i odbieranie uprawnień KSeF w kontekstach klientów.",
    no_args_is_help=True,
)
app.add_typer(staff_app, name="staff")

PersonOption = Annotated[
    str, typer.Option("--person", help="PESEL albo NIP pracownika z arkusza Pracownicy.", show_default=False)
]


def _print(operations: list[StaffOperation], json_output: bool, person: str) -> None:
    if json_output:
        print_json({"person": person, "operations": [o.to_json() for o in operations]})
        return
    for operation in operations:
        (console if operation.ok else err_console).print(operation.message, markup=False, highlight=False)


@staff_app.command("grant")
def grant(
    person: PersonOption,
    client: ClientOption = None,
    all_clients: Annotated[bool, typer.Option("--all", help="Wszyscy klienci z rejestru.")] = False,
    permission: Annotated[
        str, typer.Option("--permission", help="read (InvoiceRead) albo write (InvoiceRead i InvoiceWrite).")
    ] = "read",
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Nadaj pracownikowi uprawnienia pośrednie w kontekstach klientów (biuro musi je mieć z prawem przekazywania)."""

    from ksef_sheets.workflows import grant_staff, select_clients

    if bool(client) == all_clients:
        raise UserError("Podaj klientów: --client NIP (można wiele razy) albo --all.")
    folder = office_folder(directory)
    config = folder.load_config()
    nips = [c.nip for c in select_clients(folder, config, client)]
    vault = open_vault(folder, create=False)
    member, operations = grant_staff(folder, config, vault, person, nips, permission=permission)
    _print(operations, json_output, member.name)
    if not json_output:
        done = sum(1 for o in operations if o.ok)
        console.print(
            f"{member.name}: nadano w {done} z {len(operations)} kontekstów klientów.", markup=False
        )
    if any(not o.ok for o in operations):
        raise typer.Exit(1)


@staff_app.command("revoke")
def revoke(person: PersonOption, json_output: JsonOption = False, directory: DirOption = None) -> None:
    """Odbierz pracownikowi wszystkie uprawnienia we wszystkich kontekstach klientów (np. gdy odchodzi)."""

    from ksef_sheets.workflows import revoke_staff, select_clients

    folder = office_folder(directory)
    config = folder.load_config()
    try:
        nips = [c.nip for c in select_clients(folder, config, None)]
    except UserError:
        nips = []  # no clients yet: the grants in the office's own context are still revoked
    vault = open_vault(folder, create=False)
    member, operations, unseen = revoke_staff(folder, config, vault, person, nips)
    if json_output:
        print_json(
            {
                "person": member.name,
                "operations": [o.to_json() for o in operations],
                "not_inspected": unseen,
            }
        )
    else:
        _print(operations, json_output, member.name)
        if unseen:
            console.print(
                f"Uwaga: w kontekstach klientów {', '.join(unseen)} biuro nie widzi uprawnień nadanych "
                "bezpośrednio przez klienta (brak uprawnienia „przeglądanie uprawnień”) — jeśli klient sam "
                f"nadał je osobie {member.name}, musi je też sam odebrać.",
                markup=False,
                highlight=False,
            )
    if not json_output:
        if not operations:
            console.print(f"{member.name} nie ma uprawnień w kontekstach klientów biura.", markup=False)
        else:
            done = sum(1 for o in operations if o.ok)
            console.print(f"{member.name}: odebrano {done} z {len(operations)} uprawnień.", markup=False)
    if any(not o.ok for o in operations):
        raise typer.Exit(1)
