"""What the toolkit last wrote into an invoice workbook, so that a file nobody saved since is not read.

Reading a person's work back (``invoice_readback``) streams the whole workbook through openpyxl:
about 10 s for a year of 20,000 invoices, longer than writing it. When nobody saved the file since
the toolkit wrote it, its staff columns and hidden snapshot hold exactly what was written. So the
writer keeps those values beside it (``.faktury-<YYYY>.xlsx.zapis.json``) with the file's
modification time and size after the write, and ``read_work`` hands them to the same readback code
as if they came from the sheets. Any save (Excel, LibreOffice, ``jpk check``) changes the time or
the size, and then the file itself is read. A workbook that carried a person's own columns, rows or
sheets is always read (their values are not kept here).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path
from ksef_sheets.sheets.invoice_columns import (
    H_BOOKED,
    H_CLIENT_DECISION,
    H_CLIENT_REMARK,
    H_COMMENT,
    H_KSEF,
    H_PERSON,
    H_STATUS,
    SNAPSHOT_HEADERS,
    STATUSES,
    Register,
)
from ksef_sheets.sheets.invoice_readback import (
    SheetWork,
    StaffRead,
    WorkbookWork,
    _read_sheet,
    _read_snapshot,
    parse_status,
    read_workbook_work,
)
from ksef_sheets.sheets.invoice_rows import CellValue, SheetRow, StaffFields
from ksef_sheets.sheets.safe_text import clean_text

WRITTEN_FORMAT = "zapis-1"
MAX_CELL_TEXT = 32_767
# Statuses the read-back takes as they are (``parse_status`` gives each back unchanged).
_STATUS_AS_WRITTEN = frozenset(status for status in STATUSES if parse_status(status) == status)
# A date as ``date.isoformat`` writes it (the read-back takes such a text as that date).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# The columns of a register sheet that the read-back looks at for an invoice row, in this order.
_COLUMNS = (H_KSEF, H_STATUS, H_COMMENT, H_BOOKED, H_PERSON, H_CLIENT_DECISION, H_CLIENT_REMARK)


def written_path(workbook: Path) -> Path:
    return workbook.with_name(f".{workbook.name}.zapis.json")


def remember_written(
    workbook: Path, sheets: Sequence[tuple[Register, Sequence[SheetRow]]], *, carried_own_work: bool
) -> None:
    """Keep what was just written to ``workbook`` (called right after it replaced the old file):
    the rows of each register sheet in order."""
    path = written_path(workbook)
    if carried_own_work:
        path.unlink(missing_ok=True)
        return
    # Streamed to the file row by row: a year of rows as lists would add ~16 MB to the write's peak.
    with contextlib.suppress(OSError, UserError):  # only a speed-up: without it the file is read
        stat = workbook.stat()
        with atomic_path(path, check_lock=False) as tmp, tmp.open("w", encoding="utf-8") as out:
            out.write(f'{{"format": "{WRITTEN_FORMAT}", "file": [{stat.st_mtime_ns}, {stat.st_size}]')
            for key, row_values in (("sheets", _cell_values), ("snapshot", _snapshot_values)):
                out.write(f', "{key}": {{')
                for i, (register, sheet_rows) in enumerate(sheets):
                    out.write(
                        ("" if i == 0 else ", ") + json.dumps(register.value, ensure_ascii=False) + ": ["
                    )
                    first = True
                    for row in sheet_rows:
                        if row.invoice is None:
                            continue
                        out.write(("" if first else ", ") + json.dumps(row_values(row), ensure_ascii=False))
                        first = False
                    out.write("]")
                out.write("}")
            out.write("}")


def _cell_values(row: SheetRow) -> list[str | None]:
    invoice = row.invoice
    assert invoice is not None
    staff = row.staff
    return [
        _in_cell(invoice.ksef_number),
        _in_cell(staff.status),
        _in_cell(staff.comment),
        staff.booked_on.isoformat() if staff.booked_on else None,
        _in_cell(staff.person),
        _in_cell(invoice.client_decision),
        _in_cell(invoice.client_remark),
    ]


def _snapshot_values(row: SheetRow) -> list[str | None]:
    invoice = row.invoice
    assert invoice is not None
    staff = row.staff
    return [
        clean_text(invoice.ksef_number),
        _in_snapshot(staff.status),
        _in_snapshot(staff.comment),
        staff.booked_on.isoformat() if staff.booked_on else None,
        _in_snapshot(staff.person),
    ]


def read_work(workbook: Path) -> WorkbookWork:
    """``read_workbook_work(workbook)``, from what was written when nobody saved the file since."""
    kept = _load(workbook)
    if kept is None:
        return read_workbook_work(workbook)
    try:
        return _work_from_kept(workbook, *kept)
    except (ValueError, TypeError, KeyError):
        # A damaged or hand-edited file (a day that does not exist, say): it is only a speed-up,
        # so the workbook itself is read.
        return read_workbook_work(workbook)


def _work_from_kept(workbook: Path, registers: Rows, snapshots: Rows) -> WorkbookWork:
    sheets = {}
    snapshot_rows: list[tuple[Any, ...]] = [SNAPSHOT_HEADERS]
    for register in Register:
        sheets[register] = _read_kept_sheet(workbook, register, registers.get(register.value, []))
        for ksef, status, comment, booked, person in snapshots.get(register.value, []):
            snapshot_rows.append((register.value, ksef, status, comment, booked, person))
    return WorkbookWork(sheets, _read_kept_snapshot(snapshot_rows))


def _read_kept_sheet(workbook: Path, register: Register, rows: list[list[Any]]) -> SheetWork:
    """``_read_sheet(workbook, register, _as_cells(rows))``, without a cell object per value when
    every row is as the toolkit writes it (a KSeF number met once, a status of the list, a booking
    date or none); else that very call (a test compares the two)."""
    work = SheetWork(register)
    staff = work.staff
    values_of = work.values
    for row, (ksef, status, comment, booked, person, decision, remark) in enumerate(rows, start=2):
        booked_on = None if booked is None else _iso_day(booked)
        if (
            not ksef
            or ksef in staff
            or ksef.strip() != ksef
            or status not in _STATUS_AS_WRITTEN
            or (booked is not None and booked_on is None)
            or not _none_or_shown(comment, person, decision, remark)
        ):
            return _read_sheet(workbook, register, _as_cells(rows))
        values: dict[str, CellValue] = {H_KSEF: ksef, H_STATUS: status}
        if comment is not None:
            values[H_COMMENT] = comment
        if booked_on is not None:
            values[H_BOOKED] = datetime(booked_on.year, booked_on.month, booked_on.day)
        if person is not None:
            values[H_PERSON] = person
        if decision is not None:
            values[H_CLIENT_DECISION] = decision
        if remark is not None:
            values[H_CLIENT_REMARK] = remark
        staff[ksef] = StaffRead(row, status, comment or "", booked_on, True, person or "")
        values_of[ksef] = values
    return work


def _iso_day(text: str) -> date | None:
    """The day of a text as ``date.isoformat`` writes it, else None."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _none_or_shown(*texts: str | None) -> bool:
    """Every text absent or with more than spaces (a blank cell is read as no value)."""
    return all(text is None or text.strip() for text in texts)


