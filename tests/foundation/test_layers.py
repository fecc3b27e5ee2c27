"""The layers of ksef_sheets, checked on the source: public faces, one-way imports, no cycles, small files.

The layer order is written once, as the picture in ``CONTRIBUTING.md`` ("Layers"); this test reads it
from there. Every module of ``ksef_sheets`` is parsed (imports at the top, inside functions, under
``if TYPE_CHECKING:`` and in ``try:`` blocks all count: each is knowledge of another file) and each
import is checked against five rules. One line per violation:

``private``  A module imports something another unit does not offer. A *unit* is a top-level
             package (``sheets/``) or top-level module (``vault.py``); inside a unit anything goes.
             From outside, it is private to import
             - a module or name whose own name starts with ``_`` (``cli._common``, ``vault._helper``;
               dunders such as ``__version__`` are not private);
             - when the package's ``__init__.py`` declares ``__all__``: anything but a name in that
               ``__all__`` imported from the package itself — so ``from ksef_sheets.sync.archive import
               Archive`` is private once ``sync/__init__.py`` lists ``Archive`` (write ``from
               ksef_sheets.sync import Archive``), and a name the package does not list is private too.
             Line: ``private: <importer file> -> <module or module.name imported>``.
``upward``   The imported unit sits on a higher row of the picture than the importer (same row is
             allowed). Line: ``upward: <importer file> -> <module>``, the module that defines the name
             (``from ksef_sheets.sheets import set_text`` -> ``ksef_sheets.sheets.safe_text``).
``separate`` The emulator is imported from outside the top row and the run set-up that starts it in
             process (``EMULATOR_USERS``). Line as for ``upward``.
``cycle``    An import edge between two files that lie on one import cycle (a strongly connected
             component of the file graph), or between two units that lie on one loop of units
             (``ksef`` -> ``vault`` -> ``ksef``: each package may be acyclic inside, the pair is not). Edges: an import of a name the package ``__init__`` re-exports
             goes to the submodule that defines it; importing ``a.b`` adds no edge to ``a/__init__``.
             One line per edge, so breaking a cycle only removes lines.
             Line: ``cycle: <importer file> -> <imported module>``.
``size``     A module over ``SIZE_LIMIT`` lines (data files in ``SIZE_EXCEPTIONS`` excepted by name).
             Line: ``size: <file>`` (the count is in the message, not the line, so edits don't churn it).

Today's violations are recorded in ``layers_baseline.txt``. The test fails on a violation that is not in
the baseline **and** on a baseline line that no longer occurs: the file may only shrink. After fixing
violations run ``.venv/bin/python scripts/layers_baseline.py`` and commit the shorter file.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ksef_sheets"
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
BASELINE = Path(__file__).with_name("layers_baseline.txt")
KINDS = ("private", "upward", "separate", "cycle", "size")

SIZE_LIMIT = 600
# Files that are data, not logic, by name (relative to the repository), with the reason.
SIZE_EXCEPTIONS = {
    "ksef_sheets/office/content.py": "fixed wording of the office workbook (checklist, plan, FAQ): data",
}
# Besides the top row, only the run set-up that starts the emulator in process may import it.
EMULATOR_USERS = frozenset({"ksef_sheets.sync.runtime"})

BASELINE_HEADER = """\
# Layer violations of ksef_sheets recorded by tests/foundation/test_layers.py (see CONTRIBUTING.md, "Layers").
# This file may only SHRINK: the test fails on a violation not listed here and on a line that no longer
# occurs. Never add lines by hand; after fixing violations run
#     .venv/bin/python scripts/layers_baseline.py
# and commit the shorter file. One line per violation, sorted: "<kind>: <file> -> <import>".
"""

_UNIT_TOKEN = re.compile(r"^([a-z_][a-z0-9_]*)(/|\.py)$")


def read_layers(text: str) -> list[list[str]]:
    """The rows of the layer picture (top first) from the first code block under a "## Layers" heading."""
    section = re.search(r"^## Layers\b.*?^```[^\n]*\n(.*?)^```", text, re.S | re.M)
    if section is None:
        raise AssertionError('CONTRIBUTING.md has no "## Layers" heading followed by the picture')
    rows: list[list[str]] = []
    for line in section.group(1).splitlines():
        row: list[str] = []
        for token in line.split():
            match = _UNIT_TOKEN.match(token)
            if match is None:
                break
            row.append(match.group(1))
        if row:
            rows.append(row)
    return rows


@dataclass(frozen=True)
class ImportRef:
    importer: str  # dotted module name
    target: str  # dotted module imported (a submodule when ``from pkg import submodule``)
    name: str | None  # the name taken from ``target`` (None: the module itself)


@dataclass
class Tree:
    """The modules of one package tree and what each imports."""

    root_name: str
    paths: dict[str, Path] = field(default_factory=dict)  # module -> file
    lines: dict[str, int] = field(default_factory=dict)
    imports: list[ImportRef] = field(default_factory=list)
    exports: dict[str, set[str]] = field(default_factory=dict)  # package -> its __all__
    reexports: dict[str, dict[str, str]] = field(default_factory=dict)  # package -> name -> submodule

    def unit(self, module: str) -> str:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else parts[0]

    def rel(self, module: str, repo: Path) -> str:
        return self.paths[module].relative_to(repo).as_posix()


def _module_name(path: Path, package_dir: Path) -> str:
    parts = [package_dir.name, *path.relative_to(package_dir).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _dunder_all(tree: ast.Module) -> set[str] | None:
    targets: list[ast.expr]
    value: ast.expr | None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        named = any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
        if named and isinstance(value, (ast.List, ast.Tuple)):
            return {e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return None


def scan(package_dir: Path) -> Tree:
    """Parse every module under ``package_dir`` (a package such as ``ksef_sheets``)."""
    result = Tree(root_name=package_dir.name)
    parsed: dict[str, ast.Module] = {}
    for path in sorted(package_dir.rglob("*.py")):
        module = _module_name(path, package_dir)
        source = path.read_text(encoding="utf-8")
        result.paths[module] = path
        result.lines[module] = len(source.splitlines())
        parsed[module] = ast.parse(source, filename=str(path))
    prefix = result.root_name
    found: list[tuple[str, str, str | None]] = []  # importer, module, name taken from it
    for module, tree in parsed.items():
        is_package = result.paths[module].name == "__init__.py"
        if is_package:
            exported = _dunder_all(tree)
            if exported is not None:
                result.exports[module] = exported
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == prefix or alias.name.startswith(prefix + "."):
                        found.append((module, alias.name, None))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against the importer's package
                    anchor = module.split(".") if is_package else module.split(".")[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                if not (base == prefix or base.startswith(prefix + ".")):
                    continue
                for alias in node.names:
                    found.append((module, base, alias.name))
                    if is_package and base.startswith(module + ".") and f"{base}.{alias.name}" not in parsed:
                        result.reexports.setdefault(module, {})[alias.asname or alias.name] = base
    for module, base, name in found:
        # ``from pkg import x`` takes the submodule x unless pkg's __init__ binds the name x itself
        # (``jpk/__init__`` binds ``reconcile`` to the function of ``jpk/reconcile.py``).
        bound = name in result.reexports.get(base, {}) or name in result.exports.get(base, set())
        if name is not None and f"{base}.{name}" in parsed and not bound:
            result.imports.append(ImportRef(module, f"{base}.{name}", None))
        else:
            result.imports.append(ImportRef(module, base, name))
    return result


def _private_part(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _strongly_connected(graph: dict[str, set[str]]) -> dict[str, int]:
    """Tarjan's algorithm, iterative: module -> component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    component: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                number = len(set(component.values()))
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = number
                    if member == node:
                        break
    return component


