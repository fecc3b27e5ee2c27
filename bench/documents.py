"""Benchmark: documents for 100 clients.

Prints
- annexes per second (docxtpl render + atomic save, ``generate_documents``) for 100 clients, and
  the peer measured in the same run: a plain python-docx open + save of the same template, with
  their ratio (how much the templating costs over merely copying the document);
- the PDF conversion rate (documents per second, one LibreOffice call for the whole batch) when
  LibreOffice is installed.

Run: ``.venv/bin/python bench/documents.py [--clients 100] [--pdf-clients 20]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import docx

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.documents import convert_to_pdf, find_soffice, generate_documents, resolve_kinds
from ksef_sheets.documents.render import PACKAGE_TEMPLATES
from ksef_sheets.identifiers import nip_check_digit
from ksef_sheets.office.model import Client


def fake_nips(count: int) -> list[str]:
    nips: list[str] = []
    n = 521000000
    while len(nips) < count:
        n += 1
        digit = nip_check_digit(str(n))
        if digit is not None:
            nips.append(f"{n}{digit}")
    return nips


def clients(count: int) -> list[Client]:
    return [
        Client(
            nip=nip,
            name=f"Klient testowy {i} Sp. z o.o.",
            legal_form="sp. z o.o.",
            address=f"ul. Testowa {i}, 00-001 Warszawa",
            email=f"klient{i}@example.pl",
            scenario=1 + i % 3,
            ksef_obligation_date=date(2026, 4, 1),
            ksef_fee=Decimal("100"),
        )
        for i, nip in enumerate(fake_nips(count))
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--pdf-clients", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = OfficeFolder(Path(tmp) / "biuro")
        folder.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro Bench"))
        register = clients(args.clients)

        # Peer: python-docx open + save of the same template, the same number of times.
        template = PACKAGE_TEMPLATES / "aneks.docx"
        peer_dir = Path(tmp) / "peer"
        peer_dir.mkdir()
        start = time.perf_counter()
        for i in range(args.clients):
            docx.Document(str(template)).save(str(peer_dir / f"{i}.docx"))
        peer = time.perf_counter() - start

        start = time.perf_counter()
        report = generate_documents(folder, resolve_kinds(["aneks"]), clients=register)
        ours = time.perf_counter() - start
        assert not report.problems and len(report.generated) == args.clients

        ours_rate, peer_rate = args.clients / ours, args.clients / peer
        print(f"aneksy (docxtpl, {args.clients} klientów): {ours_rate:.1f} dok./s ({ours:.2f} s)")
        print(f"peer python-docx open+save tego samego szablonu: {peer_rate:.1f} dok./s ({peer:.2f} s)")
        print(f"stosunek (nasze / peer): {ours_rate / peer_rate:.2f}")

        soffice = find_soffice()
        if soffice is None:
            print("PDF: LibreOffice nie jest zainstalowany — pominięto")
            return 0
        files = [g.path for g in report.generated[: args.pdf_clients]]
        start = time.perf_counter()
        convert_to_pdf(files[:1])
        single = time.perf_counter() - start
        start = time.perf_counter()
        convert_to_pdf(files)
        batch = time.perf_counter() - start
        print(f"PDF jednego dokumentu (start LibreOffice + konwersja): {single:.2f} s")
        print(
            f"PDF {len(files)} dokumentów jednym wywołaniem: {len(files) / batch:.2f} dok./s ({batch:.2f} s)"
        )
        print(
            f"stosunek do osobnych wywołań (szacunek {len(files)} × {single:.2f} s): "
            f"{len(files) * single / batch:.1f}× szybciej"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
