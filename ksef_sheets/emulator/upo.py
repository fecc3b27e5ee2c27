"""UPO (urzędowe poświadczenie odbioru) documents, schema v4-3.

Per invoice and per session page (≤ 10,000 documents a page), built from what the session and the
invoice store recorded (PROTOCOL.md §10). ``NazwaPodmiotuPrzyjmujacego`` is the plain
"Ministerstwo Finansów": the XSD fixes that value, and an emulator UPO should validate strictly
(``schemas/upo-v4-3.xsd``, a copy of ``../shared/ksef/upo/upo-v4-3.xsd``).

Real UPOs carry a XAdES signature of the Ministry; these do not (no key of the Ministry exists
here, and the v4-3 XSD has no place for ``ds:Signature``).

Download links (``upoDownloadUrl``, ``upo.pages[].downloadUrl``) point at an emulator storage route
outside the spec, ``/storage/upo/...`` (served by ``session_routes``), signed by ``links.StorageLinks``
with an HMAC and an expiry, fetched without a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from lxml import etree
from starlette.responses import Response

from ksef_sheets.emulator.wire import WARSAW, b64_sha256

UPO_NS = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
UPO_PAGE_SIZE = 10_000
RECEIVER = "Ministerstwo Finansów"


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
