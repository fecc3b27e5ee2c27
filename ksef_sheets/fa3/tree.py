"""A light index over a parsed FA(3) tree: children by local name, text stripped, built in one pass.

Reading an invoice touches a hundred-odd fields; ``Element.find`` per field costs more than the XSD
validation of the whole document. One pass over an element's children groups them by local name and
keeps the stripped text of the first of each name, so every later lookup of a field is a dict access;
the reader and the business rules share one index and stay cheap. Only children in the FA(3)
namespace are indexed (a foreign element never stands in for an FA(3) field); a section's index is
built on first use, so parts nobody reads cost nothing.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from ksef_sheets.fa3.safe_xml import NS

_PREFIX = f"{{{NS}}}"
_PREFIX_LEN = len(_PREFIX)
_EMPTY_NODES: list[Node] = []
_EMPTY_ELEMENTS: list[etree._Element] = []
# "Podmiot1/DaneIdentyfikacyjne/NIP" -> (("Podmiot1", "DaneIdentyfikacyjne"), "NIP")
_PATHS: dict[str, tuple[tuple[str, ...], str]] = {}


def strip_text(raw: str | None) -> str | None:
    """An element's text as the reader sees it: stripped, and ``None`` when empty."""
    return (raw.strip() or None) if raw else None


def split_path(path: str) -> tuple[tuple[str, ...], str]:
    split = _PATHS.get(path)
    if split is None:
        *parents, last = path.split("/")
        split = _PATHS[path] = (tuple(parents), last)
    return split


class Node:
    """An element with its FA(3) children grouped by local name, computed on first use."""

    __slots__ = ("_kids", "_nodes", "_texts", "el")

    def __init__(self, el: etree._Element) -> None:
        self.el = el
        self._kids: dict[str, list[etree._Element]] | None = None
        self._texts: dict[str, str | None] = {}
        self._nodes: dict[str, list[Node]] | None = None

    def _index(self) -> dict[str, list[etree._Element]]:
        kids: dict[str, list[etree._Element]] = {}
        texts = self._texts
        prefix = _PREFIX
        cut = _PREFIX_LEN
        for child in self.el:
            tag = child.tag
            if tag.__class__ is not str or not tag.startswith(prefix):
                continue  # comments/PIs of a tree not parsed by parse_xml, foreign elements
            name = tag[cut:]
            bucket = kids.get(name)
            if bucket is None:
                kids[name] = [child]
                raw = child.text
                texts[name] = (raw.strip() or None) if raw else None
            else:
                bucket.append(child)
        self._kids = kids
        return kids

    @property
    def kids(self) -> dict[str, list[etree._Element]]:
        """FA(3) children by local name, in document order."""
        kids = self._kids
        return kids if kids is not None else self._index()

    @property
    def texts(self) -> dict[str, str | None]:
        """Local name -> stripped text (``None`` when empty) of the first child of that name."""
        if self._kids is None:
            self._index()
        return self._texts

    def elements(self, name: str) -> list[etree._Element]:
        kids = self._kids
        if kids is None:
            kids = self._index()
        return kids.get(name, _EMPTY_ELEMENTS)

    def first(self, name: str) -> etree._Element | None:
        kids = self._kids
        if kids is None:
            kids = self._index()
        found = kids.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[Node]:
        """The children called ``name`` as nodes (the same objects on every call, so their indexes are shared)."""
        nodes = self._nodes
        if nodes is None:
            nodes = self._nodes = {}
        found = nodes.get(name)
        if found is None:
            els = self.elements(name)
            found = nodes[name] = [Node(el) for el in els] if els else _EMPTY_NODES
        return found

    def child(self, name: str) -> Node | None:
        found = self.all(name)
        return found[0] if found else None

    def get(self, path: str) -> Node | None:
        """The first element along ``path`` (``Platnosc/Skonto``), or ``None``."""
        parents, last = split_path(path)
        node: Node | None = self
        for name in parents:
            node = node.child(name)  # type: ignore[union-attr]
            if node is None:
                return None
        return node.child(last)  # type: ignore[union-attr]

    def parent_of(self, path: str) -> tuple[Node | None, str]:
        parents, last = split_path(path)
        node: Node | None = self
        for name in parents:
            node = node.child(name)  # type: ignore[union-attr]
            if node is None:
                return None, last
        return node, last

    @property
    def text(self) -> str | None:
        raw = self.el.text
        return (raw.strip() or None) if raw else None

    def s(self, path: str) -> str | None:
        if "/" not in path:
            if self._kids is None:
                self._index()
            return self._texts.get(path)
        node, last = self.parent_of(path)
        return node.texts.get(last) if node is not None else None

    def d(self, path: str) -> Decimal | None:
        return to_decimal(self.s(path))

    def i(self, path: str) -> int | None:
        return to_int(self.s(path))

    def date(self, path: str) -> date | None:
        return to_date(self.s(path))

    def flag(self, path: str) -> bool:
        return self.s(path) == "1"

    @property
    def line(self) -> int | None:
        return self.el.sourceline


# Plain decimals only: the XSD types allow at most 18 digits and 8 decimals; anything else (an
# exponent such as 1e999999999, NaN, 500 digits) is left as None so arithmetic and formatting stay cheap.
_DECIMAL = re.compile(r"-?\d{1,22}(\.\d{1,8})?")
_decimal_match = _DECIMAL.fullmatch


def to_decimal(text: str | None) -> Decimal | None:
    if text is None or not _decimal_match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def to_int(text: str | None) -> int | None:
    return int(text) if text is not None and len(text) < 12 and text.lstrip("-").isdigit() else None


def to_date(text: str | None) -> date | None:
    if text is None or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def index(root: etree._Element) -> Node:
    return Node(root)
