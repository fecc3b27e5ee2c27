"""Asynchronous invoice export (PROTOCOL.md §15): ``POST /invoices/exports``, ``GET /invoices/exports/{ref}``.

The filter set is the metadata query's (same checks: 3-month window, Warsaw time, HWM). The
package takes invoices ascending by the filtered date until 10,000 (``record_cap``) or 1 GiB
compressed, as ``{ksefNumber}.xml`` entries plus ``_metadata.json`` (``{"invoices": [...]}``), in a
zip or tar.gz; the archive is split binarily into parts of at most 50 MiB (``part_size_cap``) and
each part is AES-256-CBC encrypted with the caller's key and IV. Parts are served from signed
storage links (``/storage/exports/...``, no token) that expire, regenerated on every status call.

``emu.faults.export_delay`` keeps a new export in status 100 for that long (on the emulator clock).
"""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import tarfile
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import bad_request, gone
from ksef_sheets.emulator.faults import Faults
from ksef_sheets.emulator.invoices import InvoiceStore
from ksef_sheets.emulator.keys import EmulatorKeys
from ksef_sheets.emulator.links import LINK_LIFETIME, StorageLinks
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.wire import (
    EncryptionInfo,
    QueryFilters,
    _Body,
    aes_encrypt,
    b64_sha256,
    check_public_key_id,
    from_us,
    iso_ms,
    parse_query_datetime,
    to_us,
    truncate_ms,
    unwrap_symmetric_key,
)

MAX_CONCURRENT = 10
PACKAGE_BYTES_CAP = 1_073_741_824  # 1 GiB compressed (CL)
STATUS_RETENTION = timedelta(days=7)

