"""Invoices issued outside KSeF (PROTOCOL.md §18, DOMAIN.md §4): KOD I + KOD II, the buyer's PDF, the
register of what still has to reach KSeF and by when.

- ``OfflineRegister`` (table ``send_offline`` in ``ksef.sqlite``, beside the sending journal): one row
  per issued offline invoice — the exact bytes the codes were computed from (they must reach KSeF
  unchanged), its mode and deadline, the links, the PDF, and its state: ``waiting`` (to send with
  ``offlineMode: true``), ``sent`` (KSeF number), ``rejected`` (a technical correction may follow).
- ``issue_offline`` finalises one invoice: KOD I, KOD II signed with the office's Offline KSeF
  certificate (``OfflineSigner`` from the vault), the PDF and the exact XML in
  ``klienci/<NIP>/faktury-offline/``.
- ``offline_mode_for`` picks the mode: ``offline24`` when the office chose it or KSeF simply did not
  answer, ``awaria`` when the day falls in a KSeF failure the office recorded (``ksef_failures`` in
  ksef-sheets.toml), with the deadline from ``office.offline_deadline``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.fa3 import Invoice, parse_invoice
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.ksef import CERTIFICATE_LABEL, OFFLINE_LABEL, OfflineSigner, kod_i_url, kod_ii_url
from ksef_sheets.office import FAILURE, OFFLINE24, OFFLINE_KIND_LABELS, TOTAL_FAILURE, offline_deadline
from ksef_sheets.text import format_date

OFFLINE_DIR = "faktury-offline"
KOD_I_CAPTION = "Sprawdź, czy ta faktura jest w KSeF (KOD I)"
KOD_II_CAPTION = "Sprawdź wystawcę faktury offline (KOD II)"
NO_SIGNER = (
    "W sejfie biura nie ma ważnego certyfikatu KSeF typu Offline, więc nie można wystawić faktur offline "
    "(kod II) — uzyskaj go poleceniem ksef-sheets credentials enrol --type Offline."
)

SignerSource = Callable[[], OfflineSigner | None]
# The buyer's PDF of an invoice: (invoice, KSeF number or None, QR codes as (link, label, caption)).
# The caller renders it (``ksef_sheets.documents``); this library only says which codes it carries.
PdfRenderer = Callable[[Invoice, str | None, Sequence[tuple[str, str, str]]], bytes]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS send_offline (
    client_nip TEXT NOT NULL,
    invoice_hash TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    source TEXT NOT NULL,
    mode TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    deadline TEXT,
    kod_i TEXT NOT NULL,
    kod_ii TEXT NOT NULL,
    pdf TEXT,
    state TEXT NOT NULL,
    ksef_number TEXT,
    message TEXT,
    corrects_hash TEXT,
    xml BLOB NOT NULL,
    PRIMARY KEY (client_nip, invoice_hash)
);
"""
_COLUMNS = (
    "client_nip, invoice_hash, invoice_number, source, mode, issue_date, issued_at, deadline, kod_i, "
    "kod_ii, pdf, state, ksef_number, message, corrects_hash, xml"
)


@dataclass(frozen=True)
class OfflineInvoice:
    client_nip: str
    invoice_hash: str
    number: str
    source: str
    mode: str
    issue_date: date
    issued_at: datetime
    deadline: date | None
    kod_i: str
    kod_ii: str
    pdf: Path | None
    state: str  # waiting | sent | rejected
    ksef_number: str | None
    message: str | None
    corrects_hash: str | None
    xml: bytes

    @property
    def mode_label(self) -> str:
        return OFFLINE_KIND_LABELS.get(self.mode, self.mode)

    def deadline_text(self) -> str:
        if self.deadline is None:
            return "bez obowiązku wysłania (awaria całkowita)" if self.mode == TOTAL_FAILURE else "—"
        return format_date(self.deadline)

    def to_json(self) -> dict[str, Any]:
        return {
            "nip": self.client_nip,
            "number": self.number,
            "source": self.source,
            "mode": self.mode,
            "issue_date": self.issue_date.isoformat(),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "state": self.state,
            "ksef_number": self.ksef_number,
            "kod_i": self.kod_i,
            "kod_ii": self.kod_ii,
            "pdf": str(self.pdf) if self.pdf else None,
            "invoice_hash": self.invoice_hash,
        }


