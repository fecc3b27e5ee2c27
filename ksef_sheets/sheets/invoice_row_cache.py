"""Rows of a yearly invoice workbook kept from the last refresh, so that a refresh parses only new XML.

Reading and parsing an archived FA(3) is most of a refresh's time (about 0.5 ms an invoice, 10 s for
a year of 20,000), while an invoice's row depends only on its XML (named by its SHA-256 and size) and
on its KSeF metadata in the index. The rows built last time are kept beside the workbook, in
``.faktury-<YYYY>.xlsx.wiersze.json``, by KSeF number together with what they were built from; a
refresh builds again only the invoices whose XML or metadata are not those, or whose file is gone or
has another size (read again, so its warning comes back). A damaged or foreign
file costs nothing but time (everything is parsed again). Rows whose XML could not be parsed are not
kept, so their warning comes back on every refresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_write_text
from ksef_sheets.sheets.invoice_columns import Register
from ksef_sheets.sheets.invoice_rows import InvoiceRow
from ksef_sheets.sheets.invoice_source import ClientRows, enrich_from_xml, rows_from_metadata
from ksef_sheets.sync import Archive, ArchivedInvoice

# Bump when ``InvoiceRow`` or the way rows are built from the XML changes: old files are then ignored.
# (2: the key is a BLAKE2b digest of what ``_key`` lists, a third of the file's size gone.)
CACHE_FORMAT = "wiersze-2"

_DATES = frozenset({"issue_date", "due_date"})
_AMOUNTS = frozenset({"net_total", "vat_total", "gross_total", "net_pln", "vat_pln", "gross_pln"})
_BY_RATE = frozenset({"net_by_rate", "vat_by_rate", "net_by_rate_pln", "vat_by_rate_pln"})
_FIELDS = tuple(f.name for f in fields(InvoiceRow))


def cache_path(workbook: Path) -> Path:
    return workbook.with_name(f".{workbook.name}.wiersze.json")


def build_rows_cached(archive: Archive, invoices: list[ArchivedInvoice], workbook: Path) -> ClientRows:
    """``invoice_source.build_rows`` for ``invoices``, parsing only what the last refresh did not."""
    path = cache_path(workbook)
    kept = _load(path)
    result = ClientRows()
    fresh: dict[str, list[Any]] = {}
    parsed = 0
    for archived in invoices:
        key = _key(archived)
        entry = kept.get(archived.ksef_number)
        row = (
            _decode(entry[1], archived)
            if entry is not None and entry[0] == key and _still_there(archived)
            else None
        )
        if row is None:
            base = rows_from_metadata(archived)
            try:
                xml = archive.read_entry_xml(archived)
                row = enrich_from_xml(base, xml)
            except UserError as exc:
                result.warnings.append(
                    f"Faktura {archived.ksef_number}: {exc.message} W skoroszycie są tylko dane z metadanych KSeF."
                )
                result.rows.append(base)
                continue
            parsed += 1
            fresh[archived.ksef_number] = [key, _encode(row)]
        else:
            fresh[archived.ksef_number] = entry  # type: ignore[assignment]
        result.rows.append(row)
    if parsed or len(fresh) != len(kept):
        with contextlib.suppress(UserError, OSError):  # only a speed-up: the next refresh parses again
            path.parent.mkdir(parents=True, exist_ok=True)  # the workbook goes there too
            atomic_write_text(path, json.dumps({"format": CACHE_FORMAT, "rows": fresh}, ensure_ascii=False))
    return result


def _still_there(archived: ArchivedInvoice) -> bool:
    """The XML file is where it was, with its size: a deleted or rewritten file is read (and warned about)
    again. A change that keeps the size is ``archive check``'s to find (it hashes every file)."""
    try:
        return archived.xml_path.stat().st_size == archived.size
    except OSError:
        return False


