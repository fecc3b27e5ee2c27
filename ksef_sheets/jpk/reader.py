"""Reading a JPK_V7M(3) / JPK_V7K(3) file that may come from anywhere: safe parsing, the official XSD,
and the evidence rows as ``JpkFile``.

Like invoices, the file is hostile until proven otherwise: no DTD, no entities, no network, a size
cap checked before parsing (a monthly JPK of an office's client is kilobytes to a few megabytes;
``MAX_SIZE`` leaves room for ~30,000 rows). Every problem is one Polish sentence naming the file and,
where there is one, the line and the element.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from ksef_sheets.errors import UserError
from ksef_sheets.jpk.model import JpkFile, JpkRow, Marker, Side
from ksef_sheets.jpk.schema import VARIANTS, jpk_schema

MAX_SIZE = 30_000_000
_MARKERS: tuple[Marker, ...] = ("OFF", "BFK", "DI")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def check_size(size: int, source: str) -> None:
    """Refuse an empty file or one over the cap before a byte of it is read."""
    if size == 0:
        raise UserError(f"Plik {source} jest pusty — to nie jest plik JPK.")
    if size > MAX_SIZE:
        raise UserError(
            f"Plik {source} ma {_mb(size)} MB; plik JPK_V7 przyjmowany do uzgodnienia może mieć najwyżej "
            f"{_mb(MAX_SIZE)} MB — plik odrzucono bez wczytywania."
        )


def _parse(data: bytes, source: str) -> etree._Element:
    check_size(len(data), source)
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        raise UserError(
            f"Plik {source} nie jest plikiem XML (nie zaczyna się od znacznika „<”), a więc nie jest plikiem JPK."
        )
    probe = data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        probe = data.decode("utf-16", "ignore").encode("utf-8", "ignore")
    if b"<!DOCTYPE" in probe or b"<!ENTITY" in probe:
        raise UserError(
            f"Plik {source} zawiera deklarację DOCTYPE/ENTITY — plik JPK nie może jej mieć; odrzucono go ze względów bezpieczeństwa."
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else None)
        where = f" w wierszu {line}" if line else ""
        raise UserError(
            f"Plik {source} nie jest poprawnym dokumentem XML{where} ({(exc.msg or str(exc)).strip()})."
        ) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise UserError(
            f"Plik {source} zawiera deklarację DOCTYPE — odrzucono go ze względów bezpieczeństwa."
        )
    return root


_REASONS = (
    ("is not a valid value of the atomic type", "niepoprawna wartość"),
    ("is not accepted by the pattern", "wartość nie pasuje do wzoru"),
    ("This element is not expected", "element w tym miejscu jest niedozwolony"),
    ("Missing child element", "brak wymaganego elementu"),
    ("is not a valid value of the local atomic type", "niepoprawna wartość"),
    ("is not an element of the set", "wartość spoza dozwolonej listy"),
    ("The attribute", "błędny atrybut"),
    ("is less than", "wartość za mała"),
    ("is greater than", "wartość za duża"),
    ("has a length of", "niedozwolona długość"),
)


def _xsd_problem(error: etree._LogEntry) -> str:
    message = error.message or ""
    element = re.search(r"Element '(?:\{[^}]*\})?([^']+)'", message)
    reason = next((pl for en, pl in _REASONS if en in message), "niezgodność ze schematem")
    expected = re.search(r"Expected is (?:one of )?\( ?([^)]*)\)", message)
    detail = ""
    if expected:
        names = [re.sub(r"\{[^}]*\}", "", n).strip() for n in expected.group(1).split(",")]
        detail = f" (oczekiwano: {', '.join(n for n in names if n)})"
    name = element.group(1) if element else "?"
    return f"wiersz {error.line}, element {name}: {reason}{detail}"


def _text(parent: etree._Element, name: str, ns: str) -> str | None:
    child = parent.find(f"{{{ns}}}{name}")
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _row(element: etree._Element, side: Side, ns: str) -> JpkRow:
    names = _SALE_NAMES if side == "sale" else _PURCHASE_NAMES
    # One pass over the row's children (a find per field would cost most of the read).
    texts: dict[str, str] = {}
    amounts: dict[str, Decimal] = {}
    marker: Marker | None = None
    cut = len(ns) + 2
    for child in element:
        local = child.tag[cut:] if isinstance(child.tag, str) else ""
        text = (child.text or "").strip()
        if local[:2] == "K_":
            with contextlib.suppress(InvalidOperation):
                amounts[local] = Decimal(text)
        elif local in _MARKERS:
            marker = local
        else:
            texts[local] = text
    lp_text = texts.get(names[0], "0")
    return JpkRow(
        side=side,
        lp=int(lp_text) if lp_text.isdigit() else 0,
        counterparty_nip=texts.get(names[1]) or None,
        counterparty_country=texts.get("KodKrajuNadaniaTIN") or None,
        counterparty_name=texts.get(names[2]) or None,
        document_number=texts.get(names[3], ""),
        issue_date=_date(texts.get(names[4])),
        other_date=_date(texts.get(names[5])),
        ksef_number=texts.get("NrKSeF") or None,
        marker=marker,
        document_type=texts.get(names[6]) or None,
        amounts=amounts,
        line=element.sourceline,
    )


_SALE_NAMES = (
    "LpSprzedazy",
    "NrKontrahenta",
    "NazwaKontrahenta",
    "DowodSprzedazy",
    "DataWystawienia",
    "DataSprzedazy",
    "TypDokumentu",
)
_PURCHASE_NAMES = (
    "LpZakupu",
    "NrDostawcy",
    "NazwaDostawcy",
    "DowodZakupu",
    "DataZakupu",
    "DataWplywu",
    "DokumentZakupu",
)


def read_jpk(data: bytes, *, source: str = "plik JPK") -> JpkFile:
    """Parse and validate a JPK_V7M(3) / JPK_V7K(3) file, or raise ``UserError`` (one Polish sentence)."""
    root = _parse(bytes(data), source)
    qname = etree.QName(root)
    if qname.localname != "JPK":
        raise UserError(
            f"Plik {source} nie jest plikiem JPK: główny element to „{qname.localname}”, oczekiwano „JPK”."
        )
    ns = qname.namespace or ""
    variant = VARIANTS.get(ns)
    if variant is None:
        code = root.find(f"{{{ns}}}Naglowek/{{{ns}}}KodFormularza") if ns else None
        system = code.get("kodSystemowy") if code is not None else None
        what = f"„{system}”" if system else f"przestrzeń nazw {ns or 'brak'}"
        raise UserError(
            f"Plik {source} to JPK w wersji, której uzgodnienie nie obsługuje ({what}); obsługiwane są "
            "JPK_V7M (3) i JPK_V7K (3), obowiązujące od rozliczenia za luty 2026 r."
        )
    schema = jpk_schema(ns)
    if not schema.validate(root):
        errors = list(schema.error_log)
        first = "; ".join(_xsd_problem(e) for e in errors[:3])
        more = f" (i {len(errors) - 3} kolejnych)" if len(errors) > 3 else ""
        raise UserError(f"Plik {source} nie jest zgodny ze schematem {variant}(3): {first}{more}.")
    header = root.find(f"{{{ns}}}Naglowek")
    assert header is not None  # the schema requires it
    podmiot = root.find(f"{{{ns}}}Podmiot1")
    nip = name = None
    if podmiot is not None:
        for element in podmiot.iter():
            local = etree.QName(element).localname
            if local == "NIP" and nip is None:
                nip = (element.text or "").strip()
            elif local in ("PelnaNazwa", "Nazwisko") and name is None:
                name = (element.text or "").strip()
    evidence = root.find(f"{{{ns}}}Ewidencja")
    sales: list[JpkRow] = []
    purchases: list[JpkRow] = []
    if evidence is not None:
        for element in evidence.iterchildren(f"{{{ns}}}SprzedazWiersz"):
            sales.append(_row(element, "sale", ns))
        for element in evidence.iterchildren(f"{{{ns}}}ZakupWiersz"):
            purchases.append(_row(element, "purchase", ns))
    purpose = _text(header, "CelZlozenia", ns)
    return JpkFile(
        variant=variant,  # type: ignore[arg-type]
        nip=nip or "",
        name=name,
        year=int(_text(header, "Rok", ns) or 0),
        month=int(_text(header, "Miesiac", ns) or 0),
        purpose=int(purpose) if purpose and purpose.isdigit() else None,
        created_at=_text(header, "DataWytworzeniaJPK", ns),
        sales=tuple(sales),
        purchases=tuple(purchases),
        source=source,
    )
