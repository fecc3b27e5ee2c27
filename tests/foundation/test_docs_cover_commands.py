"""Every command and option of the command line is documented (in the manner of sqlite-utils' docs tests).

``docs/commands.md`` names every command in a backticked span on the bullet of its page
(``fetch …``, ``clients import|check``, ``credentials add|list``); that page names every option
of the command. ``--dir`` and ``--help`` are described once, in ``docs/commands.md`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from ksef_sheets.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs"
GLOBAL_OPTIONS = {"--dir", "--help"}


def _commands(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, list[str]]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*prefix, name))
    else:
        options = [o for p in command.params for o in p.opts if o.startswith("--")]
        yield " ".join(prefix), options


COMMANDS = sorted(_commands(typer.main.get_command(app)))


def _covers(span: str, command: str) -> bool:
    """Does a backticked span like ``clients import|check FILE`` name ``command``?"""
    words = span.split()
    wanted = command.split()
    if len(words) < len(wanted):
        return False
    return all(want in word.split("|") for want, word in zip(wanted, words, strict=False))


def _page_of(command: str) -> Path | None:
    for line in (DOCS / "commands.md").read_text("utf-8").splitlines():
        link = re.search(r"\]\(([\w./-]+\.md)(?:#[^)]*)?\)", line)
        if link and any(_covers(span, command) for span in re.findall(r"`([^`]+)`", line)):
            return DOCS / link.group(1)
    return None


def test_the_walk_finds_the_command_line() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"fetch", "invoice show", "credentials add", "version"} <= names


@pytest.mark.parametrize(("command", "options"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_command_and_its_options_are_documented(command: str, options: list[str]) -> None:
    page = _page_of(command)
    assert page is not None, f"`{command}` is not named on a page's line in docs/commands.md"
    assert page.is_file(), f"docs/commands.md links {page.name}, which does not exist"
    text = page.read_text("utf-8")
    missing = [o for o in options if o not in GLOBAL_OPTIONS and not re.search(re.escape(o) + r"\b", text)]
    assert not missing, f"{page.name} does not describe {', '.join(missing)} of `{command}`"
