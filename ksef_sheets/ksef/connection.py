"""The connection to KSeF: one ``httpx.AsyncClient`` per run, the limiter, retries, the MF keys.

``KsefConnection`` sends one request with the rate limiter, the retry policy and the KSeF error
mapping; ``KsefClient`` (``client.py``) adds the login on top. All waits go through the injected
``Clock``.

Retry policy: 429 is retried after the full ``Retry-After`` (any method: the server did not process
the request); 5xx, timeouts and dropped connections only for idempotent calls (GETs and the
read-only query POSTs); a connection that could not be opened is retried for every call, because
nothing was sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import httpx
from cryptography import x509

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.crypto import load_der_certificate_b64
from ksef_sheets.ksef.limits import Clock, RateLimiter, SystemClock, group_for
from ksef_sheets.ksef.models import PublicKeyCertificate
from ksef_sheets.ksef.package import PackageLimits
from ksef_sheets.ksef.responses import aware, error_for_response, loggable, op_label, parse_list, retry_after

log = logging.getLogger("ksef_sheets.ksef")

USAGE_TOKEN = "KsefTokenEncryption"  # noqa: S105 (a key usage name, not a secret)
USAGE_SYMMETRIC = "SymmetricKeyEncryption"


# Largest response read into memory: export parts are ≤ 50 MiB (+ padding); JSON pages are small.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # one invoice (≤ 3 MB with attachments) or one UPO


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


_Answer = TypeVar("_Answer")


@dataclass
class RetryPolicy:
    max_retries: int = 4  # 5xx / network problems on idempotent calls
    max_rate_limit_retries: int = 6  # 429s in a row before giving up
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    default_retry_after: float = 2.0

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass
class PollPolicy:
    first: float = 0.2
    factor: float = 1.5
    maximum: float = 5.0
    timeout: float = 1800.0  # seconds of (injected) clock time before giving up
    # Export packages (issue 20): KSeF answers 100 until the package is built, usually within
    # seconds, and says nothing about progress. So the first look comes sooner and the pace stays
    # steady while the export is young (a package found at most ``export_steady`` late, not up to
    # half the elapsed time late); only an export still at 100 after ``export_steady_for`` seconds
    # backs off multiplicatively. Steady for 5 s at 0.25 s is 20 polls: both directions of a
    # client at once stay within the production 60/min of ``invoiceExportStatus``.
    export_first: float = 0.05
    export_steady: float = 0.25
    export_steady_for: float = 5.0

    def export_delays(self) -> Iterator[float]:
        """The pauses between one export's status polls (the first poll follows the start at once)."""
        waited, delay = 0.0, self.export_first
        while True:
            yield delay
            waited += delay
            if waited < self.export_steady_for:
                delay = self.export_steady
            else:
                delay = min(self.maximum, max(delay, self.export_steady) * self.factor)


