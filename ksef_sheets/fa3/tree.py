"""A light index over a parsed FA(3) tree: children by local name, text stripped, built in one pass.

Reading an invoice touches a hundred-odd fields; ``Element.find`` per field costs more than the XSD
validation of the whole document. One pass that groups children by name makes every later lookup a
dict access, so the reader and the business rules share it and stay cheap.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from ksef_sheets.fa3.safe_xml import NS

_PREFIX = f"{{{NS}}}"
_EMPTY: list[Node] = []
_PATHS: dict[str, tuple[str, ...]] = {}


class Node:
    """An element with its children grouped by local name, computed on first use."""

    __slots__ = ("_kids", "el")

    def __init__(self, el: etree._Element) -> None:
        self.el = el
        self._kids: dict[str, list[Node]] | None = None

    @property
    def kids(self) -> dict[str, list[Node]]:
        """Children by full tag (``{namespace}Name``); the parser removed comments and PIs."""
        kids = self._kids
        if kids is None:
            kids = {}
            for child in self.el:
                bucket = kids.get(child.tag)
                if bucket is None:
                    kids[child.tag] = [Node(child)]
                else:
                    bucket.append(Node(child))
            self._kids = kids
        return kids

    @property
    def text(self) -> str | None:
        raw = self.el.text
        return (raw.strip() or None) if raw else None

    def get(self, path: str) -> Node | None:
        tags = _PATHS.get(path)
        if tags is None:
            tags = _PATHS[path] = tuple(_PREFIX + name for name in path.split("/"))
        node = self
        for tag in tags:
            kids = node._kids
            if kids is None:
                kids = node.kids
            found = kids.get(tag)
            if not found:
                return None
            node = found[0]
        return node

    def all(self, name: str) -> list[Node]:
        kids = self._kids
        if kids is None:
            kids = self.kids
        return kids.get(_PREFIX + name, _EMPTY)

    def s(self, path: str) -> str | None:
        node = self.get(path)
        return node.text if node is not None else None

    def d(self, path: str) -> Decimal | None:
        return to_decimal(self.s(path))

    def i(self, path: str) -> int | None:
        text = self.s(path)
        return int(text) if text is not None and len(text) < 12 and text.lstrip("-").isdigit() else None

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


def to_decimal(text: str | None) -> Decimal | None:
    if text is None or not _DECIMAL.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return None


def to_date(text: str | None) -> date | None:
    if text is None or len(text) < 10:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def index(root: etree._Element) -> Node:
    return Node(root)
