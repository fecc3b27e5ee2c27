"""The emulator's clock: real time by default, but tests can move it forward or speed it up.

Everything time-dependent in the emulator (challenge expiry, JWT lifetimes, rate-limit windows,
export readiness, token activation) reads ``Emulator.clock.now()``, never ``datetime.now()``, so a
test can say "an hour passes" without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class EmulatorClock:
    """Aware-UTC clock: ``now() = start + (monotonic elapsed × speed) + shift``."""

    def __init__(self, *, speed: float = 1.0, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._anchor_real = time.monotonic()
        self._anchor_emu = start.astimezone(UTC) if start else datetime.now(UTC)
        self._speed = float(speed)

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._anchor_real) * self._speed
            return self._anchor_emu + timedelta(seconds=elapsed)

    def timestamp(self) -> float:
        """Seconds since the epoch on the emulator's time line."""
        return self.now().timestamp()

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative delta) at once."""
        with self._lock:
            self._anchor_emu += delta

    def set_speed(self, factor: float) -> None:
        """From now on emulated time runs ``factor`` times faster than real time."""
        if factor <= 0:
            raise ValueError("clock speed must be positive")
        current = self.now()
        with self._lock:
            self._anchor_real = time.monotonic()
            self._anchor_emu = current
            self._speed = float(factor)

    @property
    def speed(self) -> float:
        return self._speed
