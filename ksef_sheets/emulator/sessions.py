"""Sending invoices: online and batch sessions, session/invoice status and UPO (PROTOCOL.md §8–§11, §24).

Online: ``POST /sessions/online`` (formCode + RSA-OAEP-wrapped AES key) → ``…/invoices`` (checks the
declared hashes and sizes, then processes asynchronously: decrypt, XML and XSD checks, permission
to issue for the seller, P_1 not after acceptance, duplicate by seller NIP + RodzajFaktury + P_2,
KSeF number, offline marking) → ``…/close`` → collective UPO.
Batch: ``POST /sessions/batch`` → PUT the encrypted parts to signed storage links (no token) →
``…/close`` → the package is decrypted, checked, unpacked (zip or tar.gz, entries checked) and
every invoice processed as above with ``invoicingDate`` = the session's opening time.

Processing runs on the server's event loop right after the request that triggers it, so a client
sees status 100 and then the result, as on KSeF. Session AES keys live only in memory.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import sqlite3
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.invoices import (
    WARSAW,
    EncryptionInfo,
    InvoiceStore,
    InvoiceXmlError,
    _Body,
    aes_decrypt,
    b64_sha256,
    check_public_key_id,
    from_us,
    invoice_facts,
    iso_ms,
    parse_query_datetime,
    parse_xml,
    query_int,
    read_body,
    to_us,
    truncate_ms,
    unwrap_symmetric_key,
)
from ksef_sheets.emulator.upo import (
    LINK_LIFETIME,
    UPO_PAGE_SIZE,
    UpoAuthentication,
    UpoDocument,
    build_upo,
    check_link,
    signed_link,
    storage_not_found,
    xml_response,
)

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

WRITE_PERMISSIONS = {"InvoiceWrite", "PefInvoiceWrite", "EnforcementOperations"}
BATCH_PERMISSIONS = {"InvoiceWrite", "EnforcementOperations"}
STATUS_PERMISSIONS = {"InvoiceWrite", "Introspection", "PefInvoiceWrite", "EnforcementOperations"}
ALL_SESSIONS_PERMISSIONS = {"Introspection", "EnforcementOperations"}

ONLINE_LIFETIME = timedelta(hours=12)
BATCH_WINDOW_PER_PART = timedelta(minutes=20)
MAX_PARTS = 50
MAX_PART_BYTES = 100_000_000
MAX_ARCHIVE_BYTES = 5_000_000_000
MAX_ENTRY_BYTES = 3_000_000

FORM_CODES = {
    ("FA (3)", "1-0E", "FA"),
    ("FA (2)", "1-0E", "FA"),
    ("PEF (3)", "2-1", "PEF"),
    ("PEF_KOR (3)", "2-1", "PEF"),
    ("FA_RR (1)", "1-1E", "FA_RR"),
}
SUPPORTED_FORM = ("FA (3)", "1-0E", "FA")

ONLINE_STATUS = {
    100: "Sesja interaktywna otwarta",
    170: "Sesja interaktywna zamknięta",
    200: "Sesja interaktywna przetworzona pomyślnie",
    415: "Błąd odszyfrowania dostarczonego klucza",
    440: "Sesja anulowana",
    445: "Błąd weryfikacji, brak poprawnych faktur",
}
BATCH_STATUS = {
    100: "Sesja wsadowa rozpoczęta",
    150: "Trwa przetwarzanie",
    200: "Sesja wsadowa przetworzona pomyślnie",
    405: "Błąd weryfikacji poprawności dostarczonych elementów paczki",
    415: "Błąd odszyfrowania dostarczonego klucza",
    420: "Przekroczony limit faktur w sesji",
    430: "Błąd dekompresji pierwotnego archiwum",
    435: "Błąd odszyfrowania zaszyfrowanych części archiwum",
    440: "Sesja anulowana",
    445: "Błąd weryfikacji, brak poprawnych faktur",
}
INVOICE_STATUS = {
    100: "Faktura przyjęta do dalszego przetwarzania",
    150: "Trwa przetwarzanie",
    200: "Sukces",
    405: "Przetwarzanie anulowane z powodu błędu sesji",
    410: "Nieprawidłowy zakres uprawnień",
    415: "Brak możliwości wysyłania faktury z załącznikiem",
    430: "Błąd weryfikacji pliku faktury",
    435: "Błąd odszyfrowania pliku",
    440: "Duplikat faktury",
    450: "Błąd weryfikacji semantyki dokumentu faktury",
    500: "Nieznany błąd (500)",
    550: "Operacja została anulowana przez system",
}
STATUS_GROUPS = {
    "InProgress": (100, 150, 170),
    "Succeeded": (200,),
    "Cancelled": (440,),
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS send_session (
    ref TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    context_type TEXT NOT NULL,
    context_value TEXT NOT NULL,
    subject TEXT NOT NULL,
    token_ref TEXT,
    auth_hash TEXT,
    form_code TEXT NOT NULL,
    offline INTEGER NOT NULL DEFAULT 0,
    batch_file TEXT,
    status INTEGER NOT NULL,
    status_details TEXT,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    closed_us INTEGER,
    valid_until_us INTEGER,
    deadline_us INTEGER
);
CREATE INDEX IF NOT EXISTS send_session_context ON send_session(context_value, kind, created_us);
CREATE TABLE IF NOT EXISTS session_invoice (
    ref TEXT PRIMARY KEY,
    session_ref TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    invoice_number TEXT,
    ksef_number TEXT,
    invoice_hash TEXT NOT NULL,
    file_name TEXT,
    invoicing_us INTEGER NOT NULL,
    acquisition_us INTEGER,
    storage_us INTEGER,
    mode TEXT,
    offline INTEGER NOT NULL DEFAULT 0,
    hash_of_corrected TEXT,
    status INTEGER NOT NULL,
    details TEXT,
    extensions TEXT,
    seller_nip TEXT,
    issue_date TEXT
);
CREATE INDEX IF NOT EXISTS session_invoice_session ON session_invoice(session_ref, ordinal);
CREATE INDEX IF NOT EXISTS session_invoice_hash ON session_invoice(invoice_hash);
CREATE INDEX IF NOT EXISTS session_invoice_ksef ON session_invoice(ksef_number);
CREATE TABLE IF NOT EXISTS upo_page (
    ref TEXT PRIMARY KEY,
    session_ref TEXT NOT NULL,
    page INTEGER NOT NULL
);
"""


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


