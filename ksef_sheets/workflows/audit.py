"""``ksef-sheets audit``: who did what, when, in which client's context, with what result.

The entries come from the archive's audit log (``Archive.audit_log``): fetches, sends, decisions,
grants and revokes of staff permissions, credential changes, enrolments — whatever a part recorded
with ``Archive.audit``. Times are shown in Polish time (Europe/Warsaw); the Audyt sheet of
``biuro.xlsx`` shows the same list.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.text import format_datetime, warsaw_time

MAX_ENTRIES = 100_000
_RESULT_KEYS = ("wynik", "result")
# Entries recorded without an explicit result (fetch, send) count as failed when these are non-empty.
_FAILURE_KEYS = ("problemy", "bledy", "błędy", "odrzucone")
_TEXT_KEYS = ("opis", "description", "message")


@dataclass(frozen=True)
class AuditLine:
    at: dt.datetime  # aware, UTC as stored
    who: str
    action: str
    client_nip: str | None
    result: str  # "ok" | "błąd"
    details: str
    count: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "at_local": format_datetime(self.at),
            "who": self.who,
            "action": self.action,
            "client_nip": self.client_nip,
            "result": self.result,
            "details": self.details,
            "count": self.count,
        }

    def to_row(self) -> dict[str, Any]:
        return {
            # Excel has no time zones: the cell holds the Warsaw wall-clock time, as staff read it.
            "Kiedy": warsaw_time(self.at).replace(tzinfo=None),
            "Kto": self.who,
            "Czynność": self.action,
            "NIP klienta": self.client_nip or "",
            "Wynik": self.result,
            "Szczegóły": self.details,
            "Liczba": self.count,
        }


def _line(entry: Any) -> AuditLine:
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=dt.UTC)
    details = str(entry.details)
    result = "ok"
    try:
        parsed = json.loads(details)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        failed = any(parsed.get(k) for k in _FAILURE_KEYS)
        result = next((str(parsed[k]) for k in _RESULT_KEYS if k in parsed), "błąd" if failed else "ok")
        text = next((str(parsed[k]) for k in _TEXT_KEYS if k in parsed), "")
        rest = {k: v for k, v in parsed.items() if k not in _RESULT_KEYS + _TEXT_KEYS and v not in (None, "")}
        extra = ", ".join(f"{k}: {v}" for k, v in rest.items())
        details = "; ".join(part for part in (text.rstrip("."), extra) if part)
    return AuditLine(at, entry.os_user, entry.action, entry.context_nip, result, details, entry.count)


def audit_lines(
    folder: OfficeFolder, *, client_nip: str | None = None, since: dt.date | None = None
) -> list[AuditLine]:
    """The audit log, newest first; ``since`` is a Warsaw calendar day (entries from its start)."""
    from ksef_sheets.sync import Archive

    if not folder.database.exists():
        return []
    with Archive.open(folder) as archive:
        entries = archive.audit_log(context_nip=client_nip, limit=MAX_ENTRIES)
    lines = [_line(e) for e in entries]
    if since is not None:
        lines = [line for line in lines if warsaw_time(line.at).date() >= since]
    return lines


def audit_event(folder: OfficeFolder, action: str, client_nip: str | None, details: dict[str, Any]) -> None:
    """Record one action in the office's audit log (who = the OS user, when = now); ``details``
    may carry ``opis`` (what happened, Polish) and ``wynik`` (``ok`` / ``błąd``)."""
    from ksef_sheets.sync import Archive

    with Archive.open(folder) as archive:
        archive.audit(action, client_nip, details)


def write_audit_sheet(folder: OfficeFolder, config: OfficeConfig, lines: Sequence[AuditLine]) -> None:
    """Rebuild the Audyt sheet of ``biuro.xlsx`` (atomic save)."""
    from ksef_sheets.sheets import (
        AUDIT_SPEC,
        open_office_workbook,
        replace_generated_sheet,
        save_office_workbook,
    )

    wb = open_office_workbook(folder.office_workbook)
    office_line = f"{config.office_name} · NIP {config.office_nip}"
    replace_generated_sheet(wb, AUDIT_SPEC, [line.to_row() for line in lines], office_line)
    save_office_workbook(wb, folder.office_workbook)


def audit_credential_change(folder: OfficeFolder, client_nip: str | None, text: str) -> None:
    """A vault change (token or certificate added, removed, made default) in the audit log.

    The change itself has already happened; an archive that cannot be opened (damaged index) must
    not turn it into a failure, so the problem is only logged.
    """
    import logging

    from ksef_sheets.errors import UserError

    try:
        audit_event(folder, "poświadczenia", client_nip, {"opis": text, "wynik": "ok"})
    except UserError as error:
        logging.getLogger(__name__).warning("Nie zapisano wpisu w dzienniku: %s", error)
