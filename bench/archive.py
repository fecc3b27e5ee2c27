"""Benchmark: ``archive rebuild`` of 40,000 invoices against parsing the same files alone.

Corpus: ``--invoices`` FA(3) invoices from the project's generator (``generate_mix``: several
rates, EUR, corrections, advance/settlement, MPP), issued by four demo clients, stored through
``Archive.add_invoices`` in batches as a fetch stores them (files in ``archiwum/``, the index, the
per-client ``metadane-ksef.jsonl``), with KSeF-like metadata (numbers, hashes, permanent-storage
dates).

Prints, measured in the same run on the same files (wall time and this process's CPU time):
- floor: reading every file and parsing it with the project's safe XML parser (``parse_xml``);
- ``archive rebuild`` as the office runs it (the metadata log present, the index lost: a 0-byte
  ``ksef.sqlite``): scan, SHA-256 of every file, new index, checkpoints, verify, swap, audit;
- ``archive rebuild`` with nothing but the XML files (no metadata log, no old index): every file
  parsed for its metadata — the worst case;
- each as invoices per second and as a ratio to the floor (rebuild time / parse time).

Run: ``.venv/bin/python bench/archive.py [--invoices 40000] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_CLIENTS, DEMO_OFFICE_NAME, DEMO_OFFICE_NIP
from ksef_sheets.fa3 import Party, generate_mix
from ksef_sheets.fa3.safe_xml import parse_xml
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.sync.archive import Archive, IncomingInvoice, sha256_b64
from ksef_sheets.sync.backup import backup_archive
from ksef_sheets.workflows import rebuild_office_archive

BATCH = 1000


def build_office(root: Path, count: int) -> tuple[OfficeFolder, int]:
    """An office whose archive holds ``count`` generated invoices; returns it and the bytes stored."""
    folder = OfficeFolder(root / "biuro")
    sellers = [Party(name=c.name, nip=c.nip) for c in DEMO_CLIENTS[:4]]
    everyone = [Party(name=c.name, nip=c.nip) for c in DEMO_CLIENTS]
    folder.save_config(
        OfficeConfig(
            office_nip=DEMO_OFFICE_NIP,
            office_name=DEMO_OFFICE_NAME,
            clients=[c.nip for c in DEMO_CLIENTS[:4]],
        )
    )
    rng = random.Random(2026)
    per_seller = count // len(sellers)
    stored = 0
    start = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    with Archive.open(folder) as archive:
        for s_index, seller in enumerate(sellers):
            seller_nip = DEMO_CLIENTS[s_index].nip  # the seller's (Party.nip is optional)
            xmls = generate_mix(rng, seller, everyone, date(2026, 2, 1), date(2026, 11, 30), per_seller)
            step = (datetime(2026, 11, 30, tzinfo=UTC) - start) / max(1, len(xmls))
            batch: list[IncomingInvoice] = []
            for i, xml in enumerate(xmls):
                moment = start + step * i + timedelta(seconds=s_index)
                number = make_ksef_number(seller_nip, moment.date(), f"{s_index:02X}{i:010X}")
                meta: dict[str, Any] = {
                    "ksefNumber": number,
                    "invoiceHash": sha256_b64(xml),
                    "invoicingDate": moment.isoformat(),
                    "acquisitionDate": moment.isoformat(),
                    "permanentStorageDate": (moment + timedelta(seconds=2)).isoformat(),
                    "seller": {"nip": seller.nip, "name": seller.name},
                    "currency": "PLN",
                }
                batch.append(IncomingInvoice(number, xml, meta))
                stored += len(xml)
                if len(batch) == BATCH or i == len(xmls) - 1:
                    checkpoint = moment + timedelta(seconds=3)
                    result = archive.add_invoices(seller_nip, "Subject1", batch, checkpoint=checkpoint)
                    assert not result.refused, result.refused[:1]
                    batch = []
    return folder, stored


def timed(action: Callable[[], object]) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def parse_all(folder: OfficeFolder) -> int:
    count = 0
    for path in folder.archive_dir.rglob("*.xml"):
        parse_xml(path.read_bytes(), source=str(path))
        count += 1
    return count


def lose_index(folder: OfficeFolder) -> None:
    """D1 as reported: the index emptied, its WAL files gone."""
    folder.database.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        folder.database.with_name(folder.database.name + suffix).unlink(missing_ok=True)
    for aside in folder.root.glob("ksef.sqlite.przed-odbudowa-*"):
        aside.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--invoices", type=int, default=40_000)
    parser.add_argument("--keep", type=Path, default=None, help="build the office here and keep it")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-archive-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        folder, stored = build_office(root, args.invoices)
        print(
            f"corpus: {args.invoices} generated FA(3) invoices, {stored / 1e6:.1f} MB, "
            f"stored in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        # Warm the page cache alike for every measurement.
        parse_wall, parse_cpu, parsed = timed(lambda: parse_all(folder))
        parse_wall, parse_cpu, parsed = timed(lambda: parse_all(folder))
        assert parsed == args.invoices, parsed
        lose_index(folder)
        log_wall, log_cpu, report = timed(lambda: rebuild_office_archive(folder))
        assert (
            getattr(report, "invoices", 0) == args.invoices
            and getattr(report, "from_log", 0) == args.invoices
        )
        for client_dir in folder.archive_dir.iterdir():
            (client_dir / "metadane-ksef.jsonl").unlink()
        lose_index(folder)
        xml_wall, xml_cpu, report = timed(lambda: rebuild_office_archive(folder))
        assert (
            getattr(report, "invoices", 0) == args.invoices
            and getattr(report, "from_xml", 0) == args.invoices
        )
        n = args.invoices
        # What every command pays for the self-check, and every fetch/send for its copy.
        open_wall, open_cpu, _ = timed(lambda: Archive.open(folder).close())
        backup_wall, backup_cpu, _ = timed(lambda: backup_archive(folder))
        print(f"{'':44} {'wall s':>8} {'CPU s':>8} {'inv/s':>9} {'ratio':>7} {'CPU ratio':>9}")
        rows = [
            ("parse alone (read + safe parse_xml)", parse_wall, parse_cpu),
            ("archive rebuild (metadata log, index lost)", log_wall, log_cpu),
            ("archive rebuild (XML files only)", xml_wall, xml_cpu),
        ]
        for label, wall, cpu in rows:
            print(
                f"{label:44} {wall:8.2f} {cpu:8.2f} {n / wall:9.0f} {wall / parse_wall:7.2f} {cpu / parse_cpu:9.2f}"
            )
        print("ratio = time / time of parsing the same files alone (wall; CPU of this process)")
        size = folder.database.stat().st_size / 1e6
        print(
            f"Archive.open with quick_check ({size:.0f} MB index): {open_wall:.2f} s wall, {open_cpu:.2f} s CPU"
        )
        print(
            f"backup into kopie/ (online backup + check of the copy): {backup_wall:.2f} s wall, {backup_cpu:.2f} s CPU"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
