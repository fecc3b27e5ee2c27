"""``ksef-sheets invoice show|validate``: read and check FA(3) invoice files.

``show`` prints an invoice as a person reads it (or, with ``--json``, one object per file: a JSON
object for one file, a list for several). ``validate`` lists every XSD and business problem with its
element and line, and exits 1 when any file has an error. Invoice text comes from third parties: it
is printed as plain text (never as rich markup) with control characters removed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ksef_sheets.cli import app
from ksef_sheets.cli._common import JsonOption, console, print_json
from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import MAX_SIZE_WITH_ATTACHMENTS, Invoice, ValidationReport
from ksef_sheets.fa3.model import Entity
from ksef_sheets.fa3.safe_xml import format_mb, parse_xml, require_invoice_root
from ksef_sheets.fa3.validate import read_and_validate, validate_parsed

invoice_app = typer.Typer(
    help="Faktury FA(3): podgląd i sprawdzanie plików XML (schemat XSD i reguły księgowe).",
    no_args_is_help=True,
)
app.add_typer(invoice_app, name="invoice")

FilesArgument = Annotated[
    list[Path], typer.Argument(help="Pliki XML faktur FA(3).", show_default=False, metavar="PLIK")
]

_KINDS = {
    "VAT": "Faktura VAT",
    "KOR": "Faktura korygująca",
    "ZAL": "Faktura zaliczkowa",
    "ROZ": "Faktura rozliczeniowa",
    "UPR": "Faktura uproszczona",
    "KOR_ZAL": "Korekta faktury zaliczkowej",
    "KOR_ROZ": "Korekta faktury rozliczeniowej",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def read_invoice_file(path: Path) -> bytes:
    """The bytes of an invoice file, refusing what is missing, a folder, unreadable or too large."""
    if not path.exists():
        raise UserError(f"Plik {path} nie istnieje.")
    if path.is_dir():
        raise UserError(f"{path} jest folderem, a nie plikiem faktury XML.")
    try:
        size = path.stat().st_size
        if size > MAX_SIZE_WITH_ATTACHMENTS:
            raise UserError(
                f"Plik {path} ma {format_mb(size)} MB, a KSeF przyjmuje fakturę do 1 MB "
                "(3 MB z załącznikami); plik odrzucono bez wczytywania."
            )
        with path.open("rb") as fh:
            return fh.read(MAX_SIZE_WITH_ATTACHMENTS + 1)
    except PermissionError:
        raise UserError(f"Brak uprawnień do odczytu pliku {path}.") from None
    except OSError as exc:
        raise UserError(f"Nie można odczytać pliku {path}: {exc.strerror or exc}.") from None


def _load(path: Path) -> tuple[Invoice, ValidationReport]:
    return read_and_validate(read_invoice_file(path), source=str(path))


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def invoice_summary(path: Path, invoice: Invoice, report: ValidationReport) -> dict[str, Any]:
    """The ``show --json`` object (documented in docs/invoice.md)."""
    return {
        "file": str(path),
        "type": invoice.kind,
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "number": invoice.number,
        "seller_nip": invoice.seller.nip,
        "seller_name": invoice.seller.name,
        "buyer_nip": invoice.buyer.nip,
        "buyer_id": invoice.buyer.identifier,
        "buyer_id_type": invoice.buyer.identifier_type,
        "buyer_name": invoice.buyer.name,
        "currency": invoice.currency,
        "total": invoice.total_text,
        "net_total": _money(invoice.net_total),
        "vat_total": _money(invoice.vat_total),
        "split_payment": invoice.split_payment,
        "corrected": [
            {
                "number": c.number,
                "issue_date": c.issue_date.isoformat() if c.issue_date else None,
                "ksef_number": c.ksef_number,
            }
            for c in (invoice.correction.corrected if invoice.correction else ())
        ],
        "lines": len(invoice.lines),
        "errors": [p.as_dict() for p in report.errors],
        "warnings": [p.as_dict() for p in report.warnings],
    }


def _t(value: object) -> Text:
    """Third-party text for the terminal: literal (no rich markup), without control characters."""
    if value is None:
        return Text("—", style="dim")
    return Text(_CONTROL.sub(" ", str(value)))


def _amount(value: Decimal | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    text = f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return Text(text, justify="right")


def _party_text(label: str, entity: Entity) -> Text:
    out = Text(f"{label}\n", style="bold")
    out.append_text(_t(entity.name))
    out.append("\n")
    if entity.nip:
        out.append("NIP: ")
        out.append_text(_t(entity.nip))
    elif entity.identifier:
        out.append("Identyfikator: ")
        out.append_text(_t(entity.identifier))
    else:
        out.append("bez identyfikatora podatkowego", style="dim")
    if entity.address:
        out.append("\n")
        out.append_text(_t(entity.address.text()))
    return out


def _render(path: Path, inv: Invoice, report: ValidationReport) -> Group:
    kind = _KINDS.get(inv.kind or "", inv.kind or "Faktura")
    title = Text(f"{kind} ", style="bold")
    title.append_text(_t(inv.number))
    title.append(f"  ({path.name})", style="dim")
    head = Table.grid(padding=(0, 4))
    head.add_row(_party_text("Sprzedawca", inv.seller), _party_text("Nabywca", inv.buyer))
    facts = Table.grid(padding=(0, 2))
    facts.add_row("Data wystawienia:", _t(inv.issue_date))
    if inv.sale_date or inv.period_from:
        period = f"{inv.period_from} – {inv.period_to}" if inv.period_from else inv.sale_date
        facts.add_row("Data sprzedaży:", _t(period))
    facts.add_row("Waluta:", _t(inv.currency))
    if inv.currency not in (None, "PLN"):
        facts.add_row("Kurs:", _t(inv.exchange_rate or "różny dla pozycji"))
    if inv.correction:
        corrected = ", ".join(
            f"{c.number} z {c.issue_date}" + (f" (KSeF {c.ksef_number})" if c.ksef_number else "")
            for c in inv.correction.corrected
        )
        facts.add_row("Korygowana faktura:", _t(corrected))
        facts.add_row("Typ korekty:", _t(inv.correction.type))
        facts.add_row("Przyczyna:", _t(inv.correction.reason))
    for tp in inv.third_parties:
        facts.add_row(
            f"Podmiot trzeci ({tp.role_label}):",
            _t(f"{tp.entity.name or ''} {tp.entity.identifier or ''}".strip()),
        )
    marks = [
        label
        for flag, label in (
            (inv.annotations.split_payment, "mechanizm podzielonej płatności"),
            (inv.annotations.reverse_charge, "odwrotne obciążenie"),
            (inv.annotations.cash_method, "metoda kasowa"),
            (inv.annotations.self_billing, "samofakturowanie"),
            (inv.annotations.margin, "procedura marży"),
        )
        if flag
    ]
    if marks:
        facts.add_row("Adnotacje:", Text(", ".join(marks)))

    lines = Table(title="Pozycje", show_lines=False, expand=False)
    for col, justify in (
        ("Lp.", "right"),
        ("Nazwa", "left"),
        ("Ilość", "right"),
        ("J.m.", "left"),
        ("Cena netto", "right"),
        ("Wartość netto", "right"),
        ("Stawka", "right"),
    ):
        lines.add_column(col, justify=justify)  # type: ignore[arg-type]
    for ln in inv.lines:
        name = _t(ln.name)
        if ln.before_correction:
            name.append(" (stan przed korektą)", style="dim")
        lines.add_row(
            _t(ln.number),
            name,
            _t(ln.quantity),
            _t(ln.unit),
            _amount(ln.unit_net_price),
            _amount(ln.net),
            _t(ln.rate),
        )
    for ln in inv.order_lines:
        lines.add_row(
            _t(ln.number),
            _t(ln.name).append(" (zamówienie)", style="dim"),
            _t(ln.quantity),
            _t(ln.unit),
            _amount(ln.unit_net_price),
            _amount(ln.net),
            _t(ln.rate),
        )

    vat = Table(title="Podsumowanie według stawek")
    vat.add_column("Stawka")
    vat.add_column(f"Netto {inv.currency or ''}", justify="right")
    vat.add_column(f"VAT {inv.currency or ''}", justify="right")
    if inv.currency not in (None, "PLN"):
        vat.add_column("VAT PLN", justify="right")
    for b in inv.buckets:
        row = [Text(b.label), _amount(b.net), _amount(b.vat)]
        if inv.currency not in (None, "PLN"):
            row.append(_amount(b.vat_pln))
        vat.add_row(*row)
    total = Text("Razem netto: ", style="bold")
    total.append_text(_amount(inv.net_total))
    total.append("   VAT: ", style="bold")
    total.append_text(_amount(inv.vat_total))
    total.append("   Należność ogółem (P_15): ", style="bold")
    total.append_text(_t(inv.total_text))
    total.append(f" {inv.currency or ''}")

    parts: list[Any] = [title, head, facts, lines, vat, total]
    pay = inv.payment
    if pay:
        p = Text("Płatność: ", style="bold")
        bits = []
        if pay.method_label:
            bits.append(pay.method_label)
        if pay.due_dates:
            bits.append("termin " + ", ".join(d.isoformat() for d in pay.due_dates))
        if pay.paid:
            bits.append(f"zapłacono {pay.paid_on or ''}".strip())
        for acc in pay.accounts:
            bits.append(f"rachunek {acc.number}" + (f" ({acc.bank_name})" if acc.bank_name else ""))
        p.append_text(_t("; ".join(bits) or "—"))
        parts.append(p)
    parts.append(_problems_text(report))
    return Group(*parts)


def _problems_text(report: ValidationReport) -> Text:
    if not report.problems:
        return Text("Faktura poprawna: zgodna ze schematem FA(3) i regułami księgowymi.", style="green")
    out = Text()
    for p in report.problems:
        style = "red" if p.severity == "error" else "yellow"
        out.append("błąd" if p.severity == "error" else "ostrzeżenie", style=f"bold {style}")
        out.append(f" {p.code} ")
        out.append_text(_t(p.describe()))
        out.append("\n")
    out.rstrip()
    return out


@invoice_app.command("show")
def show(files: FilesArgument, as_json: JsonOption = False) -> None:
    """Pokaż fakturę FA(3) tak, jak czyta ją człowiek (albo jako JSON: --json)."""
    for path in files:  # one clear sentence for a missing file before any output
        if not path.exists() or path.is_dir():
            read_invoice_file(path)
    loaded = [(path, *_load(path)) for path in files]
    if as_json:
        objects = [invoice_summary(path, inv, report) for path, inv, report in loaded]
        print_json(objects[0] if len(objects) == 1 else objects)
        return
    for path, inv, report in loaded:
        console.print(Panel(_render(path, inv, report), expand=False))


@invoice_app.command("validate")
def validate(files: FilesArgument, as_json: JsonOption = False) -> None:
    """Sprawdź faktury FA(3): schemat XSD i reguły księgowe; kod wyjścia 1, gdy jest błąd."""
    for path in files:
        if not path.exists() or path.is_dir():
            read_invoice_file(path)
    results: list[dict[str, Any]] = []
    failed = False
    for path in files:
        try:
            data = read_invoice_file(path)
            tree = parse_xml(data, source=str(path))
            require_invoice_root(tree, str(path))
            report = validate_parsed(tree, str(path))
            errors = [p.as_dict() for p in report.errors]
            warnings = [p.as_dict() for p in report.warnings]
        except UserError as exc:
            errors = [{"code": "FILE", "severity": "error", "message": exc.message, "path": "", "line": None}]
            warnings = []
            report = None
        failed = failed or bool(errors)
        results.append({"file": str(path), "ok": not errors, "errors": errors, "warnings": warnings})
        if as_json:
            continue
        status = Text("✓ " if not errors else "✗ ", style="green" if not errors else "red")
        status.append_text(_t(path))
        status.append(f" — błędy: {len(errors)}, ostrzeżenia: {len(warnings)}")
        console.print(status, soft_wrap=True)
        if report is not None:
            if report.problems:
                console.print(_problems_text(report), soft_wrap=True)
        else:
            console.print(_t(errors[0]["message"]), style="red", soft_wrap=True)
    if as_json:
        print_json(results[0] if len(results) == 1 else results)
    if failed:
        raise typer.Exit(1)
