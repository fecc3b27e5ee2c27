"""How the client waits for an export package and opens one made of several parts (issue 20).

The export status answer carries no progress, only 100 until the package is built: the client looks
again soon and at a steady pace while the export is young, and backs off only when it runs long.
A package of several parts is decrypted part by part while the next part downloads; the result must
be the same package, checked the same way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import Any

from ksef_sheets.ksef import KsefClient, KsefPackageError, NoLimiter, PollPolicy
from ksef_sheets.ksef.limits import CallbackClock
from tests.ksef.conftest import RecordingTransport


class RecordingClock(CallbackClock):
    """The emulator's time line; every pause the client takes is noted."""

    def __init__(self, emu: Any) -> None:
        super().__init__(
            now=emu.clock.timestamp, advance=lambda s: emu.clock.advance(dt.timedelta(seconds=s))
        )
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await super().sleep(seconds)


def _filters(days: int = 80) -> dict[str, Any]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return {
        "subjectType": "Subject1",
        "dateRange": {"dateType": "PermanentStorage", "from": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


def test_export_polls_soon_then_steadily_then_backs_off() -> None:
    policy = PollPolicy()
    delays = list(itertools.islice(policy.export_delays(), 60))
    assert delays[0] == policy.export_first < policy.first  # the first look again comes sooner
    elapsed = list(itertools.accumulate(delays))
    young = [d for d, before in zip(delays[1:], elapsed, strict=False) if before < policy.export_steady_for]
    assert young and set(young) == {policy.export_steady}  # no back-off while the export is young
    old = [d for d, before in zip(delays[1:], elapsed, strict=False) if before >= policy.export_steady_for]
    assert old[0] > policy.export_steady
    assert all(b >= a for a, b in itertools.pairwise(old))
    assert max(old) == policy.maximum
    # Both directions of one client at once stay within the 60/min of invoiceExportStatus.
    assert 2 * (len(young) + 2) <= 60


def test_wait_for_export_follows_the_cadence_until_the_package_is_ready(
    make_emulator: Any, transport: RecordingTransport
) -> None:
    running = make_emulator(seed=4, clients=1)
    emu = running.emulator
    item = running.seed_info.clients[0]
    clock = RecordingClock(emu)
    emu.faults.export_delay = dt.timedelta(seconds=20)
    policy = PollPolicy()

    async def body() -> tuple[int, list[float]]:
        async with KsefClient(
            running.base_url, transport=transport, limiter=NoLimiter(), clock=clock, now=emu.clock.now
        ) as client:
            session = await client.login_with_token(item["nip"], item["token"])
            async with session:
                handle = await session.start_export(_filters())
                clock.sleeps.clear()  # the login's own polls are not the export's
                status = await session.wait_for_export(handle)
                waits = list(clock.sleeps)
                result = await session.download_export(handle, status, in_thread=True)
                return len(result.invoices), waits

    try:
        count, waits = asyncio.run(body())
    finally:
        emu.faults.export_delay = dt.timedelta(0)
    assert count > 0
    assert waits == list(itertools.islice(policy.export_delays(), len(waits)))
    assert sum(waits) >= 10  # it did wait for the package (real time moves the clock too)
    assert policy.export_steady in waits and max(waits) > policy.export_steady  # steady, then backed off
    polls = [s for s in transport.sent if s.path == f"/invoices/exports/{handle_ref(transport)}"]
    assert len(polls) == len(waits) + 1


def handle_ref(transport: RecordingTransport) -> str:
    return next(
        s.path.rsplit("/", 1)[1]
        for s in transport.sent
        if s.path.startswith("/invoices/exports/") and s.path.count("/") == 3
    )


def test_a_package_of_many_parts_is_opened_while_parts_download(
    make_emulator: Any, transport: RecordingTransport
) -> None:
    running = make_emulator(seed=5, clients=1)
    emu = running.emulator
    item = running.seed_info.clients[0]
    emu.exports.part_size_cap = 1024  # 1 KiB per part: several parts from a small package

    async def body(*, corrupt: bool) -> tuple[int, int, dict[str, bytes], dict[str, bytes]]:
        async with KsefClient(running.base_url, transport=transport) as client:
            session = await client.login_with_token(item["nip"], item["token"])
            async with session:
                handle = await session.start_export(_filters())
                status = await session.wait_for_export(handle)
                assert status.package is not None
                if corrupt:  # the first part decrypts to something else than KSeF's hash says
                    first = min(status.package.parts, key=lambda p: p.ordinal_number)
                    first.part_hash = "A" * 43 + "="
                overlapped = await session.download_export(handle, status, in_thread=True)
                plain = await session.download_export(handle, status)
                return (
                    len(status.package.parts),
                    len(overlapped.metadata),
                    overlapped.entries,
                    plain.entries,
                )

    try:
        parts, listed, overlapped, plain = asyncio.run(body(corrupt=False))
        assert parts >= 2
        assert listed > 0 and overlapped == plain  # the same package either way
        try:
            asyncio.run(body(corrupt=True))
        except KsefPackageError as error:
            assert "Część 1 paczki" in str(error) and "po odszyfrowaniu ma inny skrót" in str(error)
        else:
            raise AssertionError("a part with a wrong hash was accepted")
    finally:
        emu.exports.part_size_cap = 50 * 1024 * 1024
