"""PDF through LibreOffice headless: many files in one ``soffice`` call, a private profile, a timeout.

Starting LibreOffice costs seconds, converting one more file a fraction of that, so callers hand
over every file of a run at once. A private ``-env:UserInstallation`` profile keeps the run away
from (and safe from) a LibreOffice the user has open, and lets several runs go in parallel.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.files import atomic_write_bytes

_WINDOWS_CANDIDATES = (
    Path(r"C:\Program Files\LibreOffice\program\soffice.exe"),
    Path(r"C:\Program Files (x86)\LibreOffice\program\soffice.exe"),
)
INSTALL_HINT = (
    "Debian/Ubuntu: sudo apt-get install libreoffice-writer libreoffice-calc; "
    "Windows: instalator z libreoffice.org"
)
MISSING_MESSAGE = (
    "Nie znaleziono programu LibreOffice (soffice), potrzebnego do utworzenia plików PDF. "
    f"Zainstaluj LibreOffice ({INSTALL_HINT}) albo podaj ścieżkę do soffice w zmiennej KSEF_SHEETS_SOFFICE; "
    "pliki .docx/.xlsx zostały utworzone."
)


def find_soffice() -> str | None:
    """LibreOffice's binary: ``KSEF_SHEETS_SOFFICE``, then PATH, then the usual Windows places."""
    configured = os.environ.get("KSEF_SHEETS_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else None
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    for candidate in _WINDOWS_CANDIDATES:
        if candidate.is_file():
            return str(candidate)
    return None


def _batches(files: Sequence[Path]) -> list[list[Path]]:
    """Split so that no two files in one call share an output name (LibreOffice names by stem)."""
    batches: list[list[Path]] = []
    for path in files:
        for batch in batches:
            if all(other.stem != path.stem for other in batch):
                batch.append(path)
                break
        else:
            batches.append([path])
    return batches


def convert_to_pdf(
    files: Sequence[Path], *, timeout: float | None = None, soffice: str | None = None
) -> dict[Path, Path]:
    """Convert .docx/.xlsx files to PDF beside them (``name.pdf``); returns source → PDF.

    Raises ``UserError`` (Polish) when LibreOffice is missing, times out, or produces no PDF for a
    file. Each PDF is written atomically: a failed run leaves the previous PDF untouched.
    """
    sources = [Path(f) for f in files]
    if not sources:
        return {}
    binary = soffice or find_soffice()
    if binary is None:
        raise UserError(MISSING_MESSAGE)
    results: dict[Path, Path] = {}
    for batch in _batches(sources):
        limit = timeout if timeout is not None else 60.0 + 3.0 * len(batch)
        results.update(_convert_batch(binary, batch, limit))
    return results


def _convert_batch(binary: str, batch: list[Path], limit: float) -> dict[Path, Path]:
    with tempfile.TemporaryDirectory(prefix="ksef-sheets-lo-") as work:
        profile = Path(work, "profil").as_uri()
        outdir = Path(work, "pdf")
        outdir.mkdir()
        command = [
            binary,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *[str(p) for p in batch],
        ]
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                start_new_session=(os.name != "nt"),
            )
        except OSError as exc:
            raise UserError(f"Nie można uruchomić LibreOffice ({binary}): {os_reason(exc)}.") from exc
        try:
            _, stderr = process.communicate(timeout=limit)
        except subprocess.TimeoutExpired as exc:
            _kill(process)
            raise UserError(
                f"LibreOffice nie skończył tworzenia PDF w ciągu {limit:.0f} s "
                f"({len(batch)} plików); spróbuj ponownie dla mniejszej liczby klientów."
            ) from exc
        results: dict[Path, Path] = {}
        for source in batch:
            produced = outdir / f"{source.stem}.pdf"
            if not produced.is_file() or produced.stat().st_size == 0:
                detail = stderr.decode("utf-8", "replace").strip().splitlines()
                hint = f" ({detail[-1]})" if detail else ""
                raise UserError(f"LibreOffice nie utworzył pliku PDF z {source}{hint}.")
            target = source.with_suffix(".pdf")
            atomic_write_bytes(target, produced.read_bytes())
            results[source] = target
        return results


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop soffice and the soffice.bin it started (its own process group)."""
    if os.name != "nt":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    else:
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=10)