@dataclass(frozen=True)
class Violation:
    kind: str
    line: str  # the baseline line
    detail: str  # for the message


def check(
    tree: Tree,
    layers: list[list[str]],
    repo: Path,
    *,
    separate: str = "emulator",
    emulator_users: frozenset[str] = EMULATOR_USERS,
    size_limit: int = SIZE_LIMIT,
    size_exceptions: dict[str, str] | None = None,
) -> list[Violation]:
    """Every violation in ``tree`` of the five rules (see the module docstring)."""
    exceptions = SIZE_EXCEPTIONS if size_exceptions is None else size_exceptions
    rank = {unit: number for number, row in enumerate(layers) for unit in row}
    rank[tree.root_name] = len(layers) - 1  # the root package only holds __version__
    top = set(layers[0])
    found: dict[str, Violation] = {}

    def add(kind: str, text: str, detail: str) -> None:
        line = f"{kind}: {text}"
        found.setdefault(line, Violation(kind, line, detail))

    root = tree.root_name
    for ref in tree.imports:
        source, target = tree.unit(ref.importer), tree.unit(ref.target)
        if source == target:
            continue
        where = tree.rel(ref.importer, repo)
        # private
        inner = ref.target.split(".")[1:]
        package = f"{root}.{target}"
        if any(_private_part(p) for p in inner):
            add("private", f"{where} -> {ref.target}", "a module whose name starts with '_'")
        elif ref.name is not None and _private_part(ref.name):
            add("private", f"{where} -> {ref.target}.{ref.name}", "a name that starts with '_'")
        elif package in tree.exports:
            if ref.target != package:
                add("private", f"{where} -> {ref.target}", f"a submodule; import it from {package}")
            elif ref.name is not None and ref.name not in tree.exports[package]:
                add("private", f"{where} -> {ref.target}.{ref.name}", f"not in {package}.__all__")
        # upward and separate name the module that defines what is imported, however it is imported
        defining = tree.reexports.get(ref.target, {}).get(ref.name or "", ref.target)
        if source in rank and target in rank and rank[target] < rank[source]:
            add("upward", f"{where} -> {defining}", f"{source} (row {rank[source] + 1}) imports {target}")
        if target == separate and source not in top and ref.importer not in emulator_users:
            add("separate", f"{where} -> {defining}", "only the top row and the run set-up start it")

    graph: dict[str, set[str]] = {module: set() for module in tree.paths}
    for ref in tree.imports:
        target = ref.target
        if ref.name is not None and ref.name in tree.reexports.get(target, {}):
            target = tree.reexports[target][ref.name]
        if target in graph and target != ref.importer:
            graph[ref.importer].add(target)
    component = _strongly_connected(graph)
    sizes = Counter(component.values())
    units: dict[str, set[str]] = {}
    for module, targets in graph.items():
        units.setdefault(tree.unit(module), set()).update(tree.unit(t) for t in targets)
    loop = _strongly_connected(units)
    for module, targets in graph.items():
        for target in targets:
            if component[module] == component[target] and sizes[component[module]] > 1:
                members = sizes[component[module]]
                add("cycle", f"{tree.rel(module, repo)} -> {target}", f"on a cycle of {members} files")
            source_unit, target_unit = tree.unit(module), tree.unit(target)
            if source_unit != target_unit and loop[source_unit] == loop[target_unit]:
                ring = sorted(u for u, n in loop.items() if n == loop[source_unit])
                add(
                    "cycle",
                    f"{tree.rel(module, repo)} -> {target}",
                    f"packages {', '.join(ring)} form a loop",
                )

    for module, count in tree.lines.items():
        rel = tree.rel(module, repo)
        if count > size_limit and rel not in exceptions:
            add("size", rel, f"{count} lines (limit {size_limit})")
    return sorted(found.values(), key=lambda v: v.line)


