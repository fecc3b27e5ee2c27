"""Benchmark: a client's invoice list out and the decisions back in.

Builds an archive with N purchase invoices (real FA(3) XML) for one client and one month, then
prints, measured in the same run:
- export rows per second (``export_client_list`` without PDF/e-mail: archive read, FA(3) parsing,
  HMACs, the protected workbook and the CSV) against a peer: plain XlsxWriter writing the same rows
  and columns with no protection, validation or integrity codes;
- import rows per second (``import_decisions`` with every row decided: checks, HMAC per row, archive
  transaction; invoice-workbook refresh off) against a peer: openpyxl merely loading the returned
  file and iterating its rows.

Run: ``.venv/bin/python bench/exports.py [--rows 1000]``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path

import xlsxwriter
from openpyxl import load_workbook

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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = OfficeFolder(Path(tmp) / "biuro")
        folder.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro Bench"))
        fill_archive(folder, args.rows)

        start = time.perf_counter()
        result = export_client_list(
            folder, CLIENT.nip, "2026-03", "zakupy", client=CLIENT, pdf=False, email=False
        )
        export_time = time.perf_counter() - start
        assert result.rows == args.rows

        # The client's answer: every row decided (done with openpyxl, not timed).
        wb = load_workbook(result.xlsx)
        ws = wb[LIST_SHEET]
        header = next(r[0].row for r in ws.iter_rows(max_row=20) if any(c.value == "Decyzja" for c in r))
        col = {c.value: c.column for c in ws[header]}
        rows_for_peer = []
        for r in range(header + 1, header + 1 + args.rows):
            ws.cell(r, col["Decyzja"]).value = "Akceptuję" if r % 7 else "Odrzucam"
            rows_for_peer.append([ws.cell(r, c).value for c in range(1, len(HEADERS) + 1)])
        reply = result.xlsx.with_name("odpowiedz.xlsx")
        wb.save(reply)

        start = time.perf_counter()
        peer_write(Path(tmp) / "peer.xlsx", rows_for_peer)
        peer_export = time.perf_counter() - start

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
    print(f"eksport {n} faktur: {n / export_time:.0f} wierszy/s ({export_time:.2f} s)")
    print(
        f"peer XlsxWriter (te same wiersze, bez ochrony i HMAC): {n / peer_export:.0f} wierszy/s ({peer_export:.2f} s)"
    )
    print(f"stosunek eksport / peer: {peer_export / export_time:.2f}")
    print(f"import {n} decyzji: {n / import_time:.0f} wierszy/s ({import_time:.2f} s)")
    print(f"peer openpyxl (samo wczytanie pliku): {n / peer_import:.0f} wierszy/s ({peer_import:.2f} s)")
    print(f"stosunek import / peer: {peer_import / import_time:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
