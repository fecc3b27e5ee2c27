"""What every emulator service shares, built once by ``core.Emulator`` and passed in.

``Runtime`` holds the state folder, its SQLite database (see ``state.py``), the clock and the
36-character references KSeF hands out. Services take it (and the other services they need) as
constructor arguments, so no service module imports ``core``.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ksef_sheets.emulator.clock import EmulatorClock


@dataclass(frozen=True)
class Runtime:
    state_dir: Path
    db: sqlite3.Connection
    clock: EmulatorClock

    def new_reference(self, kind: str) -> str:
        """A 36-character reference ``YYYYMMDD-TT-XXXXXXXXXX-XXXXXXXXXX-XX`` (PROTOCOL.md §2)."""
        if len(kind) != 2 or not kind.isalpha():
            raise ValueError("reference kind must be two letters, e.g. 'SO'")
        hex_part = secrets.token_hex(11).upper()
        return f"{self.clock.now():%Y%m%d}-{kind.upper()}-{hex_part[:10]}-{hex_part[10:20]}-{hex_part[20:22]}"
