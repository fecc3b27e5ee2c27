"""Benchmark: a client's invoice list out and the decisions back in.

Builds an archive with N purchase invoices (real FA(3) XML) for one client and one month, then
prints, measured in the same run:
- export rows per second (``export_client_list`` without PDF/e-mail: archive read, FA(3) parsing,
  HMACs, the protected workbook and the CSV) against a peer: plain XlsxWriter writing the same rows
  and columns with no protection, validation or integrity codes;
- import rows per second (``import_decisions`` with every row decided: checks, HMAC per row, archive
  transaction; invoice-workbook refresh off) against a peer: openpyxl merely loading the returned
  file and iterating its rows.

The export and its peer run ``--repeat`` times, interleaved, and the medians are printed (the first
export also pays for importing the document modules); the load average is printed with them, as
the machine is shared. Run: ``.venv/bin/python bench/exports.py [--rows 1000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

import xlsxwriter
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.fa3 import Party, generate_invoice, parse_invoice
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.office.model import Client
from ksef_sheets.sheets.export_format import HEADERS, LIST_SHEET
from ksef_sheets.sync.archive import Archive, IncomingInvoice, sha256_b64
from ksef_sheets.workflows import export_client_list, import_decisions

CLIENT = Client(nip="5210537039", name="Nowak IT Consulting Jan Nowak", scenario=2, email="jan@example.pl")
SELLERS = [
    Party(name="ABC AGD sp. z o.o.", nip="7798676685", address1="ul. Kwiatowa 1"),
    Party(name="Trans-Kowalscy Sp. j.", nip="8948836028", address1="ul. Drogowa 3"),
]


def fill_archive(folder: OfficeFolder, count: int) -> None:
    buyer = Party(name=CLIENT.name, nip=CLIENT.nip, address1="ul. Prosta 1")
    batch: list[IncomingInvoice] = []
    rng = random.Random(7)
    for i in range(count):
        seller = SELLERS[i % 2]
        day = date(2026, 3, 1 + i % 28)
        xml = generate_invoice(rng, seller=seller, buyer=buyer, issue_date=day, number=f"FV/{i}/2026")
        inv = parse_invoice(xml)
        number = make_ksef_number(seller.nip or "", day, f"{i + 1:012X}")
        when = datetime.combine(day, dtime(9), tzinfo=UTC).isoformat()
        meta = {
            "ksefNumber": number,
            "invoiceNumber": inv.number,
            "issueDate": day.isoformat(),
            "invoicingDate": when,
            "permanentStorageDate": when,
            "seller": {"nip": seller.nip, "name": seller.name},
            "grossAmount": str(inv.total),
            "currency": inv.currency,
            "invoiceHash": sha256_b64(xml),
        }
        batch.append(IncomingInvoice(number, xml, meta))
    with Archive.open(folder) as archive:
        result = archive.add_invoices(CLIENT.nip, "Subject2", batch)
        assert not result.refused


def peer_write(path: Path, rows: list[list[object]]) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    ws = workbook.add_worksheet(LIST_SHEET)
    for c, h in enumerate(HEADERS):
        ws.write_string(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            elif value is not None:
                ws.write_string(r, c, str(value))
    workbook.close()


def _list_rows(path: Path, count: int, wb: Workbook | None = None) -> list[tuple[list[object], Cell]]:
    """The list's rows of an exported workbook: each row's values and its Decyzja cell."""
    ws = (wb or load_workbook(path))[LIST_SHEET]
    header = next(r[0].row for r in ws.iter_rows(max_row=20) if any(c.value == "Decyzja" for c in r))
    col = {c.value: c.column for c in ws[header]}
    return [
        ([ws.cell(r, c).value for c in range(1, len(HEADERS) + 1)], ws.cell(r, col["Decyzja"]))
        for r in range(header + 1, header + 1 + count)
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = OfficeFolder(Path(tmp) / "biuro")
        folder.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro Bench"))
        fill_archive(folder, args.rows)

        # One untimed export first: its one-off costs (importing the document modules, creating the
        # key) stay out of the figures, and the peer's rows are read back from it.
        first = export_client_list(
            folder, CLIENT.nip, "2026-03", "zakupy", client=CLIENT, pdf=False, email=False
        )
        rows_for_peer = [row for row, _ in _list_rows(first.xlsx, args.rows)]
        load = os.getloadavg()
        export_times: list[float] = []
        peer_times: list[float] = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            result = export_client_list(
                folder, CLIENT.nip, "2026-03", "zakupy", client=CLIENT, pdf=False, email=False
            )
            export_times.append(time.perf_counter() - start)
            assert result.rows == args.rows
            start = time.perf_counter()
            peer_write(Path(tmp) / "peer.xlsx", rows_for_peer)
            peer_times.append(time.perf_counter() - start)
        export_time = statistics.median(export_times)
        peer_export = statistics.median(peer_times)
        ratio = statistics.median(p / e for p, e in zip(peer_times, export_times, strict=True))

        # The client's answer to the last export: every row decided (done with openpyxl, not timed).
        wb = load_workbook(result.xlsx)
        for _, decision in _list_rows(result.xlsx, args.rows, wb):
            decision.value = "Akceptuję" if decision.row % 7 else "Odrzucam"
        reply = result.xlsx.with_name("odpowiedz.xlsx")
        wb.save(reply)

        start = time.perf_counter()
        report = import_decisions(folder, reply, refresh_workbook=False)
        import_time = time.perf_counter() - start
        assert len(report.applied) == args.rows, report.summary_lines()[:3]

        start = time.perf_counter()
        peer_wb = load_workbook(reply)
        read = sum(1 for _ in peer_wb[LIST_SHEET].iter_rows(values_only=True))
        peer_import = time.perf_counter() - start
        assert read >= args.rows

    n = args.rows
    runs = len(export_times)
    print(f"obciążenie maszyny (load average 1/5/15 min): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"eksport {n} faktur (mediana z {runs}): {n / export_time:.0f} wierszy/s ({export_time:.2f} s)")
    print(
        f"peer XlsxWriter (te same wiersze, bez ochrony i HMAC, mediana z {runs}): "
        f"{n / peer_export:.0f} wierszy/s ({peer_export:.2f} s)"
    )
    print(f"stosunek eksport / peer (mediana stosunków w tych samych przebiegach): {ratio:.2f}")
    print(f"import {n} decyzji: {n / import_time:.0f} wierszy/s ({import_time:.2f} s)")
    print(f"peer openpyxl (samo wczytanie pliku): {n / peer_import:.0f} wierszy/s ({peer_import:.2f} s)")
    print(f"stosunek import / peer: {peer_import / import_time:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
