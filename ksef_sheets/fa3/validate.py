"""``validate_invoice``: the safe parse, the XSD and the business rules, in one pass over one tree."""

from __future__ import annotations

from lxml import etree

from ksef_sheets.errors import UserError
from ksef_sheets.fa3.model import Invoice
from ksef_sheets.fa3.problems import Problem, ValidationReport
from ksef_sheets.fa3.quick_rules import surely_clean
from ksef_sheets.fa3.reader import read_invoice
from ksef_sheets.fa3.rules import check_rules
from ksef_sheets.fa3.safe_xml import parse_xml, require_invoice_root
from ksef_sheets.fa3.schema import validate_tree
from ksef_sheets.fa3.tree import Node


def validate_parsed(tree: etree._ElementTree, source: str, node: Node | None = None) -> ValidationReport:
    report = ValidationReport(source)
    schema_problems = validate_tree(tree)
    report.problems.extend(schema_problems)
    # A document the schema accepts usually breaks no rule either, and that is quick to see; the
    # rules themselves (and their messages) run when it is not certain.
    if schema_problems or not surely_clean(tree.getroot()):
        report.problems.extend(check_rules(node if node is not None else Node(tree.getroot())))
    return report


def validate_invoice(data: bytes, *, source: str = "faktura") -> ValidationReport:
    """Every XSD and business problem of an invoice. Raises ``UserError`` only when the bytes are
    not a well-formed, safe XML document within KSeF's size limits, or not an FA(3) invoice."""
    tree = parse_xml(data, source=source)
    require_invoice_root(tree, source)
    return validate_parsed(tree, source)


def read_and_validate(data: bytes, *, source: str = "faktura") -> tuple[Invoice, ValidationReport]:
    """``parse_invoice`` and ``validate_invoice`` together, parsing the bytes once."""
    tree = parse_xml(data, source=source)
    node = Node(require_invoice_root(tree, source))
    return read_invoice(node), validate_parsed(tree, source, node)


def validate_xsd(data: bytes) -> list[Problem]:
    """XSD problems only (a not-well-formed or hostile document is one ``XML_SYNTAX`` problem)."""
    try:
        tree = parse_xml(data, source="faktura")
    except UserError as exc:
        return [Problem("XML_SYNTAX", "error", exc.message)]
    return validate_tree(tree)
