"""The use-case layer: one module per thing the office does.

Only ``cli/``, the Excel panel and ``demo.py`` call it; nothing below imports it (see
CONTRIBUTING.md, "Layers"). Each module exports its entry points here.
"""

from ksef_sheets.workflows.archive import (
    RebuildReport,
    backup_office_archive,
    check_office_archive,
    rebuild_office_archive,
    restore_office_archive,
)
from ksef_sheets.workflows.audit import (
    AuditLine,
    audit_credential_change,
    audit_event,
    audit_lines,
    write_audit_sheet,
)
from ksef_sheets.workflows.booking import book_invoices
from ksef_sheets.workflows.certificates import (
    CertificateEnrolment,
    CertificateRevocation,
    KnownCertificate,
    enrol_office_certificate,
    list_ksef_certificates,
    revoke_ksef_certificate,
)
from ksef_sheets.workflows.client_decisions import (
    ImportReport,
    RowOutcome,
    import_decisions,
    ready_to_book,
    write_follow_up_list,
)
from ksef_sheets.workflows.client_export import ExportResult, export_client_list
from ksef_sheets.workflows.documents import generate_client_documents
from ksef_sheets.workflows.fetch import (
    OfficeFetch,
    fetch_invoices,
    office_fetch,
    select_clients,
    update_register_after_fetch,
)
from ksef_sheets.workflows.invoice_pdf import (
    RenderedInvoice,
    archived_numbers,
    month_invoice_pdfs,
    new_invoice_pdfs,
    render_invoice_pdfs,
)
from ksef_sheets.workflows.jpk import (
    JpkCheck,
    check_jpk,
    client_jpk_files,
    evidence_from_archive,
    ksef_numbers_csv,
    record_jpk_results,
)
from ksef_sheets.workflows.migrate import (
    GROUP_LABELS,
    ClientMigration,
    MigrationClient,
    migrate_credentials,
)
from ksef_sheets.workflows.permissions import PermissionsReport, read_office_permissions
from ksef_sheets.workflows.permissions_sheet import refresh_permissions_sheet, update_permissions_sheet
from ksef_sheets.workflows.register import (
    CheckReport,
    FetchResult,
    InitReport,
    check_clients,
    import_clients,
    import_readiness,
    init_office,
    update_fetch_results,
    update_jpk_results,
    update_permissions,
    write_questionnaires,
)
from ksef_sheets.workflows.send import prepare_entry_workbooks, select_send_clients, send_office
from ksef_sheets.workflows.staff import StaffOperation, grant_staff, register_staff_member, revoke_staff

__all__ = [
    "GROUP_LABELS",
    "AuditLine",
    "CertificateEnrolment",
    "CertificateRevocation",
    "CheckReport",
    "ClientMigration",
    "ExportResult",
    "FetchResult",
    "ImportReport",
    "InitReport",
    "JpkCheck",
    "KnownCertificate",
    "MigrationClient",
    "OfficeFetch",
    "PermissionsReport",
    "RebuildReport",
    "RenderedInvoice",
    "RowOutcome",
    "StaffOperation",
    "archived_numbers",
    "audit_credential_change",
    "audit_event",
    "audit_lines",
    "backup_office_archive",
    "book_invoices",
    "check_clients",
    "check_jpk",
    "check_office_archive",
    "client_jpk_files",
    "enrol_office_certificate",
    "evidence_from_archive",
    "export_client_list",
    "fetch_invoices",
    "generate_client_documents",
    "grant_staff",
    "import_clients",
    "import_decisions",
    "import_readiness",
    "init_office",
    "ksef_numbers_csv",
    "list_ksef_certificates",
    "migrate_credentials",
    "month_invoice_pdfs",
    "new_invoice_pdfs",
    "office_fetch",
    "prepare_entry_workbooks",
    "read_office_permissions",
    "ready_to_book",
    "rebuild_office_archive",
    "record_jpk_results",
    "refresh_permissions_sheet",
    "register_staff_member",
    "render_invoice_pdfs",
    "restore_office_archive",
    "revoke_ksef_certificate",
    "revoke_staff",
    "select_clients",
    "select_send_clients",
    "send_office",
    "update_fetch_results",
    "update_jpk_results",
    "update_permissions",
    "update_permissions_sheet",
    "update_register_after_fetch",
    "write_audit_sheet",
    "write_follow_up_list",
    "write_questionnaires",
]
