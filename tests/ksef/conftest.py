"""Fixtures for the KSeF client tests: every request the client sends is checked against openapi.json.

``RecordingTransport`` wraps a real ``httpx.AsyncHTTPTransport`` (real loopback HTTP to the
emulator); it validates each request that maps to an operation of the spec with openapi-core and
records those that do not (storage links for export parts / batch uploads), so tests can check
those went out without the bearer token.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from lxml import etree
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import PathNotFound
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import MissingRequiredRequestBody

from ksef_sheets.ksef.limits import CallbackClock
from ksef_sheets.ksef.xades import AUTH_NS_21

SPEC_HOST = "https://api-test.ksef.mf.gov.pl"


@dataclass
class SentRequest:
    method: str
    path: str
    headers: dict[str, str]
    in_spec: bool
    body: bytes = b""


@dataclass
class RecordingTransport(httpx.AsyncBaseTransport):
    openapi: OpenAPI
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    sent: list[SentRequest] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    statuses: list[tuple[str, str, int]] = field(default_factory=list)
    # (time at send on ``now``, path, status, Retry-After) when a clock is attached
    now: Callable[[], float] | None = None
    timeline: list[tuple[float, str, int, str | None]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content if request.content else b""
        path = urlsplit(str(request.url)).path
        relative = path.split("/v2", 1)[1] if "/v2" in path else path
        in_spec = True
        content_type = request.headers.get("content-type", "application/json").split(";")[0]
        mock = MockRequest(
            SPEC_HOST,
            request.method.lower(),
            "/v2" + relative,
            args=dict(request.url.params.multi_items()),
            headers=dict(request.headers),
            data=body if body and content_type == "application/json" else None,
            content_type=content_type,
        )
        try:
            self.openapi.validate_request(mock)
        except PathNotFound:
            in_spec = False
        except MissingRequiredRequestBody:
            # openapi-core cannot deserialize XML bodies: the signed AuthTokenRequest is checked here.
            if (
                content_type != "application/xml"
                or etree.fromstring(body).tag != f"{{{AUTH_NS_21}}}AuthTokenRequest"
            ):
                self.problems.append(f"{request.method} {relative}: missing or unexpected body")
        except Exception as exc:
            self.problems.append(
                f"{request.method} {relative}: {type(exc).__name__}: {exc} {exc.__cause__ or ''}"
            )
        self.sent.append(SentRequest(request.method, relative, dict(request.headers), in_spec, body))
        sent_at = self.now() if self.now else 0.0
        response = await self.inner.handle_async_request(request)
        self.statuses.append((request.method, relative, response.status_code))
        if self.now:
            self.timeline.append(
                (sent_at, relative, response.status_code, response.headers.get("retry-after"))
            )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="session")
def openapi(openapi_path: Path) -> OpenAPI:
    return OpenAPI.from_file_path(str(openapi_path))


@pytest.fixture
def transport(openapi: OpenAPI) -> Iterator[RecordingTransport]:
    recording = RecordingTransport(openapi)
    yield recording
    assert recording.problems == [], "requests not valid per openapi.json:\n" + "\n".join(recording.problems)


def emulator_clock(emu: Any) -> CallbackClock:
    """The client's limiter/poll clock driven by the emulator's clock: waiting moves emulated time."""
    return CallbackClock(
        now=emu.clock.timestamp, advance=lambda seconds: emu.clock.advance(timedelta(seconds=seconds))
    )


def dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