EXPORT_STATUS = {
    100: "Eksport faktur w toku",
    200: "Eksport faktur zakończony sukcesem",
    210: "Eksport faktur wygasł i nie jest już dostępny do pobrania",
    415: "Błąd odszyfrowania dostarczonego klucza",
    420: "Zakres filtrowania wykracza poza dostępny zakres danych",
    500: "Nieznany błąd (500)",
    550: "Operacja została anulowana przez system",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS invoice_export (
    ref TEXT PRIMARY KEY,
    context_value TEXT NOT NULL,
    subject TEXT NOT NULL,
    status INTEGER NOT NULL,
    status_details TEXT,
    created_us INTEGER NOT NULL,
    ready_us INTEGER NOT NULL,
    completed_us INTEGER,
    expires_us INTEGER,
    package TEXT
);
CREATE INDEX IF NOT EXISTS invoice_export_context ON invoice_export(context_value, subject, status);
"""


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


class ExportRequest(_Body):
    encryption: EncryptionInfo
    filters: QueryFilters
    only_metadata: bool = Field(default=False, alias="onlyMetadata")
    compression_type: Literal["Zip", "TarGz"] | None = Field(default=None, alias="compressionType")


@dataclass
class _Snapshot:
    ksef_numbers: list[str]
    metadata: list[dict[str, Any]]
    truncated: bool
    last_dates: dict[str, str]
    hwm: datetime | None


def build_archive(
    metadata: list[dict[str, Any]], xml_by_number: dict[str, bytes], *, only_metadata: bool, compression: str
) -> tuple[bytes, int]:
    """(archive bytes, invoices included); stops before the 1 GiB compressed cap."""
    buffer = io.BytesIO()
    included: list[dict[str, Any]] = []
    if compression == "TarGz":
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for meta in metadata:
                if not only_metadata:
                    data = xml_by_number[meta["ksefNumber"]]
                    if buffer.tell() + len(data) > PACKAGE_BYTES_CAP:
                        break
                    info = tarfile.TarInfo(f"{meta['ksefNumber']}.xml")
                    info.size = len(data)
                    info.mtime = int(time.time())
                    tar.addfile(info, io.BytesIO(data))
                included.append(meta)
            payload = json.dumps({"invoices": included}, ensure_ascii=False).encode()
            info = tarfile.TarInfo("_metadata.json")
            info.size = len(payload)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(payload))
        return buffer.getvalue(), len(included)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for meta in metadata:
            if not only_metadata:
                data = xml_by_number[meta["ksefNumber"]]
                if buffer.tell() + len(data) > PACKAGE_BYTES_CAP:
                    break
                zf.writestr(f"{meta['ksefNumber']}.xml", data)
            included.append(meta)
        zf.writestr("_metadata.json", json.dumps({"invoices": included}, ensure_ascii=False))
    return buffer.getvalue(), len(included)


def split_and_encrypt(
    archive: bytes, key: bytes, iv: bytes, part_cap: int, folder: Path, prefix: str, suffix: str
) -> list[dict[str, Any]]:
    """Split binarily, encrypt each part separately, write the parts; their descriptions."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    chunks = [archive[i : i + part_cap] for i in range(0, len(archive), part_cap)] or [archive]
    for index, chunk in enumerate(chunks, start=1):
        encrypted = aes_encrypt(key, iv, chunk)
        name = f"{prefix}-{index:03d}.{suffix}.aes"
        tmp = folder / f"{name}.tmp"
        tmp.write_bytes(encrypted)
        tmp.replace(folder / name)
        parts.append(
            {
                "ordinalNumber": index,
                "partName": name,
                "partSize": len(chunk),
                "partHash": b64_sha256(chunk),
                "encryptedPartSize": len(encrypted),
                "encryptedPartHash": b64_sha256(encrypted),
            }
        )
    return parts


class ExportService:
    """``emu.exports``. Knobs: ``record_cap`` (10,000), ``part_size_cap`` (50 MiB), ``package_lifetime``."""

    def __init__(
        self,
        rt: Runtime,
        *,
        invoices: InvoiceStore,
        keys: EmulatorKeys,
        links: StorageLinks,
        faults: Faults,
    ) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        init_schema(self.db)
        self.store = invoices
        self.keys = keys
        self.links = links
        self.faults = faults
        self.record_cap = 10_000
        self.part_size_cap = 50 * 1024 * 1024
        self.package_lifetime = timedelta(days=3)
        self.folder = rt.state_dir / "exports"
        self._tasks: set[asyncio.Task[None]] = set()

    def snapshot(self, request: Request, filters: QueryFilters, context_value: str) -> _Snapshot:
        plan = self.store.plan(filters, context_value, request)
        rows = self.store.select(
            plan,
            limit=self.record_cap + 1,
            columns="i.ksef_number, i.meta, i.storage_us, i.invoicing_us, i.issue_date",
        )
        truncated = len(rows) > self.record_cap
        rows = rows[: self.record_cap]
        last: dict[str, str] = {}
        if truncated and rows:
            tail = rows[-1]
            if plan.date_type == "PermanentStorage":
                last["lastPermanentStorageDate"] = iso_ms(from_us(tail[2]))
            elif plan.date_type == "Invoicing":
                last["lastInvoicingDate"] = iso_ms(from_us(tail[3]))
            else:
                last["lastIssueDate"] = tail[4]
        return _Snapshot([r[0] for r in rows], [json.loads(r[1]) for r in rows], truncated, last, plan.hwm)

    def _set(self, ref: str, **fields: Any) -> None:
        sets = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE invoice_export SET {sets} WHERE ref = ?", [*fields.values(), ref])  # noqa: S608

    async def build(
        self, ref: str, snap: _Snapshot, key: bytes, iv: bytes, *, only_metadata: bool, compression: str
    ) -> None:
        try:
            xml = {} if only_metadata else self.store.xml_of(snap.ksef_numbers)
            archive, count = await asyncio.to_thread(
                build_archive, snap.metadata, xml, only_metadata=only_metadata, compression=compression
            )
            suffix = "tar.gz" if compression == "TarGz" else "zip"
            parts = await asyncio.to_thread(
                split_and_encrypt, archive, key, iv, self.part_size_cap, self.folder / ref, ref, suffix
            )
        except Exception:  # an export that cannot be built ends in 500, as KSeF reports it
            self._set(ref, status=500, completed_us=to_us(self.clock.now()))
            raise
        truncated = snap.truncated or count < len(snap.metadata)
        package: dict[str, Any] = {
            "invoiceCount": count,
            "size": len(archive),
            "parts": parts,
            "isTruncated": truncated,
            "compressionType": compression,
        }
        if truncated:
            if count < len(snap.metadata) and count:
                last = snap.metadata[count - 1]
                snap.last_dates = {
                    key_name: last[src]
                    for key_name, src in (
                        ("lastPermanentStorageDate", "permanentStorageDate"),
                        ("lastInvoicingDate", "invoicingDate"),
                        ("lastIssueDate", "issueDate"),
                    )
                    if key_name in snap.last_dates
                }
            package.update(snap.last_dates)
        if snap.hwm is not None:
            package["permanentStorageHwmDate"] = iso_ms(snap.hwm)
        now = self.clock.now()
        self._set(
            ref,
            status=200,
            package=json.dumps(package),
            completed_us=to_us(now),
            expires_us=to_us(now + self.package_lifetime),
        )

    # --- the requests ---------------------------------------------------------------------------
    def _running(self, ctx: AccessContext, now: datetime) -> int:
        """Exports of this subject in this context still in status 100 (also those built but held
        back by ``faults.export_delay``)."""
        building = self.db.execute(
            "SELECT COUNT(*) FROM invoice_export WHERE context_value = ? AND subject = ? AND status = 100",
            (ctx.context_value, ctx.subject_identifier),
        ).fetchone()[0]
        held = self.db.execute(
            "SELECT COUNT(*) FROM invoice_export WHERE context_value = ? AND subject = ? AND status = 200"
            " AND ready_us > ?",
            (ctx.context_value, ctx.subject_identifier, to_us(now)),
        ).fetchone()[0]
        return int(building) + int(held)

    def start(self, ctx: AccessContext, body: ExportRequest, request: Request) -> str:
        """Check and record a new export, start building it; its reference (``POST /invoices/exports``)."""
        check_public_key_id(self.keys, body.encryption, request)
        if ctx.context_type != "Nip" and body.filters.subject_type != "Subject3":
            raise bad_request(
                21181,
                "Nieprawidłowe żądanie eksportu faktur.",
                [
                    f"Nie można wyeksportować paczki faktur dla wybranego podmiotu ({body.filters.subject_type}) "
                    f"i zalogowanego identyfikatora kontekstu ({ctx.context_type})."
                ],
                request=request,
            )
        now = self.clock.now()
        if self._running(ctx, now) >= MAX_CONCURRENT:
            raise bad_request(
                21182,
                "Osiągnięto limit trwających eksportów.",
                [
                    "Dla uwierzytelnionego podmiotu w bieżącym kontekście osiągnięto maksymalny limit "
                    f"{MAX_CONCURRENT} równoczesnych eksportów faktur. Spróbuj ponownie później."
                ],
                request=request,
            )
        ref = self.runtime.new_reference("EH")
        created = truncate_ms(now)
        ready = created + self.faults.export_delay
        self.db.execute(
            "INSERT INTO invoice_export(ref, context_value, subject, status, created_us, ready_us)"
            " VALUES(?, ?, ?, 100, ?, ?)",
            (ref, ctx.context_value, ctx.subject_identifier, to_us(created), to_us(ready)),
        )
        if self._beyond_hwm(body.filters):
            self._set(
                ref,
                status=420,
                completed_us=to_us(created),
                status_details=json.dumps(
                    [
                        "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym "
                        "restrictToPermanentStorageHwmDate."
                    ]
                ),
            )
            return ref
        try:
            snap = self.snapshot(request, body.filters, ctx.context_value)
        except Exception:
            self.db.execute("DELETE FROM invoice_export WHERE ref = ?", (ref,))
            raise
        key = unwrap_symmetric_key(self.keys, body.encryption)
        if key is None:
            self._set(ref, status=415, completed_us=to_us(created))
            return ref
        work = self.build(
            ref,
            snap,
            key[0],
            key[1],
            only_metadata=body.only_metadata,
            compression=body.compression_type or "Zip",
        )
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return ref

    def _beyond_hwm(self, filters: QueryFilters) -> bool:
        """``from`` past the HWM with ``restrictToPermanentStorageHwmDate``: status 420, not a 400."""
        date_range = filters.date_range
        if not date_range.restrict_to_hwm:
            return False
        try:
            return parse_query_datetime(date_range.from_) > self.store.hwm()
        except ValueError:
            return False  # plan() reports the bad date

    def status_of(self, ctx: AccessContext, ref: str, request: Request) -> dict[str, Any]:
        """``GET /invoices/exports/{ref}``: 400/21175 for an unknown one, 410 after 7 days."""
        row = self.db.execute(
            "SELECT * FROM invoice_export WHERE ref = ? AND context_value = ?", (ref, ctx.context_value)
        ).fetchone()
        if row is None:
            raise bad_request(
                21175, "Wynik zapytania o podanym identyfikatorze nie istnieje.", request=request
            )
        if self.clock.now() > from_us(row["created_us"]) + STATUS_RETENTION:
            raise gone("Operacja wygasła i nie jest już dostępna.", request=request)
        return self.status_json(row)

    def part_file(self, ref: str, name: str) -> Path | None:
        """The encrypted part behind a storage link, None for a name that is not one of ours."""
        path = self.folder / ref / name
        if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
            return None
        return path

    def status_json(self, row: sqlite3.Row) -> dict[str, Any]:
        now = self.clock.now()
        code = row["status"]
        if code == 200 and now < from_us(row["ready_us"]):
            code = 100
        if code == 200 and row["expires_us"] and now > from_us(row["expires_us"]):
            code = 210
        status: dict[str, Any] = {
            "code": code,
            "description": EXPORT_STATUS.get(code, f"Nieznany błąd ({code})"),
        }
        if row["status_details"] and code == row["status"]:
            status["details"] = json.loads(row["status_details"])
        out: dict[str, Any] = {"status": status}
        if code == 200:
            completed = max(from_us(row["completed_us"]), from_us(row["ready_us"]))
            expires = from_us(row["expires_us"])
            package = json.loads(row["package"])
            link_expiry = min(now + LINK_LIFETIME, expires)
            for part in package["parts"]:
                part["method"] = "GET"
                part["url"] = self.links.sign(
                    "GET", f"/storage/exports/{row['ref']}/{part['partName']}", link_expiry
                )
                part["expirationDate"] = iso_ms(link_expiry)
            out.update(
                completedDate=iso_ms(completed), packageExpirationDate=iso_ms(expires), package=package
            )
        elif code in (210, 415, 420, 500, 550) and row["completed_us"]:
            out["completedDate"] = iso_ms(from_us(row["completed_us"]))
        return out
