"""``scripts/build_workbooks.py`` (a build script, not a package module) loaded by path."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

PROJECT = Path(__file__).resolve().parents[2]
WORKBOOKS = PROJECT / "workbooks"


@cache
def build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_workbooks", PROJECT / "scripts" / "build_workbooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
