"""A new archive index from the files the office keeps: ``archiwum/`` and its metadata logs.

``scan_archive(folder)`` reads every ``archiwum/<NIP>/<RRRR>/<MM>/<numer KSeF>.xml`` (UPOs beside
them are not invoices) with its SHA-256. KSeF's metadata of each invoice comes from the client's
``metadane-ksef.jsonl`` (written batch by batch by the archive, checked against the file's hash);
for a file with no such line (the log lost, or an invoice stored before it existed) the old index
is asked when it can still be read, else the FA(3) XML itself gives the invoice's number, dates,
parties and amounts.

``build_index(folder, target, scan, decisions, old)`` writes a new index at ``target`` (never over
the current one): the invoices, the staff decisions given by the caller (read back from the invoice
workbooks), the checkpoints re-derived so that the next fetch neither skips nor duplicates (each
subject type continues from its newest archived invoice's permanent-storage date; an invoice whose
date is unknown moves it back to the day before its KSeF acceptance day), and — when the old index
can still be read — its send journal and audit log.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import is_valid_ksef_number, is_valid_nip
from ksef_sheets.sync.archive_index import create_schema
from ksef_sheets.sync.archive_values import SUBJECT_TYPES, _utc_text, parse_ksef_datetime, sha256_b64
from ksef_sheets.sync.decisions import StaffDecision
from ksef_sheets.sync.invoice_store import _INSERT_INVOICE, METADATA_LOG, IncomingInvoice, _index_row
from ksef_sheets.text import WARSAW


@dataclass(frozen=True)
class FoundInvoice:
    """One invoice file in ``archiwum/`` with what is known about it."""

    client_nip: str
    ksef_number: str
    path: Path
    sha256: str
    size: int
    subject_type: str
    metadata: Mapping[str, Any]
    source: str  # "log" (metadane-ksef.jsonl), "index" (the old index) or "xml" (the file itself)


@dataclass
class ArchiveScan:
    invoices: list[FoundInvoice] = field(default_factory=list)
    # Files that cannot be an archived invoice (bad name, not FA(3) XML): (path, reason).
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    upo_files: int = 0
    # Invoices the old index knew whose files are gone: (NIP, subject type, number, metadata).
    missing: list[tuple[str, str, str, Mapping[str, Any]]] = field(default_factory=list)

    def by_source(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for found in self.invoices:
            counts[found.source] = counts.get(found.source, 0) + 1
        return counts


# --------------------------------------------------------------------------------------------
# Reading the files


def _read_metadata_log(client_dir: Path) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    """KSeF number → (subject type, SHA-256, metadata) from the client's log; damaged lines skipped."""
    entries: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    try:
        handle = open(client_dir / METADATA_LOG, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError:
        return entries
    with handle:
        for line in handle:
            try:
                item = json.loads(line)
                number, subject, digest, meta = item["n"], item["s"], item["h"], item["m"]
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash, or edited by hand
            if isinstance(number, str) and subject in SUBJECT_TYPES and isinstance(meta, dict):
                entries[number] = (subject, str(digest), meta)
    return entries


def _old_index_rows(old: Path | None) -> dict[tuple[str, str], tuple[str, str, Mapping[str, Any]]]:
    """(NIP, number) → (subject, hash, metadata) from an old index, as far as it can be read."""
    rows: dict[tuple[str, str], tuple[str, str, Mapping[str, Any]]] = {}
    if old is None or not old.is_file() or old.stat().st_size == 0:
        return rows
    try:
        connection = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return rows
    try:
        for nip, number, subject, digest, meta in connection.execute(
            "SELECT client_nip, ksef_number, subject_type, sha256, metadata_json FROM invoices"
        ):
            try:
                parsed = json.loads(meta)
            except (ValueError, TypeError):
                parsed = {}
            rows[(nip, number)] = (subject, digest, parsed if isinstance(parsed, dict) else {})
    except sqlite3.DatabaseError:
        pass  # damaged: what was read so far is still right (each row is checked against its file)
    finally:
        connection.close()
    return rows


def _local(element: etree._Element, *path: str) -> str | None:
    node: etree._Element | None = element
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == name), None)
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def metadata_from_xml(xml: bytes, client_nip: str, number: str, source: str) -> tuple[str, dict[str, Any]]:
    """Subject type and KSeF-like metadata of an FA(3) invoice read from its own XML."""
    from ksef_sheets.fa3 import parse_xml

    root = parse_xml(xml, source=source).getroot()
    seller_nip = _local(root, "Podmiot1", "DaneIdentyfikacyjne", "NIP")
    buyer_nip = _local(root, "Podmiot2", "DaneIdentyfikacyjne", "NIP")
    if seller_nip == client_nip:
        subject = "Subject1"
    elif buyer_nip == client_nip:
        subject = "Subject2"
    else:
        subject = "Subject3"
    buyer: dict[str, Any] = {"name": _local(root, "Podmiot2", "DaneIdentyfikacyjne", "Nazwa")}
    if buyer_nip:
        buyer["identifier"] = {"type": "Nip", "value": buyer_nip}
    meta: dict[str, Any] = {
        "ksefNumber": number,
        "invoiceNumber": _local(root, "Fa", "P_2"),
        "issueDate": _local(root, "Fa", "P_1"),
        "seller": {"nip": seller_nip, "name": _local(root, "Podmiot1", "DaneIdentyfikacyjne", "Nazwa")},
        "buyer": buyer,
        "grossAmount": _local(root, "Fa", "P_15"),
        "currency": _local(root, "Fa", "KodWaluty"),
        "invoiceType": _local(root, "Fa", "RodzajFaktury"),
        "invoiceHash": sha256_b64(xml),
    }
    return subject, meta


