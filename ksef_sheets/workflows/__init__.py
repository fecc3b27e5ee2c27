"""The use-case layer: one module per thing the office does.

Only ``cli/``, the Excel panel and ``demo.py`` call it; nothing below imports it (see
CONTRIBUTING.md, "Layers"). Each module exports its entry points here.
"""

from ksef_sheets.workflows.audit import AuditLine, audit_event, audit_lines, write_audit_sheet
from ksef_sheets.workflows.invoice_pdf import RenderedInvoice, render_invoice_pdfs
from ksef_sheets.workflows.migrate import (
    GROUP_LABELS,
    ClientMigration,
    MigrationClient,
    migrate_credentials,
)
from ksef_sheets.workflows.permissions_sheet import refresh_permissions_sheet, update_permissions_sheet
from ksef_sheets.workflows.staff import StaffOperation, grant_staff, revoke_staff

__all__ = [
    "GROUP_LABELS",
    "AuditLine",
    "ClientMigration",
    "MigrationClient",
    "RenderedInvoice",
    "StaffOperation",
    "audit_event",
    "audit_lines",
    "grant_staff",
    "migrate_credentials",
    "refresh_permissions_sheet",
    "render_invoice_pdfs",
    "revoke_staff",
    "update_permissions_sheet",
    "write_audit_sheet",
]
