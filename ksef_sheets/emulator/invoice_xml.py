"""FA(3) → the facts KSeF derives from an invoice (PROTOCOL.md §25): a hardened XML parser and
``invoice_facts`` (seller, buyer, third parties, amounts, dates, type)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:
    pass


FA3_NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"


MAX_INVOICE_BYTES = 3_000_000  # the bigger of the two KSeF limits (with attachments, §11)


# RodzajFaktury → InvoiceMetadata.invoiceType (PROTOCOL.md §20)
INVOICE_TYPES: dict[str, str] = {
    "VAT": "Vat",
    "KOR": "Kor",
    "ZAL": "Zal",
    "ROZ": "Roz",
    "UPR": "Upr",
    "KOR_ZAL": "KorZal",
    "KOR_ROZ": "KorRoz",
}


_NET_FIELDS = (
    "P_13_1",
    "P_13_2",
    "P_13_3",
    "P_13_4",
    "P_13_5",
    "P_13_6_1",
    "P_13_6_2",
    "P_13_6_3",
    "P_13_7",
    "P_13_8",
    "P_13_9",
    "P_13_10",
    "P_13_11",
)


_VAT_FIELDS = ("P_14_1", "P_14_2", "P_14_3", "P_14_4", "P_14_5")


class InvoiceXmlError(ValueError):
    """The invoice file cannot be read as an FA(3) document; ``details`` go into the status."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_xml(xml: bytes) -> etree._Element:
    """Hardened parse: no DTD, no entities, no network, no BOM, UTF-8 only, size cap."""
    if len(xml) > MAX_INVOICE_BYTES:
        raise InvoiceXmlError(
            f"Plik faktury ma {len(xml)} bajtów, więcej niż dopuszczalne {MAX_INVOICE_BYTES}."
        )
    if xml.startswith(b"\xef\xbb\xbf"):
        raise InvoiceXmlError("Plik faktury zaczyna się od znacznika BOM; KSeF wymaga UTF-8 bez BOM.")
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError:
        raise InvoiceXmlError("Plik faktury nie jest zapisany w UTF-8.") from None
    try:
        root = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise InvoiceXmlError(f"Plik faktury nie jest poprawnym XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvoiceXmlError("Plik faktury zawiera deklarację DTD, której KSeF nie przyjmuje.")
    encoding = (tree.docinfo.encoding or "UTF-8").upper()
    if encoding not in ("UTF-8", "UTF8"):
        raise InvoiceXmlError(f"Prolog XML deklaruje kodowanie {encoding}; KSeF wymaga UTF-8.")
    for node in root.iter(etree.ProcessingInstruction):
        raise InvoiceXmlError(f"Plik faktury zawiera instrukcję przetwarzania <?{node.target}?>.")
    return root


def _dec(text: str | None) -> Decimal:
    if text is None or not text.strip():
        return Decimal(0)
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return Decimal(0)


@dataclass
class InvoiceFacts:
    """What KSeF reads from an FA(3) document (PROTOCOL.md §25)."""

    seller_nip: str
    seller_name: str | None
    buyer_type: str  # Nip | VatUe | Other | None
    buyer_value: str | None
    buyer_name: str | None
    invoice_number: str
    issue_date: date
    fa_type: str  # RodzajFaktury as in the XML
    invoice_type: str  # metadata enum
    currency: str
    gross: Decimal
    net: Decimal
    vat: Decimal
    is_self_invoicing: bool
    has_attachment: bool
    form_code: dict[str, str]
    third_subjects: list[dict[str, Any]] = field(default_factory=list)
    authorized: dict[str, Any] | None = None


def _identifier(ident: etree._Element | None, ns: dict[str, str]) -> tuple[str, str | None]:
    if ident is None:
        return "None", None
    nip = ident.findtext("f:NIP", namespaces=ns)
    if nip:
        return "Nip", nip.strip()
    internal = ident.findtext("f:IDWew", namespaces=ns)
    if internal:
        return "InternalId", internal.strip()
    vat_ue = ident.findtext("f:NrVatUE", namespaces=ns)
    if vat_ue:
        return "VatUe", f"{(ident.findtext('f:KodUE', namespaces=ns) or '').strip()}{vat_ue.strip()}"[:50]
    other = ident.findtext("f:NrID", namespaces=ns)
    if other:
        return "Other", other.strip()[:50]
    return "None", None


def invoice_facts(root: etree._Element) -> InvoiceFacts:
    """Read the metadata fields; raises ``InvoiceXmlError`` when mandatory ones are missing."""
    ns = {"f": root.nsmap.get(None) or FA3_NS}
    if etree.QName(root).localname != "Faktura":
        raise InvoiceXmlError("Element główny dokumentu nie jest <Faktura>.")
    code = root.find("f:Naglowek/f:KodFormularza", ns)
    form_code = {
        "systemCode": (code.get("kodSystemowy") if code is not None else None) or "",
        "schemaVersion": (code.get("wersjaSchemy") if code is not None else None) or "",
        "value": (code.text or "").strip() if code is not None else "",
    }
    seller = root.find("f:Podmiot1/f:DaneIdentyfikacyjne", ns)
    seller_nip = (seller.findtext("f:NIP", namespaces=ns) or "").strip() if seller is not None else ""
    fa = root.find("f:Fa", ns)
    if not seller_nip or fa is None:
        raise InvoiceXmlError("Brak wymaganych elementów Podmiot1/DaneIdentyfikacyjne/NIP lub Fa.")
    buyer = root.find("f:Podmiot2/f:DaneIdentyfikacyjne", ns)
    buyer_type, buyer_value = _identifier(buyer, ns)
    number = (fa.findtext("f:P_2", namespaces=ns) or "").strip()
    issue_text = (fa.findtext("f:P_1", namespaces=ns) or "").strip()
    fa_type = (fa.findtext("f:RodzajFaktury", namespaces=ns) or "").strip()
    try:
        issue = date.fromisoformat(issue_text)
    except ValueError:
        raise InvoiceXmlError(f"Pole P_1 ma nieprawidłową datę „{issue_text}”.") from None
    if not number:
        raise InvoiceXmlError("Brak numeru faktury (P_2).")
    currency = (fa.findtext("f:KodWaluty", namespaces=ns) or "PLN").strip()
    net = sum((_dec(fa.findtext(f"f:{name}", namespaces=ns)) for name in _NET_FIELDS), Decimal(0))
    vat = Decimal(0)
    for name in _VAT_FIELDS:
        in_pln = fa.findtext(f"f:{name}W", namespaces=ns)
        vat += _dec(
            in_pln if currency != "PLN" and in_pln is not None else fa.findtext(f"f:{name}", namespaces=ns)
        )
    thirds: list[dict[str, Any]] = []
    for third in root.findall("f:Podmiot3", ns):
        ident = third.find("f:DaneIdentyfikacyjne", ns)
        kind, value = _identifier(ident, ns)
        role_text = third.findtext("f:Rola", namespaces=ns)
        entry: dict[str, Any] = {"identifier": {"type": kind}, "role": int(role_text) if role_text else 0}
        if value:
            entry["identifier"]["value"] = value
        third_name = ident.findtext("f:Nazwa", namespaces=ns) if ident is not None else None
        if third_name:
            entry["name"] = third_name[:512]
        thirds.append(entry)
    authorized = None
    upo = root.find("f:PodmiotUpowazniony", ns)
    if upo is not None:
        a_nip = (upo.findtext("f:DaneIdentyfikacyjne/f:NIP", namespaces=ns) or "").strip()
        if a_nip:
            authorized = {"nip": a_nip, "role": int(upo.findtext("f:RolaPU", namespaces=ns) or 0)}
            a_name = upo.findtext("f:DaneIdentyfikacyjne/f:Nazwa", namespaces=ns)
            if a_name:
                authorized["name"] = a_name[:512]
    return InvoiceFacts(
        seller_nip=seller_nip,
        seller_name=(seller.findtext("f:Nazwa", namespaces=ns) if seller is not None else None),
        buyer_type=buyer_type,
        buyer_value=buyer_value,
        buyer_name=(buyer.findtext("f:Nazwa", namespaces=ns) if buyer is not None else None),
        invoice_number=number,
        issue_date=issue,
        fa_type=fa_type,
        invoice_type=INVOICE_TYPES.get(fa_type, "Vat"),
        currency=currency,
        gross=_dec(fa.findtext("f:P_15", namespaces=ns)),
        net=net,
        vat=vat,
        is_self_invoicing=(fa.findtext("f:Adnotacje/f:P_17", namespaces=ns) or "").strip() == "1",
        has_attachment=root.find("f:Zalacznik", ns) is not None,
        form_code=form_code,
        third_subjects=thirds,
        authorized=authorized,
    )


def parse_invoice(xml: bytes) -> InvoiceFacts:
    return invoice_facts(parse_xml(xml))
