"""The command line's own texts (usage errors, help screens) reach the office in Polish."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer

from ksef_sheets.cli import app, main

ENGLISH = (
    "Usage:",
    "Options:",
    "Commands:",
    "Arguments:",
    "Error:",
    "Show this message",
    "[default:",
    "[required]",
    "Missing ",
    "No such",
    "Invalid value",
    "Input should",
    "Traceback",
    "Did you mean",
)
# Help describes what a command does in one mood, the imperative ("Pobierz", not "Pobiera"). The
# second person imperative ends in a consonant (Pobierz, Pokaż, Utwórz, Usuń, Wczytaj, Odbuduj);
# the third person (Pobiera, Pokazuje, Tworzy) and noun phrases (Wersja, Akcje) end in a vowel.
VOWELS = set("aąeęioóuy")
THIRD_PERSON = re.compile(
    r"\b(?:pobiera|pokazuje|wysyła|tworzy|sprawdza|zapisuje|odświeża|usuwa|dodaje|generuje|wczytuje|"
    r"uruchamia|buduje|odbudowuje|przywraca|ustawia|przygotowuje|nadaje|odbiera|wykonuje)\b",
    re.IGNORECASE,
)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "sentence", "help_hint"),
    [
        (["--bogus"], "Błąd: Nieznana opcja --bogus.", "Pomoc: ksef-sheets --help"),
        (["no-such-command"], "Błąd: Nieznane polecenie „no-such-command”.", "Pomoc: ksef-sheets --help"),
        # A typo Click can suggest a command for: the suggestion is Polish too.
        (
            ["fecth"],
            "Błąd: Nieznane polecenie „fecth” (czy chodziło o „fetch”?).",
            "Pomoc: ksef-sheets --help",
        ),
        (
            ["clients", "imprt"],
            "Błąd: Nieznane polecenie „imprt” (czy chodziło o „import”?).",
            "Pomoc: ksef-sheets clients --help",
        ),
        (
            ["fetch", "--clinet", "1"],
            "Błąd: Nieznana opcja --clinet (możliwe: --client).",
            "Pomoc: ksef-sheets fetch --help",
        ),
        (["invoice", "show"], "Błąd: Brak argumentu PLIK.", "Pomoc: ksef-sheets invoice show --help"),
        (["version", "extra"], "Błąd: Nadmiarowe argumenty: extra.", "Pomoc: ksef-sheets version --help"),
        (["fetch", "--client"], "Błąd: Opcja --client wymaga wartości.", None),
        (
            ["emulator", "--seed", "5x"],
            "Błąd: Nieprawidłowa wartość --seed: oczekiwano liczby całkowitej.",
            "Pomoc: ksef-sheets emulator --help",
        ),
        (
            ["emulator", "--port", "70000"],
            "Błąd: Nieprawidłowa wartość --port: wartość musi być nie większa niż 65535.",
            None,
        ),
    ],
)
def test_usage_errors_are_one_polish_sentence_with_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], sentence: str, help_hint: str | None
) -> None:
    code, out, err = _run(capsys, *args)
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == sentence
    if help_hint:
        assert lines[1].startswith("Użycie: ksef-sheets") and lines[-1] == help_hint
    assert not [word for word in ENGLISH if word in err]


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += _command_paths(sub, (*path, name))
    return paths


def test_every_help_screen_is_polish(capsys: pytest.CaptureFixture[str]) -> None:
    paths = _command_paths(typer.main.get_command(app))
    assert len(paths) > 20  # the whole tree, groups and their commands
    for path in paths:
        code, out, err = _run(capsys, *path, "--help")
        assert code == 0 and err == "", path
        assert out.startswith("Użycie: ksef-sheets") and "Pokaż tę pomoc i zakończ." in out, path
        assert not [word for word in ENGLISH if word in out], (path, out)


def test_help_has_no_placeholders_english_argument_names_or_mixed_moods(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = typer.main.get_command(app)
    problems: list[str] = []
    for path in _command_paths(root):
        command = root
        for name in path:
            command = command.commands[name]
        _, out, _ = _run(capsys, *path, "--help")
        where = " ".join(("ksef-sheets", *path))
        if "{" in out or "}" in out:
            problems.append(f"{where}: placeholder braces in {out!r}")
        if found := THIRD_PERSON.findall(out):
            problems.append(f"{where}: not imperative: {found}")
        for param in command.params:
            if param.param_type_name == "argument" and not str(param.metavar or "").isupper():
                problems.append(f"{where}: argument {param.name!r} shown under its English name")
        if not getattr(command, "commands", None):  # a command, not a group (groups name a topic)
            first = (command.help or "").split()[0].rstrip(",.:") if command.help else ""
            if not first or first[-1].lower() in VOWELS:
                problems.append(f"{where}: help starts with {first!r}, not an imperative")
    assert not problems, "\n".join(problems)


def test_no_arguments_shows_the_polish_help_not_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys)
    assert code == 0 and err == ""
    assert "Polecenia:" in out and "fetch" in out


def test_a_user_error_still_exits_1_in_polish(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    code, _, err = _run(capsys, "invoice", "show", str(tmp_path / "brak.xml"))
    assert code == 1 and err.startswith("Błąd: ") and "brak.xml" in err


def test_a_path_the_system_refuses_is_a_polish_sentence_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    a_file = tmp_path / "biuro"
    a_file.write_text("to jest plik, nie folder")
    code, _, err = _run(capsys, "init", "--demo", "--dir", str(a_file))
    assert code == 1 and "Traceback" not in err
    assert err.strip() == f"Błąd: Nie można użyć {a_file}: w tym miejscu jest już plik."
    code, _, err = _run(capsys, "init", "--demo", "--dir", str(a_file / "pod"))
    assert code == 1 and err.strip().endswith("część ścieżki jest plikiem, a nie folderem.")
    assert a_file.read_text() == "to jest plik, nie folder"


def test_file_system_error_keeps_unknown_reasons_and_ignores_pathless_errors() -> None:
    import errno

    from ksef_sheets.errors import file_system_error

    full = file_system_error(OSError(errno.ENOSPC, "No space left on device", "/x/faktury.xlsx"))
    assert full is not None and str(full) == "Nie można użyć /x/faktury.xlsx: brak miejsca na dysku."
    odd = file_system_error(OSError(errno.EBUSY, "Device or resource busy", "/x", None, "/y"))
    assert odd is not None and str(odd) == "Nie można użyć /x → /y: Device or resource busy."
    assert file_system_error(OSError(errno.ECONNREFUSED, "Connection refused")) is None
    locked = PermissionError(errno.EACCES, "Permission denied", "C:/biuro/biuro.xlsx")
    locked.winerror = 32  # what Windows sets for a file Excel holds open
    message = str(file_system_error(locked))
    assert message.startswith("Nie można użyć C:/biuro/biuro.xlsx: plik jest otwarty w innym programie")
