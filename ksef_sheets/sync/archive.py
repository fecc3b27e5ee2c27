"""The office's invoice archive: original XML files, an SQLite index, sync state, staff decisions, audit.

The archive is the source of truth for invoices and for what staff decided about them; workbooks
are views rebuilt from it (DESIGN.md "How data flows"). ``Archive`` is one object over one index
(``ksef.sqlite``) made of four stores, each in its own module:

- ``invoice_store``: the original XML files in ``archiwum/`` and their index rows;
- ``checkpoints``: the sync state (high-water mark per client per subject type);
- ``decisions``: staff decisions;
- ``audit_log``: who did what.

``archive_index`` opens the index (and refuses a lost or damaged one), ``archive_values`` holds the
vocabulary and conversions, ``archive_files`` writes invoice files durably.

The archive is safe to use from several threads (one connection behind a lock); the fetch runs
its writes in a worker thread so downloads of other clients continue meanwhile.
"""

from __future__ import annotations

import functools
import inspect
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.sync.archive_index import (
    _connect,
    _prepare,
    _refuse_new_index_if_office_has_work,
    damaged_index_error,
    restrict_database_files,
)
from ksef_sheets.sync.archive_values import (
    SUBJECT_TYPE_NAMES,
    _checked_nip,
    _xml_place,
    parse_ksef_datetime,
    sha256_b64,
)
from ksef_sheets.sync.audit_log import AuditEntry
from ksef_sheets.sync.checkpoints import SyncState
from ksef_sheets.sync.decisions import DecisionStore, StaffDecision
from ksef_sheets.sync.invoice_store import (
    _COLUMNS,
    ArchivedInvoice,
    BatchResult,
    IncomingInvoice,
    InvoiceStore,
)

# What the rest of the project (and the tests) take from here; the package's own face is
# ``ksef_sheets.sync.__all__``.
__all__ = [
    "SUBJECT_TYPE_NAMES",
    "Archive",
    "ArchivedInvoice",
    "AuditEntry",
    "BatchResult",
    "IncomingInvoice",
    "IndexEntry",
    "IndexListing",
    "StaffDecision",
    "SyncState",
    "damaged_index_error",
    "parse_ksef_datetime",
    "sha256_b64",
]


class IndexEntry(NamedTuple):
    """One invoice of the index, for a caller that passes over every invoice of a client and needs
    only a few as ``ArchivedInvoice`` (a workbook refresh: converting 20,000 rows costs more than
    the query). ``issue_date`` is the index's text.

    ``described`` is the invoice's whole index row but the time it was fetched, as one text (a JSON
    array, or SQL literals where SQLite cannot make one): two entries with the same text were stored
    with the same metadata, hash and size.
    """

    ksef_number: str
    subject_type: str
    issue_date: str | None
    sha256: str
    size: int
    described: str


@dataclass(frozen=True)
class IndexListing:
    """A client's invoices as ``IndexEntry`` (by issue date, then KSeF number, as ``list_invoices``)."""

    client_dir: Path
    entries: list[IndexEntry]
    _get: Callable[[str], ArchivedInvoice | None]

    def invoice(self, entry: IndexEntry) -> ArchivedInvoice:
        """The entry as ``list_invoices`` gives it (one look-up in the index)."""
        found = self._get(entry.ksef_number)
        if found is None:  # only if the index was rebuilt meanwhile
            raise UserError(f"Faktury {entry.ksef_number} nie ma już w archiwum; uruchom polecenie ponownie.")
        return found

    def xml_file(self, entry: IndexEntry) -> str:
        """``str(self.invoice(entry).xml_path)`` without a look-up or a ``Path``."""
        return os.sep.join((str(self.client_dir), *_xml_place(entry.ksef_number)))


class Archive(InvoiceStore, DecisionStore):
    """The office's invoice archive. Open with ``Archive.open(folder)`` and use as a context manager."""

    @classmethod
    def open(cls, folder: OfficeFolder) -> Archive:
        """Open the archive of an office folder, creating it only for an office with no invoices yet.

        The index must know itself (the marker in ``archive_meta``) and pass SQLite's
        ``quick_check``. A missing, empty or unmarked index beside invoice files in ``archiwum/``
        or invoice workbooks (staff work) is refused, never silently created anew: that is how a
        lost index would wipe the office's decisions. A damaged one is refused too. Both point
        to ``ksef-sheets archive rebuild``.
        """
        folder.root.mkdir(parents=True, exist_ok=True)
        path = folder.database
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            size = 0
        except OSError as exc:
            raise UserError(f"Nie można otworzyć bazy archiwum {path}: {os_reason(exc)}.") from exc
        if size == 0:
            _refuse_new_index_if_office_has_work(folder)
        try:
            connection = _connect(path)
        except sqlite3.DatabaseError as exc:
            raise damaged_index_error(folder, exc) from exc
        try:
            _prepare(folder, connection)
        except BaseException:
            connection.close()
            raise
        restrict_database_files(folder)
        return cls(folder, connection)

    def index_listing(self, client_nip: str) -> IndexListing:
        """A client's invoices in one query, as ``IndexEntry``."""
        nip = _checked_nip(client_nip)
        with self._lock:
            try:
                rows = self._db.execute(_LISTING.format(described=_DESCRIBED), (nip,)).fetchall()
            except sqlite3.OperationalError:
                # An SQLite without JSON functions, or a value JSON cannot hold (a BLOB): the
                # slower literals (the texts differ, which only costs a refresh its kept rows).
                rows = self._db.execute(_LISTING.format(described=_QUOTED), (nip,)).fetchall()
        make = IndexEntry._make
        return IndexListing(
            self.folder.client_archive_dir(nip),
            [make(row) for row in rows],
            functools.partial(self.get_invoice, nip),
        )


_LISTING = (
    "SELECT ksef_number, subject_type, issue_date, sha256, size, "
    "{described} FROM invoices WHERE client_nip = ? ORDER BY issue_date, ksef_number"
)
# Every column of an invoice's index row but ``fetched_at``, as one text (see ``IndexEntry``): a
# JSON array (one call, half the query's time of 24 ``quote``s joined), else SQL literals.
_DESCRIBED_COLUMNS = [name.strip() for name in _COLUMNS.split(",") if name.strip() != "fetched_at"]
_DESCRIBED = f"json_array({', '.join(_DESCRIBED_COLUMNS)})"
_QUOTED = " || ',' || ".join(f"quote({name})" for name in _DESCRIBED_COLUMNS)


def _guarded(method: Any) -> Any:
    """Any SQLite failure inside an archive method becomes the Polish sentence (never a traceback)."""

    @functools.wraps(method)
    def wrapper(self: Archive, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.ProgrammingError, sqlite3.InterfaceError, sqlite3.IntegrityError):
            raise  # our own mistakes, not the file's
        except sqlite3.DatabaseError as exc:
            raise damaged_index_error(self.folder, exc) from exc

    return wrapper


# Every public method of every store, wherever in the stores it is defined.
for _name in dir(Archive):
    _member = inspect.getattr_static(Archive, _name)
    if (
        not _name.startswith("_")
        and callable(_member)
        and not isinstance(_member, (classmethod, staticmethod))
    ):
        setattr(Archive, _name, _guarded(_member))
