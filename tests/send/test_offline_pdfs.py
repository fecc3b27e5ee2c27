"""PDFs on request: ``send --pdf`` (each accepted invoice), the archive helpers behind ``fetch --pdf``,
and ``export --invoice-pdfs`` (the month's invoices beside the client's list) — real PDFs read back
with pdftotext, KOD I labelled with the KSeF number."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.workflows import archived_numbers, new_invoice_pdfs, send_office

from .conftest import SELLER, fill_entry, line, today


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_send_pdf_fetch_helpers_and_export_invoice_pdfs(
    office: OfficeFolder, emulator_copy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    running = emulator_copy()
    before = archived_numbers(office, [SELLER])
    fill_entry(office, SELLER, [line("FV/100/2026", "Usługa", 100), line("FV/101/2026", "Usługa", 101)])
    report = asyncio.run(send_office(office, base_url=running.base_url, clients=[SELLER], pdf=True))
    assert not report.problems, report.summary_lines()
    numbers = sorted(o.ksef_number for o in report.clients[0].sent if o.ksef_number)
    assert len(numbers) == 2
    pdf_dir = office.client_dir(SELLER) / "pdf"
    assert sorted(p.stem for p in pdf_dir.glob("*.pdf")) == numbers
    text = pdf_text(pdf_dir / f"{numbers[0]}.pdf")
    assert numbers[0] in text and "OFFLINE" not in text

    # fetch --pdf: only what the archive gained since the snapshot gets a PDF.
    for path in pdf_dir.glob("*.pdf"):
        path.unlink()
    written = new_invoice_pdfs(office, before)
    assert sorted(p.stem for p in written) == numbers
    assert new_invoice_pdfs(office, archived_numbers(office, [SELLER])) == []

    month = f"{today():%Y-%m}"
    code = main(
        [
            "export",
            "--client",
            SELLER,
            "--month",
            month,
            "--kind",
            "sprzedaz",
            "--no-pdf",
            "--invoice-pdfs",
            "--json",
            "--dir",
            str(office.root),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    exported = [Path(p) for p in out["invoice_pdfs"]]
    assert sorted(p.stem for p in exported) == numbers
    assert all(p.parent == Path(out["xlsx"]).with_name(Path(out["xlsx"]).stem + "-faktury") for p in exported)
    assert "FV/101/2026" in pdf_text(exported[1]) or "FV/101/2026" in pdf_text(exported[0])
