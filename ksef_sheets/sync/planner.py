"""What to fetch next for one client: subject types by scenario, export windows, checkpoints.

Pure functions, no I/O: the fetch use case asks them what to do and the tests check them alone.

The recipe is the Ministry's incremental sync (PROTOCOL §15.1): per subject type a checkpoint;
each step exports invoices with ``dateType = PermanentStorage`` from the checkpoint with
``restrictToPermanentStorageHwmDate = true``. The next checkpoint is ``lastPermanentStorageDate``
when the package was truncated, otherwise the end of the window (when it lies before KSeF's
high-water mark) or the high-water mark itself. Windows are adjacent — the end of one is the
start of the next — and the boundary invoices that repeat are deduplicated by KSeF number, so
nothing is lost at an edge and nothing is stored twice.

KSeF accepts a date range of at most three months, so a first run that backfills from an older
start date walks forward in three-month windows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ksef_sheets.errors import UserError

# Subject types by cooperation scenario (DESIGN.md): 2 — the office reads purchases; 3 — it also
# issues sales, so it reads both; 1 — the client fetches itself, the office reads only when it
# was granted InvoiceRead (then both, to keep the books complete).
PURCHASES = "Subject2"
SALES = "Subject1"

# Windows ending closer than this to "now" are left open (no ``to``): KSeF's own clock may be a
# little ahead of ours, and an open window is capped at the high-water mark anyway.
OPEN_WINDOW_MARGIN = timedelta(days=2)
# Below this many new invoices, a metadata query plus single downloads is cheaper than an export
# (an export is asynchronous and costs one of only 20 exports an hour; downloads allow 16/min).
SINGLE_DOWNLOAD_LIMIT = 10
METADATA_PAGE_SIZE = 250


@dataclass(frozen=True)
class Window:
    """A permanent-storage date range to fetch: ``[start, end]``, ``end`` None = up to KSeF's HWM."""

    start: datetime
    end: datetime | None

    def filters(self, subject_type: str) -> dict[str, Any]:
        """The ``InvoiceQueryFilters`` of an export or metadata query for this window."""
        date_range: dict[str, Any] = {
            "dateType": "PermanentStorage",
            "from": _iso(self.start),
            "restrictToPermanentStorageHwmDate": True,
        }
        if self.end is not None:
            date_range["to"] = _iso(self.end)
        return {"subjectType": subject_type, "dateRange": date_range}


@dataclass(frozen=True)
class Step:
    """Where a finished window leaves the sync: the new checkpoint and whether to go on."""

    checkpoint: datetime
    more: bool


def subject_types_for(scenario: int | None, *, has_invoice_read: bool = False) -> tuple[str, ...]:
    """Which subject types the office fetches for a client (empty: none)."""
    if scenario == 2:
        return (PURCHASES,)
    if scenario == 3:
        return (SALES, PURCHASES)
    if scenario == 1:
        return (SALES, PURCHASES) if has_invoice_read else ()
    # No scenario known (a client listed only in the config): read what the permissions allow.
    return (SALES, PURCHASES)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (the last day of a shorter month when needed)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_window(checkpoint: datetime, now: datetime) -> Window:
    """The window starting at the checkpoint: three months at most, open when it reaches now."""
    _aware(checkpoint, "checkpoint")
    end = add_months(checkpoint, 3)
    if end >= now - OPEN_WINDOW_MARGIN:
        return Window(checkpoint, None)
    return Window(checkpoint, end)


def after_window(
    window: Window,
    *,
    is_truncated: bool,
    last_permanent_storage: datetime | None,
    hwm: datetime | None,
) -> Step:
    """The checkpoint after a window was fully stored, per the MF recipe (PROTOCOL §15.1)."""
    if is_truncated:
        if last_permanent_storage is None:
            raise UserError(
                "KSeF zwrócił uciętą paczkę bez daty ostatniej faktury (lastPermanentStorageDate); "
                "pobieranie zostanie powtórzone przy następnym uruchomieniu."
            )
        if last_permanent_storage <= window.start:
            # More than a full package shares one permanent-storage instant: moving on would lose
            # invoices, repeating would loop. KSeF never produces this; refuse loudly if it does.
            raise UserError(
                f"KSeF zwrócił uciętą paczkę, która nie przesuwa zakresu dat ({_iso(window.start)}); "
                "pobieranie tego klienta zatrzymano, aby nie pominąć faktur."
            )
        return Step(last_permanent_storage, True)
    if window.end is not None and (hwm is None or hwm >= window.end):
        return Step(window.end, True)
    if hwm is None or hwm < window.start:
        return Step(window.start, False)
    return Step(hwm, False)


def can_use_single_downloads(new_count: int, *, has_more: bool, is_truncated: bool) -> bool:
    """After a metadata probe: download one by one instead of exporting?"""
    return not has_more and not is_truncated and new_count <= SINGLE_DOWNLOAD_LIMIT


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")


def _iso(value: datetime) -> str:
    """ISO-8601 with an explicit offset and microseconds: exactly the instant of the checkpoint."""
    _aware(value, "date")
    return value.isoformat(timespec="microseconds")
