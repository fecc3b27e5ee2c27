"""Reading a client's returned invoice list back: decisions into the archive, conflicts reported.

``import_decisions(folder, path)`` checks that the file is an export of this office (the HMAC in
its very hidden ``_kontrola`` sheet), for the expected client and period, then reads sheet
``Faktury`` by header name and matches rows by KSeF number — whatever order the client sorted them
in. Each row gets one outcome:

- applied: Akceptuję → status Zaakceptowana, Odrzucam → Odrzucona, with the client's remark and
  the date of the import;
- no decision (empty cell, or the row was deleted) — the invoice keeps waiting;
- conflict: the row's invoice data differ from what was exported (changed data), its KSeF number
  was not in the export (an added row), it appears twice, its decision is not one of the two
  choices, or the invoice is already booked and the client rejects it now.

Conflicts are reported and never applied; everything else is applied in one transaction. Then the
client's invoice workbook is refreshed so staff see the decisions.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl.worksheet.worksheet import Worksheet

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.sheets.client_export import (
    CONFIRM_LABEL,
    CONFIRM_YES,
    CONTROL_SHEET,
    DECISION_ACCEPT,
    DECISION_REJECT,
    FORMAT_VERSION,
    H_CURRENCY,
    H_DECISION,
    H_GROSS,
    H_ISSUE,
    H_KSEF,
    H_MAC,
    H_NET,
    H_NUMBER,
    H_REMARK,
    H_SELLER_NIP,
    H_SIDE,
    H_VAT,
    LIST_SHEET,
    ExportRow,
    _row_from_archive,
    export_key,
    file_mac,
    money_text,
    parse_month,
    row_mac,
)
from ksef_sheets.sheets.incoming_xlsx import XlsxLimits, check_incoming_xlsx, open_workbook, read_rows
from ksef_sheets.sheets.printing import DATE_FORMAT, MONEY_FORMAT
from ksef_sheets.sheets.safe_text import clean_text
from ksef_sheets.sync import Archive, StaffDecision
from ksef_sheets.text import warsaw_today

STATUS_ACCEPTED = "Zaakceptowana"
STATUS_REJECTED = "Odrzucona"
STATUS_BOOKED = "Zaksięgowana"

MAX_FILE_BYTES = 30_000_000
# A month's list of one client is a few thousand rows (a few MB unpacked): anything far beyond
# is refused before it is parsed (issue 18 D3: a 290 MB sheet took 4 GB and minutes).
MAX_UNPACKED_BYTES = 100_000_000
MAX_RATIO = 100
MAX_ROWS = 50_000
MAX_COLUMNS = 100
LIMITS = XlsxLimits(MAX_FILE_BYTES, MAX_UNPACKED_BYTES, MAX_RATIO, MAX_ROWS, MAX_COLUMNS)
MAX_REMARK = 1000

_ACCEPT_WORDS = {"akceptuję", "akceptuje", "akceptuje.", "zaakceptowana", "tak", "ok", "akceptacja"}
_REJECT_WORDS = {"odrzucam", "odrzucona", "nie", "odrzucenie", "odrzuć", "odrzuc"}
_NAME_PATTERN = re.compile(r"faktury-(zakupy|sprzedaz|wszystkie)-(\d{10})-(\d{4}-\d{2})")

# Outcome codes (stable, for --json and scripts).
APPLIED = "zastosowano"
UNCHANGED = "bez-zmian"
NO_DECISION = "brak-decyzji"
MISSING_ROW = "brak-wiersza"
CHANGED = "zmienione-dane"
UNKNOWN = "nieznany-numer"
DUPLICATE = "powtorzony-wiersz"
BAD_DECISION = "niepoprawna-decyzja"
BOOKED = "juz-zaksiegowana"


@dataclass
class RowOutcome:
    ksef_number: str
    code: str
    message: str
    row: int | None = None  # the Excel row number in the returned file


@dataclass
class ImportReport:
    file: Path
    client_nip: str
    period: str
    kind: str
    export_id: str
    confirmed_whole: bool | None = None
    applied: list[RowOutcome] = field(default_factory=list)
    unchanged: list[RowOutcome] = field(default_factory=list)
    undecided: list[RowOutcome] = field(default_factory=list)
    conflicts: list[RowOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    workbook_messages: list[str] = field(default_factory=list)
    # After the import: the client's accepted, unbooked purchases, and the office's follow-up list.
    ready_to_book: int = 0
    follow_up: Path | None = None
    follow_up_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.conflicts

    def outcome(self, ksef_number: str) -> str | None:
        for group in (self.applied, self.unchanged, self.undecided, self.conflicts):
            for item in group:
                if item.ksef_number == ksef_number:
                    return item.code
        return None

    def summary_lines(self) -> list[str]:
        """What a person reads after the import: totals, then every conflict and warning."""
        lines = [
            f"Klient {self.client_nip}, okres {self.period}: zastosowano {len(self.applied)} decyzji, "
            f"bez zmian {len(self.unchanged)}, bez decyzji {len(self.undecided)}, konflikty {len(self.conflicts)}."
        ]
        if self.confirmed_whole is not None:
            lines.append(
                "Klient potwierdził zestawienie jako całość."
                if self.confirmed_whole
                else "Klient nie potwierdził zestawienia jako całości."
            )
        lines.append(f"Gotowe do księgowania (zaakceptowane zakupy): {self.ready_to_book}.")
        if self.follow_up is not None:
            lines.append(
                f"Do wyjaśnienia (odrzucone przez klientów): {self.follow_up_count} — {self.follow_up}"
            )
        lines += [f"Konflikt: {o.message}" for o in self.conflicts]
        lines += [f"Uwaga: {w}" for w in [*self.warnings, *self.workbook_messages]]
        return lines

    def as_json(self) -> dict[str, Any]:
        def items(group: list[RowOutcome]) -> list[dict[str, Any]]:
            return [
                {"ksef_number": o.ksef_number, "code": o.code, "row": o.row, "message": o.message}
                for o in group
            ]

        return {
            "file": str(self.file),
            "client_nip": self.client_nip,
            "period": self.period,
            "kind": self.kind,
            "confirmed_whole": self.confirmed_whole,
            "applied": items(self.applied),
            "unchanged": items(self.unchanged),
            "undecided": items(self.undecided),
            "conflicts": items(self.conflicts),
            "warnings": self.warnings,
            "workbook": self.workbook_messages,
            "ready_to_book": self.ready_to_book,
            "follow_up": str(self.follow_up) if self.follow_up else None,
            "follow_up_count": self.follow_up_count,
        }


# ----------------------------------------------------------------------------------------------
# Opening the file safely


def _check_container(path: Path) -> None:
    if path.is_dir():
        raise UserError(f"{path} jest folderem, a nie plikiem odpowiedzi klienta (.xlsx).")
    if not path.is_file():
        raise UserError(f"Nie ma pliku {path}.")
    if path.suffix.lower() == ".csv":
        raise UserError(
            f"Plik {path} to CSV, który nie zawiera danych kontrolnych; poproś klienta o odesłanie pliku .xlsx."
        )
    # Size, parts, ratio of every part, DOCTYPE in any encoding anywhere (sheets.incoming_xlsx).
    check_incoming_xlsx(path, LIMITS)


def _open(path: Path) -> Any:
    """The returned file, streamed (read-only mode): rows are read one at a time within the caps."""
    _check_container(path)
    # Formulas as typed (a remark "=..." stays that text); our own cells hold values, not formulas.
    return open_workbook(path, LIMITS, data_only=False)


@dataclass
class _Marker:
    values: dict[str, str]
    rows: dict[str, str]  # KSeF number -> row MAC, in export order
    order: list[str]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_marker(workbook: Any, path: Path) -> _Marker:
    if CONTROL_SHEET not in workbook.sheetnames:
        raise UserError(
            f"Plik {path} nie jest zestawieniem z ksef-sheets albo usunięto z niego arkusz kontrolny; "
            "wyślij klientowi nowe zestawienie (ksef-sheets export)."
        )
    ws: Worksheet = workbook[CONTROL_SHEET]
    values: dict[str, str] = {}
    rows: dict[str, str] = {}
    order: list[str] = []
    in_rows = False
    for row in read_rows(path, ws, LIMITS):
        first, second = (_text(row[0]) if row else ""), (_text(row[1]) if row and len(row) > 1 else "")
        if not first and not second:
            continue
        if first == "Numer KSeF" and second == H_MAC:
            in_rows = True
            continue
        if in_rows:
            rows[first] = second
            order.append(first)
        else:
            values[first] = second
    if values.get("wersja") != FORMAT_VERSION or not {"nip", "okres", "zakres", "id", "podpis"} <= set(
        values
    ):
        raise UserError(
            f"Plik {path}: arkusz kontrolny jest niekompletny lub pochodzi z innej wersji programu."
        )
    return _Marker(values, rows, order)


# ----------------------------------------------------------------------------------------------
# Reading the list


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        if isinstance(value, float):
            return Decimal(repr(value)).quantize(Decimal("0.01"))
        text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return Decimal(text).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _find_header(ws: Worksheet, path: Path) -> tuple[int, dict[str, int]]:
    for r, row in enumerate(read_rows(path, ws, LIMITS, max_row=60), start=1):
        names = [_text(v) for v in row]
        if H_KSEF in names and H_DECISION in names:
            return r, {name: i for i, name in enumerate(names) if name}
    raise UserError(
        f"Plik {path}: w arkuszu „{LIST_SHEET}” nie znaleziono nagłówków „{H_KSEF}” i „{H_DECISION}”."
    )


def _confirmation(ws: Worksheet, header_row: int, path: Path) -> bool | None:
    for row in read_rows(path, ws, LIMITS, max_row=header_row - 1):
        cells = [_text(v) for v in row]
        if CONFIRM_LABEL in cells:
            after = [c for c in cells[cells.index(CONFIRM_LABEL) + 1 :] if c]
            if not after:
                return False
            return after[0].casefold() == CONFIRM_YES.casefold()
    return None


def _decision_of(value: str) -> str | None:
    word = value.strip().casefold()
    if not word:
        return ""
    if word in _ACCEPT_WORDS:
        return DECISION_ACCEPT
    if word in _REJECT_WORDS:
        return DECISION_REJECT
    return None


def _describe_changes(original: ExportRow, seen: ExportRow) -> str:
    labels = (
        (H_SIDE, original.side, seen.side),
        (H_NUMBER, original.number, seen.number),
        (
            H_ISSUE,
            original.issue_date.isoformat() if original.issue_date else "",
            seen.issue_date.isoformat() if seen.issue_date else "",
        ),
        (H_SELLER_NIP, original.seller_nip, seen.seller_nip),
        (H_CURRENCY, original.currency, seen.currency),
        (H_NET, money_text(original.net), money_text(seen.net)),
        (H_VAT, money_text(original.vat), money_text(seen.vat)),
        (H_GROSS, money_text(original.gross), money_text(seen.gross)),
    )
    changed = [f"„{name}” z „{a}” na „{b}”" for name, a, b in labels if a != b]
    return ", ".join(changed) if changed else "dane kontrolne wiersza"


# ----------------------------------------------------------------------------------------------
# The import


def expectations_from_path(folder: OfficeFolder, path: Path) -> tuple[str | None, str | None]:
    """Client and period the file's place and name suggest (``klienci/<NIP>/…``, ``faktury-…-NIP-RRRR-MM``)."""
    nip = period = None
    match = _NAME_PATTERN.search(path.name)
    if match:
        nip, period = match.group(2), match.group(3)
    try:
        relative = path.resolve().relative_to(folder.clients_dir.resolve())
        if len(relative.parts) > 1 and nip_problem(relative.parts[0]) is None:
            nip = relative.parts[0]
    except ValueError:
        pass
    return nip, period


