"""Fixtures for the invoice workbook tests: an office folder with an archive of test invoices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP


@pytest.fixture
def office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(
        OfficeConfig(office_nip=DEMO_OFFICE_NIP, office_name=DEMO_OFFICE_NAME, clients=[CLIENT_NIP])
    )
    return folder


@pytest.fixture
def archive(office: OfficeFolder) -> Iterator[Archive]:
    with Archive.open(office) as opened:
        yield opened
