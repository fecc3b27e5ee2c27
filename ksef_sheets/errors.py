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
from pathlib import Path


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
    errno.ENOTEMPTY: "folder nie jest pusty",
    errno.EIO: "błąd odczytu lub zapisu na dysku (sprawdź dysk albo połączenie z udziałem sieciowym)",
    errno.EADDRINUSE: "ten port jest już zajęty przez inny program",
    errno.EADDRNOTAVAIL: "tego adresu nie ma na tym komputerze",
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
    if _is_working_file(exc.filename) and exc.filename2 is None:
        # A temporary or lock file of the toolkit's own (".biuro.xlsx.….tmp.xlsx", ".pobieranie.lock")
        # means nobody a person knows of: what refused is the folder it was to be made in.
        return UserError(f"Nie można zapisać w folderze {Path(exc.filename).parent}: {os_reason(exc)}.")
    where = str(exc.filename)
    if exc.filename2 is not None:
        where += f" → {exc.filename2}"
    return UserError(f"Nie można użyć {where}: {os_reason(exc)}.")


def _is_working_file(filename: object) -> bool:
    """The toolkit's hidden temporary files (``files.atomic_path``, archive XML) and lock files."""
    name = Path(str(filename)).name
    return name.startswith(".") and (".tmp" in name or name.endswith(".lock"))


# What SQLite says when the disk or share refuses, in the office's words (its messages are English).
_SQLITE_REASONS = (
    ("readonly", "plik albo folder jest tylko do odczytu (np. udział sieciowy bez prawa zapisu)"),
    ("read-only", "plik albo folder jest tylko do odczytu (np. udział sieciowy bez prawa zapisu)"),
    ("unable to open", "brak dostępu do pliku albo jego folderu"),
    ("disk is full", "brak miejsca na dysku"),
    ("disk i/o", "błąd odczytu lub zapisu na dysku (sprawdź dysk albo połączenie z udziałem sieciowym)"),
    ("locked", "baza jest zajęta przez inny program — spróbuj ponownie za chwilę"),
    ("busy", "baza jest zajęta przez inny program — spróbuj ponownie za chwilę"),
)


def database_reason(exc: Exception) -> str | None:
    """Why SQLite could not use a database file, in Polish; None when it is not about access
    (e.g. a damaged file, which the caller words itself)."""
    text = str(exc).lower()
    for fragment, reason in _SQLITE_REASONS:
        if fragment in text:
            return reason
    return None
