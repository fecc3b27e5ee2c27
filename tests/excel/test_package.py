"""The excel package's shape: no import loop inside it, and nothing below the top layer imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import ksef_sheets
from ksef_sheets.excel import panel_file

PACKAGE = Path(ksef_sheets.__file__).parent
TOP_LAYER = {"cli", "excel", "demo.py"}  # cli/, excel/, demo.py: how the toolkit was called


def _imports(path: Path) -> set[str]:
    """Every ksef_sheets module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ksef_sheets"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ksef_sheets"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def test_no_import_loop_between_the_excel_modules() -> None:
    modules = {p.stem: p for p in (PACKAGE / "excel").glob("*.py") if p.stem != "__init__"}
    graph = {
        name: {m.rsplit(".", 1)[-1] for m in _imports(path) if m.startswith("ksef_sheets.excel.")}
        & set(modules)
        for name, path in modules.items()
    }
    # Kahn's algorithm: a loop leaves modules that never reach zero unresolved imports.
    resolved: list[str] = []
    pending = dict(graph)
    while pending:
        ready = [name for name, deps in pending.items() if deps <= set(resolved)]
        assert ready, f"import loop among {sorted(pending)}"
        resolved.extend(sorted(ready))
        for name in ready:
            del pending[name]
    assert {"registry", "panel_actions", "panel_file", "runner", "xlwings_io"} <= set(resolved)


def test_nothing_below_the_top_layer_imports_excel() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        part = path.relative_to(PACKAGE).parts[0]
        if part in TOP_LAYER:
            continue
        if any(m == "ksef_sheets.excel" or m.startswith("ksef_sheets.excel.") for m in _imports(path)):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_the_module_written_beside_old_and_new_panels_still_finds_main() -> None:
    """``ksef_panel.py`` in offices imports ``ksef_sheets.excel.main``; it must stay the runner's."""
    namespace: dict[str, object] = {}
    exec(compile(panel_file.MODULE_SOURCE, "ksef_panel.py", "exec"), namespace)
    from ksef_sheets.excel import runner

    assert namespace["_main"] is runner.main
    assert callable(namespace["main"])
