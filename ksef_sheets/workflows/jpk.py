"""Use case: reconcile the accounting program's JPK_V7 files with the invoices fetched from KSeF,
and give the accounting program the month's KSeF numbers.

``check_jpk`` reads each file (a folder: every ``*.xml`` in it, one per client), finds the client by
the NIP in ``Podmiot1``, takes its invoices from the archive and reports every difference
(``ksef_sheets.jpk.reconcile``). ``ksef_numbers_csv`` writes what offices import to fill ``NrKSeF``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import FileLockedError, UserError, os_reason
from ksef_sheets.fa3 import InvoiceAmounts, read_amounts
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.identifiers import is_valid_nip, normalize_nip
from ksef_sheets.jpk import (
    KIND_LABELS,
    SIDE_LABELS,
    FailurePeriod,
    JpkFile,
    JpkRow,
    KsefInvoice,
    Reconciliation,
    check_size,
    read_jpk,
    reconcile,
)
from ksef_sheets.sheets import JPK_SHEET, JpkSheetRow, load_clients, write_jpk_sheet
from ksef_sheets.sync import Archive, ArchivedInvoice
from ksef_sheets.text import count
from ksef_sheets.workflows._periods import SUBJECT_SIDES, accepted_on, period_side
from ksef_sheets.workflows.register import update_jpk_results


@dataclass(frozen=True)
class JpkCheck:
    """One file's reconciliation, with the client it belongs to."""

    path: Path
    client_name: str
    result: Reconciliation

    def as_dict(self) -> dict[str, object]:
        return {"file": str(self.path), "name": self.client_name, **self.result.as_dict()}

    def summary(self) -> str:
        """One Polish line: the file, whose it is, the period and what was found (CLI and panel)."""
        result = self.result
        return (
            f"{self.path}: {self.client_name} (NIP {result.nip}), okres {result.period} — "
            f"{count(result.rows, 'wiersz', 'wiersze', 'wierszy')}, "
            f"{count(result.matched, 'zgodny numer', 'zgodne numery', 'zgodnych numerów')} KSeF, "
            f"{count(len(result.findings), 'ustalenie', 'ustalenia', 'ustaleń')}."
        )


