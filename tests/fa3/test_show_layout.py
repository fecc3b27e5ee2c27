"""``invoice show`` in a narrow terminal: every amount whole, in the Polish format, never cut."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ksef_sheets.text import format_amount, format_number


def _show(path: Path, columns: int) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ksef_sheets", "invoice", "show", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": str(columns), "LC_ALL": "en_US.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _inside(out: str) -> str:
    """The panel's text without its borders, lines joined (a wrapped phrase reads as one)."""
    rows = [line.strip("│ ").rstrip() for line in out.splitlines() if line.startswith("│")]
    return " ".join(rows)


@pytest.mark.parametrize("columns", [40, 60, 80, 200])
def test_show_wraps_and_never_cuts_an_amount(fa3_samples: list[Path], columns: int) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_21_vat_eur.xml")
    out = _show(sample, columns)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= columns
    # Every amount whole, with its currency, on one line (never broken inside "13 560,00").
    expected = [format_amount(v, "EUR") for v in ("13560", "3118.80", "16678.80")]
    expected += [format_number("4060"), format_number("13768.14")]
    for amount in expected:
        assert any(amount in line for line in lines), (columns, amount, out)
    assert re.search(r"Należność ogółem:\s+16\u00a0678,80 EUR", out), out
    assert re.search(r"Razem netto:\s+13\u00a0560,00 EUR", out), out
    assert re.search(r"Razem VAT:\s+3\u00a0118,80 EUR", out), out
    assert "…" not in out
    assert "P_15" not in out and "(P_" not in out  # labels in words, not field codes
    assert not re.search(r"\d,\d{3}\.\d{2}", out)  # never the English "16,678.80"
    assert "16678.80" not in out
    assert "15.02.2026" in out and "2026-02-15" not in out  # dates dd.mm.rrrr
    assert "lodówka Zimnotech mk1" in _inside(out)


def test_show_pln_total_uses_the_shared_amount_format(fa3_samples: list[Path]) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_01_vat_23_and_5.xml")
    for columns in (60, 80):
        out = _show(sample, columns)
        assert f"Należność ogółem:  {format_amount('2051')}" in out  # P_15 "2051" → "2 051,00 zł"
        lines = out.splitlines()
        for amount in (format_amount("1626.01"), format_amount("1667.61"), format_amount("383.38")):
            assert any(amount in line for line in lines), (columns, amount, out)
