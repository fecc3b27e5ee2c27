"""The use-case layer: one module per thing the office does.

Only ``cli/``, the Excel panel and ``demo.py`` call it; nothing below imports it (see
CONTRIBUTING.md, "Layers"). Each module exports its entry points here.
"""

from ksef_sheets.workflows.invoice_pdf import RenderedInvoice, render_invoice_pdfs

__all__ = [
    "RenderedInvoice",
    "render_invoice_pdfs",
]
