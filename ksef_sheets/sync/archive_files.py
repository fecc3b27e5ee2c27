"""Writing the archive's invoice files so that a crash never leaves half an invoice under its name."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _write_file(path: Path, data: bytes, *, sync: bool) -> None:
    """Temp file + rename in the target's folder; the caller flushes a batch with ``_flush_to_disk``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _flush_to_disk(paths: list[Path]) -> None:
    """Make a batch of new files (and their directory entries) durable before the index commits.

    Linux: one ``sync()`` for the whole batch — it waits until everything is on disk and costs far
    less than thousands of ``fsync`` calls. Elsewhere: ``fsync`` of every file, in parallel threads.
    """
    if not paths:
        return
    if sys.platform.startswith("linux"):
        os.sync()
        return
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(_fsync_path, paths))
    if os.name == "posix":
        for directory in {p.parent for p in paths}:
            _fsync_path(directory)


def _fsync_path(path: Path) -> None:
    # Windows flushes only handles opened for writing; POSIX directories open read-only.
    fd = os.open(path, os.O_RDONLY if path.is_dir() else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
