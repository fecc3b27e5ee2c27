"""Deadlines through the business-day calendar: offline modes (art. 106nda/nf/ng/nh) and the JPK."""

from __future__ import annotations

from datetime import date

import pytest

from ksef_sheets.office.deadlines import (
    FAILURE,
    KSEF_DEADLINES,
    OFFLINE24,
    TOTAL_FAILURE,
    UNAVAILABILITY,
    jpk_deadline,
    offline_deadline,
)


@pytest.mark.parametrize(
    ("mode", "day", "expected"),
    [
        # offline24: the next business day after the issue date
        (OFFLINE24, date(2026, 12, 24), date(2026, 12, 28)),  # Thu Wigilia → Fri 25 off, weekend → Mon
        (OFFLINE24, date(2027, 4, 30), date(2027, 5, 4)),  # Fri → 1.05 Sat, 2.05 Sun, 3.05 Mon off → Tue
        (OFFLINE24, date(2026, 12, 4), date(2026, 12, 7)),  # Fri → Mon
        (OFFLINE24, date(2026, 12, 5), date(2026, 12, 7)),  # issued on a Saturday → Mon
        (OFFLINE24, date(2025, 7, 8), date(2025, 7, 9)),  # MF's example
        # unavailability: the next business day after it ended
        (UNAVAILABILITY, date(2026, 11, 10), date(2026, 11, 12)),  # Tue → Wed 11.11 off → Thu
        (UNAVAILABILITY, date(2026, 6, 3), date(2026, 6, 5)),  # Wed → Corpus Christi → Fri
        # announced failure: 7 business days from its end
        (FAILURE, date(2025, 7, 12), date(2025, 7, 22)),  # MF's example (ended Sat)
        (FAILURE, date(2026, 12, 22), date(2027, 1, 5)),  # 23, 28, 29, 30, 31.12, 4.01, 5.01
    ],
)
def test_offline_deadline_across_weekends_and_holidays(mode: str, day: date, expected: date) -> None:
    assert offline_deadline(mode, day) == expected


def test_total_failure_has_no_obligation() -> None:
    assert offline_deadline(TOTAL_FAILURE, date(2026, 12, 4)) is None
    assert offline_deadline(TOTAL_FAILURE, date(2026, 12, 4), failure_ended_on=date(2026, 12, 7)) is None


def test_failure_announced_while_waiting_counts_from_its_end() -> None:
    # MF example: offline24 invoice of Wed 8.07.2025, failure announced 9.07, ended Sat 12.07
    assert offline_deadline(OFFLINE24, date(2025, 7, 8), failure_ended_on=date(2025, 7, 12)) == date(
        2025, 7, 22
    )
    assert offline_deadline(UNAVAILABILITY, date(2026, 12, 1), failure_ended_on=date(2026, 12, 3)) == date(
        2026, 12, 14
    )


def test_unknown_mode_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown offline mode"):
        offline_deadline("online", date(2026, 12, 4))


def test_jpk_moves_past_christmas_and_says_so() -> None:
    moved = jpk_deadline(date(2026, 12, 1))
    assert moved.when == date(2026, 12, 28)
    assert moved.moved_from == date(2026, 12, 25)
    assert moved.moved_note == (
        "Termin przesunięty z 25.12.2026 (pt.) — dzień wolny: Boże Narodzenie (pierwszy dzień) — "
        "na 28.12.2026 (pon.) (art. 12 § 5 Ordynacji podatkowej)."
    )
    assert moved.full_details.endswith(moved.moved_note)
    on_time = jpk_deadline(date(2027, 1, 2))
    assert on_time.when == date(2027, 1, 25) and on_time.moved_from is None and on_time.moved_note == ""
    # April 2026: the 25th is a Saturday
    assert jpk_deadline(date(2026, 4, 1)).when == date(2026, 4, 27)


def test_statutory_list_first_jpk_not_moved() -> None:
    first = next(d for d in KSEF_DEADLINES if d.title.startswith("Pierwszy JPK"))
    assert first.when == date(2026, 3, 25) and first.moved_from is None
