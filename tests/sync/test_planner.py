"""The planner alone: subject types by scenario, three-month windows, checkpoints per the MF recipe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ksef_sheets.errors import UserError
from ksef_sheets.sync.planner import (
    Window,
    add_months,
    after_window,
    can_use_single_downloads,
    next_window,
    subject_types_for,
)

T0 = datetime(2026, 2, 1, tzinfo=UTC)


def test_subject_types_follow_the_scenario() -> None:
    assert subject_types_for(2) == ("Subject2",)
    assert subject_types_for(3) == ("Subject1", "Subject2")
    assert subject_types_for(1) == ()
    assert subject_types_for(1, has_invoice_read=True) == ("Subject1", "Subject2")
    assert subject_types_for(None) == ("Subject1", "Subject2")


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(datetime(2026, 11, 30, 5, tzinfo=UTC), 3) == datetime(2027, 2, 28, 5, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 31, tzinfo=UTC), 2) == datetime(2027, 2, 28, tzinfo=UTC)


def test_backfill_walks_in_adjacent_three_month_windows_then_opens() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    checkpoint = T0
    windows = []
    hwm = now - timedelta(minutes=3)
    while True:
        window = next_window(checkpoint, now)
        windows.append(window)
        step = after_window(window, is_truncated=False, last_permanent_storage=None, hwm=hwm)
        assert step.checkpoint >= checkpoint
        checkpoint = step.checkpoint
        if not step.more:
            break
    assert [w.start for w in windows] == [T0, add_months(T0, 3), add_months(T0, 6), add_months(T0, 9)]
    assert all(w.end == add_months(w.start, 3) for w in windows[:-1])
    assert windows[-1].end is None
    assert checkpoint == hwm
    filters = windows[0].filters("Subject2")
    assert filters == {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "PermanentStorage",
            "from": "2026-02-01T00:00:00.000000+00:00",
            "to": "2026-05-01T00:00:00.000000+00:00",
            "restrictToPermanentStorageHwmDate": True,
        },
    }
    assert "to" not in windows[-1].filters("Subject1")["dateRange"]


def test_truncated_package_continues_from_its_last_storage_date() -> None:
    window = Window(T0, None)
    last = T0 + timedelta(days=3, microseconds=17)
    step = after_window(window, is_truncated=True, last_permanent_storage=last, hwm=T0 + timedelta(days=9))
    assert step == type(step)(last, True)
    with pytest.raises(UserError):
        after_window(window, is_truncated=True, last_permanent_storage=None, hwm=None)
    with pytest.raises(UserError, match="nie przesuwa"):
        after_window(window, is_truncated=True, last_permanent_storage=T0, hwm=None)


def test_window_before_hwm_ends_at_its_end_and_hwm_caps_the_last() -> None:
    window = Window(T0, add_months(T0, 3))
    assert after_window(window, is_truncated=False, last_permanent_storage=None, hwm=add_months(T0, 5)).more
    step = after_window(window, is_truncated=False, last_permanent_storage=None, hwm=T0 + timedelta(days=10))
    assert step.checkpoint == T0 + timedelta(days=10) and not step.more
    # An HWM before the start (nothing stored since) never moves the checkpoint back.
    step = after_window(
        Window(T0, None), is_truncated=False, last_permanent_storage=None, hwm=T0 - timedelta(1)
    )
    assert step.checkpoint == T0 and not step.more


def test_single_downloads_only_for_a_handful() -> None:
    assert can_use_single_downloads(0, has_more=False, is_truncated=False)
    assert can_use_single_downloads(10, has_more=False, is_truncated=False)
    assert not can_use_single_downloads(11, has_more=False, is_truncated=False)
    assert not can_use_single_downloads(1, has_more=True, is_truncated=False)


def test_naive_dates_are_a_bug() -> None:
    with pytest.raises(ValueError):
        next_window(datetime(2026, 1, 1), datetime.now(UTC))
