"""Text from invoices (third parties) goes into cells as text, never as a formula.

A seller named ``=HYPERLINK("http://x","y")``, ``+48 600``, ``-1`` or ``@SUM(A1)`` must stay literally
that in every workbook and CSV. In .xlsx the value is written as a typed string cell (openpyxl:
``data_type = "s"``; XlsxWriter: ``write_string``), which Excel never evaluates. Control characters
that XML 1.0 cannot hold are removed (openpyxl would refuse the whole file).
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import Cell

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Remove characters an .xlsx cannot store (XML 1.0 control characters)."""
    return _ILLEGAL_XML.sub("", text)


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def set_text(cell: Cell, value: Any) -> None:
    """Put third-party text into an openpyxl cell so that it is stored and shown literally."""
    if value is None:
        cell.value = None
        return
    text = clean_text(str(value))
    cell.value = text
    # openpyxl turns any string starting with "=" into a formula; force a plain string cell.
    cell.data_type = "s"


def csv_text(value: Any) -> str:
    """A CSV field for Excel that cannot be evaluated as a formula.

    Excel evaluates ``=``, ``+``, ``-`` and ``@`` at the start of a CSV field even inside quotes, and
    offers no way to mark a CSV field as text. The OWASP-recommended defence is a leading apostrophe,
    which Excel shows only in the formula bar when the file is typed in, and which a reader of the
    raw CSV sees as a visible marker that the text was neutralised.
    """
    if value is None:
        return ""
    text = clean_text(str(value))
    return "'" + text if looks_like_formula(text) else text