# ---------------------------------------------------------------------------------------------
# request bodies


class FormCodeBody(_Body):
    system_code: str = Field(alias="systemCode")
    schema_version: str = Field(alias="schemaVersion")
    value: str


class OpenOnlineBody(_Body):
    form_code: FormCodeBody = Field(alias="formCode")
    encryption: EncryptionInfo


class SendInvoiceBody(_Body):
    invoice_hash: str = Field(alias="invoiceHash", min_length=44, max_length=44)
    invoice_size: int = Field(alias="invoiceSize", ge=1)
    encrypted_invoice_hash: str = Field(alias="encryptedInvoiceHash", min_length=44, max_length=44)
    encrypted_invoice_size: int = Field(alias="encryptedInvoiceSize", ge=1)
    encrypted_invoice_content: str = Field(alias="encryptedInvoiceContent")
    offline_mode: bool = Field(default=False, alias="offlineMode")
    hash_of_corrected: str | None = Field(
        default=None, alias="hashOfCorrectedInvoice", min_length=44, max_length=44
    )


class FilePartBody(_Body):
    ordinal_number: int = Field(alias="ordinalNumber", ge=1)
    file_size: int = Field(alias="fileSize", ge=1)
    file_hash: str = Field(alias="fileHash", min_length=44, max_length=44)


class BatchFileBody(_Body):
    file_size: int = Field(alias="fileSize", ge=1, le=MAX_ARCHIVE_BYTES)
    file_hash: str = Field(alias="fileHash", min_length=44, max_length=44)
    compression_type: Literal["Zip", "TarGz"] | None = Field(default=None, alias="compressionType")
    file_parts: list[FilePartBody] = Field(alias="fileParts", min_length=1)


class OpenBatchBody(_Body):
    form_code: FormCodeBody = Field(alias="formCode")
    batch_file: BatchFileBody = Field(alias="batchFile")
    encryption: EncryptionInfo
    offline_mode: bool = Field(default=False, alias="offlineMode")


# ---------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    status: int
    details: list[str] | None = None
    extensions: dict[str, str] | None = None


