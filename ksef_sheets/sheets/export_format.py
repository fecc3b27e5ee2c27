"""The client's invoice list as a file format: names, columns, rows and the integrity codes.

What the writer (``sheets.client_export``) puts into the workbook and the reader
(``sheets.client_import``) expects back. The use cases (choosing invoices from the archive, the
e-mail, applying a client's decisions) are in ``workflows.client_export`` / ``client_decisions``.

Integrity. Each row carries an HMAC (hidden column ``Kontrola``) over the client NIP, the period and
the row's invoice data; the very hidden sheet ``_kontrola`` holds the export's id, client, period
and an HMAC over all of them. The key is the office's secret (``klucz-eksportu.bin``, kept in the
office folder by the use case), so a returned file can be checked for belonging to this office,
this client and this period, and for rows whose data was changed. Sheet protection has no password
(``PROTECTION_PASSWORD`` is empty): it guards against slips, not against a determined person — the
HMAC is what detects deliberate changes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ksef_sheets.errors import UserError

ExportKind = Literal["zakupy", "sprzedaz", "wszystkie"]
EXPORT_KINDS: tuple[ExportKind, ...] = ("zakupy", "sprzedaz", "wszystkie")

KIND_LABELS = {"zakupy": "faktury zakupu", "sprzedaz": "faktury sprzedaży", "wszystkie": "sprzedaż i zakupy"}

FORMAT_VERSION = "1"
PROTECTION_PASSWORD = ""  # documented in docs/exports.md: no password, see the module docstring
LIST_SHEET = "Faktury"
SUMMARY_SHEET = "Podsumowanie"
INSTRUCTION_SHEET = "Instrukcja"
CONTROL_SHEET = "_kontrola"
SIDE_PURCHASE = "Zakup"
SIDE_SALE = "Sprzedaż"
DECISION_ACCEPT = "Akceptuję"
DECISION_REJECT = "Odrzucam"
DECISIONS = (DECISION_ACCEPT, DECISION_REJECT)
CONFIRM_YES = "Potwierdzam"
CONFIRM_NO = "Nie potwierdzam"
CONFIRM_LABEL = "Potwierdzam zestawienie jako całość:"

# Headers of the list (read back by name, never by position).
H_LP = "Lp."
H_SIDE = "Rodzaj"
H_KSEF = "Numer KSeF"
H_NUMBER = "Numer faktury"
H_ISSUE = "Data wystawienia"
H_KSEF_DATE = "Data w KSeF"
H_SELLER_NIP = "NIP sprzedawcy"
H_SELLER = "Sprzedawca"
H_BUYER = "Nabywca"
H_CURRENCY = "Waluta"
H_NET = "Netto"
H_VAT = "VAT"
H_GROSS = "Brutto"
H_STATUS = "Status w biurze"
H_DECISION = "Decyzja"
H_REMARK = "Uwagi"
H_MAC = "Kontrola"
# What the client reads and decides comes first and is what prints (A4 landscape, one page wide,
# PRINTED_HEADERS); the KSeF number, date in KSeF and the office status follow on screen. The reply
# is read by header name, so replies to files with the older column order still import.
HEADERS = (
    H_LP,
    H_SIDE,
    H_NUMBER,
    H_ISSUE,
    H_SELLER,
    H_SELLER_NIP,
    H_BUYER,
    H_NET,
    H_VAT,
    H_GROSS,
    H_CURRENCY,
    H_DECISION,
    H_REMARK,
    H_KSEF,
    H_KSEF_DATE,
    H_STATUS,
    H_MAC,
)
PRINTED_HEADERS = HEADERS[: HEADERS.index(H_REMARK) + 1]
# The CSV is data for other programs: its columns keep their order (the rows in ``export_csv``).
CSV_HEADERS = (
    H_LP,
    H_SIDE,
    H_KSEF,
    H_NUMBER,
    H_ISSUE,
    H_KSEF_DATE,
    H_SELLER_NIP,
    H_SELLER,
    H_BUYER,
    H_CURRENCY,
    H_NET,
    H_VAT,
    H_GROSS,
    H_STATUS,
    H_DECISION,
    H_REMARK,
)
HEADER_ROW = 6  # 0-based row of the list's headers on sheet Faktury
CONFIRM_CELL = (3, 4)  # (row, col) of the scenario-3 confirmation dropdown

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# The remark column by a name that says whose list it is (the package face also has the invoice
# workbook's columns).
REMARK_HEADER = H_REMARK


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month), or a Polish ``UserError``."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 2020 <= int(match.group(1)) <= 2100:
        raise UserError(f"Okres „{text}” ma niepoprawny format; podaj miesiąc jako RRRR-MM, np. 2026-03.")
    return int(match.group(1)), int(match.group(2))


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(Decimal('0.01'))}"


@dataclass
class ExportRow:
    """One invoice as the client sees it (and as the integrity code covers it)."""

    side: str
    ksef_number: str
    number: str
    issue_date: date | None
    ksef_date: date | None
    seller_nip: str
    seller_name: str
    buyer: str
    currency: str
    net: Decimal | None
    vat: Decimal | None
    gross: Decimal | None
    status: str = ""
    decision: str = ""
    remark: str = ""
    mac: str = ""

    def signed_fields(self) -> tuple[str, ...]:
        return (
            self.side,
            self.ksef_number,
            self.number,
            self.issue_date.isoformat() if self.issue_date else "",
            self.seller_nip,
            self.currency,
            money_text(self.net),
            money_text(self.vat),
            money_text(self.gross),
        )


def row_mac(key: bytes, nip: str, period: str, fields: Sequence[str]) -> str:
    message = "\x1f".join((FORMAT_VERSION, nip, period, *fields)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def file_mac(
    key: bytes, nip: str, period: str, kind: str, export_id: str, rows: Sequence[tuple[str, str]]
) -> str:
    body = "\x1e".join(f"{number}\x1f{mac}" for number, mac in rows)
    message = "\x1d".join((FORMAT_VERSION, "plik", nip, period, kind, export_id, body)).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass
class ExportHeader:
    """What the list says about itself: client, period, kind, the office and the reply deadline."""

    client_nip: str
    client_name: str
    period: str
    kind: ExportKind
    scenario: int | None
    export_id: str
    created_at: datetime
    office_name: str
    office_email: str | None
    reply_days: int
    # The verification deadline (business days after the export's day) and how the client reads
    # it ("w ciągu 5 dni roboczych, czyli do 14.12.2026 (pon.)"): counted by the use case.
    reply_by: date
    reply_deadline_text: str
    file_mac: str = ""

    @property
    def confirms_whole(self) -> bool:
        return self.scenario == 3


def sign_export(key: bytes, header: ExportHeader, rows: Sequence[ExportRow]) -> None:
    """Give every row its integrity code and the header the code over the whole list."""
    for row in rows:
        row.mac = row_mac(key, header.client_nip, header.period, row.signed_fields())
    header.file_mac = file_mac(
        key,
        header.client_nip,
        header.period,
        header.kind,
        header.export_id,
        [(r.ksef_number, r.mac) for r in rows],
    )


def export_base_name(kind: ExportKind, nip: str, period: str) -> str:
    return f"faktury-{kind}-{nip}-{period}"
