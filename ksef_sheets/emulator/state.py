"""Persistence of the emulator's state: one SQLite file in the state folder.

A training office keeps its emulated KSeF across runs, so everything that matters (subjects,
permissions, tokens, auth operations, invoices, sessions) lives in ``state_dir/emulator.sqlite``.
Each module creates its own tables with ``CREATE TABLE IF NOT EXISTS`` in its ``init_schema(db)``.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DB_NAME = "emulator.sqlite"


def open_database(state_dir: Path) -> sqlite3.Connection:
    """Open (creating) the state database.

    ``check_same_thread=False`` because the runner seeds from the caller's thread before the server
    thread starts; while serving, only the server's event-loop thread uses it.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(state_dir / DB_NAME, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    return db


def get_meta(db: sqlite3.Connection, key: str, default: Any = None) -> Any:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def set_meta(db: sqlite3.Connection, key: str, value: Any) -> None:
    db.execute(
        "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def del_meta(db: sqlite3.Connection, key: str) -> None:
    db.execute("DELETE FROM meta WHERE key = ?", (key,))


def iso(moment: datetime) -> str:
    """ISO-8601 with offset, milliseconds (how KSeF prints date-times)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def parse_iso(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
