"""Reading a client's returned invoice list back: the file checked, its rows as they are now.

``open_client_reply(path, key)`` opens a returned file safely (size and part caps, streamed) and
checks that it is an export signed with the office's key (the HMAC in its very hidden
``_kontrola`` sheet); ``ClientReply`` then says which client, period and kind it is, reads sheet
``Faktury`` by header name (whatever order the client sorted the rows in) and tells whether a row's
invoice data are still what was exported. What the decisions mean for the archive — outcomes,
conflicts, statuses — is the use case ``workflows.client_decisions``.

``write_follow_up_workbook`` writes ``do-wyjasnienia.xlsx``, the office's list of invoices clients
rejected, printable A4 landscape like every list the toolkit writes.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import xlsxwriter
from openpyxl.worksheet.worksheet import Worksheet

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path
from ksef_sheets.sheets.export_format import (
    CONFIRM_LABEL,
    CONFIRM_YES,
    CONTROL_SHEET,
    DECISION_ACCEPT,
    DECISION_REJECT,
    FORMAT_VERSION,
    H_CURRENCY,
    H_DECISION,
    H_GROSS,
    H_ISSUE,
    H_KSEF,
    H_MAC,
    H_NET,
    H_NUMBER,
    H_REMARK,
    H_SELLER_NIP,
    H_SIDE,
    H_VAT,
    LIST_SHEET,
    ExportRow,
    file_mac,
    money_text,
    row_mac,
)
from ksef_sheets.sheets.incoming_xlsx import XlsxLimits, check_incoming_xlsx, open_workbook, read_rows
from ksef_sheets.sheets.printing import DATE_FORMAT, MONEY_FORMAT, print_a4_landscape
from ksef_sheets.sheets.safe_text import clean_text

__all__ = [
    "ClientReply",
    "ReplyRow",
    "decision_of",
    "describe_changes",
    "open_client_reply",
    "write_follow_up_workbook",
]

MAX_FILE_BYTES = 30_000_000
# A month's list of one client is a few thousand rows (a few MB unpacked): anything far beyond
# is refused before it is parsed (issue 18 D3: a 290 MB sheet took 4 GB and minutes).
MAX_UNPACKED_BYTES = 100_000_000
MAX_RATIO = 100
MAX_ROWS = 50_000
MAX_COLUMNS = 100
LIMITS = XlsxLimits(MAX_FILE_BYTES, MAX_UNPACKED_BYTES, MAX_RATIO, MAX_ROWS, MAX_COLUMNS)
MAX_REMARK = 1000

_ACCEPT_WORDS = {"akceptuję", "akceptuje", "akceptuje.", "zaakceptowana", "tak", "ok", "akceptacja"}
_REJECT_WORDS = {"odrzucam", "odrzucona", "nie", "odrzucenie", "odrzuć", "odrzuc"}


# ----------------------------------------------------------------------------------------------
# Opening the file safely


def _check_container(path: Path) -> None:
    if path.is_dir():
        raise UserError(f"{path} jest folderem, a nie plikiem odpowiedzi klienta (.xlsx).")
    if not path.is_file():
        raise UserError(f"Nie ma pliku {path}.")
    if path.suffix.lower() == ".csv":
        raise UserError(
            f"Plik {path} to CSV, który nie zawiera danych kontrolnych; poproś klienta o odesłanie pliku .xlsx."
        )
    # Size, parts, ratio of every part, DOCTYPE in any encoding anywhere (sheets.incoming_xlsx).
    check_incoming_xlsx(path, LIMITS)


def _open(path: Path) -> Any:
    """The returned file, streamed (read-only mode): rows are read one at a time within the caps."""
    _check_container(path)
    # Formulas as typed (a remark "=..." stays that text); our own cells hold values, not formulas.
    return open_workbook(path, LIMITS, data_only=False)


@dataclass
class _Marker:
    values: dict[str, str]
    rows: dict[str, str]  # KSeF number -> row MAC, in export order
    order: list[str]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_marker(workbook: Any, path: Path) -> _Marker:
    if CONTROL_SHEET not in workbook.sheetnames:
        raise UserError(
            f"Plik {path} nie jest zestawieniem z ksef-sheets albo usunięto z niego arkusz kontrolny; "
            "wyślij klientowi nowe zestawienie (ksef-sheets export)."
        )
    ws: Worksheet = workbook[CONTROL_SHEET]
    values: dict[str, str] = {}
    rows: dict[str, str] = {}
    order: list[str] = []
    in_rows = False
    for row in read_rows(path, ws, LIMITS):
        first, second = (_text(row[0]) if row else ""), (_text(row[1]) if row and len(row) > 1 else "")
        if not first and not second:
            continue
        if first == "Numer KSeF" and second == H_MAC:
            in_rows = True
            continue
        if in_rows:
            rows[first] = second
            order.append(first)
        else:
            values[first] = second
    if values.get("wersja") != FORMAT_VERSION or not {"nip", "okres", "zakres", "id", "podpis"} <= set(
        values
    ):
        raise UserError(
            f"Plik {path}: arkusz kontrolny jest niekompletny lub pochodzi z innej wersji programu."
        )
    return _Marker(values, rows, order)


# ----------------------------------------------------------------------------------------------
# Reading the list


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, float):
            return Decimal(repr(value)).quantize(Decimal("0.01"))
        text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _find_header(ws: Worksheet, path: Path) -> tuple[int, dict[str, int]]:
    for r, row in enumerate(read_rows(path, ws, LIMITS, max_row=60), start=1):
        names = [_text(v) for v in row]
        if H_KSEF in names and H_DECISION in names:
            return r, {name: i for i, name in enumerate(names) if name}
    raise UserError(
        f"Plik {path}: w arkuszu „{LIST_SHEET}” nie znaleziono nagłówków „{H_KSEF}” i „{H_DECISION}”."
    )


def _confirmation(ws: Worksheet, header_row: int, path: Path) -> bool | None:
    for row in read_rows(path, ws, LIMITS, max_row=header_row - 1):
        cells = [_text(v) for v in row]
        if CONFIRM_LABEL in cells:
            after = [c for c in cells[cells.index(CONFIRM_LABEL) + 1 :] if c]
            if not after:
                return False
            return after[0].casefold() == CONFIRM_YES.casefold()
    return None


def decision_of(value: str) -> str | None:
    word = value.strip().casefold()
    if not word:
        return ""
    if word in _ACCEPT_WORDS:
        return DECISION_ACCEPT
    if word in _REJECT_WORDS:
        return DECISION_REJECT
    return None


def describe_changes(original: ExportRow, seen: ExportRow) -> str:
    labels = (
        (H_SIDE, original.side, seen.side),
        (H_NUMBER, original.number, seen.number),
        (
            H_ISSUE,
            original.issue_date.isoformat() if original.issue_date else "",
            seen.issue_date.isoformat() if seen.issue_date else "",
        ),
        (H_SELLER_NIP, original.seller_nip, seen.seller_nip),
        (H_CURRENCY, original.currency, seen.currency),
        (H_NET, money_text(original.net), money_text(seen.net)),
        (H_VAT, money_text(original.vat), money_text(seen.vat)),
        (H_GROSS, money_text(original.gross), money_text(seen.gross)),
    )
    changed = [f"„{name}” z „{a}” na „{b}”" for name, a, b in labels if a != b]
    return ", ".join(changed) if changed else "dane kontrolne wiersza"


REQUIRED_HEADERS = (
    H_KSEF,
    H_SIDE,
    H_NUMBER,
    H_ISSUE,
    H_SELLER_NIP,
    H_CURRENCY,
    H_NET,
    H_VAT,
    H_GROSS,
    H_DECISION,
    H_REMARK,
)


@dataclass
class ReplyRow:
    """One non-empty row of the returned list, as the client left it."""

    row: int  # the Excel row number in the returned file
    ksef_number: str
    decision_text: str
    remark: str  # cleaned and capped at MAX_REMARK characters
    observed: ExportRow  # the row's invoice data as they are now (checked with ``ClientReply.untouched``)


class ClientReply:
    """A returned list whose control sheet is this office's: what it is, then its rows.

    Streamed (read-only mode): the file stays open until ``close()``.
    """

    def __init__(self, path: Path, workbook: Any, marker: _Marker, key: bytes) -> None:
        self.path = path
        self._workbook = workbook
        self._key = key
        self.nip, self.period, self.kind, self.export_id = (
            marker.values[k] for k in ("nip", "okres", "zakres", "id")
        )
        self.row_macs = marker.rows  # KSeF number -> row MAC, as exported
        self.order = marker.order  # KSeF numbers in export order
        self._ws: Worksheet | None = None
        self._header_row = 0
        self._columns: dict[str, int] = {}
        self._closed = False

    def read_list_header(self) -> bool | None:
        """Find the list's headers (every column the import needs) and the scenario-3 confirmation.

        Returns whether the client confirmed the whole list (None when the list has no such cell).
        """
        path = self.path
        if LIST_SHEET not in self._workbook.sheetnames:
            raise UserError(f"Plik {path}: brak arkusza „{LIST_SHEET}”.")
        ws: Worksheet = self._workbook[LIST_SHEET]
        header_row, columns = _find_header(ws, path)
        missing = [h for h in REQUIRED_HEADERS if h not in columns]
        if missing:
            raise UserError(f"Plik {path}: w arkuszu „{LIST_SHEET}” brakuje kolumn: {', '.join(missing)}.")
        self._ws, self._header_row, self._columns = ws, header_row, columns
        return _confirmation(ws, header_row, path)

    def rows(self) -> Iterator[ReplyRow]:
        """The list's non-empty rows below the headers (``read_list_header`` first)."""
        if self._ws is None:
            raise RuntimeError("read_list_header() before rows()")
        columns = self._columns

        def cell(values: tuple[Any, ...], header: str) -> Any:
            index = columns[header]
            return values[index] if index < len(values) else None

        first = self._header_row + 1
        for r, values in enumerate(read_rows(self.path, self._ws, LIMITS, min_row=first), start=first):
            if all(v is None or _text(v) == "" for v in values):
                continue
            number = _text(cell(values, H_KSEF))
            observed = ExportRow(
                side=_text(cell(values, H_SIDE)),
                ksef_number=number,
                number=_text(cell(values, H_NUMBER)),
                issue_date=_date(cell(values, H_ISSUE)),
                ksef_date=None,
                seller_nip=_text(cell(values, H_SELLER_NIP)),
                seller_name="",
                buyer="",
                currency=_text(cell(values, H_CURRENCY)),
                net=_decimal(cell(values, H_NET)),
                vat=_decimal(cell(values, H_VAT)),
                gross=_decimal(cell(values, H_GROSS)),
            )
            yield ReplyRow(
                r,
                number,
                _text(cell(values, H_DECISION)),
                clean_text(_text(cell(values, H_REMARK)))[:MAX_REMARK],
                observed,
            )

    def untouched(self, row: ReplyRow) -> bool:
        """Whether the row's invoice data are what was exported (its integrity code still fits)."""
        signed = row_mac(self._key, self.nip, self.period, row.observed.signed_fields())
        return hmac.compare_digest(signed, self.row_macs[row.ksef_number])

    def close(self) -> None:
        """Let the file go (read-only mode keeps it open until closed); closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._workbook.close()


def open_client_reply(path: Path, key: bytes) -> ClientReply:
    """The returned file, opened within the caps and checked against the office's key."""
    workbook = _open(path)
    marker = _read_marker(workbook, path)
    nip, period, kind, export_id = (marker.values[k] for k in ("nip", "okres", "zakres", "id"))
    expected = file_mac(key, nip, period, kind, export_id, [(n, marker.rows[n]) for n in marker.order])
    if not hmac.compare_digest(expected, marker.values["podpis"]):
        raise UserError(
            f"Plik {path}: dane kontrolne się nie zgadzają — plik pochodzi z innego biura albo zmieniono "
            "w nim coś poza kolumnami Decyzja i Uwagi; wyślij klientowi nowe zestawienie."
        )
    return ClientReply(path, workbook, marker, key)


