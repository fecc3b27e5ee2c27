"""API rate limits (PROTOCOL.md §16) and context/subject limits (§22), with TEST's knobs.

Counting key: (context, client IP, group) — for group ``other`` additionally the endpoint, since
every "other" endpoint has its own counter; public endpoints (no context) count per IP in group
``anonymous``. Windows of 1 s, 60 s and 60 min are enforced together on the emulator clock, so a
test can speed time up instead of sleeping.

Profiles: ``prod`` (the production table from the spec's ``x-rate-limits``) and ``off`` (no
limiting; ``GET /rate-limits`` then reports very high values). A context can be switched to custom
values or to the production table through ``/testdata/rate-limits`` (as on TEST), and from Python
with ``emu.limits.set_custom(...)`` / ``set_profile(...)``.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import too_many_requests
from ksef_sheets.emulator.state import del_meta, get_meta, set_meta

if TYPE_CHECKING:
    from ksef_sheets.emulator.clock import EmulatorClock


@dataclass(frozen=True)
class RateLimit:
    per_second: int
    per_minute: int
    per_hour: int

    def as_json(self) -> dict[str, int]:
        return {"perSecond": self.per_second, "perMinute": self.per_minute, "perHour": self.per_hour}


_UNLIMITED = RateLimit(1_000_000, 1_000_000, 1_000_000)

# Values from the spec's x-rate-limits (openapi.json) / PROTOCOL.md §16. Public endpoints only have
# a per-second limit (60/IP); their minute/hour values are the per-second value scaled up.
PROD_TABLE: dict[str, RateLimit] = {
    "onlineSession": RateLimit(10, 30, 120),
    "onlineSessionClose": RateLimit(20, 60, 240),
    "batchSession": RateLimit(10, 20, 60),
    "batchSessionClose": RateLimit(20, 40, 120),
    "invoiceSend": RateLimit(10, 30, 180),
    "invoiceStatus": RateLimit(30, 120, 1200),
    "sessionList": RateLimit(5, 10, 60),
    "sessionInvoiceList": RateLimit(10, 20, 200),
    "sessionMisc": RateLimit(10, 120, 1200),
    "invoiceMetadata": RateLimit(8, 16, 20),
    "invoiceExport": RateLimit(8, 16, 20),
    "invoiceExportStatus": RateLimit(10, 60, 600),
    "invoiceDownload": RateLimit(8, 16, 64),
    "collectiveIdentifier": RateLimit(20, 120, 240),
    "other": RateLimit(10, 30, 120),
    "anonymous": RateLimit(60, 60 * 60, 60 * 3600),
    "global": RateLimit(1000, 60_000, 3_600_000),
}
GROUPS = tuple(PROD_TABLE)
# Groups a context may override with POST /testdata/rate-limits (ApiRateLimitsOverride).
OVERRIDABLE = tuple(
    g for g in GROUPS if g not in ("anonymous", "global", "onlineSessionClose", "batchSessionClose")
)

PROFILES = ("prod", "off")

DEFAULT_CONTEXT_LIMITS: dict[str, dict[str, int]] = {
    "onlineSession": {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10000},
    "batchSession": {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10000},
    "collectiveIdentifier": {"maxInvoices": 1000},
}
DEFAULT_SUBJECT_LIMITS: dict[str, dict[str, int]] = {
    "enrollment": {"maxEnrollments": 300},
    "certificate": {"maxCertificates": 100},
}
# PESEL and certificate-fingerprint subjects (PROTOCOL.md §18.4): 12 requests, 6 active certificates.
DEFAULT_PERSON_LIMITS: dict[str, dict[str, int]] = {
    "enrollment": {"maxEnrollments": 12},
    "certificate": {"maxCertificates": 6},
}

_WINDOWS = ((1.0, "sekundę"), (60.0, "minutę"), (3600.0, "godzinę"))


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class RateLimiter:
    """Sliding-window counters; ``check`` raises the spec's 429 (via ``EmulatorHTTPError``)."""

    def __init__(
        self, clock: EmulatorClock, profile: str | Mapping[str, Any] = "off", db: Any = None
    ) -> None:
        self.clock = clock
        self.profile = "off"
        self._custom: dict[str, RateLimit] = {}
        self.set_profile(profile)
        self._db = db
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, ...], deque[float]] = {}
        # per context: "prod" or {group: RateLimit}; persisted so TEST-style setups survive restarts
        self._overrides: dict[str, Any] = {}
        if db is not None:
            stored = get_meta(db, "rate_limit_overrides", {}) or {}
            for ctx, value in stored.items():
                self._overrides[ctx] = (
                    value if value == "prod" else {g: RateLimit(**v) for g, v in value.items()}
                )

    # --- configuration -------------------------------------------------------------------------
    def set_profile(self, profile: str | Mapping[str, Any]) -> None:
        """``"prod"``, ``"off"``, or a custom table for every context: ``{group: RateLimit | (s, m, h)}``
        (groups left out keep the production values)."""
        if isinstance(profile, Mapping):
            unknown = [g for g in profile if g not in PROD_TABLE]
            if unknown:
                raise ValueError(f"unknown rate-limit groups {unknown}")
            self._custom = {
                g: v if isinstance(v, RateLimit) else RateLimit(*(int(x) for x in v))
                for g, v in profile.items()
            }
            self.profile = "custom"
            return
        if profile not in PROFILES:
            raise ValueError(f"unknown rate-limit profile {profile!r}; expected one of {PROFILES}")
        self.profile = profile

    def set_custom(self, context: str, table: dict[str, RateLimit]) -> None:
        """Custom limits for one context (missing groups keep the current profile's values)."""
        self._overrides[context] = dict(table)
        self._persist()

    def set_production(self, context: str) -> None:
        self._overrides[context] = "prod"
        self._persist()

    def clear(self, context: str | None = None) -> None:
        """Back to the emulator's profile for one context, or for all; also forgets counters."""
        if context is None:
            self._overrides.clear()
        else:
            self._overrides.pop(context, None)
        with self._lock:
            self._hits = {k: v for k, v in self._hits.items() if context is not None and k[0] != context}
        self._persist()

    def _persist(self) -> None:
        if self._db is None:
            return
        data = {
            ctx: (v if v == "prod" else {g: lim.__dict__ for g, lim in v.items()})
            for ctx, v in self._overrides.items()
        }
        if data:
            set_meta(self._db, "rate_limit_overrides", data)
        else:
            del_meta(self._db, "rate_limit_overrides")

    def effective(self, context: str | None) -> dict[str, RateLimit]:
        override = self._overrides.get(context) if context else None
        if override == "prod":
            return dict(PROD_TABLE)
        if self.profile == "off":
            base = dict.fromkeys(GROUPS, _UNLIMITED)
        else:
            base = dict(PROD_TABLE)
            if self.profile == "custom":
                base.update(self._custom)
        if isinstance(override, dict):
            base.update(override)
        return base

    def enforced(self, context: str | None) -> bool:
        return self.profile != "off" or (context is not None and context in self._overrides)

    # --- counting ------------------------------------------------------------------------------
    def check(self, request: Request, ctx: AccessContext | None, group: str) -> None:
        """Count one request; raise 429 with Retry-After when any window is exceeded."""
        if group not in PROD_TABLE:
            raise ValueError(f"unknown rate-limit group {group!r}")
        context = ctx.context_value if ctx is not None else None
        if not self.enforced(context):
            return
        limit = self.effective(context)[group]
        key: tuple[str, ...] = (context or "-", client_ip(request), group)
        if group == "other":
            endpoint = request.scope.get("endpoint")
            key += (getattr(endpoint, "__qualname__", request.url.path),)
        now = self.clock.timestamp()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - 3600.0:
                hits.popleft()
            for (window, label), allowed in zip(
                _WINDOWS, (limit.per_second, limit.per_minute, limit.per_hour), strict=True
            ):
                in_window = [t for t in hits if t > now - window]
                if len(in_window) >= allowed:
                    oldest = in_window[len(in_window) - allowed] if allowed > 0 else now
                    retry = max(1, math.ceil(oldest + window - now))
                    raise too_many_requests(
                        f"Przekroczono limit {allowed} żądań na {label}. Spróbuj ponownie po {retry} sekundach.",
                        retry,
                        request=request,
                    )
            hits.append(now)


