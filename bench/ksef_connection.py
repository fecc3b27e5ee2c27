"""Benchmark: the KSeF client against the emulator over loopback HTTP.

Prints, for one seeded client's purchase invoices of the last ~3 months:
- export throughput (invoices/s for create → poll → download parts → AES decrypt → safe unzip →
  hash checks) and, measured in the same run on the same invoices, the peer: one
  ``GET /invoices/ksef/{n}`` per invoice — with their ratio (limits off: pure client + server cost);
- under the production limits (emulator ``limits="prod"``, the client's limiter on the emulator's
  clock, so no real waiting): emulated hours needed for single downloads of the same invoices
  (64/h) versus one export — the ratio is why the fetch uses exports;
- the limiter's own overhead: ``acquire`` calls per second on a manual clock, against the 75 req/s
  global KSeF limit it has to keep up with.

Run: ``.venv/bin/python bench/ksef_connection.py [--seed 42] [--clients 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import run_emulator
from ksef_sheets.ksef import CallbackClock, KsefClient, ManualClock, RateLimiter


def _filters() -> dict[str, Any]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=85)
    return {
        "subjectType": "Subject2",
        "dateRange": {"dateType": "PermanentStorage", "from": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


async def _throughput(base_url: str, nip: str, token: str) -> tuple[int, float, float]:
    async with KsefClient(base_url) as client:
        session = await client.login_with_token(nip, token)
        t0 = time.perf_counter()
        result = await session.export_invoices(_filters())
        export_s = time.perf_counter() - t0
        numbers = sorted(result.invoices)
        t0 = time.perf_counter()
        for number in numbers:
            await session.download_invoice(number)
        single_s = time.perf_counter() - t0
        await session.logout()
    return len(numbers), export_s, single_s


async def _prod_hours(running: Any, nip: str, token: str, count: int) -> tuple[float, float]:
    emu = running.emulator
    clock = CallbackClock(
        now=emu.clock.timestamp, advance=lambda s: emu.clock.advance(dt.timedelta(seconds=s))
    )
    async with KsefClient(
        running.base_url, limiter=RateLimiter(clock=clock), clock=clock, now=emu.clock.now
    ) as client:
        session = await client.login_with_token(nip, token)
        t0 = emu.clock.now()
        result = await session.export_invoices(_filters())
        export_h = (emu.clock.now() - t0).total_seconds() / 3600
        t0 = emu.clock.now()
        for number in sorted(result.invoices)[:count]:
            await session.download_invoice(number)
        single_h = (emu.clock.now() - t0).total_seconds() / 3600
        await session.logout()
    return export_h, single_h


async def _limiter_rate(calls: int) -> float:
    clock = ManualClock()
    limiter = RateLimiter(clock=clock)
    t0 = time.perf_counter()
    for i in range(calls):
        await limiter.acquire(f"ctx{i % 50}", "invoiceStatus")
        clock.advance(0.05)
    return calls / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with run_emulator(
            Path(tmp) / "off", office=demo_seed_office(), seed=args.seed, clients=args.clients
        ) as running:
            assert running.seed_info is not None
            item = max(running.seed_info.clients, key=lambda c: c["invoices"]["Subject2"])
            count, export_s, single_s = asyncio.run(_throughput(running.base_url, item["nip"], item["token"]))
        print(f"invoices: {count} (client {item['nip']}, purchases, last 85 days)")
        print(f"export:            {count / export_s:8.1f} invoices/s ({export_s:.2f} s)")
        print(f"single downloads:  {count / single_s:8.1f} invoices/s ({single_s:.2f} s)")
        print(f"ratio export/single (limits off): {single_s / export_s:.1f}x")
        with run_emulator(
            Path(tmp) / "prod", office=demo_seed_office(), seed=args.seed, clients=args.clients, limits="prod"
        ) as running:
            assert running.seed_info is not None
            item = max(running.seed_info.clients, key=lambda c: c["invoices"]["Subject2"])
            export_h, single_h = asyncio.run(_prod_hours(running, item["nip"], item["token"], count))
        print(
            f"production limits (emulated time): export {export_h * 60:.1f} min, "
            f"single downloads {single_h:.2f} h — ratio {single_h / max(export_h, 1e-9):.0f}x"
        )
    rate = asyncio.run(_limiter_rate(50_000))
    print(f"limiter: {rate:,.0f} acquire/s — {rate / 75:,.0f}x the 75 req/s global KSeF limit")


if __name__ == "__main__":
    main()
