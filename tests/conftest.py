"""Fixtures shared by every part's tests.

Each part keeps its own tests and fixtures in ``tests/<part>/`` (with its own conftest.py); only
what several parts use lives here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ksef_sheets.demo_data import demo_seed_office

ROOT = Path(__file__).resolve().parents[1]
# Official KSeF material (OpenAPI document, FA(3) samples, auth and UPO schemas) copied into the
# repository with its sources noted in tests/fixtures/README.md: a fresh clone tests on its own.
KSEF_FIXTURES = ROOT / "tests" / "fixtures" / "ksef"


@pytest.fixture(scope="session")
def ksef_fixtures() -> Path:
    return KSEF_FIXTURES


@pytest.fixture(scope="session")
def fa3_samples() -> list[Path]:
    return sorted((KSEF_FIXTURES / "fa3_samples").glob("*.xml"))


@pytest.fixture(scope="session")
def openapi_path() -> Path:
    return KSEF_FIXTURES / "openapi.json"


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice's binary; in CI it must exist (scripts/test.sh installs it)."""
    path = soffice_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice is required in CI (scripts/test.sh installs it)")
        pytest.skip("LibreOffice is not installed")
    return path


# --- the KSeF emulator (platform part of ksef_sheets.emulator) ------------------------------------
@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    """A seeded emulator shared by the whole session: ``run_emulator(tmp, office=demo_seed_office(), seed=42, clients=3)``.

    Yields ``RunningEmulator`` (``.base_url``, ``.emulator``, ``.seed_info``). Tests that change
    global state (faults, limits, clock) must use ``make_emulator`` instead.
    """
    from ksef_sheets.emulator import run_emulator

    with run_emulator(
        tmp_path_factory.mktemp("emulator"), office=demo_seed_office(), seed=42, clients=3, limits="off"
    ) as running:
        yield running


@pytest.fixture
def make_emulator(tmp_path_factory: pytest.TempPathFactory):
    """Factory for a fresh emulator: ``make_emulator(seed=None, clients=10, limits="off", state_dir=None)``.

    Each call starts its own server (new state folder unless ``state_dir`` is given); all are
    stopped when the test ends.
    """
    from contextlib import ExitStack

    from ksef_sheets.emulator import run_emulator

    with ExitStack() as stack:

        def start(*, state_dir: Path | None = None, **options):
            folder = state_dir or tmp_path_factory.mktemp("emulator")
            return stack.enter_context(run_emulator(folder, **options))

        yield start
