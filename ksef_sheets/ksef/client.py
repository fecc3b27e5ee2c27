"""The async KSeF API 2.0 client: one ``httpx.AsyncClient`` per run, sessions per client context.

``KsefClient`` owns the HTTP connection pool, the MF public keys, the rate limiter and the retry
policy (``connection.py``) and logs in (token or XAdES signature, PROTOCOL §4); ``KsefSession``
(``session.py``) is one login in one client's context (contextIdentifier = the client's NIP) and
carries the access/refresh tokens. All waits (limiter, retries, polling) go through the injected
``Clock``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import httpx
from cryptography import x509

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.connection import USAGE_TOKEN, KsefConnection
from ksef_sheets.ksef.credentials import CertificateCredential, TokenCredential
from ksef_sheets.ksef.crypto import encrypt_ksef_token
from ksef_sheets.ksef.models import (
    AuthenticationChallengeResponse,
    AuthenticationInitResponse,
    AuthenticationOperationStatusResponse,
    AuthenticationTokensResponse,
    StatusInfo,
)
from ksef_sheets.ksef.responses import aware, parse_model
from ksef_sheets.ksef.session import KsefSession
from ksef_sheets.ksef.xades import SubjectIdentifierType, signed_auth_request
from ksef_sheets.redaction import register_secret

log = logging.getLogger("ksef_sheets.ksef")

Credential = TokenCredential | CertificateCredential


class KsefClient(KsefConnection):
    """The office's line to KSeF. Use as ``async with KsefClient(base_url) as client: ...``."""

    # --- login -----------------------------------------------------------------------------------

    async def challenge(self) -> AuthenticationChallengeResponse:
        response = await self.request("POST", "/auth/challenge", operation="pobranie wyzwania")
        return parse_model(response, AuthenticationChallengeResponse, "wyzwanie uwierzytelniające")

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
        init = parse_model(response, AuthenticationInitResponse, "rozpoczęcie uwierzytelnienia")
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
        init = parse_model(response, AuthenticationInitResponse, "rozpoczęcie uwierzytelnienia")
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

        async def ask() -> StatusInfo:
            response = await self.request(
                "GET", f"/auth/{ref}", bearer=auth_token, operation="status uwierzytelnienia"
            )
            return parse_model(
                response, AuthenticationOperationStatusResponse, "status uwierzytelnienia"
            ).status

        status = await self.poll_until(
            ask,
            lambda status: status.code == 200 or status.code >= 400,
            f"Uwierzytelnienie w kontekście klienta {context_nip} trwa zbyt długo (operacja {ref}).",
            context_nip=context_nip,
        )
        if status.code >= 400:
            raise _auth_failure(status.code, status.description, status.details or [], context_nip, method)
        response = await self.request(
            "POST", "/auth/token/redeem", bearer=auth_token, operation="odebranie tokenów dostępowych"
        )
        tokens = parse_model(response, AuthenticationTokensResponse, "tokeny dostępowe")
        register_secret(tokens.access_token.token)
        register_secret(tokens.refresh_token.token)
        log.info("KSeF: zalogowano w kontekście klienta %s (%s, operacja %s)", context_nip, method, ref)
        session = KsefSession(
            self,
            context_nip=context_nip,
            reference_number=ref,
            access_token=tokens.access_token.token,
            access_valid_until=aware(tokens.access_token.valid_until),
            refresh_token=tokens.refresh_token.token,
            refresh_valid_until=aware(tokens.refresh_token.valid_until),
            method=method,
        )
        if self._limits_pending:
            self._limits_pending = False
            try:
                await session.rate_limits()
            except E.KsefError as error:  # the seeded production table stays in force
                log.info("KSeF: nie udało się odczytać limitów (%s) — stosuję tabelę produkcyjną", error)
        return session


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
