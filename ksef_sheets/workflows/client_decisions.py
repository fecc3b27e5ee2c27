"""Applying a client's answers: decisions from a returned invoice list into the archive, conflicts reported.

``import_decisions(folder, path)`` checks that the file is an export of this office (the HMAC in
its very hidden ``_kontrola`` sheet, ``sheets.client_import``), for the expected client and period,
then reads sheet ``Faktury`` by header name and matches rows by KSeF number — whatever order the
client sorted them in. Each row gets one outcome:

- applied: Akceptuję → status Zaakceptowana, Odrzucam → Odrzucona, with the client's remark and
  the date of the import;
- no decision (empty cell, or the row was deleted) — the invoice keeps waiting;
- conflict: the row's invoice data differ from what was exported (changed data), its KSeF number
  was not in the export (an added row), it appears twice, its decision is not one of the two
  choices, or the invoice is already booked and the client rejects it now.

Conflicts are reported and never applied; everything else is applied in one transaction. Then the
client's invoice workbook is refreshed so staff see the decisions, and the office's list of
rejected invoices (``do-wyjasnienia.xlsx``) is rebuilt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.sheets import (
    DECISION_ACCEPT,
    DECISION_REJECT,
    REMARK_HEADER,
    ClientReply,
    decision_of,
    describe_changes,
    open_client_reply,
    parse_month,
    write_follow_up_workbook,
)
from ksef_sheets.sync import Archive, StaffDecision
from ksef_sheets.text import count, warsaw_today
from ksef_sheets.workflows.client_export import export_key, row_from_archive

STATUS_ACCEPTED = "Zaakceptowana"
STATUS_REJECTED = "Odrzucona"
STATUS_BOOKED = "Zaksięgowana"
FOLLOW_UP_FILE = "do-wyjasnienia.xlsx"

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
            f"Klient {self.client_nip}, okres {self.period}: zastosowano "
            f"{count(len(self.applied), 'decyzję', 'decyzje', 'decyzji')}, "
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
    reply = open_client_reply(path, key)
    try:
        return _apply(folder, reply, expect_nip, expect_month, today, refresh_workbook)
    finally:
        reply.close()


def _apply(
    folder: OfficeFolder,
    reply: ClientReply,
    expect_nip: str | None,
    expect_month: str | None,
    today: date | None,
    refresh_workbook: bool,
) -> ImportReport:
    path = reply.path
    nip, period, kind, export_id = reply.nip, reply.period, reply.kind, reply.export_id
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

    report = ImportReport(path, nip, period, kind, export_id, confirmed_whole=reply.read_list_header())
    day = today or warsaw_today()
    seen: dict[str, int] = {}
    pending: list[tuple[int, str, str, str]] = []  # (row, ksef, decision, remark)

    with Archive.open(folder) as archive:
        decisions = archive.decisions_for(nip)
        for item in reply.rows():
            r, number, decision_text, remark = item.row, item.ksef_number, item.decision_text, item.remark
            if number not in reply.row_macs:
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
            if not reply.untouched(item):
                observed = item.observed
                archived = archive.get_invoice(nip, number)
                detail = (
                    describe_changes(row_from_archive(archive, archived, observed.side), observed)
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
            decision = decision_of(decision_text)
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
        reply.close()  # the file is read; the decisions are written below

        for number in reply.order:
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
                    f"Wiersz {r}: klient odrzucił fakturę {number} bez podania przyczyny w kolumnie „{REMARK_HEADER}”."
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
    from ksef_sheets.sheets import refresh_invoice_workbooks

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
    write_follow_up_workbook(path, rows)
    return path, len(rows)
