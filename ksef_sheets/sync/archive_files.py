"""Writing the archive's invoice files: never half an invoice under its name, on disk before the index.

Each file of a batch is written to a temp file in its folder and renamed over its name, so a
killed run never leaves half an invoice under an invoice's name. Then the batch is flushed to disk,
and only then may the index rows pointing to its files commit: a crash leaves at worst a file
without its row (picked up again by the next fetch), never a row without its file.

The flush is one ``syncfs`` per batch on Linux: it waits until everything written to the archive's
file system is on disk, in one call. ``os.sync()`` (used before) did the same for every disk of
the machine, so another program's big copy held up the fetch. ``fsync`` of every file and folder
(the way elsewhere, and ``FLUSH = "fsync"``) makes the file system commit its journal for each
file: measured by ``bench/archive_store.py`` it costs the fetch 3-4 times the CPU per invoice.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# "syncfs": one flush of the archive's file system per batch (Linux); "fsync": every file and folder.
FLUSH = "syncfs" if sys.platform.startswith("linux") else "fsync"
# fsyncs of one batch run side by side: the file system joins them into a few journal commits,
# where one after another each would wait for its own.
WRITERS = 8


def write_batch(files: Sequence[tuple[Path, bytes]], also_sync: Sequence[Path] = ()) -> None:
    """Write ``files`` (path, bytes) durably; flush ``also_sync`` (files written before) with them.

    When this returns, every file is complete under its name and on disk, and so are the folder
    entries naming them (and the folders made for them).
    """
    if not files and not also_sync:
        return
    file_folders = {path.parent for path, _data in files}
    folders = file_folders | {path.parent for path in also_sync}
    made = _make_folders(file_folders)
    syncfs = _syncfs() if FLUSH == "syncfs" else None
    if syncfs is not None:
        for path, data in files:
            _write_new(path, data, sync=False)
        _flush_file_systems(syncfs, folders)
        return
    chunks = [list(files[i::WRITERS]) for i in range(min(WRITERS, len(files)))]
    if len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
            list(pool.map(_write_chunk, chunks))
    elif chunks:
        _write_chunk(chunks[0])
    for path in also_sync:
        _fsync_path(path)
    if os.name == "posix":  # Windows cannot open a folder to flush it (NTFS journals its entries)
        # The folders named in a batch, their parents (a new month's folder) and those made for it.
        for folder in sorted(folders | {f.parent for f in folders} | {m.parent for m in made}):
            _fsync_path(folder)


def _syncfs() -> Callable[[int], int] | None:
    """libc's ``syncfs`` (Linux 2.6.39+, reports write errors since 5.8), or None where it is absent."""
    try:
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    return function


def _flush_file_systems(syncfs: Callable[[int], int], folders: set[Path]) -> None:
    """One ``syncfs`` for each file system holding one of ``folders`` (normally one: the archive's)."""
    devices: set[int] = set()
    for folder in sorted(folders):
        fd = os.open(folder, os.O_RDONLY)
        try:
            device = os.fstat(fd).st_dev
            if device in devices:
                continue
            devices.add(device)
            if syncfs(fd) != 0:
                code = ctypes.get_errno()
                raise OSError(code, os.strerror(code), str(folder))
        finally:
            os.close(fd)


def _make_folders(folders: set[Path]) -> list[Path]:
    """Create the missing folders (and their missing parents); the ones made here."""
    made: list[Path] = []
    for folder in sorted(folders):
        missing: list[Path] = []
        current = folder
        while not current.is_dir():
            missing.append(current)
            current = current.parent
        for path in reversed(missing):
            try:
                path.mkdir()
            except FileExistsError:
                continue
            made.append(path)
    return made


def _write_chunk(items: Sequence[tuple[Path, bytes]]) -> None:
    for path, data in items:
        _write_new(path, data, sync=True)


# What open(path, "wb") asks for (O_BINARY: no newline translation on Windows).
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def _write_new(path: Path, data: bytes, *, sync: bool) -> None:
    """Temp file (+ fsync) + rename in the target's folder (the temp name carries pid and thread)."""
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        # A bare descriptor, not a buffered file object: an invoice is one write of a few kB.
        fd = os.open(tmp, _CREATE, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether ``path`` holds exactly ``data`` (size first: a different size needs no read)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _fsync_path(path: Path) -> None:
    # Windows flushes only handles opened for writing; POSIX directories open read-only.
    fd = os.open(path, os.O_RDONLY if path.is_dir() else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
