"""The one exception type a person in the office gets to see.

Every problem caused by input, configuration or the outside world (a bad file, a missing
permission, KSeF refusing a request) is raised as ``UserError`` with a complete Polish sentence
that names the file, row or field. The command line prints it and exits 1; Excel shows it in a
message box. Anything else is a bug and may surface as a traceback.

Messages must never contain secrets (tokens, keys, passwords): build them from identifiers
(NIP, file names, reference numbers) only.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem a member of staff can understand and fix; ``message`` is Polish."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


class FileLockedError(UserError):
    """A file is open in Excel (or another program) and cannot be replaced now."""
