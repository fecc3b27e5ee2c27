"""The vocabulary of the per-client entry workbook ``klienci/<NIP>/sprzedaz-do-wyslania.xlsx``.

Staff type sales invoices into the Excel Table ``DoWyslania`` (one row per line item; rows with the
same invoice number form one invoice) and the seller's data into three named cells above it. This
module names the file, the table, its columns and the statuses the toolkit writes — what reading the
rows (``entry_rows``) and the sending use case share with the workbook itself, which is written and
read by ``ksef_sheets.sheets`` (``send_entry``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ksef_sheets.config import OfficeFolder

ENTRY_FILE = "sprzedaz-do-wyslania.xlsx"
TABLE = "DoWyslania"
NAME_SELLER = "SprzedawcaNazwa"
NAME_ADDRESS = "SprzedawcaAdres"
NAME_ACCOUNT = "SprzedawcaRachunek"

# Staff columns.
H_NUMBER = "Numer faktury"
H_ISSUED = "Data wystawienia"
H_SOLD = "Data sprzedaży"
H_BUYER_NIP = "Nabywca NIP"
H_BUYER_NAME = "Nabywca nazwa"
H_BUYER_ADDRESS = "Nabywca adres"
H_COUNTRY = "Kraj"
H_ITEM = "Opis towaru/usługi"
H_QUANTITY = "Ilość"
H_UNIT = "J.m."
H_PRICE = "Cena netto"
H_RATE = "Stawka VAT"
H_CURRENCY = "Waluta"
H_EXCHANGE = "Kurs waluty"
H_DUE = "Termin płatności"
H_METHOD = "Forma płatności"
H_ACCOUNT = "Rachunek"
H_SPLIT = "MPP"
H_EXEMPTION = "Podstawa zwolnienia"
H_NOTES = "Uwagi"
# Columns the toolkit fills.
H_STATUS = "Status wysyłki"
H_KSEF = "Numer KSeF"
H_ACCEPTED = "Data przyjęcia"
H_UPO = "UPO"
H_MESSAGE = "Komunikat"

STATUS_PENDING = "Do wysłania"
STATUS_SENT = "Wysłana"
STATUS_REJECTED = "Odrzucona"
STATUS_ERROR = "Błąd"
STATUSES = (STATUS_PENDING, STATUS_SENT, STATUS_REJECTED, STATUS_ERROR)
# Rows in these states (or with no status) are picked up by the next ``ksef-sheets send``.
PENDING_STATUSES = ("", STATUS_PENDING, STATUS_ERROR)

RATE_CHOICES = ("23", "8", "5", "0 KR", "0 WDT", "0 EX", "zw", "np I", "np II", "oo")
PAYMENT_METHODS = {
    "gotówka": 1,
    "karta": 2,
    "bon": 3,
    "czek": 4,
    "kredyt": 5,
    "przelew": 6,
    "mobilna": 7,
}
YES, NO = "Tak", "Nie"


REQUIRED_HEADERS = (H_NUMBER, H_ISSUED, H_ITEM, H_PRICE, H_RATE)


def entry_path(folder: OfficeFolder, nip: str) -> Path:
    return folder.client_dir(nip) / ENTRY_FILE


class EntryTable(Protocol):
    """The table ``DoWyslania`` as read: its headers, its rows (by header) and their sheet row numbers."""

    @property
    def headers(self) -> Sequence[str]: ...

    @property
    def rows(self) -> Sequence[Mapping[str, Any]]: ...

    @property
    def row_numbers(self) -> Sequence[int]: ...


@dataclass
class EntrySheet:
    """What the entry workbook holds: the table's rows (values as Excel computed them) and the seller."""

    path: Path
    table: EntryTable
    seller_name: str
    seller_address: str
    seller_account: str


def text_of(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def pending_rows(sheet: EntrySheet) -> list[tuple[int, dict[str, Any]]]:
    """(sheet row, values) of rows waiting to be sent, in sheet order."""
    out = []
    for number, row in zip(sheet.table.row_numbers, sheet.table.rows, strict=True):
        if text_of(row.get(H_STATUS)) in PENDING_STATUSES:
            out.append((number, dict(row)))
    return out


def row_range(rows: Sequence[int]) -> str:
    """„wiersz 8” or „wiersze 8–10” (or a list when rows are apart)."""
    ordered = sorted(set(rows))
    if len(ordered) == 1:
        return f"wiersz {ordered[0]}"
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"wiersze {ordered[0]}–{ordered[-1]}"
    return "wiersze " + ", ".join(str(r) for r in ordered)
