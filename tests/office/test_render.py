"""LibreOffice renders every sheet of the office workbook, formulas compute, no error values."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ksef_sheets.workflows import FetchResult, check_clients, update_fetch_results
from tests.office.conftest import TODAY, render_pdf_text

pytestmark = pytest.mark.libreoffice

TITLES = [
    "Pulpit — wdrożenie KSeF w biurze",
    "Klienci — rejestr KSeF",
    "Trzy scenariusze współpracy w KSeF",
    "Gotowość klientów — ankieta",
    "Checklista biura — pięć kroków do KSeF",
    "Plan wdrożenia KSeF",
    "Zespół i procedury",
    "FAQ — pytania klientów o KSeF",
    "Terminy KSeF",
]
ERRORS = ("#NAME?", "#VALUE!", "#REF!", "#DIV/0!", "#N/A", "Err:5", "Err:50", "###")


def _check(text: str) -> None:
    for error in ERRORS:
        assert error not in text, f"{error} in the rendered workbook"
    for title in TITLES:
        assert title in text, f"sheet „{title}” not rendered"


def test_demo_workbook_renders_with_computed_dashboard(
    soffice: str, demo_office: Any, tmp_path: Path
) -> None:
    text = render_pdf_text(soffice, demo_office.office_workbook, tmp_path / "pdf")
    _check(text)
    counts = {
        label: int(value)
        for label, value in re.findall(
            r"^\s*(Klienci w rejestrze|Brak uprawnień wymaganych przez scenariusz|Niegotowi \(ankieta\))\s+(\d+)",
            text,
            re.M,
        )
    }
    assert counts == {
        "Klienci w rejestrze": 10,
        "Brak uprawnień wymaganych przez scenariusz": 4,
        "Niegotowi (ankieta)": 2,
    }
    assert re.search(r"Liczba klientów\s+2\s+5\s+3", text), "scenario counts not computed"
    assert "600.00 zł" in text or "600,00 zł" in text  # the monthly KSeF fees, PLN format
    assert "Nowak IT Consulting Jan Nowak" in text


def test_workbook_after_operations_still_renders(soffice: str, demo_office: Any, tmp_path: Path) -> None:
    update_fetch_results(
        demo_office,
        {"5210537039": FetchResult(datetime(2026, 11, 28, 7, 0), 12, 5, "403: brak uprawnień")},
        today=TODAY,
    )
    check_clients(demo_office, today=TODAY)
    text = render_pdf_text(soffice, demo_office.office_workbook, tmp_path / "pdf")
    _check(text)
    assert re.search(r"^\s*Faktury do weryfikacji przez klientów\s+5\b", text, re.M)
    assert re.search(r"^\s*Problemy przy pobieraniu\s+1\b", text, re.M)


def test_workbook_saved_by_libreoffice_keeps_working(soffice: str, demo_office: Any, tmp_path: Path) -> None:
    from ksef_sheets.sheets import load_clients
    from ksef_sheets.workflows import import_clients
    from tests.office.conftest import resave_in_libreoffice

    before = [
        (c.nip, c.scenario, c.perm_invoice_read, c.annex_date, c.ksef_fee) for c in load_clients(demo_office)
    ]
    resave_in_libreoffice(soffice, demo_office.office_workbook, tmp_path)
    assert [
        (c.nip, c.scenario, c.perm_invoice_read, c.annex_date, c.ksef_fee) for c in load_clients(demo_office)
    ] == before
    source = tmp_path / "k.csv"
    source.write_text("NIP;Nazwa;E-mail\n5210537039;Nowak IT;nowy@nowak.example.pl\n", encoding="utf-8")
    report = import_clients(demo_office, source, today=TODAY)
    assert report.updated == ["5210537039"]
    check_clients(demo_office, today=TODAY)
    clients = load_clients(demo_office)
    assert len(clients) == 10 and clients[0].email == "nowy@nowak.example.pl"
    _check(render_pdf_text(soffice, demo_office.office_workbook, tmp_path / "pdf"))
