"""The official JPK_V7M(3) / JPK_V7K(3) schemas, compiled offline (imports mapped to package files)."""

from __future__ import annotations

import threading
from functools import cache
from importlib import resources
from pathlib import Path

from lxml import etree

V7M_NS = "http://crd.gov.pl/wzor/2025/12/19/14090/"
V7K_NS = "http://crd.gov.pl/wzor/2025/12/19/14089/"
VARIANTS = {V7M_NS: "JPK_V7M", V7K_NS: "JPK_V7K"}
_BASE = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/"
_IMPORTS = {
    _BASE + "2022/09/13/eD/DefinicjeTypy/StrukturyDanych_v12-0E.xsd": "StrukturyDanych_v12-0E.xsd",
    _BASE + "2023/09/06/eD/KodyKrajow/KodyKrajow_v13-0E.xsd": "KodyKrajow_v13-0E.xsd",
    _BASE
    + "2022/01/05/eD/KodyUrzedowSkarbowych/KodyUrzedowSkarbowych_v8-0E.xsd": "KodyUrzedowSkarbowych_v8-0E.xsd",
}
_FILES = {V7M_NS: "14090/schemat.xsd", V7K_NS: "14089/schemat.xsd"}
_lock = threading.Lock()


def _folder() -> Path:
    return Path(str(resources.files("ksef_sheets.jpk") / "schemas"))


class _LocalResolver(etree.Resolver):
    def resolve(self, system_url, public_id, context):
        if not system_url.startswith(("http://", "https://")):
            return None
        key = "http://" + system_url.split("://", 1)[1]
        name = _IMPORTS.get(key)
        if name is None:
            raise etree.XMLSchemaParseError(f"unmapped schema import (no network): {system_url}")
        return self.resolve_filename(str(_folder() / name), context)


@cache
def jpk_schema(namespace: str) -> etree.XMLSchema:
    """The compiled schema of a JPK_V7 variant (by its namespace); compiled once per process."""
    with _lock:
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        parser.resolvers.add(_LocalResolver())
        return etree.XMLSchema(etree.parse(str(_folder() / _FILES[namespace]), parser))
