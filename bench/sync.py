"""Benchmark: the fetch (``ksef_sheets.sync``) against the KSeF emulator over loopback HTTP.

Prints, every figure measured in this run:

1. Initial sync of N clients × M invoices (default 20 × 2,000 = 40,000), limits off, the fetch in
   its own process: invoices per second end to end (login, exports, polling, part downloads,
   decrypt, unzip, hash checks, archive files + SQLite index), against the floor measured on the
   same packages — decrypt + unzip + FA(3) parse alone — with the ratio; HTTP requests per 1,000
   invoices; the fetch process's peak memory (max RSS) against an idle process that imported the
   same modules, and per 1,000 invoices.
2. An office day under the ``prod`` limits with the emulator's clock sped up: K clients (default
   50) are synced once, then new invoices arrive and the office fetches incrementally every
   emulated hour for a working day; prints the emulated minutes each incremental sync of all K
   clients takes (ratio to the one-hour interval) and the number of HTTP 429 answers (target 0).

Run: ``.venv/bin/python bench/sync.py [--clients 20] [--per-client 2000] [--day-clients 50]``
(``--quick`` for a small smoke run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ksef_sheets.config import OfficeConfig, OfficeFolder  # noqa: E402
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP, demo_seed_office  # noqa: E402
from ksef_sheets.emulator import Emulator, run_emulator  # noqa: E402
from ksef_sheets.emulator.invoices import NewInvoice  # noqa: E402
from ksef_sheets.emulator.seed import random_nip, seed  # noqa: E402
from ksef_sheets.fa3 import Party, generate_mix, parse_invoice  # noqa: E402
from ksef_sheets.ksef import KsefClient, TokenCredential  # noqa: E402
from ksef_sheets.ksef.package import open_zip_package  # noqa: E402
from ksef_sheets.sync.planner import next_window  # noqa: E402
from ksef_sheets.sync.runtime import EmulatedClock  # noqa: E402
from ksef_sheets.workflows import fetch_invoices  # noqa: E402

FETCH_FROM = "2026-01-15"


def office_for(root: Path, clients: list[Any]) -> OfficeFolder:
    folder = OfficeFolder(root)
    folder.save_config(
        OfficeConfig(
            office_nip=DEMO_OFFICE_NIP,
            office_name=DEMO_OFFICE_NAME,
            clients=[c.nip for c in clients],
            fetch_from=FETCH_FROM,
            fetch_concurrency=4,
        )
    )
    (root / "tokens.json").write_text(json.dumps({c.nip: c.token for c in clients}))
    return folder


def tokens_of(folder: OfficeFolder) -> Any:
    tokens = json.loads((folder.root / "tokens.json").read_text())
    return lambda nip: TokenCredential(nip, tokens[nip])


# --------------------------------------------------------------------------------------------
# 1. the initial sync in a child process (its own peak memory)


def child(folder_path: str, base_url: str, idle: bool) -> None:
    """Run in a fresh process: the fetch (or nothing, for the idle baseline); print JSON."""
    folder = OfficeFolder(Path(folder_path))
    started = time.perf_counter()
    report = None
    if not idle:
        report = asyncio.run(
            fetch_invoices(folder, base_url=base_url, credentials=tokens_of(folder), update_register=False)
        )
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "new": report.new if report else 0,
                "requests": report.requests if report else 0,
                "http_429": report.rate_limited if report else 0,
                "problems": report.problems if report else [],
                "max_rss_kib": peak_rss_kib(),
            }
        )
    )


def peak_rss_kib() -> int:
    """This process's own peak RSS. ``ru_maxrss`` survives ``exec`` on Linux (a child spawned by a
    big parent would report the parent's peak), so prefer the per-process ``VmHWM``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(folder: OfficeFolder, base_url: str, *, idle: bool = False) -> dict[str, Any]:
    args = [sys.executable, __file__, "--child", str(folder.root), base_url]
    if idle:
        args.append("--idle")
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


