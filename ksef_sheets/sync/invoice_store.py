"""The archive's invoices: original XML files in ``archiwum/`` and their rows in the index.

Layout in the office folder:

- ``archiwum/<client NIP>/<YYYY>/<MM>/<KSeF number>.xml`` — the invoice exactly as KSeF sent it,
  never modified. Year and month come from the KSeF number (the date KSeF accepted the invoice),
  so a file's place follows from the number alone.
- ``archiwum/<client NIP>/metadane-ksef.jsonl`` — KSeF's metadata of every stored invoice (one
  JSON object a line, appended batch by batch): what lets ``archive rebuild`` restore an index.
- the ``invoices`` table of ``ksef.sqlite`` — one row per (KSeF number, client NIP): a client's
  purchase invoice can also be another client's sales invoice.

Guarantees:

- Writes are idempotent by (KSeF number, client NIP): storing an invoice twice changes nothing.
- A batch is one SQLite transaction, and its XML files are written (and flushed to disk) before
  the transaction commits, so a crash can leave a file without an index row (picked up again on
  the next fetch) but never an index row without its file. The sync checkpoint of a batch is
  committed in the same transaction as its rows, so a resumed fetch has neither gaps nor
  duplicates.
- KSeF numbers become file names only after their format and checksum are verified, so a hostile
  name in an export package cannot point outside the archive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import is_valid_ksef_number, normalize_nip
from ksef_sheets.sync.archive_files import same_bytes, write_batch
from ksef_sheets.sync.archive_values import (
    DONE_STATUSES,
    _checked_ksef_number,
    _checked_nip,
    _checked_subject,
    _date,
    _decimal_text,
    _dt,
    _json_default,
    _mapping,
    _now,
    _path_in,
    _text,
    _utc_index_text,
    _utc_text,
    sha256_b64,
)
from ksef_sheets.sync.checkpoints import CheckpointStore

# The per-client file beside the invoices with KSeF's metadata of every stored invoice (one JSON
# object a line, appended batch by batch): what lets ``archive rebuild`` restore an index exactly.
METADATA_LOG = "metadane-ksef.jsonl"
# KSeF's own cap is 3 MB for an invoice with attachments (PROTOCOL §11); anything bigger is not
# an invoice and is refused before it reaches the disk.
MAX_INVOICE_BYTES = 3_000_000 + 64_000


@dataclass(frozen=True)
class ArchivedInvoice:
    """One invoice of one client as the index knows it; ``xml_path`` is the original file."""

    client_nip: str
    subject_type: str
    ksef_number: str
    invoice_number: str | None
    issue_date: date | None
    invoicing_date: datetime | None
    acquisition_date: datetime | None
    permanent_storage_date: datetime | None
    seller_nip: str | None
    seller_name: str | None
    buyer_identifier_type: str | None
    buyer_identifier: str | None
    buyer_name: str | None
    net_amount: Decimal | None
    vat_amount: Decimal | None
    gross_amount: Decimal | None
    currency: str | None
    invoice_type: str | None
    form_code: str | None
    invoicing_mode: str | None
    is_self_invoicing: bool
    has_attachment: bool
    sha256: str  # Base64 SHA-256 of the XML bytes, as KSeF's ``invoiceHash``
    size: int
    fetched_at: datetime
    xml_path: Path

    @property
    def is_offline(self) -> bool:
        return (self.invoicing_mode or "").lower() == "offline"


@dataclass
class IncomingInvoice:
    """One invoice as received from KSeF, waiting to be stored (``metadata`` = ``InvoiceMetadata``)."""

    ksef_number: str
    xml: bytes
    metadata: Mapping[str, Any] = field(default_factory=dict)
    # The Base64 SHA-256 of ``xml`` when the caller already computed it over these very bytes (the
    # KSeF client checks each invoice of an export package against ``_metadata.json``): the
    # archive then takes it instead of hashing the bytes again. None: the archive computes it.
    sha256: str | None = None


@dataclass
class BatchResult:
    """What ``add_invoices`` did: KSeF numbers stored now, already there, and refused (with a reason)."""

    new: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Batch:
    """A batch sorted out before anything is written: the result, index rows and files to write."""

    result: BatchResult = field(default_factory=BatchResult)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    files: list[tuple[Path, bytes]] = field(default_factory=list)
    # Files already there with the same bytes but no index row (a killed run's): flushed, not rewritten.
    orphans: list[Path] = field(default_factory=list)


class InvoiceStore(CheckpointStore):
    """The invoices of the archive (a part of ``Archive``).

    Built on the checkpoints: a batch moves its client's checkpoint in the batch's own transaction.
    """

    def xml_path(self, client_nip: str, ksef_number: str) -> Path:
        """Where the original XML of an invoice of a client is (or will be) stored."""
        nip = _checked_nip(client_nip)
        number = _checked_ksef_number(ksef_number)
        return _path_in(self.folder.client_archive_dir(nip), number)

    # -- invoices --------------------------------------------------------------------------

    def add_invoice(
        self,
        client_nip: str,
        subject_type: str,
        ksef_number: str,
        xml: bytes,
        metadata: Mapping[str, Any],
    ) -> bool:
        """Store one invoice; True when it was not in the archive before.

        Raises ``UserError`` when it cannot be stored (bad number, hash differing from KSeF's).
        """
        result = self.add_invoices(client_nip, subject_type, [IncomingInvoice(ksef_number, xml, metadata)])
        if result.refused:
            raise UserError(result.refused[0][1])
        return bool(result.new)

    def add_invoices(
        self,
        client_nip: str,
        subject_type: str,
        invoices: Iterable[IncomingInvoice],
        *,
        checkpoint: datetime | None = None,
    ) -> BatchResult:
        """Store a batch of one client's invoices in one transaction; optionally move the checkpoint.

        The XML files are written and flushed first, then the index rows and ``checkpoint`` (the
        new high-water mark of ``client_nip``/``subject_type``) are committed together. Invoices
        that cannot be trusted (bad KSeF number, hash differing from KSeF's ``invoiceHash``, not
        XML) are refused and listed, the rest is stored — and then the checkpoint is not moved.
        """
        nip = _checked_nip(client_nip)
        subject = _checked_subject(subject_type)
        items = invoices_list(invoices)
        with self._lock:
            known = self._known_hashes(nip, [inv.ksef_number for inv in items])
        base = self.folder.client_archive_dir(nip)
        batch = _sort_batch(nip, subject, base, items, known)
        also_sync = list(batch.orphans)
        if batch.rows:
            also_sync.append(self._log_metadata(base, subject, batch.rows))
        write_batch(batch.files, also_sync)
        with self._transaction() as db:
            db.executemany(_INSERT_INVOICE, batch.rows)
            # A refused invoice keeps the checkpoint where it was: the window is fetched again
            # next time rather than an invoice being skipped forever.
            if checkpoint is not None and not batch.result.refused:
                self._store_checkpoint(db, nip, subject, checkpoint)
        return batch.result

    def _log_metadata(self, client_dir: Path, subject: str, rows: list[tuple[Any, ...]]) -> Path:
        """Append KSeF's metadata of a batch to the client's ``metadane-ksef.jsonl`` (for rebuilds).

        Written before the index commits, flushed with the batch's files (the caller fsyncs the
        returned log); a line for an invoice whose transaction was then lost is harmless (a rebuild
        only uses lines matching a file).
        """
        # Numbers, subject types and Base64 digests need no escaping; the metadata is JSON already.
        text = "".join(f'{{"n":"{row[0]}","s":"{subject}","h":"{row[22]}","m":{row[26]}}}\n' for row in rows)
        client_dir.mkdir(parents=True, exist_ok=True)
        log = client_dir / METADATA_LOG
        with self._log_lock, open(log, "ab") as fh:
            fh.write(text.encode("utf-8"))
        return log

    def _known_hashes(self, nip: str, numbers: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for number, digest in self._db.execute(
                f"SELECT ksef_number, sha256 FROM invoices WHERE client_nip = ? AND ksef_number IN ({marks})",  # noqa: S608 - only placeholders
                [nip, *chunk],
            ):
                found[number] = digest
        return found

    def known_numbers(self, client_nip: str, ksef_numbers: Iterable[str]) -> set[str]:
        """Which of these KSeF numbers the client already has in the archive."""
        with self._lock:
            return set(self._known_hashes(_checked_nip(client_nip), list(ksef_numbers)))

    def has_invoice(self, client_nip: str, ksef_number: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM invoices WHERE client_nip = ? AND ksef_number = ?",
                (_checked_nip(client_nip), ksef_number),
            ).fetchone()
        return row is not None

    def list_invoices(
        self, client_nip: str, *, subject_type: str | None = None, year: int | None = None
    ) -> list[ArchivedInvoice]:
        """A client's invoices, ordered by issue date then KSeF number.

        ``year`` is the year of the issue date (P_1), or of KSeF's acceptance when the issue date
        is unknown — the year of the invoice workbook the invoice belongs in.
        """
        nip = _checked_nip(client_nip)
        sql = f"SELECT {_COLUMNS} FROM invoices WHERE client_nip = ?"  # noqa: S608 - fixed column list
        params: list[Any] = [nip]
        if subject_type is not None:
            sql += " AND subject_type = ?"
            params.append(_checked_subject(subject_type))
        if year is not None:
            sql += " AND period_year = ?"
            params.append(int(year))
        sql += " ORDER BY issue_date, ksef_number"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        base = self.folder.client_archive_dir(nip)
        return [self._invoice(row, base) for row in rows]

    def get_invoice(self, client_nip: str, ksef_number: str) -> ArchivedInvoice | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM invoices WHERE client_nip = ? AND ksef_number = ?",  # noqa: S608
                (_checked_nip(client_nip), ksef_number),
            ).fetchone()
        return self._invoice(row) if row else None

    def metadata_for(self, client_nip: str, ksef_number: str) -> dict[str, Any]:
        """KSeF's ``InvoiceMetadata`` for an archived invoice, as received (empty when none came)."""
        with self._lock:
            row = self._db.execute(
                "SELECT metadata_json FROM invoices WHERE client_nip = ? AND ksef_number = ?",
                (_checked_nip(client_nip), ksef_number),
            ).fetchone()
        if row is None:
            raise UserError(f"Faktury {ksef_number} klienta {client_nip} nie ma w archiwum.")
        data = json.loads(row[0])
        return data if isinstance(data, dict) else {}

    def count_invoices(self, client_nip: str | None = None) -> dict[tuple[str, str], int]:
        """Number of archived invoices per (client NIP, subject type)."""
        sql = "SELECT client_nip, subject_type, COUNT(*) FROM invoices"
        params: list[Any] = []
        if client_nip is not None:
            sql += " WHERE client_nip = ?"
            params.append(_checked_nip(client_nip))
        sql += " GROUP BY client_nip, subject_type"
        with self._lock:
            return {(n, s): c for n, s, c in self._db.execute(sql, params)}

    def count_awaiting(
        self,
        client_nip: str,
        *,
        subject_type: str = "Subject2",
        done_statuses: Iterable[str] = DONE_STATUSES,
    ) -> int:
        """Invoices of a client with no final staff decision yet (the register's "to verify")."""
        done = list(done_statuses)
        marks = ",".join("?" * len(done)) or "''"
        sql = (
            "SELECT COUNT(*) FROM invoices i LEFT JOIN decisions d "  # noqa: S608 - only placeholders
            "ON d.ksef_number = i.ksef_number AND d.client_nip = i.client_nip "
            f"WHERE i.client_nip = ? AND i.subject_type = ? AND (d.status IS NULL OR d.status NOT IN ({marks}))"
        )
        with self._lock:
            row = self._db.execute(
                sql, [_checked_nip(client_nip), _checked_subject(subject_type), *done]
            ).fetchone()
        return int(row[0])

    def ksef_numbers(self, client_nip: str, subject_type: str | None = None) -> set[str]:
        sql = "SELECT ksef_number FROM invoices WHERE client_nip = ?"
        params: list[Any] = [_checked_nip(client_nip)]
        if subject_type is not None:
            sql += " AND subject_type = ?"
            params.append(_checked_subject(subject_type))
        with self._lock:
            return {row[0] for row in self._db.execute(sql, params)}

    def read_xml(self, client_nip: str, ksef_number: str) -> bytes:
        """The original XML of an archived invoice; refuses a file that changed since it was stored."""
        invoice = self.get_invoice(client_nip, ksef_number)
        if invoice is None:
            raise UserError(f"Faktury {ksef_number} klienta {normalize_nip(client_nip)} nie ma w archiwum.")
        return self.read_entry_xml(invoice)

    def read_entry_xml(self, invoice: ArchivedInvoice) -> bytes:
        """``read_xml`` for an entry already listed (no second look-up in the index)."""
        try:
            data = invoice.xml_path.read_bytes()
        except FileNotFoundError as exc:
            raise UserError(
                f"Brak pliku {invoice.xml_path} w archiwum; uruchom ksef-sheets fetch, aby go odtworzyć."
            ) from exc
        if sha256_b64(data) != invoice.sha256:
            raise UserError(
                f"Plik {invoice.xml_path} został zmieniony po pobraniu z KSeF (inny skrót SHA-256)."
            )
        return data

    def _invoice(self, row: tuple[Any, ...], base: Path | None = None) -> ArchivedInvoice:
        """An index row as a value; numbers in the index were checked when stored."""
        (
            ksef_number,
            client_nip,
            subject_type,
            invoice_number,
            issue_date,
            invoicing_date,
            acquisition_date,
            permanent_storage_date,
            seller_nip,
            seller_name,
            buyer_identifier_type,
            buyer_identifier,
            buyer_name,
            net_amount,
            vat_amount,
            gross_amount,
            currency,
            invoice_type,
            form_code,
            invoicing_mode,
            is_self_invoicing,
            has_attachment,
            sha256,
            size,
            fetched_at,
        ) = row
        return ArchivedInvoice(
            client_nip=client_nip,
            subject_type=subject_type,
            ksef_number=ksef_number,
            invoice_number=invoice_number,
            issue_date=_date(issue_date),
            invoicing_date=_dt(invoicing_date),
            acquisition_date=_dt(acquisition_date),
            permanent_storage_date=_dt(permanent_storage_date),
            seller_nip=seller_nip,
            seller_name=seller_name,
            buyer_identifier_type=buyer_identifier_type,
            buyer_identifier=buyer_identifier,
            buyer_name=buyer_name,
            net_amount=Decimal(net_amount) if net_amount is not None else None,
            vat_amount=Decimal(vat_amount) if vat_amount is not None else None,
            gross_amount=Decimal(gross_amount) if gross_amount is not None else None,
            currency=currency,
            invoice_type=invoice_type,
            form_code=form_code,
            invoicing_mode=invoicing_mode,
            is_self_invoicing=bool(is_self_invoicing),
            has_attachment=bool(has_attachment),
            sha256=sha256,
            size=size,
            fetched_at=datetime.fromisoformat(fetched_at),
            xml_path=_path_in(base or self.folder.client_archive_dir(client_nip), ksef_number),
        )

    # -- sync state ------------------------------------------------------------------------


