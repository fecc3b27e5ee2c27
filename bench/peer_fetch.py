"""Benchmark: our fetch side by side with a script written with the peer SDK ``ksef-client`` 0.20.0.

Needs the ``bench`` extra (``.venv/bin/pip install -e '.[bench]'``): the peer SDK, pinned.

One emulator (limits off, loopback HTTP, real crypto) serves one seeded state; every contender
runs in its own child process against it, so each one's client CPU seconds (user + system of the
child) and peak RSS (``VmHWM``) are its own — the emulator's work stays in this process. Both
directions (sales = ``Subject1``, purchases = ``Subject2``) of every client, the same window:

- ``peer export, sequential``: the export recipe of the peer's ``docs/workflows/export.md`` —
  ``export_invoices`` → ``get_export_status`` every 2 s until 200 → ``ExportWorkflow.
  download_and_process_package`` (download, decrypt, unzip) — one client and direction after the
  other, with a truncated package continued from ``lastPermanentStorageDate`` (its HWM notes);
- ``peer export, asyncio``: the same recipe with ``AsyncKsefClient``/``AsyncExportWorkflow``, every
  client and both directions at once (``asyncio.gather``), the three-month windows of one direction
  one after the other (as ours: an incremental sync continues each from the last);
- ``peer export + files``: the asyncio recipe plus what the peer's own CLI (``ksef export run
  --out``) does with each package — every invoice's XML in a file of its own and
  ``_metadata.json`` (plain writes, nothing flushed): the least a script that keeps the invoices
  does, so our CPU per invoice is also printed against it;
- ``peer metadata + GET``: ``iter_invoice_metadata_by_date_range`` and one ``get_invoice_bytes`` per
  invoice (the other route its README shows), sequential;
- ``ksef-sheets fetch``: ``fetch_office`` on a fresh office folder whose ``ksef-sheets.toml`` points
  at the same emulator by ``emulator_url`` — and which, unlike the peer recipes, also checks every
  invoice against KSeF's metadata, writes the archive files, the metadata log, the SQLite index
  (from KSeF's metadata: the FA(3) is parsed later, by the workbook refresh) and the audit entry.

Prints invoices per second (wall), HTTP requests, client CPU seconds per 1,000 invoices and peak
RSS of each, and our ratios to each peer (invoices/s: ours / peer; CPU: ours / peer). Single runs
on a shared machine: read the ratios, not the absolute figures.

Then an **office hour under production limits** (``--hour-clients 50``, ``--hour-per-client 100``,
the emulator's clock sped up ``--speed 30``×): every client's first fetch by ``ksef-sheets fetch``
and by the straightforward peer loop (client after client, both directions, each window exported,
a call answered 429 repeated after its ``Retry-After``); prints the emulated minutes until every
client is current and the 429s on each side (goal: ours 0 × 429 and within the hour).

Each contender's run also prints the emulator's CPU per 1,000 invoices it served (this process
only serves while a child runs) and, beside the goal, the machine's ceiling: the cores divided by
the emulator's and our CPU per invoice, our share of it, and what even a client spending no CPU
at all could reach against the peer — on a 2-core machine the emulator's own work bounds the ratio.

Run: ``.venv/bin/python bench/peer_fetch.py [--clients 1] [--per-client 2000] [--skip-meta]
[--hour-clients 50] [--speed 30] [--only ours ours-wide peer-async peer-files] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ksef_sheets.config import OfficeConfig, OfficeFolder  # noqa: E402
from ksef_sheets.demo_data import (  # noqa: E402
    DEMO_OFFICE_NAME,
    DEMO_OFFICE_NIP,
    demo_seed_office,
)
from ksef_sheets.emulator import Emulator, run_emulator  # noqa: E402
from ksef_sheets.emulator.seed import seed  # noqa: E402
from ksef_sheets.text import WARSAW  # noqa: E402

SUBJECTS = ("Subject1", "Subject2")
WINDOW_DAYS = 90  # one export or metadata query covers at most three months
FETCH_FROM = "2026-01-15"  # before the seeded invoices (SEED_START), as in bench/sync.py


def peak_rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # pragma: no cover - not Linux


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------------------------
# The peer, written the way its documentation shows


def _peer_options(base_url: str) -> Any:
    from ksef_client import KsefClientOptions

    # The SDK downloads package parts only from https, non-loopback hosts; the emulator speaks plain
    # http under a local name, so the two switches its docs/configuration.md names for that are on.
    return KsefClientOptions(
        base_url=base_url, strict_presigned_url_validation=False, allow_private_network_presigned_urls=True
    )


# As tests/thirdparty/test_peer_sdk.py does: the emulator listens on 127.0.0.1 only, and its package
# links name this reserved host, which every contender's process resolves to 127.0.0.1 itself — the
# SDK refuses a loopback IP literal in a presigned link whatever its options say, but checks names only
# as written (and lets a private one through with ``allow_private_network_presigned_urls``).
EMULATOR_HOST = "ksef-emulator.test"


def resolve_emulator_host() -> None:
    real_getaddrinfo = socket.getaddrinfo

    names = (EMULATOR_HOST, EMULATOR_HOST.encode())  # anyio (our httpx) asks with bytes

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real_getaddrinfo("127.0.0.1" if host in names else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _export_request(subject: str, date_from: str, date_to: str, encryption: Any) -> Any:
    from ksef_client import models as m

    return m.InvoiceExportRequest(
        encryption=encryption.encryption_info,
        only_metadata=False,
        compression_type=m.CompressionType.ZIP,
        filters=m.InvoiceQueryFilters(
            subject_type=m.InvoiceQuerySubjectType(subject),
            date_range=m.InvoiceQueryDateRange(
                date_type=m.InvoiceQueryDateType.PERMANENTSTORAGE,
                from_=date_from,
                to=date_to,
                restrict_to_permanent_storage_hwm_date=True,
            ),
        ),
    )


def _count_requests(client: Any, counter: list[int], *, is_async: bool) -> None:
    """Count the SDK's HTTP requests with an httpx event hook on its (private) httpx client."""
    if is_async:

        async def hook(request: Any) -> None:
            counter[0] += 1
    else:

        def hook(request: Any) -> None:  # type: ignore[misc]
            counter[0] += 1

    client._http._client.event_hooks["request"].append(hook)


