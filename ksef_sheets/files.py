"""Safe file writing: atomic replace, and a clear message when Excel holds a file open.

Every file the toolkit produces (workbooks, documents, archive XML, config) is written to a
temporary file in the same folder and moved over the target in one step, so a crash never leaves
a half-written file and a reader never sees one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ksef_sheets.errors import FileLockedError


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
    """
    target = Path(target)
    if check_lock:
        ensure_writable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
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
