"""The readiness questionnaire a client fills in: written as a small .xlsx, read back into the register.

``write_questionnaire`` puts ``ankieta-ksef.xlsx`` into the client's folder (to attach to the
education e-mail). ``read_answers`` reads either such a filled questionnaire or any table with a NIP
column and answer columns (e.g. an online form's export) as rows for the importer
(``ksef_sheets.office.validate_rows``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from ksef_sheets.config import OfficeConfig
from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path
from ksef_sheets.office import (
    CHANNEL_HEADER,
    DOCUMENT_CHANNELS,
    QUESTIONS,
    Client,
    SourceTable,
    canonical_header,
    text_of,
)
from ksef_sheets.sheets.client_list import check_xlsx, read_client_list
from ksef_sheets.sheets.safe_text import set_text
from ksef_sheets.sheets.tables import OpenpyxlTables

TABLE = "Ankieta"
NIP_NAME = "AnkietaNIP"
ANSWER = "Odpowiedź (tak/nie)"
# Step-1 survey: how documents reach the office today (a choice or free text, outside the yes/no table).
QUESTIONNAIRE_CHANNEL_NAME = "AnkietaDokumenty"
CHANNEL_QUESTION = "Jak dziś przekazują Państwo dokumenty do biura?"


def write_questionnaire(path: Path, client: Client, office: OfficeConfig) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Ankieta KSeF"
    ws["A1"].value = "Ankieta gotowości do KSeF"
    ws["A1"].font = Font(size=15, bold=True, color="1F3864")
    # "do biura: <name>" because an office's name cannot be declined automatically.
    set_text(
        ws["A2"], f"Prosimy o odpowiedzi „tak” lub „nie” i odesłanie pliku do biura: {office.office_name}."
    )
    ws["A3"].value = "NIP"
    set_text(ws["B3"], client.nip)
    ws["A4"].value = "Firma"
    set_text(ws["B4"], client.name)
    for cell in ("A3", "A4"):
        ws[cell].font = Font(bold=True)
    tables = OpenpyxlTables(wb)
    tables.define_name(NIP_NAME, ws.title, "B3")
    header_row = 6
    for col, header in enumerate(("Pytanie", ANSWER, "Komentarz"), start=1):
        cell = ws.cell(row=header_row, column=col)
        cell.value = header
        cell.font = Font(bold=True, color="FFFFFF")
    for i, q in enumerate(QUESTIONS, start=header_row + 1):
        set_text(ws.cell(row=i, column=1), q.text)
        ws.cell(row=i, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 33
    last = header_row + len(QUESTIONS)
    table = Table(displayName=TABLE, ref=f"A{header_row}:C{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    dv = DataValidation(
        type="list",
        formula1='"tak,nie"',
        allow_blank=True,
        showErrorMessage=True,
        error="Wpisz „tak” albo „nie”.",
    )
    dv.add(f"B{header_row + 1}:B{last}")
    ws.add_data_validation(dv)
    channel_row = last + 2
    set_text(ws.cell(row=channel_row, column=1), CHANNEL_QUESTION)
    ws.cell(row=channel_row, column=1).font = Font(bold=True)
    ws.cell(row=channel_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    set_text(
        ws.cell(row=channel_row, column=3),
        "Prosimy wybrać z listy albo wpisać własnymi słowami (kilka sposobów prosimy rozdzielić średnikiem).",
    )
    tables.define_name(QUESTIONNAIRE_CHANNEL_NAME, ws.title, f"B{channel_row}")
    channels = DataValidation(
        type="list",
        formula1='"' + ",".join(DOCUMENT_CHANNELS) + '"',
        allow_blank=True,
        showErrorMessage=False,
    )
    channels.add(f"B{channel_row}")
    ws.add_data_validation(channels)
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 20
    ws.column_dimensions["C"].width = 40
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _is_questionnaire(path: Path) -> bool:
    if path.suffix.lower() != ".xlsx":
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.startswith("xl/tables/") for name in archive.namelist())
    except zipfile.BadZipFile:
        return False


def read_answers(path: Path) -> SourceTable:
    """A filled questionnaire (one client) or a table of answers (many), as importer rows."""
    if _is_questionnaire(path):
        check_xlsx(path)
        try:
            wb = load_workbook(path)
        except Exception as exc:
            raise UserError(f"Plik {path} nie daje się odczytać jako skoroszyt Excela.") from exc
        tables = OpenpyxlTables(wb, source=str(path))
        if TABLE in tables.table_names():
            return _from_questionnaire(path, tables)
    return read_client_list(path)


def _from_questionnaire(path: Path, tables: OpenpyxlTables) -> SourceTable:
    nip = text_of(tables.get_named_value(NIP_NAME))
    data = tables.read_table(TABLE)
    if "Pytanie" not in data.headers or ANSWER not in data.headers:
        raise UserError(f"Plik {path}: tabela ankiety nie ma kolumn „Pytanie” i „{ANSWER}”.")
    record: dict[str, Any] = {"NIP": nip}
    for row in data.rows:
        target = canonical_header(row.get("Pytanie"))
        if target is not None and target != "NIP":
            record[target] = row.get(ANSWER)
    if (
        QUESTIONNAIRE_CHANNEL_NAME in tables.workbook.defined_names
    ):  # questionnaires sent before 2026-12 lack it
        channel = text_of(tables.get_named_value(QUESTIONNAIRE_CHANNEL_NAME))
        if channel:
            record[CHANNEL_HEADER] = channel
    row_number = data.row_numbers[0] if data.row_numbers else 1
    return SourceTable(path, [(row_number, record)], [])
