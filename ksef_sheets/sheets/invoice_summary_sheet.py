"""The **Podsumowanie** sheet of a client's invoice workbook: monthly PLN totals per rate, counts per status."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ksef_sheets.sheets.invoice_cells import Formats, header_footer_text, write_text
from ksef_sheets.sheets.invoice_columns import RATES, STATUSES, SUMMARY_SHEET, Rate
from ksef_sheets.sheets.invoice_rows import WorkbookHeader
from ksef_sheets.sheets.invoice_summary import MONTHS_PL, ZERO, MonthTotals, RegisterSummary
from ksef_sheets.sheets.printing import amount_width
from ksef_sheets.text import format_date, format_datetime


def write_summary(
    workbook: xlsxwriter.Workbook,
    formats: Formats,
    header: WorkbookHeader,
    summaries: Sequence[RegisterSummary],
) -> None:
    """Per register: a block of PLN amounts per rate and month, then a block of counts per status.

    Rates nobody used this year are left out (23% always shows), so a typical client's summary fits
    one landscape page; the blocks are read by their headers, not by cell address.
    """
    ws = workbook.add_worksheet(SUMMARY_SHEET)
    rates = [
        rate
        for rate in RATES
        if rate.key == "23"
        or any(s.total.net_by_rate.get(rate.key) or s.total.vat_by_rate.get(rate.key) for s in summaries)
    ]
    amount_headers = ["Miesiąc", "Liczba faktur"]
    for rate in rates:
        amount_headers.append(f"Netto {rate.label}")
        if rate.has_vat:
            amount_headers.append(f"VAT {rate.label}")
    amount_headers += ["Netto razem", "VAT razem", "Brutto razem"]
    status_headers = ["Miesiąc", *STATUSES, "Razem"]
    used = [summary for summary in summaries if summary.total.count]
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 9)
    # Each amount column as wide as its longest total ("1 113 233,67 zł" in bold), never "###".
    for c in range(2, max(len(amount_headers), len(status_headers))):
        amounts = [
            values[c - 2]
            for summary in used
            for month in [*summary.months, summary.total]
            for values in [_summary_amounts(month, rates)]
            if c - 2 < len(values)
        ]
        ws.set_column(c, c, max(13.0, amount_width(amounts, suffix=" zł", bold=True)))
    write_text(
        ws,
        0,
        0,
        f"Podsumowanie faktur {header.year} — {header.client_name} (NIP {header.client_nip})",
        formats.title,
    )
    write_text(
        ws,
        1,
        0,
        f"Stan na {format_datetime(header.generated_at)}. Kwoty w PLN (waluty obce według kursów z faktur), "
        "miesiąc według daty wystawienia. Przeliczane przy każdym odświeżeniu skoroszytu (ksef-sheets fetch).",
        formats.note,
    )
    r = 3
    for summary in summaries:
        r = _write_register_blocks(
            ws, formats, r, header.year, summary, rates, amount_headers, status_headers
        )
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.set_header(
        "&L&B"
        + header_footer_text(f"Podsumowanie {header.year} — {header.client_name}")
        + f"&R{format_date(header.generated_at)}"
    )
    ws.set_footer("&CStrona &P z &N")


def _write_register_blocks(
    ws: Worksheet,
    formats: Formats,
    r: int,
    year: int,
    summary: RegisterSummary,
    rates: Sequence[Rate],
    amount_headers: Sequence[str],
    status_headers: Sequence[str],
) -> int:
    """One register's two blocks from row ``r``; the row after them."""
    if not summary.total.count:
        # No blocks of zeros for a register without invoices: one line says so.
        write_text(ws, r, 0, f"{summary.register.value}: brak faktur w {year} r.", formats.subtitle)
        return r + 2
    write_text(ws, r, 0, f"{summary.register.value} — kwoty", formats.subtitle)
    r = _block_header(ws, r + 1, amount_headers, formats)
    for month in [*summary.months, summary.total]:
        total = month.month is None
        ws.write_string(r, 0, _month_label(month, year), formats.total if total else formats.cell)
        ws.write_number(r, 1, month.count, formats.total_int if total else formats.cell_int)
        for c, amount in enumerate(_summary_amounts(month, rates), start=2):
            ws.write_number(r, c, float(amount), formats.total_pln if total else formats.cell_pln)
        r += 1
    if summary.total.missing_pln:
        write_text(
            ws,
            r,
            0,
            f"Uwaga: {summary.total.missing_pln} faktur w walucie obcej nie ma kwot w PLN "
            "(brak kursu w pliku XML) i nie są ujęte w sumach PLN.",
            formats.note,
        )
        r += 1
    r += 1
    write_text(ws, r, 0, f"{summary.register.value} — statusy (liczba faktur)", formats.subtitle)
    r = _block_header(ws, r + 1, status_headers, formats)
    for month in [*summary.months, summary.total]:
        total = month.month is None
        ws.write_string(r, 0, _month_label(month, year), formats.total if total else formats.cell)
        counts = [month.by_status.get(status, 0) for status in STATUSES]
        for c, count in enumerate([*counts, month.count], start=1):
            ws.write_number(r, c, count, formats.total_int if total else formats.cell_int)
        r += 1
    return r + 1


def _summary_amounts(month: MonthTotals, rates: Sequence[Rate]) -> list[Decimal]:
    """One row of the amounts block, in the order of its headers."""
    values: list[Decimal] = []
    for rate in rates:
        values.append(month.net_by_rate.get(rate.key, ZERO))
        if rate.has_vat:
            values.append(month.vat_by_rate.get(rate.key, ZERO))
    return [*values, month.net, month.vat, month.gross]


def _block_header(ws: Worksheet, r: int, headers: Sequence[str], formats: Formats) -> int:
    ws.set_row(r, 30)
    for c, name in enumerate(headers):
        ws.write_string(r, c, name, formats.head)
    return r + 1


def _month_label(totals: MonthTotals, year: int) -> str:
    return "Razem" if totals.month is None else f"{MONTHS_PL[totals.month - 1]} {year}"
