"""Benchmark: `jpk check` of a 10,000-row JPK_V7M(3) against its archive, and its floor.

Set-up (not timed): an office folder in a temporary directory with the demo register, and one
client's month in the archive — ``--rows`` invoices, half sales and half purchases, generated FA(3)
files; the JPK file made from that archive (as the accounting program would).

Timed (wall clock, best of ``--repeat``; the work is single-threaded):
- floor: ``lxml`` parse + XSD validation of the same JPK file (the compiled schema reused);
- ours: the whole ``check_jpk`` — safe parse, XSD, reading the register and the archive index,
  parsing the month's invoices for their amounts per rate, reconciling, the audit entry.
Prints rows per second of each, the ratio, and the split of our time.

Run: ``.venv/bin/python bench/jpk.py [--rows 10000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path

from lxml import etree

from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import demo_office_data
from ksef_sheets.fa3 import Party, generate_invoice, parse_invoice
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.jpk import build_jpk, read_jpk
from ksef_sheets.jpk.schema import V7M_NS, jpk_schema
from ksef_sheets.sync.archive import Archive, IncomingInvoice, sha256_b64
from ksef_sheets.workflows import init_office
from ksef_sheets.workflows.jpk import check_jpk, evidence_from_archive

CLIENT = Party(name="Nowak IT Consulting Jan Nowak", nip="5210537039", address1="ul. Prosta 1, Warszawa")
PARTNERS = [
    Party(name="ABC AGD sp. z o.o.", nip="7798676685", address1="ul. Kwiatowa 1, Łódź"),
    Party(name="Trans-Kowalscy Sp. j.", nip="8948836028", address1="ul. Drogowa 3, Poznań"),
    Party(name="Zielony Serwis sp. z o.o.", nip="5838213566", address1="ul. Polna 2, Gdańsk"),
]


def fill_archive(folder: OfficeFolder, rows: int) -> None:
    rng = random.Random(2026)
    with Archive.open(folder) as archive:
        batch: dict[str, list[IncomingInvoice]] = {"Subject1": [], "Subject2": []}
        for i in range(rows):
            sale = i % 2 == 0
            partner = PARTNERS[i % 3]
            seller, buyer = (CLIENT, partner) if sale else (partner, CLIENT)
            day = date(2026, 3, 1 + i % 28)
            number = f"{'S' if sale else 'Z'}/{i}/03/2026"
            xml = generate_invoice(rng, seller=seller, buyer=buyer, issue_date=day, number=number)
            invoice = parse_invoice(xml)
            ksef = make_ksef_number(seller.nip or "", day, f"{i:012X}")
            when = datetime.combine(day, clock(10, 0), tzinfo=UTC).isoformat()
            meta = {
                "ksefNumber": ksef, "invoiceNumber": number, "issueDate": day.isoformat(),
                "invoicingDate": when, "acquisitionDate": when, "permanentStorageDate": when,
                "seller": {"nip": seller.nip, "name": seller.name},
                "buyer": {"identifier": {"type": "Nip", "value": buyer.nip}, "name": buyer.name},
                "netAmount": str(invoice.net_total), "vatAmount": str(invoice.vat_total),
                "grossAmount": str(invoice.total), "currency": invoice.currency, "invoicingMode": "Online",
                "invoiceType": "Vat", "invoiceHash": sha256_b64(xml),
            }  # fmt: skip
            subject = "Subject1" if sale else "Subject2"
            batch[subject].append(IncomingInvoice(ksef, xml, meta))
            if len(batch[subject]) >= 500:
                archive.add_invoices(CLIENT.nip or "", subject, batch[subject])
                batch[subject] = []
        for subject, items in batch.items():
            if items:
                archive.add_invoices(CLIENT.nip or "", subject, items)


def best(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = OfficeFolder(Path(tmp) / "biuro")
        init_office(folder, demo=demo_office_data())
        started = time.perf_counter()
        fill_archive(folder, args.rows)
        sales, purchases = evidence_from_archive(folder, CLIENT.nip or "", 2026, 3)
        path = Path(tmp) / "jpk.xml"
        path.write_bytes(
            build_jpk(
                nip=CLIENT.nip or "",
                name=CLIENT.name or "",
                year=2026,
                month=3,
                sales=sales,
                purchases=purchases,
            )
        )
        print(
            f"przygotowanie: {args.rows} faktur w archiwum, JPK {path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.0f} s"
        )
        data = path.read_bytes()
        schema = jpk_schema(V7M_NS)
        xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

        def floor() -> None:
            assert schema.validate(etree.fromstring(data, xml_parser))

        (result,) = check_jpk(folder, [path])  # warm-up, and the result must be clean
        assert not result.result.findings, result.result.findings[:3]
        floor_s = best(floor, args.repeat)
        read_s = best(lambda: read_jpk(data, source="jpk.xml"), args.repeat)
        ours_s = best(lambda: check_jpk(folder, [path]), args.repeat)
        rows = len(sales) + len(purchases)
        print(f"podłoga (lxml parse + XSD tego pliku): {rows / floor_s:10,.0f} wierszy/s ({floor_s:.2f} s)")
        print(
            f"read_jpk (bezpieczny parse + XSD + wiersze): {rows / read_s:10,.0f} wierszy/s ({read_s:.2f} s)"
        )
        print(
            f"jpk check (całość, z archiwum i fakturami): {rows / ours_s:10,.0f} wierszy/s ({ours_s:.2f} s)"
        )
        print(
            f"stosunek jpk check / podłoga: {floor_s / ours_s:.2f}; read_jpk / podłoga: {floor_s / read_s:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
