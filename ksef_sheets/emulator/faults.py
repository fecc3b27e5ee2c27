"""Faults on demand, for tests of clients: 5xx answers, dropped connections, slow exports, warnings.

Python API (``emu.faults``)::

    emu.faults.fail_next(2, status=503, path_prefix="/invoices")   # next 2 matching requests → 503
    emu.faults.drop_next(1, path_prefix="/invoices/exports")       # connection cut mid-response
    emu.faults.export_delay = timedelta(minutes=5)                 # exports stay in status 100
    emu.faults.system_warning = "[1]: Planowana przerwa techniczna"  # X-System-Warning on responses
    emu.faults.clear()

HTTP (emulator-only, outside the spec, for subprocess tests): ``GET|POST|DELETE /v2/_emulator/faults``
with the JSON shape of ``Faults.as_json()``, and ``POST /v2/_emulator/clock``
``{"advanceSeconds": 3600, "speed": 10}``. Paths in ``pathPrefix`` are relative to ``/v2``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ksef_sheets.emulator.errors import ksef_error

EMULATOR_PREFIX = "/_emulator"


@dataclass
class _Rule:
    remaining: int
    status: int
    path_prefix: str
    method: str | None


class DroppedOnPurpose(ConnectionAbortedError):
    """Raised to cut a response short; the runner keeps it out of the server log."""


class Faults:
    """Thread-safe: set from a test's thread, consumed by the server's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fail: list[_Rule] = []
        self._drop: list[_Rule] = []
        self.export_delay: timedelta = timedelta(0)
        self.system_warning: str | None = None

    def fail_next(
        self, count: int = 1, *, status: int = 500, path_prefix: str = "/", method: str | None = None
    ) -> None:
        if not 500 <= status <= 599:
            raise ValueError("fault status must be a 5xx code")
        with self._lock:
            self._fail.append(_Rule(count, status, path_prefix, method.upper() if method else None))

    def drop_next(self, count: int = 1, *, path_prefix: str = "/", method: str | None = None) -> None:
        with self._lock:
            self._drop.append(_Rule(count, 0, path_prefix, method.upper() if method else None))

    def clear(self) -> None:
        with self._lock:
            self._fail.clear()
            self._drop.clear()
            self.export_delay = timedelta(0)
            self.system_warning = None

    def _take(self, rules: list[_Rule], path: str, method: str) -> _Rule | None:
        with self._lock:
            for rule in rules:
                if path.startswith(rule.path_prefix) and rule.method in (None, method):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        rules.remove(rule)
                    return rule
        return None

    def take_failure(self, path: str, method: str) -> int | None:
        rule = self._take(self._fail, path, method)
        return rule.status if rule else None

    def take_drop(self, path: str, method: str) -> bool:
        return self._take(self._drop, path, method) is not None

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "failNext": [
                    {
                        "count": r.remaining,
                        "status": r.status,
                        "pathPrefix": r.path_prefix,
                        "method": r.method,
                    }
                    for r in self._fail
                ],
                "dropNext": [
                    {"count": r.remaining, "pathPrefix": r.path_prefix, "method": r.method}
                    for r in self._drop
                ],
                "exportDelaySeconds": self.export_delay.total_seconds(),
                "systemWarning": self.system_warning,
            }


class FaultMiddleware:
    """Applies the faults to requests under ``/v2`` (never to ``/v2/_emulator``)."""

    def __init__(self, app: ASGIApp, faults: Faults, base_path: str = "/v2") -> None:
        self.app = app
        self.faults = faults
        self.base_path = base_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        relative = path[len(self.base_path) :] if path.startswith(self.base_path) else path
        method: str = scope["method"]
        if not relative.startswith(EMULATOR_PREFIX):
            if self.faults.take_drop(relative, method):
                # Announce a body and cut it short: the client sees a broken connection.
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
                    }
                )
                await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
                raise DroppedOnPurpose("emulator fault: connection dropped on purpose")
            status = self.faults.take_failure(relative, method)
            if status is not None:
                response = ksef_error(
                    status, status, "Wystąpił nieoczekiwany błąd serwera (awaria symulowana)."
                )
                await response(scope, receive, send)
                return
        warnings: list[str] = []
        if self.faults.system_warning:
            warnings.append(self.faults.system_warning)
        for name, value in scope.get("headers", []):
            if name.lower() == b"x-test-system-warning":
                warnings.append(value.decode("latin-1"))
        if not warnings:
            await self.app(scope, receive, send)
            return
        header = " | ".join(warnings).encode("ascii", "replace")

        async def send_with_warning(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"x-system-warning", header)]
            await send(message)

        await self.app(scope, receive, send_with_warning)
