"""Benchmark: the KSeF emulator's invoice side (seeding, metadata query, export), limits off.

Prints, all measured in the same run against a real server over loopback HTTP:
- seeding: invoices per second (FA(3) generation + metadata + SQLite), and its peer, plain
  sequential FA(3) generation of a sample, with the ratio;
- metadata queries per second (``POST /invoices/query/metadata``, full pages of 250) and the records
  per second they deliver, against the peer: raw HTTP round trips per second of a trivial endpoint
  (``GET /security/public-key-certificates``), with the ratio;
- exported invoices per second end to end (``POST /invoices/exports`` → status 200 → download every
  part without a token → decrypt → unzip), against the metadata query's records per second.

Run: ``.venv/bin/python bench/emulator.py [--clients 20] [--per-client 2000] [--queries 200]``
(the defaults are the fetch scenario's size: 20 clients × 2,000 invoices).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ksef_sheets.demo_data import demo_seed_office  # noqa: E402
from ksef_sheets.emulator import Emulator, run_emulator  # noqa: E402
from ksef_sheets.emulator.seed import seed  # noqa: E402
from ksef_sheets.fa3 import Party, generate_mix  # noqa: E402
from tests.emulator.test_invoices_helpers import aes_decrypt, api, login, new_symmetric_key, unzip  # noqa: E402


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--round-trips", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as tmp:
        state = Path(tmp) / "state"
        emu = Emulator(state)
        started = time.perf_counter()
        info = seed(
            emu, office=demo_seed_office(), seed=1, clients=args.clients, invoices_per_client=args.per_client
        )
        seeding = time.perf_counter() - started
        total = emu.db.execute("SELECT COUNT(*) FROM invoice").fetchone()[0]
        emu.close()
        sample = 500
        started = time.perf_counter()
        generate_mix(
            random.Random(2),
            Party(name="Dostawca", nip="5210537039"),
            [Party(name="Klient", nip="7798676685")],
            date(2026, 2, 1),
            date(2026, 11, 1),
            sample,
        )
        generation = time.perf_counter() - started
        seed_rate, gen_rate = rate(total, seeding), rate(sample, generation)
        print(
            f"seeding: {total} invoices for {args.clients} clients in {seeding:.1f} s = {seed_rate:,.0f} invoices/s"
        )
        print(
            f"  peer, sequential FA(3) generation alone: {gen_rate:,.0f} invoices/s; ratio {seed_rate / gen_rate:.2f}"
        )

        with run_emulator(state, limits="off") as running:
            client = max(info.clients, key=lambda c: c.invoices["Subject1"] + c.invoices["Subject2"])
            token = login(running.base_url, client.nip, client.token)
            with httpx.Client(base_url=running.base_url, timeout=60) as anonymous:
                anonymous.get("/security/public-key-certificates").raise_for_status()
                started = time.perf_counter()
                for _ in range(args.round_trips):
                    anonymous.get("/security/public-key-certificates").raise_for_status()
                trivial = rate(args.round_trips, time.perf_counter() - started)
            # Every (subject type, ≤3-month window) of the busiest client, from February to now.
            bodies = []
            edge, now = datetime(2026, 2, 1, tzinfo=UTC), datetime.now(UTC)
            while edge < now:
                end = min(edge + timedelta(days=85), now)
                for subject in ("Subject1", "Subject2"):
                    bodies.append(
                        {
                            "subjectType": subject,
                            "dateRange": {
                                "dateType": "PermanentStorage",
                                "from": edge.isoformat(),
                                "to": end.isoformat(),
                            },
                        }
                    )
                edge = end
            with api(running.base_url, token) as http:
                pages = []  # (body, pageOffset) of every full or partial page
                for body in bodies:
                    offset = 0
                    while True:
                        result = http.post(
                            "/invoices/query/metadata",
                            params={"pageSize": 250, "pageOffset": offset},
                            json=body,
                        ).json()
                        if result["invoices"]:
                            pages.append((body, offset))
                        if not result["hasMore"]:
                            break
                        offset += 1
                records = 0
                started = time.perf_counter()
                for index in range(args.queries):
                    body, offset = pages[index % len(pages)]
                    response = http.post(
                        "/invoices/query/metadata", params={"pageSize": 250, "pageOffset": offset}, json=body
                    )
                    response.raise_for_status()
                    records += len(response.json()["invoices"])
                elapsed = time.perf_counter() - started
                qps, rps = rate(args.queries, elapsed), rate(records, elapsed)
                print(
                    f"metadata query: {qps:,.1f} queries/s ({rps:,.0f} records/s, pages of up to 250) — "
                    f"peer, trivial endpoint: {trivial:,.0f} round trips/s; ratio {qps / trivial:.3f}"
                )

                exported = parts = size = 0
                started = time.perf_counter()
                for body in bodies:
                    sym = new_symmetric_key(http)
                    ref = http.post(
                        "/invoices/exports", json={"encryption": sym.info, "filters": body}
                    ).json()["referenceNumber"]
                    while True:
                        status = http.get(f"/invoices/exports/{ref}").json()
                        if status["status"]["code"] != 100:
                            break
                        time.sleep(0.005)
                    archive = b"".join(
                        aes_decrypt(sym.key, sym.iv, httpx.get(part["url"]).content)
                        for part in sorted(status["package"]["parts"], key=lambda p: p["ordinalNumber"])
                    )
                    files = unzip(archive)
                    count = len(json.loads(files["_metadata.json"])["invoices"])
                    assert count == len(files) - 1 == status["package"]["invoiceCount"]
                    exported += count
                    parts += len(status["package"]["parts"])
                    size += len(archive)
                elapsed = time.perf_counter() - started
                eps = rate(exported, elapsed)
                print(
                    f"export: {exported} invoices of {client.nip} in {len(bodies)} exports ({size / 1e6:.1f} MB zip, "
                    f"{parts} part(s); XML + _metadata.json, decrypted and unzipped) in {elapsed:.2f} s = "
                    f"{eps:,.0f} invoices/s — peer, metadata query: {rps:,.0f} records/s; ratio {eps / rps:.2f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
