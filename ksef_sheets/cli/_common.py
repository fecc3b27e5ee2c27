"""Options and output helpers shared by the command modules."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError

if TYPE_CHECKING:
    from ksef_sheets.vault import Vault

DirOption = Annotated[
    Path | None,
    typer.Option("--dir", help="Folder biura (domyślnie ./biuro albo KSEF_SHEETS_DIR).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Wynik w formacie JSON (dla skryptów).")]
ClientOption = Annotated[
    list[str] | None,
    typer.Option(
        "--client", help="NIP klienta (można podać wiele razy); domyślnie wszyscy.", show_default=False
    ),
]

# Soft wrap: a line longer than the terminal (or than 80 columns in a pipe or a log) is left whole,
# so file paths and summaries stay copyable and greppable; tables are still laid out to the width.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def office_folder(directory: Path | None) -> OfficeFolder:
    return OfficeFolder.resolve(directory)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def show_progress() -> bool:
    """Progress bars only for a person at a terminal."""
    return sys.stdout.isatty()


def vault_passphrase(folder: OfficeFolder, *, create: bool = False) -> str | None:
    """The vault's passphrase for a command: ``KSEF_SHEETS_PASSPHRASE``, else a hidden prompt.

    None when no passphrase is needed (the OS keyring holds the key) or when there is no vault to
    open (``Vault.open`` then says so). Without a terminal there is nobody to ask: one sentence
    naming the variable to set. The passphrase is never echoed, printed or logged.
    """
    from ksef_sheets.redaction import register_secret
    from ksef_sheets.vault import PASSPHRASE_ENV, Vault

    passphrase = os.environ.get(PASSPHRASE_ENV)
    if passphrase:
        register_secret(passphrase)
        return passphrase
    new = not folder.vault_file.exists()
    if (new and not create) or not Vault.needs_passphrase(folder):
        return None
    if not sys.stdin.isatty():
        what = f"założenia sejfu {folder.vault_file}" if new else f"otwarcia sejfu {folder.vault_file}"
        raise UserError(
            f"Do {what} potrzebne jest hasło, a polecenie działa bez terminala, więc nie może "
            f"o nie zapytać — ustaw zmienną środowiskową {PASSPHRASE_ENV} z hasłem do sejfu."
        )
    passphrase = typer.prompt(
        "Nowe hasło do sejfu" if new else f"Hasło do sejfu {folder.vault_file}",
        hide_input=True,
        confirmation_prompt=new,
    )
    register_secret(passphrase)
    return passphrase


def open_vault(folder: OfficeFolder, *, create: bool) -> Vault:
    """Open the office's vault, asking for the passphrase (``vault_passphrase``) when needed."""
    from ksef_sheets.vault import Vault

    return Vault.open(folder, vault_passphrase(folder, create=create), create=create)


def vault_credentials(folder: OfficeFolder) -> Callable[[str], Any] | None:
    """The vault's credentials for a run against KSeF (fetch, send), asked for before the run starts.

    None when the library can open the vault itself (the variable is set, the OS keyring holds the
    key, or there is no vault — its own message names the next step); otherwise the passphrase is
    asked for here, once, before any progress display, and the opened vault's lookup is returned.
    """
    from ksef_sheets.vault import PASSPHRASE_ENV, Vault

    if os.environ.get(PASSPHRASE_ENV) or not folder.vault_file.exists():
        return None
    if not Vault.needs_passphrase(folder):
        return None
    return open_vault(folder, create=False).credential_for_client
