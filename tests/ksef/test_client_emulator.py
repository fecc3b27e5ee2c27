"""The KSeF client against the emulator over loopback HTTP, with real crypto and spec-checked requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import logging
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from ksef_sheets.fa3.generator import generate_invoice
from ksef_sheets.fa3.sales import Party
from ksef_sheets.ksef import (
    KsefAuthenticationError,
    KsefClient,
    KsefError,
    KsefPackageError,
    KsefPermissionError,
    KsefSession,
    KsefUnavailableError,
    NoLimiter,
    RateLimiter,
    RetryPolicy,
    make_person_certificate,
    make_seal_certificate,
)
from ksef_sheets.ksef.crypto import sha256_b64
from ksef_sheets.redaction import install_log_redaction
from tests.ksef.conftest import RecordingTransport, emulator_clock

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def recent_filters(subject_type: str = "Subject2", days: int = 80) -> dict[str, Any]:
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    return {
        "subjectType": subject_type,
        "dateRange": {"dateType": "PermanentStorage", "from": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }


async def with_session(
    base_url: str,
    transport: RecordingTransport,
    nip: str,
    token: str,
    body: Callable[[KsefSession], Awaitable[T]],
    **kw: Any,
) -> T:
    async with KsefClient(base_url, transport=transport, **kw) as client:
        session = await client.login_with_token(nip, token)
        async with session:
            return await body(session)


def test_token_login_in_every_client_context_refresh_and_logout(
    emulator: Any, transport: RecordingTransport
) -> None:
    seed = emulator.seed_info
    office = seed.office["nip"]

    async def body() -> None:
        async with KsefClient(emulator.base_url, transport=transport) as client:
            for item in seed.clients:
                session = await client.login_with_token(item["nip"], item["token"])
                granted = await session.query_permissions("personal")
                scopes = {
                    p.permission_scope
                    for p in granted
                    if p.authorized_identifier and p.authorized_identifier.value == office
                }
                assert "InvoiceRead" in scopes
                assert ("InvoiceWrite" in scopes) == (item["scenario"] == 3)
                await session.refresh()
                assert session._access_token and session.access_valid_until > client.now()
                await session.logout()
                assert session.closed
                with pytest.raises(KsefError):  # the refresh token was revoked with the login
                    await KsefSession.refresh(session)

    run(body())
    paths = [s.path for s in transport.sent]
    assert paths.count("/auth/challenge") == len(seed.clients)
    assert "/auth/sessions/current" in paths
    assert all(s.in_spec for s in transport.sent)


@pytest.mark.parametrize("key_type", ["rsa", "ec"])
def test_xades_login_with_office_seal(emulator: Any, transport: RecordingTransport, key_type: str) -> None:
    seed = emulator.seed_info
    seal = make_seal_certificate(seed.office["nip"], seed.office["name"], key_type=key_type)  # type: ignore[arg-type]

    async def body() -> list[int]:
        counts = []
        async with KsefClient(emulator.base_url, transport=transport) as client:
            for item in seed.clients[:2]:
                async with await client.login_with_certificate(item["nip"], seal) as session:
                    assert session.method == "certificate"
                    page = await session.query_metadata(recent_filters(), 0, 10)
                    counts.append(len(page.invoices))
        return counts

    counts = run(body())
    assert len(counts) == 2
    xades = [s for s in transport.sent if s.path == "/auth/xades-signature"]
    assert len(xades) == 2 and xades[0].headers["content-type"] == "application/xml"


def test_login_without_permission_fails_with_ksef_status_and_polish_message(
    emulator: Any, transport: RecordingTransport
) -> None:
    seed = emulator.seed_info
    client_nip = seed.clients[0]["nip"]
    stranger = make_person_certificate("Anna", "Obca", nip="5252248481")
    office_seal = make_seal_certificate(seed.office["nip"], "Biuro")

    async def body() -> None:
        async with KsefClient(emulator.base_url, transport=transport) as client:
            with pytest.raises(KsefPermissionError) as no_rights:
                await client.login_with_certificate(client_nip, stranger)
            assert no_rights.value.code == 415
            assert f"kontekście klienta {client_nip}" in str(no_rights.value)
            assert "InvoiceRead" in str(no_rights.value)
            # The same seal identified by fingerprint: nobody granted that fingerprint anything.
            with pytest.raises(KsefPermissionError):
                await client.login_with_certificate(client_nip, office_seal, "certificateFingerprint")
            with pytest.raises(KsefAuthenticationError) as bad_token:
                await client.login_with_token(client_nip, seed.clients[1]["token"])
            assert bad_token.value.code and bad_token.value.code >= 400
            assert "ksef-sheets credentials add" in str(bad_token.value)
            assert seed.clients[1]["token"] not in str(bad_token.value)

    run(body())


def test_missing_invoice_write_is_a_403_with_the_clients_nip(
    emulator: Any, transport: RecordingTransport
) -> None:
    reader = next(c for c in emulator.seed_info.clients if c["scenario"] != 3)

    async def body(session: KsefSession) -> None:
        with pytest.raises(KsefPermissionError) as error:
            await session.open_online_session()
        assert error.value.status == 403
        assert error.value.missing and "InvoiceWrite" in error.value.missing
        assert str(error.value).startswith(f"Klient {reader['nip']} nie nadał biuru uprawnienia InvoiceWrite")

    run(with_session(emulator.base_url, transport, reader["nip"], reader["token"], body))


def test_metadata_export_and_download_agree(emulator: Any, transport: RecordingTransport) -> None:
    item = max(emulator.seed_info.clients, key=lambda c: c["invoices"]["Subject2"])

    async def body(session: KsefSession) -> None:
        filters = recent_filters()
        listed = [m async for m in session.iter_metadata(filters, page_size=50)]
        assert listed, "the seeded client has recent purchase invoices"
        assert len({m.ksef_number for m in listed}) == len(listed)
        result = await session.export_invoices(filters)
        assert {m.ksef_number for m in result.metadata} == {m.ksef_number for m in listed}
        assert set(result.invoices) == {m.ksef_number for m in listed}
        assert result.is_truncated is False
        assert result.permanent_storage_hwm_date is not None
        for meta in listed[:3]:
            xml = await session.download_invoice(meta.ksef_number)
            assert xml == result.invoices[meta.ksef_number]
            assert sha256_b64(xml) == meta.invoice_hash
        only_meta = await session.export_invoices(filters, only_metadata=True)
        assert only_meta.invoices == {} and len(only_meta.metadata) == len(listed)

    run(with_session(emulator.base_url, transport, item["nip"], item["token"], body))
    storage = [s for s in transport.sent if not s.in_spec]
    assert storage, "export parts come from storage links"
    assert all("authorization" not in s.headers for s in storage)
    assert all(s.method == "GET" for s in storage)


def test_online_session_send_status_upo(emulator: Any, transport: RecordingTransport) -> None:
    writer = next(c for c in emulator.seed_info.clients if c["scenario"] == 3)
    xml = generate_invoice(
        random.Random(7),
        seller=Party(name=writer["name"], nip=writer["nip"]),
        buyer=Party(name="Odbiorca Sp. z o.o.", nip="5252248481"),
        issue_date=dt.date.today(),
        number="FV/TEST/1",
    )

    async def body(session: KsefSession) -> None:
        online = await session.open_online_session()
        async with online:
            reference = await online.send_invoice(xml)
            status = await online.wait_for_invoice(reference)
            assert status.status.code == 200, status.status
            assert status.ksef_number and status.ksef_number.startswith(writer["nip"])
            upo = await online.invoice_upo(invoice_reference=reference)
            assert status.ksef_number.encode() in upo
        final = await online.wait()
        assert final.status.code == 200 and final.invoice_count == 1 and final.successful_invoice_count == 1
        pages = await online.upo()
        assert pages and status.ksef_number.encode() in b"".join(pages)

    run(with_session(emulator.base_url, transport, writer["nip"], writer["token"], body))


def test_public_key_id_unknown_refetches_keys(emulator: Any, transport: RecordingTransport) -> None:
    item = emulator.seed_info.clients[0]

    async def body() -> None:
        async with KsefClient(emulator.base_url, transport=transport) as client:
            keys = await client.public_keys()
            for key in keys:
                key.public_key_id = "A" * 43 + "="  # a withdrawn key id → 21470 → refetch and retry
            session = await client.login_with_token(item["nip"], item["token"])
            await session.logout()

    run(body())
    fetches = [s for s in transport.sent if s.path == "/security/public-key-certificates"]
    tokens = [st for st in transport.statuses if st[1] == "/auth/ksef-token"]
    assert len(fetches) == 2 and [st[2] for st in tokens] == [400, 202]


# --- limits, retries ------------------------------------------------------------------------------


def test_burst_with_prod_limits_never_meets_429(make_emulator: Any, transport: RecordingTransport) -> None:
    running = make_emulator(seed=3, clients=1, limits="prod")
    emu = running.emulator
    item = running.seed_info.clients[0]
    clock = emulator_clock(emu)
    limiter = RateLimiter(clock=clock)

    async def body(session: KsefSession) -> None:
        for _ in range(25):  # more than the 20/h of invoiceMetadata
            await session.query_metadata(recent_filters(), 0, 10)

    start = emu.clock.now()
    run(
        with_session(
            running.base_url,
            transport,
            item["nip"],
            item["token"],
            body,
            limiter=limiter,
            clock=clock,
            now=emu.clock.now,
        )
    )
    statuses = [st for st in transport.statuses if st[1] == "/invoices/query/metadata"]
    assert len(statuses) == 25 and {st[2] for st in statuses} == {200}, " ".join(
        str(s[2]) for s in transport.statuses
    )
    assert all(st[2] != 429 for st in transport.statuses)
    assert emu.clock.now() - start >= dt.timedelta(hours=1)  # the limiter waited (on emulated time)


def test_server_429_is_retried_after_retry_after(make_emulator: Any, transport: RecordingTransport) -> None:
    running = make_emulator(seed=3, clients=1, limits="prod")
    emu = running.emulator
    item = running.seed_info.clients[0]
    clock = emulator_clock(emu)
    transport.now = emu.clock.timestamp

    async def body(session: KsefSession) -> None:
        for _ in range(12):  # 8/s and 16/min on the server, no client-side limiter
            await session.query_metadata(recent_filters(), 0, 10)

    start = emu.clock.now()
    run(
        with_session(
            running.base_url,
            transport,
            item["nip"],
            item["token"],
            body,
            limiter=NoLimiter(clock=clock),
            clock=clock,
            now=emu.clock.now,
        )
    )
    codes = [st[2] for st in transport.statuses if st[1] == "/invoices/query/metadata"]
    assert 429 in codes and codes.count(200) == 12
    assert emu.clock.now() - start >= dt.timedelta(seconds=1)
    timeline = [t for t in transport.timeline if t[1] == "/invoices/query/metadata"]
    for (sent, _, status, retry_after), (next_sent, _, _, _) in itertools.pairwise(timeline):
        if status == 429:
            assert retry_after is not None
            assert next_sent - sent >= float(retry_after)  # the whole Retry-After, not a capped part of it


def test_5xx_and_dropped_connections_retried_only_when_idempotent(
    make_emulator: Any, transport: RecordingTransport
) -> None:
    running = make_emulator(seed=3, clients=1)
    emu = running.emulator
    item = running.seed_info.clients[0]
    clock = emulator_clock(emu)

    async def body(session: KsefSession) -> None:
        emu.faults.fail_next(2, status=503, path_prefix="/invoices/query/metadata")
        assert (await session.query_metadata(recent_filters(), 0, 10)).invoices is not None
        emu.faults.drop_next(1, path_prefix="/invoices/query/metadata")
        await session.query_metadata(recent_filters(), 0, 10)
        emu.faults.fail_next(1, status=500, path_prefix="/invoices/exports", method="POST")
        with pytest.raises(KsefUnavailableError, match="błąd serwera 500"):
            await session.start_export(recent_filters())
        emu.faults.drop_next(1, path_prefix="/invoices/exports", method="POST")
        with pytest.raises(KsefUnavailableError, match="KSeF nie odpowiada"):
            await session.start_export(recent_filters())
        emu.faults.fail_next(9, status=502, path_prefix="/invoices/query/metadata")
        with pytest.raises(KsefUnavailableError):
            await session.query_metadata(recent_filters(), 0, 10)
        emu.faults.clear()

    run(
        with_session(
            running.base_url,
            transport,
            item["nip"],
            item["token"],
            body,
            clock=clock,
            now=emu.clock.now,
            retry=RetryPolicy(max_retries=3),
        )
    )
    metadata = [st[2] for st in transport.statuses if st[1] == "/invoices/query/metadata"]
    assert metadata[:4] == [503, 503, 200, 200]  # (the dropped one has no status)
    exports = [s for s in transport.sent if s.path == "/invoices/exports"]
    assert len(exports) == 2  # each non-idempotent POST went out exactly once


# --- secrets --------------------------------------------------------------------------------------


def test_no_secret_in_logs_errors_or_files(
    emulator: Any, transport: RecordingTransport, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    install_log_redaction()  # as the command line does; reaches pytest's capturing handler too
    seed = emulator.seed_info
    item = seed.clients[0]
    seen: list[str] = []
    secrets: list[str] = [c["token"] for c in seed.clients]

    async def body() -> None:
        async with KsefClient(emulator.base_url, transport=transport) as client:
            session = await client.login_with_token(item["nip"], item["token"])
            secrets.extend([session._access_token, session._refresh_token])
            result = await session.export_invoices(recent_filters())
            (tmp_path / "meta.json").write_bytes(result.metadata_json or b"")
            secrets.extend(
                urlsplit(part.url).query for part in result.package.parts if urlsplit(part.url).query
            )
            await session.logout()
            for nip, token in (
                (seed.clients[1]["nip"], item["token"]),
                (item["nip"], "zly-token-" + "x" * 20),
            ):
                try:
                    await client.login_with_token(nip, token)
                except KsefError as error:
                    seen.extend([str(error), repr(error), error.description or "", *error.details])
            try:
                await session.query_metadata(recent_filters(), 0, 10)
            except KsefError as error:
                seen.append(str(error))

    run(body())
    secrets.append("zly-token-" + "x" * 20)
    haystack = (
        caplog.text + "\n".join(seen) + "".join(p.read_text("utf-8", "replace") for p in tmp_path.iterdir())
    )
    for secret in secrets:
        assert secret and secret not in haystack
    for sent in transport.sent:  # and the token never travels in a URL
        assert all(secret not in sent.path for secret in secrets)


def test_batch_session_sends_a_zip_of_invoices(emulator: Any, transport: RecordingTransport) -> None:
    writer = next(c for c in emulator.seed_info.clients if c["scenario"] == 3)
    rng = random.Random(11)
    files = {
        f"faktura-{n}.xml": generate_invoice(
            rng,
            seller=Party(name=writer["name"], nip=writer["nip"]),
            buyer=Party(name="Odbiorca Sp. z o.o.", nip="5252248481"),
            issue_date=dt.date.today(),
            number=f"FV/BATCH/{n}",
        )
        for n in (1, 2)
    }

    async def body(session: KsefSession) -> None:
        batch = await session.open_batch_session(files)
        final = await batch.wait()
        assert final.status.code == 200, final.status
        invoices = await batch.invoices()
        assert len(invoices) == 2 and all(i.ksef_number for i in invoices)
        assert {i.invoice_hash for i in invoices} == {sha256_b64(x) for x in files.values()}

    run(with_session(emulator.base_url, transport, writer["nip"], writer["token"], body))
    uploads = [s for s in transport.sent if s.method == "PUT"]
    assert len(uploads) == 1 and "authorization" not in uploads[0].headers and not uploads[0].in_spec


def test_long_run_refreshes_and_logs_in_again_after_the_refresh_token_expires(
    make_emulator: Any, transport: RecordingTransport
) -> None:
    running = make_emulator(seed=3, clients=1)
    emu = running.emulator
    item = running.seed_info.clients[0]
    clock = emulator_clock(emu)

    async def body(session: KsefSession) -> None:
        first = session.reference_number
        emu.clock.advance(dt.timedelta(minutes=30))  # access token expired → refresh
        await session.query_metadata(recent_filters(), 0, 10)
        assert session.reference_number == first
        emu.clock.advance(dt.timedelta(days=8))  # refresh token expired too → a new login
        await session.query_metadata(recent_filters(), 0, 10)
        assert session.reference_number != first

    run(
        with_session(
            running.base_url, transport, item["nip"], item["token"], body, clock=clock, now=emu.clock.now
        )
    )
    paths = [s.path for s in transport.sent]
    assert paths.count("/auth/token/refresh") >= 1 and paths.count("/auth/ksef-token") == 2
    assert all(code != 401 for _, _, code in transport.statuses)


def test_iter_metadata_moves_the_window_when_truncated(
    make_emulator: Any, transport: RecordingTransport
) -> None:
    running = make_emulator(seed=5, clients=1)
    emu = running.emulator
    item = running.seed_info.clients[0]

    async def body(session: KsefSession) -> tuple[list[str], list[str]]:
        filters = recent_filters("Subject2", days=85)
        everything = [m.ksef_number async for m in session.iter_metadata(filters, page_size=250)]
        emu.invoices.query_cap = 10  # KSeF's 10,000-record cap, scaled down
        walked = [m.ksef_number async for m in session.iter_metadata(filters, page_size=10)]
        return everything, walked

    everything, walked = run(with_session(running.base_url, transport, item["nip"], item["token"], body))
    assert len(everything) > 25, "the seeded client needs enough invoices to hit the scaled-down cap twice"
    assert walked == everything  # same order, nothing lost, boundary duplicates removed
    starts = {
        json.loads(s.body)["dateRange"]["from"]
        for s in transport.sent
        if s.path == "/invoices/query/metadata"
    }
    assert len(starts) >= 3  # the window really moved forward after each truncated batch


def test_office_staff_and_fingerprint_subjects(make_emulator: Any, transport: RecordingTransport) -> None:
    running = make_emulator(seed=3, clients=1)
    emu = running.emulator
    seed = running.seed_info
    client_nip, office_nip = seed.clients[0]["nip"], seed.office["nip"]
    employee = make_person_certificate("Ewa", "Księgowa", pesel="90010112345", key_type="ec")
    seal = make_seal_certificate("5252248481", "Inne Biuro")  # a seal whose NIP has no rights anywhere
    # The office passes the client's delegable InvoiceRead to its employee (PROTOCOL §6.3 point 3),
    # and the client grants a certificate fingerprint InvoiceRead + CredentialsRead directly.
    emu.permissions.grant_indirect(office_nip, "Pesel", "90010112345", ["InvoiceRead"], target_nip=client_nip)
    emu.permissions.grant_person(
        client_nip, "Fingerprint", seal.fingerprint_sha256, ["InvoiceRead", "CredentialsRead"]
    )

    async def body() -> None:
        async with KsefClient(running.base_url, transport=transport) as client:
            async with await client.login_with_certificate(client_nip, employee) as session:
                await session.query_metadata(recent_filters(), 0, 10)
            with pytest.raises(KsefPermissionError):
                await client.login_with_certificate(client_nip, seal)  # by subject (NIP): nothing granted
            async with await client.login_with_certificate(
                client_nip, seal, "certificateFingerprint"
            ) as session:
                await session.query_metadata(recent_filters(), 0, 10)
                everyone = await session.query_permissions("persons")
                assert any(
                    p.authorized_identifier and p.authorized_identifier.value == seal.fingerprint_sha256
                    for p in everyone
                )

    run(body())


def test_oversized_responses_are_refused_while_reading(emulator: Any, transport: RecordingTransport) -> None:
    async def body() -> None:
        async with KsefClient(emulator.base_url, transport=transport) as client:
            with pytest.raises(KsefPackageError, match="zbyt dużą odpowiedź"):
                await client.request("GET", "/security/public-key-certificates", max_bytes=100)
            assert len(await client.public_keys()) >= 2  # the normal cap lets it through

    run(body())
