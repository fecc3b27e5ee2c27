"""The vocabulary of the per-client invoice workbook: sheets, statuses, rates and columns.

One place names every header so the writer, the reader of staff work and the tests agree. Headers are
the contract with staff (and with anyone reading the workbook by column name), so they are Polish and
stable; the order of columns may change between versions, their names may not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Register(StrEnum):
    """Which side of the client's VAT register an invoice belongs to (also the sheet name)."""

    PURCHASES = "Zakupy"
    SALES = "Sprzedaż"

    @property
    def table_name(self) -> str:
        # Excel table names must be unique in a workbook and are safest in ASCII.
        return "Zakupy" if self is Register.PURCHASES else "Sprzedaz"


SUMMARY_SHEET = "Podsumowanie"
# A very hidden sheet holding what the toolkit last wrote into the staff columns, so a refresh can
# tell a person's edit (workbook differs from it) from a change made elsewhere (archive differs).
SNAPSHOT_SHEET = "_ksef_sheets"
SNAPSHOT_HEADERS = ("Rejestr", "Numer KSeF", "Status", "Komentarz", "Data księgowania", "Osoba")

STATUS_NEW = "Nowa"
STATUS_CLIENT_CHECK = "Do weryfikacji u klienta"
STATUS_ACCEPTED = "Zaakceptowana"
STATUS_REJECTED = "Odrzucona"
STATUS_BOOKED = "Zaksięgowana"
STATUSES = (STATUS_NEW, STATUS_CLIENT_CHECK, STATUS_ACCEPTED, STATUS_REJECTED, STATUS_BOOKED)

INVOICE_TYPES = ("VAT", "KOR", "ZAL", "ROZ", "UPR", "KOR_ZAL", "KOR_ROZ")


@dataclass(frozen=True)
class Rate:
    """One VAT rate column group: ``key`` as in FA(3) ``P_12`` terms, ``label`` as staff read it."""

    key: str
    label: str
    has_vat: bool


# The rates of FA(3) P_13_x/P_14_x that an office books separately. 8% includes 7%, 23% includes 22%,
# 0% merges domestic, WDT and export; "oo" is the domestic reverse charge (P_13_10); "np" merges
# P_13_8 and P_13_9; "inne" collects the taxi flat rate, OSS and margin schemes.
RATES: tuple[Rate, ...] = (
    Rate("23", "23%", True),
    Rate("8", "8%", True),
    Rate("5", "5%", True),
    Rate("0", "0%", False),
    Rate("zw", "zw", False),
    Rate("np", "np", False),
    Rate("oo", "oo", False),
    Rate("inne", "inne", True),
)
RATE_KEYS = tuple(rate.key for rate in RATES)

Kind = Literal["text", "number", "money", "money_pln", "date", "datetime", "flag", "link", "status"]


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind
    width: float
    staff: bool = False


H_KSEF = "Numer KSeF"
H_NUMBER = "Numer faktury"
H_ISSUED = "Data wystawienia"
H_ACCEPTED = "Data przyjęcia w KSeF"
H_CP_NIP = "NIP kontrahenta"
H_CP_NAME = "Nazwa kontrahenta"
H_ITEMS = "Przedmiot"
H_NET = "Netto"
H_VAT = "VAT"
H_GROSS = "Brutto"
H_CURRENCY = "Waluta"
H_NET_PLN = "Netto PLN"
H_VAT_PLN = "VAT PLN"
H_GROSS_PLN = "Brutto PLN"
H_DUE = "Termin płatności"
H_ACCOUNT = "Rachunek bankowy"
H_SPLIT = "MPP"
H_TYPE = "Rodzaj"
H_CORRECTED = "Faktura korygowana"
H_OFFLINE = "Offline"
H_XML = "Plik XML"
H_CLIENT_DECISION = "Decyzja klienta"
H_CLIENT_REMARK = "Uwagi klienta"
H_STATUS = "Status"
H_COMMENT = "Komentarz"
H_BOOKED = "Data księgowania"
H_PERSON = "Osoba"

STAFF_HEADERS = (H_STATUS, H_COMMENT, H_BOOKED, H_PERSON)


def net_header(rate: Rate) -> str:
    return f"Netto {rate.label}"


def vat_header(rate: Rate) -> str:
    return f"VAT {rate.label}"


def _rate_columns() -> list[Column]:
    columns: list[Column] = []
    for rate in RATES:
        columns.append(Column(net_header(rate), "money", 12))
        if rate.has_vat:
            columns.append(Column(vat_header(rate), "money", 11))
    return columns


# What a person checks comes first and is what prints (A4 landscape, one page wide; see
# PRINTED_COLUMNS): date, number, counterparty, amounts, status and the staff comment. The KSeF
# number, the details per rate, PLN and payment follow, on screen only.
INVOICE_COLUMNS: tuple[Column, ...] = (
    Column(H_ISSUED, "date", 11.5),
    Column(H_NUMBER, "text", 18),
    Column(H_CP_NAME, "text", 30),
    Column(H_CP_NIP, "text", 12.5),
    Column(H_NET, "money", 13),
    Column(H_VAT, "money", 12),
    Column(H_GROSS, "money", 13),
    Column(H_CURRENCY, "text", 7),
    Column(H_STATUS, "status", 22, staff=True),
    Column(H_COMMENT, "text", 30, staff=True),
    Column(H_KSEF, "text", 37),
    Column(H_BOOKED, "date", 12, staff=True),
    Column(H_PERSON, "text", 12, staff=True),
    Column(H_CLIENT_DECISION, "text", 13),
    Column(H_CLIENT_REMARK, "text", 24),
    Column(H_ITEMS, "text", 32),
    Column(H_ACCEPTED, "datetime", 16),
    *_rate_columns(),
    Column(H_NET_PLN, "money_pln", 15),
    Column(H_VAT_PLN, "money_pln", 14),
    Column(H_GROSS_PLN, "money_pln", 15),
    Column(H_DUE, "date", 11.5),
    Column(H_ACCOUNT, "text", 30),
    Column(H_SPLIT, "flag", 6),
    Column(H_TYPE, "text", 9),
    Column(H_CORRECTED, "text", 22),
    Column(H_OFFLINE, "flag", 8),
    Column(H_XML, "link", 9),
)
# The leading columns that make the printout (the print area); the rest stay on screen.
PRINTED_COLUMNS = 10
INVOICE_HEADERS = tuple(column.header for column in INVOICE_COLUMNS)
KNOWN_HEADERS = frozenset(INVOICE_HEADERS)

YES = "Tak"