class KsefConnection:
    """The HTTP side of ``KsefClient``: pool, limiter, retries, error mapping, the MF public keys."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        timeout: float = 30.0,
        clock: Clock | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        package_limits: PackageLimits | None = None,
        verify_certificate_chain: bool | None = None,
        event_hooks: Mapping[str, list[Any]] | None = None,
        now: Callable[[], dt.datetime] | None = None,
        adopt_server_limits: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock: Clock = clock or (limiter.clock if limiter else SystemClock())
        self.limiter = limiter or RateLimiter(clock=self.clock)
        self.retry = retry or RetryPolicy()
        self.poll = poll or PollPolicy()
        self.package_limits = package_limits or PackageLimits()
        self.verify_certificate_chain = verify_certificate_chain
        # Wall-clock "now" for token and key validity; an office-day simulation passes the emulator's.
        self.now: Callable[[], dt.datetime] = now or (lambda: dt.datetime.now(dt.UTC))
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json", "User-Agent": "ksef-sheets"},
            follow_redirects=False,
            event_hooks=dict(event_hooks) if event_hooks else None,
        )
        self._keys: list[PublicKeyCertificate] | None = None
        # After the first login of a run, GET /rate-limits once so the limiter follows what KSeF
        # (or the emulator, or a TEST override) really enforces instead of the seeded table only.
        self._limits_pending = adopt_server_limits
        self._keys_lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- HTTP core --------------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        context_nip: str | None = None,
        bearer: str | Callable[[], Awaitable[str]] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        limited: bool = True,
        accept: str | None = None,
        operation: str = "",
        extra_headers: Mapping[str, str] | None = None,
        max_bytes: int = MAX_RESPONSE_BYTES,
    ) -> httpx.Response:
        """Send one request with limiter, retries and KSeF error mapping; returns a 2xx response.

        ``path`` is relative to the base URL (``/invoices/query/metadata``) or an absolute URL
        (export part / UPO storage links, sent without the bearer token).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "OPTIONS")
        group = group_for(method, path.split("?")[0]) if limited else ""
        headers, body = _headers_and_body(bearer, accept, json_body, content, content_type, extra_headers)
        attempt = 0
        rate_limited = 0
        while True:
            stamps: tuple[float | None, float | None] = (None, None)
            if limited:
                stamps = (
                    await self.limiter.acquire(context_nip, group),
                    await self.limiter.acquire(None, "global"),  # per IP, across every context
                )
            if callable(bearer):
                # Asked only now: the limiter may have waited long enough for the token to expire.
                headers["Authorization"] = f"Bearer {await bearer()}"
            try:
                try:
                    response = await self._send(method, path, headers, body, params, max_bytes)
                finally:
                    if limited:
                        self.limiter.settle(context_nip, group, stamps[0])
                        self.limiter.settle(None, "global", stamps[1])
            except _TooLarge as too_large:
                raise E.KsefPackageError(
                    f"KSeF przysłał zbyt dużą odpowiedź ({op_label(operation)}{E.who(context_nip)}): "
                    f"{too_large.size} bajtów przy limicie {max_bytes} — odrzucono.",
                    context_nip=context_nip,
                ) from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # Nothing reached the server: safe to retry any call.
                if attempt < self.retry.max_retries:
                    await self._backoff(attempt, method, path, exc)
                    attempt += 1
                    continue
                raise self._unavailable(operation, context_nip, exc) from None
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if idempotent and attempt < self.retry.max_retries:
                    await self._backoff(attempt, method, path, exc)
                    attempt += 1
                    continue
                raise self._unavailable(operation, context_nip, exc) from None
            log.debug("%s %s → %s", method, loggable(path), response.status_code)
            if response.status_code == 429:
                wait = self._rate_limited(response, context_nip, group if limited else None, rate_limited)
                if rate_limited < self.retry.max_rate_limit_retries:
                    rate_limited += 1
                    log.info("KSeF: limit zapytań (%s) — czekam %.1f s zgodnie z Retry-After", group, wait)
                    if not limited:
                        await self.clock.sleep(wait)
                    continue
                raise self._error(response, operation, context_nip)
            if response.status_code >= 500 and idempotent and attempt < self.retry.max_retries:
                await self._backoff(attempt, method, path, None)
                attempt += 1
                continue
            if response.status_code >= 400:
                raise self._error(response, operation, context_nip)
            return response

    def _rate_limited(
        self, response: httpx.Response, context_nip: str | None, group: str | None, rate_limited: int
    ) -> float:
        """Seconds to wait after a 429 (its ``Retry-After``, else doubling); the limiter's key
        (``group``, None for an unlimited call) is blocked that long."""
        announced = retry_after(response.headers.get("Retry-After"))
        wait = announced if announced is not None else self.retry.default_retry_after * 2**rate_limited
        if group is not None:
            self.limiter.block(context_nip, group, wait)
        return wait

    async def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
        params: Mapping[str, Any] | None,
        max_bytes: int,
    ) -> httpx.Response:
        """One exchange; the body is read in chunks and refused beyond ``max_bytes`` (a hostile or
        broken server cannot make the office's computer hold gigabytes in memory)."""
        request = self._http.build_request(method, path, headers=headers, content=body, params=params)
        response = await self._http.send(request, stream=True)
        try:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _TooLarge(int(declared))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():  # decoded: a gzip bomb is counted as it unpacks
                size += len(chunk)
                if size > max_bytes:
                    raise _TooLarge(size)
                chunks.append(chunk)
        finally:
            await response.aclose()
        headers_out = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers_out,
            content=b"".join(chunks),
            request=request,
            extensions=response.extensions,
        )

    def _error(self, response: httpx.Response, operation: str, context_nip: str | None) -> E.KsefError:
        return error_for_response(response, operation, context_nip)

    async def poll_until(
        self,
        ask: Callable[[], Awaitable[_Answer]],
        finished: Callable[[_Answer], bool],
        too_long: str,
        *,
        context_nip: str | None = None,
    ) -> _Answer:
        """Ask KSeF about an operation until ``finished`` says its answer is final, pausing by the
        poll policy (first pause ``poll.first``, growing ×``poll.factor`` up to ``poll.maximum``);
        after ``poll.timeout`` seconds of the run's clock, ``too_long`` (one Polish sentence)."""
        waited, delay = 0.0, self.poll.first
        while True:
            answer = await ask()
            if finished(answer):
                return answer
            if waited >= self.poll.timeout:
                raise E.KsefUnavailableError(too_long, context_nip=context_nip)
            await self.clock.sleep(delay)
            waited += delay
            delay = min(self.poll.maximum, delay * self.poll.factor)

    async def _backoff(self, attempt: int, method: str, path: str, exc: Exception | None) -> None:
        delay = self.retry.backoff(attempt)
        log.info(
            "KSeF: %s %s nie powiodło się (%s) — ponawiam za %.1f s",
            method,
            loggable(path),
            type(exc).__name__ if exc else "błąd serwera",
            delay,
        )
        await self.clock.sleep(delay)

    def _unavailable(self, operation: str, context_nip: str | None, exc: Exception) -> E.KsefError:
        return E.KsefUnavailableError(
            f"KSeF nie odpowiada ({op_label(operation)}{E.who(context_nip)}): {type(exc).__name__}. "
            "Spróbuj ponownie za kilka minut.",
            context_nip=context_nip,
        )

    # --- public keys -----------------------------------------------------------------------------

    async def public_keys(self, *, refresh: bool = False) -> list[PublicKeyCertificate]:
        """MF public-key certificates, fetched once per client and again on ``refresh``."""
        async with self._keys_lock:
            if self._keys is None or refresh:
                response = await self.request(
                    "GET", "/security/public-key-certificates", operation="pobranie kluczy publicznych"
                )
                self._keys = parse_list(response, PublicKeyCertificate, "klucze publiczne KSeF")
            return self._keys

    async def public_key(self, usage: str, *, refresh: bool = False) -> tuple[x509.Certificate, str | None]:
        """The certificate for ``usage`` valid now (latest ``validFrom`` wins) and its ``publicKeyId``."""
        keys = await self.public_keys(refresh=refresh)
        now = self.now()
        candidates = [k for k in keys if usage in k.usage]
        valid = [k for k in candidates if aware(k.valid_from) <= now <= aware(k.valid_to)] or candidates
        if not valid:
            raise E.KsefError(f"KSeF nie opublikował klucza publicznego do {usage}.")
        chosen = max(valid, key=lambda k: aware(k.valid_from))
        return load_der_certificate_b64(chosen.certificate), chosen.public_key_id

    async def with_fresh_key(self, usage: str, send: Any) -> httpx.Response:
        """Call ``send(cert, key_id)``; on 21470 refetch the keys and try once more (PROTOCOL §3)."""
        cert, key_id = await self.public_key(usage)
        try:
            return await send(cert, key_id)
        except E.KsefPublicKeyError:
            log.info("KSeF: nieznany identyfikator klucza publicznego — pobieram klucze ponownie")
            cert, key_id = await self.public_key(usage, refresh=True)
            return await send(cert, key_id)


def _headers_and_body(
    bearer: str | Callable[[], Awaitable[str]] | None,
    accept: str | None,
    json_body: Any,
    content: bytes | None,
    content_type: str | None,
    extra_headers: Mapping[str, str] | None,
) -> tuple[dict[str, str], bytes | None]:
    headers: dict[str, str] = dict(extra_headers or {})
    if isinstance(bearer, str):
        headers["Authorization"] = f"Bearer {bearer}"
    if accept:
        headers["Accept"] = accept
    body: bytes | None = None
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    elif content is not None:
        body = content
        headers["Content-Type"] = content_type or "application/octet-stream"
    return headers, body
