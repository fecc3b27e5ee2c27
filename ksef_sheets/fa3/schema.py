"""XSD validation against the FA(3) schema shipped with the package, offline.

The FA(3) schema imports the Ministry's base types by an absolute ``http://crd.gov.pl/...`` URL;
a resolver maps that prefix to the copies in ``schemas/`` (SOURCES.md), and the parser has network
access switched off, so validation never leaves the machine. The schema is compiled once per
thread. libxml2's English messages are turned into Polish ones naming the element and line.
"""

from __future__ import annotations

import re
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

from ksef_sheets.fa3.problems import Problem

SCHEMA_FILE = "schemat_FA(3)_v1-0E.xsd"
_BASE_URL = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
_XSD_NS = "http://www.w3.org/2001/XMLSchema"

# One compiled schema per thread: an lxml validator keeps the error log of its last run on the
# object, so two threads validating with one object could read each other's errors. Compiling takes
# about 20 ms, once per thread.
_local = threading.local()


def schemas_dir() -> Path:
    return Path(str(resources.files("ksef_sheets.fa3").joinpath("schemas")))


class _OfflineResolver(etree.Resolver):
    def __init__(self, directory: Path) -> None:
        super().__init__()
        self._directory = directory

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        if system_url and system_url.startswith(_BASE_URL):
            name = system_url[len(_BASE_URL) :]
            local = self._directory / name
            if "/" not in name and local.is_file():
                return self.resolve_filename(str(local), context)
        return None


def _localise_imports(doc: etree._ElementTree, directory: Path) -> None:
    """Point the schema's import of the base types at the shipped copy, by a relative file name.

    The resolver alone is not enough when threads are involved: lxml reaches it through libxml2's
    process-wide document loader, which every parse swaps in and restores, so a parse in another
    thread can restore the plain loader while this thread compiles, and the import of the base types
    is then lost ("TDataCzas does not resolve to a simple type definition"). A local file name needs
    no resolver. The copies' own includes are relative already.
    """
    for imp in doc.getroot().iter(f"{{{_XSD_NS}}}import", f"{{{_XSD_NS}}}include"):
        location = imp.get("schemaLocation") or ""
        if location.startswith(_BASE_URL):
            name = location[len(_BASE_URL) :]
            if "/" not in name and (directory / name).is_file():
                imp.set("schemaLocation", name)


def fa3_schema() -> etree.XMLSchema:
    """The compiled FA(3) schema of this thread (compiled on first use, then reused)."""
    schema: etree.XMLSchema | None = getattr(_local, "schema", None)
    if schema is None:
        directory = schemas_dir()
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        parser.resolvers.add(_OfflineResolver(directory))
        doc = etree.parse(str(directory / SCHEMA_FILE), parser)
        _localise_imports(doc, directory)
        schema = _local.schema = etree.XMLSchema(doc)
    return schema


def _localname(name: str) -> str:
    return re.sub(r"\{[^}]*\}", "", name)


