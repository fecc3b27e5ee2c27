"""``templates/`` (what the office edits) and the package's copies (what a wheel renders) stay one."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from ksef_sheets.documents import render

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT / "templates"
PACKAGE_COPIES = PROJECT / "ksef_sheets" / "documents" / "templates"


def build_script() -> ModuleType:
    """``scripts/build_templates.py`` (a build script, not a package module) loaded by path."""
    spec = importlib.util.spec_from_file_location(
        "build_templates", PROJECT / "scripts" / "build_templates.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_package_ships_exact_copies_of_templates() -> None:
    script = build_script()
    originals = {p.name: p.read_bytes() for p in script.template_files(TEMPLATES)}
    copies = {p.name: p.read_bytes() for p in script.template_files(PACKAGE_COPIES)}
    assert {"aneks.docx", "upowaznienie.docx", "pismo.docx", "umowa-powierzenia.docx"} <= set(originals)
    assert {"email-aneks.txt", "email-zestawienie.txt"} <= set(originals)
    stale = sorted(n for n in originals if copies.get(n) != originals[n])
    assert not stale, f"run python scripts/build_templates.py: package copies differ for {stale}"
    assert sorted(copies) == sorted(originals), "a package copy has no template in templates/"


def test_run_from_the_project_folder_the_office_edited_templates_are_used() -> None:
    assert render.SHIPPED_TEMPLATES == TEMPLATES
    assert render.template_path("aneks.docx") == TEMPLATES / "aneks.docx"
    assert render.PACKAGE_TEMPLATES == PACKAGE_COPIES


def test_copying_to_the_package_replaces_changed_and_drops_removed_templates(tmp_path: Path) -> None:
    source, target = tmp_path / "templates", tmp_path / "package"
    source.mkdir()
    target.mkdir()
    (source / "email-a.txt").write_text("Temat: nowy\n", encoding="utf-8")
    (source / "README.md").write_text("for people", encoding="utf-8")
    (target / "email-a.txt").write_text("Temat: stary\n", encoding="utf-8")
    (target / "email-usuniety.txt").write_text("Temat: x\n", encoding="utf-8")
    build_script().copy_to_package(source, target)
    assert sorted(p.name for p in target.iterdir()) == ["email-a.txt"]
    assert (target / "email-a.txt").read_text(encoding="utf-8") == "Temat: nowy\n"
