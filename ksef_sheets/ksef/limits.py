"""A proactive rate limiter so that normal work never meets KSeF's HTTP 429 (PROTOCOL §16).

KSeF counts requests per (context, client IP) and group in three sliding windows — 1 s, 60 s and
60 min — all at once. The limiter keeps the same windows on the client side per (context, group),
seeded with the production table (the example of ``GET /rate-limits`` in the spec) and refreshed
from ``GET /rate-limits``. When a window is full, ``acquire`` waits until the oldest request leaves
it. A 429 from the server (someone else used the same context from this IP) blocks the key for the
whole ``Retry-After``.

Time comes from an injectable ``Clock`` so that tests and office-day simulations with a sped-up
emulator do not really sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds and an async sleep measured in the same seconds."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock for tests and simulations: ``sleep`` advances time instantly and records the wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CallbackClock:
    """A clock driven by someone else's time line, e.g. the emulator's in an office-day simulation:
    ``CallbackClock(now=lambda: emu.clock.timestamp(), advance=lambda s: emu.clock.advance(timedelta(seconds=s)))``.
    Without ``advance``, ``sleep`` really sleeps ``seconds / speed``.
    """

    def __init__(
        self,
        now: Callable[[], float],
        advance: Callable[[float], None] | None = None,
        *,
        speed: float = 1.0,
    ) -> None:
        self._now = now
        self._advance = advance
        self._speed = speed

    def monotonic(self) -> float:
        return self._now()

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        if self._advance is not None:
            self._advance(seconds)
            await asyncio.sleep(0)
        else:
            await asyncio.sleep(seconds / self._speed)


@dataclass(frozen=True)
class LimitValues:
    """Requests allowed per second / minute / hour; a value ≤ 0 means "no limit in this window"."""

    per_second: int
    per_minute: int
    per_hour: int

    def windows(self) -> list[tuple[float, int]]:
        return [
            (w, n)
            for w, n in ((1.0, self.per_second), (60.0, self.per_minute), (3600.0, self.per_hour))
            if n > 0
        ]


# The production table: the example of GET /rate-limits in openapi.json 2.9.0 (= PROTOCOL §16).
PRODUCTION_LIMITS: dict[str, LimitValues] = {
    "onlineSession": LimitValues(10, 30, 120),
    "onlineSessionClose": LimitValues(20, 60, 240),
    "batchSession": LimitValues(10, 20, 60),
    "batchSessionClose": LimitValues(20, 40, 120),
    "invoiceSend": LimitValues(10, 30, 180),
    "invoiceStatus": LimitValues(30, 120, 1200),
    "sessionList": LimitValues(5, 10, 60),
    "sessionInvoiceList": LimitValues(10, 20, 200),
    "sessionMisc": LimitValues(10, 120, 1200),
    "invoiceMetadata": LimitValues(8, 16, 20),
    "invoiceExport": LimitValues(8, 16, 20),
    "invoiceExportStatus": LimitValues(10, 60, 600),
    "invoiceDownload": LimitValues(8, 16, 64),
    "collectiveIdentifier": LimitValues(20, 120, 240),
    "other": LimitValues(10, 30, 120),
    "anonymous": LimitValues(60, -1, -1),
    "global": LimitValues(75, -1, -1),
}

# Which group an operation belongs to (method, path relative to the base URL). Everything else is
# "other", which KSeF counts per endpoint — so its key includes the path template.
_GROUP_RULES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), g)
    for m, p, g in [
        ("POST", r"^/auth/(challenge|xades-signature|ksef-token|token/redeem|token/refresh)$", "anonymous"),
        ("GET", r"^/auth/(?!sessions)[^/]+$", "anonymous"),
        ("GET", r"^/security/public-key-certificates$", "anonymous"),
        ("GET", r"^/peppol/query$", "anonymous"),
        ("POST", r"^/invoices/query/metadata$", "invoiceMetadata"),
        ("POST", r"^/invoices/exports$", "invoiceExport"),
        ("GET", r"^/invoices/exports/[^/]+$", "invoiceExportStatus"),
        ("GET", r"^/invoices/ksef/[^/]+$", "invoiceDownload"),
        ("POST", r"^/sessions/online$", "onlineSession"),
        ("POST", r"^/sessions/online/[^/]+/close$", "onlineSessionClose"),
        ("POST", r"^/sessions/online/[^/]+/invoices$", "invoiceSend"),
        ("POST", r"^/sessions/batch$", "batchSession"),
        ("POST", r"^/sessions/batch/[^/]+/close$", "batchSessionClose"),
        ("GET", r"^/sessions$", "sessionList"),
        ("GET", r"^/sessions/[^/]+/invoices(/failed)?$", "sessionInvoiceList"),
        ("GET", r"^/sessions/[^/]+/invoices/(?!failed$)[^/]+$", "invoiceStatus"),
        ("GET", r"^/sessions/[^/]+(/upo/[^/]+|/invoices/.+/upo)?$", "sessionMisc"),
        ("GET", r"^/collective-identifiers/.*$", "collectiveIdentifier"),
        ("POST", r"^/collective-identifiers(/.*)?$", "collectiveIdentifier"),
    ]
]

_ID_SEGMENT = re.compile(r"/(\d{8}-[A-Z]{2}-[0-9A-F-]+|\d{10}-\d{8}-[0-9A-F-]+|[0-9a-fA-F-]{32,36})(?=/|$)")


def group_for(method: str, path: str) -> str:
    """The limit group of a request (``other:<template>`` for endpoints counted on their own)."""
    method = method.upper()
    for rule_method, pattern, group in _GROUP_RULES:
        if rule_method == method and pattern.match(path):
            return group
    return f"other:{method} {_ID_SEGMENT.sub('/{id}', path)}"


def limits_key(group: str) -> str:
    return "other" if group.startswith("other:") else group


class RateLimiter:
    """Sliding-window limiter per (context, group); shared by every session of one run.

    ``margin`` is added to each wait so that network jitter cannot squeeze two requests into one
    server-side window; ``fraction`` (≤ 1) keeps some headroom for other programs using the same
    context from the same IP.
    """

    def __init__(
        self,
        limits: Mapping[str, LimitValues] | None = None,
        *,
        clock: Clock | None = None,
        margin: float = 0.05,
        fraction: float = 1.0,
    ) -> None:
        self.limits: dict[str, LimitValues] = dict(PRODUCTION_LIMITS if limits is None else limits)
        self.clock: Clock = clock or SystemClock()
        self.margin = margin
        self.fraction = fraction
        self._history: dict[tuple[str, str], deque[float]] = {}
        self._blocked_until: dict[tuple[str, str], float] = {}
        # Per event loop: one limiter may serve several asyncio.run() calls (e.g. a CLI per client).
        self._locks: dict[tuple[int, str, str], asyncio.Lock] = {}
        self.waited = 0.0  # total seconds spent waiting (for benchmarks and the fetch summary)

    def update(self, limits: Mapping[str, LimitValues]) -> None:
        """Adopt the limits KSeF reports as effective (``GET /rate-limits``)."""
        self.limits.update(limits)

    def block(self, context: str | None, group: str, seconds: float) -> None:
        """Honour a server ``Retry-After``: nothing in this (context, group) goes out before it ends."""
        key = (context or "", group)
        until = self.clock.monotonic() + max(0.0, seconds)
        self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), until)

    def _windows(self, group: str) -> list[tuple[float, int]]:
        values = self.limits.get(limits_key(group))
        if values is None:
            return []
        return [(w, max(1, int(n * self.fraction))) for w, n in values.windows()]

    def delay(self, context: str | None, group: str) -> float:
        """Seconds to wait before one more request of this (context, group) may go out."""
        key = (context or "", group)
        now = self.clock.monotonic()
        wait = max(0.0, self._blocked_until.get(key, 0.0) - now)
        history = self._history.get(key)
        windows = self._windows(group)
        if history and windows:
            longest = max(w for w, _ in windows)
            while history and history[0] <= now - longest - self.margin:
                history.popleft()
            for window, allowed in windows:
                inside = [t for t in history if t > now - window - self.margin]
                if len(inside) >= allowed:
                    # The request that must leave the window for one more to fit.
                    leaving = inside[len(inside) - allowed]
                    wait = max(wait, leaving + window + self.margin - now)
        return wait

    async def acquire(self, context: str | None, group: str) -> float | None:
        """Wait (on the injected clock) until a request may go out, then count it; returns the
        stamp to hand to ``settle`` once the answer is in (None when the group has no limit)."""
        key = (context or "", group)
        lock = self._locks.setdefault((id(asyncio.get_running_loop()), *key), asyncio.Lock())
        async with lock:
            while True:
                wait = self.delay(context, group)
                if wait <= 0:
                    break
                self.waited += wait
                await self.clock.sleep(wait)
            if not self._windows(group):
                return None
            stamp = self.clock.monotonic()
            self._history.setdefault(key, deque()).append(stamp)
            return stamp

    def settle(self, context: str | None, group: str, stamp: float | None) -> None:
        """Count a finished request at the moment its answer came back.

        KSeF counts a request when it arrives, somewhere between our send and its answer. Counted
        at the send, a request that waited in a queue (a busy server or office machine) would look
        older than KSeF thinks it is, and the next one could overfill KSeF's window by a hair — a
        429 (seen on the CI machine). Counted at the answer, it can only look younger: the limiter
        errs towards waiting. Moving the stamp to "now" keeps the history in time order.
        """
        if stamp is None:
            return
        history = self._history.get((context or "", group))
        if history is None:
            return
        # Gone already if it left the longest window; it still counts from now.
        with contextlib.suppress(ValueError):
            history.remove(stamp)
        history.append(self.clock.monotonic())


class NoLimiter(RateLimiter):
    """For tests that want to see the server's 429 themselves."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        super().__init__({}, clock=clock)

    def delay(self, context: str | None, group: str) -> float:
        key = (context or "", group)
        return max(0.0, self._blocked_until.get(key, 0.0) - self.clock.monotonic())


def parse_limits(data: Mapping[str, object]) -> dict[str, LimitValues]:
    """``EffectiveApiRateLimits`` → {group: LimitValues}; unknown or malformed groups are skipped."""
    result: dict[str, LimitValues] = {}
    for group, values in data.items():
        if isinstance(values, Mapping):
            try:
                result[group] = LimitValues(
                    int(values.get("perSecond", -1)),
                    int(values.get("perMinute", -1)),
                    int(values.get("perHour", -1)),
                )
            except (TypeError, ValueError):
                continue
    return result