def import_decisions(
    folder: OfficeFolder,
    path: Path,
    *,
    expect_nip: str | None = None,
    expect_month: str | None = None,
    today: date | None = None,
    refresh_workbook: bool = True,
) -> ImportReport:
    """Apply the decisions of a returned client file; see the module docstring."""
    path = Path(path)
    folder.load_config()
    key = export_key(folder)
    workbook = _open(path)
    marker = _read_marker(workbook, path)
    nip, period, kind, export_id = (marker.values[k] for k in ("nip", "okres", "zakres", "id"))
    expected = file_mac(key, nip, period, kind, export_id, [(n, marker.rows[n]) for n in marker.order])
    if not hmac.compare_digest(expected, marker.values["podpis"]):
        raise UserError(
            f"Plik {path}: dane kontrolne się nie zgadzają — plik pochodzi z innego biura albo zmieniono "
            "w nim coś poza kolumnami Decyzja i Uwagi; wyślij klientowi nowe zestawienie."
        )
    path_nip, path_period = expectations_from_path(folder, path)
    if expect_nip:
        problem = nip_problem(expect_nip)
        if problem:
            raise UserError(f"Opcja --client: {problem}")
    want_nip = normalize_nip(expect_nip) if expect_nip else path_nip
    if want_nip and want_nip != nip:
        raise UserError(
            f"Plik {path} jest zestawieniem dla klienta NIP {nip} (okres {period}), a nie dla klienta NIP {want_nip}."
        )
    if expect_month:
        year, month = parse_month(expect_month)
        want_period: str | None = f"{year}-{month:02d}"
    else:
        want_period = path_period
    if want_period and want_period != period:
        raise UserError(f"Plik {path} dotyczy okresu {period}, a nie {want_period} (klient NIP {nip}).")

    if LIST_SHEET not in workbook.sheetnames:
        raise UserError(f"Plik {path}: brak arkusza „{LIST_SHEET}”.")
    ws: Worksheet = workbook[LIST_SHEET]
    header_row, columns = _find_header(ws, path)
    required = (
        H_KSEF,
        H_SIDE,
        H_NUMBER,
        H_ISSUE,
        H_SELLER_NIP,
        H_CURRENCY,
        H_NET,
        H_VAT,
        H_GROSS,
        H_DECISION,
        H_REMARK,
    )
    missing = [h for h in required if h not in columns]
    if missing:
        raise UserError(f"Plik {path}: w arkuszu „{LIST_SHEET}” brakuje kolumn: {', '.join(missing)}.")

    report = ImportReport(
        path, nip, period, kind, export_id, confirmed_whole=_confirmation(ws, header_row, path)
    )
    day = today or warsaw_today()
    seen: dict[str, int] = {}
    pending: list[tuple[int, str, str, str]] = []  # (row, ksef, decision, remark)

    def cell(values: tuple[Any, ...], header: str) -> Any:
        index = columns[header]
        return values[index] if index < len(values) else None

    with Archive.open(folder) as archive:
        decisions = archive.decisions_for(nip)
        for r, values in enumerate(read_rows(path, ws, LIMITS, min_row=header_row + 1), start=header_row + 1):
            if all(v is None or _text(v) == "" for v in values):
                continue
            number = _text(cell(values, H_KSEF))
            decision_text = _text(cell(values, H_DECISION))
            remark = clean_text(_text(cell(values, H_REMARK)))[:MAX_REMARK]
            if number not in marker.rows:
                what = f"numer KSeF „{number}”" if number else "wiersz bez numeru KSeF"
                report.conflicts.append(
                    RowOutcome(
                        number,
                        UNKNOWN,
                        f"Wiersz {r}: {what} nie był w wysłanym zestawieniu (dodany wiersz); pominięto.",
                        r,
                    )
                )
                continue
            if number in seen:
                report.conflicts.append(
                    RowOutcome(
                        number,
                        DUPLICATE,
                        f"Wiersz {r}: faktura {number} występuje drugi raz (pierwszy raz w wierszu {seen[number]}); pominięto powtórzenie.",
                        r,
                    )
                )
                continue
            seen[number] = r
            observed = ExportRow(
                side=_text(cell(values, H_SIDE)),
                ksef_number=number,
                number=_text(cell(values, H_NUMBER)),
                issue_date=_date(cell(values, H_ISSUE)),
                ksef_date=None,
                seller_nip=_text(cell(values, H_SELLER_NIP)),
                seller_name="",
                buyer="",
                currency=_text(cell(values, H_CURRENCY)),
                net=_decimal(cell(values, H_NET)),
                vat=_decimal(cell(values, H_VAT)),
                gross=_decimal(cell(values, H_GROSS)),
            )
            if not hmac.compare_digest(
                row_mac(key, nip, period, observed.signed_fields()), marker.rows[number]
            ):
                archived = archive.get_invoice(nip, number)
                detail = (
                    _describe_changes(_row_from_archive(archive, archived, observed.side), observed)
                    if archived is not None
                    else "dane kontrolne wiersza"
                )
                report.conflicts.append(
                    RowOutcome(
                        number,
                        CHANGED,
                        f"Wiersz {r}: w fakturze {number} zmieniono {detail}; decyzji nie zastosowano.",
                        r,
                    )
                )
                continue
            decision = _decision_of(decision_text)
            if decision is None:
                report.conflicts.append(
                    RowOutcome(
                        number,
                        BAD_DECISION,
                        f"Wiersz {r}: decyzja „{decision_text}” przy fakturze {number} nie jest ani „{DECISION_ACCEPT}”, ani „{DECISION_REJECT}”.",
                        r,
                    )
                )
                continue
            if decision == "" and report.confirmed_whole:
                decision = DECISION_ACCEPT
            if decision == "":
                report.undecided.append(
                    RowOutcome(
                        number, NO_DECISION, f"Wiersz {r}: faktura {number} nie ma decyzji klienta.", r
                    )
                )
                continue
            pending.append((r, number, decision, remark))
        workbook.close()  # read-only mode keeps the file open until closed

        for number in marker.order:
            if number not in seen:
                report.undecided.append(
                    RowOutcome(
                        number,
                        MISSING_ROW,
                        f"Faktury {number} nie ma w odesłanym pliku (usunięty wiersz); czeka na decyzję.",
                    )
                )

        to_save: list[StaffDecision] = []
        for r, number, decision, remark in pending:
            previous = decisions.get(number)
            if archive.get_invoice(nip, number) is None:
                report.conflicts.append(
                    RowOutcome(
                        number,
                        UNKNOWN,
                        f"Wiersz {r}: faktury {number} nie ma już w archiwum klienta {nip}.",
                        r,
                    )
                )
                continue
            booked = previous is not None and (
                previous.status == STATUS_BOOKED or previous.booked_on is not None
            )
            if booked and decision == DECISION_REJECT:
                report.conflicts.append(
                    RowOutcome(
                        number,
                        BOOKED,
                        f"Wiersz {r}: faktura {number} jest już zaksięgowana, a klient ją odrzuca; wyjaśnij to z klientem (może być potrzebna korekta).",
                        r,
                    )
                )
                continue
            status = (
                STATUS_BOOKED
                if booked
                else (STATUS_ACCEPTED if decision == DECISION_ACCEPT else STATUS_REJECTED)
            )
            new = StaffDecision(
                ksef_number=number,
                client_nip=nip,
                status=status,
                comment=previous.comment if previous else None,
                booked_on=previous.booked_on if previous else None,
                person=previous.person if previous else None,
                client_decision=decision,
                client_remark=remark or None,
                client_decided_on=day,
            )
            if previous is not None and (
                previous.status,
                previous.client_decision,
                previous.client_remark or None,
            ) == (new.status, new.client_decision, new.client_remark):
                report.unchanged.append(
                    RowOutcome(
                        number, UNCHANGED, f"Wiersz {r}: faktura {number} — ta sama decyzja co wcześniej.", r
                    )
                )
                continue
            if decision == DECISION_REJECT and not remark:
                report.warnings.append(
                    f"Wiersz {r}: klient odrzucił fakturę {number} bez podania przyczyny w kolumnie „{H_REMARK}”."
                )
            to_save.append(new)
            label = "zaakceptowana" if decision == DECISION_ACCEPT else "odrzucona"
            report.applied.append(
                RowOutcome(number, APPLIED, f"Wiersz {r}: faktura {number} {label} przez klienta.", r)
            )
        archive.save_decisions(to_save)
        archive.audit(
            "import-decyzji-klienta",
            nip,
            {
                "plik": path.name,
                "okres": period,
                "id": export_id,
                "zastosowano": len(report.applied),
                "konflikty": len(report.conflicts),
                "bez_decyzji": len(report.undecided),
            },
            len(report.applied),
        )
    if report.confirmed_whole is False and kind == "wszystkie":
        report.warnings.append(f"Klient nie potwierdził zestawienia za {period} jako całości.")
    if refresh_workbook and report.applied:
        report.workbook_messages.extend(_refresh_workbook(folder, nip))
    if any(o.code == APPLIED for o in report.applied):
        try:
            follow_up, count = write_follow_up_list(folder)
        except UserError as exc:  # e.g. the list is open in Excel; the decisions are saved anyway
            report.workbook_messages.append(str(exc))
        else:
            report.follow_up = follow_up
            report.follow_up_count = count
    with Archive.open(folder) as archive:
        report.ready_to_book = len(ready_to_book(archive, nip))
    return report