class SessionService:
    """``emu.sessions``: the state of sending sessions and the processing of their invoices."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.db = emu.db
        init_schema(self.db)
        self.store: InvoiceStore = emu.invoices
        self._keys: dict[str, tuple[bytes, bytes]] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self.batch_dir = emu.state_dir / "batch"

    # -- helpers ---------------------------------------------------------------------------

    def now(self) -> datetime:
        return truncate_ms(self.emu.clock.now())

    def _schedule(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def expire_due(self, context_value: str) -> bool:
        """Close online sessions past ``validUntil`` and cancel batch sessions past their upload window."""
        now = to_us(self.emu.clock.now())
        online = self.db.execute(
            "SELECT ref FROM send_session WHERE context_value = ? AND kind = 'Online' AND status = 100"
            " AND valid_until_us < ?",
            (context_value, now),
        ).fetchall()
        batch = self.db.execute(
            "SELECT ref FROM send_session WHERE context_value = ? AND kind = 'Batch' AND status = 100"
            " AND deadline_us < ?",
            (context_value, now),
        ).fetchall()
        for (ref,) in online:
            self._close_online(ref)
        for (ref,) in batch:
            self._keys.pop(ref, None)
            self._set_status(ref, 440, ["Przekroczono czas wysyłki"])
        return bool(online or batch)

    def session_row(self, ref: str, ctx: AccessContext, request: Request) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM send_session WHERE ref = ?", (ref,)).fetchone()
        if row is None or row["context_value"] != ctx.context_value:
            raise bad_request(
                21173,
                "Brak sesji o wskazanym numerze referencyjnym.",
                [f"Sesja o numerze referencyjnym {ref} nie została znaleziona."],
                request=request,
            )
        if row["status"] == 100 and self.expire_due(row["context_value"]):
            row = self.db.execute("SELECT * FROM send_session WHERE ref = ?", (ref,)).fetchone()
        return row

    def _set_status(self, ref: str, status: int, details: list[str] | None = None) -> None:
        now = to_us(self.now())
        closed = now if status != 100 else None
        self.db.execute(
            "UPDATE send_session SET status = ?, status_details = ?, updated_us = ?,"
            " closed_us = COALESCE(closed_us, ?) WHERE ref = ?",
            (status, json.dumps(details) if details else None, now, closed, ref),
        )

    def _touch(self, ref: str) -> None:
        self.db.execute("UPDATE send_session SET updated_us = ? WHERE ref = ?", (to_us(self.now()), ref))

    def _open(
        self,
        kind: str,
        ctx: AccessContext,
        form: FormCodeBody,
        key: tuple[bytes, bytes] | None,
        *,
        offline: bool = False,
        batch_file: dict[str, Any] | None = None,
        parts: int = 0,
    ) -> tuple[str, datetime]:
        ref = self.emu.new_reference("SO" if kind == "Online" else "SB")
        now = self.now()
        valid_until = now + ONLINE_LIFETIME
        deadline = now + BATCH_WINDOW_PER_PART * max(parts, 1)
        status = 100 if key is not None else 415
        if key is not None:
            self._keys[ref] = key
        auth_hash = ctx.extra.get("auth_document_hash") if ctx.extra else None
        self.db.execute(
            "INSERT INTO send_session(ref, kind, context_type, context_value, subject, token_ref, auth_hash, form_code,"
            " offline, batch_file, status, created_us, updated_us, closed_us, valid_until_us, deadline_us)"
            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                ref,
                kind,
                ctx.context_type,
                ctx.context_value,
                ctx.subject_identifier,
                ctx.ksef_token_ref,
                auth_hash or b64_sha256(ctx.auth_ref.encode()),
                json.dumps(form.model_dump(by_alias=True)),
                int(offline),
                json.dumps(batch_file) if batch_file else None,
                status,
                to_us(now),
                to_us(now),
                to_us(now) if status != 100 else None,
                to_us(valid_until) if kind == "Online" else None,
                to_us(deadline) if kind == "Batch" else None,
            ),
        )
        return ref, (valid_until if kind == "Online" else deadline)

    # -- processing an invoice ---------------------------------------------------------------

    def _add_invoice(
        self,
        session_ref: str,
        invoice_hash: str,
        invoicing_at: datetime,
        *,
        offline: bool,
        hash_of_corrected: str | None = None,
        file_name: str | None = None,
    ) -> tuple[str, int]:
        ordinal = self.db.execute(
            "SELECT COALESCE(MAX(ordinal), 0) + 1 FROM session_invoice WHERE session_ref = ?", (session_ref,)
        ).fetchone()[0]
        ref = self.emu.new_reference("EE")
        self.db.execute(
            "INSERT INTO session_invoice(ref, session_ref, ordinal, invoice_hash, file_name, invoicing_us, offline,"
            " hash_of_corrected, status) VALUES(?,?,?,?,?,?,?,?,100)",
            (
                ref,
                session_ref,
                ordinal,
                invoice_hash,
                file_name,
                to_us(invoicing_at),
                int(offline),
                hash_of_corrected,
            ),
        )
        return ref, ordinal

    def _finish_invoice(self, ref: str, outcome: _Outcome, **fields: Any) -> None:
        sets = ["status = ?", "details = ?", "extensions = ?"]
        params: list[Any] = [
            outcome.status,
            json.dumps(outcome.details) if outcome.details else None,
            json.dumps(outcome.extensions) if outcome.extensions else None,
        ]
        for name, value in fields.items():
            sets.append(f"{name} = ?")
            params.append(value)
        self.db.execute(f"UPDATE session_invoice SET {', '.join(sets)} WHERE ref = ?", [*params, ref])  # noqa: S608

    def process_invoice(self, session: sqlite3.Row, inv_ref: str, plain: bytes, *, kind: str) -> None:
        """Verify one decrypted invoice and, when it passes, put it into the store (status 200)."""
        row = self.db.execute("SELECT * FROM session_invoice WHERE ref = ?", (inv_ref,)).fetchone()
        invoicing_at = from_us(row["invoicing_us"])
        number: str | None = None
        try:
            root = parse_xml(plain)
            try:
                facts = invoice_facts(root)
                number = facts.invoice_number
            except InvoiceXmlError:
                facts = None
            from ksef_sheets.fa3.schema import validate_tree

            problems = validate_tree(root.getroottree())
            if problems:
                details = [problem.describe() for problem in problems[:20]]
                self._finish_invoice(inv_ref, _Outcome(450, details), invoice_number=number)
                return
            if facts is None:
                facts = invoice_facts(root)
        except InvoiceXmlError as exc:
            self._finish_invoice(inv_ref, _Outcome(450, exc.details), invoice_number=number)
            return
        outcome = self._verify(session, facts, plain, invoicing_at, kind=kind, row=row)
        if outcome is not None:
            self._finish_invoice(
                inv_ref, outcome, invoice_number=facts.invoice_number, seller_nip=facts.seller_nip
            )
            return
        accepted = max(self.now(), invoicing_at)
        stored = self.store.store(
            plain,
            accepted_at=accepted,
            invoicing_at=invoicing_at,
            offline=bool(row["offline"]),
            session_ref=session["ref"],
            hash_of_corrected=row["hash_of_corrected"],
            facts=facts,
        )
        self._finish_invoice(
            inv_ref,
            _Outcome(200),
            invoice_number=facts.invoice_number,
            ksef_number=stored.ksef_number,
            acquisition_us=to_us(stored.acquisition_date),
            storage_us=to_us(stored.permanent_storage_date),
            mode=stored.invoicing_mode,
            seller_nip=facts.seller_nip,
            issue_date=facts.issue_date.isoformat(),
        )
        self._touch(session["ref"])

    def _verify(
        self,
        session: sqlite3.Row,
        facts: Any,
        plain: bytes,
        invoicing_at: datetime,
        *,
        kind: str,
        row: sqlite3.Row,
    ) -> _Outcome | None:
        form = json.loads(session["form_code"])
        declared = (form["systemCode"], form["schemaVersion"], form["value"])
        found = (facts.form_code["systemCode"], facts.form_code["schemaVersion"], facts.form_code["value"])
        if declared != found:
            return _Outcome(
                450,
                [f"Kod formularza faktury {found} nie zgadza się z kodem formularza sesji {declared}."],
            )
        limits = self.emu.context_limits.for_context(session["context_value"])
        group = limits.get("onlineSession" if kind == "Online" else "batchSession", {})
        cap_mb = group.get(
            "maxInvoiceWithAttachmentSizeInMB" if facts.has_attachment else "maxInvoiceSizeInMB", 1
        )
        if len(plain) > cap_mb * 1_000_000:
            return _Outcome(430, [f"Rozmiar faktury {len(plain)} B przekracza limit {cap_mb} MB."])
        if facts.has_attachment and kind == "Online" and not row["hash_of_corrected"]:
            return _Outcome(415, ["Faktury z załącznikiem można wysyłać wyłącznie w sesji wsadowej."])
        context = session["context_value"]
        allowed = context == facts.seller_nip
        allowed = allowed or (facts.is_self_invoicing and context == facts.buyer_value)
        allowed = allowed or (facts.authorized is not None and facts.authorized.get("nip") == context)
        if not allowed:
            return _Outcome(
                410,
                [
                    f"Kontekst {context} nie ma uprawnień do wystawiania faktur w imieniu sprzedawcy {facts.seller_nip}."
                ],
            )
        if facts.issue_date > invoicing_at.astimezone(WARSAW).date():
            return _Outcome(
                450,
                [
                    f"Data wystawienia faktury (P_1) {facts.issue_date} jest późniejsza niż data jej przyjęcia."
                ],
            )
        duplicate = self.store.find_duplicate(facts.seller_nip, facts.fa_type, facts.invoice_number)
        if duplicate is not None:
            original_number, original_session = duplicate
            return _Outcome(
                440,
                [f"Faktura o numerze {facts.invoice_number} została już przyjęta jako {original_number}."],
                {
                    "originalSessionReferenceNumber": original_session or "",
                    "originalKsefNumber": original_number,
                },
            )
        return None

    # -- online ------------------------------------------------------------------------------

    def _close_online(self, ref: str) -> None:
        self._set_status(ref, 170)
        self._keys.pop(ref, None)
        self._finish_session(ref)

    def _finish_session(self, ref: str) -> None:
        counts = self.db.execute(
            "SELECT COUNT(*), SUM(status = 200), SUM(status < 200) FROM session_invoice WHERE session_ref = ?",
            (ref,),
        ).fetchone()
        total, ok, pending = counts[0], counts[1] or 0, counts[2] or 0
        if pending:
            return  # finished later, when the last invoice is processed
        if total == 0:
            self._set_status(ref, 440, ["Nie przesłano faktur"])
        elif ok == 0:
            self._set_status(ref, 445)
        else:
            pages = (ok + UPO_PAGE_SIZE - 1) // UPO_PAGE_SIZE
            for page in range(1, pages + 1):
                self.db.execute(
                    "INSERT INTO upo_page(ref, session_ref, page) VALUES(?, ?, ?)",
                    (self.emu.new_reference("EU"), ref, page),
                )
            self._set_status(ref, 200)

    # -- views -------------------------------------------------------------------------------

    def invoice_json(self, row: sqlite3.Row) -> dict[str, Any]:
        status: dict[str, Any] = {"code": row["status"], "description": INVOICE_STATUS.get(row["status"], "")}
        if row["details"]:
            status["details"] = json.loads(row["details"])
        if row["extensions"]:
            status["extensions"] = json.loads(row["extensions"])
        out: dict[str, Any] = {
            "ordinalNumber": row["ordinal"],
            "invoiceNumber": row["invoice_number"],
            "ksefNumber": row["ksef_number"],
            "referenceNumber": row["ref"],
            "invoiceHash": row["invoice_hash"],
            "invoicingDate": iso_ms(from_us(row["invoicing_us"])),
            "status": status,
        }
        if row["file_name"]:
            out["invoiceFileName"] = row["file_name"]
        if row["status"] == 200:
            now = self.emu.clock.now()
            storage = from_us(row["storage_us"])
            expires = now + LINK_LIFETIME
            out.update(
                acquisitionDate=iso_ms(from_us(row["acquisition_us"])),
                permanentStorageDate=iso_ms(storage) if storage <= now else None,
                upoDownloadUrl=signed_link(
                    self.emu, "GET", f"/storage/upo/invoice/{row['session_ref']}/{row['ref']}", expires
                ),
                upoDownloadUrlExpirationDate=iso_ms(expires),
                invoicingMode=row["mode"],
            )
        return {k: v for k, v in out.items() if v is not None}

    def session_json(self, row: sqlite3.Row) -> dict[str, Any]:
        table = ONLINE_STATUS if row["kind"] == "Online" else BATCH_STATUS
        code = row["status"]
        status: dict[str, Any] = {"code": code, "description": table.get(code, f"Nieznany błąd ({code})")}
        if row["status_details"]:
            status["details"] = json.loads(row["status_details"])
        counts = self.db.execute(
            "SELECT COUNT(*), COALESCE(SUM(status = 200), 0), COALESCE(SUM(status >= 400), 0)"
            " FROM session_invoice WHERE session_ref = ?",
            (row["ref"],),
        ).fetchone()
        out: dict[str, Any] = {
            "status": status,
            "dateCreated": iso_ms(from_us(row["created_us"])),
            "dateUpdated": iso_ms(from_us(row["updated_us"])),
            "invoiceCount": counts[0],
            "successfulInvoiceCount": counts[1],
            "failedInvoiceCount": counts[2],
        }
        if row["valid_until_us"]:
            out["validUntil"] = iso_ms(from_us(row["valid_until_us"]))
        if code == 200:
            expires = self.emu.clock.now() + LINK_LIFETIME
            pages = self.db.execute(
                "SELECT ref FROM upo_page WHERE session_ref = ? ORDER BY page", (row["ref"],)
            ).fetchall()
            out["upo"] = {
                "pages": [
                    {
                        "referenceNumber": page[0],
                        "downloadUrl": signed_link(
                            self.emu, "GET", f"/storage/upo/session/{row['ref']}/{page[0]}", expires
                        ),
                        "downloadUrlExpirationDate": iso_ms(expires),
                    }
                    for page in pages
                ]
            }
        return out

    # -- UPO ---------------------------------------------------------------------------------

    def _auth(self, session: sqlite3.Row) -> UpoAuthentication:
        return UpoAuthentication(
            session["context_type"], session["context_value"], session["token_ref"], session["auth_hash"]
        )

    @staticmethod
    def _document(row: sqlite3.Row) -> UpoDocument:
        return UpoDocument(
            seller_nip=row["seller_nip"],
            ksef_number=row["ksef_number"],
            invoice_number=row["invoice_number"],
            issue_date=row["issue_date"],
            sent_at=from_us(row["invoicing_us"]),
            numbered_at=from_us(row["acquisition_us"]),
            invoice_hash=row["invoice_hash"],
            mode=row["mode"],
        )

    def invoice_upo(
        self, session_ref: str, inv_ref: str | None = None, ksef_number: str | None = None
    ) -> bytes | None:
        session = self.db.execute("SELECT * FROM send_session WHERE ref = ?", (session_ref,)).fetchone()
        if session is None:
            return None
        if inv_ref is not None:
            row = self.db.execute(
                "SELECT * FROM session_invoice WHERE ref = ? AND session_ref = ?", (inv_ref, session_ref)
            ).fetchone()
        else:
            row = self.db.execute(
                "SELECT * FROM session_invoice WHERE ksef_number = ? AND session_ref = ?",
                (ksef_number, session_ref),
            ).fetchone()
        if row is None or row["status"] != 200:
            return None
        form = json.loads(session["form_code"])
        return build_upo(
            session_ref, self._auth(session), [self._document(row)], form_system_code=form["systemCode"]
        )

    def session_upo(self, session_ref: str, upo_ref: str) -> bytes | None:
        session = self.db.execute("SELECT * FROM send_session WHERE ref = ?", (session_ref,)).fetchone()
        page_row = self.db.execute(
            "SELECT page FROM upo_page WHERE ref = ? AND session_ref = ?", (upo_ref, session_ref)
        ).fetchone()
        if session is None or page_row is None:
            return None
        page = page_row[0]
        total = self.db.execute(
            "SELECT COUNT(*) FROM session_invoice WHERE session_ref = ? AND status = 200", (session_ref,)
        ).fetchone()[0]
        rows = self.db.execute(
            "SELECT * FROM session_invoice WHERE session_ref = ? AND status = 200 ORDER BY ordinal LIMIT ? OFFSET ?",
            (session_ref, UPO_PAGE_SIZE, (page - 1) * UPO_PAGE_SIZE),
        ).fetchall()
        pages = (total + UPO_PAGE_SIZE - 1) // UPO_PAGE_SIZE
        first = (page - 1) * UPO_PAGE_SIZE + 1
        form = json.loads(session["form_code"])
        return build_upo(
            session_ref,
            self._auth(session),
            [self._document(row) for row in rows],
            page=(page, pages, first, first + len(rows), total),
            form_system_code=form["systemCode"],
        )

    def upo_for_link(self, kind: str, ref: str, item: str) -> bytes | None:
        if kind == "invoice":
            return self.invoice_upo(ref, inv_ref=item)
        if kind == "session":
            return self.session_upo(ref, item)
        return None

    # -- batch -------------------------------------------------------------------------------

    def part_path(self, ref: str, ordinal: int) -> Path:
        return self.batch_dir / ref / f"{ordinal:03d}.part"

    async def process_batch(self, ref: str) -> None:
        session = self.db.execute("SELECT * FROM send_session WHERE ref = ?", (ref,)).fetchone()
        key = self._keys.pop(ref, None)
        declared = json.loads(session["batch_file"])
        if key is None:
            self._set_status(ref, 415)
            return
        archive = bytearray()
        for part in sorted(declared["fileParts"], key=lambda p: p["ordinalNumber"]):
            data = self.part_path(ref, part["ordinalNumber"]).read_bytes()
            if b64_sha256(data) != part["fileHash"]:
                self._set_status(
                    ref, 405, [f"Skrót części {part['ordinalNumber']} nie zgadza się z zadeklarowanym."]
                )
                return
            try:
                archive += aes_decrypt(key[0], key[1], data)
            except ValueError:
                self._set_status(ref, 435, [f"Nie można odszyfrować części {part['ordinalNumber']}."])
                return
        if len(archive) != declared["fileSize"] or b64_sha256(bytes(archive)) != declared["fileHash"]:
            self._set_status(ref, 405, ["Rozmiar lub skrót paczki nie zgadza się z zadeklarowanym."])
            return
        try:
            entries = list(_archive_entries(bytes(archive), declared.get("compressionType") or "Zip"))
        except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
            self._set_status(ref, 430, [f"Nie można rozpakować paczki: {exc}"])
            return
        limits = self.emu.context_limits.for_context(session["context_value"]).get("batchSession", {})
        if len(entries) > limits.get("maxInvoices", 10_000):
            self._set_status(ref, 420)
            return
        invoicing_at = from_us(session["created_us"])
        for name, data in entries:
            inv_ref, _ = self._add_invoice(
                ref, b64_sha256(data), invoicing_at, offline=bool(session["offline"]), file_name=name[:128]
            )
            self.process_invoice(session, inv_ref, data, kind="Batch")
            await asyncio.sleep(0)
        ok = self.db.execute(
            "SELECT COUNT(*) FROM session_invoice WHERE session_ref = ? AND status = 200", (ref,)
        ).fetchone()[0]
        if not entries:
            self._set_status(ref, 440, ["Nie przesłano faktur"])
        elif ok == 0:
            self._set_status(ref, 445)
        else:
            self._finish_session(ref)


def _archive_entries(archive: bytes, compression: str) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each invoice file; hostile names and oversized entries are refused."""

    def check_name(name: str) -> str:
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise ValueError(f"niedozwolona nazwa pliku w paczce: {name!r}")
        return name

    if compression == "TarGz":
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            count = 0
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise ValueError(f"niedozwolony typ wpisu w paczce: {member.name!r}")
                count += 1
                if count > 10_001 or member.size > MAX_ENTRY_BYTES:
                    raise ValueError(f"wpis {member.name!r} jest zbyt duży lub wpisów jest zbyt wiele")
                handle = tar.extractfile(member)
                assert handle is not None
                yield check_name(member.name), handle.read(MAX_ENTRY_BYTES + 1)
        return
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        infos = [info for info in zf.infolist() if not info.is_dir()]
        if len(infos) > 10_001:
            raise ValueError("zbyt wiele plików w paczce")
        for info in infos:
            name = check_name(info.filename)
            if info.file_size > MAX_ENTRY_BYTES:
                raise ValueError(f"plik {name!r} jest zbyt duży")
            with zf.open(info) as handle:
                data = handle.read(MAX_ENTRY_BYTES + 1)
            if len(data) > MAX_ENTRY_BYTES:
                raise ValueError(f"plik {name!r} jest zbyt duży")
            yield name, data