_COLUMNS = (
    "ksef_number, client_nip, subject_type, invoice_number, issue_date, invoicing_date, "
    "acquisition_date, permanent_storage_date, seller_nip, seller_name, buyer_identifier_type, "
    "buyer_identifier, buyer_name, net_amount, vat_amount, gross_amount, currency, invoice_type, "
    "form_code, invoicing_mode, is_self_invoicing, has_attachment, sha256, size, fetched_at"
)
_INSERT_INVOICE = (
    f"INSERT OR IGNORE INTO invoices ({_COLUMNS}, period_year, metadata_json) "  # noqa: S608 - fixed
    f"VALUES ({', '.join('?' * 27)})"
)


def invoices_list(invoices: Iterable[IncomingInvoice]) -> list[IncomingInvoice]:
    return invoices if isinstance(invoices, list) else list(invoices)


def _sort_batch(
    nip: str, subject: str, base: Path, items: list[IncomingInvoice], known: Mapping[str, str]
) -> _Batch:
    """Which invoices are new, already archived or refused; what to write. Each XML hashed once."""
    batch = _Batch()
    result = batch.result
    fetched_at = _utc_text(_now())
    seen: set[str] = set()
    for incoming in items:
        number = incoming.ksef_number
        problem = _invoice_problem(nip, incoming)
        digest = ""
        if problem is None:
            digest = incoming.sha256 or sha256_b64(incoming.xml)
            problem = _hash_problem(nip, incoming, digest)
        if problem:
            result.refused.append((number, problem))
            continue
        path = _path_in(base, number)  # the number was verified just above
        if number in known or number in seen:
            stored = known.get(number)
            if stored is not None and stored != digest:
                result.refused.append(
                    (
                        number,
                        f"Faktura {number} klienta {nip} jest już w archiwum z inną treścią "
                        "(inny skrót SHA-256); zachowano pierwotny plik.",
                    )
                )
                continue
            if not path.exists():
                # The index row survived a deleted file: restore the original bytes.
                batch.files.append((path, incoming.xml))
            result.existing.append(number)
            continue
        seen.add(number)
        if not path.exists():
            batch.files.append((path, incoming.xml))
        elif same_bytes(path, incoming.xml):
            batch.orphans.append(path)
        else:
            batch.files.append((path, incoming.xml))
        batch.rows.append(_index_row(nip, subject, number, incoming, digest, fetched_at))
        result.new.append(number)
    return batch