class ContextLimits:
    """Session/collective-identifier limits per context (``GET /limits/context``) and subject limits."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def for_context(self, context: str) -> dict[str, dict[str, int]]:
        stored = get_meta(self._db, f"context_limits:{context}")
        return stored or {k: dict(v) for k, v in DEFAULT_CONTEXT_LIMITS.items()}

    def set_for_context(self, context: str, limits: dict[str, dict[str, int]]) -> None:
        set_meta(self._db, f"context_limits:{context}", limits)

    def reset_context(self, context: str) -> None:
        del_meta(self._db, f"context_limits:{context}")

    def for_subject(self, subject: str, subject_type: str = "Nip") -> dict[str, dict[str, int]]:
        defaults = DEFAULT_SUBJECT_LIMITS if subject_type == "Nip" else DEFAULT_PERSON_LIMITS
        merged = {k: dict(v) for k, v in defaults.items()}
        merged.update(self.stored_for_subject(subject) or {})
        return merged

    def stored_for_subject(self, subject: str) -> dict[str, dict[str, int]] | None:
        """The TEST override set for ``subject`` (``/testdata/limits/subject/certificate``), if any."""
        stored: dict[str, dict[str, int]] | None = get_meta(self._db, f"subject_limits:{subject}")
        return stored

    def set_for_subject(self, subject: str, limits: dict[str, dict[str, int]]) -> None:
        set_meta(self._db, f"subject_limits:{subject}", limits)

    def reset_subject(self, subject: str) -> None:
        del_meta(self._db, f"subject_limits:{subject}")
