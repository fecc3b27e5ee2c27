"""What a fetch did, per client and subject type — for the screen, ``--json``, the register and Excel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ksef_sheets.sync.archive_values import SUBJECT_TYPE_NAMES


@dataclass
class SubjectResult:
    """One client's invoices of one subject type in this run."""

    subject_type: str
    new: int = 0
    total: int = 0
    hwm: datetime | None = None
    exports: int = 0
    metadata_queries: int = 0
    downloads: int = 0
    resumed: bool = False  # the previous run was interrupted inside a window of this subject type
    deferred: str | None = None  # stopped early to respect KSeF's hourly limits (Polish note)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "subject_type": self.subject_type,
            "new": self.new,
            "total": self.total,
            "hwm": self.hwm.isoformat() if self.hwm else None,
            "exports": self.exports,
            "metadata_queries": self.metadata_queries,
            "downloads": self.downloads,
            "resumed": self.resumed,
            "deferred": self.deferred,
            "error": self.error,
        }


@dataclass
class ClientFetchResult:
    """One client in this run: its subject types, what was new, what went wrong (Polish)."""

    nip: str
    name: str = ""
    scenario: int | None = None
    subjects: dict[str, SubjectResult] = field(default_factory=dict)
    skipped: str | None = None
    errors: list[str] = field(default_factory=list)
    to_verify: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # What KSeF says the office holds in this client's context (None: KSeF was not asked or failed);
    # an ``OfficeAccess`` (``ksef_sheets.ksef``) — the register's permission columns follow it.
    access: Any = None

    @property
    def new(self) -> int:
        return sum(s.new for s in self.subjects.values())

    @property
    def total(self) -> int:
        return sum(s.total for s in self.subjects.values())

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def label(self) -> str:
        return f"{self.nip} ({self.name})" if self.name else self.nip

    def problem_text(self) -> str:
        """All problems of this client in one line (the register's "problem" column)."""
        return " ".join(self.errors)

    def to_json(self) -> dict[str, Any]:
        return {
            "nip": self.nip,
            "name": self.name,
            "scenario": self.scenario,
            "new": self.new,
            "total": self.total,
            "to_verify": self.to_verify,
            "skipped": self.skipped,
            "errors": list(self.errors),
            "office_access": self.access.to_json() if self.access is not None else None,
            "subjects": {k: v.to_json() for k, v in self.subjects.items()},
            "high_water_marks": {k: (v.hwm.isoformat() if v.hwm else None) for k, v in self.subjects.items()},
        }


@dataclass
class FetchReport:
    """The whole run. ``problems`` lists every client's problem in Polish; ``warnings`` the rest."""

    clients: list[ClientFetchResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    environment: str = ""
    requests: int = 0
    rate_limited: int = 0  # HTTP 429 answers received (the limiter's target is 0)
    requests_by_group: dict[str, int] = field(default_factory=dict)
    rate_limited_by_group: dict[str, int] = field(default_factory=dict)

    @property
    def new(self) -> int:
        return sum(c.new for c in self.clients)

    @property
    def problems(self) -> list[str]:
        return [f"{c.label}: {e}" for c in self.clients for e in c.errors]

    @property
    def deferred(self) -> list[str]:
        """Clients whose fetch stops early this run to stay within KSeF's limits (not an error)."""
        return [
            f"{c.label}, {SUBJECT_TYPE_NAMES.get(s.subject_type, s.subject_type)}: {s.deferred}"
            for c in self.clients
            for s in c.subjects.values()
            if s.deferred
        ]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "new": self.new,
            "requests": self.requests,
            "http_429": self.rate_limited,
            "http_429_by_group": dict(self.rate_limited_by_group),
            "clients": [c.to_json() for c in self.clients],
            "problems": self.problems,
            "deferred": self.deferred,
            "warnings": list(self.warnings),
        }

    def summary_lines(self) -> list[str]:
        """A short Polish summary for the terminal and Excel's message box."""
        lines = []
        for c in self.clients:
            if c.skipped:
                lines.append(f"{c.label}: pominięto — {c.skipped}")
                continue
            parts = [
                f"{SUBJECT_TYPE_NAMES.get(s.subject_type, s.subject_type)} +{s.new} (razem {s.total})"
                for s in c.subjects.values()
            ]
            state = "BŁĄD" if c.errors else "OK"
            lines.append(f"{c.label}: {state}; " + ", ".join(parts))
        lines += [f"Dokończenie później — {d}" for d in self.deferred]
        lines.append(f"Nowych faktur: {self.new}.")
        return lines


class FetchProgress(Protocol):
    """Callbacks for a progress display (the CLI's rich bars, Excel's status line)."""

    def client_started(self, nip: str, name: str, subject_types: tuple[str, ...]) -> None: ...

    def client_advanced(self, nip: str, new: int, message: str) -> None: ...

    def client_finished(self, result: ClientFetchResult) -> None: ...
