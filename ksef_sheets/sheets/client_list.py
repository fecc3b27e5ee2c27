"""Reading a client list file (CSV or XLSX, as offices keep them) into rows for the importer.

The file is bounded (size, rows, columns; an .xlsx is checked as a zip and for DTD/entities before
any XML parser sees it) and decoded (UTF-8 with or without BOM, else Windows-1250 as Excel saves a
"CSV" on a Polish Windows). The header row is found and matched by ``ksef_sheets.office``
(``table_from_grid``); validating and merging the rows are the office's rules too.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.office import SourceTable, canonical_header, table_from_grid
from ksef_sheets.sheets.incoming_xlsx import XlsxLimits, check_incoming_xlsx, open_workbook, read_rows

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200


def read_client_list(path: Path) -> SourceTable:
    """Read a CSV or XLSX client list; a file that cannot be read raises one Polish ``UserError``."""
    if not path.exists():
        raise UserError(f"Nie ma pliku {path}.")
    if not path.is_file():
        raise UserError(f"{path} nie jest plikiem.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UserError(f"Plik {path} jest za duży ({size // (1024 * 1024)} MB); limit to 20 MB.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        grid = _read_xlsx(path)
    elif suffix in (".csv", ".txt"):
        grid = _read_csv(path)
    elif suffix == ".xls":
        raise UserError(f"Plik {path} jest w starym formacie .xls. Zapisz go w Excelu jako .xlsx lub CSV.")
    else:
        raise UserError(
            f"Plik {path}: nieobsługiwany format „{suffix or 'bez rozszerzenia'}” — podaj CSV albo XLSX."
        )
    return table_from_grid(path, grid)


def _decode(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Excel "CSV" saved on a Polish Windows is Windows-1250.
        return data.decode("cp1250")
    except UnicodeDecodeError as exc:
        raise UserError(f"Plik {path} ma nieznane kodowanie znaków — zapisz go jako CSV UTF-8.") from exc


def _sniff_delimiter(text: str) -> str:
    """The delimiter under which a header row with a NIP column appears (a title line may precede it)."""
    head = "\n".join(text.splitlines()[:10])
    for delimiter in (";", ",", "\t"):
        try:
            rows = list(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        if any(canonical_header(v) == "NIP" for row in rows if len(row) > 1 for v in row):
            return delimiter
    return max((";", ",", "\t"), key=head.count)


def _read_csv(path: Path) -> list[list[Any]]:
    text = _decode(path.read_bytes(), path)
    if "\x00" in text:
        raise UserError(f"Plik {path} nie jest plikiem tekstowym CSV.")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    grid: list[list[Any]] = []
    try:
        for row in reader:
            grid.append(list(row))
            if len(grid) > MAX_ROWS:
                raise UserError(f"Plik {path} ma więcej niż {MAX_ROWS} wierszy.")
    except csv.Error as exc:
        raise UserError(f"Plik {path}, wiersz {reader.line_num}: niepoprawny CSV ({exc}).") from exc
    return grid


# Bounds of a client list from outside (sheets.incoming_xlsx): size, unpacked size, every part's
# compression ratio, DOCTYPE/ENTITY in any encoding, rows and columns.
XLSX_LIMITS = XlsxLimits(MAX_FILE_BYTES, MAX_XLSX_UNPACKED, 100, MAX_ROWS, MAX_COLUMNS)


def check_xlsx(path: Path) -> None:
    """Refuse an .xlsx that is not a plain workbook: oversized, a zip bomb, or XML with a DTD/entities.

    openpyxl parses with the standard library (no defusedxml here), so entity tricks are stopped
    before it sees the file; an OOXML part never legitimately carries a DOCTYPE, in any encoding.
    """
    check_incoming_xlsx(path, XLSX_LIMITS)


def _read_xlsx(path: Path) -> list[list[Any]]:
    wb = open_workbook(path, XLSX_LIMITS, data_only=True)
    try:
        # The sheet whose first rows hold a NIP header; else the first sheet.
        chosen = wb.worksheets[0]
        for ws in wb.worksheets:
            head = list(read_rows(path, ws, XLSX_LIMITS, max_row=10))
            if any(canonical_header(v) == "NIP" for row in head for v in row):
                chosen = ws
                break
        return [list(values) for values in read_rows(path, chosen, XLSX_LIMITS)]
    except IndexError as exc:  # a workbook without any sheet
        raise UserError(f"Plik {path} nie zawiera żadnego arkusza.") from exc
    finally:
        wb.close()