def _refresh_workbook(folder: OfficeFolder, nip: str) -> list[str]:
    """Let the invoice workbook show the decisions (the invoice-workbook part owns the refresh)."""
    try:
        from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
    except ModuleNotFoundError:
        return []
    try:
        refreshed = refresh_invoice_workbooks(folder, [nip])
    except UserError as exc:
        return [f"Skoroszyt faktur klienta {nip} nie został odświeżony: {exc}"]
    messages = list(getattr(refreshed, "problems", []))
    for item in getattr(refreshed, "workbooks", []):
        if getattr(item, "message", None):
            messages.append(str(item.message))
    return messages


# ----------------------------------------------------------------------------------------------
# What staff do next: accepted purchases are ready to book, rejected ones need following up

FOLLOW_UP_FILE = "do-wyjasnienia.xlsx"
FOLLOW_UP_HEADERS = (
    "NIP klienta",
    "Numer KSeF",
    "Numer faktury",
    "Data wystawienia",
    "NIP sprzedawcy",
    "Sprzedawca",
    "Brutto",
    "Waluta",
    "Uwagi klienta",
    "Data decyzji klienta",
    "Status",
    "Komentarz biura",
)


def ready_to_book(archive: Archive, client_nip: str) -> list[str]:
    """KSeF numbers of the client's purchases accepted by the client and not booked yet."""
    decisions = archive.decisions_for(client_nip)
    return [
        invoice.ksef_number
        for invoice in archive.list_invoices(client_nip, subject_type="Subject2")
        if (d := decisions.get(invoice.ksef_number)) is not None and d.status == STATUS_ACCEPTED
    ]


