"""A package's public names loaded from their modules on first use (PEP 562).

A package whose ``__init__.py`` lists its public face in ``__all__`` maps each name to the module
that defines it and lets this helper make its ``__getattr__`` and ``__dir__``: taking one light name
does not load the heavy modules beside it, and importing the package closes no import loop.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], namespace: MutableMapping[str, Any], public: list[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``; ``exports`` maps a name to its submodule.

    ``namespace`` is the package's ``globals()``: a loaded name is kept there, so it is looked up
    once.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *public})

    return __getattr__, __dir__
