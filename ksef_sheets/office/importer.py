"""Bringing a client list (CSV or XLSX, as offices keep them) into the register: the rules.

The file itself is read by ``ksef_sheets.sheets`` (``read_client_list``); here rows come in (a grid
of cell values) and typed register rows, merged registers and per-row problems come out.

Headers are matched flexibly ("NIP", "Nip klienta", "Nazwa firmy", "Adres e-mail" …). Each bad row
(NIP checksum, duplicate, missing e-mail, unknown scenario, unreadable value) is reported with its
row number and skipped; the good rows are imported. Importing again updates existing clients by NIP
but only in the master-data columns the file brings; what staff typed stays.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.office.convert import CellProblem, cell_value, parse_cell, text_of
from ksef_sheets.office.model import CHANNEL_HEADER, COLUMN_BY_HEADER, REGISTER_COLUMNS, REPRESENTATION_HEADER
from ksef_sheets.office.readiness import QUESTIONS
from ksef_sheets.office.rules import is_valid_email, looks_like_secret

# Canonical register header → what offices call it in their own lists (compared normalised).
_ALIASES: dict[str, tuple[str, ...]] = {
    "NIP": ("nip", "nip klienta", "numer nip", "nr nip", "nip firmy", "nip kontrahenta", "identyfikator nip"),
    "Nazwa": (
        "nazwa",
        "nazwa firmy",
        "nazwa klienta",
        "firma",
        "klient",
        "kontrahent",
        "pełna nazwa",
        "nazwa pełna",
    ),
    "Forma prawna": ("forma prawna", "forma", "rodzaj działalności", "forma działalności"),
    "Branża": ("branża", "działalność", "profil działalności", "pkd"),
    "Adres": ("adres", "adres siedziby", "siedziba", "adres firmy"),
    "Osoba kontaktowa": (
        "osoba kontaktowa",
        "kontakt",
        "osoba do kontaktu",
        "imię i nazwisko",
        "przedstawiciel",
    ),
    REPRESENTATION_HEADER: (
        "reprezentowany przez",
        "reprezentacja",
        "podstawa reprezentacji",
        "osoby reprezentujące",
        "osoba reprezentująca",
        "reprezentant",
        "wspólnicy",
    ),
    CHANNEL_HEADER: (
        "jak dokumenty trafiają do biura",
        "dokumenty do biura",
        "sposób przekazywania dokumentów",
        "obieg dokumentów",
    ),
    "E-mail": (
        "e-mail",
        "email",
        "adres e-mail",
        "adres email",
        "mail",
        "e-mail klienta",
        "poczta",
        "e mail",
    ),
    "Telefon": ("telefon", "tel", "nr telefonu", "numer telefonu", "telefon kontaktowy", "komórka"),
    "Wielkość": ("wielkość", "wielkość firmy", "rozmiar", "kategoria"),
    "Obowiązek KSeF od": ("obowiązek ksef od", "termin ksef", "data obowiązku ksef", "ksef od"),
    "Program do faktur": (
        "program do faktur",
        "program",
        "program fakturowy",
        "oprogramowanie",
        "system do faktur",
    ),
    "Program zintegrowany z KSeF": (
        "program zintegrowany z ksef",
        "zintegrowany z ksef",
        "integracja z ksef",
    ),
    "Scenariusz": ("scenariusz", "scenariusz współpracy", "model współpracy", "wariant", "nr scenariusza"),
    "Opiekun": ("opiekun", "księgowa", "księgowy", "opiekun klienta", "pracownik"),
    "Harmonogram pobierania": ("harmonogram pobierania", "harmonogram", "pobieranie"),
    "Pilotaż": ("pilotaż", "pilot"),
    "Uwagi": ("uwagi", "notatki", "komentarz"),
    **{
        COLUMN_BY_HEADER[h].header: (h.lower(),)
        for h in ("Zna KSeF", "Potrzebuje pomocy z rejestracją", "Upoważni biuro", "Potrzebny ZAW-FA")
    },
}
# Readiness questions as the client reads them (a filled questionnaire, a forms export).
_QUESTION_HEADERS = {
    "knows_ksef": "Zna KSeF",
    "software_integrated": "Program zintegrowany z KSeF",
    "needs_registration_help": "Potrzebuje pomocy z rejestracją",
    "will_authorise_office": "Upoważni biuro",
}
for _q in QUESTIONS:
    _target = _QUESTION_HEADERS[_q.field]
    _ALIASES[_target] = (*_ALIASES.get(_target, ()), _q.header, _q.text)

READINESS_HEADERS = tuple(_QUESTION_HEADERS.values())
# Columns an import may overwrite on an existing client (master data). Everything else a file
# brings is used only for new clients.
IMPORT_OWNED = tuple(c.header for c in REGISTER_COLUMNS if c.owner == "import")


def _norm(header: Any) -> str:
    text = unicodedata.normalize("NFC", text_of(header)).lower()
    text = re.sub(r"[\s_]+", " ", text)
    text = re.sub(r"[.:*?()\[\]]", "", text).strip()
    return text


_LOOKUP: dict[str, str] = {}
for _canon, _names in _ALIASES.items():
    for _name in (_canon, *_names):
        _LOOKUP.setdefault(_norm(_name), _canon)


def canonical_header(header: Any) -> str | None:
    return _LOOKUP.get(_norm(header))


@dataclass
class SourceTable:
    """Rows of an input file keyed by register header, each with its row number in the file."""

    path: Path
    rows: list[tuple[int, dict[str, Any]]]
    ignored_headers: list[str]


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"row": e.row, "message": e.message} for e in self.errors],
            "ignored_headers": self.ignored_headers,
        }


# -- rows to a table --------------------------------------------------------------------------------


def table_from_grid(path: Path, grid: list[list[Any]]) -> SourceTable:
    """The rows under the header row that names a NIP column (within the first ten rows), keyed by
    register header; headers nothing matches are listed as ignored."""
    header_index = None
    for i, row in enumerate(grid[:10]):
        if any(canonical_header(v) == "NIP" for v in row):
            header_index = i
            break
    if header_index is None:
        seen = ", ".join(f"„{text_of(v)}”" for v in (grid[0] if grid else []) if text_of(v)) or "brak"
        raise UserError(
            f"W pliku {path} nie ma kolumny z NIP-em (szukano nagłówków „NIP”, „Nip klienta” itp.; "
            f"znalezione nagłówki: {seen})."
        )
    headers = grid[header_index]
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for col, header in enumerate(headers):
        canon = canonical_header(header)
        if canon and canon not in mapping.values():
            mapping[col] = canon
        elif text_of(header):
            ignored.append(text_of(header))
    rows: list[tuple[int, dict[str, Any]]] = []
    for offset, values in enumerate(grid[header_index + 1 :], start=header_index + 2):
        record = {canon: values[col] if col < len(values) else None for col, canon in mapping.items()}
        if all(text_of(v) == "" for v in record.values()):
            continue
        rows.append((offset, record))
    return SourceTable(path, rows, ignored)


# -- validating and merging -----------------------------------------------------------------------


def validate_rows(
    source: SourceTable, *, require: Iterable[str] = ("Nazwa", "E-mail")
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Typed register values for each good row, and one error per bad row (the first problem found)."""
    good: list[tuple[int, dict[str, Any]]] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    required = tuple(require)
    for number, record in source.rows:
        problems: list[str] = []
        typed: dict[str, Any] = {}
        nip_raw = text_of(record.get("NIP"))
        issue = nip_problem(nip_raw)
        nip = normalize_nip(nip_raw)
        if issue:
            problems.append(issue.rstrip("."))
        elif nip in first_row_of:
            problems.append(f"NIP {nip} powtarza się w pliku (pierwszy raz w wierszu {first_row_of[nip]})")
        for header, raw in record.items():
            column = COLUMN_BY_HEADER[header]
            try:
                typed[header] = parse_cell(column, raw)
            except CellProblem as exc:
                problems.append(f"kolumna „{header}”: {exc}")
        email = text_of(record.get("E-mail"))
        if "E-mail" in required and not email:
            problems.append("brak adresu e-mail")
        elif email and not is_valid_email(email):
            problems.append(f"błędny adres e-mail „{email}”")
        if "Nazwa" in required and not text_of(record.get("Nazwa")):
            problems.append("brak nazwy klienta")
        for header in ("Uwagi", "Nazwa", "Adres", "Osoba kontaktowa"):
            if looks_like_secret(text_of(record.get(header))):
                problems.append(
                    f"kolumna „{header}” wygląda na token lub hasło — takich danych nie importujemy"
                )
        if problems:
            errors.append(RowError(number, "; ".join(problems)))
            if not issue and nip not in first_row_of:
                first_row_of[nip] = number
            continue
        first_row_of[nip] = number
        typed["NIP"] = nip
        good.append((number, typed))
    return good, errors