def scan_archive(folder: OfficeFolder, *, old_index: Path | None = None) -> ArchiveScan:
    """Every invoice file of ``archiwum/`` with its metadata (see the module docstring)."""
    scan = ArchiveScan()
    root = folder.archive_dir
    if not root.is_dir():
        return scan
    old_rows = _old_index_rows(old_index)
    seen: set[tuple[str, str]] = set()
    for client_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        nip = client_dir.name
        if not is_valid_nip(nip):
            scan.skipped.append((client_dir, "nazwa folderu nie jest NIP-em klienta"))
            continue
        logged = _read_metadata_log(client_dir)
        for path in sorted(client_dir.rglob("*.xml")):
            name = path.name
            if name.startswith("."):
                continue
            if name.endswith(".upo.xml"):
                scan.upo_files += 1
                continue
            number = name[:-4]
            if not is_valid_ksef_number(number) or path.parent.parent.parent != client_dir:
                scan.skipped.append((path, "nazwa lub miejsce pliku nie odpowiada numerowi KSeF"))
                continue
            try:
                xml = path.read_bytes()
            except OSError as exc:
                scan.skipped.append((path, f"nie można odczytać pliku ({exc.__class__.__name__})"))
                continue
            digest = sha256_b64(xml)
            seen.add((nip, number))
            entry = logged.get(number)
            if entry is not None and entry[1] == digest:
                scan.invoices.append(
                    FoundInvoice(nip, number, path, digest, len(xml), entry[0], entry[2], "log")
                )
                continue
            old = old_rows.get((nip, number))
            if old is not None and old[1] == digest:
                scan.invoices.append(
                    FoundInvoice(nip, number, path, digest, len(xml), old[0], old[2], "index")
                )
                continue
            try:
                subject, meta = metadata_from_xml(xml, nip, number, str(path))
            except UserError as exc:
                scan.skipped.append((path, str(exc)))
                continue
            scan.invoices.append(FoundInvoice(nip, number, path, digest, len(xml), subject, meta, "xml"))
    scan.missing = [
        (nip, subject, number, meta)
        for (nip, number), (subject, _digest, meta) in sorted(old_rows.items())
        if (nip, number) not in seen
    ]
    return scan


# --------------------------------------------------------------------------------------------
# Checkpoints


def derived_checkpoints(
    invoices: Iterable[FoundInvoice], missing: Iterable[tuple[str, str, str, Mapping[str, Any]]] = ()
) -> dict[tuple[str, str], datetime]:
    """Per (NIP, subject type): where the next fetch continues (see the module docstring).

    An invoice the old index knew but whose file is gone moves its checkpoint back to its own
    permanent-storage date (or the day before its acceptance day), so the next fetch downloads it again.
    """
    result = _newest_checkpoints(invoices)
    for nip, subject, number, meta in missing:
        back = parse_ksef_datetime(meta.get("permanentStorageDate")) or _day_before(number)
        key = (nip, subject)
        if key not in result or back < result[key]:
            result[key] = back
    return result


def _day_before(number: str) -> datetime:
    day = datetime.strptime(number.split("-")[1], "%Y%m%d").date()
    return datetime.combine(day - timedelta(days=1), time(0), tzinfo=WARSAW).astimezone(UTC)


def _newest_checkpoints(invoices: Iterable[FoundInvoice]) -> dict[tuple[str, str], datetime]:
    newest: dict[tuple[str, str], datetime] = {}
    unknown_floor: dict[tuple[str, str], datetime] = {}
    for found in invoices:
        key = (found.client_nip, found.subject_type)
        stored = parse_ksef_datetime(found.metadata.get("permanentStorageDate"))
        if stored is not None:
            if key not in newest or stored > newest[key]:
                newest[key] = stored
            continue
        # No KSeF date (read from the XML or a sent invoice): the acceptance day from the number,
        # minus a day for safety; invoices seen again are recognised by number, never duplicated.
        floor = _day_before(found.ksef_number)
        if key not in unknown_floor or floor > unknown_floor[key]:
            unknown_floor[key] = floor
    # Only fetched invoices carry KSeF's permanent-storage date, and a fetch stores them in that
    # order with its checkpoint, so the newest of them is exact. Sent invoices (no such date) say
    # nothing about how far the fetch got; the guess is used only when nothing exact is known.
    return {key: newest.get(key) or unknown_floor[key] for key in set(newest) | set(unknown_floor)}


