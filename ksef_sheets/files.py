"""Safe file writing: atomic replace, and a clear message when Excel holds a file open.

Every file the toolkit produces (workbooks, documents, archive XML, config) is written to a
temporary file in the same folder and moved over the target in one step, so a crash never leaves
a half-written file and a reader never sees one.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ksef_sheets.errors import FileLockedError, UserError, os_reason


def excel_lock_file(path: Path) -> Path:
    """The owner file Excel/LibreOffice creates beside a workbook it has open (``~$name``, ``.~lock.name#``)."""
    return path.with_name("~$" + path.name)


def is_open_elsewhere(path: Path) -> bool:
    """True when Excel or LibreOffice has the file open (their lock files exist beside it)."""
    libre = path.with_name(f".~lock.{path.name}#")
    return excel_lock_file(path).exists() or libre.exists()


def ensure_writable(path: Path) -> None:
    """Raise a Polish ``FileLockedError`` when a file is open in Excel and must not be replaced."""
    if path.exists() and is_open_elsewhere(path):
        raise FileLockedError(
            f"Plik {path} jest otwarty w Excelu (lub innym programie). "
            "Zamknij go i uruchom polecenie ponownie."
        )


@contextlib.contextmanager
def atomic_path(target: Path, *, check_lock: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``target`` atomically.

    Libraries that want a file name (openpyxl, XlsxWriter, docxtpl) write to the yielded path.
    A refusal of the system (read-only share, no permission, full disk) is a ``UserError`` naming
    ``target`` — the file the person knows — never the hidden temporary file.
    """
    target = Path(target)
    try:
        with _atomic_path(target, check_lock=check_lock) as tmp:
            yield tmp
    except OSError as exc:
        if not _about_temporary(exc, target):
            raise
        raise UserError(f"Nie można zapisać pliku {target}: {os_reason(exc)}.") from exc


def _about_temporary(exc: OSError, target: Path) -> bool:
    prefix = f".{target.name}."
    names = (exc.filename, exc.filename2)
    return any(name is not None and Path(str(name)).name.startswith(prefix) for name in names)


@contextlib.contextmanager
def _atomic_path(target: Path, *, check_lock: bool = True) -> Iterator[Path]:
    target = Path(target)
    if check_lock:
        ensure_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The process id in the name lets the next run tell a write interrupted by a kill (its
    # process is gone) from one in progress (``clean_interrupted_writes``).
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp" + target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    restrict_file(tmp)
    try:
        yield tmp
        _replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(target: Path) -> Iterator[IO[bytes]]:
    """Open a temporary binary file for writing; it replaces ``target`` only when the block succeeds."""
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_open(target) as fh:
        fh.write(data)


def atomic_write_text(target: Path, text: str, *, encoding: str = "utf-8") -> None:
    atomic_write_bytes(target, text.encode(encoding))


def _replace(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except PermissionError as exc:  # Windows: the target is open in Excel
        raise FileLockedError(
            f"Nie można zapisać pliku {target}: jest otwarty w innym programie. "
            "Zamknij go i uruchom polecenie ponownie."
        ) from exc


# --------------------------------------------------------------------------------------------
# One permission policy for the office folder (DESIGN: clients' financial data)

# "owner": files 0600, folders 0700 (the default); "group": 0660 / 0770 for an office folder on a
# share used by several staff accounts of one group (``folder_access = "group"`` in ksef-sheets.toml).
_FILE_MODES = {"owner": 0o600, "group": 0o660}
_DIR_MODES = {"owner": 0o700, "group": 0o770}
_access = "owner"


def set_folder_access(access: str) -> None:
    """Apply the office folder's policy to everything this process creates from now on (POSIX umask)."""
    global _access
    _access = access if access in _FILE_MODES else "owner"
    if os.name == "posix":
        os.umask(0o077 if _access == "owner" else 0o007)


def file_mode() -> int:
    return _FILE_MODES[_access]


def restrict_file(path: Path) -> None:
    """Give an existing file the policy's mode (files created before the policy, SQLite's own files)."""
    if os.name != "posix":
        return  # Windows: the folder's ACL applies
    with contextlib.suppress(OSError):
        if (path.stat().st_mode & 0o777) != _FILE_MODES[_access]:
            os.chmod(path, _FILE_MODES[_access])


def restrict_dir(path: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        if (path.stat().st_mode & 0o777) != _DIR_MODES[_access]:
            os.chmod(path, _DIR_MODES[_access])


# --------------------------------------------------------------------------------------------
# Leftovers of interrupted writes

# ``atomic_path`` names: ``.<target>.<pid>.<random>.tmp<suffix>`` (older: no pid); the archive's
# XML writes: ``.<name>.<pid>.<thread>.tmp``.
_TMP_NAME = re.compile(r"^\..+?\.(?:(?P<pid>\d+)\.)?[^.]+\.tmp(?:\.[A-Za-z0-9]+)?$")
# A temp file without a process id (or on Windows, where liveness is not checked) is a leftover
# once it is this old: no write of the toolkit takes that long.
STALE_AFTER = 15 * 60.0


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # unknown: decided by age instead (os.kill would end the process on Windows)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def is_interrupted_write(path: Path, *, now: float | None = None) -> bool:
    """True for a temp file left by a write that will never finish (its process is gone, or it is old)."""
    match = _TMP_NAME.match(path.name)
    if match is None:
        return False
    try:
        age = (now or time.time()) - path.stat().st_mtime
    except OSError:
        return False
    pid = match.group("pid")
    if pid is not None and os.name == "posix" and not _process_alive(int(pid)):
        return True
    return age > STALE_AFTER


def clean_interrupted_writes(*folders: Path, recursive: bool = False) -> list[Path]:
    """Remove temp files of interrupted writes from these folders; the removed paths.

    Called at the start of fetch, init and refresh, so a kill during a workbook write (a 0-byte
    ``.faktury-2026.xlsx.….tmp.xlsx``) leaves nothing behind after the next run.
    """
    removed: list[Path] = []
    now = time.time()
    for folder in folders:
        try:
            candidates = folder.rglob(".*.tmp*") if recursive else folder.glob(".*.tmp*")
            for path in candidates:
                if path.is_file() and is_interrupted_write(path, now=now):
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed.append(path)
        except OSError:
            continue
    return removed
