"""The per-client entry workbook ``klienci/<NIP>/sprzedaz-do-wyslania.xlsx``: creating, reading, writing back.

Staff type sales invoices into the Excel Table ``DoWyslania`` (one row per line item; rows with the
same invoice number form one invoice) and the seller's data into three named cells above it. The
toolkit reads the table by header name through ``ksef_sheets.sheets.tables`` and writes back only its
own columns (status, KSeF number, acceptance date, UPO link, message) of the rows it sent; every
other column, row, format and staff formula stays as it was. The file is replaced atomically, and a
workbook open in Excel gives the Polish ``FileLockedError`` instead of a damaged file.

The names of the file, table, columns and statuses are the sending library's vocabulary
(``ksef_sheets.send``, ``entry_columns``); they are imported here so this module offers them too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zipfile import BadZipFile
from zoneinfo import ZoneInfo

from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, ensure_writable
from ksef_sheets.send import (
    ENTRY_FILE,
    H_ACCEPTED,
    H_ACCOUNT,
    H_BUYER_ADDRESS,
    H_BUYER_NAME,
    H_BUYER_NIP,
    H_COUNTRY,
    H_CURRENCY,
    H_DUE,
    H_EXCHANGE,
    H_EXEMPTION,
    H_ISSUED,
    H_ITEM,
    H_KSEF,
    H_MESSAGE,
    H_METHOD,
    H_NOTES,
    H_NUMBER,
    H_PRICE,
    H_QUANTITY,
    H_RATE,
    H_SOLD,
    H_SPLIT,
    H_STATUS,
    H_UNIT,
    H_UPO,
    NAME_ACCOUNT,
    NAME_ADDRESS,
    NAME_SELLER,
    NO,
    PAYMENT_METHODS,
    PENDING_STATUSES,
    RATE_CHOICES,
    REQUIRED_HEADERS,
    STATUS_ERROR,
    STATUS_PENDING,
    STATUS_REJECTED,
    STATUS_SENT,
    STATUSES,
    TABLE,
    YES,
    EntrySheet,
    entry_path,
    pending_rows,
    row_range,
    text_of,
)
from ksef_sheets.sheets.printing import DATE_FORMAT, DATETIME_FORMAT, POLISH
from ksef_sheets.sheets.safe_text import set_text
from ksef_sheets.sheets.tables import Link, OpenpyxlTables, TableData

# The vocabulary from ksef_sheets.send is offered here too: one name space for the entry workbook.
__all__ = [
    "COLUMNS",
    "ENTRY_FILE",
    "HEADERS",
    "HEADER_ROW",
    "HELP_SHEET",
    "H_ACCEPTED",
    "H_ACCOUNT",
    "H_BUYER_ADDRESS",
    "H_BUYER_NAME",
    "H_BUYER_NIP",
    "H_COUNTRY",
    "H_CURRENCY",
    "H_DUE",
    "H_EXCHANGE",
    "H_EXEMPTION",
    "H_ISSUED",
    "H_ITEM",
    "H_KSEF",
    "H_MESSAGE",
    "H_METHOD",
    "H_NOTES",
    "H_NUMBER",
    "H_PRICE",
    "H_QUANTITY",
    "H_RATE",
    "H_SOLD",
    "H_SPLIT",
    "H_STATUS",
    "H_UNIT",
    "H_UPO",
    "NAME_ACCOUNT",
    "NAME_ADDRESS",
    "NAME_SELLER",
    "NO",
    "OFFLINE_HEADERS",
    "OFFLINE_SHEET",
    "PAYMENT_METHODS",
    "PENDING_STATUSES",
    "RATE_CHOICES",
    "REQUIRED_HEADERS",
    "SHEET",
    "STATUSES",
    "STATUS_ERROR",
    "STATUS_PENDING",
    "STATUS_REJECTED",
    "STATUS_SENT",
    "TABLE",
    "TOOLKIT_HEADERS",
    "YES",
    "EntryColumn",
    "EntryOfflineRow",
    "EntryRowUpdate",
    "EntrySheet",
    "OfflineRow",
    "RowUpdate",
    "create_entry_workbook",
    "entry_path",
    "pending_rows",
    "read_entry_workbook",
    "row_range",
    "text_of",
    "write_back",
    "write_entry_back",
]

SHEET = "Sprzedaż do wysłania"
HELP_SHEET = "Instrukcja"
HEADER_ROW = 7
WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass(frozen=True)
class EntryColumn:
    header: str
    width: float
    number_format: str | None = None
    choices: tuple[str, ...] = ()
    toolkit: bool = False
    note: str = ""


COLUMNS: tuple[EntryColumn, ...] = (
    EntryColumn(H_NUMBER, 16, "@", note="Wiersze z tym samym numerem tworzą jedną fakturę."),
    EntryColumn(H_ISSUED, 12, DATE_FORMAT),
    EntryColumn(H_SOLD, 12, DATE_FORMAT, note="Puste: jak data wystawienia."),
    EntryColumn(H_BUYER_NIP, 14, "@", note="Puste dla konsumenta; dla nabywcy z UE numer VAT UE."),
    EntryColumn(H_BUYER_NAME, 28),
    EntryColumn(H_BUYER_ADDRESS, 30),
    EntryColumn(H_COUNTRY, 7, "@", note="Kod kraju nabywcy spoza Polski (np. DE); puste: PL."),
    EntryColumn(H_ITEM, 34),
    EntryColumn(H_QUANTITY, 8, POLISH + "#,##0.######"),
    EntryColumn(H_UNIT, 7),
    EntryColumn(H_PRICE, 12, POLISH + "#,##0.00######"),
    EntryColumn(H_RATE, 9, "@", RATE_CHOICES),
    EntryColumn(H_CURRENCY, 8, "@", note="Puste: PLN."),
    EntryColumn(H_EXCHANGE, 10, POLISH + "0.0000", note="Kurs NBP dla faktur w walucie obcej."),
    EntryColumn(H_DUE, 12, DATE_FORMAT),
    EntryColumn(H_METHOD, 11, None, tuple(PAYMENT_METHODS)),
    EntryColumn(H_ACCOUNT, 30, "@"),
    EntryColumn(H_SPLIT, 7, None, (YES, NO)),
    EntryColumn(H_EXEMPTION, 24, note="Wymagana dla stawki zw (P_19A)."),
    EntryColumn(H_NOTES, 24, note="Notatka biura; nie trafia na fakturę."),
    EntryColumn(H_STATUS, 12, None, STATUSES, toolkit=True),
    EntryColumn(H_KSEF, 38, "@", toolkit=True),
    EntryColumn(H_ACCEPTED, 17, DATETIME_FORMAT, toolkit=True),
    EntryColumn(H_UPO, 12, toolkit=True),
    EntryColumn(H_MESSAGE, 50, toolkit=True),
)
HEADERS = tuple(c.header for c in COLUMNS)
TOOLKIT_HEADERS = tuple(c.header for c in COLUMNS if c.toolkit)

_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_TOOLKIT_FILL = PatternFill("solid", fgColor="7F7F7F")
_GREEN = PatternFill("solid", fgColor="C6EFCE")
_RED = PatternFill("solid", fgColor="FFC7CE")
_YELLOW = PatternFill("solid", fgColor="FFEB9C")


# --------------------------------------------------------------------------------------------
# Creating


def create_entry_workbook(
    path: Path, *, client_nip: str, client_name: str = "", address: str = "", account: str = ""
) -> None:
    """A new, empty entry workbook (atomic). Never overwrites an existing one."""
    if path.exists():
        raise UserError(f"Plik {path} już istnieje; nie nadpisano go.")
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    ws["A1"] = "Faktury sprzedaży do wysłania do KSeF"
    ws["A1"].font = Font(bold=True, size=14)
    set_text(ws["A2"], f"Klient: {client_name} (NIP {client_nip})".replace("  ", " "))
    _seller_cells(wb, ws, client_name, address, account)
    _table(ws)
    _paper(ws)
    _dropdowns(ws)
    _help_sheet(wb)
    with atomic_path(path) as tmp:
        wb.save(tmp)


def _seller_cells(wb: Workbook, ws: Worksheet, client_name: str, address: str, account: str) -> None:
    """The seller's three named cells above the table."""
    labels = (
        ("A3", "Sprzedawca (nazwa)", "C3", client_name, NAME_SELLER),
        ("A4", "Adres sprzedawcy", "C4", address, NAME_ADDRESS),
        ("A5", "Rachunek bankowy", "C5", account, NAME_ACCOUNT),
    )
    for label_cell, label, value_cell, value, name in labels:
        ws[label_cell] = label
        ws[label_cell].font = Font(bold=True)
        set_text(ws[value_cell], value or None)
        ws[value_cell].fill = _YELLOW
        ws.merge_cells(f"{value_cell}:{value_cell.replace('C', 'H')}")
        wb.defined_names[name] = DefinedName(name, attr_text=f"'{SHEET}'!${value_cell[0]}${value_cell[1:]}")