def current_violations() -> list[Violation]:
    return check(scan(PACKAGE), read_layers(CONTRIBUTING.read_text(encoding="utf-8")), ROOT)


def read_baseline(path: Path = BASELINE) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def render_baseline(violations: list[Violation]) -> str:
    return BASELINE_HEADER + "".join(f"{v.line}\n" for v in violations)


def summary(violations: list[Violation]) -> str:
    counts = Counter(v.kind for v in violations)
    return ", ".join(f"{kind} {counts.get(kind, 0)}" for kind in KINDS) + f" (total {len(violations)})"


# ----------------------------------------------------------------------------------------------------
# The tree of ksef_sheets


def test_every_unit_of_the_package_has_its_row_in_the_picture() -> None:
    layers = read_layers(CONTRIBUTING.read_text(encoding="utf-8"))
    placed = [unit for row in layers for unit in row]
    assert len(placed) == len(set(placed)), f"a unit appears twice in the picture: {placed}"
    tree = scan(PACKAGE)
    units = {tree.unit(m) for m in tree.paths} - {tree.root_name}
    assert sorted(units - set(placed)) == [], "new package or module: give it its row in CONTRIBUTING.md"
    assert sorted(set(placed) - units) == [], "the picture in CONTRIBUTING.md names a unit that is gone"
    assert "emulator" in placed and "workflows" in placed and layers[0][0] == "cli"


