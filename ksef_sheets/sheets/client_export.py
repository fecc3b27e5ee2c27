"""Writing the client's invoice list: the .xlsx the client decides in, its CSV and the printable summary.

Rows in, files out (the rows, the header and their integrity codes come from the use case
``workflows.client_export``; the format is ``sheets.export_format``):

- ``write_export_workbook`` — sheet ``Faktury`` (the list, every cell protected except the client's
  columns Decyzja — a dropdown Akceptuję / Odrzucam — and Uwagi), ``Podsumowanie`` (totals),
  ``Instrukcja``, the very hidden ``_kontrola``; in scenario 3 a cell where the client confirms the
  whole report;
- ``export_csv`` — the same list as CSV for Excel (UTF-8 with BOM, ``;``);
- ``write_summary_workbook`` — a compact list with totals, the source of the PDF.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from ksef_sheets.sheets.export_format import (
    CONFIRM_CELL,
    CONFIRM_LABEL,
    CONFIRM_NO,
    CONFIRM_YES,
    CONTROL_SHEET,
    CSV_HEADERS,
    DECISION_ACCEPT,
    DECISION_REJECT,
    DECISIONS,
    FORMAT_VERSION,
    H_BUYER,
    H_CURRENCY,
    H_DECISION,
    H_GROSS,
    H_ISSUE,
    H_KSEF,
    H_KSEF_DATE,
    H_LP,
    H_MAC,
    H_NET,
    H_NUMBER,
    H_REMARK,
    H_SELLER,
    H_SELLER_NIP,
    H_SIDE,
    H_STATUS,
    H_VAT,
    HEADER_ROW,
    HEADERS,
    INSTRUCTION_SHEET,
    KIND_LABELS,
    LIST_SHEET,
    PRINTED_HEADERS,
    PROTECTION_PASSWORD,
    SIDE_PURCHASE,
    SUMMARY_SHEET,
    ExportHeader,
    ExportRow,
    money_text,
)
from ksef_sheets.sheets.printing import (
    DATE_FORMAT,
    MONEY_FORMAT,
    PLN_FORMAT,
    amount_width,
    print_a4_landscape,
    text_width,
)
from ksef_sheets.sheets.safe_text import clean_text, csv_text
from ksef_sheets.text import count as count_of
from ksef_sheets.text import format_datetime

__all__ = ["export_csv", "write_export_workbook", "write_summary_workbook"]


def export_csv(header: ExportHeader, rows: Sequence[ExportRow]) -> bytes:
    """The list for Excel: UTF-8 with BOM, ``;``, decimal comma, formula-like text neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for i, row in enumerate(rows, start=1):
        writer.writerow(
            [
                str(i),
                row.side,
                row.ksef_number,
                csv_text(row.number),
                row.issue_date.isoformat() if row.issue_date else "",
                row.ksef_date.isoformat() if row.ksef_date else "",
                row.seller_nip,
                csv_text(row.seller_name),
                csv_text(row.buyer),
                row.currency,
                money_text(row.net).replace(".", ","),
                money_text(row.vat).replace(".", ","),
                money_text(row.gross).replace(".", ","),
                row.status,
                csv_text(row.decision),
                csv_text(row.remark),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _totals(rows: Sequence[ExportRow]) -> dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]]:
    totals: dict[tuple[str, str], tuple[int, Decimal, Decimal, Decimal]] = {}
    for row in rows:
        count, net, vat, gross = totals.get((row.side, row.currency), (0, Decimal(0), Decimal(0), Decimal(0)))
        totals[(row.side, row.currency)] = (
            count + 1,
            net + (row.net or 0),
            vat + (row.vat or 0),
            gross + (row.gross or 0),
        )
    return totals


