"""Benchmark: invoice PDFs (A4 visualisation with the KOD I QR code) against the PDF library's floor.

Corpus: the official FA(3) samples plus generated invoices (``generate_mix``), cycled to ``--count``
invoices (1,000 by default, as issue 19 asks).

Prints, measured in the same run (CPU time of this process, best of ``--repeat`` passes, passes
interleaved so that a change in the machine's load touches both figures alike):
- floor: reportlab drawing one A4 page of plain text per invoice with the same (embedded TTF) fonts —
  as many text lines as our visualisation of that invoice prints — and a page number; no parsing, no
  tables, no QR code;
- ours: ``parse_invoice`` + KOD I link + ``invoice_pdf`` (the whole visualisation), per invoice;
- invoices per second of each, the ratio ours/floor, and whether the bars (ratio >= 0.5; > 20
  invoices/s) are met.

Run: ``.venv/bin/python bench/pdf.py [--count 1000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import re
import sys
import time
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from ksef_sheets.demo_data import DEMO_CLIENTS
from ksef_sheets.documents import QrCode, invoice_pdf
from ksef_sheets.documents.invoice_pdf import _fonts
from ksef_sheets.fa3 import Party, generate_mix, parse_invoice
from ksef_sheets.ksef import kod_i_url, qr_base_for

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ksef" / "fa3_samples"
QR_BASE = qr_base_for("test")


def corpus(count: int) -> list[bytes]:
    data = [p.read_bytes() for p in sorted(SAMPLES.glob("*.xml"))]
    clients = [Party(name=c.name, nip=c.nip) for c in DEMO_CLIENTS]
    rng = random.Random(2026)
    per_seller = max(1, 200 // len(clients))
    for seller in clients:
        data += generate_mix(rng, seller, clients, date(2026, 4, 1), date(2026, 6, 30), per_seller)
    return [data[i % len(data)] for i in range(count)]


def ours(xml: bytes) -> bytes:
    invoice = parse_invoice(xml)
    assert invoice.seller.nip and invoice.issue_date
    link = kod_i_url(xml, seller_nip=invoice.seller.nip, issue_date=invoice.issue_date, qr_base=QR_BASE)
    return invoice_pdf(invoice, qr_codes=[QrCode(link, "OFFLINE", "KOD I")])


def floor_for(lines_by_xml: dict[bytes, int]) -> Callable[[bytes], bytes]:
    def floor(xml: bytes) -> bytes:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4)
        canvas.setFont("KsefSans", 8.5)
        y = A4[1] - 40
        for n in range(lines_by_xml[xml]):
            canvas.drawString(40, y, f"Wiersz {n} tekstu faktury — zażółć gęślą jaźń 1 234,56 zł")
            y -= 10.5
            if y < 40:
                canvas.showPage()
                canvas.setFont("KsefSans", 8.5)
                y = A4[1] - 40
        canvas.drawRightString(A4[0] - 40, 20, "strona 1")
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    return floor


def text_lines(pdf: bytes) -> int:
    """Lines of text our PDF prints: its content streams' text-show operators."""
    count = 0
    for body in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL):
        with contextlib.suppress(zlib.error):
            body = zlib.decompress(body)
        count += len(re.findall(rb"\) ?Tj|> ?Tj|\] ?TJ", body))
    return max(count, 1)


def rates(funcs: list[Callable[[bytes], object]], items: list[bytes], repeat: int) -> list[float]:
    best = [float("inf")] * len(funcs)
    for _ in range(repeat):
        for i, func in enumerate(funcs):
            start = time.process_time()
            for item in items:
                func(item)
            best[i] = min(best[i], time.process_time() - start)
    return [len(items) / b for b in best]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    _fonts()
    items = corpus(args.count)
    distinct = set(items)
    lines = {xml: text_lines(ours(xml)) for xml in distinct}
    floor_rate, our_rate = rates([floor_for(lines), ours], items, args.repeat)
    ratio = our_rate / floor_rate
    avg_lines = sum(lines[x] for x in items) / len(items)
    print(f"invoices: {len(items)} ({len(distinct)} distinct), text lines per invoice: {avg_lines:.0f}")
    print(f"floor (reportlab, plain text page, same fonts): {floor_rate:,.1f} invoices/s")
    print(f"ours (parse + KOD I + visualisation with QR):   {our_rate:,.1f} invoices/s")
    print(
        f"ratio ours/floor: {ratio:.2f} (bar 0.50: {'met' if ratio >= 0.5 else 'NOT met'}); "
        f"bar 20 invoices/s: {'met' if our_rate > 20 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
