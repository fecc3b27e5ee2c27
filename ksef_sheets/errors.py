"""The one exception type a person in the office gets to see.

Every problem caused by input, configuration or the outside world (a bad file, a missing
permission, KSeF refusing a request) is raised as ``UserError`` with a complete Polish sentence
that names the file, row or field. The command line prints it and exits 1; Excel shows it in a
message box. Anything else is a bug and may surface as a traceback.

Messages must never contain secrets (tokens, keys, passwords): build them from identifiers
(NIP, file names, reference numbers) only.
"""

from __future__ import annotations

import errno


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


# What the operating system said, in the office's words. Other errors keep the system's own text.
_OS_REASONS = {
    errno.ENOENT: "nie ma takiego pliku ani folderu",
    errno.EEXIST: "w tym miejscu jest już plik",
    errno.EACCES: "brak uprawnień",
    errno.EPERM: "brak uprawnień",
    errno.ENOSPC: "brak miejsca na dysku",
    errno.EROFS: "dysk jest tylko do odczytu",
    errno.ENOTDIR: "część ścieżki jest plikiem, a nie folderem",
    errno.EISDIR: "to jest folder, a nie plik",
    errno.ENAMETOOLONG: "za długa nazwa pliku",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused a path, in Polish where the reason is a common one."""
    if getattr(exc, "winerror", None) in (32, 33):  # Windows: sharing or lock violation
        return "plik jest otwarty w innym programie (np. w Excelu) — zamknij go i spróbuj ponownie"
    return _OS_REASONS.get(exc.errno or 0) or exc.strerror or type(exc).__name__


def file_system_error(exc: OSError) -> UserError | None:
    """The ``UserError`` for a file or folder the system refused, or None if no path is involved.

    Commands check the files they expect; this is the net under them for the rest (a folder that
    turns out to be a file, a disk that is full, a network share that went read-only), so that the
    person sees which path and why instead of a traceback.
    """
    if exc.filename is None:
        return None
    where = str(exc.filename)
    if exc.filename2 is not None:
        where += f" → {exc.filename2}"
    return UserError(f"Nie można użyć {where}: {os_reason(exc)}.")
