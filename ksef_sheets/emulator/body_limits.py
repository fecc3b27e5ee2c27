"""Bounds on JSON request bodies, checked before anything parses them (issue 18, D4).

A JSON body larger than ``MAX_JSON_BODY`` bytes or nested deeper than ``MAX_JSON_DEPTH`` is answered
with KSeF's 400/21405 (legacy or problem-details body, as the request asks) on every route,
authenticated or not. ``json.loads`` recurses per nesting level, so a few kilobytes of ``[[[[…``
would otherwise end in a RecursionError; the depth is measured here by a linear scan that never
recurses. ``JsonBodyGuard`` applies the bounds to every request that declares a JSON content type;
``core.read_json`` applies them again to whatever a route reads as JSON. A refused body is read to
its end (up to ``DRAIN_LIMIT``), so the kept-alive connection stays usable for the next request.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ksef_sheets.emulator.errors import ksef_error

MAX_JSON_BODY = 1_000_000
MAX_JSON_DEPTH = 64
# A refused body longer than this is not read to its end; the server then closes the connection.
DRAIN_LIMIT = 64 * 1_000_000

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays/objects in ``body`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def json_body_problem(body: bytes, *, limit: int = MAX_JSON_BODY) -> str | None:
    """The Polish reason a JSON body is refused, or None when it is within the bounds."""
    if len(body) > limit:
        return f"Treść żądania przekracza {limit} bajtów."
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        return f"Zagnieżdżenie JSON przekracza {MAX_JSON_DEPTH} poziomy."
    return None


def _declares_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class JsonBodyGuard:
    """ASGI middleware: refuse oversized or too deeply nested JSON bodies before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _declares_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        disconnected = False
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
                break
            chunk = message.get("body", b"")
            more = bool(message.get("more_body", False))
            size += len(chunk)
            if size > MAX_JSON_BODY:
                await self._drain(receive, size, more)
                await self._refuse(scope, send, f"Treść żądania przekracza {MAX_JSON_BODY} bajtów.")
                return
            chunks.append(chunk)
        body = b"".join(chunks)
        problem = None if disconnected else json_body_problem(body)
        if problem:
            await self._refuse(scope, send, problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if disconnected:
                    return {"type": "http.disconnect"}
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _drain(receive: Receive, size: int, more: bool) -> None:
        while more and size <= DRAIN_LIMIT:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            more = bool(message.get("more_body", False))

    @staticmethod
    async def _refuse(scope: Scope, send: Send, reason: str) -> None:
        request = Request(scope)
        response = ksef_error(400, 21405, "Błąd walidacji danych wejściowych.", [reason], request=request)

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)