def jpk_files(paths: Sequence[Path]) -> list[Path]:
    """The files to check: each file given, and every ``*.xml`` of each folder given (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml" and p.is_file())
            if not found:
                raise UserError(f"W folderze {path} nie ma plików JPK (*.xml).")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise UserError(f"Plik {path} nie istnieje.")
    return files


def client_jpk_files(folder: OfficeFolder, nip: str, month: str | None = None) -> list[Path]:
    """The client's JPK file to check when staff name only the client (the Excel panel): the newest
    ``*.xml`` in ``klienci/<NIP>/jpk/``, or with ``month`` (RRRR-MM) the newest whose name has it."""
    wanted = normalize_nip(nip)
    if not is_valid_nip(wanted):
        raise UserError(f"„{nip}” nie jest poprawnym NIP-em klienta.")
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month.strip()):
        raise UserError(f"Miesiąc „{month}” — podaj go jako RRRR-MM, np. 2026-03.")
    where = folder.client_dir(wanted) / "jpk"
    try:
        found = (
            [p for p in where.iterdir() if p.suffix.lower() == ".xml" and p.is_file()]
            if where.is_dir()
            else []
        )
        newest_first = sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
    except OSError as exc:
        raise UserError(f"Nie można odczytać folderu {where}: {os_reason(exc)}.") from None
    if month is not None:
        newest_first = [p for p in newest_first if month.strip() in p.name]
    if not newest_first:
        which = f"za {month.strip()} (z „{month.strip()}” w nazwie)" if month else "(*.xml)"
        raise UserError(
            f"W folderze {where} nie ma pliku JPK {which}. Zapisz tam plik JPK_V7 z programu księgowego "
            "albo podaj ścieżkę do niego."
        )
    return newest_first[:1]


def _read(path: Path) -> bytes:
    try:
        check_size(path.stat().st_size, str(path))
        return path.read_bytes()
    except OSError as exc:
        raise UserError(f"Nie można odczytać pliku {path}: {os_reason(exc)}.") from None


def failure_periods(folder: OfficeFolder) -> list[FailurePeriod]:
    """KSeF failures the office recorded in ``ksef-sheets.toml`` (``ksef_failures``)."""
    periods: list[FailurePeriod] = []
    for index, item in enumerate(folder.load_config().ksef_failures, start=1):
        try:
            start = date.fromisoformat(item["od"])
            end = date.fromisoformat(item["do"]) if item.get("do") else None
        except (KeyError, ValueError):
            raise UserError(
                f"W pliku {folder.config_path} awaria KSeF nr {index} (ksef_failures) nie ma poprawnej daty "
                "„od” (RRRR-MM-DD) albo „do”."
            ) from None
        periods.append(FailurePeriod(start, end))
    return periods


def pln_buckets(invoice: InvoiceAmounts) -> dict[str, tuple[Decimal, Decimal]]:
    """Net and VAT per summary bucket in PLN (JPK amounts are in PLN).

    A foreign-currency invoice gives its VAT in PLN (P_14_xW); its net is converted at the invoice's
    rate, or — when the lines have different rates — at the bucket's own rate (VAT in PLN over VAT),
    else at the lines' net-weighted rate.
    """
    cent = Decimal("0.01")
    out: dict[str, tuple[Decimal, Decimal]] = {}
    foreign = (invoice.currency or "PLN").upper() != "PLN"
    rate = invoice.exchange_rate
    if foreign and rate is None:
        weights = [(net, line_rate) for net, line_rate in invoice.line_rates if net]
        total = sum((n for n, _ in weights), Decimal(0))
        rate = sum((n * r for n, r in weights), Decimal(0)) / total if total else None
    for bucket in invoice.buckets:
        net = bucket.net or Decimal(0)
        vat = bucket.vat or Decimal(0)
        if not foreign:
            out[bucket.key] = (net, vat)
            continue
        vat_pln = bucket.vat_pln if bucket.vat_pln is not None else (vat * rate if rate else vat)
        own_rate = (bucket.vat_pln / vat) if bucket.vat_pln is not None and vat else rate
        net_pln = net * own_rate if own_rate else net
        out[bucket.key] = (net_pln.quantize(cent), vat_pln.quantize(cent))
    return out


def _summary(entry: ArchivedInvoice, side: str, client_nip: str) -> KsefInvoice:
    counterparty = entry.buyer_identifier if side == "sale" else entry.seller_nip
    return KsefInvoice(
        side=side,  # type: ignore[arg-type]
        ksef_number=entry.ksef_number,
        number=entry.invoice_number,
        counterparty_nip=counterparty,
        issue_date=entry.issue_date,
        accepted_on=accepted_on(entry.ksef_number),
    )


def ksef_invoices(archive: Archive, client_nip: str, jpk: JpkFile) -> list[KsefInvoice]:
    """The client's invoices in KSeF, with amounts for those the reconciliation compares or lists."""
    period = (jpk.year, jpk.month)
    named = {row.ksef_number for row in (*jpk.sales, *jpk.purchases) if row.ksef_number}
    documents = {
        (row.side, (row.document_number or "").replace(" ", "").casefold(), row.issue_date)
        for row in (*jpk.sales, *jpk.purchases)
        if row.marker
    }
    out: list[KsefInvoice] = []
    for entry in archive.list_invoices(client_nip):
        side = SUBJECT_SIDES.get(entry.subject_type)
        if side is None:
            continue
        summary = _summary(entry, side, client_nip)
        placed = period_side(entry)
        in_period = placed is not None and placed[1] == period
        marked = (side, (summary.number or "").replace(" ", "").casefold(), summary.issue_date) in documents
        if entry.ksef_number in named or in_period or marked:
            invoice = read_amounts(archive.read_entry_xml(entry), source=str(entry.xml_path))
            summary = KsefInvoice(**{**summary.__dict__, "buckets": pln_buckets(invoice)})
        out.append(summary)
    return out


