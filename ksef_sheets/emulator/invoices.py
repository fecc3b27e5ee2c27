"""The emulator's invoice store: FA(3) → metadata, the metadata query and single download.

- ``InvoiceStore`` (``emu.invoices``) keeps every accepted invoice once (seller = Podmiot1), with the
  metadata KSeF derives from it (PROTOCOL.md §25) and the dates KSeF assigns (invoicing,
  acquisition = KSeF number, permanent storage). Sending (``sessions.py``) and seeding (``seed.py``)
  put invoices in; the query, download and export endpoints read them.
- ``POST /invoices/query/metadata`` (§14): every filter of ``InvoiceQueryFilters``, paging, the
  10,000-record cap with ``isTruncated``, the 100-day window, Warsaw time for dates without an
  offset, ``permanentStorageHwmDate``.
- ``GET /invoices/ksef/{ksefNumber}`` (§13): the original bytes with ``x-ms-meta-hash``.

The shared wire helpers live in ``wire.py``, the FA(3) reading in ``invoice_xml.py``, the two routes
in ``invoice_routes.py``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from starlette.requests import Request

from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.invoice_xml import InvoiceFacts, parse_invoice
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.wire import (
    WARSAW,
    DateRange,
    QueryFilters,
    b64_sha256,
    iso_ms,
    parse_query_datetime,
    to_us,
    truncate_ms,
    within_query_span,
)
from ksef_sheets.identifiers import is_valid_ksef_number, make_ksef_number

FA3_FORM_CODE: dict[str, str] = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}

INVOICE_READ = {"InvoiceRead"}


def assign_ksef_number(seller_nip: str, accepted: datetime, rng: Random | None = None) -> str:
    """A new KSeF number: seller NIP, acceptance day (Warsaw), 12 random hex digits, CRC-8 (§12)."""
    technical = f"{rng.getrandbits(48):012X}" if rng is not None else secrets.token_hex(6).upper()
    return make_ksef_number(seller_nip, accepted.astimezone(WARSAW).date(), technical)


@dataclass(frozen=True)
class StoredInvoice:
    ksef_number: str
    invoice_hash: str
    invoicing_date: datetime
    acquisition_date: datetime
    permanent_storage_date: datetime
    invoicing_mode: str
    metadata: dict[str, Any]


@dataclass
class NewInvoice:
    """One invoice to store in bulk (``InvoiceStore.store_many``)."""

    xml: bytes
    accepted_at: datetime
    invoicing_at: datetime | None = None
    stored_at: datetime | None = None
    offline: bool = False
    session_ref: str | None = None
    hash_of_corrected: str | None = None
    facts: InvoiceFacts | None = None
    ksef_number: str | None = None  # given by seeding (which refers to it in later invoices); else assigned


SCHEMA = """
CREATE TABLE IF NOT EXISTS invoice (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ksef_number TEXT NOT NULL UNIQUE,
    seller_nip TEXT NOT NULL,
    buyer_type TEXT NOT NULL,
    buyer_value TEXT,
    invoice_number TEXT NOT NULL,
    fa_type TEXT NOT NULL,
    invoice_type TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    invoicing_us INTEGER NOT NULL,
    acquisition_us INTEGER NOT NULL,
    storage_us INTEGER NOT NULL,
    currency TEXT NOT NULL,
    gross REAL NOT NULL,
    net REAL NOT NULL,
    vat REAL NOT NULL,
    mode TEXT NOT NULL,
    self_invoicing INTEGER NOT NULL,
    has_attachment INTEGER NOT NULL,
    form_value TEXT NOT NULL,
    invoice_hash TEXT NOT NULL,
    session_ref TEXT,
    meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoice_seller_storage ON invoice(seller_nip, storage_us);
CREATE INDEX IF NOT EXISTS invoice_buyer_storage ON invoice(buyer_value, storage_us);
CREATE INDEX IF NOT EXISTS invoice_seller_invoicing ON invoice(seller_nip, invoicing_us);
CREATE INDEX IF NOT EXISTS invoice_buyer_invoicing ON invoice(buyer_value, invoicing_us);
CREATE INDEX IF NOT EXISTS invoice_seller_issue ON invoice(seller_nip, issue_date);
CREATE INDEX IF NOT EXISTS invoice_buyer_issue ON invoice(buyer_value, issue_date);
CREATE INDEX IF NOT EXISTS invoice_duplicate ON invoice(seller_nip, fa_type, invoice_number);
CREATE TABLE IF NOT EXISTS invoice_xml (
    ksef_number TEXT PRIMARY KEY,
    xml BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_party (
    ksef_number TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    identifier TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoice_party_lookup ON invoice_party(subject_type, identifier);
"""


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


_DATE_COLUMNS = {"Issue": "issue_date", "Invoicing": "invoicing_us", "PermanentStorage": "storage_us"}


@dataclass
class QueryPlan:
    """A validated filter set turned into SQL over ``invoice`` (shared by the query and exports)."""

    where: str
    params: list[Any]
    order_column: str
    hwm: datetime | None
    date_type: str


class InvoiceStore:
    """``emu.invoices``: store, look up and query invoices.

    Knobs for tests: ``query_cap`` (10,000 in KSeF), ``storage_delay`` (acquisition → permanent
    storage), ``hwm_lag`` (how far ``permanentStorageHwmDate`` trails the clock).
    """

    def __init__(self, rt: Runtime) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db: sqlite3.Connection = rt.db
        self.query_cap = 10_000
        self.storage_delay = timedelta(milliseconds=500)
        self.hwm_lag = timedelta(seconds=1)
        init_schema(self.db)

    # -- writing ---------------------------------------------------------------------------

    def store(
        self,
        xml: bytes,
        *,
        accepted_at: datetime,
        invoicing_at: datetime | None = None,
        stored_at: datetime | None = None,
        offline: bool = False,
        session_ref: str | None = None,
        hash_of_corrected: str | None = None,
        facts: InvoiceFacts | None = None,
        rng: Random | None = None,
    ) -> StoredInvoice:
        """Accept one invoice: assign its KSeF number and dates, keep its metadata and bytes."""
        item = NewInvoice(
            xml, accepted_at, invoicing_at, stored_at, offline, session_ref, hash_of_corrected, facts
        )
        return self.store_many([item], rng=rng)[0]

    def store_many(self, items: Sequence[NewInvoice], *, rng: Random | None = None) -> list[StoredInvoice]:
        """Bulk variant (one transaction, ``executemany``); ``rng`` makes KSeF numbers reproducible."""
        rows, xml_rows, party_rows, out = [], [], [], []
        for item in items:
            facts = item.facts or parse_invoice(item.xml)
            accepted = truncate_ms(item.accepted_at)
            invoicing = truncate_ms(item.invoicing_at or accepted)
            stored = truncate_ms(item.stored_at or accepted + self.storage_delay)
            ksef_number = item.ksef_number or assign_ksef_number(facts.seller_nip, accepted, rng)
            offline = item.offline or facts.issue_date < invoicing.astimezone(WARSAW).date()
            mode = "Offline" if offline else "Online"
            invoice_hash = b64_sha256(item.xml)
            meta = self._metadata(facts, ksef_number, invoicing, accepted, stored, mode, invoice_hash, item)
            rows.append(
                (
                    ksef_number,
                    facts.seller_nip,
                    facts.buyer_type,
                    facts.buyer_value,
                    facts.invoice_number,
                    facts.fa_type,
                    facts.invoice_type,
                    facts.issue_date.isoformat(),
                    to_us(invoicing),
                    to_us(accepted),
                    to_us(stored),
                    facts.currency,
                    meta["grossAmount"],
                    meta["netAmount"],
                    meta["vatAmount"],
                    mode,
                    int(facts.is_self_invoicing),
                    int(facts.has_attachment),
                    facts.form_code.get("value") or "FA",
                    invoice_hash,
                    item.session_ref,
                    json.dumps(meta, ensure_ascii=False, separators=(",", ":")),
                )
            )
            xml_rows.append((ksef_number, item.xml))
            for third in facts.third_subjects:
                value = third["identifier"].get("value")
                if value:
                    party_rows.append((ksef_number, "Subject3", value))
            if facts.authorized:
                party_rows.append((ksef_number, "SubjectAuthorized", facts.authorized["nip"]))
            out.append(StoredInvoice(ksef_number, invoice_hash, invoicing, accepted, stored, mode, meta))
        db = self.db
        in_transaction = db.in_transaction
        if not in_transaction:
            db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT INTO invoice(ksef_number, seller_nip, buyer_type, buyer_value, invoice_number, fa_type,"
                " invoice_type, issue_date, invoicing_us, acquisition_us, storage_us, currency, gross, net, vat,"
                " mode, self_invoicing, has_attachment, form_value, invoice_hash, session_ref, meta)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            db.executemany("INSERT INTO invoice_xml(ksef_number, xml) VALUES(?, ?)", xml_rows)
            db.executemany(
                "INSERT INTO invoice_party(ksef_number, subject_type, identifier) VALUES(?, ?, ?)", party_rows
            )
            if not in_transaction:
                db.execute("COMMIT")
        except BaseException:
            if not in_transaction:
                db.execute("ROLLBACK")
            raise
        return out

    @staticmethod
    def _metadata(
        facts: InvoiceFacts,
        ksef_number: str,
        invoicing: datetime,
        accepted: datetime,
        stored: datetime,
        mode: str,
        invoice_hash: str,
        item: NewInvoice,
    ) -> dict[str, Any]:
        seller: dict[str, Any] = {"nip": facts.seller_nip}
        if facts.seller_name:
            seller["name"] = facts.seller_name[:512]
        identifier: dict[str, Any] = {"type": facts.buyer_type}
        if facts.buyer_value:
            identifier["value"] = facts.buyer_value
        buyer: dict[str, Any] = {"identifier": identifier}
        if facts.buyer_name:
            buyer["name"] = facts.buyer_name[:512]
        meta: dict[str, Any] = {
            "ksefNumber": ksef_number,
            "invoiceNumber": facts.invoice_number,
            "issueDate": facts.issue_date.isoformat(),
            "invoicingDate": iso_ms(invoicing),
            "acquisitionDate": iso_ms(accepted),
            "permanentStorageDate": iso_ms(stored),
            "seller": seller,
            "buyer": buyer,
            "netAmount": float(round(facts.net, 2)),
            "grossAmount": float(round(facts.gross, 2)),
            "vatAmount": float(round(facts.vat, 2)),
            "currency": facts.currency,
            "invoicingMode": mode,
            "invoiceType": facts.invoice_type,
            "formCode": dict(facts.form_code) if facts.form_code.get("systemCode") else dict(FA3_FORM_CODE),
            "isSelfInvoicing": facts.is_self_invoicing,
            "hasAttachment": facts.has_attachment,
            "invoiceHash": invoice_hash,
            "thirdSubjects": facts.third_subjects,
        }
        if item.hash_of_corrected:
            meta["hashOfCorrectedInvoice"] = item.hash_of_corrected
        if facts.authorized:
            meta["authorizedSubject"] = facts.authorized
        return meta

    # -- reading ---------------------------------------------------------------------------

    def find_duplicate(
        self, seller_nip: str, fa_type: str, invoice_number: str
    ) -> tuple[str, str | None] | None:
        """(ksefNumber, session reference) of an earlier invoice with the same seller, type and P_2."""
        row = self.db.execute(
            "SELECT ksef_number, session_ref FROM invoice WHERE seller_nip = ? AND fa_type = ? AND invoice_number = ?",
            (seller_nip, fa_type, invoice_number),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def get(self, ksef_number: str) -> tuple[dict[str, Any], bytes] | None:
        row = self.db.execute(
            "SELECT i.meta, x.xml FROM invoice i JOIN invoice_xml x USING(ksef_number) WHERE i.ksef_number = ?",
            (ksef_number,),
        ).fetchone()
        return (json.loads(row[0]), bytes(row[1])) if row else None

    def xml_of(self, ksef_numbers: Sequence[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for start in range(0, len(ksef_numbers), 500):
            chunk = list(ksef_numbers[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for number, xml in self.db.execute(
                f"SELECT ksef_number, xml FROM invoice_xml WHERE ksef_number IN ({marks})",  # noqa: S608 - placeholders only
                chunk,
            ):
                out[number] = bytes(xml)
        return out

    def visible_to(self, ksef_number: str, context_value: str) -> bool:
        row = self.db.execute(
            "SELECT seller_nip, buyer_value FROM invoice WHERE ksef_number = ?", (ksef_number,)
        ).fetchone()
        if row is None:
            return False
        if context_value in (row[0], row[1]):
            return True
        return (
            self.db.execute(
                "SELECT 1 FROM invoice_party WHERE ksef_number = ? AND identifier = ?",
                (ksef_number, context_value),
            ).fetchone()
            is not None
        )

    def hwm(self) -> datetime:
        """``permanentStorageHwmDate``: everything stored up to it is complete and will not change."""
        return truncate_ms(self.clock.now() - self.hwm_lag)

    def _window(
        self, rng: DateRange, now: datetime, request: Request
    ) -> tuple[datetime, datetime, datetime | None]:
        """``(start, end, permanentStorageHwmDate)`` of a query's ``dateRange``, checked.

        The HWM reported for a ``PermanentStorage`` query is the window's upper bound when the window
        lies wholly below the current HWM ("Dla okresów starszych, będzie to zgodne z warunkami
        zapytania", openapi.json ``InvoicePackage.permanentStorageHwmDate``), else the current HWM.
        """
        try:
            start = parse_query_datetime(rng.from_)
            end = parse_query_datetime(rng.to) if rng.to else now
        except ValueError as exc:
            raise validation_error([f"dateRange: nieprawidłowa data ({exc})."], request=request) from None
        current_hwm = self.hwm()
        if rng.restrict_to_hwm and start > current_hwm:
            raise bad_request(
                21183,
                "Zakres filtrowania wykracza poza dostępny zakres danych.",
                [
                    "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym "
                    "restrictToPermanentStorageHwmDate."
                ],
                request=request,
            )
        if end < start:
            raise validation_error(["dateRange: data 'to' jest wcześniejsza niż 'from'."], request=request)
        if not within_query_span(start, end):
            raise validation_error(
                ["dateRange: zakres dat nie może przekraczać 100 dni (UTC)."], request=request
            )
        if rng.restrict_to_hwm:
            end = min(end, current_hwm)
        hwm = min(truncate_ms(end), current_hwm) if rng.date_type == "PermanentStorage" else None
        return start, end, hwm

    def plan(self, filters: QueryFilters, context_value: str, request: Request) -> QueryPlan:
        """Validate the filter set (100-day window, HWM) and build its SQL; raises KSeF's 400s."""
        now = self.clock.now()
        rng = filters.date_range
        start, end, hwm = self._window(rng, now, request)
        if filters.ksef_number is not None and not is_valid_ksef_number(filters.ksef_number):
            raise validation_error(["ksefNumber: nieprawidłowy numer KSeF."], request=request)
        where = ["i.storage_us <= ?"]
        params: list[Any] = [to_us(now)]
        subject = filters.subject_type
        if subject == "Subject1":
            where.append("i.seller_nip = ?")
            params.append(context_value)
        elif subject == "Subject2":
            where.append("i.buyer_value = ?")
            params.append(context_value)
        else:
            where.append(
                "i.ksef_number IN (SELECT ksef_number FROM invoice_party WHERE subject_type = ? AND identifier = ?)"
            )
            params += [subject, context_value]
        column = _DATE_COLUMNS[rng.date_type]
        if rng.date_type == "Issue":
            where.append("i.issue_date >= ? AND i.issue_date <= ?")
            params += [start.astimezone(WARSAW).date().isoformat(), end.astimezone(WARSAW).date().isoformat()]
        else:
            where.append(f"i.{column} >= ? AND i.{column} <= ?")
            params += [to_us(start), to_us(end)]
        _filter_clauses(filters, where, params)
        return QueryPlan(" AND ".join(where), params, column, hwm, rng.date_type)

    def select(
        self,
        plan: QueryPlan,
        *,
        descending: bool = False,
        offset: int = 0,
        limit: int = 10,
        columns: str = "i.meta",
    ) -> list[sqlite3.Row]:
        direction = "DESC" if descending else "ASC"
        order = f"i.{plan.order_column} {direction}"
        if plan.order_column == "issue_date":
            order += f", i.storage_us {direction}"
        sql = (
            f"SELECT {columns} FROM invoice i WHERE {plan.where} ORDER BY {order}, i.seq {direction}"  # noqa: S608 - fixed columns
            " LIMIT ? OFFSET ?"
        )
        return self.db.execute(sql, [*plan.params, limit, offset]).fetchall()

    def query_page(
        self, plan: QueryPlan, *, page_offset: int, page_size: int, descending: bool
    ) -> tuple[list[str], bool, bool]:
        """(invoices as stored JSON texts, hasMore, isTruncated) for one page under the record cap."""
        cap = self.query_cap
        start = page_offset * page_size
        if start >= cap:
            beyond = self.select(plan, descending=descending, offset=cap, limit=1, columns="1")
            return [], bool(beyond), bool(beyond)
        end = min(start + page_size, cap)
        rows = self.select(plan, descending=descending, offset=start, limit=end - start + 1)
        more = len(rows) > end - start
        return [row[0] for row in rows[: end - start]], more, more and end == cap


def _filter_clauses(filters: QueryFilters, where: list[str], params: list[Any]) -> None:
    """The optional filters of ``InvoiceQueryFilters`` as SQL conditions on ``invoice i``."""
    if filters.ksef_number:
        where.append("i.ksef_number = ?")
        params.append(filters.ksef_number)
    if filters.invoice_number:
        where.append("i.invoice_number = ?")
        params.append(filters.invoice_number)
    if filters.amount is not None:
        amount_column = {"Brutto": "gross", "Netto": "net", "Vat": "vat"}[filters.amount.type]
        if filters.amount.from_ is not None:
            where.append(f"i.{amount_column} >= ?")
            params.append(filters.amount.from_)
        if filters.amount.to is not None:
            where.append(f"i.{amount_column} <= ?")
            params.append(filters.amount.to)
    if filters.seller_nip:
        where.append("i.seller_nip = ?")
        params.append(filters.seller_nip)
    if filters.buyer_identifier is not None:
        where.append("i.buyer_type = ?")
        params.append(filters.buyer_identifier.type)
        if filters.buyer_identifier.value:
            where.append("i.buyer_value = ?")
            params.append(filters.buyer_identifier.value)
    if filters.currency_codes:
        where.append(f"i.currency IN ({','.join('?' * len(filters.currency_codes))})")
        params += filters.currency_codes
    if filters.invoicing_mode:
        where.append("i.mode = ?")
        params.append(filters.invoicing_mode)
    if filters.is_self_invoicing is not None:
        where.append("i.self_invoicing = ?")
        params.append(int(filters.is_self_invoicing))
    if filters.form_type:
        where.append("i.form_value = ?")
        params.append(filters.form_type)
    if filters.invoice_types:
        where.append(f"i.invoice_type IN ({','.join('?' * len(filters.invoice_types))})")
        params += filters.invoice_types
    if filters.has_attachment is not None:
        where.append("i.has_attachment = ?")
        params.append(int(filters.has_attachment))


def chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
