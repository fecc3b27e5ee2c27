"""``ksef-sheets invoice show|validate``: read and check FA(3) invoice files.

``show`` prints an invoice as a person reads it (or, with ``--json``, one object per file: a JSON
object for one file, a list for several). ``validate`` lists every XSD and business problem with its
element and line, and exits 1 when any file has an error. Invoice text comes from third parties: it
is printed as plain text (never as rich markup) with control characters removed.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ksef_sheets.cli import app
from ksef_sheets.cli._common import DirOption, JsonOption, console, print_json
from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.fa3 import (
    MAX_SIZE_WITH_ATTACHMENTS,
    Entity,
    Invoice,
    Line,
    ValidationReport,
    format_mb,
    parse_xml,
    read_and_validate,
    require_invoice_root,
    validate_parsed,
)
from ksef_sheets.ksef import kod_i_url, qr_base_for
from ksef_sheets.text import format_amount, format_date, format_number

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
ENVIRONMENTS = ("emulator", "test", "demo", "prod")

EnvironmentOption = Annotated[
    str | None,
    typer.Option(
        "--environment",
        help="Środowisko KSeF dla kodu QR (KOD I): emulator, test, demo albo prod "
        "(domyślnie to z konfiguracji biura, a bez biura: prod).",
        show_default=False,
    ),
]


def qr_environment(environment: str | None, directory: Path | None) -> str:
    """The environment whose QR base KOD I links use: the option, else the office's, else production."""
    if environment is not None:
        if environment not in ENVIRONMENTS:
            raise UserError(
                f"Nieznane środowisko KSeF „{environment}” — dozwolone: emulator, test, demo, prod."
            )
        return environment
    folder = OfficeFolder.resolve(directory)
    return folder.load_config().environment if folder.exists() else "prod"


def kod_i_of(path: Path, invoice: Invoice, environment: str) -> str | None:
    """The KOD I link of an invoice file (None when it has no seller NIP or issue date)."""
    if not invoice.seller.nip or invoice.issue_date is None:
        return None
    return kod_i_url(
        read_invoice_file(path),
        seller_nip=invoice.seller.nip,
        issue_date=invoice.issue_date,
        qr_base=qr_base_for(environment),
    )


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
        raise UserError(f"Nie można odczytać pliku {path}: {os_reason(exc)}.") from None


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
    """A number in a table column (the column header names the currency): "1 626,01"."""
    if value is None:
        return Text("—", style="dim")
    return Text(format_number(value), justify="right")


def _money_text(value: Decimal | None, currency: str | None) -> Text:
    """An amount with its currency, as everywhere else: "12 670,59 zł", "100,00 EUR"."""
    if value is None:
        return Text("—", style="dim")
    return Text(format_amount(value, currency or "PLN"))


def _date_text(value: date | None) -> Text:
    return Text("—", style="dim") if value is None else Text(format_date(value))


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


# Below this many columns the line items are listed one per paragraph instead of as a table,
# whose seven columns would otherwise be squeezed into "C…" stubs.
_WIDE = 90


def _line_cells(ln: Line, suffix: str) -> list[Text]:
    name = _t(ln.name)
    if ln.before_correction:
        name.append(" (stan przed korektą)", style="dim")
    if suffix:
        name.append(suffix, style="dim")
    return [
        _t(ln.number),
        name,
        _t(ln.quantity),
        _t(ln.unit),
        _amount(ln.unit_net_price),
        _amount(ln.net),
        _t(ln.rate),
    ]


def _lines_table(items: list[tuple[Line, str]]) -> Table:
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
        lines.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for ln, suffix in items:
        lines.add_row(*_line_cells(ln, suffix))
    return lines