def write_follow_up_list(folder: OfficeFolder, client_nips: list[str] | None = None) -> tuple[Path, int]:
    """``do-wyjasnienia.xlsx`` in the office folder: every invoice a client rejected, for staff to chase.

    Rebuilt from the archive (the source of truth) over all clients with decisions, or ``client_nips``.
    """
    import xlsxwriter

    from ksef_sheets.files import atomic_path

    path = folder.root / FOLLOW_UP_FILE
    rows: list[tuple[Any, ...]] = []
    with Archive.open(folder) as archive:
        nips = client_nips or sorted({nip for nip, _ in archive.count_invoices()})
        for nip in nips:
            for number, decision in sorted(archive.decisions_for(nip).items()):
                if decision.status != STATUS_REJECTED:
                    continue
                invoice = archive.get_invoice(nip, number)
                rows.append(
                    (
                        nip,
                        number,
                        invoice.invoice_number if invoice else "",
                        invoice.issue_date if invoice else None,
                        invoice.seller_nip if invoice else "",
                        invoice.seller_name if invoice else "",
                        invoice.gross_amount if invoice else None,
                        invoice.currency if invoice else "",
                        decision.client_remark or "",
                        decision.client_decided_on,
                        decision.status or "",
                        decision.comment or "",
                    )
                )
    with atomic_path(path) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
        )
        ws = workbook.add_worksheet("Do wyjaśnienia")
        # Polish dates and separators on any machine (sheets.printing).
        f_date = workbook.add_format({"num_format": DATE_FORMAT})
        f_money = workbook.add_format({"num_format": MONEY_FORMAT})
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if isinstance(value, date):
                    ws.write_datetime(r, c, datetime(value.year, value.month, value.day), f_date)
                elif isinstance(value, Decimal):
                    ws.write_number(r, c, float(value), f_money)
                elif value is None:
                    ws.write_blank(r, c, None)
                else:
                    ws.write_string(r, c, clean_text(str(value)))
        ws.add_table(
            0,
            0,
            max(len(rows), 1),
            len(FOLLOW_UP_HEADERS) - 1,
            {"name": "DoWyjasnienia", "columns": [{"header": h} for h in FOLLOW_UP_HEADERS]},
        )
        for c, width in enumerate((12, 38, 18, 12, 13, 30, 12, 7, 40, 12, 13, 30)):
            ws.set_column(c, c, width)
        ws.freeze_panes(1, 2)
        workbook.close()
    return path, len(rows)


__all__ = [
    "ImportReport",
    "RowOutcome",
    "expectations_from_path",
    "import_decisions",
    "ready_to_book",
    "write_follow_up_list",
]
