"""Bounded reading of .xlsx files that come from outside (clients' answers, client lists).

``check_incoming_xlsx`` looks at the zip container before any XML parser sees it: the file size,
the number of parts, part names (no absolute paths or ``..``), the total unpacked size, the
compression ratio of every part over ``RATIO_FLOOR`` bytes, and a DOCTYPE/ENTITY declaration
anywhere in any XML part — in whatever encoding the part is written: UTF-16 and UTF-32 are
recognised by their byte-order mark or by the NUL pattern of the XML declaration, ASCII-compatible
encodings by the declaration. A part in an encoding OOXML does not use is refused outright.

``read_rows`` streams a sheet (openpyxl read-only mode, one row at a time) with row and column
caps, and turns every parser error into one Polish sentence naming the file.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError

# Parts smaller than this cannot amplify anything; every larger part has its ratio checked.
RATIO_FLOOR = 64 * 1024
MAX_PARTS = 2000
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_CHUNK = 1 << 16
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Encodings in which the ASCII bytes of "<!DOCTYPE" stand as themselves.
_ASCII_COMPATIBLE = re.compile(
    r"^(utf-?8|us-ascii|ascii|iso-?8859-\d+|windows-125\d|cp125\d|latin-?1)$", re.I
)
_MARKERS = ("<!DOCTYPE", "<!ENTITY")


@dataclass(frozen=True)
class XlsxLimits:
    max_file: int
    max_unpacked: int
    max_ratio: float
    max_rows: int
    max_columns: int


def _encoding_of(head: bytes) -> str | None:
    """The codec of an XML part from its first bytes; None when it is not one OOXML allows."""
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    )
    for bom, name in boms:  # UTF-32 LE first: its mark begins with UTF-16 LE's
        if head.startswith(bom):
            return name
    patterns = (
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00?\x00", "utf-16-le"),
        (b"\x00<\x00?", "utf-16-be"),
    )
    for pattern, name in patterns:
        if head.startswith(pattern):
            return name
    match = _DECLARATION.match(head.lstrip())
    if match:
        declared = match.group(1).decode("ascii")
        return "utf-8" if _ASCII_COMPATIBLE.match(declared) else None
    return "utf-8"  # no declaration: UTF-8 by the XML rules


def _has_declaration(head: bytes, stream: Any, encoding: str) -> bool:
    """Scan a whole part (``head`` already read; decoded incrementally, overlapping chunks) for a DTD."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    tail = ""
    chunk = head
    while chunk:
        text = tail + decoder.decode(chunk).upper()
        if any(marker in text for marker in _MARKERS):
            return True
        tail = text[-16:]
        chunk = stream.read(_CHUNK)
    text = tail + decoder.decode(b"", final=True).upper()
    return any(marker in text for marker in _MARKERS)


def check_incoming_xlsx(path: Path, limits: XlsxLimits) -> None:
    """Refuse a container that is not a plain workbook (see the module docstring)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UserError(f"Nie można odczytać pliku {path}.") from exc
    if size > limits.max_file:
        raise UserError(
            f"Plik {path} ma {size // 1_000_000} MB — to za dużo jak na ten skoroszyt; nie został otwarty."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS:
                raise UserError(
                    f"Plik {path} ma {len(infos)} części — to nie jest zwykły skoroszyt; nie został otwarty."
                )
            total = 0
            for info in infos:
                name = info.filename
                if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/"):
                    raise UserError(f"Plik {path} zawiera niedozwoloną ścieżkę „{name}”; nie został otwarty.")
                total += info.file_size
                if info.file_size > RATIO_FLOOR and info.file_size > limits.max_ratio * max(
                    info.compress_size, 1
                ):
                    raise UserError(
                        f"Plik {path} zawiera podejrzanie skompresowaną część „{name}” "
                        f"({info.file_size // 1000} kB z {max(info.compress_size, 1) // 1000 or 1} kB); nie został otwarty."
                    )
            if total > limits.max_unpacked:
                raise UserError(
                    f"Plik {path} po rozpakowaniu miałby {total // 1_000_000} MB — to za dużo jak na ten "
                    "skoroszyt; nie został otwarty."
                )
            for info in infos:
                if not info.filename.lower().endswith(_XML_SUFFIXES):
                    continue
                with archive.open(info) as part:
                    head = part.read(256)
                    encoding = _encoding_of(head)
                    if encoding is None:
                        raise UserError(
                            f"Plik {path}: część „{info.filename}” ma kodowanie, którego skoroszyt Excela nie "
                            "używa; plik nie został otwarty."
                        )

                    if _has_declaration(head, part, encoding):
                        raise UserError(
                            f"Plik {path} zawiera niedozwoloną deklarację DOCTYPE/ENTITY w części "
                            f"„{info.filename}”; nie został otwarty."
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise UserError(
            f"Plik {path} nie jest poprawnym plikiem .xlsx — nie jest skoroszytem Excela albo jest uszkodzony."
        ) from exc


def open_workbook(path: Path, limits: XlsxLimits, *, data_only: bool) -> Any:
    """A checked workbook in read-only (streaming) mode; the caller closes it."""
    from openpyxl import load_workbook

    check_incoming_xlsx(path, limits)
    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise unreadable(path, exc) from exc


def unreadable(path: Path, exc: BaseException) -> UserError:
    return UserError(
        f"Nie można odczytać skoroszytu {path} — plik jest uszkodzony albo to nie jest skoroszyt Excela ({type(exc).__name__})."
    )


def read_rows(
    path: Path, worksheet: Any, limits: XlsxLimits, *, min_row: int = 1, max_row: int | None = None
) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows as values, streamed, at most ``limits.max_rows`` of them and ``max_columns`` wide."""
    last = min_row + limits.max_rows
    if max_row is not None:
        last = min(last, max_row + 1)
    count = 0
    try:
        for values in worksheet.iter_rows(
            min_row=min_row, max_row=last, max_col=limits.max_columns, values_only=True
        ):
            count += 1
            if count > limits.max_rows:
                raise UserError(
                    f"Plik {path} ma w arkuszu „{worksheet.title}” więcej niż {limits.max_rows} wierszy — "
                    "to nie jest ten skoroszyt; nie został wczytany."
                )
            yield values
    except UserError:
        raise
    except Exception as exc:  # the stream's XML parser, openpyxl's cell conversions
        raise unreadable(path, exc) from exc
