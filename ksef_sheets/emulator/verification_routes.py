"""The routes of the KOD I / KOD II verification pages (PROTOCOL.md §18.2–18.3), at the emulator's
root: thin handlers over ``emu.verification`` (see ``verification.py``)."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.verification import Verdict

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator


def _page(verdict: Verdict) -> str:
    mark = "✔" if verdict.valid else "✘"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in verdict.lines)
    return (
        '<!DOCTYPE html><html lang="pl"><head><meta charset="utf-8">'
        f"<title>{html.escape(verdict.title)} — weryfikacja KSeF (emulator)</title></head><body>"
        f"<h1>{mark} {html.escape(verdict.title)}</h1><ul>{items}</ul>"
        "<p><small>Emulator KSeF — strona weryfikacji kodu QR (dane szkoleniowe).</small></p>"
        "</body></html>"
    )


def _answer(request: Request, verdict: Verdict) -> Response:
    if verdict.redirect:
        return RedirectResponse(verdict.redirect, status_code=303)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(
            {"valid": verdict.valid, "title": verdict.title, "lines": verdict.lines},
            status_code=verdict.status,
        )
    return HTMLResponse(_page(verdict), status_code=verdict.status)


class VerificationRoutes:
    """The handlers; each parses the link and answers with ``emu.verification``'s verdict."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.service = emu.verification

    async def invoice(self, request: Request) -> Response:
        service = self.service
        p = request.path_params
        return _answer(request, service.invoice(p["nip"], p["day"], p["hash"]))

    async def certificate(self, request: Request) -> Response:
        service = self.service
        p = request.path_params
        # Signed data: the link without the scheme and without "/signature" (as the client built it).
        host = request.headers.get("host") or request.url.netloc
        path = request.url.path.rsplit("/", 1)[0]
        signed_part = f"{host}{path}"
        verdict = service.certificate(
            signed_part, p["ctx_type"], p["ctx_value"], p["nip"], p["serial"], p["hash"], p["signature"]
        )
        return _answer(request, verdict)


def routes(emu: Emulator) -> list[BaseRoute]:
    handlers = VerificationRoutes(emu)
    return [
        Route("/invoice/{nip}/{day}/{hash}", handlers.invoice, methods=["GET"]),
        Route(
            "/certificate/{ctx_type}/{ctx_value}/{nip}/{serial}/{hash}/{signature}",
            handlers.certificate,
            methods=["GET"],
        ),
    ]
