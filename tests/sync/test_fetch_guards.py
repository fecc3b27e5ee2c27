"""The KSeF client's export-download guards on the fetch path (issue 15, item 3).

``fetch_office`` downloads export packages through ``KsefSession.download_export``; these tests
prove, against the emulator over loopback HTTP with real crypto, that its three guards apply
there: a part larger than KSeF declared is refused (with a Polish sentence, nothing stored), a
part whose storage hash header differs from KSeF's hash is refused, and the signed storage links
(their query string with the signature) never reach the run's log file or the command's output.

The storage is made hostile by a transport between the fetch and the emulator that alters only
the answers of ``/storage/exports/...`` (the emulator's own storage answers correctly).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ksef_sheets.cli.fetch import _print
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NAME, DEMO_OFFICE_NIP, demo_seed_office
from ksef_sheets.emulator import Emulator, RunningEmulator, run_emulator
from ksef_sheets.emulator import seed as seeding
from ksef_sheets.ksef.crypto import sha256_b64
from ksef_sheets.ksef.limits import CallbackClock
from ksef_sheets.sync.archive import Archive
from ksef_sheets.sync.report import FetchReport
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import fetch_invoices

from .conftest import archive_invoices, emulator_invoices

PASSPHRASE = "hasło-testowe-sejfu"
STORAGE = "/storage/exports/"

# (status, headers, body) of the storage's real answer → what the fetch receives instead.
Change = Callable[[httpx.Request, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


class HostileStorage(httpx.AsyncBaseTransport):
    """Loopback HTTP to the emulator; answers of export-part links pass through ``change``."""

    def __init__(self, change: Change | None = None) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.change = change
        self.links: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.change is None or STORAGE not in request.url.path:
            return response
        self.links.append(str(request.url))
        body = await response.aread()
        await response.aclose()
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        }
        status, headers, body = self.change(request, response.status_code, headers, body)
        return httpx.Response(status, headers=headers, content=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture(scope="module")
def small_state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = tmp_path_factory.mktemp("guards") / "emulator"
    emu = Emulator(path)
    try:
        info = seeding.seed(emu, office=demo_seed_office(), seed=21, clients=1, invoices_per_client=300)
    finally:
        emu.close()
    return path, info.clients[0]


@pytest.fixture
def running(small_state: tuple[Path, Any], tmp_path: Path) -> Iterator[RunningEmulator]:
    target = tmp_path / "emulator"
    shutil.copytree(small_state[0], target)
    with run_emulator(target) as emulator:
        yield emulator


@pytest.fixture
def office(tmp_path: Path, small_state: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch) -> OfficeFolder:
    client = small_state[1]
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(
        OfficeConfig(
            office_nip=DEMO_OFFICE_NIP,
            office_name=DEMO_OFFICE_NAME,
            clients=[client.nip],
            fetch_from="2026-01-15",
        )
    )
    Vault.open(folder, PASSPHRASE).add_token(client.nip, client.token)
    return folder


def fetch(folder: OfficeFolder, running: RunningEmulator, storage: HostileStorage) -> FetchReport:
    """The office's fetch on the emulator's time line (retry pauses and polls pass instantly)."""
    emu = running.emulator
    clock = CallbackClock(now=emu.clock.timestamp, advance=lambda s: emu.clock.advance(timedelta(seconds=s)))
    return asyncio.run(
        fetch_invoices(
            folder,
            base_url=running.base_url,
            transport=storage,
            clock=clock,
            now=emu.clock.now,
            update_register=False,
            backup=False,
        )
    )


def assert_nothing_stored(folder: OfficeFolder, nip: str) -> None:
    for subject in ("Subject1", "Subject2"):
        assert archive_invoices(folder, nip, subject) == {}
    with Archive.open(folder) as archive:
        assert archive.get_hwm(nip, "Subject1") is None and archive.get_hwm(nip, "Subject2") is None
    leftovers = [p for p in folder.archive_dir.rglob("*") if p.is_file() and p.suffix not in (".sqlite", "")]
    assert [p for p in leftovers if not p.name.startswith("archiwum")] == []


def assert_refetch_is_complete(folder: OfficeFolder, running: RunningEmulator, nip: str) -> None:
    """With an honest storage the next run fetches everything: the refusal left no bad state."""
    report = fetch(folder, running, HostileStorage())
    assert report.problems == []
    state = running.emulator.state_dir
    for subject in ("Subject1", "Subject2"):
        assert archive_invoices(folder, nip, subject) == emulator_invoices(state, nip, subject)
    assert report.new > 0


def test_a_part_larger_than_declared_is_refused_and_nothing_is_stored(
    office: OfficeFolder, running: RunningEmulator, small_state: tuple[Path, Any]
) -> None:
    nip = small_state[1].nip

    def oversized(
        request: httpx.Request, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        # The part's hash header still matches KSeF's hash: only its size betrays it.
        return status, headers, body + bytes(4096)

    storage = HostileStorage(oversized)
    report = fetch(office, running, storage)
    assert storage.links, "the fetch never downloaded a part"
    assert report.new == 0 and report.problems
    for problem in report.problems:
        assert problem.startswith(nip)
        assert "przysłał zbyt dużą odpowiedź (pobranie części 1 paczki" in problem
        assert "przy limicie" in problem and problem.endswith("— odrzucono.")
    assert_nothing_stored(office, nip)
    assert_refetch_is_complete(office, running, nip)


def test_a_part_whose_storage_hash_differs_from_ksefs_is_refused(
    office: OfficeFolder, running: RunningEmulator, small_state: tuple[Path, Any]
) -> None:
    nip = small_state[1].nip

    def wrong_hash(
        request: httpx.Request, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        # The body is intact (it decrypts and matches KSeF's hashes); only the storage's
        # x-ms-meta-hash says another file was served.
        assert headers["x-ms-meta-hash"] == sha256_b64(body)
        return status, {**headers, "x-ms-meta-hash": sha256_b64(b"inny plik")}, body

    storage = HostileStorage(wrong_hash)
    report = fetch(office, running, storage)
    assert storage.links
    assert report.new == 0 and report.problems
    for problem in report.problems:
        assert problem.startswith(nip)
        assert "Część 1 paczki" in problem and "ma inny skrót niż podany przez KSeF — odrzucono." in problem
    assert_nothing_stored(office, nip)
    assert_refetch_is_complete(office, running, nip)


def test_signed_storage_links_never_reach_the_log_or_the_output(
    office: OfficeFolder,
    running: RunningEmulator,
    small_state: tuple[Path, Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    nip = small_state[1].nip

    def echoes_the_link(
        request: httpx.Request, status: int, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        # A storage (or a proxy before it) that refuses and echoes the address it was asked for,
        # signature included — as error pages often do.
        detail = json.dumps({"detail": f"Odmowa dostępu do {request.url}"}).encode()
        return 403, {"content-type": "application/json"}, detail

    storage = HostileStorage(echoes_the_link)
    report = fetch(office, running, storage)
    assert storage.links and report.problems
    _print(report, json_output=False)
    _print(report, json_output=True)
    captured = capsys.readouterr()
    output = captured.out + captured.err + json.dumps(report.to_json(), ensure_ascii=False)
    logs = "".join(p.read_text(encoding="utf-8") for p in office.logs_dir.glob("*.log"))
    # The refusal is reported and logged, naming the storage path (not vacuous) ...
    assert len(report.problems) == 2
    assert all("odmówił dostępu (pobranie części 1 paczki" in p for p in report.problems)
    assert STORAGE in output
    assert "odmówił dostępu" in logs and STORAGE in logs and nip in logs
    # ... but never the link's query: its expiry and signature.
    for link in storage.links:
        query = httpx.URL(link).query.decode()
        signature = httpx.URL(link).params["sig"]
        assert query and signature
        for text in (output, logs):
            assert query not in text and signature not in text
    assert_nothing_stored(office, nip)
