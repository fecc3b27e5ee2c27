"""Benchmark: writing and reading back a client's invoice workbook with 20,000 invoices a year.

Prints, measured in this run:

- ``write``: ``write_invoice_workbook`` (Excel Tables, dropdowns, conditional formats, hyperlinks to
  the XML, the monthly summary and the hidden snapshot) in rows per second, against the limit: plain
  XlsxWriter in ``constant_memory`` mode writing the same cells with no table, link or summary;
- ``read-back``: ``read_workbook_work`` (staff columns, own columns and rows, snapshot) against
  openpyxl ``read_only`` iterating the same file's values and doing nothing else;
- the peak memory (max RSS) of each phase, each run in its own process, and the file size.

Usage: ``.venv/bin/python bench/sheets.py [--rows 20000]``
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

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
    """The limit: the same cells through XlsxWriter's fastest path, nothing else."""
    import xlsxwriter

    from ksef_sheets.sheets.invoice_columns import INVOICE_HEADERS

    data = make_rows(rows, out.parent)
    t0 = time.perf_counter()
    workbook = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    date_format = workbook.add_format({"num_format": "dd.mm.yyyy"})
    money = workbook.add_format({"num_format": "#,##0.00"})
    for register in Register:
        ws = workbook.add_worksheet(register.value)
        for c, name in enumerate(INVOICE_HEADERS):
            ws.write_string(0, c, name)
        r = 0
        for row in data:
            inv = row.invoice
            assert inv is not None
            if inv.register is not register:
                continue
            r += 1
            ws.write_string(r, 0, inv.ksef_number)
            ws.write_string(r, 1, inv.invoice_number)
            ws.write_datetime(
                r, 2, datetime(inv.issue_date.year, inv.issue_date.month, inv.issue_date.day), date_format
            )  # type: ignore[union-attr]
            ws.write_string(r, 3, inv.counterparty_name or "")
            ws.write_string(r, 4, inv.counterparty_nip or "")
            ws.write_number(r, 5, float(inv.gross_total or 0), money)
            ws.write_string(r, 6, inv.currency)
            ws.write_string(r, 7, row.staff.status)
            if row.staff.comment:
                ws.write_string(r, 8, row.staff.comment)
            ws.write_string(r, 13, inv.items)
            ws.write_datetime(r, 14, inv.accepted_at)  # type: ignore[arg-type]
            c = 15
            for key in ("23", "8"):
                ws.write_number(r, c, float(inv.net_by_rate[key]), money)
                ws.write_number(r, c + 1, float(inv.vat_by_rate[key]), money)
                c += 2
            for c, value in enumerate(
                (inv.net_total, inv.vat_total, inv.net_pln, inv.vat_pln, inv.gross_pln), 29
            ):
                ws.write_number(r, c, float(value or 0), money)
            ws.write_datetime(
                r, 34, datetime(inv.due_date.year, inv.due_date.month, inv.due_date.day), date_format
            )  # type: ignore[union-attr]
            ws.write_string(r, 35, inv.bank_account or "")
            ws.write_string(r, 37, inv.invoice_type)
            ws.write_string(r, 40, "XML")
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


def phase_refresh(rows: int, root: Path) -> dict[str, float]:
    """A nightly refresh of one client: read the workbook back, parse every archived FA(3), write."""
    from ksef_sheets.config import OfficeConfig, OfficeFolder
    from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
    from ksef_sheets.sync.archive import Archive
    from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale

    office = OfficeFolder(root / "biuro")
    office.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro", clients=[CLIENT_NIP]))
    rng = random.Random(3)
    invoices = []
    for i in range(rows):
        issued = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        make = purchase if i % 4 else sale
        invoices.append(make(f"F/{i}", issued, rng.choice(SELLERS)))
    with Archive.open(office) as archive:
        for start in range(0, rows, 1000):
            archive_invoices(archive, invoices[start : start + 1000])
    first = refresh_invoice_workbooks(office)
    assert first.ok, first.messages()
    t0 = time.perf_counter()
    again = refresh_invoice_workbooks(office, force=True)
    seconds = time.perf_counter() - t0
    assert again.ok and sum(w.rows_written for w in again.workbooks) == rows
    t0 = time.perf_counter()
    idle = refresh_invoice_workbooks(office)  # nothing new: the workbook is left alone
    idle_seconds = time.perf_counter() - t0
    assert all(w.unchanged for w in idle.workbooks)
    return {"seconds": seconds, "idle_seconds": idle_seconds}


def run_phase(args: list[str]) -> dict[str, float]:
    """Run one phase in a fresh process so its peak memory is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--phase", *args], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--refresh-rows", type=int, default=2_000)
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
        elif kind == "refresh":
            result = phase_refresh(int(rest[0]), Path(rest[1]))
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
        w = run_phase(["write", str(n), str(ours)])
        p = run_phase(["plain", str(n), str(plain)])
        r = run_phase(["read", str(ours)])
        q = run_phase(["read-plain", str(ours)])
        size_mb = ours.stat().st_size / 1e6
        m = args.refresh_rows
        f = run_phase(["refresh", str(m), tmp])
        g = run_phase(["write", str(m), str(folder / "small.xlsx")])
    print(f"invoice workbook, {n} invoices (one client, one year), file {size_mb:.1f} MB")
    print(
        f"write      : {n / w['seconds']:9,.0f} rows/s ({w['seconds']:.2f} s, max RSS {w['max_rss_mb']:.0f} MB)"
        f"  | limit: plain XlsxWriter constant_memory {n / p['seconds']:9,.0f} rows/s "
        f"({p['seconds']:.2f} s, max RSS {p['max_rss_mb']:.0f} MB)"
        f"  | ratio {p['seconds'] / w['seconds']:.2f} of the limit"
    )
    print(
        f"read-back  : {r['rows'] / r['seconds']:9,.0f} rows/s ({r['seconds']:.2f} s, max RSS {r['max_rss_mb']:.0f} MB)"
        f"  | peer: openpyxl read_only values {q['rows'] / q['seconds']:9,.0f} rows/s ({q['seconds']:.2f} s)"
        f"  | ratio {q['seconds'] / r['seconds']:.2f} of the peer"
    )
    print(
        f"refresh    : {m / f['seconds']:9,.0f} invoices/s for {m} archived invoices ({f['seconds']:.2f} s: "
        f"read-back, FA(3) parse, merge, write; max RSS {f['max_rss_mb']:.0f} MB)"
        f"  | peer: writing the same number of rows alone {m / g['seconds']:9,.0f} rows/s"
        f"  | ratio {g['seconds'] / f['seconds']:.2f}"
    )
    print(
        f"no change  : {f['idle_seconds']:.2f} s to see that the {m}-invoice workbook needs no rebuild"
        f"  | ratio {f['idle_seconds'] / f['seconds']:.3f} of a rebuild"
    )


if __name__ == "__main__":
    main()
