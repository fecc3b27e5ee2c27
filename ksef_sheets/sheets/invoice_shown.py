"""What a workbook open in Excel showed when a refresh could not replace it (``.faktury-<YYYY>.xlsx.stan.json``).

Kept by ``invoice_refresh`` as the baseline of the next merge; see ``remember_shown``.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ksef_sheets.files import atomic_write_text
from ksef_sheets.sheets.invoice_columns import Register
from ksef_sheets.sheets.invoice_readback import WorkbookWork
from ksef_sheets.sheets.invoice_rows import StaffFields


def shown_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.stan.json")


def remember_shown(path: Path, work: WorkbookWork | None) -> None:
    """Keep what an open (not replaceable) workbook showed, as the baseline of the next merge.

    Its own hidden snapshot still holds what the toolkit wrote before, while the archive already
    has the person's edits; without this, a person who later reverts a cell to that old value (clears
    a comment, puts a status back) would see the archive's value win. Removed once the workbook is
    rewritten (its snapshot is current again).
    """
    if work is None:
        return
    rows = []
    for register, sheet in work.sheets.items():
        for number, seen in sheet.staff.items():
            before = work.snapshot.get((register, number))
            status = seen.status if seen.status is not None else (before.status if before else "")
            booked = seen.booked_on if seen.booked_valid else (before.booked_on if before else None)
            rows.append(
                [
                    register.value,
                    number,
                    status,
                    seen.comment,
                    booked.isoformat() if booked else "",
                    seen.person,
                ]
            )
    atomic_write_text(shown_path(path), json.dumps({"format": 1, "rows": rows}, ensure_ascii=False))


def read_shown(path: Path) -> dict[tuple[Register, str], StaffFields]:
    try:
        data = json.loads(shown_path(path).read_text(encoding="utf-8"))
        registers = {register.value: register for register in Register}
        shown: dict[tuple[Register, str], StaffFields] = {}
        for register, number, status, comment, booked, person in data["rows"]:
            shown[(registers[register], str(number))] = StaffFields(
                str(status), str(comment), date.fromisoformat(booked) if booked else None, str(person)
            )
        return shown
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError, OSError):
        # A damaged file only costs the finer baseline; the workbook's own snapshot still applies.
        return {}
