"""The proactive limiter on an injected clock: sliding windows, Retry-After blocks, groups."""

from __future__ import annotations

import asyncio

import pytest

from ksef_sheets.ksef.limits import (
    PRODUCTION_LIMITS,
    LimitValues,
    ManualClock,
    RateLimiter,
    group_for,
    parse_limits,
)


def _sent_times(limiter: RateLimiter, clock: ManualClock, n: int, context: str = "5210537039") -> list[float]:
    async def run() -> list[float]:
        times = []
        for _ in range(n):
            await limiter.acquire(context, "invoiceMetadata")
            times.append(clock.monotonic())
        return times

    return asyncio.run(run())


def _max_in_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_metadata_burst_respects_every_production_window() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock=clock, margin=0.05)
    times = _sent_times(limiter, clock, 45)
    limits = PRODUCTION_LIMITS["invoiceMetadata"]
    assert _max_in_window(times, 1.0) <= limits.per_second
    assert _max_in_window(times, 60.0) <= limits.per_minute
    assert _max_in_window(times, 3600.0) <= limits.per_hour
    # The 21st request had to wait for the hour window: the limiter really waited, on the fake clock.
    assert times[20] - times[0] >= 3600.0
    assert limiter.waited > 3600.0


def test_contexts_are_counted_separately() -> None:
    clock = ManualClock()
    limiter = RateLimiter({"invoiceMetadata": LimitValues(2, -1, -1)}, clock=clock)

    async def run() -> None:
        for nip in ("5210537039", "5252248481"):
            await limiter.acquire(nip, "invoiceMetadata")
            await limiter.acquire(nip, "invoiceMetadata")

    asyncio.run(run())
    assert clock.sleeps == []


def test_concurrent_acquires_share_one_window() -> None:
    clock = ManualClock()
    limiter = RateLimiter({"invoiceDownload": LimitValues(8, 16, 64)}, clock=clock)
    times: list[float] = []

    async def one() -> None:
        await limiter.acquire("5210537039", "invoiceDownload")
        times.append(clock.monotonic())

    async def run() -> None:
        await asyncio.gather(*(one() for _ in range(20)))

    asyncio.run(run())
    assert _max_in_window(sorted(times), 1.0) <= 8
    assert _max_in_window(sorted(times), 60.0) <= 16


def test_a_slow_answer_is_counted_when_it_came_back() -> None:
    """A request KSeF received late (queued on a busy machine) must not let a later one overfill
    KSeF's window: the limiter counts it when its answer came back."""
    clock = ManualClock(start=0.0)
    limiter = RateLimiter({"invoiceExportStatus": LimitValues(10, -1, -1)}, clock=clock, margin=0.05)
    ctx, group = "5210537039", "invoiceExportStatus"

    async def run() -> float:
        slow = await limiter.acquire(ctx, group)  # sent at 0.0, answered only at 0.4
        clock.advance(0.1)
        for _ in range(9):  # sent at 0.1, answered at once
            limiter.settle(ctx, group, await limiter.acquire(ctx, group))
        clock.advance(0.3)
        limiter.settle(ctx, group, slow)
        await limiter.acquire(ctx, group)
        return clock.monotonic()

    # Counted at its send (0.0) the slow one would free a place at 1.05 — while KSeF, which may
    # have counted it at 0.39, still sees ten requests in its second. Counted at 0.4, the oldest
    # are the nine of 0.1: the 11th goes at 1.15.
    assert asyncio.run(run()) == pytest.approx(1.15)


def test_retry_after_block_is_honoured_in_full() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock=clock)
    limiter.block("5210537039", "invoiceExport", 7200.0)  # no cap, even two hours

    async def run() -> None:
        await limiter.acquire("5210537039", "invoiceExport")

    asyncio.run(run())
    assert sum(clock.sleeps) >= 7200.0


def test_update_from_rate_limits_endpoint() -> None:
    limiter = RateLimiter(clock=ManualClock())
    limiter.update(
        parse_limits({"invoiceMetadata": {"perSecond": 1, "perMinute": 2, "perHour": 3}, "bad": 5})
    )
    assert limiter.limits["invoiceMetadata"] == LimitValues(1, 2, 3)
    assert limiter.limits["invoiceExport"] == PRODUCTION_LIMITS["invoiceExport"]


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("POST", "/invoices/query/metadata", "invoiceMetadata"),
        ("POST", "/invoices/exports", "invoiceExport"),
        ("GET", "/invoices/exports/20250925-EH-0123456789-0123456789-01", "invoiceExportStatus"),
        ("GET", "/invoices/ksef/5265877635-20250826-0100001AF629-AF", "invoiceDownload"),
        ("POST", "/sessions/online", "onlineSession"),
        ("POST", "/sessions/online/20250625-SO-2C3E6C8000-B675CF5D68-07/invoices", "invoiceSend"),
        ("POST", "/sessions/online/20250625-SO-2C3E6C8000-B675CF5D68-07/close", "onlineSessionClose"),
        ("GET", "/sessions/20250625-SO-2C3E6C8000-B675CF5D68-07", "sessionMisc"),
        ("GET", "/sessions/20250625-SO-2C3E6C8000-B675CF5D68-07/invoices", "sessionInvoiceList"),
        ("GET", "/sessions/20250625-SO-2C3E6C8000-B675CF5D68-07/invoices/failed", "sessionInvoiceList"),
        (
            "GET",
            "/sessions/20250625-SO-2C3E6C8000-B675CF5D68-07/invoices/20250625-EE-2C3E6C8000-B675CF5D68-07",
            "invoiceStatus",
        ),
        (
            "GET",
            "/sessions/20250625-SO-2C3E6C8000-B675CF5D68-07/invoices/20250625-EE-2C3E6C8000-B675CF5D68-07/upo",
            "sessionMisc",
        ),
        ("GET", "/sessions", "sessionList"),
        ("POST", "/auth/challenge", "anonymous"),
        ("GET", "/auth/20250625-AU-2C3E6C8000-B675CF5D68-07", "anonymous"),
        ("GET", "/auth/sessions", "other:GET /auth/sessions"),
        ("POST", "/permissions/query/personal/grants", "other:POST /permissions/query/personal/grants"),
    ],
)
def test_groups_follow_the_spec(method: str, path: str, group: str) -> None:
    assert group_for(method, path) == group


def test_global_limit_spans_contexts() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock=clock)

    async def run() -> list[float]:
        times = []
        for i in range(160):
            await limiter.acquire(f"ctx{i}", "invoiceStatus")
            await limiter.acquire(None, "global")
            times.append(clock.monotonic())
        return times

    times = asyncio.run(run())
    assert _max_in_window(times, 1.0) <= PRODUCTION_LIMITS["global"].per_second
    assert times[-1] - times[0] >= 2.0


def test_one_limiter_serves_several_event_loops() -> None:
    clock = ManualClock()
    limiter = RateLimiter({"invoiceMetadata": LimitValues(1, -1, -1)}, clock=clock)
    for _ in range(3):
        asyncio.run(limiter.acquire("5210537039", "invoiceMetadata"))
    assert sum(clock.sleeps) >= 2.0  # the windows carried over between the runs