# ----------------------------------------------------------------------------------------------
# The office's follow-up list

FOLLOW_UP_SHEET = "Do wyjaśnienia"
FOLLOW_UP_HEADERS = (
    "NIP klienta",
    "Numer KSeF",
    "Numer faktury",
    "Data wystawienia",
    "NIP sprzedawcy",
    "Sprzedawca",
    "Brutto",
    "Waluta",
    "Uwagi klienta",
    "Data decyzji klienta",
    "Status",
    "Komentarz biura",
)

_WRAPPED = frozenset({"Sprzedawca", "Uwagi klienta", "Komentarz biura"})


def write_follow_up_workbook(path: Path, rows: Sequence[tuple[Any, ...]]) -> None:
    """The follow-up list (one row per rejected invoice, in ``FOLLOW_UP_HEADERS`` order), atomically."""
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
        ws = workbook.add_worksheet(FOLLOW_UP_SHEET)
        # Polish dates and separators on any machine (sheets.printing).
        f_date = workbook.add_format({"num_format": DATE_FORMAT, "valign": "top"})
        f_money = workbook.add_format({"num_format": MONEY_FORMAT, "valign": "top"})
        f_text = workbook.add_format({"valign": "top"})
        # Names, remarks and comments wrap within their column, so the list fits one page wide in
        # a size a person reads; a header wraps between its words.
        f_wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        f_head = workbook.add_format({"bold": True, "text_wrap": True, "valign": "bottom"})
        widths = (12, 38, 16, 11, 13, 24, 12, 7, 30, 11, 13, 24)
        for r, row in enumerate(rows, start=1):
            # A row as tall as its longest wrapped text (no program measures it on opening).
            lines = max(
                (
                    math.ceil(len(str(value)) / (widths[c] - 2))
                    for c, value in enumerate(row)
                    if FOLLOW_UP_HEADERS[c] in _WRAPPED and value
                ),
                default=1,
            )
            if lines > 1:
                ws.set_row(r, 15 * lines)
            for c, value in enumerate(row):
                if isinstance(value, date):
                    ws.write_datetime(r, c, datetime(value.year, value.month, value.day), f_date)
                elif isinstance(value, Decimal):
                    ws.write_number(r, c, float(value), f_money)
                elif value is None:
                    ws.write_blank(r, c, None)
                else:
                    fmt = f_wrap if FOLLOW_UP_HEADERS[c] in _WRAPPED else f_text
                    ws.write_string(r, c, clean_text(str(value)), fmt)
        ws.add_table(
            0,
            0,
            max(len(rows), 1),
            len(FOLLOW_UP_HEADERS) - 1,
            {
                "name": "DoWyjasnienia",
                "columns": [{"header": h, "header_format": f_head} for h in FOLLOW_UP_HEADERS],
            },
        )
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        ws.set_row(0, 30)  # two-word headers on two lines
        ws.freeze_panes(1, 2)
        # On paper like the other lists: A4 landscape, one page wide, the headers on every page.
        print_a4_landscape(ws, repeat=0)
        workbook.close()
