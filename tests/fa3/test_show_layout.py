"""``invoice show`` in a narrow terminal: every amount whole, in the Polish format, never cut."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ksef_sheets.text import format_amount


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


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_show_wraps_and_never_cuts_the_total(fa3_samples: list[Path], columns: int) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_21_vat_eur.xml")
    out = _show(sample, columns)
    assert max(len(line) for line in out.splitlines()) <= columns
    text = _inside(out)
    # Every total whole, with its currency, on the line of its label.
    assert re.search(r"Należność ogółem:\s+16\u00a0678,80 EUR", out), out
    assert re.search(r"Razem netto:\s+13\u00a0560,00 EUR", out), out
    assert re.search(r"Razem VAT:\s+3\u00a0118,80 EUR", out), out
    assert "13\u00a0768,14" in text  # VAT in PLN of the EUR invoice, not "768,…"
    assert "…" not in out
    assert "P_15" not in out and "(P_" not in out  # labels in words, not field codes
    assert not re.search(r"\d,\d{3}\.\d{2}", out)  # never the English "16,678.80"
    assert "16678.80" not in out
    assert "15.02.2026" in out and "2026-02-15" not in out  # dates dd.mm.rrrr


def test_show_pln_total_uses_the_shared_amount_format(fa3_samples: list[Path]) -> None:
    sample = next(p for p in fa3_samples if p.name == "mf_fa3_przyklad_01_vat_23_and_5.xml")
    out = _show(sample, 80)
    assert f"Należność ogółem:  {format_amount('2051')}" in out  # P_15 "2051" → "2 051,00 zł"
