"""Benchmark (issue 20): storing fetched invoices in the archive against writing the same bytes plainly.

Corpus: ``--invoices`` FA(3) invoices from the project's generator (``generate_mix``) of one client,
with KSeF-like metadata (``InvoiceMetadata`` as an export package's ``_metadata.json`` carries it,
``invoiceHash`` included), cut into packages of ``--batch`` invoices as an export delivers them.

Prints, measured in the same run (medians of ``--rounds`` rounds, each into a fresh folder):
- floor: ``open(path, "wb").write(xml)`` of every invoice into the archive's own layout
  (``<NIP>/<YYYY>/<MM>/<number>.xml``, folders made once), nothing flushed to disk;
- ``Archive.add_invoices`` per package, as the fetch calls it (the fetch hands over the hash the KSeF
  client already checked against ``_metadata.json``): files written durably, metadata log, index
  rows and checkpoint in one transaction;
- the same packages stored a second time (a window fetched again: everything already archived);
- wall and this process's CPU time, invoices per second, CPU milliseconds per 1,000 invoices,
  SHA-256 computations per invoice, and the ratios to the floor (time / floor time).

Run: ``.venv/bin/python bench/archive_store.py [--invoices 5000] [--batch 1000] [--rounds 3]
[--flush syncfs|fsync]`` (``--flush fsync``: every file and folder fsynced, the way elsewhere than
Linux).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import ksef_sheets.sync.archive_files as archive_files
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_CLIENTS, DEMO_OFFICE_NAME, DEMO_OFFICE_NIP
from ksef_sheets.fa3 import Party, generate_mix
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.ksef.crypto import sha256_b64
from ksef_sheets.sync import Archive
from ksef_sheets.sync.invoice_store import IncomingInvoice

Package = list[tuple[str, bytes, dict[str, Any]]]


def corpus(count: int, batch: int) -> tuple[str, list[Package]]:
    """One client's invoices with KSeF-like metadata, cut into export packages."""
    seller = Party(name=DEMO_CLIENTS[0].name, nip=DEMO_CLIENTS[0].nip)
    buyers = [Party(name=c.name, nip=c.nip) for c in DEMO_CLIENTS[1:]]
    xmls = generate_mix(random.Random(2026), seller, buyers, date(2026, 2, 1), date(2026, 11, 30), count)
    start = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    step = (datetime(2026, 11, 30, tzinfo=UTC) - start) / max(1, count)
    packages: list[Package] = []
    for i, xml in enumerate(xmls):
        moment = start + step * i
        number = make_ksef_number(DEMO_CLIENTS[0].nip, moment.date(), f"{i:012X}")
        buyer = buyers[i % len(buyers)]
        meta: dict[str, Any] = {
            "ksefNumber": number,
            "invoiceNumber": f"FV/{i}/2026",
            "issueDate": moment.date().isoformat(),
            "invoicingDate": moment.isoformat(),
            "acquisitionDate": moment.isoformat(),
            "permanentStorageDate": (moment + timedelta(seconds=2)).isoformat(),
            "seller": {"nip": seller.nip, "name": seller.name},
            "buyer": {"identifier": {"type": "Nip", "value": buyer.nip}, "name": buyer.name},
            "netAmount": 1000.0 + i,
            "grossAmount": 1230.0 + i,
            "vatAmount": 230.0,
            "currency": "PLN",
            "invoicingMode": "Online",
            "invoiceType": "Vat",
            "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
            "isSelfInvoicing": False,
            "hasAttachment": False,
            "invoiceHash": sha256_b64(xml),
        }
        if i % batch == 0:
            packages.append([])
        packages[-1].append((number, xml, meta))
    return DEMO_CLIENTS[0].nip, packages


def incoming(package: Package) -> list[IncomingInvoice]:
    """The package as the fetch hands it to the archive (with the hash the client checked, if supported)."""
    fields = {f.name for f in dataclasses.fields(IncomingInvoice)}
    if "sha256" in fields:
        return [IncomingInvoice(n, x, m, sha256=m["invoiceHash"]) for n, x, m in package]
    return [IncomingInvoice(n, x, m) for n, x, m in package]