def check_jpk(folder: OfficeFolder, paths: Sequence[Path], *, client: str | None = None) -> list[JpkCheck]:
    """Reconcile each JPK file with the archive of the client it belongs to."""
    files = jpk_files(paths)
    wanted = normalize_nip(client) if client else None
    if wanted is not None and not is_valid_nip(wanted):
        raise UserError(f"„{client}” nie jest poprawnym NIP-em klienta.")
    clients = {c.nip: c for c in load_clients(folder)}
    failures = failure_periods(folder)
    parsed: list[tuple[Path, JpkFile]] = []
    for path in files:
        jpk = read_jpk(_read(path), source=str(path))
        if wanted is not None and jpk.nip != wanted:
            raise UserError(
                f"Plik {path} jest JPK podmiotu o NIP {jpk.nip}, a nie klienta {wanted} (--client)."
            )
        if jpk.nip not in clients:
            raise UserError(
                f"Plik {path} jest JPK podmiotu o NIP {jpk.nip}, którego nie ma w rejestrze klientów biura "
                "(arkusz Klienci w biuro.xlsx)."
            )
        parsed.append((path, jpk))
    results: list[JpkCheck] = []
    with Archive.open(folder) as archive:
        for path, jpk in parsed:
            invoices = ksef_invoices(archive, jpk.nip, jpk)
            result = reconcile(jpk, invoices, failures=failures)
            results.append(JpkCheck(path, clients[jpk.nip].name, result))
            archive.audit(
                "jpk_check",
                context_nip=jpk.nip,
                details=f"{jpk.period}: {len(result.findings)} ustaleń",
                count=result.rows,
            )
    return results


def record_jpk_results(folder: OfficeFolder, checks: Sequence[JpkCheck]) -> list[str]:
    """Where staff see the results: the *Uzgodnienie JPK* sheet of each client's invoice workbook
    (one row per finding, their Status kept) and the register's columns Uzgodnienie JPK / Ustalenia
    JPK (Pulpit counts the clients with findings). Returns warnings for files open in Excel."""
    warnings: list[str] = []
    latest: dict[str, tuple[str, int]] = {}
    for check in checks:
        result = check.result
        latest[result.nip] = (result.period, len(result.findings))
        rows = [
            JpkSheetRow(
                period=result.period,
                register=SIDE_LABELS[f.side],
                row=f.row,
                kind=KIND_LABELS[f.kind],
                ksef_number=f.ksef_number,
                counterparty_nip=f.counterparty_nip,
                document=f.document_number,
                jpk_net=f.jpk_net,
                jpk_vat=f.jpk_vat,
                ksef_net=f.ksef_net,
                ksef_vat=f.ksef_vat,
                message=f.message,
            )
            for f in result.findings
        ]
        path = folder.invoice_workbook(result.nip, int(result.period[:4]))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_jpk_sheet(path, result.period, rows)
        except FileLockedError as exc:
            warnings.append(f"{exc.message} Arkusz {JPK_SHEET} nie został odświeżony.")
    try:
        update_jpk_results(folder, latest)
    except FileLockedError as exc:
        warnings.append(
            f"{exc.message} Wyniki uzgodnienia nie trafiły do rejestru (kolumny Uzgodnienie JPK, Ustalenia JPK)."
        )
    return warnings


NUMBERS_HEADER = (
    "Rodzaj",
    "Numer KSeF",
    "Numer faktury",
    "NIP kontrahenta",
    "Nazwa kontrahenta",
    "Data wystawienia",
    "Data przyjęcia w KSeF",
    "Netto",
    "VAT",
    "Brutto",
    "Waluta",
)