def test_the_layers_hold_except_for_the_recorded_violations() -> None:
    violations = current_violations()
    print(f"\nlayer violations: {summary(violations)}")
    current = {v.line: v for v in violations}
    baseline = read_baseline()
    assert baseline == sorted(set(baseline)), "layers_baseline.txt must be sorted without duplicates"
    new = [f"{v.line}   ({v.detail})" for line, v in current.items() if line not in set(baseline)]
    fixed = [line for line in baseline if line not in current]
    message = []
    if new:
        message.append(
            "New layer violations (fix them; see CONTRIBUTING.md, 'Layers'):\n  " + "\n  ".join(new)
        )
    if fixed:
        message.append(
            "Fixed, still in tests/foundation/layers_baseline.txt — run "
            "`.venv/bin/python scripts/layers_baseline.py` and commit the shorter file:\n  "
            + "\n  ".join(fixed)
        )
    assert not message, "\n".join(message)


def test_every_name_a_package_offers_in_all_exists() -> None:
    tree = scan(PACKAGE)
    missing = []
    for package, names in sorted(tree.exports.items()):
        module = importlib.import_module(package)
        missing += [f"{package}.{name}" for name in sorted(names) if not hasattr(module, name)]
    assert missing == []
    assert {"ksef_sheets.sheets", "ksef_sheets.sync"} <= set(tree.exports)


# ----------------------------------------------------------------------------------------------------
# The checker itself, on a small made-up tree: each rule must catch what it is for.

