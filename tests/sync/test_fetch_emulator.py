"""The fetch against the KSeF emulator over loopback HTTP, with real crypto and the real vault."""

from __future__ import annotations

import asyncio
import random
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NIP
from ksef_sheets.emulator import Emulator, RunningEmulator, run_emulator
from ksef_sheets.emulator.invoices import NewInvoice
from ksef_sheets.emulator.limits import RateLimit
from ksef_sheets.emulator.seed import random_nip
from ksef_sheets.fa3 import Party, generate_mix
from ksef_sheets.sync.archive import Archive
from ksef_sheets.sync.planner import add_months
from ksef_sheets.sync.report import FetchReport
from ksef_sheets.vault import PASSPHRASE_ENV, Vault
from ksef_sheets.workflows import fetch_invoices

from .conftest import PASSPHRASE, SeededState, archive_invoices, assert_archive_matches, emulator_invoices


def fetch(folder: OfficeFolder, running: RunningEmulator, **options: Any) -> FetchReport:
    return asyncio.run(fetch_invoices(folder, base_url=running.base_url, **options))


def state_of(running: RunningEmulator) -> Path:
    return running.emulator.state_dir


def test_full_sync_then_a_second_run_fetches_nothing(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    running = fresh_emulator()
    report = fetch(office, running)
    assert report.problems == [] and report.rate_limited == 0
    total = assert_archive_matches(office, state_of(running), seeded_state.clients)
    assert total > 8000 and report.new == total
    for client in report.clients:
        assert set(client.subjects) == {"Subject1", "Subject2"}
        for sub in client.subjects.values():
            assert sub.hwm is not None and sub.error is None
            # Backfill from 2026-01-15 walks in three-month windows: a handful of exports each.
            assert 1 <= sub.exports <= 6
    with Archive.open(office) as archive:
        assert archive.read_xml(
            report.clients[0].nip,
            next(iter(archive.ksef_numbers(report.clients[0].nip, "Subject2"))),
        ).startswith(b"<?xml")
        entries = archive.audit_log()
        assert {e.context_nip for e in entries if e.action == "pobranie"} == {c.nip for c in report.clients}

    again = fetch(office, running)
    assert again.problems == [] and again.new == 0
    for client in again.clients:
        for sub in client.subjects.values():
            assert sub.exports <= 1 and sub.downloads == 0
    # Login, one metadata probe per subject type, logout — and no export at all.
    assert again.requests_by_group.get("invoiceExport", 0) == 0
    assert again.requests_by_group["invoiceMetadata"] == 2 * len(again.clients)
    assert assert_archive_matches(office, state_of(running), seeded_state.clients) == total


def test_prod_limits_full_sync_gets_no_429(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    running = fresh_emulator(limits="prod")
    first = fetch(office, running)
    second = fetch(office, running)
    assert first.problems == [] and second.problems == []
    assert first.rate_limited == 0 and second.rate_limited == 0
    assert first.requests_by_group.get("invoiceExport", 0) <= 20 * len(first.clients)
    assert_archive_matches(office, state_of(running), seeded_state.clients)


def test_faults_429_5xx_and_dropped_connections_lose_nothing(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    running = fresh_emulator()
    emu = running.emulator
    faults = emu.faults
    faults.fail_next(3, status=503, path_prefix="/invoices/exports")
    faults.fail_next(2, status=500, path_prefix="/storage/exports")
    faults.fail_next(1, status=502, path_prefix="/auth/ksef-token")
    faults.drop_next(2, path_prefix="/invoices/exports")
    faults.drop_next(1, path_prefix="/storage/exports")
    # Tight server-side limits in one context that the client's production table does not know:
    # its polls and exports meet real 429s with Retry-After.
    busy = seeded_state.clients[0].nip
    emu.limits.set_custom(
        busy, {"invoiceExportStatus": RateLimit(1, 60, 600), "invoiceExport": RateLimit(1, 16, 20)}
    )
    two = seeded_state.clients[:2]
    report = fetch(office, running, clients=[c.nip for c in two])
    assert report.problems == []
    assert report.rate_limited > 0
    assert_archive_matches(office, state_of(running), two)


def test_one_clients_failure_does_not_stop_the_others(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    running = fresh_emulator()
    broken = seeded_state.clients[1].nip
    Vault.open(office, PASSPHRASE).remove(f"token:{broken}")
    report = fetch(office, running, clients=[seeded_state.clients[0].nip, broken])
    assert [p for p in report.problems if broken in p] and len(report.problems) == 1
    assert "W sejfie nie ma tokenu" in report.problems[0]
    ok = [seeded_state.clients[0]]
    assert_archive_matches(office, state_of(running), ok)
    assert archive_invoices(office, broken, "Subject2") == {}
    # A wrong token: KSeF refuses the login, the message names the client, never the token.
    Vault.open(office, PASSPHRASE).add_token(broken, seeded_state.clients[0].token)
    report = fetch(office, running, clients=[broken])
    assert len(report.problems) == 1 and broken in report.problems[0]
    assert seeded_state.clients[0].token not in str(report.to_json())


def _extra_client_state(seeded_state: SeededState, target: Path, build: Any) -> tuple[str, str]:
    """A copy of the seeded state plus one more client (its invoices made by ``build(emu, nip)``)."""
    shutil.copytree(seeded_state.path, target)
    emu = Emulator(target)
    try:
        nip = random_nip(random.Random(99))
        emu.subjects.add(nip, "Klient Graniczny Sp. z o.o.")
        emu.permissions.grant_entity(nip, DEMO_OFFICE_NIP, ["InvoiceRead"], True)
        token = emu.tokens.issue(nip, DEMO_OFFICE_NIP, ["InvoiceRead"], "Token biura (test)")
        build(emu, nip)
    finally:
        emu.close()
    return nip, token


def _purchases(nip: str, stored: list[datetime], seed: int) -> list[NewInvoice]:
    rng = random.Random(seed)
    supplier = Party(name=f"Dostawca {seed}", nip=random_nip(rng), address1="ul. Polna 1", address2="Łódź")
    buyer = Party(name="Klient Graniczny Sp. z o.o.", nip=nip, address1="ul. Krótka 2", address2="Kraków")
    first = min(stored).date()
    xmls = generate_mix(
        rng, supplier, [buyer], first - timedelta(days=2), first - timedelta(days=1), len(stored)
    )
    return [
        NewInvoice(xml, accepted_at=at - timedelta(seconds=1), stored_at=at)
        for xml, at in zip(xmls, stored, strict=True)
    ]


def test_truncated_packages_and_window_edges_lose_and_duplicate_nothing(
    office: OfficeFolder, seeded_state: SeededState, tmp_path: Path
) -> None:
    since = datetime(2026, 1, 14, 23, 0, tzinfo=UTC)  # 2026-01-15 in Warsaw: the office's fetch_from
    edge = add_months(since, 3)  # where the first three-month window ends and the second starts
    cluster = datetime(2026, 6, 3, 10, 0, 0, 123000, tzinfo=UTC)

    def build(emu: Emulator, nip: str) -> None:
        stored = [since + timedelta(days=10, minutes=i) for i in range(7)]
        stored += [cluster] * 6  # six invoices sharing one instant, split by a truncated package
        stored += [edge] * 4 + [edge - timedelta(milliseconds=1), edge + timedelta(milliseconds=1)]
        stored += [since] * 2  # exactly at the start date
        stored += [cluster + timedelta(days=i, hours=1) for i in range(1, 40)]
        items = sorted(_purchases(nip, stored, seed=3), key=lambda item: item.stored_at or since)
        emu.invoices.store_many(items, rng=random.Random(4))  # type: ignore[attr-defined]

    state = tmp_path / "emulator"
    nip, token = _extra_client_state(seeded_state, state, build)
    Vault.open(office, PASSPHRASE).add_token(nip, token)
    config = office.load_config()
    office.save_config(config.model_copy(update={"clients": [*config.clients, nip]}))
    with run_emulator(state) as running:
        running.emulator.exports.record_cap = 10  # type: ignore[attr-defined]
        report = fetch(office, running, clients=[nip])
        assert report.problems == []
        expected = emulator_invoices(state, nip, "Subject2")
        assert len(expected) == 58
        assert archive_invoices(office, nip, "Subject2") == expected
        sub = report.clients[0].subjects["Subject2"]
        assert sub.new == 58 and sub.exports >= 7  # truncated packages were continued

        # A handful of new invoices later (stored after the last high-water mark, as in KSeF):
        # one metadata probe and single downloads, no export.
        running.emulator.clock.advance(timedelta(minutes=2))
        now = running.emulator.clock.now()
        running.emulator.invoices.store_many(  # type: ignore[attr-defined]
            _purchases(nip, [now - timedelta(seconds=30 - i) for i in range(3)], seed=8),
            rng=random.Random(9),
        )
        report = fetch(office, running, clients=[nip])
        sub = report.clients[0].subjects["Subject2"]
        assert (sub.new, sub.exports, sub.downloads, sub.metadata_queries) == (3, 0, 3, 1)
        assert archive_invoices(office, nip, "Subject2") == emulator_invoices(state, nip, "Subject2")

        # Many new ones: the probe sees more than a handful and an export follows.
        running.emulator.clock.advance(timedelta(minutes=2))
        now = running.emulator.clock.now()
        running.emulator.invoices.store_many(  # type: ignore[attr-defined]
            _purchases(nip, [now - timedelta(seconds=60 - i) for i in range(25)], seed=10),
            rng=random.Random(11),
        )
        report = fetch(office, running, clients=[nip])
        sub = report.clients[0].subjects["Subject2"]
        expected = emulator_invoices(state, nip, "Subject2")
        assert len(expected) > 80  # (the mix sends a couple of the 25 to a consumer and an EU buyer)
        assert sub.new == len(expected) - 61 and sub.downloads == 0 and sub.exports >= 3
        assert archive_invoices(office, nip, "Subject2") == expected


def test_first_run_start_date_and_unknown_client(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    from ksef_sheets.errors import UserError

    running = fresh_emulator()
    nip = seeded_state.clients[2].nip
    report = fetch(office, running, clients=[nip, nip], since=date(2026, 9, 1))
    assert len(report.clients) == 1
    with Archive.open(office) as archive:
        invoices = archive.list_invoices(nip)
    assert invoices and report.problems == []
    cutoff = datetime(2026, 8, 31, 22, 0, tzinfo=UTC)
    assert all(i.permanent_storage_date is not None and i.permanent_storage_date >= cutoff for i in invoices)
    assert len(invoices) < sum(
        len(emulator_invoices(state_of(running), nip, s)) for s in ("Subject1", "Subject2")
    )
    with pytest.raises(UserError, match="nie ma na liście"):
        fetch(office, running, clients=["5252248481"])
    with pytest.raises(UserError, match="--client"):
        fetch(office, running, clients=["123"])


def test_register_drives_the_fetch_and_gets_its_results(
    tmp_path: Path, fresh_emulator: Any, seeded_state: SeededState, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ksef_sheets.demo_data import DEMO_CLIENTS, demo_office_data
    from ksef_sheets.files import excel_lock_file
    from ksef_sheets.sheets import load_clients
    from ksef_sheets.workflows import init_office

    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    folder = OfficeFolder(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    vault = Vault.open(folder, PASSPHRASE)
    for client in seeded_state.clients:
        vault.add_token(client.nip, client.token)
    running = fresh_emulator()
    scenario_one = next(c for c in DEMO_CLIENTS if c.scenario == 1)
    wanted = [c.nip for c in seeded_state.clients] + [scenario_one.nip]
    progress = _Recorder()
    report = fetch(folder, running, clients=wanted, progress=progress)
    assert report.problems == [] and report.warnings == []
    by_nip = {c.nip: c for c in report.clients}
    assert by_nip[scenario_one.nip].skipped and "scenariusz 1" in by_nip[scenario_one.nip].skipped
    for seeded in seeded_state.clients:
        result = by_nip[seeded.nip]
        expected = ("Subject1", "Subject2") if seeded.scenario == 3 else ("Subject2",)
        assert tuple(result.subjects) == expected and result.name
        assert archive_invoices(folder, seeded.nip, "Subject2") == emulator_invoices(
            state_of(running), seeded.nip, "Subject2"
        )
    assert set(progress.finished) == set(wanted) and set(progress.started) == {
        c.nip for c in seeded_state.clients
    }
    assert sum(progress.advanced.values()) == report.new

    register = {c.nip: c for c in load_clients(folder)}
    first = seeded_state.clients[0]
    assert register[first.nip].new_invoices == by_nip[first.nip].new > 0
    assert register[first.nip].to_verify == by_nip[first.nip].to_verify == by_nip[first.nip].new
    assert register[first.nip].last_fetch is not None and not register[first.nip].fetch_problem

    # The office workbook is open in Excel: the archive is still updated, the summary warns.
    excel_lock_file(folder.office_workbook).write_text("księgowa")
    running.emulator.clock.advance(timedelta(minutes=1))
    report = fetch(folder, running, clients=[first.nip])
    assert report.problems == [] and len(report.warnings) == 1 and "otwarty" in report.warnings[0]


class _Recorder:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.advanced: dict[str, int] = {}

    def client_started(self, nip: str, name: str, subject_types: tuple[str, ...]) -> None:
        self.started.append(nip)

    def client_advanced(self, nip: str, new: int, message: str) -> None:
        self.advanced[nip] = self.advanced.get(nip, 0) + new

    def client_finished(self, result: Any) -> None:
        self.finished.append(result.nip)


def test_ten_running_exports_in_the_context_are_waited_out(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    from ksef_sheets.ksef import KsefClient, TokenCredential

    running = fresh_emulator()
    emu = running.emulator
    client = seeded_state.clients[0]
    emu.faults.export_delay = timedelta(seconds=3)

    async def occupy() -> None:
        async with KsefClient(running.base_url) as ksef:
            session = await ksef.login(client.nip, TokenCredential(client.nip, client.token))
            async with session:
                since = datetime(2026, 10, 1, tzinfo=UTC)
                for _ in range(10):
                    await session.start_export(
                        {
                            "subjectType": "Subject2",
                            "dateRange": {"dateType": "PermanentStorage", "from": since.isoformat()},
                        }
                    )

    asyncio.run(occupy())
    emu.faults.export_delay = timedelta(0)
    report = fetch(office, running, clients=[client.nip])
    assert report.problems == []
    assert_archive_matches(office, state_of(running), [client])


def test_office_certificate_logs_in_where_no_token_is_stored(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    """From 2027 offices log in with a certificate (XAdES): the vault's default one serves every client."""
    from ksef_sheets.demo_data import DEMO_OFFICE_NAME
    from ksef_sheets.ksef import make_seal_certificate

    running = fresh_emulator()
    client = seeded_state.clients[2]
    vault = Vault.open(office, PASSPHRASE)
    vault.remove(f"token:{client.nip}")
    vault.add_certificate(
        "biuro", make_seal_certificate(DEMO_OFFICE_NIP, DEMO_OFFICE_NAME, key_type="ec"), default=True
    )
    report = fetch(office, running, clients=[client.nip])
    assert report.problems == []
    assert_archive_matches(office, state_of(running), [client])


def test_spent_hourly_export_budget_defers_the_rest_to_the_next_run(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    running = fresh_emulator()
    client = seeded_state.clients[0]
    # A context allowed only 3 exports an hour (GET /rate-limits says so; the client adopts it).
    running.emulator.limits.set_custom(client.nip, {"invoiceExport": RateLimit(8, 16, 3)})
    report = fetch(office, running, clients=[client.nip])
    assert report.problems == [] and report.deferred and report.rate_limited == 0
    assert "limit eksportów" in report.deferred[0] and "Dokończenie później" in "\n".join(
        report.summary_lines()
    )
    assert report.requests_by_group["invoiceExport"] == 3
    partial = sum(len(archive_invoices(office, client.nip, s)) for s in ("Subject1", "Subject2"))
    assert (
        0
        < partial
        < sum(len(emulator_invoices(state_of(running), client.nip, s)) for s in ("Subject1", "Subject2"))
    )

    running.emulator.limits.clear(client.nip)  # the usual budget again
    later = fetch(office, running, clients=[client.nip])
    assert later.problems == [] and later.deferred == []
    assert_archive_matches(office, state_of(running), [client])


def test_spent_download_budget_switches_a_handful_to_an_export(
    office: OfficeFolder, fresh_emulator: Any, seeded_state: SeededState
) -> None:
    running = fresh_emulator()
    emu = running.emulator
    client = seeded_state.clients[0]
    assert fetch(office, running, clients=[client.nip]).problems == []
    emu.clock.advance(timedelta(minutes=2))
    now = emu.clock.now()
    emu.invoices.store_many(  # type: ignore[attr-defined]
        _purchases(client.nip, [now - timedelta(seconds=30 - i) for i in range(3)], seed=21),
        rng=random.Random(22),
    )
    emu.limits.set_custom(client.nip, {"invoiceDownload": RateLimit(8, 16, 1)})
    report = fetch(office, running, clients=[client.nip])
    sub = report.clients[0].subjects["Subject2"]
    assert report.problems == [] and report.rate_limited == 0
    assert sub.downloads == 1 and sub.exports == 1 and sub.new == 3
    assert_archive_matches(office, state_of(running), [client])
