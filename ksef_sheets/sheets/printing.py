"""What every workbook the toolkit writes shares for screen and paper: Polish number formats and
column widths sized to the values they show.

Number formats: an Excel format code is stored in the file in its English form (``#,##0.00``) and
each program shows it with the separators of the machine's locale — so LibreOffice on an
English-locale machine prints "22,092.47". The ``[$-415]`` prefix (LCID 0x415 = Polish) tells
LibreOffice to show the value the Polish way ("22 092,47") on any machine; Excel on an office's
Polish Windows shows the same. Dates are written with a literal ``dd.mm.yyyy`` pattern.

Widths: a column too narrow for a number shows ``###`` on screen and on paper, so a column holding
amounts is made as wide as the longest value as it will be displayed (``text.format_number``), plus
room for the sign, currency and cell padding.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from ksef_sheets.text import format_number

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "MONEY_FORMAT",
    "PLN_FORMAT",
    "POLISH",
    "SUMMARY_PLN_FORMAT",
    "amount_width",
    "print_a4_landscape",
    "text_width",
]

POLISH = "[$-415]"
DATE_FORMAT = "dd.mm.yyyy"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm"
MONEY_FORMAT = POLISH + "#,##0.00;[Red]-#,##0.00"
# The space goes inside the quotes: LibreOffice writes a bare space before a quoted literal back as
# a thousands separator ('#,##0.00,"zł"'), which Excel and LibreOffice then show divided by 1000.
PLN_FORMAT = POLISH + '#,##0.00" zł";[Red]-#,##0.00" zł"'
# In a summary a zero shows as a dash, so the months with invoices stand out.
SUMMARY_PLN_FORMAT = POLISH + '#,##0.00" zł";[Red]-#,##0.00" zł";"–"'

# Calibri 11 digits are narrower than the "0" the column unit is measured in only by a little; bold
# totals and LibreOffice's substitute fonts are wider, so a column gets this much on top of the text.
_PADDING = 2.5


def amount_width(
    values: Iterable[Decimal | float | int | None],
    *,
    suffix: str = "",
    minimum: float = 8.0,
    bold: bool = False,
) -> float:
    """The width (Excel character units) a column needs to show every amount without ``###``."""
    longest = 0
    for value in values:
        if value is None:
            continue
        longest = max(longest, len(format_number(Decimal(str(value)))) + len(suffix))
    width = longest + _PADDING + (longest * 0.1 if bold else 0.0)
    return max(minimum, round(width, 1))


def text_width(texts: Iterable[str | None], *, minimum: float = 6.0, maximum: float = 60.0) -> float:
    """The width for a text column: its longest line, within ``minimum``..``maximum``."""
    longest = max((len(line) for text in texts if text for line in str(text).splitlines()), default=0)
    return max(minimum, min(maximum, longest + 2.0))


def print_a4_landscape(ws: Worksheet, *, repeat: int | None = None) -> None:
    """A4 landscape, one page wide (as long as it takes), page numbers in the footer.

    ``repeat`` is the 0-based row of a table's headers, printed again at the top of every page.
    """
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&CStrona &P z &N")
    if repeat is not None:
        ws.repeat_rows(repeat)