class _Pace:
    """How a sequential peer script waits and what it does with HTTP 429, on the emulator's time line.

    Limits off: the calls as the README writes them, polling every 2 s. Under production limits
    (``speed`` > 1, the emulator's clock sped up) the straightforward loop an office would write:
    every call that gets 429 is repeated after its ``Retry-After``; sleeps are emulated seconds.
    """

    def __init__(self, speed: float = 1.0, *, retry_429: bool = False) -> None:
        self.speed = speed
        self.retry_429 = retry_429
        self.limited = 0

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.speed)

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from ksef_client.exceptions import KsefRateLimitError

        while True:
            try:
                return fn(*args, **kwargs)
            except KsefRateLimitError as exc:
                if not self.retry_429:
                    raise
                self.limited += 1
                self.sleep(max(1, exc.retry_after or 1))


def peer_sequential(
    base_url: str, clients: list[dict[str, str]], windows: list[list[str]], pace: _Pace | None = None
) -> tuple[int, int]:
    from ksef_client import KsefClient
    from ksef_client import models as m
    from ksef_client.services import AuthCoordinator, ExportWorkflow, build_encryption_data

    pace = pace or _Pace()
    call = pace.call
    invoices = 0
    requests = [0]
    with KsefClient(_peer_options(base_url)) as client:
        _count_requests(client, requests, is_async=False)
        for entry in clients:
            token_cert = call(
                client.security.get_public_key_certificate_pem,
                m.PublicKeyCertificateUsage.KSEFTOKENENCRYPTION,
            )
            sym_cert = call(
                client.security.get_public_key_certificate_pem,
                m.PublicKeyCertificateUsage.SYMMETRICKEYENCRYPTION,
            )
            access_token = call(
                AuthCoordinator(client.auth).authenticate_with_ksef_token,
                token=entry["token"],
                public_certificate=token_cert,
                context_identifier_type="nip",
                context_identifier_value=entry["nip"],
                max_attempts=90,
                poll_interval_seconds=2.0 / pace.speed,
            ).access_token
            for subject, (date_from, date_to) in ((s, w) for s in SUBJECTS for w in windows):
                start_from = date_from
                while True:
                    encryption = build_encryption_data(sym_cert)
                    start = call(
                        client.invoices.export_invoices,
                        _export_request(subject, start_from, date_to, encryption),
                        access_token=access_token,
                    )
                    package = None
                    for _ in range(120):
                        status = call(
                            client.invoices.get_export_status,
                            start.reference_number,
                            access_token=access_token,
                        )
                        code = int(status.status.code)
                        if code == 200:
                            package = status.package
                            break
                        if code not in {100, 150}:
                            raise RuntimeError(status.to_dict())
                        pace.sleep(2)
                    assert package is not None
                    export = ExportWorkflow(client.invoices, client.http_client)
                    result = call(export.download_and_process_package, package, encryption)
                    invoices += len(result.invoice_xml_files)
                    if not package.is_truncated or not package.last_permanent_storage_date:
                        break
                    start_from = package.last_permanent_storage_date
    return invoices, requests[0]


