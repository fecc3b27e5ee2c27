"""The import's summary line inflects the number of applied decisions (through text.count)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_sheets.workflows import ImportReport, RowOutcome


@pytest.mark.parametrize(
    ("applied", "words"), [(1, "1 decyzję"), (2, "2 decyzje"), (5, "5 decyzji"), (22, "22 decyzje")]
)
def test_applied_decisions_are_inflected(applied: int, words: str) -> None:
    report = ImportReport(Path("odpowiedz.xlsx"), "5210537039", "2026-03", "zakupy", "x")
    report.applied = [RowOutcome(f"N{i}", "zastosowano", "") for i in range(applied)]
    assert report.summary_lines()[0].startswith(f"Klient 5210537039, okres 2026-03: zastosowano {words}, ")
