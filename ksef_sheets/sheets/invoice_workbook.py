"""Writing a client's invoice workbook ``klienci/<NIP>/faktury-<YYYY>.xlsx`` with XlsxWriter.

Sheets: **Zakupy** and **Sprzedaż** (Excel Tables, one row per invoice, then the rows staff added),
**Podsumowanie** (monthly totals computed in Python) and a very hidden snapshot of the staff columns
as written (see ``invoice_readback``). Every piece of third-party text goes in with ``write_string``
(so ``=HYPERLINK(...)`` stays text) after ``safe_text.clean_text``. The file is written to a
temporary path and moved over the old one in one step.

This module puts the workbook together; the register sheets are ``invoice_register_sheet``, the
summary ``invoice_summary_sheet``, the formats and single cells ``invoice_cells``. It only writes;
merging with staff work and the archive is ``invoice_refresh``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import xlsxwriter

from ksef_sheets.files import atomic_path
from ksef_sheets.sheets.invoice_cells import MAX_CELL_TEXT, Formats, write_value
from ksef_sheets.sheets.invoice_columns import KNOWN_HEADERS, SNAPSHOT_HEADERS, SNAPSHOT_SHEET
from ksef_sheets.sheets.invoice_fingerprint import FINGERPRINT_PROPERTY
from ksef_sheets.sheets.invoice_readback import OwnSheet
from ksef_sheets.sheets.invoice_register_sheet import write_register
from ksef_sheets.sheets.invoice_rows import InvoiceRow, RegisterSheet, WorkbookHeader
from ksef_sheets.sheets.invoice_summary import RegisterSummary, summarize
from ksef_sheets.sheets.invoice_summary_sheet import write_summary
from ksef_sheets.sheets.invoice_written import remember_written
from ksef_sheets.sheets.jpk_sheet import JPK_SHEET, restyle_jpk_sheet
from ksef_sheets.sheets.safe_text import clean_text

__all__ = ["RegisterSheet", "WorkbookHeader", "write_invoice_workbook"]


def write_invoice_workbook(
    target: Path,
    header: WorkbookHeader,
    sheets: Sequence[RegisterSheet],
    summaries: Sequence[RegisterSummary] | None = None,
    own_sheets: Sequence[OwnSheet] = (),
    before_replace: Callable[[], None] | None = None,
) -> None:
    """Write the whole workbook to ``target`` atomically (``FileLockedError`` if Excel holds it).

    ``own_sheets`` are sheets a person added to the workbook; their values come back after the
    summary (formats are not carried). ``before_replace`` runs after the new file is complete and
    before it replaces the old one; an exception from it leaves the old file in place.
    """
    if summaries is None:
        summaries = [summarize(sheet.register, sheet.rows, header.year) for sheet in sheets]
    with atomic_path(target) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                # Belt and braces: nothing written through ``write()`` is ever turned into a formula,
                # number or URL; all third-party text goes through ``write_string`` anyway.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "remove_timezone": True,
                # Rows go to a temporary file as they are written instead of being kept in memory
                # (a year of invoices: ~290 MB otherwise); every sheet is written top to bottom.
                "constant_memory": True,
            },
        )
        workbook.set_properties(
            {
                "title": f"Faktury {header.year} — {clean_text(header.client_name)}",
                "subject": f"NIP {header.client_nip}",
                "author": "ksef-sheets",
                # Written as both created and modified, and a moment in the past: any later save
                # (Excel, LibreOffice, openpyxl), even within the same second, moves "modified" past
                # it, which is how ``invoice_fingerprint.is_unchanged`` sees that a person saved.
                "created": datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=2),
                "comments": "Skoroszyt tworzony z archiwum KSeF; kolumny Status, Komentarz, "
                "Data księgowania i Osoba oraz własne kolumny i wiersze są zachowywane.",
            }
        )
        if header.fingerprint:
            workbook.set_custom_property(FINGERPRINT_PROPERTY, header.fingerprint)
        formats = Formats(workbook)
        for sheet in sheets:
            write_register(workbook, formats, target.parent, header, sheet)
        write_summary(workbook, formats, header, summaries)
        for own in own_sheets:
            ws = workbook.add_worksheet(own.name)
            # Before its cells: rows are written in order (constant_memory), a row format comes first.
            if own.name == JPK_SHEET:  # written by jpk check: its filter, formats and dropdown back
                restyle_jpk_sheet(workbook, ws, max((r for r, _, _ in own.cells), default=0))
            for r, c, value in own.cells:
                write_value(ws, formats, r, c, value)
        _write_snapshot(workbook, sheets)
        workbook.close()
        if before_replace is not None:
            before_replace()
    carried = bool(own_sheets) or any(
        sheet.loose_rows or set(sheet.headers) - KNOWN_HEADERS or any(row.extra for row in sheet.rows)
        for sheet in sheets
    )
    remember_written(target, [(sheet.register, sheet.rows) for sheet in sheets], carried_own_work=carried)


def _write_snapshot(workbook: xlsxwriter.Workbook, sheets: Sequence[RegisterSheet]) -> None:
    ws = workbook.add_worksheet(SNAPSHOT_SHEET)
    for c, name in enumerate(SNAPSHOT_HEADERS):
        ws.write_string(0, c, name)
    string = ws._write_string  # undecorated, as in ``_InvoiceWriter``: one row per invoice
    r = 0
    for sheet in sheets:
        register = sheet.register.value
        for row in sheet.rows:
            invoice: InvoiceRow | None = row.invoice
            if invoice is None:
                continue
            r += 1
            string(r, 0, register)
            string(r, 1, clean_text(invoice.ksef_number))
            staff = row.staff
            for c, value in (
                (2, staff.status),
                (3, staff.comment),
                (4, staff.booked_on.isoformat() if staff.booked_on else ""),
                (5, staff.person),
            ):
                if value:
                    string(r, c, clean_text(value)[:MAX_CELL_TEXT])
    ws.very_hidden()
