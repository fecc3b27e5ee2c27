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

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import too_many_requests
from ksef_sheets.emulator.request import read_model
from ksef_sheets.emulator.state import del_meta, get_meta, set_meta

if TYPE_CHECKING:
    from ksef_sheets.emulator.clock import EmulatorClock
    from ksef_sheets.emulator.core import Emulator


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


# --- request bodies ------------------------------------------------------------------------------
class _Values(BaseModel):
    model_config = ConfigDict(extra="ignore")
    perSecond: int = Field(ge=0)
    perMinute: int = Field(ge=0)
    perHour: int = Field(ge=0)


class _SetRateLimits(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rateLimits: dict[str, _Values]


class _SessionValues(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxInvoiceSizeInMB: int = Field(ge=0, le=5)
    maxInvoiceWithAttachmentSizeInMB: int = Field(ge=0, le=10)
    maxInvoices: int = Field(ge=0, le=100000)


class _CollectiveValues(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxInvoices: int = Field(ge=2, le=5000)


class _SetSessionLimits(BaseModel):
    model_config = ConfigDict(extra="ignore")
    onlineSession: _SessionValues
    batchSession: _SessionValues
    collectiveIdentifier: _CollectiveValues


class _Enrollment(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxEnrollments: int | None = Field(default=None, ge=0)


class _Certificate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    maxCertificates: int | None = Field(default=None, ge=0)


class _SetSubjectLimits(BaseModel):
    model_config = ConfigDict(extra="ignore")
    subjectIdentifierType: str | None = None
    enrollment: _Enrollment | None = None
    certificate: _Certificate | None = None


def routes(emu: Emulator) -> list[BaseRoute]:
    from ksef_sheets.emulator.errors import validation_error

    async def rate_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        table = emu.limits.effective(ctx.context_value)
        return JSONResponse({g: table[g].as_json() for g in GROUPS})

    async def set_rate_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _SetRateLimits)
        missing = [g for g in OVERRIDABLE if g not in body.rateLimits]
        unknown = [g for g in body.rateLimits if g not in GROUPS]
        if missing or unknown:
            details = [f"Brak limitów dla grupy '{g}'." for g in missing]
            details += [f"Nieznana grupa limitów '{g}'." for g in unknown]
            raise validation_error(details, request=request)
        emu.limits.set_custom(
            ctx.context_value,
            {g: RateLimit(v.perSecond, v.perMinute, v.perHour) for g, v in body.rateLimits.items()},
        )
        return Response(status_code=200)

    async def reset_rate_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        emu.limits.clear(ctx.context_value)
        return Response(status_code=200)

    async def production_rate_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        emu.limits.set_production(ctx.context_value)
        return Response(status_code=200)

    async def context_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        return JSONResponse(emu.context_limits.for_context(ctx.context_value))

    async def set_context_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _SetSessionLimits)
        emu.context_limits.set_for_context(ctx.context_value, body.model_dump())
        return Response(status_code=200)

    async def reset_context_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        emu.context_limits.reset_context(ctx.context_value)
        return Response(status_code=200)

    async def subject_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        return JSONResponse(emu.context_limits.for_subject(ctx.subject_identifier, ctx.subject_type))

    async def set_subject_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        body = await read_model(request, _SetSubjectLimits)
        current = emu.context_limits.stored_for_subject(ctx.subject_identifier) or {}
        if body.enrollment and body.enrollment.maxEnrollments is not None:
            current["enrollment"] = {"maxEnrollments": body.enrollment.maxEnrollments}
        if body.certificate and body.certificate.maxCertificates is not None:
            current["certificate"] = {"maxCertificates": body.certificate.maxCertificates}
        emu.context_limits.set_for_subject(ctx.subject_identifier, current)
        return Response(status_code=200)

    async def reset_subject_limits(request: Request) -> Response:
        ctx = await emu.authorize(request)
        emu.limits.check(request, ctx, "other")
        emu.context_limits.reset_subject(ctx.subject_identifier)
        return Response(status_code=200)

    return [
        Route("/rate-limits", rate_limits, methods=["GET"]),
        Route("/testdata/rate-limits", set_rate_limits, methods=["POST"]),
        Route("/testdata/rate-limits", reset_rate_limits, methods=["DELETE"]),
        Route("/testdata/rate-limits/production", production_rate_limits, methods=["POST"]),
        Route("/limits/context", context_limits, methods=["GET"]),
        Route("/limits/subject", subject_limits, methods=["GET"]),
        Route("/testdata/limits/context/session", set_context_limits, methods=["POST"]),
        Route("/testdata/limits/context/session", reset_context_limits, methods=["DELETE"]),
        Route("/testdata/limits/subject/certificate", set_subject_limits, methods=["POST"]),
        Route("/testdata/limits/subject/certificate", reset_subject_limits, methods=["DELETE"]),
    ]
