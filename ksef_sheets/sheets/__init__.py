"""Workbooks: the office workbook, per-client invoice registers, client exports, table I/O.

Other packages import what they need from ``ksef_sheets.sheets`` itself — the names in ``__all__``
below are its public face (``tests/foundation/test_layers.py`` refuses imports of its submodules from
outside). The names are loaded from their modules on first use (``ksef_sheets.lazy``), so taking the light
``set_text`` does not load the workbook writers, and importing the package closes no import loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ksef_sheets.lazy import lazy_exports

if TYPE_CHECKING:
    from ksef_sheets.sheets.client_export import export_csv, write_export_workbook, write_summary_workbook
    from ksef_sheets.sheets.client_import import (
        ClientReply,
        decision_of,
        describe_changes,
        open_client_reply,
        write_follow_up_workbook,
    )
    from ksef_sheets.sheets.client_list import read_client_list
    from ksef_sheets.sheets.export_format import (
        DECISION_ACCEPT,
        DECISION_REJECT,
        EXPORT_KINDS,
        KIND_LABELS,
        REMARK_HEADER,
        SIDE_PURCHASE,
        SIDE_SALE,
        ExportHeader,
        ExportKind,
        ExportRow,
        export_base_name,
        parse_month,
        sign_export,
    )
    from ksef_sheets.sheets.incoming_xlsx import XlsxLimits, check_incoming_xlsx, open_workbook, read_rows
    from ksef_sheets.sheets.invoice_columns import (
        H_BOOKED,
        H_CLIENT_DECISION,
        H_CLIENT_REMARK,
        H_PERSON,
        H_STATUS,
        STATUS_BOOKED,
    )
    from ksef_sheets.sheets.invoice_readback import read_workbook_work
    from ksef_sheets.sheets.invoice_refresh import (
        RefreshReport,
        refresh_invoice_workbooks,
    )
    from ksef_sheets.sheets.jpk_sheet import JPK_SHEET, JpkSheetRow, write_jpk_sheet
    from ksef_sheets.sheets.office_access import (
        AUDIT_SPEC,
        MISMATCH_EXPIRING,
        MISMATCH_LEAVER,
        MISMATCH_SCENARIO,
        MISMATCH_TOKEN,
        MISMATCH_UNKNOWN,
        PERMISSIONS_SPEC,
        StaffMember,
        put_staff_member,
        read_staff,
        replace_generated_sheet,
        staff_identifier,
    )
    from ksef_sheets.sheets.office_workbook import (
        RefreshResult,
        open_office_workbook,
        read_register,
        refresh_workbook,
        save_office_workbook,
    )
    from ksef_sheets.sheets.printing import DATE_FORMAT, DATETIME_FORMAT, POLISH
    from ksef_sheets.sheets.questionnaire import QUESTIONNAIRE_CHANNEL_NAME, read_answers, write_questionnaire
    from ksef_sheets.sheets.register_reader import load_clients
    from ksef_sheets.sheets.safe_text import clean_text, looks_like_formula, set_text
    from ksef_sheets.sheets.send_entry import (
        EntryOfflineRow,
        EntryRowUpdate,
        create_entry_workbook,
        read_entry_workbook,
        write_entry_back,
    )
    from ksef_sheets.sheets.tables import Link, OpenpyxlTables, TableData, TableIO, row_is_empty

# name -> the module that defines it (loaded on first use, see the docstring)
_EXPORTS: dict[str, str] = {
    "export_csv": "client_export",
    "write_export_workbook": "client_export",
    "write_summary_workbook": "client_export",
    "ClientReply": "client_import",
    "decision_of": "client_import",
    "describe_changes": "client_import",
    "open_client_reply": "client_import",
    "write_follow_up_workbook": "client_import",
    "DECISION_ACCEPT": "export_format",
    "DECISION_REJECT": "export_format",
    "EXPORT_KINDS": "export_format",
    "KIND_LABELS": "export_format",
    "REMARK_HEADER": "export_format",
    "SIDE_PURCHASE": "export_format",
    "SIDE_SALE": "export_format",
    "ExportHeader": "export_format",
    "ExportKind": "export_format",
    "ExportRow": "export_format",
    "export_base_name": "export_format",
    "parse_month": "export_format",
    "sign_export": "export_format",
    "read_client_list": "client_list",
    "XlsxLimits": "incoming_xlsx",
    "check_incoming_xlsx": "incoming_xlsx",
    "open_workbook": "incoming_xlsx",
    "read_rows": "incoming_xlsx",
    "H_BOOKED": "invoice_columns",
    "H_CLIENT_DECISION": "invoice_columns",
    "H_CLIENT_REMARK": "invoice_columns",
    "H_PERSON": "invoice_columns",
    "H_STATUS": "invoice_columns",
    "STATUS_BOOKED": "invoice_columns",
    "read_workbook_work": "invoice_readback",
    "RefreshReport": "invoice_refresh",
    "refresh_invoice_workbooks": "invoice_refresh",
    "JPK_SHEET": "jpk_sheet",
    "JpkSheetRow": "jpk_sheet",
    "write_jpk_sheet": "jpk_sheet",
    "AUDIT_SPEC": "office_access",
    "MISMATCH_EXPIRING": "office_access",
    "MISMATCH_LEAVER": "office_access",
    "MISMATCH_SCENARIO": "office_access",
    "MISMATCH_TOKEN": "office_access",
    "MISMATCH_UNKNOWN": "office_access",
    "PERMISSIONS_SPEC": "office_access",
    "StaffMember": "office_access",
    "put_staff_member": "office_access",
    "read_staff": "office_access",
    "replace_generated_sheet": "office_access",
    "staff_identifier": "office_access",
    "RefreshResult": "office_workbook",
    "open_office_workbook": "office_workbook",
    "read_register": "office_workbook",
    "refresh_workbook": "office_workbook",
    "save_office_workbook": "office_workbook",
    "DATETIME_FORMAT": "printing",
    "DATE_FORMAT": "printing",
    "POLISH": "printing",
    "QUESTIONNAIRE_CHANNEL_NAME": "questionnaire",
    "read_answers": "questionnaire",
    "write_questionnaire": "questionnaire",
    "load_clients": "register_reader",
    "clean_text": "safe_text",
    "looks_like_formula": "safe_text",
    "set_text": "safe_text",
    "EntryOfflineRow": "send_entry",
    "EntryRowUpdate": "send_entry",
    "create_entry_workbook": "send_entry",
    "read_entry_workbook": "send_entry",
    "write_entry_back": "send_entry",
    "Link": "tables",
    "OpenpyxlTables": "tables",
    "TableData": "tables",
    "TableIO": "tables",
    "row_is_empty": "tables",
}

__all__ = [
    "AUDIT_SPEC",
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "DECISION_ACCEPT",
    "DECISION_REJECT",
    "EXPORT_KINDS",
    "H_BOOKED",
    "H_CLIENT_DECISION",
    "H_CLIENT_REMARK",
    "H_PERSON",
    "H_STATUS",
    "JPK_SHEET",
    "KIND_LABELS",
    "MISMATCH_EXPIRING",
    "MISMATCH_LEAVER",
    "MISMATCH_SCENARIO",
    "MISMATCH_TOKEN",
    "MISMATCH_UNKNOWN",
    "PERMISSIONS_SPEC",
    "POLISH",
    "QUESTIONNAIRE_CHANNEL_NAME",
    "REMARK_HEADER",
    "SIDE_PURCHASE",
    "SIDE_SALE",
    "STATUS_BOOKED",
    "ClientReply",
    "EntryOfflineRow",
    "EntryRowUpdate",
    "ExportHeader",
    "ExportKind",
    "ExportRow",
    "JpkSheetRow",
    "Link",
    "OpenpyxlTables",
    "RefreshReport",
    "RefreshResult",
    "StaffMember",
    "TableData",
    "TableIO",
    "XlsxLimits",
    "check_incoming_xlsx",
    "clean_text",
    "create_entry_workbook",
    "decision_of",
    "describe_changes",
    "export_base_name",
    "export_csv",
    "load_clients",
    "looks_like_formula",
    "open_client_reply",
    "open_office_workbook",
    "open_workbook",
    "parse_month",
    "put_staff_member",
    "read_answers",
    "read_client_list",
    "read_entry_workbook",
    "read_register",
    "read_rows",
    "read_staff",
    "read_workbook_work",
    "refresh_invoice_workbooks",
    "refresh_workbook",
    "replace_generated_sheet",
    "row_is_empty",
    "save_office_workbook",
    "set_text",
    "sign_export",
    "staff_identifier",
    "write_entry_back",
    "write_export_workbook",
    "write_follow_up_workbook",
    "write_jpk_sheet",
    "write_questionnaire",
    "write_summary_workbook",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals(), __all__)
