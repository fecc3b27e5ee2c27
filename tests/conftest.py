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
