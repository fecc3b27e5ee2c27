"""The tables, status tables, limits and request bodies of sending sessions (see ``sessions.py``)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Literal

from pydantic import Field

from ksef_sheets.emulator.wire import EncryptionInfo, _Body

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
# GET /sessions date filters: query name -> (column, comparison).
DATE_FILTERS = {
    "dateCreatedFrom": ("created_us", ">="),
    "dateCreatedTo": ("created_us", "<="),
    "dateClosedFrom": ("closed_us", ">="),
    "dateClosedTo": ("closed_us", "<="),
    "dateModifiedFrom": ("updated_us", ">="),
    "dateModifiedTo": ("updated_us", "<="),
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
