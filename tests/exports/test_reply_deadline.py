"""The export's verification deadline is counted in Polish business days and shown as a date."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets.export_format import INSTRUCTION_SHEET, LIST_SHEET
from ksef_sheets.workflows import export_client_list

from .conftest import CLIENT2, Stored


def test_reply_deadline_skips_christmas_and_the_weekend(
    office: OfficeFolder, purchases: list[Stored]
) -> None:
    # Exported Fri 18.12.2026; 5 business days: 21, 22, 23 (24–27 off), 28, 29 → Tue 29.12.2026.
    now = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False, now=now)
    wb = load_workbook(result.xlsx)
    expected = "w ciągu 5 dni roboczych, czyli do 29.12.2026 (wt.)"
    note = str(wb[LIST_SHEET].cell(2, 1).value)
    assert expected in note
    guide = " ".join(str(c.value) for row in wb[INSTRUCTION_SHEET].iter_rows() for c in row if c.value)
    assert f"odesłać go do biura {expected}." in guide
    # The client is addressed as "Państwo" (issue 16): no "Ty" imperatives, the office named after a colon.
    assert "Plik prosimy odesłać do biura: " in note and "Państwa firmy" in guide
    for ty in (
        "Otwórz",
        "wybierz",
        "wpisz",
        "Zapisz",
        "odeślij",
        "Odeślij",
        "Twojej",
        "Tobą",
        "Nie zmieniaj",
    ):
        assert ty not in guide and ty not in note, ty
    # The ready e-mail names the same date.
    assert result.eml is not None
    message = email.message_from_bytes(result.eml.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "w ciągu 5 dni roboczych, czyli do 29.12.2026 (wt.)." in " ".join(body.get_content().split())
