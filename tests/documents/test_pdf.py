"""LibreOffice renders the documents to PDF, all files of a run in one soffice call."""

from __future__ import annotations

import email
import subprocess
from datetime import date
from email import policy
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents import convert_to_pdf, generate_documents, resolve_kinds
from ksef_sheets.errors import UserError
from ksef_sheets.office.model import Client

TODAY = date(2026, 3, 2)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.mark.libreoffice
def test_documents_and_emails_with_pdf(
    office: OfficeFolder, clients: list[Client], soffice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    real_popen = subprocess.Popen

    def spy(args: list[str], **kw: object) -> subprocess.Popen[bytes]:
        calls.append(list(args))
        return real_popen(args, **kw)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(subprocess, "Popen", spy)
    report = generate_documents(
        office, resolve_kinds(["dokumenty", "email-aneks"]), clients=clients, pdf=True, today=TODAY
    )
    assert report.problems == []
    assert len(calls) == 1 and any(a.startswith("-env:UserInstallation=") for a in calls[0])
    assert len(report.pdf) == 12  # aneks, upoważnienie, pismo, umowa powierzenia × 3 clients
    for client in clients:
        folder = office.documents_dir(client.nip)
        annex = pdf_text(folder / f"aneks-KSeF-{client.nip}.pdf")
        assert "ANEKS DO UMOWY O ŚWIADCZENIE USŁUG KSIĘGOWYCH" in annex
        assert f"model współpracy nr {client.scenario}" in " ".join(annex.split())
        assert "Strona 1 z " in annex
        assert "{{" not in annex and "{%" not in annex
        assert 2 <= pdf_pages(folder / f"aneks-KSeF-{client.nip}.pdf") <= 5
        authorisation = pdf_text(folder / f"upowaznienie-KSeF-{client.nip}.pdf")
        assert "przeglądanie faktur" in authorisation and "5275260184" in authorisation
        letter = pdf_text(folder / f"pismo-KSeF-{client.nip}.pdf")
        assert "Ankieta gotowości" in letter and "Najczęstsze pytania" in letter
        # The e-mail carries the PDF, not the .docx.
        message = email.message_from_bytes(
            (folder / f"email-aneks-KSeF-{client.nip}.eml").read_bytes(), policy=policy.default
        )
        attachment, agreement = message.iter_attachments()
        assert attachment.get_filename() == f"aneks-KSeF-{client.nip}.pdf"
        assert agreement.get_filename() == f"umowa-powierzenia-{client.nip}.pdf"
        for part in (attachment, agreement):
            assert part.get_content_type() == "application/pdf"
            assert part.get_content().startswith(b"%PDF")


def test_missing_libreoffice_is_one_polish_sentence(
    office: OfficeFolder, clients: list[Client], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KSEF_SHEETS_SOFFICE", str(tmp_path / "brak" / "soffice"))
    with pytest.raises(UserError, match="Nie znaleziono programu LibreOffice"):
        generate_documents(office, resolve_kinds(["pismo"]), clients=clients, pdf=True, today=TODAY)
    # The Word files were made before the conversion was attempted.
    assert all((office.documents_dir(c.nip) / f"pismo-KSeF-{c.nip}.docx").exists() for c in clients)


def test_conversion_timeout_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "a.docx"
    source.write_bytes(b"x")
    script = tmp_path / "slow-soffice"
    script.write_text("#!/bin/sh\nsleep 30\n")
    script.chmod(0o755)
    with pytest.raises(UserError, match="nie skończył tworzenia PDF w ciągu 1 s"):
        convert_to_pdf([source], timeout=1, soffice=str(script))
    assert not source.with_suffix(".pdf").exists()


def test_no_pdf_produced_is_named(tmp_path: Path) -> None:
    source = tmp_path / "a.docx"
    source.write_bytes(b"x")
    script = tmp_path / "fake-soffice"
    script.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\n")
    script.chmod(0o755)
    with pytest.raises(UserError, match=r"nie utworzył pliku PDF z .*a\.docx \(Error: source file"):
        convert_to_pdf([source], soffice=str(script))
