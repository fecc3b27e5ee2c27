"""What validation reports: one ``Problem`` per finding, collected in a ``ValidationReport``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding: ``code`` is stable (for scripts), ``message`` is Polish (for people)."""

    code: str
    severity: Severity
    message: str
    path: str = ""
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "line": self.line,
        }

    def describe(self) -> str:
        """One line for a person: where, then what."""
        where = []
        if self.line:
            where.append(f"wiersz {self.line}")
        if self.path:
            where.append(self.path)
        prefix = f"[{', '.join(where)}] " if where else ""
        return f"{prefix}{self.message}"


@dataclass
class ValidationReport:
    source: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors
