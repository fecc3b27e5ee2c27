"""Signed storage links (shared by UPO, export parts and batch uploads).

The Ministry serves packages and UPOs from Azure Blob storage through links that need no token
but carry an expiry (``se``, Unix seconds) and a signature (``sig``); errors there are the
storage's, not KSeF's ``ExceptionResponse``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ksef_sheets.emulator.clock import EmulatorClock

LINK_LIFETIME = timedelta(hours=1)


class StorageLinks:
    """``sign`` hands out ``public_url + path?se=..&sig=..``; ``check`` verifies one on download."""

    def __init__(self, clock: EmulatorClock, public_url: str, secret: bytes) -> None:
        self.clock = clock
        self.public_url = public_url
        self._key = hashlib.sha256(b"ksef-sheets-emulator storage links|" + secret).digest()

    def _signature(self, method: str, path: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{method}|{path}|{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def sign(self, method: str, path: str, expires_at: datetime) -> str:
        """``public_url + path`` with ``se`` (expiry, Unix seconds) and ``sig``; ``path`` starts with /storage."""
        expires = int(expires_at.timestamp())
        query = urlencode({"se": expires, "sig": self._signature(method, path, expires)})
        return f"{self.public_url.rstrip('/')}{quote(path)}?{query}"

    def check(self, request: Request, path: str) -> Response | None:
        """None when the link is authentic and unexpired, else the storage's 403 response."""
        try:
            expires = int(request.query_params.get("se", ""))
        except ValueError:
            expires = 0
        given = request.query_params.get("sig", "")
        expected = self._signature(request.method, path, expires)
        if not hmac.compare_digest(given, expected):
            return storage_error(403, "AuthenticationFailed", "Podpis adresu jest nieprawidłowy.")
        if self.clock.now().timestamp() > expires:
            return storage_error(403, "AuthenticationFailed", "Adres wygasł.")
        return None


def storage_error(status: int, code: str, message: str) -> Response:
    # The Ministry's storage is Azure Blob; its errors are not KSeF's ExceptionResponse.
    return JSONResponse({"code": code, "message": message}, status_code=status)


def storage_not_found() -> Response:
    return storage_error(404, "BlobNotFound", "Zasób nie istnieje.")
