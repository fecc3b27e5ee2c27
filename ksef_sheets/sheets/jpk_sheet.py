"""The *Uzgodnienie JPK* sheet of a client's invoice workbook: one row per finding of ``jpk check``.

Written with openpyxl into the existing ``faktury-RRRR.xlsx`` (or a new one when the year has no
workbook yet). Rows of other periods stay; for the checked period the rows are replaced, and the
Status and Komentarz a person typed are carried over to the same finding (same period, register,
row, kind and KSeF number). When ``fetch`` rebuilds the workbook, the sheet is kept like any sheet a
person added, and ``restyle_jpk_sheet`` gives it back its header, filter, formats and dropdown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ksef_sheets.files import atomic_path, ensure_writable
from ksef_sheets.sheets.printing import MONEY_FORMAT
from ksef_sheets.sheets.safe_text import set_text

JPK_SHEET = "Uzgodnienie JPK"
JPK_HEADERS = (
    "Okres",
    "Ewidencja",
    "Lp. w JPK",
    "Ustalenie",
    "Numer KSeF",
    "NIP kontrahenta",
    "Dokument",
    "Netto w JPK",
    "VAT w JPK",
    "Netto w KSeF",
    "VAT w KSeF",
    "Opis",
    "Status",
    "Komentarz",
)
JPK_STATUSES = ("Do wyjaśnienia", "Wyjaśnione", "Korekta JPK", "Bez zmian")
_WIDTHS = (9, 10, 8, 26, 38, 15, 18, 13, 13, 13, 13, 80, 16, 30)
_MONEY = {"Netto w JPK", "VAT w JPK", "Netto w KSeF", "VAT w KSeF"}
_KEY = ("Okres", "Ewidencja", "Lp. w JPK", "Ustalenie", "Numer KSeF")


@dataclass(frozen=True)
class JpkSheetRow:
    period: str
    register: str  # "sprzedaż" / "zakup"
    row: int | None
    kind: str  # Polish name of the finding
    ksef_number: str | None
    counterparty_nip: str | None
    document: str | None
    jpk_net: Decimal | None
    jpk_vat: Decimal | None
    ksef_net: Decimal | None
    ksef_vat: Decimal | None
    message: str

    def values(self) -> dict[str, Any]:
        return {
            "Okres": self.period,
            "Ewidencja": self.register,
            "Lp. w JPK": self.row,
            "Ustalenie": self.kind,
            "Numer KSeF": self.ksef_number,
            "NIP kontrahenta": self.counterparty_nip,
            "Dokument": self.document,
            "Netto w JPK": self.jpk_net,
            "VAT w JPK": self.jpk_vat,
            "Netto w KSeF": self.ksef_net,
            "VAT w KSeF": self.ksef_vat,
            "Opis": self.message,
        }


def _key(values: dict[str, Any]) -> tuple[str, ...]:
    return tuple("" if values.get(name) is None else str(values[name]) for name in _KEY)


def _read_rows(ws: Any) -> list[dict[str, Any]]:
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    out = []
    for values in rows[1:]:
        record = {name: value for name, value in zip(header, values, strict=False) if name}
        if any(v not in (None, "") for v in record.values()):
            out.append(record)
    return out


def write_jpk_sheet(path: Path, period: str, findings: Sequence[JpkSheetRow]) -> int:
    """Replace the period's rows of the sheet in ``path`` (keeping staff Status/Komentarz); returns
    how many rows the sheet has. ``FileLockedError`` when Excel holds the workbook."""
    ensure_writable(path)
    workbook = openpyxl.load_workbook(path) if path.exists() else openpyxl.Workbook()
    try:
        old = _read_rows(workbook[JPK_SHEET]) if JPK_SHEET in workbook.sheetnames else []
        staff = {_key(r): (r.get("Status"), r.get("Komentarz")) for r in old if str(r.get("Okres")) == period}
        kept = [r for r in old if str(r.get("Okres")) != period]
        fresh = []
        for finding in findings:
            values = finding.values()
            status, comment = staff.get(_key(values), (None, None))
            values["Status"] = status or JPK_STATUSES[0]
            values["Komentarz"] = comment
            fresh.append(values)
        rows = sorted(
            kept + fresh,
            key=lambda r: (str(r.get("Okres")), str(r.get("Ewidencja")), r.get("Lp. w JPK") or 0),
        )
        if JPK_SHEET in workbook.sheetnames:
            index = workbook.sheetnames.index(JPK_SHEET)
            workbook.remove(workbook[JPK_SHEET])
            ws = workbook.create_sheet(JPK_SHEET, index)
        elif not path.exists():
            ws = workbook.active
            ws.title = JPK_SHEET
        else:
            ws = workbook.create_sheet(JPK_SHEET)
        for c, name in enumerate(JPK_HEADERS, start=1):
            ws.cell(row=1, column=c, value=name)
        for r, values in enumerate(rows, start=2):
            for c, name in enumerate(JPK_HEADERS, start=1):
                value = values.get(name)
                cell = ws.cell(row=r, column=c)
                if isinstance(value, str):
                    set_text(cell, value)  # third-party text from the JPK: never a formula
                elif isinstance(value, Decimal):
                    cell.value = float(value)
                else:
                    cell.value = value
        style_jpk_sheet(ws, len(rows))
        with atomic_path(path) as tmp:
            workbook.save(tmp)
    finally:
        workbook.close()
    return len(rows)


def style_jpk_sheet(ws: Any, rows: int) -> None:
    """Header, widths, money formats, filter, frozen header and the Status dropdown (openpyxl)."""
    last = get_column_letter(len(JPK_HEADERS))
    for c, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
        cell = ws.cell(row=1, column=c)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3864")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for c, name in enumerate(JPK_HEADERS, start=1):
        if name in _MONEY:
            for r in range(2, rows + 2):
                ws.cell(row=r, column=c).number_format = MONEY_FORMAT
        if name == "Opis":
            for r in range(2, rows + 2):
                ws.cell(row=r, column=c).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{max(rows + 1, 2)}"
    status_col = get_column_letter(JPK_HEADERS.index("Status") + 1)
    validation = DataValidation(type="list", formula1='"' + ",".join(JPK_STATUSES) + '"', allow_blank=True)
    validation.promptTitle = "Status ustalenia"
    validation.prompt = "Wybierz z listy; program zachowa wybór przy kolejnym uzgodnieniu i pobraniu."
    ws.add_data_validation(validation)
    validation.add(f"{status_col}2:{status_col}{max(rows + 1, 2) + 500}")
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def restyle_jpk_sheet(workbook: Any, ws: Any, rows: int) -> None:
    """The same look for the sheet when ``fetch`` rewrites the workbook with XlsxWriter."""
    header = workbook.add_format(
        {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F3864", "text_wrap": True}
    )
    money = workbook.add_format({"num_format": MONEY_FORMAT})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for c, width in enumerate(_WIDTHS):
        name = JPK_HEADERS[c]
        ws.set_column(c, c, width, money if name in _MONEY else wrap if name == "Opis" else None)
    ws.set_row(0, None, header)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(rows, 1), len(JPK_HEADERS) - 1)
    status = JPK_HEADERS.index("Status")
    ws.data_validation(
        1,
        status,
        max(rows, 1) + 500,
        status,
        {
            "validate": "list",
            "source": list(JPK_STATUSES),
            "input_title": "Status ustalenia",
            "input_message": "Wybierz z listy; program zachowa wybór.",
        },
    )
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
