"""Running the emulator: a uvicorn server on a background thread, for tests and the CLI.

    with run_emulator(tmp_path, seed=42, office=demo_seed_office(), clients=3) as running:
        running.base_url      # "http://127.0.0.1:<port>/v2"
        running.emulator      # the Emulator (clock, faults, limits, permissions, tokens…)
        running.seed_info     # SeedInfo read from state_dir/seed.json (None without a seed)

The socket is bound before anything else so ``emu.public_url`` is right while seeding; seeding
(``ksef_sheets.emulator.seed.seed``) runs once per state folder, before the server starts serving,
with the office and named clients the caller passes (``office``; the demo's come from
``ksef_sheets.demo_data.demo_seed_office()``).
"""

from __future__ import annotations

import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.exceptions import UnsupportedAlgorithm
from starlette.requests import ClientDisconnect

from ksef_sheets.emulator import seed as seeding
from ksef_sheets.emulator.app import create_app
from ksef_sheets.emulator.core import Emulator
from ksef_sheets.emulator.faults import DroppedOnPurpose
from ksef_sheets.errors import UserError, database_reason, os_reason

SEED_FILE = "seed.json"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeedInfo:
    """What seeding created (``state_dir/seed.json``): office and clients with their KSeF tokens."""

    seed: int
    office: dict[str, Any]
    clients: list[dict[str, Any]]
    path: Path
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path) -> SeedInfo:
        data = json.loads(path.read_text("utf-8"))
        return cls(int(data["seed"]), dict(data["office"]), list(data["clients"]), path, data)

    def client(self, nip: str) -> dict[str, Any]:
        for item in self.clients:
            if item["nip"] == nip:
                return item
        raise KeyError(nip)

    def __repr__(self) -> str:  # tokens are secrets: never in a repr that may reach a log
        return f"SeedInfo(seed={self.seed}, office={self.office.get('nip')}, clients={len(self.clients)}, path={self.path})"


@dataclass
class RunningEmulator:
    base_url: str
    emulator: Emulator
    seed_info: SeedInfo | None
    host: str = "127.0.0.1"
    port: int = 0

    def __repr__(self) -> str:
        return f"RunningEmulator(base_url={self.base_url!r})"


def seed_file(state_dir: Path) -> Path:
    return Path(state_dir) / SEED_FILE


def _ensure_seed(emu: Emulator, seed: int, clients: int, office: seeding.SeedOffice | None) -> SeedInfo:
    path = seed_file(emu.state_dir)
    if not path.exists():
        seeding.seed(emu, seed=seed, office=office, clients=clients)
    return SeedInfo.load(path)


def open_state(state_dir: Path, **options: Any) -> Emulator:
    """``Emulator(state_dir, **options)``; a damaged state folder is a ``UserError`` naming it."""
    try:
        return Emulator(state_dir, **options)
    except sqlite3.OperationalError as exc:
        # A read-only folder or share, no permission, a full disk: the state is fine, the place is not.
        reason = database_reason(exc)
        if reason is None:
            raise _damaged(state_dir, f"nie można odczytać bazy {state_dir / 'emulator.sqlite'}") from None
        raise UserError(f"Nie można użyć bazy emulatora {state_dir / 'emulator.sqlite'}: {reason}.") from None
    except sqlite3.DatabaseError:
        raise _damaged(state_dir, f"nie można odczytać bazy {state_dir / 'emulator.sqlite'}") from None
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise _damaged(state_dir, f"nie można odczytać kluczy w {state_dir / 'keys'}") from None
    except PermissionError as exc:
        where = exc.filename or state_dir
        raise UserError(f"Nie można użyć {where} (folder stanu emulatora): {os_reason(exc)}.") from None


def _damaged(state_dir: Path, what: str) -> UserError:
    return UserError(
        f"Folder stanu emulatora „{state_dir}” jest uszkodzony: {what}.",
        hint="Wskaż inny folder (w ksef-sheets.toml „emulator_state”, w poleceniu emulator opcja --state) "
        "albo usuń ten — emulator utworzy nowy.",
    )


class _QuietDrops(logging.Filter):
    """Connections that end early are not the emulator's errors and are worth no traceback.

    A connection cut by ``faults.drop_next`` is intended; a client that went away while sending its
    request (Ctrl-C or a killed ``fetch`` that runs this emulator in-process) would otherwise put a
    server traceback under the user's "Przerwano" message.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedOnPurpose | ClientDisconnect))


_QUIET_DROPS = _QuietDrops()


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the caller's thread owns signals
        pass


@contextmanager
def run_emulator(
    state_dir: Path,
    *,
    seed: int | None = None,
    office: seeding.SeedOffice | None = None,
    clients: int = 10,
    limits: str | Mapping[str, Any] = "off",
    host: str = "127.0.0.1",
    port: int = 0,
    public_url: str | None = None,
    startup_timeout: float = 20.0,
) -> Iterator[RunningEmulator]:
    """Serve the emulator for the duration of the ``with`` block (see module docstring)."""
    state_dir = Path(state_dir)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # With the protocol given, asyncio enables TCP_NODELAY on accepted sockets (else ~40 ms per request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    actual_port = sock.getsockname()[1]
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    base_url = f"http://{url_host}:{actual_port}/v2"
    try:
        emu = open_state(state_dir, limits=limits, public_url=public_url or base_url)
    except BaseException:
        sock.close()
        raise
    server: _Server | None = None
    thread: threading.Thread | None = None
    try:
        seed_info = _ensure_seed(emu, seed, clients, office) if seed is not None else None
        if seed_info is None and seed_file(state_dir).exists():
            seed_info = SeedInfo.load(seed_file(state_dir))
        config = uvicorn.Config(
            create_app(emu),
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        server = _Server(config)
        logging.getLogger("uvicorn.error").addFilter(_QUIET_DROPS)  # idempotent for the same filter
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="ksef-emulator", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the KSeF emulator stopped while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("the KSeF emulator did not start in time")
            time.sleep(0.01)
        yield RunningEmulator(base_url, emu, seed_info, host, actual_port)
    finally:
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(timeout=10)
        sock.close()
        emu.close()