def merge_into_register(
    register: list[dict[str, Any]],
    good: list[tuple[int, dict[str, Any]]],
    *,
    owned: Iterable[str] = IMPORT_OWNED,
    report: ImportReport,
    allow_new: bool = True,
    numbers: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Update existing clients by NIP in the ``owned`` columns (non-empty values only); append new ones."""
    owned_set = set(owned)
    index = {normalize_nip(text_of(r.get("NIP"))): r for r in register if text_of(r.get("NIP"))}
    out = list(register)
    for _number, typed in good:
        nip = typed["NIP"]
        existing = index.get(nip)
        if existing is None and not allow_new:
            row_number = (numbers or {}).get(nip, _number)
            report.errors.append(
                RowError(row_number, f"klienta z NIP {nip} nie ma w rejestrze — najpierw go dodaj")
            )
            continue
        if existing is None:
            row = {h: cell_value(COLUMN_BY_HEADER[h], v) for h, v in typed.items() if v not in (None, "")}
            row["NIP"] = nip
            out.append(row)
            index[nip] = row
            report.added.append(nip)
            continue
        changed = False
        for header, value in typed.items():
            if header == "NIP" or value in (None, "") or header not in owned_set:
                continue
            column = COLUMN_BY_HEADER[header]
            try:
                current = parse_cell(column, existing.get(header))
            except CellProblem:
                current = None
            if current != value:
                existing[header] = cell_value(column, value)
                changed = True
        (report.updated if changed else report.unchanged).append(nip)
    return out
