"""Benchmark: the office workbook with a large register.

Prints, for an office with N clients (default 500):
- ``clients import`` of a CSV with N clients into an empty office (read, validate, merge, refresh all
  nine sheets, atomic save);
- ``update_fetch_results`` for all N clients (what every fetch run ends with);
- the peer measured in the same run: a plain openpyxl ``load_workbook`` + ``save`` of the same
  ``biuro.xlsx`` — the floor any by-header update of an .xlsx pays — and the ratio to it.

Run: ``.venv/bin/python bench/office.py [--clients 500]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.identifiers import nip_check_digit
from ksef_sheets.workflows import FetchResult, import_clients, init_office, update_fetch_results

TODAY = date(2026, 11, 28)


def fake_nips(count: int) -> list[str]:
    nips: list[str] = []
    n = 521000000
    while len(nips) < count:
        n += 1
        digit = nip_check_digit(str(n))
        if digit is not None:
            nips.append(f"{n}{digit}")
    return nips


def best_of(runs: int, action: object) -> float:
    assert callable(action)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        nips = fake_nips(args.clients)
        lines = ["NIP;Nazwa;E-mail;Scenariusz;Wielkość;Forma prawna"]
        for i, nip in enumerate(nips):
            lines.append(
                f"{nip};Firma {i} Sp. z o.o.;biuro{i}@firma.example.pl;{i % 3 + 1};standardowy;sp. z o.o."
            )
        source = root / "klienci.csv"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")

        folder = OfficeFolder.resolve(root / "biuro")
        init_office(folder, office_nip="5275260184", office_name="Biuro Bench", today=TODAY)
        start = time.perf_counter()
        report = import_clients(folder, source, today=TODAY)
        import_s = time.perf_counter() - start
        assert len(report.added) == args.clients and not report.errors

        results = {
            nip: FetchResult(datetime(2026, 11, 28, 6, 0), i % 7, i % 3, None) for i, nip in enumerate(nips)
        }
        fetch_s = best_of(3, lambda: update_fetch_results(folder, results, today=TODAY))

        path = folder.office_workbook

        def plain_round_trip() -> None:
            wb = load_workbook(path)
            wb.save(root / "copy.xlsx")

        peer_s = best_of(3, plain_round_trip)
        size_kb = path.stat().st_size // 1024

    print(f"office workbook, {args.clients} clients ({size_kb} kB):")
    print(f"  clients import (CSV → register, all sheets refreshed): {import_s:.2f} s")
    print(f"  update_fetch_results for all clients:                  {fetch_s:.2f} s")
    print(f"  peer: openpyxl load + save of the same workbook:       {peer_s:.2f} s")
    print(f"  ratio update_fetch_results / peer:                     {fetch_s / peer_s:.2f}x")
    print(f"  ratio import / peer:                                   {import_s / peer_s:.2f}x")


if __name__ == "__main__":
    main()