def _form_or_error(form: FormCodeBody, request: Request) -> None:
    code = (form.system_code, form.schema_version, form.value)
    if code not in FORM_CODES:
        raise validation_error([f"formCode: nieznany kod formularza {code}."], request=request)
    if code != SUPPORTED_FORM:
        raise validation_error(
            [f"formCode: emulator przyjmuje wyłącznie FA (3) / 1-0E / FA, otrzymano {code}."], request=request
        )


def _continuation(request: Request) -> int:
    token = request.headers.get("x-continuation-token")
    if not token:
        return 0
    try:
        data = json.loads(base64.b64decode(token, validate=True))
        offset = int(data["o"])
        if offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request(
            21418, "Przekazany token kontynuacji ma nieprawidłowy format.", request=request
        ) from None


def _token_for(offset: int) -> str:
    return base64.b64encode(json.dumps({"o": offset}).encode()).decode()


def routes(emu: Emulator) -> list[BaseRoute]:
    service = emu.sessions
    db = emu.db

    async def open_online(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=WRITE_PERMISSIONS)
        emu.limits.check(request, ctx, "onlineSession")
        body = await read_body(request, OpenOnlineBody)
        _form_or_error(body.form_code, request)
        check_public_key_id(emu, body.encryption, request)
        key = unwrap_symmetric_key(emu, body.encryption)
        ref, valid_until = service._open("Online", ctx, body.form_code, key)
        return JSONResponse({"referenceNumber": ref, "validUntil": iso_ms(valid_until)}, status_code=201)

    async def send_invoice(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=WRITE_PERMISSIONS)
        emu.limits.check(request, ctx, "invoiceSend")
        ref = request.path_params["referenceNumber"]
        body = await read_body(request, SendInvoiceBody)
        session = service.session_row(ref, ctx, request)
        if session["kind"] != "Online" or session["status"] != 100:
            raise bad_request(
                21180,
                "Status sesji nie pozwala na wykonanie operacji.",
                [f"Status sesji {session['status']} uniemożliwia wysyłkę faktur."],
                request=request,
            )
        try:
            cipher = base64.b64decode(body.encrypted_invoice_content, validate=True)
        except (ValueError, binascii.Error):
            raise validation_error(
                ["encryptedInvoiceContent: nieprawidłowe kodowanie Base64."], request=request
            ) from None
        if len(cipher) != body.encrypted_invoice_size:
            raise bad_request(
                21402,
                "Nieprawidłowy rozmiar pliku.",
                ["Długość treści nie zgadza się z rozmiarem pliku."],
                request=request,
            )
        if b64_sha256(cipher) != body.encrypted_invoice_hash:
            raise bad_request(
                21403,
                "Nieprawidłowy skrót pliku.",
                ["Skrót treści nie zgadza się ze skrótem pliku."],
                request=request,
            )
        limit = (
            emu.context_limits.for_context(ctx.context_value)
            .get("onlineSession", {})
            .get("maxInvoices", 10_000)
        )
        count = db.execute("SELECT COUNT(*) FROM session_invoice WHERE session_ref = ?", (ref,)).fetchone()[0]
        if count >= limit:
            raise bad_request(
                21155,
                "Przekroczono dozwoloną liczbę faktur w sesji.",
                [f"Sesja o numerze referencyjnym {ref} osiągnęła dozwolony limit liczby faktur {limit}."],
                request=request,
            )
        if body.hash_of_corrected:
            corrected = db.execute(
                "SELECT si.status FROM session_invoice si JOIN send_session s ON s.ref = si.session_ref"
                " WHERE si.invoice_hash = ? AND s.context_value = ? ORDER BY si.invoicing_us DESC",
                (body.hash_of_corrected, ctx.context_value),
            ).fetchall()
            if any(r[0] == 200 for r in corrected):
                raise bad_request(
                    21167,
                    "Status faktury nie pozwala na korektę techniczną.",
                    ["Nie można wysłać korekty technicznej do prawidłowo przetworzonej faktury."],
                    request=request,
                )
            done = db.execute(
                "SELECT 1 FROM session_invoice WHERE hash_of_corrected = ? AND status = 200",
                (body.hash_of_corrected,),
            ).fetchone()
            if done is not None:
                raise bad_request(
                    21166,
                    "Korekta techniczna niedostępna.",
                    ["Faktura posiada już przetworzoną prawidłowo korektę techniczną."],
                    request=request,
                )
        inv_ref, _ = service._add_invoice(
            ref,
            body.invoice_hash,
            service.now(),
            offline=body.offline_mode,
            hash_of_corrected=body.hash_of_corrected,
        )
        service._touch(ref)
        key = service._keys.get(ref)

        async def work() -> None:
            try:
                plain = aes_decrypt(key[0], key[1], cipher) if key else None
            except ValueError:
                plain = None
            if plain is None:
                service._finish_invoice(
                    inv_ref, _Outcome(435, ["Nie można odszyfrować faktury kluczem sesji."])
                )
            elif len(plain) != body.invoice_size or b64_sha256(plain) != body.invoice_hash:
                service._finish_invoice(
                    inv_ref,
                    _Outcome(
                        435, ["Rozmiar lub skrót odszyfrowanej faktury nie zgadza się z zadeklarowanym."]
                    ),
                )
            else:
                service._finish_invoice(inv_ref, _Outcome(150))
                service.process_invoice(session, inv_ref, plain, kind="Online")
            current = db.execute("SELECT status FROM send_session WHERE ref = ?", (ref,)).fetchone()[0]
            if current == 170:
                service._finish_session(ref)

        service._schedule(work())
        return JSONResponse({"referenceNumber": inv_ref}, status_code=202)

    async def close_online(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=WRITE_PERMISSIONS)
        emu.limits.check(request, ctx, "onlineSessionClose")
        ref = request.path_params["referenceNumber"]
        session = service.session_row(ref, ctx, request)
        if session["kind"] != "Online" or session["status"] != 100:
            raise bad_request(
                21180,
                "Status sesji nie pozwala na wykonanie operacji.",
                [f"Status sesji {session['status']} uniemożliwia jej zamknięcie."],
                request=request,
            )
        service._close_online(ref)
        return Response(status_code=204)

    async def open_batch(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=BATCH_PERMISSIONS)
        emu.limits.check(request, ctx, "batchSession")
        body = await read_body(request, OpenBatchBody)
        _form_or_error(body.form_code, request)
        check_public_key_id(emu, body.encryption, request)
        parts = body.batch_file.file_parts
        if len(parts) > MAX_PARTS:
            raise bad_request(
                21161,
                "Przekroczono dozwoloną liczbę części pakietu.",
                [f"Zadeklarowano {len(parts)} części, dozwolone jest {MAX_PARTS}."],
                request=request,
            )
        for part in parts:
            if part.file_size > MAX_PART_BYTES + 16:
                raise bad_request(
                    21157,
                    "Nieprawidłowy rozmiar części pakietu.",
                    [f"Część {part.ordinal_number} ma {part.file_size} B, więcej niż {MAX_PART_BYTES} B."],
                    request=request,
                )
        ordinals = sorted(part.ordinal_number for part in parts)
        if ordinals != list(range(1, len(parts) + 1)):
            raise validation_error(
                ["batchFile.fileParts: numery części muszą być kolejne od 1."], request=request
            )
        key = unwrap_symmetric_key(emu, body.encryption)
        declared = body.batch_file.model_dump(by_alias=True)
        ref, deadline = service._open(
            "Batch",
            ctx,
            body.form_code,
            key,
            offline=body.offline_mode,
            batch_file=declared,
            parts=len(parts),
        )
        uploads = [
            {
                "ordinalNumber": n,
                "method": "PUT",
                "url": signed_link(emu, "PUT", f"/storage/batch/{ref}/{n}", deadline),
                "headers": {"x-ms-blob-type": "BlockBlob"},
            }
            for n in ordinals
        ]
        return JSONResponse({"referenceNumber": ref, "partUploadRequests": uploads}, status_code=201)

    async def upload_part(request: Request) -> Response:
        ref, ordinal = request.path_params["ref"], request.path_params["ordinal"]
        denied = check_link(emu, request, f"/storage/batch/{ref}/{ordinal}")
        if denied is not None:
            return denied
        row = db.execute("SELECT status, batch_file FROM send_session WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            return storage_not_found()
        if row["status"] != 100:
            return JSONResponse(
                {"code": "OperationNotAllowed", "message": "Sesja nie przyjmuje części."}, status_code=403
            )
        declared = {p["ordinalNumber"]: p for p in json.loads(row["batch_file"])["fileParts"]}
        number = int(ordinal) if ordinal.isdigit() else -1
        if number not in declared:
            return storage_not_found()
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > declared[number]["fileSize"]:
                return JSONResponse(
                    {"code": "InvalidInput", "message": "Część jest większa niż zadeklarowano."},
                    status_code=400,
                )
        path = service.part_path(ref, number)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(data))
        tmp.replace(path)
        return Response(status_code=201)

    async def close_batch(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=BATCH_PERMISSIONS)
        emu.limits.check(request, ctx, "batchSessionClose")
        ref = request.path_params["referenceNumber"]
        session = service.session_row(ref, ctx, request)
        if session["kind"] == "Batch" and session["status"] == 440:
            raise bad_request(
                21208,
                "Czas oczekiwania na requesty upload lub finish został przekroczony.",
                ["Sesja anulowana, przekroczony czas wysyłki."],
                request=request,
            )
        if session["kind"] != "Batch" or session["status"] != 100:
            raise bad_request(
                21180,
                "Status sesji nie pozwala na wykonanie operacji.",
                [f"Status sesji {session['status']} uniemożliwia jej zamknięcie."],
                request=request,
            )
        declared = json.loads(session["batch_file"])
        for part in declared["fileParts"]:
            path = service.part_path(ref, part["ordinalNumber"])
            if not path.exists():
                raise bad_request(
                    21205,
                    "Pakiet nie może być pusty.",
                    [f"Nie przesłano zadeklarowanej '{part['ordinalNumber']}' części pliku."],
                    request=request,
                )
            if path.stat().st_size != part["fileSize"]:
                raise bad_request(
                    21157,
                    "Nieprawidłowy rozmiar części pakietu.",
                    [
                        f"Zadeklarowany rozmiar części '{part['ordinalNumber']}' nie zgadza się z rzeczywistym."
                    ],
                    request=request,
                )
        service._set_status(ref, 150)
        service._schedule(service.process_batch(ref))
        return Response(status_code=204)

    async def list_sessions(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=STATUS_PERMISSIONS)
        emu.limits.check(request, ctx, "sessionList")
        page_size = query_int(request, "pageSize", 10, 10, 1000)
        kind = request.query_params.get("sessionType")
        if kind not in ("Online", "Batch"):
            raise validation_error(["sessionType: wymagana wartość Online lub Batch."], request=request)
        service.expire_due(ctx.context_value)
        where: list[str] = ["context_value = ?", "kind = ?"]
        params: list[Any] = [ctx.context_value, kind]
        if not ctx.has_any(ALL_SESSIONS_PERMISSIONS):
            where.append("subject = ?")
            params.append(ctx.subject_identifier)
        reference = request.query_params.get("referenceNumber")
        if reference:
            where.append("ref = ?")
            params.append(reference)
        for name, column, op in (
            ("dateCreatedFrom", "created_us", ">="),
            ("dateCreatedTo", "created_us", "<="),
            ("dateClosedFrom", "closed_us", ">="),
            ("dateClosedTo", "closed_us", "<="),
            ("dateModifiedFrom", "updated_us", ">="),
            ("dateModifiedTo", "updated_us", "<="),
        ):
            text = request.query_params.get(name)
            if text:
                try:
                    moment = parse_query_datetime(text)
                except ValueError:
                    raise validation_error(
                        [f"{name}: nieprawidłowa data '{text}'."], request=request
                    ) from None
                where.append(f"{column} {op} ?")
                params.append(to_us(moment))
        statuses = request.query_params.getlist("statuses")
        if statuses:
            clauses = []
            for name in statuses:
                if name == "Failed":
                    clauses.append("(status >= 400 AND status != 440)")
                elif name in STATUS_GROUPS:
                    clauses.append(f"status IN ({','.join(str(c) for c in STATUS_GROUPS[name])})")
                else:
                    raise validation_error([f"statuses: niedozwolona wartość '{name}'."], request=request)
            where.append("(" + " OR ".join(clauses) + ")")
        offset = _continuation(request)
        rows = db.execute(
            f"SELECT * FROM send_session WHERE {' AND '.join(where)} ORDER BY created_us DESC, ref"  # noqa: S608
            " LIMIT ? OFFSET ?",
            [*params, page_size + 1, offset],
        ).fetchall()
        items = []
        for row in rows[:page_size]:
            view = service.session_json(row)
            items.append(
                {
                    "referenceNumber": row["ref"],
                    "status": view["status"],
                    "dateCreated": view["dateCreated"],
                    "dateUpdated": view["dateUpdated"],
                    **({"validUntil": view["validUntil"]} if view.get("validUntil") else {}),
                    "totalInvoiceCount": view["invoiceCount"],
                    "successfulInvoiceCount": view["successfulInvoiceCount"],
                    "failedInvoiceCount": view["failedInvoiceCount"],
                }
            )
        token = _token_for(offset + page_size) if len(rows) > page_size else None
        return JSONResponse({"continuationToken": token, "sessions": items})

    async def session_status(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=STATUS_PERMISSIONS)
        emu.limits.check(request, ctx, "sessionMisc")
        row = service.session_row(request.path_params["referenceNumber"], ctx, request)
        return JSONResponse(service.session_json(row))

    async def _invoice_list(request: Request, failed_only: bool) -> Response:
        ctx = await emu.authorize(request, any_of=STATUS_PERMISSIONS)
        emu.limits.check(request, ctx, "sessionInvoiceList")
        page_size = query_int(request, "pageSize", 10, 10, 1000)
        ref = request.path_params["referenceNumber"]
        service.session_row(ref, ctx, request)
        offset = _continuation(request)
        extra = " AND status >= 400" if failed_only else ""
        rows = db.execute(
            f"SELECT * FROM session_invoice WHERE session_ref = ?{extra} ORDER BY ordinal LIMIT ? OFFSET ?",  # noqa: S608
            (ref, page_size + 1, offset),
        ).fetchall()
        token = _token_for(offset + page_size) if len(rows) > page_size else None
        return JSONResponse(
            {"continuationToken": token, "invoices": [service.invoice_json(row) for row in rows[:page_size]]}
        )

    async def session_invoices(request: Request) -> Response:
        return await _invoice_list(request, False)

    async def failed_invoices(request: Request) -> Response:
        return await _invoice_list(request, True)

    async def invoice_status(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=STATUS_PERMISSIONS)
        emu.limits.check(request, ctx, "invoiceStatus")
        ref = request.path_params["referenceNumber"]
        service.session_row(ref, ctx, request)
        inv_ref = request.path_params["invoiceReferenceNumber"]
        row = db.execute(
            "SELECT * FROM session_invoice WHERE ref = ? AND session_ref = ?", (inv_ref, ref)
        ).fetchone()
        if row is None:
            raise validation_error(
                [f"Faktura o numerze referencyjnym {inv_ref} nie istnieje w sesji {ref}."], request=request
            )
        return JSONResponse(service.invoice_json(row))

    def _upo_not_found(request: Request, detail: str) -> Exception:
        return bad_request(21178, "Nie znaleziono UPO dla podanych kryteriów.", [detail], request=request)

    async def upo_by_ksef(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=STATUS_PERMISSIONS)
        emu.limits.check(request, ctx, "sessionMisc")
        ref, number = request.path_params["referenceNumber"], request.path_params["ksefNumber"]
        service.session_row(ref, ctx, request)
        data = service.invoice_upo(ref, ksef_number=number)
        if data is None:
            raise _upo_not_found(
                request,
                f"UPO o numerze KSeF {number} i numerze referencyjnym sesji {ref} nie zostało znalezione.",
            )
        return xml_response(data)

    async def upo_by_invoice(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=STATUS_PERMISSIONS)
        emu.limits.check(request, ctx, "sessionMisc")
        ref, inv_ref = request.path_params["referenceNumber"], request.path_params["invoiceReferenceNumber"]
        service.session_row(ref, ctx, request)
        data = service.invoice_upo(ref, inv_ref=inv_ref)
        if data is None:
            raise _upo_not_found(request, f"UPO faktury {inv_ref} w sesji {ref} nie zostało znalezione.")
        return xml_response(data)

    async def session_upo(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=STATUS_PERMISSIONS)
        emu.limits.check(request, ctx, "sessionMisc")
        ref, upo_ref = request.path_params["referenceNumber"], request.path_params["upoReferenceNumber"]
        service.session_row(ref, ctx, request)
        data = service.session_upo(ref, upo_ref)
        if data is None:
            raise _upo_not_found(
                request, f"UPO o numerze referencyjnym {upo_ref} dla sesji {ref} nie zostało znalezione."
            )
        return xml_response(data)

    return [
        Route("/sessions/online", open_online, methods=["POST"]),
        Route("/sessions/online/{referenceNumber}/invoices", send_invoice, methods=["POST"]),
        Route("/sessions/online/{referenceNumber}/close", close_online, methods=["POST"]),
        Route("/sessions/batch", open_batch, methods=["POST"]),
        Route("/sessions/batch/{referenceNumber}/close", close_batch, methods=["POST"]),
        Route("/storage/batch/{ref}/{ordinal}", upload_part, methods=["PUT"]),
        Route("/sessions", list_sessions, methods=["GET"]),
        Route("/sessions/{referenceNumber}/invoices/failed", failed_invoices, methods=["GET"]),
        Route("/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo", upo_by_ksef, methods=["GET"]),
        Route(
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
            upo_by_invoice,
            methods=["GET"],
        ),
        Route(
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}", invoice_status, methods=["GET"]
        ),
        Route("/sessions/{referenceNumber}/invoices", session_invoices, methods=["GET"]),
        Route("/sessions/{referenceNumber}/upo/{upoReferenceNumber}", session_upo, methods=["GET"]),
        Route("/sessions/{referenceNumber}", session_status, methods=["GET"]),
    ]
