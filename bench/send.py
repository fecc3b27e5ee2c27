"""Benchmark: ``ksef-sheets send`` for one client with N invoices in one online session, limits off.

Prints, measured in the same run against the emulator over loopback HTTP with real crypto:
- invoices per second end to end (read the entry workbook, build and validate FA(3), log in, open one
  session, encrypt and send each, close, poll each status, download each UPO, archive, write the
  workbook back, journal), and the HTTP requests it took;
- the peer: plain sequential HTTP round trips per second of a trivial endpoint of the same server
  (``GET /security/public-key-certificates``);
- the ratio invoices/s ÷ round trips/s (an invoice needs ~3 round trips: send, status, UPO — so a
  ratio near 0.33 would mean nothing but the protocol's own requests; the rest is the emulator's own
  processing of each invoice — decrypt, XSD, store, UPO — and the toolkit's work);
- a second peer: the protocol floor — the same number of pre-built invoices sent with the bare KSeF
  client (login, one session, send, close, status, UPO; no workbook, validation, archive or journal),
  and the toolkit's ratio to it.

Run: ``.venv/bin/python bench/send.py [--invoices 200] [--round-trips 500]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402

from ksef_sheets.config import OfficeFolder  # noqa: E402
from ksef_sheets.demo_data import demo_office_data, demo_seed_office  # noqa: E402
from ksef_sheets.emulator import run_emulator  # noqa: E402
from ksef_sheets.fa3 import SalesInvoice, build_invoice_xml  # noqa: E402
from ksef_sheets.ksef import KsefClient  # noqa: E402
from ksef_sheets.sheets import send_entry as E  # noqa: E402
from ksef_sheets.sheets.tables import OpenpyxlTables  # noqa: E402
from ksef_sheets.sync.runtime import CountingTransport  # noqa: E402
from ksef_sheets.vault import PASSPHRASE_ENV, Vault  # noqa: E402
from ksef_sheets.workflows import init_office, send_office  # noqa: E402

SELLER = "6762966431"  # scenario 3 in the demo register and the seed
BUYERS = ("5210537039", "7798676685")


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def fill(folder: OfficeFolder, invoices: int) -> Path:
    path = E.entry_path(folder, SELLER)
    E.create_entry_workbook(
        path, client_nip=SELLER, client_name="Studio Urody Malwa", address="ul. Różana 1, Warszawa"
    )
    today = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    rows = []
    for n in range(1, invoices + 1):
        head = {
            E.H_NUMBER: f"B/{n}/2026",
            E.H_ISSUED: today,
            E.H_BUYER_NIP: BUYERS[n % 2],
            E.H_BUYER_NAME: "Nabywca",
        }
        rows.append({**head, E.H_ITEM: "Usługa", E.H_PRICE: 100 + n, E.H_RATE: "23"})
        rows.append(
            {E.H_NUMBER: f"B/{n}/2026", E.H_ITEM: "Towar", E.H_QUANTITY: 2, E.H_PRICE: 9.99, E.H_RATE: "8"}
        )
    wb = load_workbook(path)
    OpenpyxlTables(wb, source=str(path)).write_table(E.TABLE, rows)
    wb.save(path)
    return path


async def protocol_floor(base_url: str, token: str, xmls: list[bytes]) -> float:
    async with KsefClient(base_url) as ksef:
        started = time.perf_counter()
        session = await ksef.login_with_token(SELLER, token)
        async with session:
            online = await session.open_online_session()
            refs = [await online.send_invoice(xml) for xml in xmls]
            await online.close()
            for ref in refs:
                status = await online.wait_for_invoice(ref)
                if status.status.code != 200:
                    raise SystemExit(f"floor: invoice refused {status.status}")
                await online.invoice_upo(invoice_reference=ref)
        return rate(len(xmls), time.perf_counter() - started)


def floor_invoices(count: int) -> list[bytes]:
    today = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    seller = {"name": "Studio Urody Malwa", "nip": SELLER, "address1": "ul. Różana 1, Warszawa"}
    return [
        build_invoice_xml(
            SalesInvoice.from_data(
                {
                    "number": f"P/{n}/2026",
                    "issue_date": today,
                    "seller": seller,
                    "buyer": {"name": "Nabywca", "nip": BUYERS[n % 2], "address1": "ul. Prosta 1"},
                    "lines": [
                        {"name": "Usługa", "unit_price": 100 + n, "rate": "23"},
                        {"name": "Towar", "quantity": 2, "unit_price": "9.99", "rate": "8"},
                    ],
                }
            )
        )
        for n in range(1, count + 1)
    ]


async def round_trips(base_url: str, count: int) -> float:
    async with httpx.AsyncClient(base_url=base_url + "/") as http:
        await http.get("security/public-key-certificates")
        started = time.perf_counter()
        for _ in range(count):
            response = await http.get("security/public-key-certificates")
            response.raise_for_status()
        return rate(count, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--round-trips", type=int, default=500)
    args = parser.parse_args()
    os.environ[PASSPHRASE_ENV] = "hasło-benchmarku-sejfu"
    with (
        tempfile.TemporaryDirectory() as tmp,
        run_emulator(
            Path(tmp) / "emu", office=demo_seed_office(), seed=42, clients=3, limits="off"
        ) as running,
    ):
        assert running.seed_info is not None
        folder = OfficeFolder(Path(tmp) / "biuro")
        init_office(folder, demo=demo_office_data())
        Vault.open(folder, os.environ[PASSPHRASE_ENV]).add_token(
            SELLER, running.seed_info.client(SELLER)["token"]
        )
        fill(folder, args.invoices)

        counter = CountingTransport()
        started = time.perf_counter()
        report = asyncio.run(
            send_office(
                folder,
                clients=[SELLER],
                base_url=running.base_url,
                transport=counter,
                refresh_workbooks=False,
            )
        )
        elapsed = time.perf_counter() - started
        (client,) = report.clients
        sent = len([o for o in client.sent if o.sent_now])
        if sent != args.invoices or report.problems:
            raise SystemExit(
                f"expected {args.invoices} accepted invoices, got {sent}: {report.summary_lines()[:5]}"
            )
        per_second = rate(sent, elapsed)
        peer = asyncio.run(round_trips(running.base_url, args.round_trips))
        token = str(running.seed_info.client(SELLER)["token"])
        floor = asyncio.run(protocol_floor(running.base_url, token, floor_invoices(args.invoices)))
        print(
            f"send: {sent} invoices (2 lines each) in one session in {elapsed:.2f} s → {per_second:,.1f} invoices/s; "
            f"{counter.total} HTTP requests ({counter.total / sent:.2f} per invoice)"
        )
        print(f"peer, trivial endpoint: {peer:,.0f} round trips/s")
        print(
            f"ratio invoices/s ÷ round trips/s: {per_second / peer:.3f} "
            f"(≈ {peer / per_second:.1f} round-trip times per invoice; the protocol needs 3: send, status, UPO)"
        )
        print(
            f"peer, protocol floor (bare KSeF client, same count, one session): {floor:,.1f} invoices/s; "
            f"ratio send ÷ floor: {per_second / floor:.2f}"
        )


if __name__ == "__main__":
    main()
