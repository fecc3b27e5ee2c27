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
import os
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.sheets.invoice_columns import Register
from ksef_sheets.sheets.invoice_rows import InvoiceRow
from ksef_sheets.sheets.invoice_source import ClientRows, enrich_from_xml, rows_from_metadata
from ksef_sheets.sync import Archive, IndexEntry, IndexListing

# Bump when ``InvoiceRow`` or the way rows are built from the XML changes: old files are then ignored.
# (2: the key is a BLAKE2b digest of what ``_key`` lists, a third of the file's size gone;
# 3: the key sums up the index row as SQLite quotes it, ``IndexEntry.described``;
# 4: the archive's own XML file kept as "" (the key fixes where it is), a fifth of the file gone;
# 5: one line per row, appended to when a refresh only added rows;
# 6: the index row summed up as a JSON array, ``IndexEntry.described``; PLN amounts equal to the
# invoice's kept as 0.)
CACHE_FORMAT = "wiersze-6"

_BY_RATE = frozenset({"net_by_rate", "vat_by_rate", "net_by_rate_pln", "vat_by_rate_pln"})
_FIELDS = tuple(f.name for f in fields(InvoiceRow))


def cache_path(workbook: Path) -> Path:
    return workbook.with_name(f".{workbook.name}.wiersze.json")


def build_rows_cached(
    archive: Archive, listing: IndexListing, entries: list[IndexEntry], workbook: Path
) -> ClientRows:
    """``invoice_source.build_rows`` for ``entries`` (of ``listing``), parsing only what the last
    refresh did not; an ``ArchivedInvoice`` is made only for those."""
    path = cache_path(workbook)
    kept = _load(path)
    rows = kept.rows
    result = ClientRows()
    added: list[list[Any]] = []  # lines for the rows parsed now
    reused: list[list[Any]] = []  # lines kept as they were (written again only when rewriting)
    replaced = 0  # kept rows built again: their old lines are superseded
    folder = str(listing.client_dir)
    xml_file = listing.xml_file
    folders: dict[str, Path] = {}
    for entry in entries:
        number = entry.ksef_number
        key = _key(entry, folder)
        where = xml_file(entry)
        old = rows.get(number)
        row = (
            _decode(old[1], where, folders)
            if old is not None and old[0] == key and _size(where) == entry.size
            else None
        )
        if row is None:
            archived = listing.invoice(entry)
            base = rows_from_metadata(archived)
            try:
                xml = archive.read_entry_xml(archived)
                row = enrich_from_xml(base, xml)
            except UserError as exc:
                result.warnings.append(
                    f"Faktura {number}: {exc.message} W skoroszycie są tylko dane z metadanych KSeF."
                )
                result.rows.append(base)
                continue
            if old is not None:
                replaced += 1
            added.append([key, _encode(row, where)])
        else:
            reused.append(old)  # type: ignore[arg-type]
        result.rows.append(row)
    live = len(reused) + len(added)
    # Lines in the file that no row reads any more once the new ones follow them.
    superseded = kept.lines - len(rows) + replaced
    with contextlib.suppress(UserError, OSError):  # only a speed-up: the next refresh parses again
        if kept.appendable and len(reused) + replaced == len(rows) and superseded * 4 <= live:
            if added:
                _append(path, added)
        elif live or kept.lines:
            path.parent.mkdir(parents=True, exist_ok=True)  # the workbook goes there too
            atomic_write_bytes(path, _HEADER + _lines(reused + added))
    return result


def _size(xml_file: str) -> int:
    """The XML file's size, -1 when it is gone: a deleted or rewritten file is read (and warned
    about) again. A change that keeps the size is ``archive check``'s to find (it hashes every file)."""
    try:
        return os.stat(xml_file).st_size
    except OSError:
        return -1


def _key(entry: IndexEntry, folder: str) -> str:
    """What a row is built from besides the XML bytes: the invoice's index row as stored (its hash,
    size and KSeF metadata) and where the archive is (the row links its file). As a digest: the key
    is stored for every row, and the file is read and written on every refresh."""
    text = f"{folder}\x1f{entry.described}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# The file: this line, then one line per row, ``[key, [field, ...]]`` (the KSeF number is the first
# field). A refresh that only added rows appends their lines; a later line of a KSeF number
# overrides an earlier one. Written as UTF-8 with lone surrogates passed through (a path may carry
# them), read back the same way.
_HEADER = (json.dumps({"format": CACHE_FORMAT}) + "\n").encode("ascii")