def write_export_workbook(path: Path, header: ExportHeader, rows: Sequence[ExportRow]) -> None:
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    workbook.set_properties(
        {
            "title": f"Faktury do weryfikacji {header.period}",
            "subject": f"{header.client_name} NIP {header.client_nip}",
            "author": header.office_name,
            "company": header.office_name,
        }
    )
    workbook.set_custom_property("ksef_sheets_eksport", header.export_id)
    workbook.set_size(1600, 1000)
    f_title = workbook.add_format({"bold": True, "font_size": 14})
    f_bold = workbook.add_format({"bold": True})
    f_text = workbook.add_format({"text_wrap": False})
    f_wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    f_date = workbook.add_format({"num_format": DATE_FORMAT, "align": "left"})
    f_money = workbook.add_format({"num_format": MONEY_FORMAT})
    f_money_bold = workbook.add_format({"num_format": PLN_FORMAT, "bold": True, "align": "left"})
    f_input = workbook.add_format(
        {"locked": False, "bg_color": "#FFF2CC", "border": 1, "border_color": "#BF9000"}
    )
    f_input_bold = workbook.add_format({"locked": False, "bg_color": "#FFF2CC", "border": 2, "bold": True})
    # Headers wrap between words within their column instead of running into the next one.
    f_head = workbook.add_format({"bold": True, "text_wrap": True, "valign": "bottom"})
    f_head_right = workbook.add_format(
        {"bold": True, "text_wrap": True, "valign": "bottom", "align": "right"}
    )
    f_center = workbook.add_format({"align": "center"})
    f_note = workbook.add_format(
        {"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"}
    )

    ws = workbook.add_worksheet(LIST_SHEET)
    summary = workbook.add_worksheet(SUMMARY_SHEET)
    guide = workbook.add_worksheet(INSTRUCTION_SHEET)
    control = workbook.add_worksheet(CONTROL_SHEET)

    # -- Faktury -------------------------------------------------------------------------------
    who = (
        f"{header.client_name} (NIP {header.client_nip})"
        if header.client_name
        else f"NIP {header.client_nip}"
    )
    ws.write_string(
        0, 0, f"{KIND_LABELS[header.kind].capitalize()} do weryfikacji — {who} — {header.period}", f_title
    )
    ws.merge_range(
        1,
        0,
        1,
        len(PRINTED_HEADERS) - 1,
        f"W kolumnie „{H_DECISION}” prosimy wybrać „{DECISION_ACCEPT}” albo „{DECISION_REJECT}”; przy "
        f"odrzuceniu prosimy wpisać przyczynę w kolumnie „{H_REMARK}”. Pozostałych komórek nie można "
        f"zmieniać. Plik prosimy odesłać do biura: {header.office_name} {header.reply_deadline_text}.",
        f_note,
    )
    ws.write_string(2, 0, f"Liczba faktur: {len(rows)}", f_bold)
    gross_pln = sum((r.gross or Decimal(0) for r in rows if r.currency == "PLN"), Decimal(0))
    # The label runs over the empty cell beside it; the sum sits in the wide Sprzedawca column.
    ws.write_string(2, 2, "Suma brutto (PLN):", f_bold)
    ws.write_number(2, 4, float(gross_pln), f_money_bold)
    if header.confirms_whole:
        ws.write_string(CONFIRM_CELL[0], 0, CONFIRM_LABEL, f_bold)
        ws.write_blank(CONFIRM_CELL[0], CONFIRM_CELL[1], None, f_input_bold)
        ws.data_validation(
            CONFIRM_CELL[0],
            CONFIRM_CELL[1],
            CONFIRM_CELL[0],
            CONFIRM_CELL[1],
            {
                "validate": "list",
                "source": [CONFIRM_YES, CONFIRM_NO],
                "error_title": "Potwierdzenie",
                "error_message": f"Prosimy wybrać „{CONFIRM_YES}” albo „{CONFIRM_NO}”.",
            },
        )
        ws.merge_range(
            4,
            0,
            4,
            len(PRINTED_HEADERS) - 1,
            "Potwierdzenie oznacza akceptację wszystkich faktur, przy których nie wybrano „Odrzucam” "
            "(pozycje sporne oznacz „Odrzucam” i opisz w Uwagach).",
            f_note,
        )
    col = {h: i for i, h in enumerate(HEADERS)}
    first, last = HEADER_ROW + 1, HEADER_ROW + max(len(rows), 1)
    # No per-cell look-ups: the column of each field and the worksheet's writers are taken once.
    c_lp, c_side, c_ksef, c_number = col[H_LP], col[H_SIDE], col[H_KSEF], col[H_NUMBER]
    c_issue, c_ksef_date, c_seller_nip = col[H_ISSUE], col[H_KSEF_DATE], col[H_SELLER_NIP]
    c_seller, c_buyer, c_currency, c_status = col[H_SELLER], col[H_BUYER], col[H_CURRENCY], col[H_STATUS]
    c_net, c_vat, c_gross = col[H_NET], col[H_VAT], col[H_GROSS]
    c_decision, c_remark, c_mac = col[H_DECISION], col[H_REMARK], col[H_MAC]
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    for i, row in enumerate(rows):
        r = first + i
        write_number(r, c_lp, i + 1, f_center)
        write_string(r, c_side, row.side)
        write_string(r, c_ksef, row.ksef_number)
        write_string(r, c_number, row.number)
        _write_date(ws, r, c_issue, row.issue_date, f_date)
        _write_date(ws, r, c_ksef_date, row.ksef_date, f_date)
        write_string(r, c_seller_nip, row.seller_nip)
        write_string(r, c_seller, row.seller_name, f_text)
        write_string(r, c_buyer, row.buyer, f_text)
        write_string(r, c_currency, row.currency)
        for c, value in ((c_net, row.net), (c_vat, row.vat), (c_gross, row.gross)):
            if value is None:
                write_blank(r, c, None, f_money)
            else:
                write_number(r, c, float(value), f_money)
        write_string(r, c_status, row.status)
        if row.decision in DECISIONS:
            write_string(r, c_decision, row.decision, f_input)
        else:
            write_blank(r, c_decision, None, f_input)
        if row.remark:
            write_string(r, c_remark, clean_text(row.remark), f_input)
        else:
            write_blank(r, c_remark, None, f_input)
        write_string(r, c_mac, row.mac)
    ws.add_table(
        HEADER_ROW,
        0,
        last,
        len(HEADERS) - 1,
        {
            "name": "FakturyDoWeryfikacji",
            "style": "Table Style Light 9",
            "columns": [
                {"header": h, "header_format": f_head_right if h in (H_NET, H_VAT, H_GROSS) else f_head}
                for h in HEADERS
            ],
            "autofilter": True,
        },
    )
    ws.data_validation(
        first,
        col[H_DECISION],
        last,
        col[H_DECISION],
        {
            "validate": "list",
            "source": list(DECISIONS),
            "input_title": "Decyzja",
            "input_message": f"{DECISION_ACCEPT} albo {DECISION_REJECT}",
            "error_title": "Decyzja",
            "error_message": f"Prosimy wybrać z listy „{DECISION_ACCEPT}” albo „{DECISION_REJECT}”.",
        },
    )
    # The three amount columns share one measure of the longest amount (their minimums differ).
    money = amount_width([v for row in rows for v in (row.net, row.vat, row.gross)], minimum=0)
    widths = {
        H_LP: 5,
        H_SIDE: 9,
        H_KSEF: 38,
        H_NUMBER: text_width((r.number for r in rows), minimum=14, maximum=24),
        H_ISSUE: 11,
        H_KSEF_DATE: 11,
        H_SELLER_NIP: 12,
        # Names as long as they are, within reason; the sum of the list sits in this column too.
        H_SELLER: max(
            text_width((r.seller_name for r in rows), minimum=20, maximum=32),
            amount_width([gross_pln], suffix=" zł", bold=True),
        ),
        H_BUYER: text_width((r.buyer for r in rows), minimum=12, maximum=28),
        H_CURRENCY: 7,
        H_NET: max(10, money),
        H_VAT: max(9, money),
        H_GROSS: max(10, money),
        H_STATUS: 22,
        H_DECISION: 13,
        H_REMARK: 30,
    }
    for h, width in widths.items():
        ws.set_column(col[h], col[h], width)
    ws.set_column(col[H_MAC], col[H_MAC], 34, None, {"hidden": True})
    ws.set_row(1, 30)
    ws.set_row(HEADER_ROW, 30)
    ws.freeze_panes(HEADER_ROW + 1, 3)
    ws.protect(PROTECTION_PASSWORD, {"autofilter": True, "sort": True, "format_columns": True})
    print_a4_landscape(ws, repeat=HEADER_ROW)
    ws.print_area(0, 0, last, len(PRINTED_HEADERS) - 1)
    ws.activate()

    # -- Podsumowanie ----------------------------------------------------------------------------
    summary.write_string(0, 0, f"Podsumowanie — {who} — {header.period}", f_title)
    for c, h in enumerate(("Rodzaj", "Waluta", "Liczba faktur", "Netto", "VAT", "Brutto")):
        summary.write_string(2, c, h, f_bold)
    r = 3
    totals_by = _totals(rows)
    for (side, currency), (count, net, vat, gross) in sorted(totals_by.items()):
        summary.write_string(r, 0, side)
        summary.write_string(r, 1, currency)
        summary.write_number(r, 2, count)
        summary.write_number(r, 3, float(net), f_money)
        summary.write_number(r, 4, float(vat), f_money)
        summary.write_number(r, 5, float(gross), f_money)
        r += 1
    summary.write_string(r + 1, 0, f"Utworzono: {format_datetime(header.created_at)}")
    summary.write_string(r + 2, 0, f"Biuro: {header.office_name}")
    summary.set_column(0, 1, 14)
    summary.set_column(2, 2, 14)
    totals = [v for t in totals_by.values() for v in t[1:]]
    summary.set_column(3, 5, amount_width(totals, minimum=15))
    summary.protect(PROTECTION_PASSWORD)
    print_a4_landscape(summary)

    # -- Instrukcja ------------------------------------------------------------------------------
    steps = [
        "Jak zweryfikować faktury",
        # Addressed to the client as "Państwo" (issue 16), never with "Ty" imperatives.
        f"1. Prosimy otworzyć arkusz „{LIST_SHEET}”. Każdy wiersz to jedna faktura z KSeF "
        f"({KIND_LABELS[header.kind]}).",
        f"2. W kolumnie „{H_DECISION}” prosimy wybrać z listy „{DECISION_ACCEPT}”, gdy faktura dotyczy Państwa "
        f"firmy i jest poprawna, albo „{DECISION_REJECT}”, gdy jej Państwo nie rozpoznają lub jest błędna.",
        f"3. Przy odrzuceniu prosimy wpisać przyczynę w kolumnie „{H_REMARK}” (np. „nie zamawialiśmy”, "
        "„zła cena”).",
        "4. Prosimy nie zmieniać innych kolumn, nie usuwać i nie dodawać wierszy — biuro rozpoznaje faktury po numerze "
        "KSeF i sprawdza, czy ich dane nie zostały zmienione.",
        f"5. Prosimy zapisać plik (może mieć inną nazwę) i odesłać go do biura {header.reply_deadline_text}.",
    ]
    if header.confirms_whole:
        steps.append(
            f"6. Na górze arkusza „{LIST_SHEET}” prosimy wybrać „{CONFIRM_YES}”, aby zatwierdzić całe zestawienie. "
            "Faktury bez decyzji zostaną wtedy uznane za zaakceptowane."
        )
    steps += [
        "",
        "Biuro księguje tylko faktury zaakceptowane. Faktury odrzucone wyjaśnia z Państwem i z wystawcą.",
        "Arkusz jest chroniony bez hasła wyłącznie po to, by uniknąć przypadkowych zmian.",
    ]
    for i, text in enumerate(steps):
        guide.write_string(i, 0, text, f_title if i == 0 else f_wrap)
    guide.set_column(0, 0, 110)
    guide.protect(PROTECTION_PASSWORD)
    print_a4_landscape(guide)

    # -- _kontrola (very hidden) -----------------------------------------------------------------
    meta = [
        ("wersja", FORMAT_VERSION),
        ("nip", header.client_nip),
        ("okres", header.period),
        ("zakres", header.kind),
        ("id", header.export_id),
        ("scenariusz", str(header.scenario or "")),
        ("utworzono", header.created_at.isoformat()),
        ("wierszy", str(len(rows))),
        ("podpis", header.file_mac),
    ]
    for i, (name, meta_value) in enumerate(meta):
        control.write_string(i, 0, name)
        control.write_string(i, 1, meta_value)
    control.write_string(len(meta) + 1, 0, "Numer KSeF")
    control.write_string(len(meta) + 1, 1, H_MAC)
    control_string = control.write_string
    for r, row in enumerate(rows, start=len(meta) + 2):
        control_string(r, 0, row.ksef_number)
        control_string(r, 1, row.mac)
    control.protect(PROTECTION_PASSWORD)
    control.very_hidden()
    workbook.close()