def _invoice_problem(nip: str, incoming: IncomingInvoice) -> str | None:
    number = incoming.ksef_number
    if not isinstance(number, str) or not is_valid_ksef_number(number):
        return f"Pominięto plik o nieprawidłowym numerze KSeF „{str(number)[:60]}” (klient {nip})."
    xml = incoming.xml
    if not isinstance(xml, bytes) or not xml.strip():
        return f"Faktura {number} klienta {nip} jest pusta."
    if len(xml) > MAX_INVOICE_BYTES:
        return f"Faktura {number} klienta {nip} przekracza limit rozmiaru KSeF ({len(xml)} B)."
    if not xml.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return f"Faktura {number} klienta {nip} nie jest dokumentem XML."
    meta = _mapping(incoming.metadata)
    meta_number = meta.get("ksefNumber")
    if meta_number is not None and meta_number != number:
        return f"Metadane faktury {number} klienta {nip} wskazują inny numer KSeF ({str(meta_number)[:60]})."
    return None


def _hash_problem(nip: str, incoming: IncomingInvoice, digest: str) -> str | None:
    """KSeF's ``invoiceHash`` against the bytes' SHA-256 (checked after every other check)."""
    expected = _mapping(incoming.metadata).get("invoiceHash")
    if isinstance(expected, str) and expected and expected != digest:
        return (
            f"Faktura {incoming.ksef_number} klienta {nip} ma inny skrót SHA-256 niż podał KSeF; "
            "plik nie został zapisany."
        )
    return None