@dataclass
class _Kept:
    # By KSeF number: [key, fields] of its last line.
    rows: dict[str, list[Any]] = field(default_factory=dict)
    # Row lines in the file (superseded ones included).
    lines: int = 0
    # Our format, every line whole and read: new lines may be appended. A torn last line (a write
    # cut short), a damaged line or a foreign file has the file rewritten in full instead.
    appendable: bool = False


def _load(path: Path) -> _Kept:
    try:
        data = path.read_bytes()
    except OSError:
        return _Kept()
    if not data.startswith(_HEADER):
        return _Kept()
    # JSON text never holds a raw line break, so a line ending in one was written whole.
    end = data.rfind(b"\n")
    body = data[len(_HEADER) : end]
    if not body:
        return _Kept(lines=0, appendable=end == len(data) - 1)
    try:
        # One parse for the whole file (20,000 separate ones cost twice as much).
        items = json.loads(b"[" + body.replace(b"\n", b",") + b"]")
        whole = True
    except ValueError:  # a damaged line: the others are still used
        items = [_line_or_none(line) for line in body.split(b"\n")]
        whole = False
    rows: dict[str, list[Any]] = {}
    good = 0
    for item in items:
        if (
            item.__class__ is list
            and len(item) == 2
            and item[0].__class__ is str
            and item[1].__class__ is list
            and item[1]
            and item[1][0].__class__ is str
        ):
            rows[item[1][0]] = item
            good += 1
    return _Kept(rows, len(items), whole and good == len(items) and end == len(data) - 1)


def _line_or_none(line: bytes) -> Any:
    try:
        return json.loads(line.decode("utf-8", "surrogatepass"))
    except ValueError:
        return None


def _lines(items: list[list[Any]]) -> bytes:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode(
        "utf-8", "surrogatepass"
    )


def _append(path: Path, items: list[list[Any]]) -> None:
    # One write: a second refresh appending at the same time cannot split a line (and a line
    # written by either is a correct row: its key says what it was built from).
    with path.open("ab") as out:
        out.write(_lines(items))


def _encode(row: InvoiceRow, xml_file: str) -> list[Any]:
    out: list[Any] = []
    for name in _FIELDS:
        value = getattr(row, name)
        if name == "xml_path" and value is not None and str(value) == xml_file:
            out.append(_ARCHIVED_FILE)
        elif value is None or isinstance(value, bool | str):
            out.append(value)
        elif name in _BY_RATE:
            out.append({key: str(amount) for key, amount in value.items()})
        elif isinstance(value, Decimal | Path | Register):
            out.append(str(value))
        elif isinstance(value, date):  # datetime too
            out.append(value.isoformat())
        else:
            out.append(str(value))
    # In PLN (most invoices) the PLN splits and amounts repeat the invoice's: kept as "the same".
    for pln, same in _SAME_AS:
        if out[pln] is not None and out[pln] == out[same]:
            out[pln] = _SAME
    return out


