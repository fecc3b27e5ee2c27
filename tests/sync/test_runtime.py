"""``office_run``: the one run set-up fetch and send share (lock, log, prepare, KSeF client, limiter)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.ksef import RateLimiter
from ksef_sheets.sync import FETCH_RUN, SEND_RUN, office_run, office_run_lock

OFFICE_NIP = "5260250274"
# No request is ever made in these tests: the client is only opened and closed.
UNUSED_URL = "http://127.0.0.1:9/v2"


class FastClock:
    """A clock running ten times faster than the wall, as a sped-up emulator's does."""

    speed = 10.0

    def monotonic(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Says when the run's client closed its connections."""

    def __init__(self) -> None:
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    async def aclose(self) -> None:
        self.closed = True


def _folder(tmp_path: Path) -> tuple[OfficeFolder, OfficeConfig]:
    folder = OfficeFolder(tmp_path / "biuro")
    config = OfficeConfig(office_nip=OFFICE_NIP, office_name="Biuro Testowe", environment="test")
    folder.save_config(config)
    return folder, folder.load_config()


def _no_vault(nip: str) -> object:
    raise AssertionError("no credential is asked for while the run is only set up")


def test_a_second_run_of_the_same_kind_is_refused_in_polish_naming_the_office(tmp_path: Path) -> None:
    folder, config = _folder(tmp_path)

    async def scenario() -> str:
        async with office_run(folder, config, FETCH_RUN, connect=False):
            with pytest.raises(UserError) as refused:
                async with office_run(folder, config, FETCH_RUN, connect=False):
                    pass
            # Another kind of run (send) is not held up by a fetch.
            async with office_run(folder, config, SEND_RUN, connect=False):
                pass
        # Released on exit: the next run of the kind starts.
        async with office_run(folder, config, FETCH_RUN, connect=False):
            pass
        return str(refused.value)

    message = asyncio.run(scenario())
    assert message == (
        f"Pobieranie faktur dla biura {folder.root} już trwa w innym oknie lub zadaniu; "
        "poczekaj, aż się zakończy."
    )
    assert (folder.logs_dir / "pobieranie.log").exists()


def test_without_lock_no_lock_is_taken_and_no_log_is_written(tmp_path: Path) -> None:
    folder, config = _folder(tmp_path)

    async def scenario() -> None:
        async with office_run(folder, config, SEND_RUN, lock=False, connect=False) as run:
            assert run.ksef is None and run.limiter is None and run.base_url is None
            assert not (folder.logs_dir / "wysylka.log").exists()
            # The same kind with the lock still starts: the dry run held none.
            async with office_run(folder, config, SEND_RUN, connect=False):
                pass
            async with office_run(folder, config, SEND_RUN, lock=False, connect=False):
                pass
            with pytest.raises(UserError, match="nie loguje się do KSeF"):
                run.credentials(OFFICE_NIP)

    asyncio.run(scenario())


def test_prepare_runs_under_the_lock(tmp_path: Path) -> None:
    folder, config = _folder(tmp_path)
    seen: list[str] = []

    def prepare() -> None:
        try:
            with office_run_lock(folder, FETCH_RUN.lock_name, "zajęte"):
                seen.append("free")
        except UserError as exc:
            seen.append(str(exc))

    async def scenario() -> None:
        async with office_run(folder, config, FETCH_RUN, connect=False, prepare=prepare):
            pass

    asyncio.run(scenario())
    assert seen == ["zajęte"]


def test_the_client_lives_for_the_run_and_the_margin_follows_the_clock_speed(tmp_path: Path) -> None:
    folder, config = _folder(tmp_path)
    clock = FastClock()

    async def scenario(follow: bool) -> tuple[float, bool, bool]:
        transport = RecordingTransport()
        async with office_run(
            folder,
            config,
            FETCH_RUN,
            base_url=UNUSED_URL,
            clock=clock,
            credentials=_no_vault,
            margin_follows_speed=follow,
            transport=transport,
        ) as run:
            assert run.ksef is not None and run.limiter is not None
            assert run.base_url == UNUSED_URL and run.clock is clock
            open_inside = not transport.closed
        return run.limiter.margin, open_inside, transport.closed

    margin, open_inside, closed_after = asyncio.run(scenario(True))
    assert margin == pytest.approx(0.5)  # 0.05 s of jitter, stretched tenfold
    assert open_inside and closed_after
    plain, _, _ = asyncio.run(scenario(False))
    assert plain == pytest.approx(0.05)


def test_a_limiter_given_is_used_as_it_is(tmp_path: Path) -> None:
    folder, config = _folder(tmp_path)
    clock = FastClock()
    limiter = RateLimiter(clock=clock, margin=1.25)

    async def scenario() -> tuple[RateLimiter | None, object]:
        async with office_run(
            folder, config, FETCH_RUN, base_url=UNUSED_URL, limiter=limiter, credentials=_no_vault
        ) as run:
            return run.limiter, run.clock

    used, used_clock = asyncio.run(scenario())
    assert used is limiter and used_clock is clock and limiter.margin == 1.25


def test_a_training_office_emulator_is_seeded_for_that_office_and_its_clients(tmp_path: Path) -> None:
    """``emulator_seed`` on an empty state: the office of the config (so its own tokens and
    certificates log in) and the NIPs of its ``clients`` list, not a made-up office."""
    import contextlib
    import json

    from ksef_sheets.sync import start_office_emulator

    folder = OfficeFolder(tmp_path / "biuro")
    config = OfficeConfig.model_validate(
        {
            "office_nip": OFFICE_NIP,
            "office_name": "Biuro Szkoleniowe",
            # a formatted NIP, the office's own and a wrong one are not seeded as clients
            "clients": ["5213017228", "526-025-02-74", "123"],
            "emulator_seed": 7,
        }
    )
    with contextlib.ExitStack() as stack:
        base_url, _clock = start_office_emulator(folder, config, stack)
        assert httpx.get(f"{base_url}/security/public-key-certificates").status_code == 200
    seeded = json.loads((folder.emulator_dir / "seed.json").read_text(encoding="utf-8"))
    assert seeded["office"] == {"nip": OFFICE_NIP, "name": "Biuro Szkoleniowe"}
    nips = [c["nip"] for c in seeded["clients"]]
    assert nips[0] == "5213017228" and OFFICE_NIP not in nips and len(nips) == 10
    assert seeded["clients"][0]["invoices"]["Subject1"] > 0
