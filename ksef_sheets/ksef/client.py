"""The async KSeF API 2.0 client: one ``httpx.AsyncClient`` per run, sessions per client context.

``KsefClient`` owns the HTTP connection pool, the MF public keys, the rate limiter and the retry
policy; ``KsefSession`` is one login in one client's context (contextIdentifier = the client's
NIP) and carries the access/refresh tokens. All waits (limiter, retries, polling) go through the
injected ``Clock``.

Retry policy: 429 is retried after the full ``Retry-After`` (any method: the server did not process
the request); 5xx, timeouts and dropped connections only for idempotent calls (GETs and the
read-only query POSTs); a connection that could not be opened is retried for every call, because
nothing was sent.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import io
import json
import logging
import random
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
from cryptography import x509
from pydantic import BaseModel, TypeAdapter, ValidationError

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.credentials import CertificateCredential, TokenCredential
from ksef_sheets.ksef.crypto import (
    SymmetricKey,
    b64,
    encrypt_ksef_token,
    load_der_certificate_b64,
    sha256_b64,
)
from ksef_sheets.ksef.limits import Clock, LimitValues, RateLimiter, SystemClock, group_for, parse_limits
from ksef_sheets.ksef.models import (
    FA3_FORM_CODE,
    AuthenticationChallengeResponse,
    AuthenticationInitResponse,
    AuthenticationOperationStatusResponse,
    AuthenticationTokenRefreshResponse,
    AuthenticationTokensResponse,
    FormCode,
    InvoiceExportStatusResponse,
    InvoiceMetadata,
    InvoicePackage,
    InvoiceQueryFilters,
    OpenBatchSessionResponse,
    OpenOnlineSessionResponse,
    Permission,
    PermissionsPage,
    PublicKeyCertificate,
    QueryInvoicesMetadataResponse,
    SessionInvoiceStatusResponse,
    SessionStatusResponse,
)
from ksef_sheets.ksef.package import METADATA_NAME, PackageLimits, open_zip_package
from ksef_sheets.ksef.xades import SubjectIdentifierType, signed_auth_request
from ksef_sheets.redaction import redact, register_secret

log = logging.getLogger("ksef_sheets.ksef")

M = TypeVar("M", bound=BaseModel)
_METADATA_LIST = TypeAdapter(list[InvoiceMetadata])  # one validator for a package's metadata list
Credential = TokenCredential | CertificateCredential

USAGE_TOKEN = "KsefTokenEncryption"  # noqa: S105 (a key usage name, not a secret)
USAGE_SYMMETRIC = "SymmetricKeyEncryption"

# Refresh the access token when fewer than this many seconds are left.
REFRESH_MARGIN = dt.timedelta(seconds=60)


# Largest response read into memory: export parts are ≤ 50 MiB (+ padding); JSON pages are small.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # one invoice (≤ 3 MB with attachments) or one UPO


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


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


class KsefClient:
    """The office's line to KSeF. Use as ``async with KsefClient(base_url) as client: ...``."""

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

    async def __aenter__(self) -> KsefClient:
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
        attempt = 0
        rate_limited = 0
        while True:
            if limited:
                await self.limiter.acquire(context_nip, group)
                await self.limiter.acquire(None, "global")  # per IP, across every context
            if callable(bearer):
                # Asked only now: the limiter may have waited long enough for the token to expire.
                headers["Authorization"] = f"Bearer {await bearer()}"
            try:
                response = await self._send(method, path, headers, body, params, max_bytes)
            except _TooLarge as too_large:
                raise E.KsefPackageError(
                    f"KSeF przysłał zbyt dużą odpowiedź ({_op(operation)}{E.who(context_nip)}): "
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
            log.debug("%s %s → %s", method, _loggable(path), response.status_code)
            if response.status_code == 429:
                retry_after = _retry_after(response.headers.get("Retry-After"))
                wait = (
                    retry_after
                    if retry_after is not None
                    else self.retry.default_retry_after * 2**rate_limited
                )
                if limited:
                    self.limiter.block(context_nip, group, wait)
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

    async def _backoff(self, attempt: int, method: str, path: str, exc: Exception | None) -> None:
        delay = self.retry.backoff(attempt)
        log.info(
            "KSeF: %s %s nie powiodło się (%s) — ponawiam za %.1f s",
            method,
            _loggable(path),
            type(exc).__name__ if exc else "błąd serwera",
            delay,
        )
        await self.clock.sleep(delay)

    def _unavailable(self, operation: str, context_nip: str | None, exc: Exception) -> E.KsefError:
        return E.KsefUnavailableError(
            f"KSeF nie odpowiada ({_op(operation)}{E.who(context_nip)}): {type(exc).__name__}. "
            "Spróbuj ponownie za kilka minut.",
            context_nip=context_nip,
        )

    def _error(self, response: httpx.Response, operation: str, context_nip: str | None) -> E.KsefError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        code, description, details = E.parse_error_body(body)
        where = f"{_op(operation)}{E.who(context_nip)}"
        kwargs: dict[str, Any] = {
            "status": status,
            "code": code,
            "description": description,
            "details": details,
            "context_nip": context_nip,
        }
        reason = E.code_message(code) or (redact(description) if description else f"HTTP {status}")
        if status == 400:
            if code == 21470:
                return E.KsefPublicKeyError(f"KSeF nie zna użytego klucza publicznego ({where}).", **kwargs)
            if code in (21164, 21173, 21175, 21178, 21304):
                return E.KsefNotFoundError(f"KSeF: {reason} ({where}).", **kwargs)
            if code == 21165:
                return E.KsefNotReadyError(f"KSeF: {reason} ({where}).", **kwargs)
            extra = f" Szczegóły: {redact('; '.join(details))}" if details else ""
            return E.KsefBadRequestError(
                f"KSeF odrzucił żądanie ({where}): {reason} (kod {code}).{extra}", **kwargs
            )
        if status == 401:
            return E.KsefAuthenticationError(
                f"KSeF nie przyjął tokenu dostępowego ({where}) — sesja wygasła albo została unieważniona; zaloguj się ponownie.",
                **kwargs,
            )
        if status == 403:
            reason_code = body.get("reasonCode") if isinstance(body, dict) else None
            security = body.get("security") if isinstance(body, dict) else None
            security = security if isinstance(security, dict) else {}
            if reason_code == "missing-permissions":
                required = [str(p) for p in security.get("requiredAnyOfPermissions") or []]
                return E.KsefPermissionError(
                    E.missing_permissions_message(context_nip, required), missing=required, **kwargs
                )
            if reason_code == "ip-not-allowed":
                return E.KsefPermissionError(
                    f"KSeF nie przyjmuje żądań z adresu IP {security.get('clientIp', '?')} ({where}) — sprawdź politykę adresów IP.",
                    **kwargs,
                )
            return E.KsefPermissionError(
                f"KSeF odmówił dostępu ({where}): {redact(description or str(reason_code or 'brak uprawnień'))}.",
                **kwargs,
            )
        if status in (404, 410):
            return E.KsefNotFoundError(f"KSeF: zasób nie istnieje lub wygasł ({where}).", **kwargs)
        if status == 429:
            return E.KsefRateLimitError(
                f"KSeF wciąż odrzuca zapytania z powodu limitu ({where}). Spróbuj ponownie później.",
                retry_after=_retry_after(response.headers.get("Retry-After")),
                **kwargs,
            )
        if status >= 500:
            return E.KsefUnavailableError(
                f"KSeF zgłosił błąd serwera {status} ({where}). Spróbuj ponownie za kilka minut.", **kwargs
            )
        return E.KsefError(f"KSeF zwrócił nieoczekiwany status {status} ({where}).", **kwargs)

    # --- public keys -----------------------------------------------------------------------------

    async def public_keys(self, *, refresh: bool = False) -> list[PublicKeyCertificate]:
        """MF public-key certificates, fetched once per client and again on ``refresh``."""
        async with self._keys_lock:
            if self._keys is None or refresh:
                response = await self.request(
                    "GET", "/security/public-key-certificates", operation="pobranie kluczy publicznych"
                )
                self._keys = _parse_list(response, PublicKeyCertificate, "klucze publiczne KSeF")
            return self._keys

    async def public_key(self, usage: str, *, refresh: bool = False) -> tuple[x509.Certificate, str | None]:
        """The certificate for ``usage`` valid now (latest ``validFrom`` wins) and its ``publicKeyId``."""
        keys = await self.public_keys(refresh=refresh)
        now = self.now()
        candidates = [k for k in keys if usage in k.usage]
        valid = [k for k in candidates if _aware(k.valid_from) <= now <= _aware(k.valid_to)] or candidates
        if not valid:
            raise E.KsefError(f"KSeF nie opublikował klucza publicznego do {usage}.")
        chosen = max(valid, key=lambda k: _aware(k.valid_from))
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

    # --- login -----------------------------------------------------------------------------------

    async def challenge(self) -> AuthenticationChallengeResponse:
        response = await self.request("POST", "/auth/challenge", operation="pobranie wyzwania")
        return _parse(response, AuthenticationChallengeResponse, "wyzwanie uwierzytelniające")

    async def login(self, context_nip: str, credential: Credential) -> KsefSession:
        """Log in with whatever the vault holds for this client (token or certificate)."""
        if isinstance(credential, TokenCredential):
            return await self.login_with_token(context_nip, credential)
        return await self.login_with_certificate(context_nip, credential)

    async def login_with_token(self, context_nip: str, token: str | TokenCredential) -> KsefSession:
        """Log in in ``context_nip`` with a KSeF token (PROTOCOL §4.2)."""
        secret = token.token if isinstance(token, TokenCredential) else token
        register_secret(secret)
        ch = await self.challenge()

        async def send(cert: x509.Certificate, key_id: str | None) -> httpx.Response:
            body: dict[str, Any] = {
                "challenge": ch.challenge,
                "contextIdentifier": {"type": "Nip", "value": context_nip},
                "encryptedToken": encrypt_ksef_token(cert, secret, ch.timestamp_ms),
            }
            if key_id:
                body["publicKeyId"] = key_id
            return await self.request(
                "POST", "/auth/ksef-token", json_body=body, operation="logowanie tokenem", context_nip=None
            )

        response = await self.with_fresh_key(USAGE_TOKEN, send)
        init = _parse(response, AuthenticationInitResponse, "rozpoczęcie uwierzytelnienia")
        session = await self._finish_login(init, context_nip, "token")
        session._relogin = lambda: self.login_with_token(context_nip, token)
        return session

    async def login_with_certificate(
        self,
        context_nip: str,
        credential: CertificateCredential,
        subject_identifier: SubjectIdentifierType = "certificateSubject",
        *,
        verify_certificate_chain: bool | None = None,
    ) -> KsefSession:
        """Log in in ``context_nip`` with a XAdES-signed AuthTokenRequest (PROTOCOL §4.3)."""
        credential.check(credential.reference)
        ch = await self.challenge()
        signed = signed_auth_request(
            ch.challenge, context_nip, credential, subject_identifier_type=subject_identifier
        )
        verify = (
            self.verify_certificate_chain if verify_certificate_chain is None else verify_certificate_chain
        )
        params = {"verifyCertificateChain": "true" if verify else "false"} if verify is not None else None
        response = await self.request(
            "POST",
            "/auth/xades-signature",
            content=signed,
            content_type="application/xml",
            params=params,
            operation="logowanie certyfikatem",
        )
        init = _parse(response, AuthenticationInitResponse, "rozpoczęcie uwierzytelnienia")
        session = await self._finish_login(init, context_nip, "certificate")
        session._relogin = lambda: self.login_with_certificate(
            context_nip, credential, subject_identifier, verify_certificate_chain=verify_certificate_chain
        )
        return session

    async def _finish_login(
        self, init: AuthenticationInitResponse, context_nip: str, method: Literal["token", "certificate"]
    ) -> KsefSession:
        auth_token = init.authentication_token.token
        register_secret(auth_token)
        ref = init.reference_number
        waited = 0.0
        delay = self.poll.first
        while True:
            response = await self.request(
                "GET", f"/auth/{ref}", bearer=auth_token, operation="status uwierzytelnienia"
            )
            status = _parse(response, AuthenticationOperationStatusResponse, "status uwierzytelnienia").status
            if status.code == 200:
                break
            if status.code >= 400:
                raise _auth_failure(
                    status.code, status.description, status.details or [], context_nip, method
                )
            if waited >= self.poll.timeout:
                raise E.KsefUnavailableError(
                    f"Uwierzytelnienie w kontekście klienta {context_nip} trwa zbyt długo (operacja {ref}).",
                    context_nip=context_nip,
                )
            await self.clock.sleep(delay)
            waited += delay
            delay = min(self.poll.maximum, delay * self.poll.factor)
        response = await self.request(
            "POST", "/auth/token/redeem", bearer=auth_token, operation="odebranie tokenów dostępowych"
        )
        tokens = _parse(response, AuthenticationTokensResponse, "tokeny dostępowe")
        register_secret(tokens.access_token.token)
        register_secret(tokens.refresh_token.token)
        log.info("KSeF: zalogowano w kontekście klienta %s (%s, operacja %s)", context_nip, method, ref)
        session = KsefSession(
            self,
            context_nip=context_nip,
            reference_number=ref,
            access_token=tokens.access_token.token,
            access_valid_until=_aware(tokens.access_token.valid_until),
            refresh_token=tokens.refresh_token.token,
            refresh_valid_until=_aware(tokens.refresh_token.valid_until),
            method=method,
        )
        if self._limits_pending:
            self._limits_pending = False
            try:
                await session.rate_limits()
            except E.KsefError as error:  # the seeded production table stays in force
                log.info("KSeF: nie udało się odczytać limitów (%s) — stosuję tabelę produkcyjną", error)
        return session


@dataclass
class ExportResult:
    """A finished, downloaded, decrypted and checked export package."""

    reference_number: str
    entries: dict[str, bytes] = field(repr=False)
    metadata: list[InvoiceMetadata]
    package: InvoicePackage
    # ``_metadata.json``'s items as KSeF sent them (dicts, camelCase), in the order of ``metadata``.
    metadata_items: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def invoices(self) -> dict[str, bytes]:
        """Invoice XML by KSeF number (entries named ``<ksefNumber>.xml``)."""
        return {name[:-4]: data for name, data in self.entries.items() if name.endswith(".xml")}

    @property
    def metadata_json(self) -> bytes | None:
        return self.entries.get(METADATA_NAME)

    @property
    def is_truncated(self) -> bool:
        return self.package.is_truncated

    @property
    def invoice_count(self) -> int:
        return self.package.invoice_count

    @property
    def last_permanent_storage_date(self) -> dt.datetime | None:
        return self.package.last_permanent_storage_date

    @property
    def permanent_storage_hwm_date(self) -> dt.datetime | None:
        return self.package.permanent_storage_hwm_date

    @property
    def last_issue_date(self) -> dt.date | None:
        return self.package.last_issue_date

    @property
    def last_invoicing_date(self) -> dt.datetime | None:
        return self.package.last_invoicing_date


@dataclass(frozen=True)
class ExportHandle:
    reference_number: str
    key: SymmetricKey = field(repr=False)


class KsefSession:
    """One login in one client's context. Tokens are refreshed automatically before they expire."""

    def __init__(
        self,
        client: KsefClient,
        *,
        context_nip: str,
        reference_number: str,
        access_token: str,
        access_valid_until: dt.datetime,
        refresh_token: str,
        refresh_valid_until: dt.datetime,
        method: Literal["token", "certificate"],
    ) -> None:
        self.client = client
        self.context_nip = context_nip
        self.reference_number = reference_number
        self._access_token = access_token
        self.access_valid_until = access_valid_until
        self._refresh_token = refresh_token
        self.refresh_valid_until = refresh_valid_until
        self.method = method
        self.closed = False
        self._refresh_lock = asyncio.Lock()
        # Logs in again with the same credential when the refresh token has expired (7 days) or
        # was refused — long office-day simulations and long runs keep working.
        self._relogin: Callable[[], Awaitable[KsefSession]] | None = None

    def __repr__(self) -> str:
        return f"KsefSession(context_nip={self.context_nip!r}, reference_number={self.reference_number!r})"

    async def __aenter__(self) -> KsefSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.closed:
            try:
                await self.logout()
            except E.KsefError as error:
                log.warning("KSeF: wylogowanie nie powiodło się: %s", error)

    # --- tokens ----------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """New access token from the refresh token (``POST /auth/token/refresh``); a new login when
        the refresh token has expired or is refused."""
        async with self._refresh_lock:
            if (
                self._relogin
                and not self.closed
                and self.refresh_valid_until - self.client.now() < REFRESH_MARGIN
            ):
                await self._adopt(await self._relogin())
                return
            try:
                response = await self.client.request(
                    "POST",
                    "/auth/token/refresh",
                    bearer=self._refresh_token,
                    operation="odświeżenie tokenu dostępowego",
                    context_nip=None,
                )
            except (E.KsefAuthenticationError, E.KsefBadRequestError):
                if self._relogin is None or self.closed:
                    raise
                log.info(
                    "KSeF: odświeżenie tokenu odrzucone — loguję ponownie w kontekście %s", self.context_nip
                )
                await self._adopt(await self._relogin())
                return
            token = _parse(response, AuthenticationTokenRefreshResponse, "odświeżony token").access_token
            register_secret(token.token)
            self._access_token = token.token
            self.access_valid_until = _aware(token.valid_until)

    async def _adopt(self, other: KsefSession) -> None:
        self.reference_number = other.reference_number
        self._access_token = other._access_token
        self.access_valid_until = other.access_valid_until
        self._refresh_token = other._refresh_token
        self.refresh_valid_until = other.refresh_valid_until

    async def ensure_fresh(self) -> None:
        if self.closed:
            raise E.KsefAuthenticationError(
                f"Sesja KSeF w kontekście klienta {self.context_nip} została już zamknięta.",
                context_nip=self.context_nip,
            )
        if self.access_valid_until - self.client.now() < REFRESH_MARGIN:
            await self.refresh()

    async def _bearer(self) -> str:
        await self.ensure_fresh()
        return self._access_token

    async def request(self, method: str, path: str, *, operation: str, **kwargs: Any) -> httpx.Response:
        """An authenticated request in this session's context (refresh on expiry, once on 401)."""
        try:
            return await self.client.request(
                method, path, bearer=self._bearer, context_nip=self.context_nip, operation=operation, **kwargs
            )
        except E.KsefAuthenticationError as error:
            if error.status != 401:
                raise
            await self.refresh()
            return await self.client.request(
                method, path, bearer=self._bearer, context_nip=self.context_nip, operation=operation, **kwargs
            )

    async def logout(self) -> None:
        """Revoke this login (``DELETE /auth/sessions/current``); issued access tokens stay valid until expiry."""
        if self.closed:
            return
        await self.request("DELETE", "/auth/sessions/current", operation="wylogowanie", idempotent=True)
        self.closed = True

    # --- invoices --------------------------------------------------------------------------------

    async def query_metadata(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        page_offset: int = 0,
        page_size: int = 250,
        *,
        sort_order: Literal["Asc", "Desc"] = "Asc",
    ) -> QueryInvoicesMetadataResponse:
        """One page of ``POST /invoices/query/metadata`` (page size 10–250)."""
        response = await self.request(
            "POST",
            "/invoices/query/metadata",
            params={"pageOffset": page_offset, "pageSize": page_size, "sortOrder": sort_order},
            json_body=_filters_body(filters),
            idempotent=True,
            operation="wyszukiwanie faktur",
        )
        return _parse(response, QueryInvoicesMetadataResponse, "lista faktur")

    async def iter_metadata(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        *,
        page_size: int = 250,
        sort_order: Literal["Asc", "Desc"] = "Asc",
    ) -> AsyncIterator[InvoiceMetadata]:
        """Every matching invoice once: pages via ``pageOffset``; after 10,000 records
        (``isTruncated``) the date range restarts from the last record's date (PROTOCOL §14)."""
        current = (
            filters
            if isinstance(filters, InvoiceQueryFilters)
            else InvoiceQueryFilters.model_validate(dict(filters))
        )
        seen: set[str] = set()
        offset = 0
        while True:
            page = await self.query_metadata(current, offset, page_size, sort_order=sort_order)
            for item in page.invoices:
                if item.ksef_number not in seen:
                    seen.add(item.ksef_number)
                    yield item
            if not page.has_more:
                return
            if page.is_truncated and page.invoices:
                last = _date_of(page.invoices[-1], current.date_range.date_type)
                range_ = current.date_range
                if sort_order == "Asc":
                    if last <= _aware(range_.from_):
                        raise E.KsefError(
                            f"Zbyt wiele faktur z tą samą datą w kontekście klienta {self.context_nip} — zawęź filtr.",
                            context_nip=self.context_nip,
                        )
                    range_ = range_.model_copy(update={"from_": last})
                else:
                    range_ = range_.model_copy(update={"to": last})
                current = current.model_copy(update={"date_range": range_})
                offset = 0
            else:
                offset += 1

    async def download_invoice(self, ksef_number: str) -> bytes:
        """The original invoice XML; its hash is checked against ``x-ms-meta-hash``."""
        response = await self.request(
            "GET",
            f"/invoices/ksef/{ksef_number}",
            accept="application/xml",
            max_bytes=MAX_DOCUMENT_BYTES,
            operation=f"pobranie faktury {ksef_number}",
        )
        data = response.content
        expected = response.headers.get("x-ms-meta-hash")
        if expected and expected != sha256_b64(data):
            raise E.KsefPackageError(
                f"Faktura {ksef_number} pobrana z KSeF ma inny skrót niż podany przez KSeF — plik odrzucono.",
                context_nip=self.context_nip,
            )
        return data

    # --- exports ---------------------------------------------------------------------------------

    async def start_export(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        *,
        only_metadata: bool = False,
    ) -> ExportHandle:
        """``POST /invoices/exports`` with a fresh AES key; returns the reference and the key."""
        key = SymmetricKey.generate()

        async def send(cert: x509.Certificate, key_id: str | None) -> httpx.Response:
            body: dict[str, Any] = {
                "encryption": key.encryption_info(cert, key_id),
                "filters": _filters_body(filters),
                "compressionType": "Zip",
            }
            if only_metadata:
                body["onlyMetadata"] = True
            return await self.request(
                "POST", "/invoices/exports", json_body=body, operation="zlecenie eksportu faktur"
            )

        response = await self.client.with_fresh_key(USAGE_SYMMETRIC, send)
        reference = _json(response, "eksport faktur").get("referenceNumber")
        if not isinstance(reference, str):
            raise E.KsefError(
                "KSeF nie zwrócił numeru referencyjnego eksportu.", context_nip=self.context_nip
            )
        return ExportHandle(reference, key)

    async def export_status(self, reference_number: str) -> InvoiceExportStatusResponse:
        response = await self.request(
            "GET", f"/invoices/exports/{reference_number}", operation=f"status eksportu {reference_number}"
        )
        return _parse(response, InvoiceExportStatusResponse, "status eksportu")

    async def wait_for_export(self, handle: ExportHandle) -> InvoiceExportStatusResponse:
        waited = 0.0
        delay = self.client.poll.first
        while True:
            status = await self.export_status(handle.reference_number)
            code = status.status.code
            if code == 200 and status.package is not None:
                return status
            if code == 210:
                raise E.KsefNotFoundError(
                    f"Paczka eksportu {handle.reference_number} wygasła — zleć eksport ponownie.",
                    status=200,
                    code=code,
                    context_nip=self.context_nip,
                )
            if code >= 400:
                raise E.KsefError(
                    f"Eksport {handle.reference_number} w kontekście klienta {self.context_nip} nie powiódł się: "
                    f"{redact(status.status.description)} (status {code}).",
                    code=code,
                    description=status.status.description,
                    details=status.status.details or [],
                    context_nip=self.context_nip,
                )
            if waited >= self.client.poll.timeout:
                raise E.KsefUnavailableError(
                    f"Eksport {handle.reference_number} trwa zbyt długo — sprawdź później.",
                    context_nip=self.context_nip,
                )
            await self.client.clock.sleep(delay)
            waited += delay
            delay = min(self.client.poll.maximum, delay * self.client.poll.factor)

    async def download_export(
        self, handle: ExportHandle, status: InvoiceExportStatusResponse, *, in_thread: bool = False
    ) -> ExportResult:
        """Download the parts (no bearer token), check hashes, decrypt, join, unzip safely.

        Each part is refused beyond its declared ``encryptedPartSize`` and when the storage's
        ``x-ms-meta-hash`` differs from KSeF's hash; the parts' signed links are masked in logs.
        ``in_thread`` runs the CPU work (hashes, decryption, unzip, metadata) in a worker thread so
        that other contexts' requests keep flowing on the event loop meanwhile (the office fetch).
        """
        package = status.package
        if package is None:
            raise E.KsefError(
                f"Eksport {handle.reference_number} nie ma jeszcze paczki.", context_nip=self.context_nip
            )
        label = handle.reference_number
        if package.compression_type != "Zip":
            raise E.KsefPackageError(
                f"Paczka eksportu {label} ma nieobsługiwany format {package.compression_type}.",
                context_nip=self.context_nip,
            )
        for part in package.parts:
            register_storage_link(part.url)
        encrypted: list[bytes] = []
        for part in sorted(package.parts, key=lambda p: p.ordinal_number):
            response = await self.client.request(
                part.method or "GET",
                part.url,
                limited=False,
                accept="application/octet-stream",
                operation=f"pobranie części {part.ordinal_number} paczki {label}",
                context_nip=self.context_nip,
                max_bytes=min(MAX_RESPONSE_BYTES, part.encrypted_part_size),
            )
            header_hash = response.headers.get("x-ms-meta-hash")
            if header_hash and header_hash != part.encrypted_part_hash:
                raise _bad_part_hash(part.ordinal_number, label, self.context_nip)
            encrypted.append(response.content)
        limits = self.client.package_limits
        if in_thread:
            return await asyncio.to_thread(open_export, handle, package, encrypted, limits, self.context_nip)
        return open_export(handle, package, encrypted, limits, self.context_nip)

    async def export_invoices(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        *,
        only_metadata: bool = False,
    ) -> ExportResult:
        """Create an export, poll it, download and open it (PROTOCOL §15)."""
        handle = await self.start_export(filters, only_metadata=only_metadata)
        status = await self.wait_for_export(handle)
        return await self.download_export(handle, status)

    # --- permissions and limits ------------------------------------------------------------------

    async def query_permissions(
        self,
        kind: Literal["personal", "persons", "entities"] = "personal",
        body: Mapping[str, Any] | None = None,
        *,
        page_size: int = 100,
    ) -> list[Permission]:
        """All pages of ``POST /permissions/query/{kind}/grants``.

        ``personal`` = what the logged-in subject (the office) holds in this context; ``persons``
        needs CredentialsRead/Manage and defaults to ``queryType=PermissionsInCurrentContext``.
        """
        payload = dict(body or {})
        if kind == "persons":
            payload.setdefault("queryType", "PermissionsInCurrentContext")
        result: list[Permission] = []
        offset = 0
        while True:
            response = await self.request(
                "POST",
                f"/permissions/query/{kind}/grants",
                params={"pageOffset": offset, "pageSize": page_size},
                json_body=payload,
                idempotent=True,
                operation="odczyt uprawnień",
            )
            page = _parse(response, PermissionsPage, "lista uprawnień")
            result.extend(page.permissions)
            if not page.has_more:
                return result
            offset += 1

    async def rate_limits(self) -> dict[str, LimitValues]:
        """Effective limits (``GET /rate-limits``); the client's limiter adopts them."""
        response = await self.request("GET", "/rate-limits", operation="odczyt limitów")
        limits = parse_limits(_json(response, "limity"))
        self.client.limiter.update(limits)
        return limits

    # --- sending ---------------------------------------------------------------------------------

    async def open_online_session(self, form_code: FormCode = FA3_FORM_CODE) -> OnlineSession:
        """``POST /sessions/online`` with a fresh AES key (needs InvoiceWrite)."""
        key = SymmetricKey.generate()

        async def send(cert: x509.Certificate, key_id: str | None) -> httpx.Response:
            body = {"formCode": form_code.to_api(), "encryption": key.encryption_info(cert, key_id)}
            return await self.request(
                "POST", "/sessions/online", json_body=body, operation="otwarcie sesji wysyłki"
            )

        response = await self.client.with_fresh_key(USAGE_SYMMETRIC, send)
        opened = _parse(response, OpenOnlineSessionResponse, "sesja interaktywna")
        return OnlineSession(self, opened.reference_number, key, opened.valid_until)

    async def open_batch_session(
        self,
        files: Mapping[str, bytes],
        *,
        form_code: FormCode = FA3_FORM_CODE,
        offline_mode: bool = False,
        part_size: int = 100_000_000,
    ) -> BatchSession:
        """Zip the invoices, encrypt the parts, open a batch session, upload parts (no token), close it."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        package = buffer.getvalue()
        key = SymmetricKey.generate()
        chunks = [package[i : i + part_size] for i in range(0, len(package), part_size)] or [b""]
        encrypted = [key.encrypt(chunk) for chunk in chunks]

        async def send(cert: x509.Certificate, key_id: str | None) -> httpx.Response:
            body: dict[str, Any] = {
                "formCode": form_code.to_api(),
                "batchFile": {
                    "fileSize": len(package),
                    "fileHash": sha256_b64(package),
                    "fileParts": [
                        {"ordinalNumber": i + 1, "fileSize": len(part), "fileHash": sha256_b64(part)}
                        for i, part in enumerate(encrypted)
                    ],
                },
                "encryption": key.encryption_info(cert, key_id),
            }
            if offline_mode:
                body["offlineMode"] = True
            return await self.request(
                "POST", "/sessions/batch", json_body=body, operation="otwarcie sesji wsadowej"
            )

        response = await self.client.with_fresh_key(USAGE_SYMMETRIC, send)
        opened = _parse(response, OpenBatchSessionResponse, "sesja wsadowa")
        for upload in sorted(opened.part_upload_requests, key=lambda u: u.ordinal_number):
            register_secret(urlsplit(upload.url).query)
            data = encrypted[upload.ordinal_number - 1]
            headers = {k: v for k, v in upload.headers.items() if v is not None}
            await self._upload(upload.method, upload.url, data, headers)
        batch = BatchSession(self, opened.reference_number)
        await self.request(
            "POST", f"/sessions/batch/{opened.reference_number}/close", operation="zamknięcie sesji wsadowej"
        )
        return batch

    async def _upload(self, method: str, url: str, data: bytes, headers: dict[str, str]) -> None:
        try:
            response = await self.client._http.request(method, url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            raise E.KsefUnavailableError(
                f"Nie udało się wysłać części paczki do KSeF ({type(exc).__name__}).",
                context_nip=self.context_nip,
            ) from None
        if response.status_code >= 400:
            raise self.client._error(response, "wysłanie części paczki", self.context_nip)

    async def get_session_status(self, reference_number: str) -> SessionStatusResponse:
        response = await self.request(
            "GET", f"/sessions/{reference_number}", operation=f"status sesji {reference_number}"
        )
        return _parse(response, SessionStatusResponse, "status sesji")

    async def session_invoices(
        self, reference_number: str, *, failed: bool = False
    ) -> list[SessionInvoiceStatusResponse]:
        """All invoices of a session (``x-continuation-token`` paging)."""
        path = f"/sessions/{reference_number}/invoices" + ("/failed" if failed else "")
        result: list[SessionInvoiceStatusResponse] = []
        continuation: str | None = None
        while True:
            response = await self.request(
                "GET",
                path,
                params={"pageSize": 100},
                extra_headers={"x-continuation-token": continuation} if continuation else None,
                operation="lista faktur sesji",
            )
            data = _json(response, "lista faktur sesji")
            for item in data.get("invoices") or []:
                try:
                    result.append(SessionInvoiceStatusResponse.model_validate(item))
                except ValidationError:
                    raise E.KsefError("KSeF zwrócił nieoczekiwaną listę faktur sesji.") from None
            continuation = data.get("continuationToken")
            if not continuation:
                return result

    async def download_upo(self, path: str) -> bytes:
        response = await self.request(
            "GET", path, accept="application/xml", max_bytes=MAX_DOCUMENT_BYTES, operation="pobranie UPO"
        )
        data = response.content
        expected = response.headers.get("x-ms-meta-hash")
        if expected and expected != sha256_b64(data):
            raise E.KsefPackageError("UPO pobrane z KSeF ma inny skrót niż podany przez KSeF — odrzucono.")
        return data


class OnlineSession:
    """An open interactive session (PROTOCOL §8): send invoices, close, read UPOs."""

    def __init__(
        self, session: KsefSession, reference_number: str, key: SymmetricKey, valid_until: dt.datetime | None
    ) -> None:
        self.session = session
        self.reference_number = reference_number
        self._key = key
        self.valid_until = valid_until
        self.closed = False

    def __repr__(self) -> str:
        return f"OnlineSession({self.reference_number!r})"

    async def __aenter__(self) -> OnlineSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.closed:
            await self.close()

    async def send_invoice(
        self, xml: bytes, *, offline_mode: bool = False, hash_of_corrected_invoice: str | None = None
    ) -> str:
        """Encrypt and send one invoice; returns the invoice reference number (poll its status)."""
        cipher = self._key.encrypt(xml)
        body: dict[str, Any] = {
            "invoiceHash": sha256_b64(xml),
            "invoiceSize": len(xml),
            "encryptedInvoiceHash": sha256_b64(cipher),
            "encryptedInvoiceSize": len(cipher),
            "encryptedInvoiceContent": b64(cipher),
        }
        if offline_mode:
            body["offlineMode"] = True
        if hash_of_corrected_invoice:
            body["hashOfCorrectedInvoice"] = hash_of_corrected_invoice
        response = await self.session.request(
            "POST",
            f"/sessions/online/{self.reference_number}/invoices",
            json_body=body,
            operation=f"wysłanie faktury w sesji {self.reference_number}",
        )
        reference = _json(response, "wysłanie faktury").get("referenceNumber")
        if not isinstance(reference, str):
            raise E.KsefError("KSeF nie zwrócił numeru referencyjnego faktury.")
        return reference

    async def invoice_status(self, invoice_reference: str) -> SessionInvoiceStatusResponse:
        response = await self.session.request(
            "GET",
            f"/sessions/{self.reference_number}/invoices/{invoice_reference}",
            operation=f"status faktury {invoice_reference}",
        )
        return _parse(response, SessionInvoiceStatusResponse, "status faktury")

    async def wait_for_invoice(self, invoice_reference: str) -> SessionInvoiceStatusResponse:
        """Poll until the invoice is accepted (200, with ``ksef_number``) or rejected (≥ 400)."""
        client = self.session.client
        waited, delay = 0.0, client.poll.first
        while True:
            status = await self.invoice_status(invoice_reference)
            if status.status.code not in (100, 150):
                return status
            if waited >= client.poll.timeout:
                raise E.KsefUnavailableError(
                    f"KSeF długo przetwarza fakturę {invoice_reference} — sprawdź później."
                )
            await client.clock.sleep(delay)
            waited += delay
            delay = min(client.poll.maximum, delay * client.poll.factor)

    async def close(self) -> None:
        await self.session.request(
            "POST", f"/sessions/online/{self.reference_number}/close", operation="zamknięcie sesji wysyłki"
        )
        self.closed = True

    async def status(self) -> SessionStatusResponse:
        return await self.session.get_session_status(self.reference_number)

    async def wait(self) -> SessionStatusResponse:
        """After ``close``: poll until the collective UPO is ready (status other than 100/170)."""
        client = self.session.client
        waited, delay = 0.0, client.poll.first
        while True:
            status = await self.status()
            if status.status.code not in (100, 170):
                return status
            if waited >= client.poll.timeout:
                raise E.KsefUnavailableError(
                    f"KSeF długo zamyka sesję {self.reference_number} — sprawdź później."
                )
            await client.clock.sleep(delay)
            waited += delay
            delay = min(client.poll.maximum, delay * client.poll.factor)

    async def invoice_upo(
        self, *, invoice_reference: str | None = None, ksef_number: str | None = None
    ) -> bytes:
        """The UPO of one invoice, by its session reference or by its KSeF number."""
        if invoice_reference:
            path = f"/sessions/{self.reference_number}/invoices/{invoice_reference}/upo"
        elif ksef_number:
            path = f"/sessions/{self.reference_number}/invoices/ksef/{ksef_number}/upo"
        else:
            raise ValueError("invoice_reference or ksef_number required")
        return await self.session.download_upo(path)

    async def upo(self) -> list[bytes]:
        """The session's collective UPO pages (after close, once status is 200)."""
        return await session_upo_pages(self.session, self.reference_number)


class BatchSession:
    def __init__(self, session: KsefSession, reference_number: str) -> None:
        self.session = session
        self.reference_number = reference_number

    def __repr__(self) -> str:
        return f"BatchSession({self.reference_number!r})"

    async def status(self) -> SessionStatusResponse:
        return await self.session.get_session_status(self.reference_number)

    async def wait(self) -> SessionStatusResponse:
        """Poll until processing ends (status other than 100/150/170)."""
        client = self.session.client
        waited, delay = 0.0, client.poll.first
        while True:
            status = await self.status()
            if status.status.code not in (100, 150, 170):
                return status
            if waited >= client.poll.timeout:
                raise E.KsefUnavailableError(
                    f"KSeF długo przetwarza paczkę {self.reference_number} — sprawdź później."
                )
            await client.clock.sleep(delay)
            waited += delay
            delay = min(client.poll.maximum, delay * client.poll.factor)

    async def invoices(self, *, failed: bool = False) -> list[SessionInvoiceStatusResponse]:
        return await self.session.session_invoices(self.reference_number, failed=failed)

    async def upo(self) -> list[bytes]:
        return await session_upo_pages(self.session, self.reference_number)


async def session_upo_pages(session: KsefSession, reference_number: str) -> list[bytes]:
    status = await session.get_session_status(reference_number)
    if status.upo is None:
        return []
    return [
        await session.download_upo(f"/sessions/{reference_number}/upo/{page.reference_number}")
        for page in status.upo.pages
    ]


# --- helpers ---------------------------------------------------------------------------------------


def _auth_failure(
    code: int, description: str, details: Sequence[str], context_nip: str, method: str
) -> E.KsefError:
    reason = E.auth_status_message(code)
    kwargs: dict[str, Any] = {
        "status": 200,
        "code": code,
        "description": description,
        "details": details,
        "context_nip": context_nip,
    }
    if code == 415:
        return E.KsefPermissionError(
            f"Biuro nie ma żadnych uprawnień w KSeF w kontekście klienta {context_nip} — klient musi nadać biuru "
            "uprawnienie „przeglądanie faktur” (InvoiceRead), a w scenariuszu 3 także „wystawianie faktur” "
            "(InvoiceWrite).",
            **kwargs,
        )
    if method == "token" and code == 450:
        return E.KsefAuthenticationError(
            f"Logowanie do KSeF w kontekście klienta {context_nip} nie powiodło się: {reason}. "
            "Poproś klienta o nowy token i zapisz go: ksef-sheets credentials add.",
            **kwargs,
        )
    return E.KsefAuthenticationError(
        f"Logowanie do KSeF w kontekście klienta {context_nip} nie powiodło się: {reason} (status {code}).",
        **kwargs,
    )


def _filters_body(filters: InvoiceQueryFilters | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(filters, InvoiceQueryFilters):
        return filters.to_api()
    return dict(filters)


def _date_of(item: InvoiceMetadata, date_type: str) -> dt.datetime:
    if date_type == "Issue":
        return dt.datetime.combine(item.issue_date, dt.time(), tzinfo=dt.UTC)
    if date_type == "Invoicing":
        return _aware(item.invoicing_date)
    return _aware(item.permanent_storage_date)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (_aware(when) - dt.datetime.now(dt.UTC)).total_seconds())


def _op(operation: str) -> str:
    return f"{operation} " if operation else ""


def open_export(
    handle: ExportHandle,
    package: InvoicePackage,
    encrypted: list[bytes],
    limits: PackageLimits,
    context_nip: str | None = None,
) -> ExportResult:
    """Check, decrypt, join and unzip downloaded export parts (CPU only; ``encrypted`` is emptied).

    Every part's hash is checked before and after decryption, the ZIP is opened by the hardened
    reader, ``_metadata.json`` must match the model and every invoice its hash there.
    """
    label = handle.reference_number
    plain_parts: list[bytes] = []
    for index, part in enumerate(sorted(package.parts, key=lambda p: p.ordinal_number)):
        data, encrypted[index] = encrypted[index], b""  # each encrypted part freed once decrypted
        if sha256_b64(data) != part.encrypted_part_hash:
            raise _bad_part_hash(part.ordinal_number, label, context_nip)
        try:
            plain = handle.key.decrypt(data)
        except ValueError as exc:
            raise E.KsefPackageError(
                f"Nie można odszyfrować części {part.ordinal_number} paczki {label}.", context_nip=context_nip
            ) from exc
        if sha256_b64(plain) != part.part_hash:
            raise E.KsefPackageError(
                f"Część {part.ordinal_number} paczki {label} po odszyfrowaniu ma inny skrót niż podany przez KSeF.",
                context_nip=context_nip,
            )
        plain_parts.append(plain)
    entries = open_zip_package(b"".join(plain_parts), label=label, limits=limits)
    del plain_parts
    metadata: list[InvoiceMetadata] = []
    items: list[dict[str, Any]] = []
    raw_meta = entries.get(METADATA_NAME)
    if raw_meta is not None:
        # {"invoices": [InvoiceMetadata…]} (PROTOCOL §15), parsed once: the models for the checks,
        # the items as KSeF sent them for whoever keeps them (the archive).
        try:
            items = json.loads(raw_meta)["invoices"]
            metadata = _METADATA_LIST.validate_python(items)
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise E.KsefPackageError(
                f"Plik {METADATA_NAME} w paczce {label} jest uszkodzony.", context_nip=context_nip
            ) from exc
    for item in metadata:
        xml = entries.get(f"{item.ksef_number}.xml")
        if xml is not None and sha256_b64(xml) != item.invoice_hash:
            raise E.KsefPackageError(
                f"Faktura {item.ksef_number} w paczce {label} ma inny skrót niż w metadanych KSeF — odrzucono paczkę.",
                context_nip=context_nip,
            )
    return ExportResult(handle.reference_number, entries, metadata, package, items)


def _bad_part_hash(ordinal: int, label: str, context_nip: str | None) -> E.KsefPackageError:
    return E.KsefPackageError(
        f"Część {ordinal} paczki {label} ma inny skrót niż podany przez KSeF — odrzucono.",
        context_nip=context_nip,
    )


def register_storage_link(url: str) -> None:
    """A storage link carries its signature (SAS) in the query: masked wherever it would be logged."""
    query = urlsplit(url).query
    register_secret(query)
    for name, value in parse_qsl(query):
        if name.lower() == "sig":  # also as a server might echo it back, decoded
            register_secret(value)


def _loggable(path: str) -> str:
    # Storage links carry signatures in the query string: never log them.
    return path.split("?")[0]


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise E.KsefError(
            f"KSeF zwrócił nieczytelną odpowiedź ({what}).", status=response.status_code
        ) from None
    if not isinstance(data, dict):
        raise E.KsefError(f"KSeF zwrócił nieoczekiwaną odpowiedź ({what}).", status=response.status_code)
    return data


def _parse(response: httpx.Response, model: type[M], what: str) -> M:
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError):
        raise E.KsefError(
            f"KSeF zwrócił odpowiedź niezgodną ze specyfikacją ({what}).", status=response.status_code
        ) from None


def _parse_list(response: httpx.Response, model: type[M], what: str) -> list[M]:
    try:
        data = response.json()
        if not isinstance(data, list):
            raise ValueError("not a list")
        return [model.model_validate(item) for item in data]
    except (ValueError, ValidationError):
        raise E.KsefError(
            f"KSeF zwrócił odpowiedź niezgodną ze specyfikacją ({what}).", status=response.status_code
        ) from None
