"""Render workbooks as a person prints them (LibreOffice → PDF) and check what is on paper.

Shared by the printout tests of each workbook kind (tests/sheets, tests/office, tests/exports).
Every call converts all its files in one LibreOffice start (starting it costs seconds), with the
machine's locale set to English in LibreOffice's environment: the Polish formats must come from
the files, never from the machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

LOCALES: Mapping[str, Mapping[str, str]] = {
    "polski": {"LANG": "pl_PL.UTF-8", "LC_ALL": "pl_PL.UTF-8", "LANGUAGE": "pl"},
    "angielski": {"LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "LANGUAGE": "en"},
}

# An amount as Polish paper shows it: "1 234,56", "-12,00", "1 113 233,67 zł".
POLISH_AMOUNT = re.compile(r"(?<![\d,.])-?\d{1,3}(?: \d{3})*,\d{2}(?!\d)")
# What an English locale would make of it: "1,234.56".
ENGLISH_AMOUNT = re.compile(r"\d,\d{3}\.\d{2}")
ISO_DATE = re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b")
ERRORS = ("###", "Err:", "#VALUE!", "#NAME?", "#REF!", "#DIV/0!", "#N/A", "#NUM!")


@dataclass(frozen=True)
class Printout:
    pdf: Path
    pages: int
    text: str  # pdftotext -layout, no-break spaces as plain spaces

    def page(self, number: int) -> str:
        return self.text.split("\f")[number - 1]


def render(soffice: str, files: Sequence[Path], out: Path, locale: str = "angielski") -> dict[Path, Printout]:
    """Every file converted to PDF in one LibreOffice run under ``locale``; source → printout."""
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftotext/pdfinfo (poppler-utils) are not installed")
    out.mkdir(parents=True, exist_ok=True)
    stems = [f.stem for f in files]
    assert len(set(stems)) == len(stems), "LibreOffice names PDFs by stem: give the files distinct names"
    env = {**os.environ, **LOCALES[locale]}
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(out / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=600,
        env=env,
    )
    printed: dict[Path, Printout] = {}
    for source in files:
        pdf = out / f"{source.stem}.pdf"
        assert pdf.is_file(), f"LibreOffice produced no PDF from {source.name}"
        printed[source] = read_pdf(pdf)
    return printed


def read_pdf(pdf: Path) -> Printout:
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftotext/pdfinfo (poppler-utils) are not installed")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return Printout(pdf, pages, text.replace("\u00a0", " ").replace("\u202f", " "))


def assert_reads_well(printout: Printout, *, pages: tuple[int, int], amounts: int = 1) -> None:
    """Page count within bounds, no error or overflow marks, amounts in the Polish form only."""
    name = printout.pdf.name
    low, high = pages
    assert low <= printout.pages <= high, f"{name}: {printout.pages} stron, oczekiwano {low}–{high}"
    for mark in ERRORS:
        assert mark not in printout.text, f"{name}: {mark!r} on paper"
    english = ENGLISH_AMOUNT.findall(printout.text)
    assert not english, f"{name}: English number format on paper: {english[:3]}"
    found = POLISH_AMOUNT.findall(printout.text)
    assert len(found) >= amounts, f"{name}: {len(found)} Polish amounts, expected at least {amounts}"


def type_size(printout: Printout, page: int) -> float:
    """The median height (pt) of the words on a page: the print size a reader sees."""
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(printout.pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    heights = sorted(
        float(y2) - float(y1)
        for y1, y2 in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html)
    )
    assert heights, f"{printout.pdf.name}: no text on page {page}"
    return heights[len(heights) // 2]