def _csv_amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def ksef_numbers_csv(
    folder: OfficeFolder, client: str, year: int, month: int, target: Path | None = None
) -> tuple[Path, int]:
    """Write the month's invoices with their KSeF numbers as CSV (UTF-8 with BOM, ';', decimal comma).

    Sales by issue date (P_1), purchases by the day KSeF accepted them (their receipt, art. 106na ust. 3).
    Returns the file and the number of invoices in it.
    """
    nip = normalize_nip(client)
    if not is_valid_nip(nip):
        raise UserError(f"„{client}” nie jest poprawnym NIP-em klienta.")
    if not any(c.nip == nip for c in load_clients(folder)):
        raise UserError(f"Klienta o NIP {nip} nie ma w rejestrze biura (arkusz Klienci w biuro.xlsx).")
    rows: list[list[str]] = []
    with Archive.open(folder) as archive:
        entries: Iterable[ArchivedInvoice] = archive.list_invoices(nip)
        for entry in entries:
            placed = period_side(entry)
            if placed is None or placed[1] != (year, month):
                continue
            side = placed[0]
            rows.append(
                [
                    "sprzedaż" if side == "sale" else "zakup",
                    entry.ksef_number,
                    entry.invoice_number or "",
                    (entry.buyer_identifier if side == "sale" else entry.seller_nip) or "",
                    (entry.buyer_name if side == "sale" else entry.seller_name) or "",
                    _iso(entry.issue_date),
                    _iso(accepted_on(entry.ksef_number)),
                    _csv_amount(entry.net_amount),
                    _csv_amount(entry.vat_amount),
                    _csv_amount(entry.gross_amount),
                    entry.currency or "",
                ]
            )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(NUMBERS_HEADER)
    for row in rows:
        # Third-party text must not become a formula in the accounting program's import or in Excel.
        writer.writerow(
            [f"'{v}" if v[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_amount(v) else v for v in row]
        )
    path = target or folder.exports_dir(nip) / f"numery-ksef-{year:04d}-{month:02d}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return path, len(rows)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _is_amount(text: str) -> bool:
    return text.replace(",", "", 1).lstrip("-").isdigit()


# FA(3) bucket -> the JPK sales row's (net field, VAT field); buckets without a field are left out.
_SALE_FIELDS: dict[str, tuple[str, str | None]] = {
    "1": ("K_19", "K_20"),
    "2": ("K_17", "K_18"),
    "3": ("K_15", "K_16"),
    "6_1": ("K_13", None),
    "6_2": ("K_21", None),
    "6_3": ("K_22", None),
    "7": ("K_10", None),
    "8": ("K_11", None),
    "9": ("K_11", None),
}


def evidence_from_archive(
    folder: OfficeFolder, client: str, year: int, month: int
) -> tuple[list[JpkRow], list[JpkRow]]:
    """The VAT records an accounting program would keep for the month, made from the archive.

    Sales by issue date, purchases by the day KSeF delivered them (deductible buckets into K_42/K_43).
    What the demo and the tests reconcile; an office's real JPK comes from its accounting program.
    """
    nip = normalize_nip(client)
    sales: list[JpkRow] = []
    purchases: list[JpkRow] = []
    with Archive.open(folder) as archive:
        for entry in archive.list_invoices(nip):
            placed = period_side(entry)
            if placed is None or placed[1] != (year, month):
                continue
            side = placed[0]
            buckets = pln_buckets(read_amounts(archive.read_entry_xml(entry), source=str(entry.xml_path)))
            amounts: dict[str, Decimal] = {}
            if side == "sale":
                for key, (net, vat) in buckets.items():
                    if key in _SALE_FIELDS:
                        net_field, vat_field = _SALE_FIELDS[key]
                        amounts[net_field] = amounts.get(net_field, Decimal(0)) + net
                        if vat_field:
                            amounts[vat_field] = amounts.get(vat_field, Decimal(0)) + vat
                rows, counterparty, name = sales, entry.buyer_identifier, entry.buyer_name
            else:
                deductible = [buckets[k] for k in ("1", "2", "3", "4") if k in buckets]
                amounts = {
                    "K_42": sum((n for n, _ in deductible), Decimal(0)),
                    "K_43": sum((v for _, v in deductible), Decimal(0)),
                }
                rows, counterparty, name = purchases, entry.seller_nip, entry.seller_name
            rows.append(
                JpkRow(
                    side=side,  # type: ignore[arg-type]
                    lp=len(rows) + 1,
                    counterparty_nip=counterparty or "brak",
                    counterparty_country=None,
                    counterparty_name=name or "brak",
                    document_number=entry.invoice_number or entry.ksef_number,
                    issue_date=entry.issue_date,
                    other_date=accepted_on(entry.ksef_number) if side == "purchase" else None,
                    ksef_number=entry.ksef_number,
                    marker=None,
                    document_type=None,
                    amounts=amounts,
                )
            )
    return sales, purchases