def _key(archived: ArchivedInvoice) -> str:
    """What a row is built from besides the XML bytes: the metadata ``rows_from_metadata`` reads
    (as a digest: the key is stored for every row, and the file is read and written on every refresh)."""
    a = archived
    text = (
        f"{a.sha256}\x1f{a.size}\x1f{a.subject_type}\x1f{a.invoice_number}\x1f{a.issue_date}\x1f"
        f"{a.invoicing_date}\x1f{a.acquisition_date}\x1f{a.permanent_storage_date}\x1f{a.seller_nip}\x1f"
        f"{a.seller_name}\x1f{a.buyer_identifier}\x1f{a.buyer_name}\x1f{a.net_amount}\x1f{a.vat_amount}\x1f"
        f"{a.gross_amount}\x1f{a.currency}\x1f{a.invoice_type}\x1f{a.invoicing_mode}\x1f{a.xml_path}"
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _load(path: Path) -> dict[str, list[Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("format") != CACHE_FORMAT
        or not isinstance(data.get("rows"), dict)
    ):
        return {}
    return {
        number: entry
        for number, entry in data["rows"].items()
        if isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], str)
        and isinstance(entry[1], list)
    }


def _encode(row: InvoiceRow) -> list[Any]:
    out: list[Any] = []
    for name in _FIELDS:
        value = getattr(row, name)
        if value is None or isinstance(value, bool | str):
            out.append(value)
        elif name in _BY_RATE:
            out.append({key: str(amount) for key, amount in value.items()})
        elif isinstance(value, Decimal | Path | Register):
            out.append(str(value))
        elif isinstance(value, date):  # datetime too
            out.append(value.isoformat())
        else:
            out.append(str(value))
    return out


def _decode(values: list[Any], archived: ArchivedInvoice) -> InvoiceRow | None:
    """The row as it was kept, or None for anything unexpected (the invoice is then parsed again).

    Text fields are only checked (JSON gives them as they were); the rest is converted field by field.
    The XML path is the archive's own ``Path`` when it is the same (the key covers it), which spares
    building 20,000 ``Path`` objects.
    """
    if len(values) != _FIELD_COUNT:
        return None
    try:
        for i in _TEXT_INDEXES:
            value = values[i]
            if value is not None and value.__class__ is not str:
                return None
        args = list(values)
        for i, convert in _CONVERTERS:
            value = args[i]
            if value is not None:
                args[i] = convert(value)
        path = values[_XML_PATH]
        if path is not None:
            args[_XML_PATH] = archived.xml_path if path == str(archived.xml_path) else Path(_text(path))
        return InvoiceRow(*args)
    except (ValueError, TypeError, AttributeError, InvalidOperation):
        return None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(value)
    return value


def _amount(value: Any) -> Decimal:
    if value.__class__ is not str:
        raise TypeError(value)
    return Decimal(value)


def _by_rate(value: Any) -> dict[str, Decimal]:
    # JSON object keys are always text.
    return {key: _amount(amount) for key, amount in value.items()}


def _date(value: Any) -> date:
    return date.fromisoformat(_text(value))


def _datetime(value: Any) -> datetime:
    return datetime.fromisoformat(_text(value))


def _decoder(name: str) -> Callable[[Any], Any] | None:
    """The converter of a field that JSON does not hold as is; ``None`` for a text field."""
    if name == "register":
        return Register
    if name in _DATES:
        return _date
    if name == "accepted_at":
        return _datetime
    if name in _AMOUNTS:
        return _amount
    if name in _BY_RATE:
        return _by_rate
    if name in ("split_payment", "offline"):
        return _flag
    return None


_FIELD_COUNT = len(_FIELDS)
_XML_PATH = _FIELDS.index("xml_path")
# Every other ``InvoiceRow`` field is text or a converted value (JSON holds str, bool, dict or null).
_TEXT_INDEXES = tuple(i for i, name in enumerate(_FIELDS) if name != "xml_path" and _decoder(name) is None)
_CONVERTERS: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
    (i, convert) for i, name in enumerate(_FIELDS) if (convert := _decoder(name)) is not None
)
