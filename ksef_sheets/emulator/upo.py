"""UPO (urzędowe poświadczenie odbioru) documents, schema v4-3, and the storage links that serve them.

Per invoice and per session page (≤ 10,000 documents a page), built from what the session and the
invoice store recorded (PROTOCOL.md §10). ``NazwaPodmiotuPrzyjmujacego`` is the plain
"Ministerstwo Finansów": the XSD fixes that value, and an emulator UPO should validate strictly
(``schemas/upo-v4-3.xsd``, a copy of ``../shared/ksef/upo/upo-v4-3.xsd``).

Real UPOs carry a XAdES signature of the Ministry; these do not (no key of the Ministry exists
here, and the v4-3 XSD has no place for ``ds:Signature``).

Download links (``upoDownloadUrl``, ``upo.pages[].downloadUrl``) point at an emulator storage route
outside the spec, ``/storage/upo/...``, signed with an HMAC and an expiry, fetched without a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.wire import WARSAW, b64_sha256

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

UPO_NS = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
UPO_PAGE_SIZE = 10_000
RECEIVER = "Ministerstwo Finansów"
LINK_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class UpoDocument:
    seller_nip: str
    ksef_number: str
    invoice_number: str
    issue_date: str  # YYYY-MM-DD
    sent_at: datetime  # DataPrzeslaniaDokumentu = invoicingDate
    numbered_at: datetime  # DataNadaniaNumeruKSeF = acquisitionDate
    invoice_hash: str
    mode: str  # Online | Offline


@dataclass(frozen=True)
class UpoAuthentication:
    context_type: str  # Nip | InternalId | NipVatUe | PeppolId
    context_value: str
    token_reference: str | None  # set for KSeF-token logins
    document_hash: str | None  # SHA-256 (Base64) of the signed auth request for XAdES logins


_CONTEXT_ELEMENTS = {
    "Nip": "Nip",
    "InternalId": "IdWewnetrzny",
    "NipVatUe": "IdZlozonyVatUE",
    "PeppolId": "IdDostawcyUslugPeppol",
}


def _warsaw(moment: datetime) -> str:
    return moment.astimezone(WARSAW).isoformat(timespec="milliseconds")


def build_upo(
    session_reference: str,
    auth: UpoAuthentication,
    documents: list[UpoDocument],
    *,
    page: tuple[int, int, int, int, int] | None = None,
    form_system_code: str = "FA (3)",
) -> bytes:
    """The UPO XML; ``page`` = (page, pages, first ordinal, last ordinal exclusive, total)."""

    def el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        node = etree.SubElement(parent, f"{{{UPO_NS}}}{name}")
        if text is not None:
            node.text = text
        return node

    root = etree.Element(f"{{{UPO_NS}}}Potwierdzenie", nsmap={None: UPO_NS})
    el(root, "NazwaPodmiotuPrzyjmujacego", RECEIVER)
    el(root, "NumerReferencyjnySesji", session_reference)
    authn = el(root, "Uwierzytelnienie")
    context = el(authn, "IdKontekstu")
    el(context, _CONTEXT_ELEMENTS.get(auth.context_type, "Nip"), auth.context_value)
    if auth.token_reference:
        el(authn, "NumerReferencyjnyTokenaKSeF", auth.token_reference)
    else:
        el(
            authn,
            "SkrotDokumentuUwierzytelniajacego",
            auth.document_hash or b64_sha256(session_reference.encode()),
        )
    if page is not None:
        description = el(root, "OpisPotwierdzenia")
        for name, value in zip(
            (
                "Strona",
                "LiczbaStron",
                "ZakresDokumentowOd",
                "ZakresDokumentowDo",
                "CalkowitaLiczbaDokumentow",
            ),
            page,
            strict=True,
        ):
            el(description, name, str(value))
    el(root, "NazwaStrukturyLogicznej", "Schemat_FA(3)_v1-0E.xsd")
    el(root, "KodFormularza", form_system_code)
    for doc in documents:
        node = el(root, "Dokument")
        el(node, "NipSprzedawcy", doc.seller_nip)
        el(node, "NumerKSeFDokumentu", doc.ksef_number)
        el(node, "NumerFaktury", doc.invoice_number)
        el(node, "DataWystawieniaFaktury", doc.issue_date)
        el(node, "DataPrzeslaniaDokumentu", _warsaw(doc.sent_at))
        el(node, "DataNadaniaNumeruKSeF", _warsaw(doc.numbered_at))
        el(node, "SkrotDokumentu", doc.invoice_hash)
        el(node, "TrybWysylki", doc.mode)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def schema_path() -> Path:
    return Path(str(resources.files("ksef_sheets.emulator").joinpath("schemas", "upo-v4-3.xsd")))


@lru_cache(maxsize=1)
def upo_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(schema_path()), parser))


def xml_response(data: bytes) -> Response:
    return Response(data, media_type="application/xml", headers={"x-ms-meta-hash": b64_sha256(data)})


# ---------------------------------------------------------------------------------------------
# signed storage links (shared by UPO, export parts and batch uploads)


def _link_key(emu: Emulator) -> bytes:
    return hashlib.sha256(b"ksef-sheets-emulator storage links|" + emu.keys.jwt_secret).digest()


def _signature(emu: Emulator, method: str, path: str, expires: int) -> str:
    mac = hmac.new(_link_key(emu), f"{method}|{path}|{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def signed_link(emu: Emulator, method: str, path: str, expires_at: datetime) -> str:
    """``public_url + path`` with ``se`` (expiry, Unix seconds) and ``sig``; ``path`` starts with /storage."""
    expires = int(expires_at.timestamp())
    query = urlencode({"se": expires, "sig": _signature(emu, method, path, expires)})
    return f"{emu.public_url.rstrip('/')}{quote(path)}?{query}"


def check_link(emu: Emulator, request: Request, path: str) -> Response | None:
    """None when the link is authentic and unexpired, else the storage's 403 response."""
    try:
        expires = int(request.query_params.get("se", ""))
    except ValueError:
        expires = 0
    given = request.query_params.get("sig", "")
    expected = _signature(emu, request.method, path, expires)
    if not hmac.compare_digest(given, expected):
        return _storage_error(403, "AuthenticationFailed", "Podpis adresu jest nieprawidłowy.")
    if emu.clock.now().timestamp() > expires:
        return _storage_error(403, "AuthenticationFailed", "Adres wygasł.")
    return None


def _storage_error(status: int, code: str, message: str) -> Response:
    # The Ministry's storage is Azure Blob; its errors are not KSeF's ExceptionResponse.
    return JSONResponse({"code": code, "message": message}, status_code=status)


def storage_not_found() -> Response:
    return _storage_error(404, "BlobNotFound", "Zasób nie istnieje.")


def routes(emu: Emulator) -> list[BaseRoute]:
    async def download(request: Request) -> Response:
        path = request.url.path
        base = request.scope.get("root_path", "")
        relative = path[len(base) :] if base and path.startswith(base) else path
        relative = relative[relative.index("/storage/") :]
        denied = check_link(emu, request, relative)
        if denied is not None:
            return denied
        sessions = getattr(emu, "sessions", None)
        if sessions is None:
            return storage_not_found()
        data = sessions.upo_for_link(
            request.path_params["kind"], request.path_params["ref"], request.path_params["item"]
        )
        if data is None:
            return storage_not_found()
        return xml_response(data)

    return [Route("/storage/upo/{kind}/{ref}/{item}", download, methods=["GET"])]
