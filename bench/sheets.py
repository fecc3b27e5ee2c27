"""Benchmark: writing, reading back and refreshing a client's invoice workbook (a year of invoices).

Each phase runs in its own process, so its peak memory (max RSS) is its own. Measured in this run:

- ``write``: ``write_invoice_workbook`` with 20,000 invoices (Excel tables, the Status dropdown and
  date check, conditional formats, links to the XML files, print setup, the monthly summary and the
  hidden snapshot of the staff columns), against **the floor**: a plain XlsxWriter script in
  ``constant_memory`` mode writing the same two sheets with the same columns in the same order, the
  same values from the same rows (header row, text, dates, amounts, the XML link as a hyperlink,
  the staff columns) and the same cell formats and column widths, formats created once, through
  XlsxWriter's public ``write_string``/``write_number``/``write_datetime``/``write_url`` — and
  nothing else: no table, validation, conditional format, print setup, summary, snapshot, no
  cleaning of third-party text, no column sizing. Bar: ours >= 0.8 x the floor's rows/s, and our
  peak memory < 150 MB (the floor's own peak is printed beside it; both include the 20,000 rows in
  memory).
- ``read-back``: ``read_workbook_work`` (staff columns, own columns and rows, snapshot) against
  openpyxl ``read_only`` iterating the same file's values and doing nothing else (no bar; shown).
- ``refresh``: a workbook of 20,000 archived invoices, then 200 new invoices arrive (one night's
  fetch), then ``refresh_invoice_workbooks`` — read-back, FA(3) of the new invoices, merge, write —
  against **writing the same rows alone**: ``write_invoice_workbook`` of the very sheets that
  refresh wrote (same rows, staff fields, summary), in the same process. Bar: >= 0.8 x.
- ``no change``: the same refresh when nothing arrived (the workbook is left alone), shown.

Usage: ``.venv/bin/python bench/sheets.py [--rows 20000] [--refresh-rows 20000] [--new-rows 200]``;
the refresh alone: ``.venv/bin/python bench/sheets.py --phase refresh --refresh-rows 20000 --new-rows 200``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the package and the test factory (FA(3) test invoices)

from ksef_sheets.identifiers import make_ksef_number  # noqa: E402
from ksef_sheets.sheets.invoice_columns import STATUSES, Register  # noqa: E402
from ksef_sheets.sheets.invoice_rows import InvoiceRow, SheetRow, StaffFields  # noqa: E402

SELLERS = [
    "ABC AGD sp. z o. o.",
    "Hurtownia Smak Sp. z o.o.",
    '=HYPERLINK("http://x","y")',
    "Orlen S.A.",
    "Zakład Usługowy Zażółć Jan Kowalski",
]


def make_rows(count: int, folder: Path) -> list[SheetRow]:
    rng = random.Random(7)
    rows = []
    start = date(2026, 1, 1)
    for i in range(count):
        issued = start + timedelta(days=rng.randrange(365))
        net23 = Decimal(rng.randrange(100, 2_000_000)) / 100
        vat23 = (net23 * Decimal("0.23")).quantize(Decimal("0.01"))
        net8 = Decimal(rng.randrange(0, 50_000)) / 100
        vat8 = (net8 * Decimal("0.08")).quantize(Decimal("0.01"))
        number = make_ksef_number("9999999999", issued, f"{i:012X}")
        invoice = InvoiceRow(
            ksef_number=number,
            register=Register.PURCHASES if i % 4 else Register.SALES,
            invoice_number=f"FV/{i}/{issued:%m}/2026",
            issue_date=issued,
            accepted_at=datetime.combine(issued, datetime.min.time()) + timedelta(hours=9, seconds=i % 3600),
            counterparty_nip="9999999999",
            counterparty_name=rng.choice(SELLERS),
            currency="PLN",
            items="paliwo ON; myjnia",
            net_by_rate={"23": net23, "8": net8},
            vat_by_rate={"23": vat23, "8": vat8},
            net_by_rate_pln={"23": net23, "8": net8},
            vat_by_rate_pln={"23": vat23, "8": vat8},
            net_total=net23 + net8,
            vat_total=vat23 + vat8,
            gross_total=net23 + net8 + vat23 + vat8,
            net_pln=net23 + net8,
            vat_pln=vat23 + vat8,
            gross_pln=net23 + net8 + vat23 + vat8,
            due_date=issued + timedelta(days=14),
            bank_account="73111111111111111111111111",
            split_payment=i % 10 == 0,
            xml_path=folder.parent.parent / "archiwum" / "9999999999" / f"{number}.xml",
        )
        staff = StaffFields(status=STATUSES[i % len(STATUSES)], comment="sprawdzone" if i % 3 == 0 else "")
        rows.append(SheetRow(invoice, staff))
    return rows


def phase_write(rows: int, out: Path) -> dict[str, float]:
    from ksef_sheets.sheets.invoice_workbook import RegisterSheet, WorkbookHeader, write_invoice_workbook

    data = make_rows(rows, out.parent)
    sheets = [RegisterSheet(Register.PURCHASES), RegisterSheet(Register.SALES)]
    for row in data:
        assert row.invoice is not None
        sheets[0 if row.invoice.register is Register.PURCHASES else 1].rows.append(row)
    header = WorkbookHeader("5210537039", "Nowak IT Consulting Jan Nowak", 2026, datetime(2026, 12, 31, 8, 0))
    t0 = time.perf_counter()
    write_invoice_workbook(out, header, sheets)
    return {"seconds": time.perf_counter() - t0}


def phase_plain(rows: int, out: Path) -> dict[str, float]:
    """The floor: the same two sheets, columns, values and cell formats, written by a plain script."""

    import xlsxwriter

    from ksef_sheets.sheets.invoice_columns import INVOICE_COLUMNS, RATES
    from ksef_sheets.sheets.printing import DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT, PLN_FORMAT

    data = make_rows(rows, out.parent)
    t0 = time.perf_counter()
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    text = workbook.add_format({"num_format": "@"})
    day = workbook.add_format({"num_format": DATE_FORMAT, "align": "center"})
    code = workbook.add_format({"num_format": "@", "align": "center"})
    moment = workbook.add_format({"num_format": DATETIME_FORMAT})
    money = workbook.add_format({"num_format": MONEY_FORMAT})
    pln = workbook.add_format({"num_format": PLN_FORMAT})
    link = workbook.add_format({"font_color": "#0563C1", "underline": 1})
    flag = workbook.add_format({"align": "center"})
    head = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    by_kind = {"text": text, "status": text, "date": day, "datetime": moment, "money": money}
    by_kind |= {"money_pln": pln, "flag": flag}
    col = {column.header: c for c, column in enumerate(INVOICE_COLUMNS)}
    rate_cols = [
        (rate.key, col[f"Netto {rate.label}"], col.get(f"VAT {rate.label}") if rate.has_vat else None)
        for rate in RATES
    ]

    def put_text(ws: Any, r: int, name: str, value: str | None, fmt: Any = text) -> None:
        if value:
            ws.write_string(r, col[name], value, fmt)

    def put_day(ws: Any, r: int, name: str, value: date | None) -> None:
        if value is not None:
            ws.write_datetime(r, col[name], datetime(value.year, value.month, value.day), day)

    def put_amount(ws: Any, r: int, c: int, value: Decimal | None, fmt: Any = money) -> None:
        if value is not None:
            ws.write_number(r, c, float(value), fmt)

    for register in Register:
        ws = workbook.add_worksheet(register.value)
        for c, column in enumerate(INVOICE_COLUMNS):
            ws.set_column(c, c, column.width, by_kind.get(column.kind))
            ws.write_string(0, c, column.header, head)
        r = 0
        for row in data:
            inv = row.invoice
            assert inv is not None
            if inv.register is not register:
                continue
            r += 1
            put_day(ws, r, "Data wystawienia", inv.issue_date)
            put_text(ws, r, "Numer faktury", inv.invoice_number)
            put_text(ws, r, "Nazwa kontrahenta", inv.counterparty_name)
            put_text(ws, r, "NIP kontrahenta", inv.counterparty_nip)
            put_amount(ws, r, col["Netto"], inv.net_total)
            put_amount(ws, r, col["VAT"], inv.vat_total)
            put_amount(ws, r, col["Brutto"], inv.gross_total)
            put_text(ws, r, "Waluta", inv.currency, code)
            put_text(ws, r, "Status", row.staff.status)
            put_text(ws, r, "Komentarz", row.staff.comment)
            put_text(ws, r, "Numer KSeF", inv.ksef_number)
            put_day(ws, r, "Data księgowania", row.staff.booked_on)
            put_text(ws, r, "Osoba", row.staff.person)
            put_text(ws, r, "Decyzja klienta", inv.client_decision)
            put_text(ws, r, "Uwagi klienta", inv.client_remark)
            put_text(ws, r, "Przedmiot", inv.items)
            if inv.accepted_at is not None:
                ws.write_datetime(r, col["Data przyjęcia w KSeF"], inv.accepted_at, moment)
            for key, net_col, vat_col in rate_cols:
                put_amount(ws, r, net_col, inv.net_by_rate.get(key))
                if vat_col is not None:
                    put_amount(ws, r, vat_col, inv.vat_by_rate.get(key))
            put_amount(ws, r, col["Netto PLN"], inv.net_pln, pln)
            put_amount(ws, r, col["VAT PLN"], inv.vat_pln, pln)
            put_amount(ws, r, col["Brutto PLN"], inv.gross_pln, pln)
            put_day(ws, r, "Termin płatności", inv.due_date)
            put_text(ws, r, "Rachunek bankowy", inv.bank_account)
            if inv.split_payment:
                ws.write_string(r, col["MPP"], "Tak", flag)
            put_text(ws, r, "Rodzaj", inv.invoice_type)
            put_text(ws, r, "Faktura korygowana", inv.corrected_invoice)
            if inv.offline:
                ws.write_string(r, col["Offline"], "Tak", flag)
            if inv.xml_path is not None:
                relative = os.path.relpath(inv.xml_path, out.parent)
                ws.write_url(r, col["Plik XML"], "external:" + relative, link, string="XML", tip=relative)
    workbook.close()
    return {"seconds": time.perf_counter() - t0}


def phase_read(path: Path) -> dict[str, float]:
    from ksef_sheets.sheets.invoice_readback import read_workbook_work

    t0 = time.perf_counter()
    work = read_workbook_work(path)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": float(sum(len(s.staff) for s in work.sheets.values()))}


def phase_read_plain(path: Path) -> dict[str, float]:
    from openpyxl import load_workbook

    t0 = time.perf_counter()
    wb = load_workbook(path, read_only=True)
    count = 0
    for name in ("Zakupy", "Sprzedaż"):
        for _ in wb[name].iter_rows(values_only=True):
            count += 1
    wb.close()
    return {"seconds": time.perf_counter() - t0, "rows": float(count)}


def phase_refresh(rows: int, new: int, root: Path) -> dict[str, float]:
    """A nightly refresh of one client whose workbook holds ``rows`` invoices when ``new`` more arrive."""
    from ksef_sheets.config import OfficeConfig, OfficeFolder
    from ksef_sheets.sheets import invoice_refresh
    from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
    from ksef_sheets.sync.archive import Archive
    from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale

    office = OfficeFolder(root / "biuro")
    office.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro", clients=[CLIENT_NIP]))
    rng = random.Random(3)
    invoices = []
    for i in range(rows + new):
        issued = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        make = purchase if i % 4 else sale
        invoices.append(make(f"F/{i}", issued, rng.choice(SELLERS)))
    with Archive.open(office) as archive:
        for start in range(0, rows, 1000):
            archive_invoices(archive, invoices[start : min(start + 1000, rows)])
    first = refresh_invoice_workbooks(office)
    assert first.ok, first.messages()
    with Archive.open(office) as archive:
        archive_invoices(archive, invoices[rows:])

    # Keep what the refresh writes, to write the very same sheets again without reading or merging.
    written: list[Any] = []
    real_write = invoice_refresh.write_invoice_workbook

    def keep(target: Path, header: Any, sheets: Any, **kw: Any) -> None:
        written.append((header, sheets, kw.get("own_sheets", ())))
        real_write(target, header, sheets, **kw)

    invoice_refresh.write_invoice_workbook = keep  # type: ignore[assignment]
    c0, t0 = time.process_time(), time.perf_counter()
    again = refresh_invoice_workbooks(office)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    invoice_refresh.write_invoice_workbook = real_write
    assert again.ok and sum(w.rows_written for w in again.workbooks) == rows + new, again.messages()
    header, sheets, own_sheets = written[-1]
    alone = root / "alone" / "faktury-2026.xlsx"
    alone.parent.mkdir()
    c0, t0 = time.process_time(), time.perf_counter()
    real_write(alone, header, sheets, own_sheets=own_sheets)
    alone_seconds, alone_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    idle = refresh_invoice_workbooks(office)  # nothing new: the workbook is left alone
    idle_seconds = time.perf_counter() - t0
    assert all(w.unchanged for w in idle.workbooks)
    return {
        "seconds": seconds,
        "alone_seconds": alone_seconds,
        "idle_seconds": idle_seconds,
        # CPU seconds of the process: on a shared machine the wall clock moves with the others' load.
        "cpu_seconds": cpu,
        "alone_cpu_seconds": alone_cpu,
    }


def run_phase(args: list[str]) -> dict[str, float]:
    """Run one phase in a fresh process so its peak memory is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--phase", *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.splitlines()[-1]))


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median time; its peak memory is the highest of all runs (the bar is a ceiling)."""
    middle = dict(sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2])
    middle["max_rss_mb"] = max(run["max_rss_mb"] for run in runs)
    return middle


def bar(ok: bool) -> str:
    return "bar met" if ok else "BAR NOT MET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--refresh-rows", type=int, default=20_000)
    parser.add_argument("--new-rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the write and the floor (medians)")
    parser.add_argument("--phase", nargs="*")
    args = parser.parse_args()
    if args.phase:
        kind, *rest = args.phase
        if kind == "write":
            result = phase_write(int(rest[0]), Path(rest[1]))
        elif kind == "plain":
            result = phase_plain(int(rest[0]), Path(rest[1]))
        elif kind == "read":
            result = phase_read(Path(rest[0]))
        elif kind == "refresh" and not rest:
            # ``--phase refresh --refresh-rows N --new-rows K``: the refresh alone, shown as a ratio.
            with tempfile.TemporaryDirectory() as tmp:
                result = phase_refresh(args.refresh_rows, args.new_rows, Path(tmp))
            print(
                f"refresh {args.refresh_rows} + {args.new_rows} new: {result['seconds']:.2f} s "
                f"(CPU {result['cpu_seconds']:.2f} s) | writing them alone {result['alone_seconds']:.2f} s "
                f"(CPU {result['alone_cpu_seconds']:.2f} s) | ratio {result['alone_seconds'] / result['seconds']:.2f} "
                f"wall, {result['alone_cpu_seconds'] / result['cpu_seconds']:.2f} CPU (bar >= 0.80)"
                f" | load {os.getloadavg()[0]:.1f}"
            )
        elif kind == "refresh":
            result = phase_refresh(int(rest[0]), int(rest[1]), Path(rest[2]))
        else:
            result = phase_read_plain(Path(rest[0]))
        result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    n = args.rows
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "klienci" / "5210537039"
        folder.mkdir(parents=True)
        ours, plain = folder / "faktury-2026.xlsx", folder / "plain.xlsx"
        # Ours and the floor alternate, each run in its own process; the medians are compared (the
        # machine is shared: a single pair can differ by 30% either way).
        writes, plains = [], []
        for _ in range(args.repeat):
            writes.append(run_phase(["write", str(n), str(ours)]))
            plains.append(run_phase(["plain", str(n), str(plain)]))
        w, p = median_run(writes), median_run(plains)
        r = run_phase(["read", str(ours)])
        q = run_phase(["read-plain", str(ours)])
        size_mb, plain_mb = ours.stat().st_size / 1e6, plain.stat().st_size / 1e6
        m, k = args.refresh_rows, args.new_rows
        f = run_phase(["refresh", str(m), str(k), tmp])
    write_ratio = p["seconds"] / w["seconds"]
    print(
        f"invoice workbook, {n} invoices (one client, one year), file {size_mb:.1f} MB (floor's {plain_mb:.1f} MB)"
    )
    print(
        f"write      : {n / w['seconds']:9,.0f} rows/s ({w['seconds']:.2f} s, median of {args.repeat})"
        f"  | floor: plain XlsxWriter constant_memory, same columns/values/formats {n / p['seconds']:9,.0f} rows/s "
        f"({p['seconds']:.2f} s)  | ratio {write_ratio:.2f} (bar >= 0.80: {bar(write_ratio >= 0.8)})"
    )
    print(
        f"memory     : max RSS {w['max_rss_mb']:.0f} MB writing (floor's script {p['max_rss_mb']:.0f} MB)"
        f"  | bar < 150 MB: {bar(w['max_rss_mb'] < 150)}"
    )
    print(
        f"read-back  : {r['rows'] / r['seconds']:9,.0f} rows/s ({r['seconds']:.2f} s, max RSS {r['max_rss_mb']:.0f} MB)"
        f"  | peer: openpyxl read_only values {q['rows'] / q['seconds']:9,.0f} rows/s ({q['seconds']:.2f} s)"
        f"  | ratio {q['seconds'] / r['seconds']:.2f} of the peer (no bar)"
    )
    refresh_ratio = f["alone_seconds"] / f["seconds"]
    cpu_ratio = f["alone_cpu_seconds"] / f["cpu_seconds"]
    print(
        f"refresh    : {m + k} rows, {k} of them new: {f['seconds']:.2f} s (read-back, FA(3) of the new "
        f"invoices, merge, write; max RSS {f['max_rss_mb']:.0f} MB)  | writing the same rows alone {f['alone_seconds']:.2f} s"
        f"  | ratio {refresh_ratio:.2f} (bar >= 0.80: {bar(refresh_ratio >= 0.8)}); in CPU seconds "
        f"{f['cpu_seconds']:.2f} / {f['alone_cpu_seconds']:.2f}, ratio {cpu_ratio:.2f}"
    )
    print(
        f"no change  : {f['idle_seconds']:.2f} s to see that the {m + k}-invoice workbook needs no rebuild"
        f"  | ratio {f['idle_seconds'] / f['seconds']:.3f} of a refresh"
    )


if __name__ == "__main__":
    main()
