"""Fixtures for the FA(3) tests: sample bytes, a known-good sales invoice, and byte-level edits."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ksef_sheets.fa3 import Party, Payment, SalesInvoice, SalesLine, build_invoice_xml

SELLER = Party(
    name="Budmax Sp. z o.o.",
    nip="7798676685",
    address1="ul. Przemysłowa 12",
    address2="61-001 Poznań",
    bank_account="73102010260940909620737689",
)
BUYER = Party(
    name="Nowak IT Consulting Jan Nowak",
    nip="5210537039",
    address1="ul. Lipowa 3",
    address2="00-001 Warszawa",
)


def sales_invoice(**changes: object) -> SalesInvoice:
    base = SalesInvoice(
        number="FV/7/04/2026",
        issue_date=date(2026, 4, 15),
        seller=SELLER,
        buyer=BUYER,
        lines=[
            SalesLine(
                name="Roboty tynkarskie",
                unit="m2",
                quantity=Decimal(40),
                unit_price=Decimal("55.50"),
                rate="23",
            ),
            SalesLine(
                name="Catering", unit="os.", quantity=Decimal(12), unit_price=Decimal("61.20"), rate="8"
            ),
        ],
        payment=Payment(due_date=date(2026, 4, 29)),
    )
    return base.model_copy(update=changes)


@pytest.fixture
def good_xml() -> bytes:
    return build_invoice_xml(sales_invoice())


def edit(xml: bytes, old: str, new: str, count: int = 1) -> bytes:
    """Replace text in an invoice, failing loudly when the text is not there (a test that cannot fail is no test)."""
    assert old.encode() in xml, f"{old!r} not in the invoice"
    return xml.replace(old.encode(), new.encode(), count)


@pytest.fixture(scope="session")
def sample_bytes(fa3_samples: list[Path]) -> dict[str, bytes]:
    assert len(fa3_samples) >= 9
    return {p.name: p.read_bytes() for p in fa3_samples}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"},
    )
