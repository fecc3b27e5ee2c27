"""The Terminy sheet shows deadlines moved past a day off and each offline mode's deadline from today."""

from __future__ import annotations

from datetime import date
from typing import Any

from ksef_sheets.workflows import check_clients
from tests.office.conftest import table_rows


def test_terminy_sheet_shows_moved_deadlines_and_offline_examples(demo_office: Any) -> None:
    # On Tue 1.12.2026 the November JPK falls on Christmas (Fri 25.12) and moves to Mon 28.12.
    today = date(2026, 12, 1)
    check_clients(demo_office, today=today)
    path = demo_office.office_workbook
    _, statutory = table_rows(path, "Terminy")
    jpk = next(r for r in statutory if r["Termin"] == "JPK_V7 za poprzedni miesiąc")
    assert jpk["Data"].date() == date(2026, 12, 28)
    assert "Termin przesunięty z 25.12.2026 (pt.)" in jpk["Szczegóły"]
    assert "art. 12 § 5 Ordynacji podatkowej" in jpk["Szczegóły"]
    assert jpk["Za ile dni"] == 27
    _, modes = table_rows(path, "TrybyOffline")
    examples = {r["Tryb"]: r["Przykład: od dziś"] for r in modes}
    assert examples["offline24"] == "01.12.2026 (wt.) → 02.12.2026 (śr.)"
    assert examples["tryb awaryjny — awaria KSeF"] == "01.12.2026 (wt.) → 10.12.2026 (czw.)"
    assert examples["awaria całkowita"] == "brak obowiązku wysłania"
    _, per_client = table_rows(path, "TerminyKlientow")
    moved = [r for r in per_client if r["Czego dotyczy"].startswith("JPK_V7")]
    assert moved, per_client
    assert all(r["Data"].date() == date(2026, 12, 28) for r in moved)
    assert all("przesunięty z 25.12.2026" in r["Czego dotyczy"] for r in moved)