def save_like_peer_cli(out_dir: Path, processed: Any) -> None:
    """What the peer's own CLI (``ksef export run --out``) does with a processed package: every
    invoice's XML in a file of its own (refused if the file exists), and ``_metadata.json`` —
    plain ``write_bytes``, nothing flushed. A script that keeps the invoices has to do this much."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, content in processed.invoice_xml_files.items():
        path = out_dir / name
        if path.exists():
            raise SystemExit(f"peer: {path} already exists")
        path.write_bytes(content.encode("utf-8"))
    metadata = out_dir / "_metadata.json"
    metadata.write_bytes(json.dumps({"invoices": processed.metadata_summaries}).encode("utf-8"))


async def _peer_async_client(
    client: Any, entry: dict[str, str], windows: list[list[str]], out_dir: Path | None = None
) -> int:
    from ksef_client import models as m
    from ksef_client.services import AsyncAuthCoordinator, AsyncExportWorkflow, build_encryption_data

    token_cert = await client.security.get_public_key_certificate_pem(
        m.PublicKeyCertificateUsage.KSEFTOKENENCRYPTION
    )
    sym_cert = await client.security.get_public_key_certificate_pem(
        m.PublicKeyCertificateUsage.SYMMETRICKEYENCRYPTION
    )
    result = await AsyncAuthCoordinator(client.auth).authenticate_with_ksef_token(
        token=entry["token"],
        public_certificate=token_cert,
        context_identifier_type="nip",
        context_identifier_value=entry["nip"],
        max_attempts=90,
        poll_interval_seconds=2.0,
    )
    access_token = result.access_token

    async def one_window(subject: str, date_from: str, date_to: str) -> int:
        count = 0
        start_from = date_from
        while True:
            encryption = build_encryption_data(sym_cert)
            start = await client.invoices.export_invoices(
                _export_request(subject, start_from, date_to, encryption), access_token=access_token
            )
            package = None
            for _ in range(120):
                status = await client.invoices.get_export_status(
                    start.reference_number, access_token=access_token
                )
                code = int(status.status.code)
                if code == 200:
                    package = status.package
                    break
                if code not in {100, 150}:
                    raise RuntimeError(status.to_dict())
                await asyncio.sleep(2)
            assert package is not None
            export = AsyncExportWorkflow(client.invoices, client.http_client)
            processed = await export.download_and_process_package(package, encryption)
            count += len(processed.invoice_xml_files)
            if out_dir is not None:
                # One folder per package (the CLI's _metadata.json has a fixed name).
                save_like_peer_cli(out_dir / entry["nip"] / f"{subject}-{date_from[:10]}-{count}", processed)
            if not package.is_truncated or not package.last_permanent_storage_date:
                return count
            start_from = package.last_permanent_storage_date

    async def one_direction(subject: str) -> int:
        # Window after window, as an incremental sync must (each continues from the last one).
        return sum([await one_window(subject, *window) for window in windows])

    return sum(await asyncio.gather(*(one_direction(s) for s in SUBJECTS)))


async def peer_concurrent(
    base_url: str, clients: list[dict[str, str]], windows: list[list[str]], out_dir: Path | None = None
) -> tuple[int, int]:
    from ksef_client import AsyncKsefClient

    requests = [0]
    async with AsyncKsefClient(_peer_options(base_url)) as client:
        _count_requests(client, requests, is_async=True)
        counts = await asyncio.gather(*(_peer_async_client(client, e, windows, out_dir) for e in clients))
    return sum(counts), requests[0]


def peer_metadata_get(
    base_url: str, clients: list[dict[str, str]], windows: list[list[str]]
) -> tuple[int, int]:
    from ksef_client import KsefClient
    from ksef_client import models as m
    from ksef_client.services import AuthCoordinator

    invoices = 0
    requests = [0]
    with KsefClient(_peer_options(base_url)) as client:
        _count_requests(client, requests, is_async=False)
        for entry in clients:
            token_cert = client.security.get_public_key_certificate_pem(
                m.PublicKeyCertificateUsage.KSEFTOKENENCRYPTION
            )
            access_token = (
                AuthCoordinator(client.auth)
                .authenticate_with_ksef_token(
                    token=entry["token"],
                    public_certificate=token_cert,
                    context_identifier_type="nip",
                    context_identifier_value=entry["nip"],
                    max_attempts=90,
                    poll_interval_seconds=2.0,
                )
                .access_token
            )
            for subject, (date_from, date_to) in ((s, w) for s in SUBJECTS for w in windows):
                for meta in client.invoices.iter_invoice_metadata_by_date_range(
                    subject_type=m.InvoiceQuerySubjectType(subject),
                    date_type=m.InvoiceQueryDateType.PERMANENTSTORAGE,
                    date_from=date_from,
                    date_to=date_to,
                    access_token=access_token,
                    page_size=250,
                ):
                    assert meta.ksef_number, meta  # KSeF's metadata always carries the number
                    client.invoices.get_invoice_bytes(meta.ksef_number, access_token=access_token)
                    invoices += 1
    return invoices, requests[0]


# --------------------------------------------------------------------------------------------
# Ours: the fetch the CLI runs, against the same emulator through emulator_url


def ours(
    office_root: str, clients: list[dict[str, str]], concurrency: int | None = None
) -> tuple[int, int, int]:
    from ksef_sheets.ksef import TokenCredential
    from ksef_sheets.office import Client
    from ksef_sheets.sync import fetch_office

    tokens = {c["nip"]: c["token"] for c in clients}
    report = asyncio.run(
        fetch_office(
            OfficeFolder(Path(office_root)),
            [Client(nip=c["nip"]) for c in clients],
            credentials=lambda nip: TokenCredential(nip, tokens[nip]),
            concurrency=concurrency,
        )
    )
    assert not report.problems, report.problems
    return report.new, report.requests, report.rate_limited


# --------------------------------------------------------------------------------------------
# Child process: one contender, its own CPU and memory


def child(mode: str, spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    resolve_emulator_host()  # every contender alike: ours follows the same links
    cpu0 = cpu_seconds()
    started = time.perf_counter()
    limited = 0
    if mode == "peer-seq":
        n, requests = peer_sequential(spec["base_url"], spec["clients"], spec["windows"])
    elif mode == "peer-hour":
        pace = _Pace(spec["speed"], retry_429=True)
        n, requests = peer_sequential(spec["base_url"], spec["clients"], spec["windows"], pace)
        limited = pace.limited
    elif mode == "peer-async":
        n, requests = asyncio.run(peer_concurrent(spec["base_url"], spec["clients"], spec["windows"]))
    elif mode == "peer-files":
        out_dir = Path(spec["peer_out"])
        n, requests = asyncio.run(
            peer_concurrent(spec["base_url"], spec["clients"], spec["windows"], out_dir)
        )
    elif mode == "peer-meta":
        n, requests = peer_metadata_get(spec["base_url"], spec["clients"], spec["windows"])
    elif mode in ("ours", "ours-hour"):
        n, requests, limited = ours(spec["office"], spec["clients"])
    elif mode == "ours-wide":
        n, requests, limited = ours(spec["office_wide"], spec["clients"], concurrency=len(spec["clients"]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "invoices": n,
                "seconds": seconds,
                "requests": requests,
                "cpu": cpu_seconds() - cpu0,
                "rss_mib": peak_rss_kib() / 1024,
                "http_429": limited,
            }
        )
    )


def run_child(mode: str, spec: dict[str, Any], workdir: Path) -> dict[str, Any]:
    spec_path = workdir / f"{mode}.json"
    spec_path.write_text(json.dumps(spec))
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(spec_path)],
        capture_output=True,
        text=True,
        timeout=7200,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+00:00")


def office_folder(root: Path, base_url: str, clients: list[dict[str, str]]) -> Path:
    if root.exists():
        shutil.rmtree(root)
    OfficeFolder(root).save_config(
        OfficeConfig(
            office_nip=DEMO_OFFICE_NIP,
            office_name=DEMO_OFFICE_NAME,
            clients=[c["nip"] for c in clients],
            fetch_from=FETCH_FROM,
            emulator_url=base_url,
        )
    )
    return root


def peer_windows(now: datetime) -> list[list[str]]:
    """Three-month windows (KSeF's limit for one query) from FETCH_FROM to now, as a peer script
    has to cut them; the office's fetch plans its own from the same fetch_from."""
    start = datetime.combine(date.fromisoformat(FETCH_FROM), datetime.min.time(), WARSAW).astimezone(UTC)
    windows: list[list[str]] = []
    while start < now:
        end = min(start + timedelta(days=WINDOW_DAYS), now)
        windows.append([_iso(start), _iso(end)])
        start = end
    return windows


LABELS = {
    "peer-seq": "peer: eksport, po kolei (README)",
    "peer-async": "peer: eksport, asyncio (klienci i kierunki naraz)",
    "peer-files": "peer: eksport asyncio + pliki XML (jak jego CLI)",
    "peer-meta": "peer: metadane + GET każdej faktury",
    "ours": "ksef-sheets fetch (fetch_office)",
    "ours-wide": "ksef-sheets fetch, wszyscy klienci naraz",
    "ours-hour": "ksef-sheets fetch (limity produkcyjne)",
    "peer-hour": "peer: prosta pętla po klientach, ponawia po 429",
}


def scenario(workdir: Path, clients: int, per_client: int, modes: list[str]) -> None:
    state = workdir / f"emulator-{clients}x{per_client}"
    emu = Emulator(state)
    t = time.perf_counter()
    info = seed(emu, office=demo_seed_office(), seed=11, clients=clients, invoices_per_client=per_client)
    emu.close()
    seeded = sum(sum(c.invoices.values()) for c in info.clients)
    print(
        f"\n== {clients} × {per_client}: {seeded} faktur w emulatorze (seed {time.perf_counter() - t:.0f} s)"
    )
    entries = [{"nip": c.nip, "token": c.token} for c in info.clients]
    port = free_port()
    public_url = f"http://{EMULATOR_HOST}:{port}/v2"
    with run_emulator(state, limits="off", port=port, public_url=public_url) as running:
        windows = peer_windows(running.emulator.clock.now())
        spec: dict[str, Any] = {
            "base_url": running.base_url,
            "clients": entries,
            "windows": windows,
            "office": str(
                office_folder(workdir / f"biuro-{clients}x{per_client}", running.base_url, entries)
            ),
            "office_wide": str(
                office_folder(workdir / f"biuro-{clients}x{per_client}-naraz", running.base_url, entries)
            ),
            "peer_out": str(workdir / f"peer-pliki-{clients}x{per_client}"),
        }
        results = {}
        for mode in modes:
            # This process does nothing but serve while a contender runs: its CPU is the emulator's.
            served_from = cpu_seconds()
            results[mode] = run_child(mode, spec, workdir)
            r = results[mode]
            r["emulator_cpu"] = cpu_seconds() - served_from
            rate = r["invoices"] / r["seconds"]
            print(
                f"{LABELS[mode]:50s} {r['invoices']:6d} faktur  {rate:7.0f} faktur/s  "
                f"{r['requests']:6d} żądań  CPU {r['cpu'] / (r['invoices'] / 1000):5.2f} s/1000  "
                f"RSS {r['rss_mib']:4.0f} MiB  (emulator: CPU {r['emulator_cpu'] / (r['invoices'] / 1000):5.2f} s/1000)"
            )
    counts = {m: r["invoices"] for m, r in results.items()}
    if len(set(counts.values())) != 1:
        print(f"UWAGA: różne liczby faktur: {counts}")
    goal = 1.5 if clients == 1 else 3.0
    for our_mode in ("ours", "ours-wide"):
        mine = results.get(our_mode)
        if mine is None:
            continue
        our_rate = mine["invoices"] / mine["seconds"]
        our_cpu = mine["cpu"] / mine["invoices"]
        print(f"  {LABELS[our_mode]}:")
        for mode, r in results.items():
            if mode.startswith("ours"):
                continue
            rate = r["invoices"] / r["seconds"]
            cpu = r["cpu"] / r["invoices"]
            print(
                f"    / {LABELS[mode]}: szybkość {our_rate / rate:.2f}×, CPU na fakturę {our_cpu / cpu:.2f}×, "
                f"żądania {mine['requests'] / max(1, r['requests']):.2f}×"
            )
        if "peer-async" in results:
            r = results["peer-async"]
            ratio = our_rate / (r["invoices"] / r["seconds"])
            cpu_ratio = our_cpu / (r["cpu"] / r["invoices"])
            print(
                f"    cel (zadanie 20): ≥ {goal:.1f}× eksportu asyncio peera — {ratio:.2f}× "
                f"{'spełniony' if ratio >= goal else 'NIESPEŁNIONY'}; CPU na fakturę ≤ 1,2× — {cpu_ratio:.2f}× "
                f"{'spełniony' if cpu_ratio <= 1.2 else 'NIESPEŁNIONY'} (peer nie zapisuje niczego)"
            )
            if "peer-files" in results:
                f = results["peer-files"]
                files_ratio = our_cpu / (f["cpu"] / f["invoices"])
                print(
                    f"    CPU na fakturę / peer, który zapisuje faktury do plików jak jego CLI: "
                    f"{files_ratio:.2f}× (≤ 1,2×: {'spełniony' if files_ratio <= 1.2 else 'NIESPEŁNIONY'})"
                )
            print_ceiling(mine, r)


def print_ceiling(mine: dict[str, Any], peer: dict[str, Any]) -> None:
    """What the machine allows: the emulator and the client share its cores, so no client can go
    faster than the cores divided by the CPU both spend per invoice (a client that spent none at all
    would still be held at cores / the emulator's CPU per invoice)."""
    cores = os.cpu_count() or 1
    emulator = mine["emulator_cpu"] / mine["invoices"]
    ceiling = cores / (emulator + mine["cpu"] / mine["invoices"])
    bare = cores / emulator
    our_rate = mine["invoices"] / mine["seconds"]
    peer_rate = peer["invoices"] / peer["seconds"]
    print(
        f"    sufit maszyny ({cores} rdzenie, emulator {emulator * 1e6:.0f} µs CPU na fakturę): "
        f"{ceiling:,.0f} faktur/s przy naszym CPU — osiągnięto {our_rate / ceiling:.0%}; "
        f"klient bez żadnego CPU: ≤ {bare:,.0f} faktur/s = {bare / peer_rate:.2f}× peera asyncio"
    )


def office_hour(workdir: Path, clients: int, per_client: int, speed: float) -> None:
    """Every client's invoices fetched for the first time under the production limits, the
    emulator's clock sped up: emulated minutes until every client is current, and the 429s."""
    state = workdir / f"emulator-hour-{clients}"
    emu = Emulator(state)
    info = seed(emu, office=demo_seed_office(), seed=13, clients=clients, invoices_per_client=per_client)
    emu.close()
    entries = [{"nip": c.nip, "token": c.token} for c in info.clients]
    print(
        f"\n== godzina biura: {clients} klientów × ~{per_client} faktur, limity produkcyjne, "
        f"zegar emulatora ×{speed:g}"
    )
    port = free_port()
    public_url = f"http://{EMULATOR_HOST}:{port}/v2"
    results: dict[str, dict[str, Any]] = {}
    with run_emulator(state, limits="prod", port=port, public_url=public_url) as running:
        clock = running.emulator.clock
        clock.set_speed(speed)
        for mode in ("ours-hour", "peer-hour"):
            # Every limit window (the longest is an hour) closes before the next contender starts.
            clock.advance(timedelta(hours=2))
            spec = {
                "base_url": running.base_url,
                "clients": entries,
                "windows": peer_windows(clock.now()),
                "speed": speed,
                "office": str(office_folder(workdir / f"biuro-godzina-{mode}", running.base_url, entries)),
            }
            begin = clock.now()
            r = results[mode] = run_child(mode, spec, workdir)
            minutes = (clock.now() - begin).total_seconds() / 60
            r["minutes"] = minutes
            print(
                f"{LABELS[mode]:50s} {r['invoices']:6d} faktur  {minutes:6.1f} min emulatora  "
                f"{r['requests']:6d} żądań  HTTP 429: {r['http_429']}  "
                f"{'w godzinę' if minutes <= 60 else 'PO GODZINIE'}"
            )
    mine, peer = results["ours-hour"], results["peer-hour"]
    met = mine["http_429"] == 0 and mine["minutes"] <= 60
    print(
        f"  czas do aktualności wszystkich klientów: nasz / peer {mine['minutes'] / peer['minutes']:.2f}×; "
        f"cel (zadanie 20): 0 × 429 i w godzinę — {'spełniony' if met else 'NIESPEŁNIONY'} "
        f"(peer: {peer['http_429']} × 429, {'w godzinę' if peer['minutes'] <= 60 else 'po godzinie'})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 20])
    parser.add_argument("--per-client", type=int, default=2000)
    parser.add_argument("--skip-meta", action="store_true", help="no metadata + GET route")
    parser.add_argument("--meta-max-clients", type=int, default=1, help="metadata + GET only up to this")
    parser.add_argument(
        "--hour-clients", type=int, default=50, help="office hour under prod limits (0: skip)"
    )
    parser.add_argument("--hour-per-client", type=int, default=100)
    parser.add_argument("--speed", type=float, default=30.0, help="emulator clock speed in the office hour")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(LABELS),
        help="run only these contenders (e.g. ours ours-wide peer-async: no 6-minute sequential peer)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the emulator state and offices here (default: a temporary folder, deleted after)",
    )
    parser.add_argument("--child", nargs=2, metavar=("MODE", "SPEC"))
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    try:
        import ksef_client  # noqa: F401
    except ImportError:
        print("Brak pakietu ksef-client: .venv/bin/pip install -e '.[bench]'", file=sys.stderr)
        return 1
    print(f"maszyna: {os.cpu_count()} rdzenie; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory(prefix="peer-fetch-") as tmp:
        # A kept folder: deleting ~80,000 archive files right before the next run makes its file
        # creations slower on some file systems (ext4 without a journal skips recently freed
        # inodes), which would tilt an old/new comparison run back to back.
        workdir = args.workdir or Path(tmp)
        if args.workdir and args.workdir.exists() and any(args.workdir.iterdir()):
            print(f"--workdir {args.workdir} nie jest pusty: podaj nowy folder", file=sys.stderr)
            return 1
        workdir.mkdir(parents=True, exist_ok=True)
        for clients in args.clients:
            # The office's default runs fetch_concurrency (4) clients at once; with more clients the
            # same fetch with every client at once is shown too (what the peer's asyncio script does).
            modes = ["ours", "peer-async", "peer-files", "peer-seq"] + (["ours-wide"] if clients > 4 else [])
            if not args.skip_meta and clients <= args.meta_max_clients:
                modes.append("peer-meta")
            if args.only:
                modes = [m for m in modes if m in args.only]
            scenario(workdir, clients, args.per_client, modes)
        if args.hour_clients:
            office_hour(Path(tmp), args.hour_clients, args.hour_per_client, args.speed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