def element_path(el: etree._Element) -> str:
    """A readable path such as ``Faktura/Fa/FaWiersz[2]/P_12`` (positions only where repeated)."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        if not isinstance(node.tag, str):
            node = node.getparent()
            continue
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/".join(reversed(parts))


def _find_element(root: etree._Element, line: int, name: str) -> etree._Element | None:
    for el in root.iter():
        if isinstance(el.tag, str) and el.sourceline == line and etree.QName(el).localname == name:
            return el
    return None


_ELEMENT_RE = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: (.*)$", re.S)


def _expected(text: str) -> str:
    m = re.search(r"Expected is(?: one of)? \( (.*?) \)", text)
    if not m:
        return ""
    names = [_localname(n.strip()) for n in m.group(1).split(",")]
    return ", ".join(n for n in names if n and n != "##other")


def translate(message: str) -> tuple[str, str, str]:
    """(code, element name, Polish message) for one libxml2 schema-validation message."""
    m = _ELEMENT_RE.match(message.strip())
    if not m:
        if "No matching global declaration" in message:
            return "XSD_ROOT", "", "Główny element nie jest fakturą FA(3) (Faktura w przestrzeni nazw FA(3))."
        return "XSD_OTHER", "", f"Niezgodność ze schematem FA(3): {message.strip()}"
    element = _localname(m.group(1))
    attribute = m.group(2)
    rest = m.group(3).strip()
    target = f"atrybut {attribute} elementu {element}" if attribute else f"element {element}"
    where = f"w atrybucie {attribute} elementu {element}" if attribute else f"w elemencie {element}"
    value = re.search(r"The value '([^']*)'", rest) or re.search(r"^'([^']*)'", rest)
    shown = f"„{value.group(1)}”" if value else ""

    if rest.startswith("This element is not expected"):
        exp = _expected(rest)
        tail = f"; oczekiwano: {exp}" if exp else ""
        return "XSD_UNEXPECTED", element, f"Element {element} jest w tym miejscu niedozwolony{tail}."
    if rest.startswith("Missing child element"):
        exp = _expected(rest)
        return "XSD_MISSING", element, f"W elemencie {element} brakuje wymaganego elementu: {exp or '?'}."
    if "[facet 'pattern']" in rest:
        return "XSD_PATTERN", element, f"Wartość {shown} {where} ma niedozwolony format."
    if "[facet 'enumeration']" in rest:
        allowed = re.search(r"set \{(.*)\}", rest)
        options = ""
        if allowed:
            items = [s.strip().strip("'") for s in allowed.group(1).split(",")]
            options = ", ".join(items[:15]) + (" …" if len(items) > 15 else "")
        return (
            "XSD_ENUM",
            element,
            f"Wartość {shown} {where} jest spoza listy dozwolonych wartości"
            + (f" ({options})." if options else "."),
        )
    if "[facet 'minLength']" in rest or ("[facet 'length']" in rest and "underruns" in rest):
        lim = re.search(r"minimum length of '(\d+)'", rest)
        return (
            "XSD_LENGTH",
            element,
            f"Wartość {where} jest za krótka (najmniej {lim.group(1) if lim else '?'} znaków).",
        )
    if "[facet 'maxLength']" in rest:
        lim = re.search(r"maximum length of '(\d+)'", rest)
        return (
            "XSD_LENGTH",
            element,
            f"Wartość {where} jest za długa (najwyżej {lim.group(1) if lim else '?'} znaków).",
        )
    if "[facet 'fractionDigits']" in rest:
        lim = re.search(r"allowed \('(\d+)'\)", rest)
        return (
            "XSD_DIGITS",
            element,
            f"Wartość {shown} {where} ma za dużo cyfr po przecinku (dozwolone: {lim.group(1) if lim else '?'}).",
        )
    if "[facet 'totalDigits']" in rest:
        return "XSD_DIGITS", element, f"Wartość {shown} {where} ma za dużo cyfr."
    if "[facet 'minInclusive']" in rest or "[facet 'minExclusive']" in rest:
        lim = re.search(r"minimum value allowed \('([^']*)'\)", rest)
        return (
            "XSD_RANGE",
            element,
            f"Wartość {shown} {where} jest za mała (najmniej {lim.group(1) if lim else '?'}).",
        )
    if "[facet 'maxInclusive']" in rest or "[facet 'maxExclusive']" in rest:
        lim = re.search(r"maximum value allowed \('([^']*)'\)", rest)
        return (
            "XSD_RANGE",
            element,
            f"Wartość {shown} {where} jest za duża (najwyżej {lim.group(1) if lim else '?'}).",
        )
    if "is not a valid value of" in rest:
        type_name = re.search(r"type '([^']+)'", rest)
        kind = _type_hint(_localname(type_name.group(1)) if type_name else "")
        return "XSD_TYPE", element, f"Wartość {shown} {where} nie jest poprawną wartością ({kind})."
    if "is required but missing" in rest:
        attr = re.search(r"attribute '([^']+)'", rest)
        return (
            "XSD_MISSING",
            element,
            f"W elemencie {element} brakuje wymaganego atrybutu {attr.group(1) if attr else ''}.",
        )
    if "is not allowed" in rest and "attribute" in rest:
        return "XSD_UNEXPECTED", element, f"W elemencie {element} jest niedozwolony atrybut."
    if "fixed value constraint" in rest:
        fixed = re.search(r"constraint '([^']*)'", rest)
        return (
            "XSD_ENUM",
            element,
            f"{target[:1].upper()}{target[1:]} musi mieć wartość „{fixed.group(1) if fixed else ''}”.",
        )
    if "Character content other than whitespace is not allowed" in rest:
        return (
            "XSD_CONTENT",
            element,
            f"Element {element} nie może zawierać tekstu, tylko elementy podrzędne.",
        )
    if "Element content is not allowed" in rest:
        return (
            "XSD_CONTENT",
            element,
            f"Element {element} może zawierać tylko wartość, bez elementów podrzędnych.",
        )
    return "XSD_OTHER", element, f"Niezgodność ze schematem FA(3) {where}: {rest}"


def _type_hint(type_name: str) -> str:
    if "decimal" in type_name or "Kwot" in type_name or "Ilosci" in type_name:
        return "oczekiwano liczby, np. 1234.50"
    if "date" in type_name.lower() or "Data" in type_name:
        return "oczekiwano daty RRRR-MM-DD"
    if "integer" in type_name or "byte" in type_name or "Naturalny" in type_name:
        return "oczekiwano liczby całkowitej"
    return f"typ {type_name}" if type_name else "niezgodny typ"


def validate_tree(tree: etree._ElementTree) -> list[Problem]:
    """Validate a parsed tree; every schema violation becomes a Polish ``Problem``."""
    schema = fa3_schema()
    if schema.validate(tree):
        return []
    root = tree.getroot()
    problems: list[Problem] = []
    for entry in schema.error_log:
        code, element, message = translate(entry.message)
        path = ""
        if element:
            el = _find_element(root, entry.line, element)
            path = element_path(el) if el is not None else element
        problems.append(Problem(code, "error", message, path, entry.line or None))
    return problems