def _table(ws: Worksheet) -> None:
    """The header row, column widths and formats, and the Excel Table ``DoWyslania``."""
    last_col = get_column_letter(len(COLUMNS))
    for index, column in enumerate(COLUMNS, 1):
        cell = ws.cell(row=HEADER_ROW, column=index)
        set_text(cell, column.header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _TOOLKIT_FILL if column.toolkit else _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        body = ws.cell(row=HEADER_ROW + 1, column=index)
        # Every body cell gets a style of its own: new rows copy it (tables.write_table).
        body.alignment = Alignment(vertical="top", wrap_text=column.header in (H_ITEM, H_MESSAGE))
        if column.number_format:
            body.number_format = column.number_format
    ws.row_dimensions[HEADER_ROW].height = 32
    ref = f"A{HEADER_ROW}:{last_col}{HEADER_ROW + 1}"
    table = Table(displayName=TABLE, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = f"B{HEADER_ROW + 1}"


def _paper(ws: Worksheet) -> None:
    # On paper: A4 landscape, three pages across (of some 25 columns) at a readable size, the
    # header row and the invoice number repeated on every page.
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 3
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_title_cols = "A:A"


def _dropdowns(ws: Worksheet) -> None:
    # Dropdowns and formats for a generous body, so rows staff add keep them.
    last_col = get_column_letter(len(COLUMNS))
    body_last = HEADER_ROW + 2000
    for index, column in enumerate(COLUMNS, 1):
        letter = get_column_letter(index)
        area = f"{letter}{HEADER_ROW + 1}:{letter}{body_last}"
        if column.choices:
            dv = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=True,
                showErrorMessage=column.header != H_RATE,
                errorTitle=column.header,
                error="Wybierz wartość z listy.",
            )
            dv.add(area)
            ws.add_data_validation(dv)
    status = get_column_letter(HEADERS.index(H_STATUS) + 1)
    area = f"A{HEADER_ROW + 1}:{last_col}{body_last}"
    for text, fill in ((STATUS_SENT, _GREEN), (STATUS_REJECTED, _RED), (STATUS_ERROR, _RED)):
        ws.conditional_formatting.add(
            area, FormulaRule(formula=[f'${status}{HEADER_ROW + 1}="{text}"'], fill=fill, stopIfTrue=False)
        )


def _help_sheet(wb: Workbook) -> None:
    """The sheet "Instrukcja": how to fill the table, and each column's note."""
    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.column_dimensions["A"].width = 28
    help_ws.column_dimensions["B"].width = 90
    lines = [
        ("Jak wypełnić", ""),
        ("Jeden wiersz", "jedna pozycja faktury; wiersze z tym samym numerem faktury tworzą jedną fakturę."),
        ("Dane faktury", "daty, nabywcę, walutę i płatność wystarczy wpisać w pierwszym wierszu faktury."),
        ("Wysyłka", "ksef-sheets send --client NIP (najpierw można sprawdzić: --dry-run)."),
        (
            "Kolumny szare",
            "wypełnia program: status, numer KSeF, data przyjęcia, link do UPO, komunikat. "
            "Aby wysłać ponownie poprawioną fakturę odrzuconą, zmień status na „Do wysłania”.",
        ),
    ]
    lines += [(c.header, c.note) for c in COLUMNS if c.note]
    for r, (label, text) in enumerate(lines, 1):
        set_text(help_ws.cell(row=r, column=1), label)
        help_ws.cell(row=r, column=1).font = Font(bold=True)
        set_text(help_ws.cell(row=r, column=2), text or None)
        help_ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
        if len(text) > 100:  # neither Excel nor LibreOffice sizes a wrapped row on opening
            help_ws.row_dimensions[r].height = 15.0 * (len(text) // 95 + 1)
    help_ws.page_setup.paperSize = help_ws.PAPERSIZE_A4
    help_ws.page_setup.orientation = "landscape"
    help_ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    help_ws.page_setup.fitToWidth = 1
    help_ws.page_setup.fitToHeight = 0


# --------------------------------------------------------------------------------------------
# Reading


def _load(path: Path, *, data_only: bool) -> Workbook:
    try:
        return load_workbook(path, data_only=data_only)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UserError(
            f"Nie można odczytać pliku {path}: to nie jest poprawny skoroszyt Excela ({type(exc).__name__})."
        ) from None


def read_entry_workbook(path: Path) -> EntrySheet:
    """The table and the seller's cells; formula cells give the value Excel last computed."""
    values = _load(path, data_only=True)
    tables = OpenpyxlTables(values, source=str(path))
    table = tables.read_table(TABLE)
    missing = [h for h in REQUIRED_HEADERS if h not in table.headers]
    if missing:
        raise UserError(
            f"W pliku {path}, w tabeli „{TABLE}”, brak kolumny „{missing[0]}”. "
            "Nie zmieniaj nagłówków kolumn (możesz dodawać własne kolumny)."
        )
    formulas = _formula_cells_without_value(path, table)
    if formulas:
        row, header = formulas[0]
        raise UserError(
            f"{path.name}, wiersz {row}, kolumna „{header}”: formuła nie ma zapisanego wyniku. "
            "Otwórz plik w Excelu, zapisz go i uruchom wysyłkę ponownie."
        )

    def named(name: str) -> str:
        try:
            value = tables.get_named_value(name)
        except UserError:
            return ""
        return str(value).strip() if value is not None else ""

    return EntrySheet(path, table, named(NAME_SELLER), named(NAME_ADDRESS), named(NAME_ACCOUNT))


def _formula_cells_without_value(path: Path, table: TableData) -> list[tuple[int, str]]:
    """Cells that hold a formula Excel never computed (a file saved by a program, not by Excel)."""
    found: list[tuple[int, str]] = []
    raw_rows = [i for i, row in enumerate(table.rows) if any(v is None for v in row.values())]
    if not raw_rows:
        return found
    raw = OpenpyxlTables(_load(path, data_only=False), source=str(path)).read_table(TABLE)
    by_number = dict(zip(raw.row_numbers, raw.rows, strict=True))
    for i in raw_rows:
        number = table.row_numbers[i]
        raw_row = by_number.get(number, {})
        for header, value in table.rows[i].items():
            formula = raw_row.get(header)
            if value is None and isinstance(formula, str) and formula.startswith("="):
                found.append((number, header))
    return found


# --------------------------------------------------------------------------------------------
# Writing back


@dataclass(frozen=True)
class RowUpdate:
    """The toolkit's columns for every pending row of one invoice number."""

    status: str
    ksef_number: str | None = None
    accepted_at: datetime | None = None
    upo_path: Path | None = None
    message: str = ""


@dataclass(frozen=True)
class OfflineRow:
    """One line of the sheet "Do wysłania offline": an invoice issued outside KSeF, not yet in KSeF."""

    number: str
    mode: str
    issue_date: Any
    deadline: Any  # a date, or a text when there is none
    pdf: Path | None
    kod_i: str


OFFLINE_SHEET = "Do wysłania offline"
OFFLINE_HEADERS = (
    "Numer faktury",
    "Tryb",
    "Data wystawienia",
    "Termin wysłania do KSeF",
    "PDF dla nabywcy",
    "KOD I",
)


def _offline_sheet(wb: Workbook, path: Path, rows: Sequence[OfflineRow]) -> None:
    """Rewrite the sheet listing invoices issued offline that still have to reach KSeF."""
    if OFFLINE_SHEET in wb.sheetnames:
        del wb[OFFLINE_SHEET]
    ws = wb.create_sheet(OFFLINE_SHEET)
    ws["A1"] = "Faktury wystawione poza KSeF (offline), które trzeba jeszcze wysłać do KSeF"
    ws["A1"].font = Font(bold=True, size=12)
    ws["A2"] = "Uzupełnia program przy każdej wysyłce (ksef-sheets send); nie wpisuj tu niczego."
    for col, header in enumerate(OFFLINE_HEADERS, start=1):
        cell = ws.cell(row=4, column=col, value=header)
        cell.font = Font(bold=True)
    for i, row in enumerate(rows, start=5):
        set_text(ws.cell(row=i, column=1), row.number)
        ws.cell(row=i, column=2, value=row.mode)
        issued = ws.cell(row=i, column=3, value=row.issue_date)
        issued.number_format = DATE_FORMAT
        deadline = ws.cell(row=i, column=4, value=row.deadline)
        if not isinstance(row.deadline, str):
            deadline.number_format = DATE_FORMAT
        if row.pdf is not None:
            link = _upo_link(path, row.pdf)
            if link is not None:
                pdf = ws.cell(row=i, column=5, value=row.pdf.name)
                pdf.hyperlink = link.target
        set_text(ws.cell(row=i, column=6), row.kod_i)
    if not rows:
        ws.cell(row=5, column=1, value="Brak — wszystkie faktury offline są już w KSeF.")
    for letter, width in zip("ABCDEF", (22, 20, 16, 24, 28, 60), strict=True):
        ws.column_dimensions[letter].width = width


def write_back(
    path: Path, updates: Mapping[str, RowUpdate], offline: Sequence[OfflineRow] | None = None
) -> int:
    """Fill the toolkit's columns of the pending rows of these invoice numbers; returns rows changed.

    Rows are matched by invoice number among rows still waiting to be sent, so rows staff inserted,
    sorted or added meanwhile are kept; the file is replaced atomically (``FileLockedError`` when it
    is open in Excel). ``offline`` (when given) rewrites the sheet "Do wysłania offline".
    """
    if not updates and offline is None:
        return 0
    ensure_writable(path)
    wb = _load(path, data_only=False)
    tables = OpenpyxlTables(wb, source=str(path))
    table = tables.read_table(TABLE)
    changed = 0
    rows: list[dict[str, Any]] = []
    for row in table.rows:
        out = dict(row)
        number = text_of(row.get(H_NUMBER))
        update = updates.get(number)
        if update is not None and text_of(row.get(H_STATUS)) in PENDING_STATUSES:
            out[H_STATUS] = update.status
            out[H_KSEF] = update.ksef_number
            out[H_ACCEPTED] = _local(update.accepted_at)
            out[H_UPO] = _upo_link(path, update.upo_path)
            out[H_MESSAGE] = update.message or None
            changed += 1
        rows.append(out)
    tables.write_table(TABLE, rows, headers=TOOLKIT_HEADERS)
    if offline is not None:
        _offline_sheet(wb, path, offline)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return changed


def _local(moment: datetime | None) -> datetime | None:
    """Warsaw wall-clock time without a zone, whole seconds (Excel has no time zones)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(WARSAW).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _upo_link(workbook: Path, upo: Path | None) -> Link | None:
    if upo is None:
        return None
    try:
        target = os.path.relpath(upo, workbook.parent)
    except ValueError:  # another drive on Windows
        target = str(upo)
    return Link("UPO", target.replace(os.sep, "/"))


# The names ksef_sheets.sheets offers them under (beside the office's other workbooks).
EntryRowUpdate = RowUpdate
EntryOfflineRow = OfflineRow
write_entry_back = write_back
