"""Polish wording for the command line's own texts: usage errors and the headings of ``--help``.

Typer's bundled Click words these in English only and has no message catalogue to translate
(its sentences are f-strings), while the office's staff read Polish (DESIGN.md: help text and
messages are Polish). So the sentences it is known to produce are reworded here, by exception
class and by pattern. A sentence not known here is still shown, after a Polish lead-in, rather
than lost: a Typer upgrade can then make a message half-English, never make it disappear (and
``tests/foundation/test_cli_polish.py`` notices).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache, partial
from typing import Any

import typer

_TYPE_NAMES: dict[str, str] = {
    "integer": "liczbą całkowitą",
    "int": "liczbą całkowitą",
    "float": "liczbą",
    "boolean": "wartością tak/nie",
    "bool": "wartością tak/nie",
    "date": "datą",
    "datetime": "datą i godziną",
    "UUID": "identyfikatorem UUID",
}
_EXPECTED: dict[str, str] = {
    "integer": "liczby całkowitej",
    "number": "liczby",
    "boolean": "wartości tak/nie",
    "date": "daty RRRR-MM-DD",
    "datetime": "daty i godziny",
}
_COMPARISONS: dict[str, str] = {
    "less than": "mniejsza niż",
    "less than or equal to": "nie większa niż",
    "greater than": "większa niż",
    "greater than or equal to": "nie mniejsza niż",
}
_PATH_NAMES: dict[str, str] = {"File": "plik", "Directory": "folder", "Path": "ścieżka"}
_PATH_VERBS: dict[str, str] = {
    "does not exist": "nie istnieje",
    "is a file": "jest plikiem (oczekiwano folderu)",
    "is a directory": "jest folderem (oczekiwano pliku)",
    "is not readable": "nie daje się odczytać",
    "is not writable": "nie daje się zapisać",
}
# Sentences of the message itself (``UsageError.message`` / ``BadParameter.message``).
_SENTENCES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern, re.DOTALL), render)
    for pattern, render in (
        (r"No such option: (?P<x>.+)", lambda m: f"nieznana opcja {m['x']}"),
        # The full stop goes with "Did you mean …?" when Click suggests a command.
        (r"No such command '(?P<x>.*)'\.?", lambda m: f"nieznane polecenie „{m['x']}”"),
        (r"Missing command\.", lambda m: "brak polecenia"),
        (
            r"Got unexpected extra argument\(s\) \((?P<x>.*)\)",
            lambda m: f"nadmiarowe argumenty: {m['x']}",
        ),
        (
            r"Option '(?P<x>[^']+)' does not take a value\.",
            lambda m: f"opcja {m['x']} nie przyjmuje wartości",
        ),
        (
            r"Option '(?P<x>[^']+)' requires (?:an argument|(?P<n>\d+) arguments)\.",
            lambda m: f"opcja {m['x']} wymaga " + ("wartości" if not m["n"] else f"{m['n']} wartości"),
        ),
        (
            r"Value (?P<v>.+) is not a valid (?P<t>[\w ]+)\.",
            lambda m: f"{m['v']} nie jest {_TYPE_NAMES.get(m['t'], m['t'])}",
        ),
        (r"(?P<v>.+) is not one of (?P<c>.+)\.", lambda m: f"{m['v']} nie jest żadną z: {m['c']}"),
        # Typer checks option values with pydantic, whose sentences start "Input should be".
        (
            r"Input should be a valid (?P<t>integer|number|boolean|date|datetime)\b.*",
            lambda m: f"oczekiwano {_EXPECTED[m['t']]}",
        ),
        (
            r"Input should be (?P<cmp>(?:less|greater) than(?: or equal to)?) (?P<x>.+?)\.?",
            lambda m: f"wartość musi być {_COMPARISONS[m['cmp']]} {m['x']}",
        ),
        (r"Input should be (?P<x>.+?)\.?", lambda m: f"oczekiwano: {m['x']}"),
        (
            r"(?P<what>File|Directory|Path) (?P<p>.+) (?P<verb>does not exist|is a file|is a "
            r"directory|is not readable|is not writable)\.",
            lambda m: f"{_PATH_NAMES[m['what']]} {m['p']} {_PATH_VERBS[m['verb']]}",
        ),
    )
)

_SUGGESTION = re.compile(r"\.? Did you mean (?P<x>.+)\?$", re.DOTALL)
_POSSIBLE = re.compile(r" \(Possible options: (?P<x>.+)\)$", re.DOTALL)
_QUOTED = re.compile(r"'([^']*)'")


def _polish_quotes(match: re.Match[str]) -> str:
    return f"„{match[1]}”"


_PARAM_KIND = {"argument": "argumentu", "option": "opcji", "parameter": "parametru"}

# Help screens: headings and the usage line are put into Polish on the finished text; an option's
# own line (its type label, "[default: …]") before the help screen is laid out, so that the
# columns and line wrapping are worked out on the Polish words.
_HEADINGS = {"Options:": "Opcje:", "Arguments:": "Argumenty:", "Commands:": "Polecenia:"}
_SCREEN_WORDS = (
    ("Usage: ", "Użycie: "),
    ("[OPTIONS]", "[OPCJE]"),
    ("COMMAND [ARGS]...", "POLECENIE [ARGUMENTY]..."),
    ("Show this message and exit.", "Pokaż tę pomoc i zakończ."),
)
_OPTION_WORDS = (
    ("[required]", "[wymagane]"),
    ("[default: ", "[domyślnie: "),
    ("[env var: ", "[zmienna środowiskowa: "),
    ("<list[Path]>", "<pliki>"),
    ("<list[str]>", "<tekst, wiele razy>"),
    ("<int range>", "<liczba z zakresu>"),
    ("<int>", "<liczba>"),
    ("<float>", "<liczba>"),
    ("<str>", "<tekst>"),
    ("<path>", "<ścieżka>"),
    ("<Path>", "<ścieżka>"),
)


def _replace(text: str, words: tuple[tuple[str, str], ...]) -> str:
    for english, polish in words:
        text = text.replace(english, polish)
    return text


# Typer writes a required argument as "{PLIK}" in the usage line; Click's own (and the docs') way
# is the bare name, and braces read like a template placeholder left unfilled.
_REQUIRED_ARGUMENT = re.compile(r"\{([^{}\s]+)\}")


def _usage_line(line: str) -> str:
    return _REQUIRED_ARGUMENT.sub(r"\1", line) if line.startswith("Użycie: ") else line


def polish_help(text: str) -> str:
    """A help screen or usage line with Click's English scaffolding put into Polish."""
    text = _replace(text, _SCREEN_WORDS)
    return "\n".join(_usage_line(_HEADINGS.get(line, line)) for line in text.split("\n"))


