"""Fixtures shared by every part's tests.

Each part keeps its own tests and fixtures in ``tests/<part>/`` (with its own conftest.py); only
what several parts use lives here.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the project's root (as laid for sessions and for CI), or KSEF_SHARED_DIR.
SHARED = Path(os.environ.get("KSEF_SHARED_DIR", ROOT.parent / "shared")).resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}; set KSEF_SHARED_DIR")
    return SHARED


@pytest.fixture(scope="session")
def fa3_samples(shared_dir: Path) -> list[Path]:
    return sorted((shared_dir / "ksef" / "fa3" / "samples").glob("*.xml"))


@pytest.fixture(scope="session")
def openapi_path(shared_dir: Path) -> Path:
    return shared_dir / "ksef" / "openapi.json"


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
    """A seeded emulator shared by the whole session: ``run_emulator(tmp, seed=42, clients=3)``.

    Yields ``RunningEmulator`` (``.base_url``, ``.emulator``, ``.seed_info``). Tests that change
    global state (faults, limits, clock) must use ``make_emulator`` instead.
    """
    from ksef_sheets.emulator import run_emulator

    with run_emulator(tmp_path_factory.mktemp("emulator"), seed=42, clients=3, limits="off") as running:
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
