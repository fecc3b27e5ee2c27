"""Rendering one template: docxtpl for Word, Jinja for e-mail text; the office's copy wins.

Templates come from ``<office folder>/szablony/`` when the office put its own copy there, else from
the project's ``templates/`` when the package runs from the project folder (editable install), else
from the copies shipped as package data (a wheel install; ``scripts/build_templates.py`` refreshes
them and a test keeps them identical to ``templates/``). Rendering runs in a sandboxed Jinja environment with autoescaping (a client called
``A & B <sp. j.>`` must not break the document's XML) and strict undefined variables, so a typo in
an office-edited template is reported by name instead of silently printing nothing.
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError, os_reason
from ksef_sheets.files import atomic_path

PACKAGE_TEMPLATES = Path(__file__).with_name("templates")
_PROJECT = Path(__file__).resolve().parents[2]
# Only the project folder (pyproject.toml beside it), never some "templates" in site-packages.
PROJECT_TEMPLATES = _PROJECT / "templates" if (_PROJECT / "pyproject.toml").is_file() else None
SHIPPED_TEMPLATES = (
    PROJECT_TEMPLATES if PROJECT_TEMPLATES is not None and PROJECT_TEMPLATES.is_dir() else PACKAGE_TEMPLATES
)
OFFICE_TEMPLATES_DIR = "szablony"


def office_templates_dir(folder: OfficeFolder) -> Path:
    return folder.root / OFFICE_TEMPLATES_DIR


def template_path(name: str, folder: OfficeFolder | None = None) -> Path:
    """The template file to use: the office's own copy in ``szablony/`` wins over the shipped one."""
    if folder is not None:
        own = office_templates_dir(folder) / name
        if own.is_file():
            return own
    return SHIPPED_TEMPLATES / name


class _CachingEnvironment(SandboxedEnvironment):
    """Compiles each distinct template text once: rendering 100 annexes compiles the annex once.

    docxtpl hands the whole document XML to ``from_string`` on every render; compiled templates are
    immutable and safe to reuse, so they are kept by source text (a bounded cache).
    """

    _limit = 64

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            template = super().from_string(source)
            if len(self._compiled) >= self._limit:
                self._compiled.clear()
            self._compiled[source] = template
        return template


class _PatchCachingTemplate(DocxTemplate):
    """docxtpl's tag clean-up (``patch_xml``, regular expressions over the whole XML) done once per text."""

    _patched: dict[str, str] = {}  # noqa: RUF012 - a process-wide cache of a pure function

    def patch_xml(self, src_xml: str) -> str:
        done = self._patched.get(src_xml)
        if done is None:
            done = super().patch_xml(src_xml)
            if len(self._patched) >= 64:
                self._patched.clear()
            self._patched[src_xml] = done
        return done


_ENVIRONMENTS: dict[bool, _CachingEnvironment] = {}


def _environment(*, autoescape: bool) -> SandboxedEnvironment:
    env = _ENVIRONMENTS.get(autoescape)
    if env is None:
        env = _CachingEnvironment(
            autoescape=autoescape, undefined=StrictUndefined, keep_trailing_newline=True
        )
        _ENVIRONMENTS[autoescape] = env
    return env


def _template_error(path: Path, exc: Exception) -> UserError:
    if isinstance(exc, TemplateSyntaxError):
        where = f" (okolice wiersza {exc.lineno})" if exc.lineno else ""
        return UserError(f"Szablon {path} ma błędny znacznik{where}: {exc.message}.")
    if isinstance(exc, UndefinedError):
        return UserError(f"Szablon {path} używa pola, którego program nie zna: {exc.message}.")
    if isinstance(exc, SecurityError):
        return UserError(f"Szablon {path} zawiera niedozwolone wyrażenie: {exc}.")
    return UserError(f"Nie można wypełnić szablonu {path}: {exc}.")


@lru_cache(maxsize=32)
def _template_bytes(path: Path, mtime_ns: int) -> bytes:
    del mtime_ns  # part of the cache key: an edited template is read again
    return path.read_bytes()


def render_docx(template: Path, context: dict[str, Any], target: Path) -> Path:
    """Fill a Word template and write it atomically to ``target``."""
    try:
        data = _template_bytes(template, template.stat().st_mtime_ns)
    except OSError as exc:
        raise UserError(f"Nie można odczytać szablonu {template}: {os_reason(exc)}.") from exc
    try:
        document = _PatchCachingTemplate(io.BytesIO(data))
        document.render(context, jinja_env=_environment(autoescape=True), autoescape=True)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise UserError(f"Szablon {template} nie jest poprawnym plikiem Word (.docx).") from exc
    except (TemplateError, SecurityError) as exc:
        raise _template_error(template, exc) from exc
    with atomic_path(target) as tmp:
        document.save(str(tmp))
    return target


def render_text(template: Path, context: dict[str, Any]) -> str:
    """Fill a plain-text (e-mail) template."""
    try:
        source = template.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"Nie można odczytać szablonu {template}: {os_reason(exc)}.") from exc
    except UnicodeDecodeError as exc:
        raise UserError(f"Szablon {template} nie jest zapisany w UTF-8.") from exc
    try:
        return _environment(autoescape=False).from_string(source).render(context)
    except (TemplateError, SecurityError) as exc:
        raise _template_error(template, exc) from exc