_PICTURE = """\
## Layers

```
app/  main.py       top
domain/  store.py   middle
emu/                bottom, separate
base.py             foundation
```
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def _lines(tmp_path: Path, files: dict[str, str], **options: object) -> list[str]:
    package = _write(tmp_path, files)
    layers = read_layers(_PICTURE)
    options.setdefault("separate", "emu")
    return [v.line for v in check(scan(package), layers, tmp_path, **options)]  # type: ignore[arg-type]


_CLEAN = {
    "__init__.py": "",
    "base.py": "X = 1\n",
    "emu/__init__.py": "from pkg.emu.server import serve\n__all__ = ['serve']\n",
    "emu/server.py": "from pkg.base import X\ndef serve(): return X\n",
    "domain/__init__.py": "from pkg.domain.model import Client\n__all__ = ['Client']\n",
    "domain/model.py": "from pkg import base\nclass Client: pass\ndef _hidden(): pass\n",
    "store.py": "from pkg.domain import Client\n",
    "app/__init__.py": "",
    "app/_common.py": "",
    "app/run.py": "from pkg.app._common import *\nfrom pkg.emu import serve\nimport pkg.store\n",
    "main.py": "from pkg.app.run import *\n",
}


def test_the_picture_is_read_row_by_row() -> None:
    assert read_layers(_PICTURE) == [["app", "main"], ["domain", "store"], ["emu"], ["base"]]
    with pytest.raises(AssertionError):
        read_layers("# no picture\n")


def test_a_clean_tree_has_no_violations(tmp_path: Path) -> None:
    assert _lines(tmp_path, _CLEAN) == []


def test_private_modules_names_and_submodules_behind_all_are_caught(tmp_path: Path) -> None:
    files = dict(_CLEAN)
    files["store.py"] = (
        "from pkg.domain.model import Client\n"  # a submodule although domain lists Client
        "def f():\n    from pkg.domain import model\n"  # the same, inside a function
        "from pkg.domain import Other\n"  # not in __all__
        "from pkg.app._common import x\n"  # upward as well
    )
    files["main.py"] = "import pkg.domain.model\nfrom pkg.base import _secret\n"
    assert [line for line in _lines(tmp_path, files) if not line.startswith("cycle")] == [
        "private: pkg/main.py -> pkg.base._secret",
        "private: pkg/main.py -> pkg.domain.model",
        "private: pkg/store.py -> pkg.app._common",
        "private: pkg/store.py -> pkg.domain.Other",
        "private: pkg/store.py -> pkg.domain.model",
        "upward: pkg/store.py -> pkg.app._common",
    ]


def test_imports_up_the_picture_and_of_the_emulator_are_caught(tmp_path: Path) -> None:
    files = dict(_CLEAN)
    files["base.py"] = "def f():\n    from pkg.domain import Client\n"  # inside a function
    files["domain/model.py"] = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.main\n"
    files["store.py"] = "from pkg.emu import serve\n"
    lines = [line for line in _lines(tmp_path, files) if not line.startswith("cycle")]
    assert lines == [
        "separate: pkg/store.py -> pkg.emu.server",  # the module that defines the name
        "upward: pkg/base.py -> pkg.domain.model",
        "upward: pkg/domain/model.py -> pkg.main",
    ]
    users = frozenset({"pkg.store"})
    assert [line for line in _lines(tmp_path, files, emulator_users=users) if line[0] != "c"] == lines[1:]


def test_every_edge_of_an_import_cycle_is_caught_through_reexports(tmp_path: Path) -> None:
    files = dict(_CLEAN)
    files["domain/model.py"] = "from pkg.domain.rules import check\nclass Client: pass\n"
    files["domain/rules.py"] = "def check():\n    from pkg.domain import Client\n"  # via __init__
    files["domain/other.py"] = "from pkg.domain.rules import check\n"  # leads in, not on the cycle
    assert _lines(tmp_path, files) == [
        "cycle: pkg/domain/model.py -> pkg.domain.rules",
        "cycle: pkg/domain/rules.py -> pkg.domain.model",
    ]


def test_a_loop_between_two_packages_is_caught_although_no_two_files_loop(tmp_path: Path) -> None:
    files = dict(_CLEAN)
    files["store.py"] = "from pkg.domain import Client\nVALUE = 1\n"
    files["domain/rules.py"] = "def f():\n    from pkg.store import VALUE\n"
    files["domain/__init__.py"] += "from pkg.domain.rules import f\n"
    assert _lines(tmp_path, files) == [
        "cycle: pkg/domain/rules.py -> pkg.store",
        "cycle: pkg/store.py -> pkg.domain.model",
    ]


def test_long_modules_are_caught_unless_excepted_by_name(tmp_path: Path) -> None:
    files = dict(_CLEAN)
    files["base.py"] = "X = 1\n" * 11
    assert _lines(tmp_path, files, size_limit=10) == ["size: pkg/base.py"]
    assert _lines(tmp_path, files, size_limit=10, size_exceptions={"pkg/base.py": "data"}) == []
