"""The rows of sending sessions and their invoices: opening, status changes, the JSON views the
status routes return, the UPO documents and the queries behind the list routes. ``SessionService``
(``sessions.py``) builds the processing on top of it; SQL for sessions lives here."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import bad_request
from ksef_sheets.emulator.invoices import InvoiceStore
from ksef_sheets.emulator.links import LINK_LIFETIME, StorageLinks
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.session_schema import (
    ALL_SESSIONS_PERMISSIONS,
    BATCH_STATUS,
    BATCH_WINDOW_PER_PART,
    DATE_FILTERS,
    INVOICE_STATUS,
    ONLINE_LIFETIME,
    ONLINE_STATUS,
    STATUS_GROUPS,
    FormCodeBody,
    init_schema,
)
from ksef_sheets.emulator.upo import (
    UPO_PAGE_SIZE,
    UpoAuthentication,
    UpoDocument,
    build_upo,
)
from ksef_sheets.emulator.wire import b64_sha256, from_us, iso_ms, to_us, truncate_ms


@dataclass
class _Outcome:
    status: int
    details: list[str] | None = None
    extensions: dict[str, str] | None = None


class SessionRecords:
    """The stored state of sending sessions (``send_session``, ``session_invoice``, ``upo_page``)."""

    def __init__(self, rt: Runtime, invoices: InvoiceStore, links: StorageLinks) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        init_schema(self.db)
        self.store = invoices
        self.links = links
        self._keys: dict[str, tuple[bytes, bytes]] = {}
        self.batch_dir = rt.state_dir / "batch"

    def now(self) -> datetime:
        return truncate_ms(self.clock.now())

    def expire_due(self, context_value: str) -> bool:
        """Close online sessions past ``validUntil`` and cancel batch sessions past their upload window."""
        now = to_us(self.clock.now())
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
            self.close_online(ref)
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

    def open_session(
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
        ref = self.runtime.new_reference("SO" if kind == "Online" else "SB")
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
        ref = self.runtime.new_reference("EE")
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

    def close_online(self, ref: str) -> None:
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
                    (self.runtime.new_reference("EU"), ref, page),
                )
            self._set_status(ref, 200)

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
            now = self.clock.now()
            storage = from_us(row["storage_us"])
            expires = now + LINK_LIFETIME
            out.update(
                acquisitionDate=iso_ms(from_us(row["acquisition_us"])),
                permanentStorageDate=iso_ms(storage) if storage <= now else None,
                upoDownloadUrl=self.links.sign(
                    "GET", f"/storage/upo/invoice/{row['session_ref']}/{row['ref']}", expires
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
            expires = self.clock.now() + LINK_LIFETIME
            pages = self.db.execute(
                "SELECT ref FROM upo_page WHERE session_ref = ? ORDER BY page", (row["ref"],)
            ).fetchall()
            out["upo"] = {
                "pages": [
                    {
                        "referenceNumber": page[0],
                        "downloadUrl": self.links.sign(
                            "GET", f"/storage/upo/session/{row['ref']}/{page[0]}", expires
                        ),
                        "downloadUrlExpirationDate": iso_ms(expires),
                    }
                    for page in pages
                ]
            }
        return out

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

    def part_path(self, ref: str, ordinal: int) -> Path:
        return self.batch_dir / ref / f"{ordinal:03d}.part"

    # -- queries behind the routes -----------------------------------------------------------

    def session_status(self, ref: str) -> int:
        return int(self.db.execute("SELECT status FROM send_session WHERE ref = ?", (ref,)).fetchone()[0])

    def invoice_count(self, ref: str) -> int:
        return int(
            self.db.execute("SELECT COUNT(*) FROM session_invoice WHERE session_ref = ?", (ref,)).fetchone()[
                0
            ]
        )

    def sent_statuses(self, invoice_hash: str, context_value: str) -> list[int]:
        """Statuses of every send of the invoice with this hash in the context, newest first."""
        rows = self.db.execute(
            "SELECT si.status FROM session_invoice si JOIN send_session s ON s.ref = si.session_ref"
            " WHERE si.invoice_hash = ? AND s.context_value = ? ORDER BY si.invoicing_us DESC",
            (invoice_hash, context_value),
        ).fetchall()
        return [row[0] for row in rows]

    def has_processed_correction(self, invoice_hash: str) -> bool:
        """Whether a technical correction of the invoice with this hash was already processed."""
        done = self.db.execute(
            "SELECT 1 FROM session_invoice WHERE hash_of_corrected = ? AND status = 200", (invoice_hash,)
        ).fetchone()
        return done is not None

    def upload_target(self, ref: str) -> sqlite3.Row | None:
        """Status and declared batch file of the session a part is uploaded to."""
        row: sqlite3.Row | None = self.db.execute(
            "SELECT status, batch_file FROM send_session WHERE ref = ?", (ref,)
        ).fetchone()
        return row

    def session_page(
        self,
        ctx: AccessContext,
        kind: str,
        *,
        reference: str | None,
        bounds: list[tuple[str, int]],
        statuses: list[str],
        limit: int,
        offset: int,
    ) -> list[sqlite3.Row]:
        """``GET /sessions``: ``bounds`` are (query name, microseconds) of the date filters, ``statuses``
        the already checked status group names."""
        where: list[str] = ["context_value = ?", "kind = ?"]
        params: list[Any] = [ctx.context_value, kind]
        if not ctx.has_any(ALL_SESSIONS_PERMISSIONS):
            where.append("subject = ?")
            params.append(ctx.subject_identifier)
        if reference:
            where.append("ref = ?")
            params.append(reference)
        for name, moment_us in bounds:
            column, op = DATE_FILTERS[name]
            where.append(f"{column} {op} ?")
            params.append(moment_us)
        if statuses:
            clauses = []
            for name in statuses:
                if name == "Failed":
                    clauses.append("(status >= 400 AND status != 440)")
                else:
                    clauses.append(f"status IN ({','.join(str(c) for c in STATUS_GROUPS[name])})")
            where.append("(" + " OR ".join(clauses) + ")")
        rows: list[sqlite3.Row] = self.db.execute(
            f"SELECT * FROM send_session WHERE {' AND '.join(where)} ORDER BY created_us DESC, ref"  # noqa: S608
            " LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return rows

    def invoice_page(self, ref: str, *, failed_only: bool, limit: int, offset: int) -> list[sqlite3.Row]:
        extra = " AND status >= 400" if failed_only else ""
        rows: list[sqlite3.Row] = self.db.execute(
            f"SELECT * FROM session_invoice WHERE session_ref = ?{extra} ORDER BY ordinal LIMIT ? OFFSET ?",  # noqa: S608
            (ref, limit, offset),
        ).fetchall()
        return rows

    def session_invoice(self, ref: str, inv_ref: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM session_invoice WHERE ref = ? AND session_ref = ?", (inv_ref, ref)
        ).fetchone()
        return row
