"""Parsing invoice XML that may come from anyone: no DTD, no entities, no network, KSeF's size caps.

KSeF accepts an invoice of at most 1 MB (1,000,000 bytes), or 3 MB when it carries attachments
(the ``Zalacznik`` element); PROTOCOL.md §9. Anything larger is refused before a byte is parsed, so
a 50 MB file costs nothing. A document type declaration is refused outright: FA(3) never has one,
and it is the only way to smuggle entity expansion (billion laughs) or external entities in.
"""

from __future__ import annotations

import threading

from lxml import etree

from ksef_sheets.errors import UserError

NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
MAX_SIZE = 1_000_000
MAX_SIZE_WITH_ATTACHMENTS = 3_000_000

_ROOT_TAG = f"{{{NS}}}Faktura"
_ATTACHMENT_TAG = f"{{{NS}}}Zalacznik"


def _make_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


# lxml parsers must not be shared between threads (the emulator and sync parse from several);
# one per thread saves creating a parser per invoice.
_local = threading.local()


def _parser() -> etree.XMLParser:
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _make_parser()
    return parser


def format_mb(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",")


def check_size(data: bytes, source: str) -> None:
    size = len(data)
    if size == 0:
        raise UserError(f"Plik {source} jest pusty — to nie jest faktura XML.")
    if size > MAX_SIZE_WITH_ATTACHMENTS:
        raise UserError(
            f"Plik {source} ma {format_mb(size)} MB, a KSeF przyjmuje fakturę do 1 MB (3 MB z załącznikami); "
            "plik odrzucono bez wczytywania."
        )
    if size > MAX_SIZE and _ATTACHMENT_TAG.encode() not in data and b"Zalacznik" not in data:
        raise UserError(
            f"Plik {source} ma {format_mb(size)} MB, a faktura bez załączników może mieć najwyżej 1 MB."
        )


def _looks_like_xml(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff"))


def parse_xml(data: bytes, *, source: str = "faktura") -> etree._ElementTree:
    """Parse bytes into a tree or raise ``UserError`` with one Polish sentence naming ``source``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("invoice data must be bytes")
    data = bytes(data)
    check_size(data, source)
    if not _looks_like_xml(data):
        raise UserError(f"Plik {source} nie jest plikiem XML (nie zaczyna się od znacznika „<”).")
    head = data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at the decoded prologue
        head = data[:65536].decode("utf-16", "ignore").encode("utf-8", "ignore")
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise UserError(
            f"Plik {source} zawiera deklarację DOCTYPE/ENTITY — faktura FA(3) nie może jej mieć; "
            "plik odrzucono ze względów bezpieczeństwa."
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UserError(_syntax_message(exc, source)) from None
    tree = root.getroottree()
    # UTF-16 input hides a DOCTYPE from the byte check above; the parsed tree cannot hide it.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UserError(
            f"Plik {source} zawiera deklarację DOCTYPE — faktura FA(3) nie może jej mieć; "
            "plik odrzucono ze względów bezpieczeństwa."
        )
    if len(data) > MAX_SIZE and root.find(_ATTACHMENT_TAG) is None:
        raise UserError(
            f"Plik {source} ma {format_mb(len(data))} MB, a faktura bez załączników (Zalacznik) może mieć najwyżej 1 MB."
        )
    return tree


def require_invoice_root(tree: etree._ElementTree, source: str) -> etree._Element:
    root = tree.getroot()
    if root.tag != _ROOT_TAG:
        qname = etree.QName(root)
        if qname.localname == "Faktura":
            raise UserError(
                f"Plik {source} to faktura w innej wersji schematu (przestrzeń nazw {qname.namespace or 'brak'}); "
                f"obsługiwana jest tylko FA(3): {NS}."
            )
        raise UserError(
            f"Plik {source} nie jest fakturą FA(3): główny element to „{qname.localname}”, oczekiwano „Faktura”."
        )
    return root


_SYNTAX_HINTS = (
    ("Opening and ending tag mismatch", "znacznik zamykający nie pasuje do otwierającego"),
    ("Premature end of data", "plik urywa się przed końcem dokumentu"),
    ("EndTag: '</' not found", "plik urywa się przed końcem dokumentu"),
    ("Start tag expected", "brak znacznika początkowego"),
    ("Extra content at the end of the document", "dodatkowa treść po zakończeniu dokumentu"),
    ("Document is empty", "dokument jest pusty"),
    ("not well-formed (invalid token)", "niedozwolony znak"),
    ("Input is not proper UTF-8", "tekst nie jest poprawnie zakodowany w UTF-8"),
    ("Char 0x", "niedozwolony znak"),
    ("amplification", "niedozwolone rozwijanie encji (możliwy atak „billion laughs”)"),
    ("Entity", "niedozwolone odwołanie do encji"),
    ("entity", "niedozwolone odwołanie do encji"),
    ("AttValue", "błędna wartość atrybutu"),
    ("Couldn't find end of Start Tag", "niedokończony znacznik"),
    ("xmlParseEntityRef: no name", "znak „&” bez nazwy encji (powinno być &amp;)"),
    ("Specification mandates value for attribute", "atrybut bez wartości"),
    ("attributes construct error", "błędny atrybut"),
    ("Attribute", "powtórzony lub błędny atrybut"),
    ("Namespace prefix", "nieznany prefiks przestrzeni nazw"),
    ("huge", "zbyt głębokie zagnieżdżenie lub zbyt duży węzeł"),
)


def _syntax_message(exc: etree.XMLSyntaxError, source: str) -> str:
    raw = (exc.msg or str(exc)).strip()
    line = exc.lineno or (exc.position[0] if exc.position else None)
    hint = next((pl for en, pl in _SYNTAX_HINTS if en in raw), "błąd składni XML")
    where = f" w wierszu {line}" if line else ""
    return f"Plik {source} nie jest poprawnym dokumentem XML{where}: {hint} ({raw})."
