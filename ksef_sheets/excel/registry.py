"""The panel's action registry: what an action gets (``ActionContext``) and how it is registered.

At the bottom of the ``excel`` package so ``panel_actions`` (which registers) and ``runner``
(which dispatches) both import it and never each other in a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ksef_sheets.sheets import TableIO


class PanelIO(TableIO, Protocol):
    """What an action may do with the panel workbook: the table I/O seam plus Excel's feedback."""

    def status(self, text: str | None) -> None: ...

    def alert(self, text: str, *, title: str, critical: bool = False) -> None: ...


@dataclass
class ActionContext:
    """What an action gets: the office folder, the chosen clients and options, and a progress sink."""

    office_dir: Path
    clients: list[str]
    document_kind: str
    month: str
    decisions_file: str
    panel: PanelIO
    messages: list[str] = field(default_factory=list)

    def progress(self, text: str) -> None:
        self.panel.status(text)


Action = Callable[[ActionContext], str]


@dataclass(frozen=True)
class ActionSpec:
    label: str
    run: Action
    needs_month: bool = False
    needs_file: bool = False


_ACTIONS: dict[str, ActionSpec] = {}


def action(label: str, *, needs_month: bool = False, needs_file: bool = False) -> Callable[[Action], Action]:
    """Register a panel action under its Polish label (the label is what the dropdown offers)."""

    def register(fn: Action) -> Action:
        _ACTIONS[label] = ActionSpec(label, fn, needs_month, needs_file)
        return fn

    return register


def registered() -> dict[str, ActionSpec]:
    """The actions registered so far (``runner`` imports ``panel_actions`` first)."""
    return dict(_ACTIONS)


__all__ = ["Action", "ActionContext", "ActionSpec", "PanelIO", "action", "registered"]