async def floor_packages(base_url: str, clients: list[Any], now: Any) -> tuple[float, int]:
    """Decrypt + unzip + parse the same packages the sync fetched (downloads not timed)."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    start = datetime.combine(date.fromisoformat(FETCH_FROM), datetime.min.time(), ZoneInfo("Europe/Warsaw"))
    packages: list[tuple[Any, list[bytes]]] = []
    async with KsefClient(base_url) as ksef:
        for client in clients:
            async with await ksef.login(client.nip, TokenCredential(client.nip, client.token)) as session:
                for subject in ("Subject1", "Subject2"):
                    checkpoint = start
                    while True:
                        window = next_window(checkpoint, now())
                        handle = await session.start_export(window.filters(subject))
                        status = await session.wait_for_export(handle)
                        assert status.package is not None
                        parts = []
                        for part in sorted(status.package.parts, key=lambda p: p.ordinal_number):
                            response = await ksef.request("GET", part.url, limited=False)
                            parts.append(response.content)
                        packages.append((handle.key, parts))
                        if window.end is None:
                            break
                        checkpoint = window.end
    count = 0
    started = time.perf_counter()
    for key, parts in packages:
        plain = b"".join(key.decrypt(p) for p in parts)
        entries = open_zip_package(plain, label="bench")
        for name, xml in entries.items():
            if name.endswith(".xml"):
                parse_invoice(xml)
                count += 1
    return time.perf_counter() - started, count


def initial_sync(workdir: Path, clients: int, per_client: int) -> None:
    state = workdir / "emulator-big"
    emu = Emulator(state)
    t = time.perf_counter()
    info = seed(emu, office=demo_seed_office(), seed=11, clients=clients, invoices_per_client=per_client)
    emu.close()
    print(
        f"[seed] {clients} clients, {sum(sum(c.invoices.values()) for c in info.clients)} invoices in {time.perf_counter() - t:.1f} s"
    )
    folder = office_for(workdir / "biuro-big", info.clients)
    with run_emulator(state) as running:
        result = run_child(folder, running.base_url)
        idle = run_child(folder, running.base_url, idle=True)
        floor_s, floor_n = asyncio.run(
            floor_packages(running.base_url, info.clients, running.emulator.clock.now)
        )
    assert not result["problems"], result["problems"]
    n = result["new"]
    e2e = n / result["seconds"]
    floor = floor_n / floor_s
    print("== 1. initial sync, limits off (fetch in its own process)")
    print(f"invoices archived: {n} in {result['seconds']:.1f} s → {e2e:,.0f} invoices/s end to end")
    print(f"floor (decrypt + unzip + FA(3) parse of the same {floor_n} invoices): {floor:,.0f} invoices/s")
    print(f"ratio end-to-end / floor: {e2e / floor:.2f}")
    print(
        f"HTTP requests: {result['requests']} → {result['requests'] / (n / 1000):.1f} per 1,000 invoices; 429s: {result['http_429']}"
    )
    peak, base = result["max_rss_kib"] / 1024, idle["max_rss_kib"] / 1024
    print(
        f"peak memory (max RSS) of the fetch: {peak:.0f} MiB; idle process with the same imports: {base:.0f} MiB"
    )
    print(
        f"ratio peak / idle: {peak / base:.2f}; above idle per 1,000 invoices: {(peak - base) / (n / 1000):.2f} MiB"
    )


# --------------------------------------------------------------------------------------------
# 2. an office day under prod limits, emulated clock sped up


def _arrivals(emu: Emulator, clients: list[Any], rng: random.Random, now: Any) -> int:
    """New purchase invoices for every client, stored just before the emulator's now."""
    items = []
    for client in clients:
        count = rng.randint(1, 40)
        supplier = Party(name="Dostawca", nip=random_nip(rng), address1="ul. Polna 1", address2="Łódź")
        buyer = Party(name=client.name, nip=client.nip, address1="ul. Krótka 2", address2="Kraków")
        day = now.date()
        xmls = generate_mix(rng, supplier, [buyer], day - timedelta(days=1), day, count)
        for i, xml in enumerate(xmls):
            at = now - timedelta(seconds=120) + timedelta(milliseconds=i)
            items.append(NewInvoice(xml, accepted_at=at - timedelta(seconds=1), stored_at=at))
    stored = emu.invoices.store_many(items, rng=rng)
    nips = {c.nip for c in clients}
    # The FA(3) mix sends a few invoices to consumers and EU buyers: only the clients' count.
    return sum(1 for s in stored if s.metadata["buyer"]["identifier"].get("value") in nips)


def office_day(workdir: Path, clients: int, speed: float, rounds: int) -> None:
    state = workdir / "emulator-day"
    emu = Emulator(state)
    info = seed(emu, office=demo_seed_office(), seed=12, clients=clients, invoices_per_client=100)
    emu.close()
    folder = office_for(workdir / "biuro-day", info.clients)
    credentials = tokens_of(folder)
    print(f"== 2. office day: {clients} clients, prod limits, emulated clock ×{speed:g}")
    total_429 = 0
    with run_emulator(state, limits="prod") as running:
        emu = running.emulator
        emu.clock.set_speed(speed)
        clock = EmulatedClock(emu.clock)
        rng = random.Random(5)

        def sync() -> tuple[float, Any]:
            begin = emu.clock.now()
            report = asyncio.run(
                fetch_invoices(
                    folder,
                    base_url=running.base_url,
                    credentials=credentials,
                    clock=clock,
                    now=emu.clock.now,
                    update_register=False,
                )
            )
            assert not report.problems, report.problems
            return (emu.clock.now() - begin).total_seconds() / 60, report

        minutes, report = sync()
        total_429 += report.rate_limited
        print(
            f"initial sync: {report.new} invoices in {minutes:.1f} emulated min, 429s: {report.rate_limited}"
        )
        times = []
        for hour in range(rounds):
            emu.clock.advance(timedelta(minutes=60) - timedelta(minutes=minutes))
            arrived = _arrivals(emu, info.clients, rng, emu.clock.now())
            minutes, report = sync()
            total_429 += report.rate_limited
            times.append(minutes)
            assert report.new == arrived, (report.new, arrived)
            print(
                f"hour {hour + 1}: {arrived} new invoices for {clients} clients in {minutes:.1f} emulated min "
                f"({report.requests} requests, 429s: {report.rate_limited} {report.rate_limited_by_group or ''})"
            )
    worst = max(times)
    print(
        f"incremental sync of {clients} clients: worst {worst:.1f} emulated min → ratio to the 60-min interval {worst / 60:.2f}"
    )
    print(f"HTTP 429 over the whole day: {total_429} (target 0)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=2000)
    parser.add_argument("--day-clients", type=int, default=50)
    parser.add_argument("--speed", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=2)
    parser.add_argument("--idle", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.idle)
        return
    if args.quick:
        args.clients, args.per_client, args.day_clients, args.rounds = 3, 300, 5, 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        initial_sync(workdir, args.clients, args.per_client)
        office_day(workdir, args.day_clients, args.speed, args.rounds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
