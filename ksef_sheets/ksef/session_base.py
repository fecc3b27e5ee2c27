"""A login in one client's context: access and refresh tokens, authenticated requests, logout."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal, Self

import httpx

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.connection import KsefConnection
from ksef_sheets.ksef.models import AuthenticationTokenRefreshResponse
from ksef_sheets.ksef.responses import aware, parse_model
from ksef_sheets.redaction import register_secret

log = logging.getLogger("ksef_sheets.ksef")

# Refresh the access token when fewer than this many seconds are left.
REFRESH_MARGIN = dt.timedelta(seconds=60)


class SessionBase:
    """One login in one client's context: its tokens (refreshed before they expire) and its requests.

    ``KsefSession`` (``session.py``) adds the calls: queries, exports, sending.
    """

    def __init__(
        self,
        client: KsefConnection,
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
        self._relogin: Callable[[], Awaitable[SessionBase]] | None = None

    def __repr__(self) -> str:
        return f"KsefSession(context_nip={self.context_nip!r}, reference_number={self.reference_number!r})"

    async def __aenter__(self) -> Self:
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
            token = parse_model(response, AuthenticationTokenRefreshResponse, "odświeżony token").access_token
            register_secret(token.token)
            self._access_token = token.token
            self.access_valid_until = aware(token.valid_until)

    async def _adopt(self, other: SessionBase) -> None:
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