# --------------------------------------------------------------------------------------------
# Writing the new index


def _copy_other_tables(connection: sqlite3.Connection, old: Path | None) -> list[str]:
    """The send journal and the audit log from the old index, when it can still be read."""
    copied: list[str] = []
    if old is None or not old.is_file() or old.stat().st_size == 0:
        return copied
    try:
        connection.execute("ATTACH DATABASE ? AS old", (f"file:{old}?mode=ro",))
    except sqlite3.DatabaseError:
        return copied
    try:
        for table in ("audit_log", "send_journal"):
            try:
                sql = connection.execute(
                    "SELECT sql FROM old.sqlite_master WHERE type = 'table' AND name = ?", (table,)
                ).fetchone()
                if sql is None:
                    continue
                connection.execute("BEGIN")
                if table not in {r[0] for r in connection.execute("SELECT name FROM main.sqlite_master")}:
                    connection.execute(sql[0])
                connection.execute(f"INSERT INTO main.{table} SELECT * FROM old.{table}")  # noqa: S608 - fixed names
                connection.execute("COMMIT")
                copied.append(table)
            except sqlite3.DatabaseError:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
    finally:
        connection.execute("DETACH DATABASE old")
    return copied


@dataclass
class BuildResult:
    invoices: int
    decisions: int
    checkpoints: dict[tuple[str, str], datetime]
    copied_tables: list[str]


def build_index(
    folder: OfficeFolder,
    target: Path,
    scan: ArchiveScan,
    decisions: Iterable[StaffDecision],
    *,
    old_index: Path | None = None,
) -> BuildResult:
    """Write a new index at ``target`` (replacing a stale file there); see the module docstring."""
    target.unlink(missing_ok=True)
    connection = sqlite3.connect(target, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
        create_schema(connection, "odbudowa")
        connection.execute("UPDATE archive_meta SET value = 'odbudowa' WHERE key = 'created_by'")
        fetched_at = _utc_text(datetime.now(UTC))
        known: set[tuple[str, str]] = set()
        connection.execute("BEGIN")
        rows = []
        for found in scan.invoices:
            incoming = IncomingInvoice(found.ksef_number, b"", found.metadata)
            row = list(
                _index_row(
                    found.client_nip,
                    found.subject_type,
                    found.ksef_number,
                    incoming,
                    found.sha256,
                    fetched_at,
                )
            )
            row[23] = found.size  # _index_row measures the (here empty) XML bytes
            rows.append(tuple(row))
            known.add((found.client_nip, found.ksef_number))
        connection.executemany(_INSERT_INVOICE, rows)
        checkpoints = derived_checkpoints(scan.invoices, scan.missing)
        now = _utc_text(datetime.now(UTC))
        connection.executemany(
            "INSERT INTO sync_state (client_nip, subject_type, hwm, last_success_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            [(nip, subject, _utc_text(hwm), now, now) for (nip, subject), hwm in sorted(checkpoints.items())],
        )
        decision_rows = [
            (
                d.ksef_number,
                d.client_nip,
                d.status,
                d.comment,
                d.booked_on.isoformat() if d.booked_on else None,
                d.person,
                d.client_decision,
                d.client_remark,
                d.client_decided_on.isoformat() if d.client_decided_on else None,
                _utc_text(d.updated_at or datetime.now(UTC)),
            )
            for d in decisions
            if (d.client_nip, d.ksef_number) in known
        ]
        connection.executemany(
            """INSERT OR REPLACE INTO decisions (ksef_number, client_nip, status, comment, booked_on, person,
                   client_decision, client_remark, client_decided_on, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            decision_rows,
        )
        connection.execute("COMMIT")
        copied = _copy_other_tables(connection, old_index)
    finally:
        connection.close()
    return BuildResult(len(rows), len(decision_rows), checkpoints, copied)


def old_decisions(old: Path | None) -> dict[tuple[str, str], StaffDecision]:
    """(NIP, number) → decision from an old index, as far as it can be read."""
    from ksef_sheets.sync.archive_values import _date, _dt

    found: dict[tuple[str, str], StaffDecision] = {}
    if old is None or not old.is_file() or old.stat().st_size == 0:
        return found
    try:
        connection = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    except sqlite3.DatabaseError:
        return found
    try:
        for row in connection.execute(
            """SELECT ksef_number, client_nip, status, comment, booked_on, person, client_decision,
                      client_remark, client_decided_on, updated_at FROM decisions"""
        ):
            number, nip, status, comment, booked, person, decision, remark, decided, updated = row
            found[(nip, number)] = StaffDecision(
                number,
                nip,
                status,
                comment,
                _date(booked),
                person,
                decision,
                remark,
                _date(decided),
                _dt(updated),
            )
    except (sqlite3.DatabaseError, ValueError):
        pass
    finally:
        connection.close()
    return found
