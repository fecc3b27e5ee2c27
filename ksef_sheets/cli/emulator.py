"""``ksef-sheets emulator``: serve the local KSeF 2.0 emulator until Ctrl-C."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from ksef_sheets.cli import app
from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.errors import UserError, os_reason


@app.command("emulator")
def emulator(
    host: Annotated[str, typer.Option("--host", help="Adres, na którym nasłuchuje emulator.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port (0 = wolny port wybrany automatycznie).", min=0, max=65535)
    ] = 8080,
    state: Annotated[
        Path, typer.Option("--state", help="Folder stanu emulatora (dane zostają między uruchomieniami).")
    ] = Path("ksef-emulator"),
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Ziarno danych demonstracyjnych (biuro, klienci, faktury); tylko przy pierwszym uruchomieniu.",
        ),
    ] = None,
    clients: Annotated[
        int, typer.Option("--clients", help="Liczba klientów w danych demonstracyjnych.", min=1, max=10000)
    ] = 10,
    limits: Annotated[
        str,
        typer.Option("--limits", help="Limity liczby żądań: prod (jak w produkcji) albo off (bez limitów)."),
    ] = "off",
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url", help="Publiczny adres bazowy (np. za proxy), używany w linkach do pobrania."
        ),
    ] = None,
) -> None:
    """Uruchom lokalny emulator KSeF 2.0 (jak środowisko TEST Ministerstwa Finansów)."""
    from ksef_sheets.emulator import run_emulator

    if limits not in ("prod", "off"):
        raise UserError(f"Opcja --limits przyjmuje wartość „prod” albo „off”, a podano „{limits}”.")
    if state.exists() and not state.is_dir():
        raise UserError(f"{state} jest plikiem, a opcja --state wskazuje folder stanu emulatora.")
    try:
        with run_emulator(
            state,
            office=demo_seed_office(),
            seed=seed,
            clients=clients,
            limits=limits,
            host=host,
            port=port,
            public_url=public_url,
        ) as running:
            typer.echo(f"Emulator KSeF działa: {running.base_url}")
            typer.echo(f"Folder stanu: {state.resolve()}")
            if running.seed_info is not None:
                typer.echo(f"Dane demonstracyjne (tokeny KSeF klientów): {running.seed_info.path.resolve()}")
            typer.echo("Zatrzymanie: Ctrl+C.")
            threading.Event().wait()
    except OSError as exc:
        if exc.filename is not None:  # the state folder, not the network
            raise UserError(
                f"Nie można użyć folderu stanu emulatora {state}: {os_reason(exc)} ({exc.filename})."
            ) from None
        raise UserError(f"Nie można uruchomić emulatora na {host}:{port}: {os_reason(exc)}.") from None
