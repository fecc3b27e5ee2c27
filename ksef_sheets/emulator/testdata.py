"""TEST-environment helpers (PROTOCOL.md §21, the spec's "Dane testowe" tag) and the subject registry.

``emu.subjects`` keeps what ``/testdata/subject`` and ``/testdata/person`` create: subjects with a
special role (EnforcementAuthority, VatGroup, JST) and their subunits, persons linked NIP↔PESEL
(who then count as Owner of the NIP context), blocked contexts (auth ends with 480) and the
attachment consent. Ordinary companies need no registration: as on TEST, anyone may log into any
NIP context with a self-signed certificate of that NIP.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.state import iso
from ksef_sheets.identifiers import is_valid_nip

NIP_PATTERN = r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$"
PESEL_PATTERN = r"^\d{2}(?:0[1-9]|1[0-2]|2[1-9]|3[0-2]|4[1-9]|5[0-2]|6[1-9]|7[0-2]|8[1-9]|9[0-2])\d{7}$"
SUBJECT_TYPES = ("EnforcementAuthority", "VatGroup", "JST")
ALREADY_EXISTS = 30001


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS subjects (
            nip TEXT PRIMARY KEY, name TEXT, subject_type TEXT, description TEXT,
            parent_nip TEXT, created TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS persons (
            nip TEXT PRIMARY KEY, pesel TEXT NOT NULL, is_bailiff INTEGER NOT NULL,
            is_deceased INTEGER NOT NULL, description TEXT, created TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS persons_pesel ON persons(pesel);
        CREATE TABLE IF NOT EXISTS blocked_contexts (
            context_type TEXT NOT NULL, context_value TEXT NOT NULL, PRIMARY KEY (context_type, context_value)
        );
        CREATE TABLE IF NOT EXISTS attachment_consents (
            nip TEXT PRIMARY KEY, allowed INTEGER NOT NULL, end_date TEXT
        );
        """
    )


@dataclass(frozen=True)
class Subject:
    nip: str
    name: str | None
    subject_type: str | None
    parent_nip: str | None


