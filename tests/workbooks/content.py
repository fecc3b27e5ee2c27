"""What a workbook holds, as plain data to compare: sheets, tables, validations, names, cells.

Bytes cannot be compared (an .xlsx zip carries the moment it was written); this is what a person
and our readers see. Used by the workbooks/ folder test and the LibreOffice round trip.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet


def _value(value: Any) -> Any:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()  # a date cell: openpyxl reads it back as midnight
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float, str, bool, date)) or value is None:
        return value
    return str(value)  # e.g. an array formula object


def tables(ws: Worksheet) -> dict[str, tuple[str, list[str]]]:
    return {
        table.name: (table.ref, [column.name for column in table.tableColumns])
        for table in ws.tables.values()
    }


def validations(ws: Worksheet) -> list[tuple[str, str, str]]:
    found = []
    for dv in ws.data_validations.dataValidation:
        found.append((str(dv.sqref), str(dv.type), str(dv.formula1 or "")))
    return sorted(found)


def cells(ws: Worksheet) -> dict[str, tuple[Any, str]]:
    out = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None and cell.value != "":
                out[cell.coordinate] = (_value(cell.value), cell.number_format)
    return out


def sheet_content(ws: Worksheet) -> dict[str, Any]:
    return {
        "state": ws.sheet_state,
        "protected": bool(ws.protection.sheet),
        "freeze": ws.freeze_panes,
        "tables": tables(ws),
        "validations": validations(ws),
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "cells": cells(ws),
    }


def defined_names(wb: Any) -> dict[str, str]:
    names = {name: str(dn.value) for name, dn in wb.defined_names.items()}
    for ws in wb.worksheets:  # names scoped to a sheet (print areas, titles)
        for name, dn in ws.defined_names.items():
            names[f"{ws.title}!{name}"] = str(dn.value)
    return names


def workbook_content(path: Path) -> dict[str, Any]:
    wb = load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    return {
        "sheets": wb.sheetnames,
        "names": defined_names(wb),
        **{f"sheet {ws.title}": sheet_content(ws) for ws in wb.worksheets},
    }


def differences(left: dict[str, Any], right: dict[str, Any], *, where: str = "") -> list[str]:
    """Readable differences between two ``workbook_content`` results (empty when equal)."""
    out: list[str] = []
    for key in sorted(set(left) | set(right), key=str):
        a, b = left.get(key), right.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(differences(a, b, where=f"{where}{key}/"))
        elif a != b:
            out.append(f"{where}{key}: {a!r} != {b!r}")
    return out
