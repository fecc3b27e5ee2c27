"""Options and output helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from ksef_sheets.config import OfficeFolder

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
