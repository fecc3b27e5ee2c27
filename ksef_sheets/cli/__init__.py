"""The ``ksef-sheets`` command line: thin, one function per command, no logic of its own.

Each command group lives in its own module (``cli/invoice.py``, ``cli/office.py`` …) and calls the
library. This module only assembles them and turns a ``UserError`` into one Polish sentence on
stderr with exit code 1 (exit 2 for wrong usage), never a traceback.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys

import typer

from ksef_sheets import __version__
from ksef_sheets.cli._polish import polish_command_tree, show_usage_error
from ksef_sheets.errors import UserError, file_system_error
from ksef_sheets.redaction import install_log_redaction, redact

__all__ = ["app", "main", "run"]  # the console script calls run; tests call main(argv)

app = typer.Typer(
    name="ksef-sheets",
    help="KSeF dla biur rachunkowych: rejestr klientów, pobieranie faktur, dokumenty, zestawienia w Excelu.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """KSeF dla biur rachunkowych: rejestr klientów, pobieranie faktur, dokumenty, zestawienia w Excelu."""


@app.command("version")
def version() -> None:
    """Pokaż wersję programu."""
    typer.echo(f"ksef-sheets {__version__}")


# Modules that register their commands on ``app`` when imported. A module that is missing (a part
# not built yet) is skipped so the rest of the command line keeps working.
_COMMAND_MODULES = (
    "office",
    "invoice",
    "invoice_pdf",
    "jpk",
    "emulator",
    "credentials",
    "credentials_migrate",
    "staff",
    "audit",
    "fetch",
    "documents",
    "exports",
    "permissions",
    "send",
    "demo",
    "excel",
    "archive",
)


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"ksef_sheets.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ksef_sheets.cli.{name}":
                raise


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code.

    Typer runs in non-standalone mode so that its usage errors reach us and are printed in Polish
    (exit 2), as are our own ``UserError`` (exit 1) and Ctrl-C.
    """
    install_log_redaction()
    command = polish_command_tree(typer.main.get_command(app))
    try:
        result = command.main(args=argv, prog_name="ksef-sheets", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except UserError as exc:
        typer.echo(f"Błąd: {redact(str(exc))}", err=True)
        return exc.exit_code
    except OSError as exc:
        problem = file_system_error(exc)
        if problem is None:
            raise
        typer.echo(f"Błąd: {redact(str(problem))}", err=True)
        return problem.exit_code
    except sqlite3.DatabaseError as exc:
        # The net under the archive's own checks: the office database (ksef.sqlite) SQLite cannot
        # read, from any part that opens it, is one sentence pointing to the rebuild.
        from ksef_sheets.config import OfficeFolder
        from ksef_sheets.sync import damaged_index_error

        problem = damaged_index_error(OfficeFolder.resolve(_dir_argument(argv)), exc)
        typer.echo(f"Błąd: {redact(str(problem))}", err=True)
        return problem.exit_code
    except typer.Abort:
        typer.echo("Przerwano.", err=True)
        return 1
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            # ``ksef-sheets`` alone: the help screen, as Click shows it, but not as an error.
            typer.echo(exc.format_message())
            return 0
        show_usage_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("Przerwano.", err=True)
        return 130
    # Commands return None; an int here is a ``typer.Exit`` code handed back by non-standalone mode.
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def _dir_argument(argv: list[str] | None) -> str | None:
    args = list(sys.argv[1:] if argv is None else argv)
    for index, arg in enumerate(args):
        if arg == "--dir" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--dir="):
            return arg.removeprefix("--dir=")
    return None


def run() -> None:
    sys.exit(main())
