"""Telling whether a yearly invoice workbook needs rebuilding at all.

A workbook is rebuilt when its inputs changed (the year's archived invoices, the staff decisions on
them, the client's name or scenario, the workbook format) or when a person saved it since the
toolkit wrote it. The inputs are summed up in a fingerprint kept as a custom document property;
"nobody saved it since" is ``dcterms:modified`` still equal to ``dcterms:created`` in its core
properties (the toolkit writes both with the same time; Excel, LibreOffice and openpyxl move
``modified`` on every save). Skipping an unchanged past year saves parsing thousands of XML files
on every fetch; when in doubt, the workbook is rebuilt.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from lxml import etree

from ksef_sheets.sync import StaffDecision

FINGERPRINT_PROPERTY = "ksef_sheets_inputs"
# Bump when the workbook's layout or content rules change, so every workbook is rebuilt once.
WORKBOOK_FORMAT = "faktury-2"  # 2: print layout (checked columns first, print area), Polish number formats
_MAX_PART = 1_000_000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dcterms": "http://purl.org/dc/terms/",
    "op": "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
}


class Fingerprinted(Protocol):
    """What the fingerprint reads of an invoice (an ``ArchivedInvoice`` or the index's ``IndexRow``)."""

    @property
    def ksef_number(self) -> str: ...
    @property
    def subject_type(self) -> str: ...
    @property
    def sha256(self) -> str: ...


def inputs_fingerprint(
    client_name: str,
    scenario: int | None,
    invoices: Iterable[Fingerprinted],
    decisions: Mapping[str, StaffDecision],
) -> str:
    # Each value as its repr, followed by \x1f; each group of values followed by \x1e. Built as one
    # text and hashed once (a refresh sums up a year of invoices twice).
    parts = [f"{WORKBOOK_FORMAT!r}\x1f{client_name!r}\x1f{scenario!r}\x1f\x1e"]
    append = parts.append
    for invoice in sorted(invoices, key=lambda i: i.ksef_number):
        append(f"{invoice.ksef_number!r}\x1f{invoice.subject_type!r}\x1f{invoice.sha256!r}\x1f\x1e")
        d = decisions.get(invoice.ksef_number)
        if d is not None:
            append(
                f"{d.status!r}\x1f{d.comment!r}\x1f{d.booked_on!r}\x1f{d.person!r}\x1f"
                f"{d.client_decision!r}\x1f{d.client_remark!r}\x1f\x1e"
            )
    return hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()


def is_unchanged(path: Path, fingerprint: str) -> bool:
    """True when ``path`` was written for exactly these inputs and nobody saved it since."""
    try:
        with zipfile.ZipFile(path) as package:
            core = _part(package, "docProps/core.xml")
            custom = _part(package, "docProps/custom.xml")
    except (OSError, zipfile.BadZipFile, KeyError, ValueError):
        return False
    if core is None or custom is None:
        return False
    created = core.findtext("dcterms:created", namespaces=_NS)
    modified = core.findtext("dcterms:modified", namespaces=_NS)
    if not created or created != modified:
        return False
    for prop in custom.findall("op:property", namespaces=_NS):
        if prop.get("name") == FINGERPRINT_PROPERTY:
            return prop.findtext("vt:lpwstr", namespaces=_NS) == fingerprint
    return False


def _part(package: zipfile.ZipFile, name: str) -> etree._Element | None:
    info = package.getinfo(name)
    if info.file_size > _MAX_PART:
        return None
    try:
        return etree.fromstring(package.read(name), _PARSER)
    except etree.XMLSyntaxError:
        return None