class HashCounter:
    """Counts ``hashlib.sha256`` calls made while active (every SHA-256 in the project goes through it)."""

    def __init__(self) -> None:
        self.calls = 0
        self._real = hashlib.sha256

    def __enter__(self) -> HashCounter:
        real = self._real

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        hashlib.sha256 = counted
        return self

    def __exit__(self, *exc: object) -> None:
        hashlib.sha256 = self._real


def timed(action: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def plain_write(root: Path, nip: str, packages: list[Package]) -> None:
    made: set[Path] = set()
    for package in packages:
        for number, xml, _meta in package:
            stamp = number.split("-")[1]
            folder = root / nip / stamp[:4] / stamp[4:6]
            if folder not in made:
                folder.mkdir(parents=True, exist_ok=True)
                made.add(folder)
            with open(folder / f"{number}.xml", "wb") as fh:
                fh.write(xml)


def new_office(root: Path, nip: str) -> OfficeFolder:
    folder = OfficeFolder(root)
    folder.save_config(OfficeConfig(office_nip=DEMO_OFFICE_NIP, office_name=DEMO_OFFICE_NAME, clients=[nip]))
    Archive.open(folder).close()
    return folder


def store_all(folder: OfficeFolder, nip: str, batches: list[list[IncomingInvoice]], expect_new: bool) -> None:
    with Archive.open(folder) as archive:
        for items in batches:
            checkpoint = datetime.fromisoformat(items[-1].metadata["permanentStorageDate"])
            result = archive.add_invoices(nip, "Subject1", items, checkpoint=checkpoint)
            assert not result.refused, result.refused[:1]
            assert len(result.new if expect_new else result.existing) == len(items)


def one_round(
    nip: str, packages: list[Package], results: dict[str, list[tuple[float, float]]], hashes: dict[str, int]
) -> None:
    """The floor, the first store and the second store, each into a fresh folder of one temp root."""
    root = Path(tempfile.mkdtemp(prefix="bench-archive-store-"))
    try:
        results["floor"].append(timed(lambda: plain_write(root / "plain", nip, packages)))
        folder = new_office(root / "biuro", nip)
        batches = [incoming(p) for p in packages]
        with HashCounter() as counter:
            results["store"].append(timed(lambda: store_all(folder, nip, batches, True)))
        hashes["store"] = counter.calls
        with HashCounter() as counter:
            results["again"].append(timed(lambda: store_all(folder, nip, batches, False)))
        hashes["again"] = counter.calls
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--flush",
        choices=["syncfs", "fsync"],
        default=None,
        help="how a batch is flushed to disk (default: the archive's own choice for this system)",
    )
    args = parser.parse_args(argv)
    if args.flush:
        archive_files.FLUSH = args.flush
    nip, packages = corpus(args.invoices, args.batch)
    n = args.invoices
    size = sum(len(x) for p in packages for _n, x, _m in p)
    print(
        f"corpus: {n} generated FA(3) invoices of one client, {size / 1e6:.1f} MB, packages of {args.batch}; "
        f"flush: {archive_files.FLUSH}"
    )
    results: dict[str, list[tuple[float, float]]] = {"floor": [], "store": [], "again": []}
    hashes: dict[str, int] = {}
    for round_no in range(args.rounds):
        one_round(nip, packages, results, hashes)
        print(f"round {round_no + 1} done", flush=True)
    floor_wall = statistics.median(w for w, _c in results["floor"])
    floor_cpu = statistics.median(c for _w, c in results["floor"])
    print(
        f"{'':40} {'wall s':>7} {'CPU s':>7} {'inv/s':>8} {'CPU ms/1000':>11} "
        f"{'SHA/inv':>7} {'wall ratio':>10} {'CPU ratio':>9}"
    )
    labels = {
        "floor": "floor: plain open().write, no flush",
        "store": "Archive.add_invoices (new invoices)",
        "again": "Archive.add_invoices (all archived)",
    }
    for key, label in labels.items():
        wall = statistics.median(w for w, _c in results[key])
        cpu = statistics.median(c for _w, c in results[key])
        sha = f"{hashes[key] / n:7.2f}" if key in hashes else f"{'-':>7}"
        print(
            f"{label:40} {wall:7.3f} {cpu:7.3f} {n / wall:8.0f} {cpu / n * 1e6:11.1f} "
            f"{sha} {wall / floor_wall:10.2f} {cpu / floor_cpu:9.2f}"
        )
    print("ratio = time / the floor's time in the same run (medians); CPU = this process's CPU time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