def _index_row(
    nip: str,
    subject: str,
    number: str,
    incoming: IncomingInvoice,
    digest: str,
    fetched_at: str | None,
) -> tuple[Any, ...]:
    meta = _mapping(incoming.metadata)
    seller = _mapping(meta.get("seller"))
    buyer = _mapping(meta.get("buyer"))
    buyer_id = _mapping(buyer.get("identifier"))
    form = _mapping(meta.get("formCode"))
    issue = _date(meta.get("issueDate"))
    form_text = None
    if form:
        form_text = _text(
            f"{form.get('systemCode', '')} {form.get('schemaVersion', '')} {form.get('value', '')}".strip()
        )
    period_year = issue.year if issue else int(number.split("-")[1][:4])
    return (
        number,
        nip,
        subject,
        _text(meta.get("invoiceNumber"), 256),
        issue.isoformat() if issue else None,
        _utc_index_text(meta.get("invoicingDate")),
        _utc_index_text(meta.get("acquisitionDate")),
        _utc_index_text(meta.get("permanentStorageDate")),
        _text(seller.get("nip"), 20),
        _text(seller.get("name")),
        _text(buyer_id.get("type"), 20),
        _text(buyer_id.get("value"), 50),
        _text(buyer.get("name")),
        _decimal_text(meta.get("netAmount")),
        _decimal_text(meta.get("vatAmount")),
        _decimal_text(meta.get("grossAmount")),
        _text(meta.get("currency"), 3),
        _text(meta.get("invoiceType"), 20),
        form_text,
        _text(meta.get("invoicingMode"), 20),
        1 if meta.get("isSelfInvoicing") is True else 0,
        1 if meta.get("hasAttachment") is True else 0,
        digest,
        len(incoming.xml),
        fetched_at,
        period_year,
        _METADATA_JSON.encode(meta if type(meta) is dict else dict(meta)),
    )


# json.dumps(..., ensure_ascii=False, default=...) builds an encoder on every call (over half its
# time for one invoice's metadata); one encoder with the same settings gives the same text.
_METADATA_JSON = json.JSONEncoder(ensure_ascii=False, default=_json_default)