def _polish_help_record(record: Callable[[Any], tuple[str, str] | None], ctx: Any) -> tuple[str, str] | None:
    shown = record(ctx)
    if shown is None:
        return None
    name, help_text = shown
    return _replace(name, _OPTION_WORDS), _replace(help_text, _OPTION_WORDS)


def _sentence(message: str) -> str:
    suggestion = ""
    if match := _SUGGESTION.search(message):
        suggestion = f" (czy chodziło o {_QUOTED.sub(_polish_quotes, match['x'])}?)"
        message = message[: match.start()]
    elif match := _POSSIBLE.search(message):
        suggestion = f" (możliwe: {match['x']})"
        message = message[: match.start()]
    for pattern, render in _SENTENCES:
        if known := pattern.fullmatch(message.strip()):
            return render(known) + suggestion
    return message.rstrip(".") + suggestion


def _param_hint(exc: Any) -> str:
    hint = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        hint = param.get_error_hint()
    if hint is None:
        return ""
    if not isinstance(hint, str):
        hint = " / ".join(hint)
    return hint.replace("'", "").replace("(env var: ", "(zmienna środowiskowa: ")


def usage_error_text(exc: typer.TyperException) -> str:
    """One Polish sentence for a usage error of Typer's (wrong option, missing argument …)."""
    kind = type(exc).__name__
    message = str(getattr(exc, "message", "") or "")
    if kind == "MissingParameter":
        param = getattr(exc, "param", None)
        param_type = getattr(exc, "param_type", None) or getattr(param, "param_type_name", "")
        what = _PARAM_KIND.get(str(param_type), "wartości")
        return f"Brak {what} {_param_hint(exc)}".rstrip(" .") + "."
    if kind == "BadParameter":
        hint = _param_hint(exc)
        where = f" {hint}" if hint else ""
        return f"Nieprawidłowa wartość{where}: {_sentence(message)}."
    if kind == "FileError":
        return f"Nie można otworzyć pliku {getattr(exc, 'filename', '')}: {message}."
    sentence = _sentence(exc.format_message() if kind == "NoSuchOption" else message)
    return sentence[:1].upper() + sentence[1:] + "."


def show_usage_error(exc: typer.TyperException) -> None:
    """Print a usage error as the office reads it: the sentence, the usage line, where help is."""
    typer.echo(f"Błąd: {usage_error_text(exc)}", err=True)
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        typer.echo(polish_help(ctx.get_usage()), err=True)
        typer.echo(f"Pomoc: {ctx.command_path} --help", err=True)


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


@cache
def _polish_context(base: type) -> type:
    """A subclass of ``base`` (one per Context class, shared by the commands using it)."""

    class PolishContext(base):
        def get_usage(self) -> str:
            return polish_help(super().get_usage())

        def get_help(self) -> str:
            return polish_help(super().get_help())

    return PolishContext


def polish_command_tree(command: Any) -> Any:
    """Give every command of the tree a context whose help and usage texts are Polish."""
    for each in _commands(command):
        each.context_class = _polish_context(each.context_class)
        for param in each.params:
            param.get_help_record = partial(_polish_help_record, param.get_help_record)
    return command
