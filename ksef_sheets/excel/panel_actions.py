"""The actions the KSeF panel offers, each a thin adapter over a use case of the toolkit.

The labels are Polish and are exactly what the panel's *Akcja* dropdown lists
(``runner.build_office_panel`` hands them to ``panel_file.build_panel``), so every offered action exists in Python.
Files the actions rewrite (``biuro.xlsx``, ``faktury-RRRR.xlsx``) must be closed in Excel; the use
cases say so in Polish when one is open, and nothing is half-written.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

from ksef_sheets.config import OfficeFolder
from ksef_sheets.excel import panel_file as pw
from ksef_sheets.excel.registry import ActionContext, action
from ksef_sheets.text import count, format_date, warsaw_time


def _folder(ctx: ActionContext) -> OfficeFolder:
    folder = OfficeFolder.resolve(ctx.office_dir)
    folder.load_config()
    return folder


@action("Pobierz faktury z KSeF")
def fetch_invoices(ctx: ActionContext) -> str:
    from ksef_sheets.workflows import office_fetch

    folder = _folder(ctx)
    ctx.progress("KSeF: pobieranie faktur…")
    fetched = office_fetch(
        folder,
        clients=ctx.clients or None,
        workbooks="fetched",
        before_refresh=lambda: ctx.progress("KSeF: odświeżanie skoroszytów faktur…"),
    )
    if fetched.refresh_error is not None:
        raise fetched.refresh_error
    report, refresh = fetched.report, fetched.refresh
    lines = [*report.summary_lines(), *report.problems, *(refresh.messages() if refresh else [])]
    return "\n".join(lines)


@action("Sprawdź rejestr klientów")
def check_register(ctx: ActionContext) -> str:
    from ksef_sheets.workflows import check_clients

    report = check_clients(_folder(ctx))
    return (
        f"Sprawdzono {count(report.clients, 'klienta', 'klientów', 'klientów')}; "
        f"wiersze z problemami: {len(report.problems)} (kolumna Problemy w rejestrze)."
    )


@action("Generuj dokumenty")
def documents(ctx: ActionContext) -> str:
    from ksef_sheets.documents import resolve_kinds
    from ksef_sheets.errors import UserError
    from ksef_sheets.workflows import generate_client_documents

    if not ctx.document_kind:
        raise UserError("Wybierz rodzaj dokumentu w polu „Rodzaj dokumentu”.")
    report = generate_client_documents(
        _folder(ctx), resolve_kinds([ctx.document_kind]), nips=ctx.clients or None
    )
    text = f"Wygenerowano {count(len(report.generated), 'dokument', 'dokumenty', 'dokumentów')}."
    if report.problems:
        text += " Pominięto: " + " ".join(p.sentence() for p in report.problems)
    return text


@action("Eksport faktur dla klienta", needs_month=True)
def export_for_client(ctx: ActionContext) -> str:
    from ksef_sheets.errors import UserError
    from ksef_sheets.workflows import export_client_list

    if len(ctx.clients) != 1:
        raise UserError("Zaznacz dokładnie jednego klienta (TAK w kolumnie „Zaznacz”).")
    result = export_client_list(_folder(ctx), ctx.clients[0], ctx.month)
    return f"Zestawienie: {count(result.rows, 'faktura', 'faktury', 'faktur')} → {result.xlsx}" + (
        f"; e-mail: {result.eml}" if result.eml else ""
    )


@action("Import decyzji klienta", needs_file=True)
def import_client_decisions(ctx: ActionContext) -> str:
    from ksef_sheets.workflows import import_decisions

    report = import_decisions(_folder(ctx), Path(ctx.decisions_file))
    return "\n".join(report.summary_lines())


@action("Odśwież skoroszyty faktur")
def refresh_workbooks(ctx: ActionContext) -> str:
    from ksef_sheets.sheets import refresh_invoice_workbooks

    report = refresh_invoice_workbooks(_folder(ctx), ctx.clients or None)
    written = [w for w in report.workbooks if w.written]
    return "\n".join(
        [f"Odświeżono {count(len(written), 'skoroszyt', 'skoroszyty', 'skoroszytów')}.", *report.messages()]
    )


@action("Zaksięguj zaznaczone faktury")
def mark_selection_booked(ctx: ActionContext) -> str:
    """Rows selected in an open faktury-RRRR.xlsx become "Zaksięgowana" with today's date, in Excel
    and in the archive (so the next refresh keeps them even if the workbook is not saved)."""
    from ksef_sheets.errors import UserError
    from ksef_sheets.sheets import H_BOOKED, H_PERSON, H_STATUS, STATUS_BOOKED
    from ksef_sheets.workflows import book_invoices

    select = getattr(ctx.panel, "selected_invoices", None)
    write = getattr(ctx.panel, "set_invoice_cells", None)
    if select is None or write is None:
        raise UserError("Ta akcja działa tylko w Excelu, w otwartym skoroszycie faktur.")
    nip, numbers = select()
    if not numbers or not nip:
        raise UserError("Zaznacz w skoroszycie faktur wiersze do zaksięgowania.")
    today = warsaw_time(datetime.now(UTC)).date()  # the date in Poland, not the server's
    person = getpass.getuser()
    book_invoices(_folder(ctx), nip, numbers, person=person, on=today)
    changed = write({n: {H_STATUS: STATUS_BOOKED, H_BOOKED: today, H_PERSON: person} for n in numbers})
    booked = count(changed, "fakturę", "faktury", "faktur")
    return f"Zaksięgowano {booked} (data {format_date(today)}). Zapisz skoroszyt faktur."


@action("Uzgodnij JPK z KSeF")
def check_client_jpk(ctx: ActionContext) -> str:
    """The selected client's JPK_V7 against its invoices in KSeF: the file named in the panel's
    *Plik* field, or else the newest one in ``klienci/<NIP>/jpk/`` (of the *Miesiąc* when given)."""
    from ksef_sheets.errors import UserError
    from ksef_sheets.workflows import check_jpk, client_jpk_files, record_jpk_results

    folder = _folder(ctx)
    client = ctx.clients[0] if len(ctx.clients) == 1 else None
    if ctx.decisions_file:
        paths = [Path(ctx.decisions_file)]
    elif client is None:
        raise UserError(
            "Zaznacz dokładnie jednego klienta (TAK w kolumnie „Zaznacz”) albo wpisz ścieżkę pliku JPK "
            f"w polu „{pw.FILE_CAPTION}”."
        )
    else:
        paths = client_jpk_files(folder, client, ctx.month or None)
    ctx.progress("KSeF: uzgadnianie JPK z fakturami w KSeF…")
    checks = check_jpk(folder, paths, client=client)
    lines = [check.summary() for check in checks]
    for check in checks:
        for finding in check.result.findings[:_FINDINGS_SHOWN]:
            lines.append(f"Wiersz {finding.row or '—'}: {finding.message}")
        hidden = len(check.result.findings) - _FINDINGS_SHOWN
        if hidden > 0:
            lines.append(
                f"… i {count(hidden, 'kolejne ustalenie', 'kolejne ustalenia', 'kolejnych ustaleń')}."
            )
        if check.result.findings:
            workbook = folder.invoice_workbook(check.result.nip, int(check.result.period[:4]))
            lines.append(f"Wszystkie ustalenia: arkusz „Uzgodnienie JPK” w {workbook}.")
    lines += [f"Uwaga: {warning}" for warning in record_jpk_results(folder, checks)]
    return "\n".join(lines)


_FINDINGS_SHOWN = 5


@action("Odśwież listę klientów w panelu")
def refresh_client_list(ctx: ActionContext) -> str:
    from ksef_sheets.sheets import load_clients

    clients = load_clients(_folder(ctx))
    previous = {
        str(r.get("NIP") or ""): r.get("Zaznacz") for r in ctx.panel.read_table(pw.CLIENTS_TABLE).rows
    }
    ctx.panel.write_table(
        pw.CLIENTS_TABLE,
        [{"NIP": c.nip, "Nazwa": c.name, "Zaznacz": previous.get(c.nip) or ""} for c in clients],
    )
    return f"Lista klientów odświeżona: {len(clients)}."