def _decode(values: list[Any], xml_file: str, folders: dict[str, Path] | None = None) -> InvoiceRow | None:
    """The row as it was kept, or None for anything unexpected (the invoice is then parsed again).

    Text fields are only checked (JSON gives them as they were); the rest is converted field by
    field, written out once per field (no loop or call per field: 20,000 rows are decoded on every
    refresh, and this is most of what a refresh does besides writing).
    """
    try:
        (
            ksef_number,
            register,
            invoice_number,
            issue_date,
            accepted_at,
            counterparty_nip,
            counterparty_name,
            currency,
            items,
            net_by_rate,
            vat_by_rate,
            net_by_rate_pln,
            vat_by_rate_pln,
            net_total,
            vat_total,
            gross_total,
            net_pln,
            vat_pln,
            gross_pln,
            due_date,
            bank_account,
            split_payment,
            invoice_type,
            corrected_invoice,
            offline,
            xml_path,
            client_decision,
            client_remark,
        ) = values
        for text in (
            ksef_number,
            invoice_number,
            counterparty_nip,
            counterparty_name,
            currency,
            items,
            bank_account,
            invoice_type,
            corrected_invoice,
            client_decision,
            client_remark,
            net_total,
            vat_total,
            gross_total,
        ):
            if text is not None and text.__class__ is not str:
                return None
        if split_payment.__class__ is not bool or offline.__class__ is not bool:
            return None
        net = None if net_total is None else Decimal(net_total)
        vat = None if vat_total is None else Decimal(vat_total)
        gross = None if gross_total is None else Decimal(gross_total)
        net_split = _by_rate(net_by_rate)
        vat_split = _by_rate(vat_by_rate)
        # The frozen dataclass's ``__init__`` sets its 28 fields one ``object.__setattr__`` at a time
        # (a third of decoding a row); the instance's dictionary is given whole instead, as unpickling
        # does (same fields, no ``__post_init__``: asserted below). Costs ~0.5 kB a row more memory.
        row = _new_row(InvoiceRow)
        _set_attr(
            row,
            "__dict__",
            {
                "ksef_number": ksef_number,
                "register": _REGISTERS[register],
                "invoice_number": invoice_number,
                "issue_date": None if issue_date is None else date.fromisoformat(issue_date),
                "accepted_at": None if accepted_at is None else datetime.fromisoformat(accepted_at),
                "counterparty_nip": counterparty_nip,
                "counterparty_name": counterparty_name,
                "currency": currency,
                "items": items,
                "net_by_rate": net_split,
                "vat_by_rate": vat_split,
                "net_by_rate_pln": dict(net_split)
                if _is_same(net_by_rate_pln)
                else _by_rate(net_by_rate_pln),
                "vat_by_rate_pln": dict(vat_split)
                if _is_same(vat_by_rate_pln)
                else _by_rate(vat_by_rate_pln),
                "net_total": net,
                "vat_total": vat,
                "gross_total": gross,
                "net_pln": _pln_amount(net_pln, net),
                "vat_pln": _pln_amount(vat_pln, vat),
                "gross_pln": _pln_amount(gross_pln, gross),
                "due_date": None if due_date is None else date.fromisoformat(due_date),
                "bank_account": bank_account,
                "split_payment": split_payment,
                "invoice_type": invoice_type,
                "corrected_invoice": corrected_invoice,
                "offline": offline,
                # The archive's own file (the key covers the archive's folder), else the path kept.
                "xml_path": None
                if xml_path is None
                else _archived_path(xml_file, {} if folders is None else folders)
                if xml_path == _ARCHIVED_FILE
                else Path(_text(xml_path)),
                "client_decision": client_decision,
                "client_remark": client_remark,
            },
        )
        return row
    except (ValueError, TypeError, AttributeError, KeyError, InvalidOperation):
        return None


def _archived_path(xml_file: str, folders: dict[str, Path]) -> Path:
    """``Path(xml_file)``, made from its folder's ``Path`` (parsing a path is a fifth of decoding a row,
    and the archive has a folder a month): the same ``Path``."""
    folder, _, name = xml_file.rpartition(os.sep)
    parent = folders.get(folder)
    if parent is None:
        parent = folders[folder] = Path(folder)
    return parent / name


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _is_same(value: Any) -> bool:
    return value.__class__ is int and value == _SAME


def _pln_amount(value: Any, same: Decimal | None) -> Decimal | None:
    if value.__class__ is str:
        return Decimal(value)
    if value is None:
        return None
    if _is_same(value) and same is not None:
        return same
    raise TypeError(value)


def _by_rate(value: Any) -> dict[str, Decimal]:
    # JSON object keys are always text; a missing split is an empty object, never null.
    out = {}
    for key, amount in value.items():
        if amount.__class__ is not str:
            raise TypeError(amount)
        out[key] = Decimal(amount)
    return out


_REGISTERS = {register.value: register for register in Register}
_new_row = object.__new__
_set_attr = object.__setattr__
assert not hasattr(InvoiceRow, "__post_init__") and not hasattr(InvoiceRow, "__slots__")

# What ``_encode`` keeps for a row linking the archive's own file of the invoice (no path is empty).
_ARCHIVED_FILE = ""
# What it keeps for a PLN split or amount equal to the invoice's (never a split, amount or null),
# by the places of the fields in ``_FIELDS``: (PLN, invoice's).
_SAME = 0
_SAME_AS = ((11, 9), (12, 10), (16, 13), (17, 14), (18, 15))
# ``_decode`` names the fields in this order: a new or moved ``InvoiceRow`` field must be added there
# (and ``CACHE_FORMAT`` bumped).
assert _FIELDS == (
    "ksef_number",
    "register",
    "invoice_number",
    "issue_date",
    "accepted_at",
    "counterparty_nip",
    "counterparty_name",
    "currency",
    "items",
    "net_by_rate",
    "vat_by_rate",
    "net_by_rate_pln",
    "vat_by_rate_pln",
    "net_total",
    "vat_total",
    "gross_total",
    "net_pln",
    "vat_pln",
    "gross_pln",
    "due_date",
    "bank_account",
    "split_payment",
    "invoice_type",
    "corrected_invoice",
    "offline",
    "xml_path",
    "client_decision",
    "client_remark",
), "InvoiceRow changed: update invoice_row_cache._decode and CACHE_FORMAT"
