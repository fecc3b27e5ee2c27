"""Reading a person's work back out of an invoice workbook before it is rewritten.

Staff columns are read by KSeF number; columns staff added and rows without a KSeF number are kept
with their values; the hidden snapshot tells which staff values the toolkit wrote itself. Columns
are found by header name in row 1 (never by address), so staff may reorder or hide columns.
Read with openpyxl ``read_only=True``: it streams a 20,000-row sheet without loading it whole.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from ksef_sheets.errors import UserError
from ksef_sheets.sheets.invoice_columns import (
    H_BOOKED,
    H_CLIENT_DECISION,
    H_CLIENT_REMARK,
    H_COMMENT,
    H_KSEF,
    H_PERSON,
    H_STATUS,
    KNOWN_HEADERS,
    SNAPSHOT_SHEET,
    STATUSES,
    SUMMARY_SHEET,
    Register,
)
from ksef_sheets.sheets.invoice_rows import CellValue, Formula, StaffFields

_GENERATED_SHEETS = frozenset({SUMMARY_SHEET.casefold(), SNAPSHOT_SHEET.casefold()})
_KNOWN_BY_FOLDED = {header.casefold(): header for header in KNOWN_HEADERS}
# The client's decision columns are read too: ``archive rebuild`` takes them back from the workbook.
_READ_BACK = frozenset({H_KSEF, H_STATUS, H_COMMENT, H_BOOKED, H_PERSON, H_CLIENT_DECISION, H_CLIENT_REMARK})
_STATUS_BY_FOLDED = {status.casefold(): status for status in STATUSES}
_DMY = re.compile(r"^(\d{1,2})[.\-/](\d{1,2})[.\-/](\d{4})$")


@dataclass(frozen=True)
class StaffRead:
    """Staff fields as found in one row; a field that could not be understood is ``None``."""

    row: int
    status: str | None
    comment: str
    booked_on: date | None
    booked_valid: bool
    person: str


@dataclass
class SheetWork:
    """What people put into one register sheet."""

    register: Register
    staff: dict[str, StaffRead] = field(default_factory=dict)
    extra_headers: list[str] = field(default_factory=list)
    # Every value of an invoice row by header, by KSeF number (staff-added columns are among them).
    values: dict[str, dict[str, CellValue]] = field(default_factory=dict)
    # Rows without a KSeF number (or with one the archive does not know): every value by header.
    loose_rows: list[dict[str, CellValue]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class OwnSheet:
    """A sheet a person added to the workbook: its values by (row, column), both 0-based."""

    name: str
    cells: list[tuple[int, int, CellValue]] = field(default_factory=list)


@dataclass
class WorkbookWork:
    sheets: dict[Register, SheetWork]
    # (register, KSeF number) -> staff fields the toolkit wrote last time.
    snapshot: dict[tuple[Register, str], StaffFields]
    own_sheets: list[OwnSheet] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        return self.notes + [w for sheet in self.sheets.values() for w in sheet.warnings]


# What a damaged .xlsx raises while it is opened or streamed (zip, XML, openpyxl's own checks).
_DAMAGED = (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError, EOFError)


def read_workbook_work(path: Path) -> WorkbookWork:
    """Read staff work from ``path``; a damaged file is a ``UserError`` (and is never overwritten)."""
    try:
        return _read_workbook_work(path)
    except _DAMAGED as exc:  # ElementTree's ParseError is a SyntaxError
        raise UserError(
            f"Nie można odczytać skoroszytu {path} ({type(exc).__name__}); nie został nadpisany, aby "
            "nie utracić pracy. Napraw go lub przenieś w inne miejsce i uruchom polecenie ponownie."
        ) from exc


def _read_workbook_work(path: Path) -> WorkbookWork:
    workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        sheets: dict[Register, SheetWork] = {}
        notes: list[str] = []
        by_folded = {name.casefold(): name for name in reversed(workbook.sheetnames)}
        ours: set[str] = set()
        for register in Register:
            found = by_folded.get(register.value.casefold())
            if found is not None:
                ours.add(found)
                sheets[register] = _read_sheet(path, register, workbook[found].iter_rows())
            else:
                sheets[register] = SheetWork(register)
                notes.append(
                    f"W pliku {path} nie było arkusza „{register.value}”; utworzono go na nowo "
                    "(arkusze o innych nazwach zachowano)."
                )
        snapshot: dict[tuple[Register, str], StaffFields] = {}
        if SNAPSHOT_SHEET in workbook.sheetnames:
            snapshot = _read_snapshot(workbook[SNAPSHOT_SHEET].iter_rows(values_only=True))
        ours |= {name for name in workbook.sheetnames if name.casefold() in _GENERATED_SHEETS}
        taken = {name.casefold() for name in (*ours, *(r.value for r in Register))}
        own_sheets = []
        for name in workbook.sheetnames:
            if name in ours:
                continue
            # Excel compares sheet names without regard to case: "zakupy" would clash with ours.
            unique = name if name.casefold() not in taken else _unique(name, taken, limit=31)
            taken.add(unique.casefold())
            own_sheets.append(_read_own_sheet(unique, workbook[name].iter_rows()))
        return WorkbookWork(sheets, snapshot, own_sheets, notes)
    finally:
        workbook.close()


def _read_own_sheet(name: str, rows: Iterable[tuple[Any, ...]]) -> OwnSheet:
    sheet = OwnSheet(name)
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            value = _cell_value(cell)
            if value is not None:
                sheet.cells.append((r, c, value))
    return sheet


def _cell_value(cell: Any) -> CellValue:
    value = cell.value
    if value is None:
        return None
    if getattr(cell, "data_type", None) == "f" and isinstance(value, str):
        return Formula(value, getattr(cell, "row", None))
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int | float | datetime | date):
        return value
    return str(value)


def _header_name(value: CellValue) -> str | None:
    if value is None:
        return None
    text = value.text if isinstance(value, Formula) else str(value)
    text = text.strip()
    return text or None


def _read_sheet(path: Path, register: Register, rows: Iterable[tuple[Any, ...]]) -> SheetWork:
    work = SheetWork(register)
    iterator = iter(rows)
    header_cells = next(iterator, None)
    if header_cells is None:
        return work
    headers: list[str | None] = []
    # Excel compares table headers without regard to case; so do we (a retyped "status" is Status).
    seen: set[str] = set()
    for cell in header_cells:
        name = _header_name(_cell_value(cell))
        if name is not None:
            name = _KNOWN_BY_FOLDED.get(name.casefold(), name)
            if name.casefold() in seen:
                # Table headers are unique in Excel; a duplicate can only come from outside a table.
                name = _unique(name, seen)
            seen.add(name.casefold())
        headers.append(name)
    if H_KSEF not in headers:
        if len(seen) == 0:
            return work
        raise UserError(
            f"Arkusz „{register.value}” w pliku {path} nie ma kolumny „{H_KSEF}” w pierwszym wierszu; "
            "skoroszyt nie został nadpisany. Przywróć nagłówek tej kolumny i uruchom polecenie ponownie."
        )
    for name in headers:
        if name is not None and name not in KNOWN_HEADERS and name not in work.extra_headers:
            work.extra_headers.append(name)
    unnamed: dict[int, str] = {}

    ksef_index = headers.index(H_KSEF)
    # For an invoice row only the staff columns and the person's own columns matter (the rest is
    # rebuilt from the archive); skipping the others keeps a 20,000-row read-back quick.
    wanted = [
        i for i, name in enumerate(headers) if name is None or name not in KNOWN_HEADERS or name in _READ_BACK
    ]

    def collect(cells: tuple[Any, ...], indexes: Iterable[int]) -> dict[str, CellValue]:
        values: dict[str, CellValue] = {}
        for index in indexes:
            value = _cell_value(cells[index])
            if value is None:
                continue
            name = headers[index] if index < len(headers) else None
            if name is None:
                # A value in a column with no header: keep it under a made-up header.
                if index not in unnamed:
                    unnamed[index] = _unique(f"Kolumna {index + 1}", seen)
                    seen.add(unnamed[index].casefold())
                    work.extra_headers.append(unnamed[index])
                name = unnamed[index]
            values[name] = value
        return values

    for row_number, cells in enumerate(iterator, start=2):
        ksef = _cell_value(cells[ksef_index]) if ksef_index < len(cells) else None
        ksef_text = ksef.strip() if isinstance(ksef, str) else None
        beyond = range(len(headers), len(cells))
        if ksef_text and ksef_text not in work.staff:
            values = collect(cells, [*(i for i in wanted if i < len(cells)), *beyond])
            work.staff[ksef_text] = _staff_from(register, row_number, values, work.warnings)
            work.values[ksef_text] = values
            continue
        values = collect(cells, range(len(cells)))
        if not values:
            continue
        if ksef_text:
            # Kept as the person's own row so nothing typed into it is lost; the first row counts.
            work.warnings.append(
                f"Arkusz „{register.value}”, wiersz {row_number}: numer KSeF {ksef_text} występuje "
                f"drugi raz (pierwszy w wierszu {work.staff[ksef_text].row}); liczy się pierwszy wiersz, "
                "zbędny usuń ręcznie."
            )
        work.loose_rows.append(values)
    return work


def _unique(name: str, seen: set[str], limit: int = 255) -> str:
    """``name (2)``, ``name (3)`` … not in ``seen`` (case-folded names), at most ``limit`` characters."""
    counter = 2
    while True:
        suffix = f" ({counter})"
        candidate = name[: limit - len(suffix)] + suffix
        if candidate.casefold() not in seen:
            return candidate
        counter += 1


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M") if value.time() != datetime.min.time() else f"{value:%Y-%m-%d}"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_status(value: CellValue) -> str | None:
    text = _text(value).strip()
    return _STATUS_BY_FOLDED.get(" ".join(text.split()).casefold())


def parse_booked_on(value: CellValue) -> tuple[date | None, bool]:
    """A booking date from what a person typed: a date cell, an ISO or ``dd.mm.yyyy`` text, a serial."""
    if value is None:
        return None, True
    if isinstance(value, datetime):
        return value.date(), True
    if isinstance(value, date):
        return value, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int | float):
        try:
            converted = from_excel(value)
        except (ValueError, OverflowError):
            return None, False
        if isinstance(converted, datetime):
            return converted.date(), True
        if isinstance(converted, date):
            return converted, True
        return None, False
    text = _text(value).strip()
    try:
        return date.fromisoformat(text[:10]), True
    except ValueError:
        pass
    match = _DMY.match(text)
    if match:
        try:
            return date(int(match[3]), int(match[2]), int(match[1])), True
        except ValueError:
            return None, False
    return None, False


def _staff_from(register: Register, row: int, values: dict[str, CellValue], warnings: list[str]) -> StaffRead:
    raw_status = values.get(H_STATUS)
    status = parse_status(raw_status)
    if status is None:
        shown = _text(raw_status).strip()
        what = f"nieznany status „{shown}”" if shown else "pusty status"
        warnings.append(
            f"Arkusz „{register.value}”, wiersz {row}: {what} (dozwolone: {', '.join(STATUSES)}); "
            "pozostawiono poprzedni."
        )
    booked_on, booked_valid = parse_booked_on(values.get(H_BOOKED))
    if not booked_valid:
        warnings.append(
            f"Arkusz „{register.value}”, wiersz {row}: „{_text(values.get(H_BOOKED))}” w kolumnie "
            f"„{H_BOOKED}” nie jest datą; pozostawiono poprzednią."
        )
    return StaffRead(
        row=row,
        status=status,
        comment=_text(values.get(H_COMMENT)),
        booked_on=booked_on,
        booked_valid=booked_valid,
        person=_text(values.get(H_PERSON)),
    )


def _read_snapshot(rows: Iterable[tuple[Any, ...]]) -> dict[tuple[Register, str], StaffFields]:
    snapshot: dict[tuple[Register, str], StaffFields] = {}
    iterator = iter(rows)
    next(iterator, None)
    registers = {register.value: register for register in Register}
    for values in iterator:
        padded = (*values, None, None, None, None, None, None)[:6]
        register = registers.get(str(padded[0]))
        ksef = padded[1]
        if register is None or not isinstance(ksef, str):
            continue
        booked, _ = parse_booked_on(padded[4])
        snapshot[(register, ksef)] = StaffFields(
            status=parse_status(padded[2]) or "",
            comment=_text(padded[3]),
            booked_on=booked,
            person=_text(padded[5]),
        )
    return snapshot
