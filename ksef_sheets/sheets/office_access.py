"""Staff, permissions and audit in the office workbook: sheets Pracownicy, Uprawnienia, Audyt.

- **Pracownicy** (table ``Pracownicy``) is the office's staff register, typed by staff: name, PESEL
  or NIP, role, e-mail, start and leave date. The toolkit creates it empty and only reads it
  (``read_staff``); ``staff grant/revoke`` and the Uprawnienia sheet use it.
- **Uprawnienia** (table ``Uprawnienia``) and **Audyt** (table ``Audyt``) are generated: rebuilt
  wholesale by ``ksef-sheets permissions`` and ``ksef-sheets audit``; filterable Excel tables with
  conditional formats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook

from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.sheets.office_layout import (
    FILL_AMBER,
    FILL_GREY,
    FILL_RED,
    FMT_DATE,
    FMT_DATETIME,
    FMT_INT,
    FMT_TEXT,
    FONT_GREEN,
    FONT_RED,
    Col,
    TableSheet,
    create_table_sheet,
)
from ksef_sheets.sheets.tables import OpenpyxlTables

SHEET_STAFF = "Pracownicy"
SHEET_PERMISSIONS = "Uprawnienia"
SHEET_AUDIT = "Audyt"

STAFF_SPEC = TableSheet(
    sheet=SHEET_STAFF,
    table="Pracownicy",
    title="Pracownicy biura",
    subtitle=(
        "Kto w biurze może dostać uprawnienia KSeF w kontekstach klientów. Wpiszcie PESEL (albo NIP) "
        "i datę odejścia, gdy ktoś kończy pracę — arkusz Uprawnienia pokaże, co trzeba mu odebrać "
        "(ksef-sheets staff revoke)."
    ),
    columns=(
        Col("Imię i nazwisko", 26),
        Col("PESEL lub NIP", 14, FMT_TEXT),
        Col("Rola", 18, note="rola w KSeF, np. administrator KSeF biura, opiekun klientów, dyżur awarii"),
        Col("E-mail", 28),
        Col("Data rozpoczęcia", 13, FMT_DATE),
        Col("Data odejścia", 13, FMT_DATE),
        # Issue 16 (team): who has been trained for KSeF, and when (see Zespół i procedury).
        Col("Szkolenie KSeF", 13, None, ("odbyte", "zaplanowane", "brak"), center=True),
        Col("Data szkolenia", 13, FMT_DATE),
        Col("Uwagi", 30, wrap=True),
    ),
    key=("PESEL lub NIP",),
    rules=(("*", '{col:Data odejścia}{row}<>""', FILL_GREY, None),),
)

# Mismatch labels on the Uprawnienia sheet (column "Niezgodność"); each row has at most one list of them.
MISMATCH_SCENARIO = "scenariusz wymaga uprawnienia, którego biuro nie ma"
MISMATCH_LEAVER = "osoba odeszła z biura, a nadal ma uprawnienia"
MISMATCH_UNKNOWN = "osoba spoza rejestru pracowników"
MISMATCH_EXPIRING = "poświadczenie wygasa w ciągu 30 dni"
MISMATCH_TOKEN = "klient nadal na tokenie KSeF (tokeny działają do 31.12.2026)"  # noqa: S105 - a label

PERMISSIONS_SPEC = TableSheet(
    sheet=SHEET_PERMISSIONS,
    table="Uprawnienia",
    title="Uprawnienia KSeF w kontekstach klientów",
    subtitle=(
        "Odświeża polecenie ksef-sheets permissions. Na czerwono to, co się nie zgadza: brak uprawnienia "
        "wymaganego przez scenariusz, uprawnienia osoby, która odeszła, osoby spoza rejestru Pracownicy; "
        "na żółto poświadczenie wygasające w ciągu 30 dni i klient nadal na tokenie."
    ),
    columns=(
        Col("NIP klienta", 13, FMT_TEXT),
        Col("Klient", 30, wrap=True),
        Col("Kto", 28, wrap=True),
        Col("Identyfikator", 16, FMT_TEXT),
        Col("Uprawnienie", 16),
        Col("Może przekazać", 10, center=True),
        Col("Od", 12, FMT_DATE),
        Col("Poświadczenie", 18),
        Col("Ważne do", 12, FMT_DATE),
        Col("Niezgodność", 44, wrap=True),
    ),
    key=("NIP klienta", "Identyfikator", "Uprawnienie"),
    rules=(
        (
            "*",
            f'OR(ISNUMBER(SEARCH("{MISMATCH_SCENARIO}",{{col:Niezgodność}}{{row}})),'
            f'ISNUMBER(SEARCH("{MISMATCH_LEAVER}",{{col:Niezgodność}}{{row}})),'
            f'ISNUMBER(SEARCH("{MISMATCH_UNKNOWN}",{{col:Niezgodność}}{{row}})))',
            FILL_RED,
            None,
        ),
        ("*", '{col:Niezgodność}{row}<>""', FILL_AMBER, None),
    ),
)

AUDIT_SPEC = TableSheet(
    sheet=SHEET_AUDIT,
    table="Audyt",
    title="Dziennik działań (audyt)",
    subtitle=(
        "Pobrania, wysyłki, nadania i odebrania uprawnień, certyfikaty i zmiany w sejfie — kto, kiedy "
        "(czas polski), w kontekście którego klienta, z jakim wynikiem. Odświeża polecenie ksef-sheets audit."
    ),
    columns=(
        Col("Kiedy", 17, FMT_DATETIME),
        Col("Kto", 16),
        Col("Czynność", 22),
        Col("NIP klienta", 13, FMT_TEXT),
        Col("Wynik", 12),
        Col("Szczegóły", 70, wrap=True),
        Col("Liczba", 8, FMT_INT, center=True),
    ),
    key=("Kiedy", "Czynność", "NIP klienta"),
    rules=(
        ("Wynik", '{col:Wynik}{row}="błąd"', None, FONT_RED),
        ("Wynik", '{col:Wynik}{row}="ok"', None, FONT_GREEN),
    ),
)


@dataclass(frozen=True)
class StaffMember:
    """One row of the Pracownicy table."""

    name: str
    identifier: str
    id_type: str  # "Pesel" | "Nip" (KSeF's identifier types)
    role: str = ""
    email: str = ""
    start: date | None = None
    leave: date | None = None
    row: int | None = None

    def left_by(self, today: date) -> bool:
        return self.leave is not None and self.leave <= today

    @property
    def first_last(self) -> tuple[str, str]:
        parts = self.name.split()
        if len(parts) < 2:
            return (self.name or "Nieznane", "Nieznane")
        return parts[0], " ".join(parts[1:])


def pesel_problem(text: str) -> str | None:
    digits = text.strip()
    if len(digits) != 11 or not digits.isdigit():
        return f"PESEL „{text}” musi mieć 11 cyfr"
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 10) % 10
    if check != int(digits[10]):
        return f"PESEL „{text}” ma błędną cyfrę kontrolną"
    return None


def staff_identifier(text: str) -> tuple[str, str]:
    """``(type, value)`` for a PESEL or NIP typed in the register; UserError naming the problem."""
    value = "".join(ch for ch in str(text) if ch.isdigit())
    if len(value) == 11:
        problem = pesel_problem(value)
        if problem:
            raise UserError(problem + ".")
        return "Pesel", value
    if len(value) == 10:
        problem = nip_problem(value)
        if problem:
            raise UserError(problem)
        return "Nip", normalize_nip(value)
    raise UserError(f"„{text}” to ani PESEL (11 cyfr), ani NIP (10 cyfr).")


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def read_staff(wb: Workbook, *, source: str = "biuro.xlsx") -> list[StaffMember]:
    """The Pracownicy table (empty list when the workbook has none yet); bad rows are a UserError."""
    tables = OpenpyxlTables(wb, source=source)
    if STAFF_SPEC.table.casefold() not in {t.casefold() for t in tables.table_names()}:
        return []
    data = tables.read_table(STAFF_SPEC.table)
    staff: list[StaffMember] = []
    for row, number in zip(data.rows, data.row_numbers, strict=False):
        name = str(row.get("Imię i nazwisko") or "").strip()
        raw_id = str(row.get("PESEL lub NIP") or "").strip()
        if not name and not raw_id:
            continue
        where = f"{source}, arkusz {data.sheet}, wiersz {number}"
        if not raw_id:
            raise UserError(f"{where}: brak PESEL lub NIP pracownika {name}.")
        try:
            id_type, identifier = staff_identifier(raw_id)
        except UserError as exc:
            raise UserError(f"{where}, kolumna „PESEL lub NIP”: {exc}") from exc
        dates: dict[str, date | None] = {}
        for header in ("Data rozpoczęcia", "Data odejścia"):
            try:
                dates[header] = _as_date(row.get(header))
            except ValueError as exc:
                raise UserError(
                    f"{where}, kolumna „{header}”: „{exc}” to nie data (wpisz np. 15.03.2026)."
                ) from exc
        staff.append(
            StaffMember(
                name=name,
                identifier=identifier,
                id_type=id_type,
                role=str(row.get("Rola") or "").strip(),
                email=str(row.get("E-mail") or "").strip(),
                start=dates["Data rozpoczęcia"],
                leave=dates["Data odejścia"],
                row=number,
            )
        )
    return staff


def _position(wb: Workbook, after: Sequence[str]) -> int:
    present = [wb.sheetnames.index(s) for s in after if s in wb.sheetnames]
    return max(present) + 1 if present else len(wb.sheetnames)


def ensure_staff_sheet(wb: Workbook, office_line: str, rows: Sequence[dict[str, Any]] = ()) -> bool:
    """Create the Pracownicy sheet when the workbook has no such table; True when created."""
    tables = OpenpyxlTables(wb)
    if STAFF_SPEC.table.casefold() in {t.casefold() for t in tables.table_names()}:
        return False
    if STAFF_SPEC.sheet in wb.sheetnames:
        raise UserError(
            f"Arkusz „{STAFF_SPEC.sheet}” nie zawiera tabeli „{STAFF_SPEC.table}”. Przywróć tabelę albo "
            "usuń arkusz — program utworzy go na nowo."
        )
    create_table_sheet(
        wb, STAFF_SPEC, index=_position(wb, ("Zespół i procedury",)), office=office_line, rows=rows
    )
    return True


def replace_generated_sheet(
    wb: Workbook, spec: TableSheet, rows: Sequence[dict[str, Any]], office_line: str
) -> None:
    """Rebuild a generated sheet (Uprawnienia, Audyt) in place: found by its table, so a renamed tab
    is replaced too and no two tables share a name."""
    old = None
    for ws in wb.worksheets:
        if any(t.casefold() == spec.table.casefold() for t in ws.tables):
            old = ws
            break
    if old is None and spec.sheet in wb.sheetnames:
        old = wb[spec.sheet]
    index = wb.worksheets.index(old) if old is not None else len(wb.worksheets)
    if old is not None:
        wb.remove(old)
    create_table_sheet(wb, spec, index=index, office=office_line, rows=rows)


def put_staff_member(wb: Workbook, row: dict[str, Any], office_line: str) -> None:
    """Add a staff member to Pracownicy, or update the given columns of the row with the same PESEL/NIP
    (other columns, typed by staff, are kept)."""
    ensure_staff_sheet(wb, office_line)
    tables = OpenpyxlTables(wb)
    data = tables.read_table(STAFF_SPEC.table)
    wanted = "".join(ch for ch in str(row.get("PESEL lub NIP") or "") if ch.isdigit())
    rows = [dict(r) for r in data.rows if any(v not in (None, "") for v in r.values())]
    for existing in rows:
        if "".join(ch for ch in str(existing.get("PESEL lub NIP") or "") if ch.isdigit()) == wanted:
            existing.update(row)
            break
    else:
        rows.append(dict(row))
    tables.write_table(STAFF_SPEC.table, rows, headers=STAFF_SPEC.headers)