def _facts(rows: list[tuple[str, Text]]) -> Padding:
    """Label: value lines, indented; a value (an amount) stays whole on its line."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column()
    grid.add_column(no_wrap=True, overflow="fold")
    for label, value in rows:
        grid.add_row(Text(label), value)
    return Padding(grid, (0, 0, 0, 3))


def _lines_list(items: list[tuple[Line, str]], currency: str) -> Group:
    """Line items for a narrow terminal: the name, then one fact per line."""
    parts: list[Any] = [Text("Pozycje", style="bold")]
    for ln, suffix in items:
        number, name, quantity, unit, *_ = _line_cells(ln, suffix)
        parts.append(number.append(". ").append_text(name))
        rate = f"{ln.rate}%" if ln.rate and ln.rate.isdigit() else ln.rate
        parts.append(
            _facts(
                [
                    ("ilość:", quantity.append(" ").append_text(unit)),
                    ("cena netto:", _money_text(ln.unit_net_price, currency)),
                    ("wartość netto:", _money_text(ln.net, currency)),
                    ("stawka:", _t(rate)),
                ]
            )
        )
    return Group(*parts)


def _rates_table(inv: Invoice, currency: str) -> Table:
    vat = Table(title="Podsumowanie według stawek")
    vat.add_column("Stawka", overflow="fold")
    vat.add_column(f"Netto {currency}", justify="right", overflow="fold")
    vat.add_column(f"VAT {currency}", justify="right", overflow="fold")
    if currency != "PLN":
        vat.add_column("VAT PLN", justify="right", overflow="fold")
    for b in inv.buckets:
        row = [Text(b.label), _amount(b.net), _amount(b.vat)]
        if currency != "PLN":
            row.append(_amount(b.vat_pln))
        vat.add_row(*row)
    return vat


def _rates_list(inv: Invoice, currency: str) -> Group:
    parts: list[Any] = [Text("Podsumowanie według stawek", style="bold")]
    for b in inv.buckets:
        parts.append(Text(b.label))
        facts = [("netto:", _money_text(b.net, currency)), ("VAT:", _money_text(b.vat, currency))]
        if currency != "PLN":
            facts.append(("VAT w PLN:", _money_text(b.vat_pln, "PLN")))
        parts.append(_facts(facts))
    return Group(*parts)


def _render(path: Path, inv: Invoice, report: ValidationReport, width: int = 120) -> Group:
    kind = _KINDS.get(inv.kind or "", inv.kind or "Faktura")
    title = Text(f"{kind} ", style="bold")
    title.append_text(_t(inv.number))
    title.append(f"  ({path.name})", style="dim")
    head = Table.grid(padding=(0, 4))
    head.add_row(_party_text("Sprzedawca", inv.seller), _party_text("Nabywca", inv.buyer))
    facts = Table.grid(padding=(0, 2))
    facts.add_row("Data wystawienia:", _date_text(inv.issue_date))
    if inv.period_from:
        period = _date_text(inv.period_from).append(" – ").append_text(_date_text(inv.period_to))
        facts.add_row("Okres sprzedaży:", period)
    elif inv.sale_date:
        facts.add_row("Data sprzedaży:", _date_text(inv.sale_date))
    facts.add_row("Waluta:", _t(inv.currency))
    if inv.currency not in (None, "PLN"):
        facts.add_row("Kurs:", _t(inv.exchange_rate or "różny dla pozycji"))
    if inv.correction:
        corrected = ", ".join(
            f"{c.number} z {format_date(c.issue_date) if c.issue_date else '—'}"
            + (f" (KSeF {c.ksef_number})" if c.ksef_number else "")
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

    currency = inv.currency or "PLN"
    items = [(ln, "") for ln in inv.lines] + [(ln, " (zamówienie)") for ln in inv.order_lines]
    lines = _lines_table(items) if width >= _WIDE else _lines_list(items, currency)

    vat = _rates_table(inv, currency) if width >= _WIDE else _rates_list(inv, currency)
    # One fact per line: a long amount wraps between facts, never inside one.
    total = Table.grid(padding=(0, 2))
    total.add_column()
    total.add_column(no_wrap=True, overflow="fold")
    total.add_row(Text("Razem netto:", style="bold"), _money_text(inv.net_total, currency))
    total.add_row(Text("Razem VAT:", style="bold"), _money_text(inv.vat_total, currency))
    total.add_row(Text("Należność ogółem:", style="bold"), _money_text(inv.total, currency))

    parts: list[Any] = [title, head, facts, lines, vat, total]
    pay = inv.payment
    if pay:
        p = Text("Płatność: ", style="bold")
        bits = []
        if pay.method_label:
            bits.append(pay.method_label)
        if pay.due_dates:
            bits.append("termin " + ", ".join(format_date(d) for d in pay.due_dates))
        if pay.paid:
            bits.append(f"zapłacono {format_date(pay.paid_on) if pay.paid_on else ''}".strip())
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
def show(
    files: FilesArgument,
    as_json: JsonOption = False,
    environment: EnvironmentOption = None,
    directory: DirOption = None,
) -> None:
    """Pokaż fakturę FA(3) tak, jak czyta ją człowiek (albo jako JSON: --json, z linkiem KOD I)."""
    for path in files:  # one clear sentence for a missing file before any output
        if not path.exists() or path.is_dir():
            read_invoice_file(path)
    loaded = [(path, *_load(path)) for path in files]
    if as_json:
        qr_env = qr_environment(environment, directory)
        objects = [
            invoice_summary(path, inv, report) | {"kod_i": kod_i_of(path, inv, qr_env)}
            for path, inv, report in loaded
        ]
        print_json(objects[0] if len(objects) == 1 else objects)
        return
    for path, inv, report in loaded:
        # soft_wrap=False: the shared console keeps long lines whole for copying, which inside a
        # panel would cut them at its border ("15584.83 P"); here every line wraps instead.
        console.print(Panel(_render(path, inv, report, console.width - 4), expand=False), soft_wrap=False)


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