class Subjects:
    """The registry behind ``/testdata/subject`` and ``/testdata/person`` (see module docstring)."""

    def __init__(self, rt: Runtime) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        init_schema(self.db)

    def add(
        self,
        nip: str,
        name: str | None = None,
        subject_type: str | None = None,
        *,
        description: str | None = None,
        subunits: list[str] | None = None,
        exist_ok: bool = True,
    ) -> Subject:
        """Register a subject (a company when ``subject_type`` is None). Raises ``KeyError`` if it
        exists and ``exist_ok`` is False."""
        if not is_valid_nip(nip):
            raise ValueError(f"invalid NIP {nip!r}")
        if subject_type is not None and subject_type not in SUBJECT_TYPES:
            raise ValueError(f"unknown subject type {subject_type!r}")
        existing = self.get(nip)
        if existing is not None:
            if not exist_ok:
                raise KeyError(nip)
            return existing
        now = iso(self.clock.now())
        with self.db:
            self.db.execute(
                "INSERT INTO subjects(nip, name, subject_type, description, parent_nip, created) VALUES(?,?,?,?,?,?)",
                (nip, name, subject_type, description, None, now),
            )
            for sub in subunits or []:
                self.db.execute(
                    "INSERT OR IGNORE INTO subjects(nip, name, subject_type, description, parent_nip, created)"
                    " VALUES(?,?,?,?,?,?)",
                    (sub, None, None, None, nip, now),
                )
        return Subject(nip, name, subject_type, None)

    def get(self, nip: str) -> Subject | None:
        row = self.db.execute("SELECT * FROM subjects WHERE nip = ?", (nip,)).fetchone()
        if row is None:
            return None
        return Subject(row["nip"], row["name"], row["subject_type"], row["parent_nip"])

    def remove(self, nip: str) -> bool:
        with self.db:
            self.db.execute("DELETE FROM subjects WHERE parent_nip = ?", (nip,))
            return self.db.execute("DELETE FROM subjects WHERE nip = ?", (nip,)).rowcount > 0

    def roles(self, nip: str) -> list[str]:
        subject = self.get(nip)
        roles: list[str] = []
        if subject and subject.subject_type == "EnforcementAuthority":
            roles.append("EnforcementAuthority")
        if subject and subject.subject_type == "VatGroup":
            roles.append("VatGroupUnit")
        if subject and subject.subject_type == "JST":
            roles.append("LocalGovernmentUnit")
        person = self.person_by_nip(nip)
        if person and person["is_bailiff"]:
            roles.append("CourtBailiff")
        return roles

    # --- persons --------------------------------------------------------------------------------
    def add_person(
        self,
        nip: str,
        pesel: str,
        *,
        is_bailiff: bool = False,
        is_deceased: bool = False,
        description: str = "Osoba testowa",
        exist_ok: bool = True,
    ) -> None:
        """Link a PESEL with a NIP: the person is then Owner of the NIP context."""
        if self.person_by_nip(nip) is not None:
            if not exist_ok:
                raise KeyError(nip)
            return
        with self.db:
            self.db.execute(
                "INSERT INTO persons(nip, pesel, is_bailiff, is_deceased, description, created) VALUES(?,?,?,?,?,?)",
                (nip, pesel, int(is_bailiff), int(is_deceased), description, iso(self.clock.now())),
            )

    def person_by_nip(self, nip: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM persons WHERE nip = ?", (nip,)).fetchone()
        return row

    def remove_person(self, nip: str) -> bool:
        with self.db:
            return self.db.execute("DELETE FROM persons WHERE nip = ?", (nip,)).rowcount > 0

    def nips_of_pesel(self, pesel: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT nip FROM persons WHERE pesel = ?", (pesel,))]

    def is_deceased(self, pesel: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM persons WHERE pesel = ? AND is_deceased = 1", (pesel,)
        ).fetchone()
        return row is not None

    def is_owner(self, context_nip: str, subject_type: str, subject_value: str) -> bool:
        """Owner: the credential carries the context NIP, or a PESEL linked to it (PROTOCOL.md §5)."""
        if subject_type == "Nip":
            return subject_value == context_nip
        if subject_type == "Pesel":
            return context_nip in self.nips_of_pesel(subject_value)
        return False

    # --- blocking and attachments -----------------------------------------------------------------
    def block(self, context_type: str, context_value: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO blocked_contexts(context_type, context_value) VALUES(?, ?)",
                (context_type, context_value),
            )

    def unblock(self, context_type: str, context_value: str) -> None:
        with self.db:
            self.db.execute(
                "DELETE FROM blocked_contexts WHERE context_type = ? AND context_value = ?",
                (context_type, context_value),
            )

    def is_blocked(self, context_type: str, context_value: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM blocked_contexts WHERE context_type = ? AND context_value = ?",
            (context_type, context_value),
        ).fetchone()
        return row is not None

    def set_attachments(self, nip: str, allowed: bool, end_date: date | None = None) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO attachment_consents(nip, allowed, end_date) VALUES(?,?,?) "
                "ON CONFLICT(nip) DO UPDATE SET allowed = excluded.allowed, end_date = excluded.end_date",
                (nip, int(allowed), end_date.isoformat() if end_date else None),
            )

    def attachments_allowed(self, nip: str) -> tuple[bool, str | None]:
        row = self.db.execute(
            "SELECT allowed, end_date FROM attachment_consents WHERE nip = ?", (nip,)
        ).fetchone()
        if row is None:
            return False, None
        if row["end_date"] and date.fromisoformat(row["end_date"]) < self.clock.now().date():
            return False, row["end_date"]
        return bool(row["allowed"]), row["end_date"]


# --- request bodies (the spec's "Dane testowe" schemas) ---------------------------------------------