def _write_date(ws: Worksheet, r: int, c: int, value: date | None, fmt: Format) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_datetime(r, c, datetime(value.year, value.month, value.day), fmt)


def write_summary_workbook(path: Path, header: ExportHeader, rows: Sequence[ExportRow]) -> None:
    """A compact, printable list with totals: the source of the PDF summary (A4 landscape)."""
    workbook = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = workbook.add_worksheet("Zestawienie")
    f_title = workbook.add_format({"bold": True, "font_size": 13})
    f_head = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom"})
    f_head_number = workbook.add_format(
        {"bold": True, "bottom": 1, "text_wrap": True, "valign": "bottom", "align": "right"}
    )
    f_cell = workbook.add_format({"font_size": 9, "valign": "top"})
    f_date = workbook.add_format(
        {"font_size": 9, "num_format": DATE_FORMAT, "valign": "top", "align": "center"}
    )
    f_gap = workbook.add_format({"font_size": 9, "valign": "top", "indent": 1})
    f_money = workbook.add_format({"font_size": 9, "num_format": MONEY_FORMAT, "valign": "top"})
    f_total = workbook.add_format({"bold": True, "num_format": MONEY_FORMAT, "top": 1})
    f_total_text = workbook.add_format({"bold": True, "top": 1})
    who = (
        f"{header.client_name} (NIP {header.client_nip})"
        if header.client_name
        else f"NIP {header.client_nip}"
    )
    ws.write_string(0, 0, f"{KIND_LABELS[header.kind].capitalize()} — {who} — {header.period}", f_title)
    ws.write_string(1, 0, f"{header.office_name}; utworzono {format_datetime(header.created_at)}")
    heads = (
        "Lp.",
        "Rodzaj",
        "Numer faktury",
        "Data wyst.",
        "Kontrahent",
        "NIP",
        "Waluta",
        "Netto",
        "VAT",
        "Brutto",
        "Numer KSeF",
    )
    amounts = [v for row in rows for v in (row.net, row.vat, row.gross)]
    totals = _totals(rows)
    amounts += [v for t in totals.values() for v in t[1:]]
    money = amount_width(amounts, minimum=10, bold=True)
    widths = (4, 8, 17, 10, 34, 11, 6, money, money, money, 36)
    for c, (h, w) in enumerate(zip(heads, widths, strict=True)):
        ws.write_string(3, c, h, f_head_number if h in ("Netto", "VAT", "Brutto") else f_head)
        ws.set_column(c, c, w)
    for i, row in enumerate(rows):
        r = 4 + i
        purchase = row.side == SIDE_PURCHASE
        ws.write_number(r, 0, i + 1, f_cell)
        ws.write_string(r, 1, row.side, f_cell)
        ws.write_string(r, 2, row.number, f_cell)
        _write_date(ws, r, 3, row.issue_date, f_date)
        ws.write_string(r, 4, row.seller_name if purchase else row.buyer, f_cell)
        ws.write_string(r, 5, row.seller_nip if purchase else "", f_cell)
        ws.write_string(r, 6, row.currency, f_cell)
        for c, value in ((7, row.net), (8, row.vat), (9, row.gross)):
            if value is not None:
                ws.write_number(r, c, float(value), f_money)
        ws.write_string(r, 10, row.ksef_number, f_gap)
    r = 5 + len(rows)
    for (side, currency), (count, net, vat, gross) in sorted(totals.items()):
        ws.write_string(r, 1, f"Razem: {side.lower()}", f_total_text)
        ws.write_string(r, 4, count_of(count, "faktura", "faktury", "faktur"), f_total_text)
        ws.write_string(r, 6, currency, f_total_text)
        ws.write_number(r, 7, float(net), f_total)
        ws.write_number(r, 8, float(vat), f_total)
        ws.write_number(r, 9, float(gross), f_total)
        r += 1
    print_a4_landscape(ws, repeat=3)
    workbook.close()