class OfflineRegister:
    """Open with ``OfflineRegister.open(folder)``; every write commits at once."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def open(cls, folder: OfficeFolder) -> OfflineRegister:
        folder.root.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(folder.database, timeout=30, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"Nie można otworzyć rejestru faktur offline w bazie {folder.database}: {exc}."
            ) from exc
        return cls(db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> OfflineRegister:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def add(self, item: OfflineInvoice) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO send_offline ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",  # noqa: S608
                (
                    item.client_nip,
                    item.invoice_hash,
                    item.number,
                    item.source,
                    item.mode,
                    item.issue_date.isoformat(),
                    item.issued_at.isoformat(),
                    item.deadline.isoformat() if item.deadline else None,
                    item.kod_i,
                    item.kod_ii,
                    str(item.pdf) if item.pdf else None,
                    item.state,
                    item.ksef_number,
                    item.message,
                    item.corrects_hash,
                    item.xml,
                ),
            )

    def get(self, client_nip: str, invoice_hash: str) -> OfflineInvoice | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM send_offline WHERE client_nip = ? AND invoice_hash = ?",  # noqa: S608
                (client_nip, invoice_hash),
            ).fetchone()
        return _item(row) if row else None

    def of_client(self, client_nip: str, *, state: str | None = None) -> list[OfflineInvoice]:
        query = f"SELECT {_COLUMNS} FROM send_offline WHERE client_nip = ?"  # noqa: S608
        params: list[Any] = [client_nip]
        if state:
            query += " AND state = ?"
            params.append(state)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY issue_date, invoice_number", params).fetchall()
        return [_item(r) for r in rows]

    def sent(self, client_nip: str, invoice_hash: str, ksef_number: str) -> None:
        self._update(client_nip, invoice_hash, state="sent", ksef_number=ksef_number, message=None)

    def rejected(self, client_nip: str, invoice_hash: str, message: str) -> None:
        self._update(client_nip, invoice_hash, state="rejected", message=message)

    def _update(self, client_nip: str, invoice_hash: str, **values: object) -> None:
        sets = ", ".join(f"{name} = ?" for name in values)
        with self._lock:
            self._db.execute(
                f"UPDATE send_offline SET {sets} WHERE client_nip = ? AND invoice_hash = ?",  # noqa: S608
                [*values.values(), client_nip, invoice_hash],
            )


def _item(row: Sequence[Any]) -> OfflineInvoice:
    (
        nip,
        digest,
        number,
        source,
        mode,
        issued,
        at,
        deadline,
        kod_i,
        kod_ii,
        pdf,
        state,
        ksef,
        msg,
        corr,
        xml,
    ) = row
    return OfflineInvoice(
        client_nip=nip,
        invoice_hash=digest,
        number=number,
        source=source,
        mode=mode,
        issue_date=date.fromisoformat(issued),
        issued_at=datetime.fromisoformat(at),
        deadline=date.fromisoformat(deadline) if deadline else None,
        kod_i=kod_i,
        kod_ii=kod_ii,
        pdf=Path(pdf) if pdf else None,
        state=state,
        ksef_number=ksef,
        message=msg,
        corrects_hash=corr,
        xml=bytes(xml),
    )


# ---------------------------------------------------------------------------------------------
# Mode and deadline


def recorded_failures(config: OfficeConfig) -> list[tuple[date, date | None]]:
    """The KSeF failures recorded in ksef-sheets.toml as (start, end or None while one lasts)."""
    found: list[tuple[date, date | None]] = []
    for period in config.ksef_failures:
        try:
            start = date.fromisoformat(str(period.get("od", "")))
            end_text = str(period.get("do") or "")
            end = date.fromisoformat(end_text) if end_text else None
        except ValueError:
            continue
        found.append((start, end))
    return found


def announced_failure(config: OfficeConfig, day: date) -> tuple[bool, date | None]:
    """(``day`` falls in a KSeF failure the office recorded, the day it ended or None while it lasts)."""
    for start, end in recorded_failures(config):
        if start <= day and (end is None or day <= end):
            return True, end
    return False, None


def offline_mode_for(config: OfficeConfig, day: date) -> tuple[str, date | None]:
    """(mode, deadline) of an invoice issued offline on ``day``."""
    in_failure, ended = announced_failure(config, day)
    if in_failure:
        # art. 106nf: 7 business days from the end; unknown while the failure lasts.
        return FAILURE, offline_deadline(FAILURE, ended) if ended else None
    return OFFLINE24, offline_deadline(OFFLINE24, day)


def current_deadline(config: OfficeConfig, item: OfflineInvoice) -> OfflineInvoice:
    """The item with its deadline as the recorded failures make it today.

    A failure invoice gets its deadline once the failure's end is recorded; a failure that starts
    after the issue day and no later than the deadline moves it to 7 business days after that
    failure ends (MF ``tryby-offline.md``), and leaves it unknown while the failure lasts.
    """
    if item.mode == TOTAL_FAILURE:
        return item
    deadline = offline_mode_for(config, item.issue_date)[1] if item.mode == FAILURE else item.deadline
    for start, end in sorted(recorded_failures(config)):
        if deadline is None or not item.issue_date < start <= deadline:
            continue
        if end is None:
            deadline = None
            break
        moved = offline_deadline(item.mode, item.issue_date, failure_ended_on=end)
        if moved is not None and moved > deadline:
            deadline = moved
    return replace(item, deadline=deadline)


# ---------------------------------------------------------------------------------------------
# Issuing


def _safe_name(number: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]+", "_", number).strip("._") or "faktura"


def issue_offline(
    folder: OfficeFolder,
    *,
    client_nip: str,
    number: str,
    source: str,
    xml: bytes,
    invoice_hash: str,
    config: OfficeConfig,
    signer: OfflineSigner,
    qr_base: str,
    now: datetime,
    render_pdf: PdfRenderer,
    mode: str | None = None,
    corrects_hash: str | None = None,
) -> OfflineInvoice:
    """KOD I, KOD II, the buyer's PDF (``render_pdf``); the caller records the result in the register."""
    invoice = parse_invoice(xml, source=source)
    if invoice.issue_date is None or not invoice.seller.nip:
        raise UserError(f"Faktura {number} ({source}) nie ma daty wystawienia albo NIP sprzedawcy.")
    issued = invoice.issue_date
    if mode is None:
        mode, deadline = offline_mode_for(config, issued)
    else:
        deadline = offline_deadline(mode, issued)
    seller = invoice.seller.nip
    kod_i = kod_i_url(xml, seller_nip=seller, issue_date=issued, qr_base=qr_base)
    # The office issues in its client's context (the seller's NIP), as KSeF checks on the page.
    kod_ii = kod_ii_url(
        xml, seller_nip=seller, context_type="Nip", context_value=client_nip, signer=signer, qr_base=qr_base
    )
    pdf = render_pdf(
        invoice,
        None,
        [(kod_i, OFFLINE_LABEL, KOD_I_CAPTION), (kod_ii, CERTIFICATE_LABEL, KOD_II_CAPTION)],
    )
    target = folder.client_dir(client_nip) / OFFLINE_DIR / f"{_safe_name(number)}.pdf"
    try:
        # The exact file the codes sign, beside the buyer's PDF: what a technical correction names.
        atomic_write_bytes(target.with_suffix(".xml"), xml)
        atomic_write_bytes(target, pdf)
    except OSError as exc:
        raise UserError(f"Nie zapisano pliku {target}: {os_reason(exc)}.") from None
    return OfflineInvoice(
        client_nip=client_nip,
        invoice_hash=invoice_hash,
        number=number,
        source=source,
        mode=mode,
        issue_date=issued,
        issued_at=now.astimezone(UTC),
        deadline=deadline,
        kod_i=kod_i,
        kod_ii=kod_ii,
        pdf=target,
        state="waiting",
        ksef_number=None,
        message=None,
        corrects_hash=corrects_hash,
        xml=xml,
    )


