"""``poll_until``: the one status-polling loop of the KSeF client (login, sending, permissions,
certificate enrolment), on an injected clock — no request is made."""

from __future__ import annotations

import asyncio

import pytest

from ksef_sheets.ksef import KsefClient, KsefUnavailableError, ManualClock, PollPolicy

UNUSED_URL = "http://127.0.0.1:9/v2"


def _poll(answers: list[int], policy: PollPolicy, clock: ManualClock) -> tuple[int, list[int]]:
    asked: list[int] = []

    async def run() -> int:
        async with KsefClient(UNUSED_URL, clock=clock, poll=policy) as ksef:

            async def ask() -> int:
                asked.append(answers[min(len(asked), len(answers) - 1)])
                return asked[-1]

            return await ksef.poll_until(
                ask,
                lambda code: code != 100,
                "KSeF długo przetwarza operację X — sprawdź później.",
                context_nip="5260250274",
            )

    return asyncio.run(run()), asked


def test_asks_until_the_answer_is_final_pausing_by_the_policy() -> None:
    clock = ManualClock(start=0.0)
    final, asked = _poll([100, 100, 100, 200], PollPolicy(first=0.2, factor=2.0, maximum=0.5), clock)
    assert final == 200 and len(asked) == 4
    assert clock.sleeps == pytest.approx([0.2, 0.4, 0.5])


def test_gives_up_with_the_callers_sentence_after_the_timeout() -> None:
    clock = ManualClock(start=0.0)
    policy = PollPolicy(first=1.0, factor=1.0, maximum=1.0, timeout=3.0)
    with pytest.raises(KsefUnavailableError) as raised:
        _poll([100], policy, clock)
    assert str(raised.value) == "KSeF długo przetwarza operację X — sprawdź później."
    assert raised.value.context_nip == "5260250274"
    assert sum(clock.sleeps) == pytest.approx(3.0)