def _read_kept_snapshot(rows: list[tuple[Any, ...]]) -> dict[tuple[Register, str], StaffFields]:
    """``_read_snapshot(rows)``, quicker for a row with a status as written and a valid booking date."""
    snapshot: dict[tuple[Register, str], StaffFields] = {}
    registers = {register.value: register for register in Register}
    for values in rows[1:]:
        name, ksef, status, comment, booked, person = values
        booked_on = None if booked is None else _iso_day(booked)
        if (
            ksef is None
            or (status is not None and status not in _STATUS_AS_WRITTEN)
            or (booked is not None and booked_on is None)
        ):
            # Read by ``_read_snapshot`` in order, so that a later row of the same number still wins.
            snapshot.update(_read_snapshot([rows[0], values]))
            continue
        snapshot[(registers[name], ksef)] = StaffFields(
            status=status or "", comment=comment or "", booked_on=booked_on, person=person or ""
        )
    return snapshot


def _in_cell(value: str | None) -> str | None:
    """A text as written into a register cell and seen by the read-back (blank is no value)."""
    if not value:
        return None
    text = clean_text(value)[:MAX_CELL_TEXT]
    return text if text.strip() else None


def _in_snapshot(value: str | None) -> str | None:
    """A text as written into the snapshot sheet (read there as it is, blanks included)."""
    return (clean_text(value)[:MAX_CELL_TEXT] or None) if value else None


class _Cell(NamedTuple):
    # A tuple, not a dataclass: 140,000 of them are made for a year's workbook on every refresh.
    value: Any
    data_type: str = "s"


def _as_cells(rows: list[list[Any]]) -> Iterator[tuple[_Cell, ...]]:
    """The register sheet's rows as openpyxl would stream them: only the columns read back."""
    yield tuple(_Cell(name) for name in _COLUMNS)
    for ksef, status, comment, booked, person, decision, remark in rows:
        day = date.fromisoformat(booked) if booked else None
        yield (
            _Cell(ksef),
            _Cell(status),
            _Cell(comment),
            _Cell(datetime(day.year, day.month, day.day) if day else None, "n"),
            _Cell(person),
            _Cell(decision),
            _Cell(remark),
        )


Rows = dict[str, list[list[Any]]]


def _load(workbook: Path) -> tuple[Rows, Rows] | None:
    try:
        data = json.loads(written_path(workbook).read_text(encoding="utf-8"))
        stat = workbook.stat()
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("format") != WRITTEN_FORMAT
        or data.get("file") != [stat.st_mtime_ns, stat.st_size]
        or not {"sheets", "snapshot"} <= data.keys()
    ):
        return None
    registers: Rows = data.get("sheets") or {}
    snapshots: Rows = data.get("snapshot") or {}
    if not (_rows_of(registers, len(_COLUMNS)) and _rows_of(snapshots, 5)):
        return None
    return registers, snapshots


def _rows_of(value: Any, width: int) -> bool:
    return isinstance(value, dict) and all(
        isinstance(rows, list)
        and all(
            isinstance(row, list) and len(row) == width and all(v is None or isinstance(v, str) for v in row)
            for row in rows
        )
        for rows in value.values()
    )
