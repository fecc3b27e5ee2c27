"""Ready FA(3) files from the office's invoicing program: ``klienci/<NIP>/do-wyslania/*.xml``.

Each file is read with a size cap, parsed safely (no DTD, entities or network) and validated (XSD and
business rules); the seller must be the client. A file that passes is sent byte for byte. Afterwards
it is moved to ``wyslane/`` (accepted) or ``odrzucone/`` with a ``.txt`` beside it saying why; a file
that could not be sent because KSeF was unavailable stays where it is.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.fa3 import MAX_SIZE_WITH_ATTACHMENTS, read_and_validate
from ksef_sheets.files import atomic_write_text
from ksef_sheets.send.model import PendingInvoice

DROP_DIR = "do-wyslania"
SENT_DIR = "wyslane"
REJECTED_DIR = "odrzucone"


def drop_dir(folder: OfficeFolder, nip: str) -> Path:
    return folder.client_dir(nip) / DROP_DIR


def invoices_from_files(folder: OfficeFolder, nip: str) -> list[PendingInvoice]:
    """Every ``*.xml`` file waiting in the client's drop folder (sorted by name)."""
    directory = drop_dir(folder, nip)
    if not directory.is_dir():
        return []
    found: list[PendingInvoice] = []
    for path in sorted(p for p in directory.iterdir() if p.suffix.lower() == ".xml"):
        if not path.is_file() or path.is_symlink():
            continue
        found.append(read_file(path, nip))
    return found


def read_file(path: Path, nip: str) -> PendingInvoice:
    source = f"{DROP_DIR}/{path.name}"
    pending = PendingInvoice(number="", source=source, origin="plik", path=path)
    try:
        size = path.stat().st_size
        if size > MAX_SIZE_WITH_ATTACHMENTS:
            raise UserError(f"Plik {source} ma {size} B — więcej, niż KSeF przyjmuje (3 MB).")
        data = path.read_bytes()
        invoice, report = read_and_validate(data, source=source)
    except OSError as exc:
        pending.error = f"Nie można odczytać pliku {source}: {os_reason(exc)}."
        return pending
    except UserError as exc:
        pending.error = exc.message
        return pending
    pending.number = invoice.number or ""
    pending.issue_date = invoice.issue_date
    pending.buyer = invoice.buyer.name or ""
    pending.gross = invoice.total_text
    pending.currency = invoice.currency or "PLN"
    if report.errors:
        details = "; ".join(p.describe() for p in report.errors[:3])
        pending.error = f"Plik {source} nie jest poprawną fakturą FA(3): {details}"
        return pending
    if invoice.seller.nip != nip:
        pending.error = (
            f"Plik {source}: sprzedawcą na fakturze jest NIP {invoice.seller.nip or 'brak'}, "
            f"a folder należy do klienta {nip}; biuro wysyła tylko faktury sprzedaży tego klienta."
        )
        return pending
    if not pending.number:
        pending.error = f"Plik {source}: faktura nie ma numeru (P_2)."
        return pending
    pending.xml = data
    return pending


def move_after(path: Path, *, accepted: bool, reason: str | None = None) -> Path:
    """Move a sent file to ``wyslane/`` or a refused one to ``odrzucone/`` (with ``<name>.txt``)."""
    target_dir = path.parent.parent / (SENT_DIR if accepted else REJECTED_DIR)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(target_dir, path.name)
    if not accepted:
        atomic_write_text(target.with_name(target.name + ".txt"), (reason or "Odrzucona.") + "\n")
    os.replace(path, target)
    with contextlib.suppress(OSError):
        if os.name == "posix":
            fd = os.open(target_dir, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    return target


def _free_name(directory: Path, name: str) -> Path:
    target = directory / name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 2
    while target.exists():
        target = directory / f"{stem} ({counter}){suffix}"
        counter += 1
    return target