def vault_offline_signer(folder: OfficeFolder, today: date, vault: Any = None) -> OfflineSigner | None:
    """The office's valid Offline KSeF certificate with its key from the vault (the latest to expire).

    ``vault``: an already opened ``Vault`` (the command line asked for its passphrase); else it is
    opened here (a ``UserError`` says why it cannot be).
    """
    from ksef_sheets.vault import Vault

    if not isinstance(vault, Vault):
        if not folder.vault_file.exists():
            return None
        vault = Vault.open(folder, create=False)
    usable = [
        e
        for e in vault.list(today=today)
        if e.kind == "certificate" and e.ksef_type == "Offline" and (e.days_left is None or e.days_left >= 0)
    ]
    if not usable:
        return None
    entry = max(usable, key=lambda e: e.expires or date.max)
    credential = vault.get(entry.reference)
    certificate = getattr(credential, "certificate", None)
    key = getattr(credential, "private_key", None)
    if certificate is None or key is None:
        return None
    return OfflineSigner(certificate, key, entry.ksef_serial)


# ---------------------------------------------------------------------------------------------
# Deadlines about to pass


def deadline_warnings(items: Sequence[OfflineInvoice], today: date) -> list[str]:
    """Polish warnings for waiting invoices whose deadline is today, tomorrow or already passed."""
    found: list[str] = []
    for item in items:
        if item.state != "waiting" or item.deadline is None:
            continue
        if item.deadline < today:
            found.append(
                f"Termin wysłania faktury offline {item.number} do KSeF minął {format_date(item.deadline)} "
                f"({item.mode_label}) — wyślij ją jak najszybciej."
            )
        elif item.deadline <= today + timedelta(days=1):
            when = "dziś" if item.deadline == today else "jutro"
            found.append(
                f"Termin wysłania faktury offline {item.number} do KSeF mija {when}, "
                f"{format_date(item.deadline)} ({item.mode_label})."
            )
    return found
