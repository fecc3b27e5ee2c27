"""The demo on a machine without LibreOffice says, in one line, that PDFs were skipped and how to install it."""

from __future__ import annotations

from pathlib import Path

import pytest

import ksef_sheets.documents as documents
import ksef_sheets.workflows as workflows
from ksef_sheets import demo
from ksef_sheets.config import OfficeFolder


def _documents_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, soffice: str | None) -> list[str]:
    folder = OfficeFolder(tmp_path / "biuro-demo")
    demo._init(folder)
    monkeypatch.setattr(documents, "find_soffice", lambda: soffice)
    monkeypatch.setattr(workflows, "generate_client_documents", _no_pdf(workflows.generate_client_documents))
    return demo._documents(folder, pdf=None)


def _no_pdf(generate):  # type: ignore[no-untyped-def]
    # The step with LibreOffice "present" must not start a real soffice here; the PDF path is
    # covered by the demo's own end-to-end test.
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["pdf"] = False
        return generate(*args, **kwargs)

    return wrapped


def test_demo_without_libreoffice_says_so_with_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _documents_step(tmp_path, monkeypatch, None)
    skipped = [line for line in lines if "LibreOffice" in line]
    assert len(skipped) == 1, lines
    assert "PDF pominięto" in skipped[0]
    assert "sudo apt-get install libreoffice-writer libreoffice-calc" in skipped[0]
    assert "libreoffice.org" in skipped[0]
    assert lines[0].startswith("Dokumenty i e-maile dla klientów:")  # the .docx documents are still made


def test_demo_with_libreoffice_does_not_warn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _documents_step(tmp_path, monkeypatch, "/usr/bin/soffice")
    assert not any("pominięto" in line for line in lines), lines
