"""What every office run against KSeF needs around it (fetch, send): ``office_run``.

The in-process emulator on the office's state folder with its clock, a transport that counts
requests per limit group, the vault's credentials, one run of a kind at a time per office (a file
lock), the run's log file with secrets masked, the KSeF client for the run's length, and the Polish
text of a problem. ``office_run`` puts them together once for every kind of run; the pieces stay
public for the commands that need only one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TextIO

import httpx

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.files import restrict_file
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.ksef import Clock, KsefClient, RateLimiter, SystemClock, base_url_for, group_for
from ksef_sheets.redaction import RedactingFilter, redact
from ksef_sheets.text import warsaw_time

CredentialSource = Callable[[str], Any]


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts requests per limit group and responses per status (the report's and benchmarks' figures)."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.groups: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.limited_groups: Counter[str] = Counter()
        self.failures = 0

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        marker = path.find("/v2/")
        relative = path[marker + 3 :] if marker >= 0 else path
        group = group_for(request.method, relative)
        group = "other" if group.startswith("other:") else group
        self.groups[group] += 1
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.failures += 1
            raise
        self.statuses[response.status_code] += 1
        if response.status_code == 429:
            self.limited_groups[group] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class EmulatedClock:
    """The limiter's clock on the emulator's time line (which tests and benchmarks speed up)."""

    def __init__(self, emulator_clock: Any) -> None:
        self._clock = emulator_clock

    @property
    def speed(self) -> float:
        return float(self._clock.speed)

    def monotonic(self) -> float:
        return float(self._clock.timestamp())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / max(1e-9, self.speed))


class RemoteEmulatorClock:
    """The clock of an emulator running elsewhere, read once from its ``/_emulator/clock`` answer.

    A shared training server may run on another date or sped up; the office's run then computes
    "now" and the limiter's waits on the server's time line, as with the in-process emulator.
    """

    def __init__(self, now: datetime, speed: float) -> None:
        self._anchor_real = time.monotonic()
        self._anchor_emu = now
        self.speed = speed

    def now(self) -> datetime:
        return self._anchor_emu + timedelta(seconds=(time.monotonic() - self._anchor_real) * self.speed)

    def timestamp(self) -> float:
        return self.now().timestamp()


def connect_remote_emulator(base_url: str) -> RemoteEmulatorClock:
    """Check that the emulator at ``base_url`` answers and read its clock; a Polish sentence if not."""
    where = f"Emulator KSeF pod adresem {base_url} (emulator_url w ksef-sheets.toml)"
    hint = "uruchom go poleceniem „ksef-sheets emulator” albo usuń emulator_url z ksef-sheets.toml"
    try:
        response = httpx.post(f"{base_url}/_emulator/clock", json={}, timeout=10.0)
    except httpx.HTTPError:
        raise UserError(f"{where} nie odpowiada — {hint}.") from None
    try:
        response.raise_for_status()
        body = response.json()
        now = datetime.fromisoformat(body["now"]).astimezone(UTC)
        speed = float(body["speed"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        raise UserError(
            f"{where} odpowiada, ale nie jak emulator ksef-sheets (HTTP {response.status_code}) — "
            "sprawdź adres i port."
        ) from None
    return RemoteEmulatorClock(now, speed if speed > 0 else 1.0)


@dataclass(frozen=True)
class TrainingClient:
    """A client named in a training office's ``clients`` list, as the emulator's first seed takes
    it: invoices of a small firm from February 2026 (the seed's own defaults for made-up clients)."""

    nip: str
    name: str
    scenario: int = 2
    sales_per_month: tuple[int, int] = (10, 20)
    purchases_per_month: tuple[int, int] = (20, 40)
    ksef_start: date = date(2026, 2, 1)


def start_office_emulator(
    folder: OfficeFolder, config: OfficeConfig, stack: contextlib.ExitStack
) -> tuple[str, Any]:
    """The office's emulator: the one at ``emulator_url`` when set, else one started on ``stack``.

    With ``emulator_seed`` an empty state is seeded for *this* office (its NIP and name from the
    config, so its tokens and certificates log in) and its ``clients`` by NIP, topped up to ten
    with made-up clients. A state that exists already is never seeded again.
    """
    from ksef_sheets.emulator import SeedOffice, run_emulator

    if config.emulator_url:
        return config.emulator_url, connect_remote_emulator(config.emulator_url)
    state_dir = folder.root / config.emulator_state if config.emulator_state else folder.emulator_dir
    extra = config.model_extra or {}
    seed = extra.get("emulator_seed")
    named = [
        TrainingClient(normalize_nip(nip), f"Klient {normalize_nip(nip)}")
        for nip in dict.fromkeys(config.clients)
        if not nip_problem(nip) and normalize_nip(nip) != config.office_nip
    ]
    running = stack.enter_context(
        run_emulator(
            state_dir,
            seed=int(seed) if isinstance(seed, int) else None,
            office=SeedOffice(config.office_nip, config.office_name, named),
            clients=max(10, len(named)),
            limits=str(extra.get("emulator_limits", "off")),
        )
    )
    return running.base_url, running.emulator.clock


@contextlib.contextmanager
def office_run_lock(folder: OfficeFolder, name: str, busy: str) -> Iterator[None]:
    """One run of a kind per office at a time (``name`` is the lock file); the second one gets ``busy``."""
    folder.root.mkdir(parents=True, exist_ok=True)
    path = folder.root / name
    handle: TextIO = open(path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            lock_file(handle)
        except OSError as exc:
            raise UserError(busy) from exc
        yield
    finally:
        with contextlib.suppress(OSError):
            unlock_file(handle)
        handle.close()


def lock_file(handle: TextIO) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def unlock_file(handle: TextIO) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class _WarsawFormatter(logging.Formatter):
    """Log times on the Polish clock, like everything else people read (a server may run on UTC)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = warsaw_time(datetime.fromtimestamp(record.created, UTC))
        return f"{moment:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d}"


@contextlib.contextmanager
def log_to_file(folder: OfficeFolder, name: str = "pobieranie.log") -> Iterator[None]:
    """The run's log (with secrets masked) in ``logi/<name>`` for the office's IT person."""
    try:
        folder.logs_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder.logs_dir / name, encoding="utf-8")
        restrict_file(folder.logs_dir / name)  # logs name clients: the folder's permission policy
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.ERROR)
    else:
        handler.setLevel(logging.INFO)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(_WarsawFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    targets = [logging.getLogger("ksef_sheets")]
    previous = [t.level for t in targets]
    for target in targets:
        target.addHandler(handler)
        if target.level == logging.NOTSET or target.level > logging.INFO:
            target.setLevel(logging.INFO)
    try:
        yield
    finally:
        for target, level in zip(targets, previous, strict=True):
            target.removeHandler(handler)
            target.setLevel(level)
        handler.close()


def problem_message(exc: BaseException) -> str:
    """A problem as one Polish sentence for the report (secrets masked, no traceback)."""
    if isinstance(exc, UserError):
        return redact(str(exc))
    if isinstance(exc, httpx.HTTPError):
        return f"brak połączenia z KSeF ({type(exc).__name__})."
    return redact(str(exc)) or type(exc).__name__


def vault_credentials(folder: OfficeFolder) -> CredentialSource:
    from ksef_sheets.vault import Vault

    vault = Vault.open(folder, create=False)
    return vault.credential_for_client


# --------------------------------------------------------------------------------------------
# One run's set-up, shared by fetch and send


@dataclass(frozen=True)
class RunKind:
    """What kind of run this is: its lock file, the sentence for a second one, its log file.

    ``busy`` may name the office folder as ``{root}``.
    """

    lock_name: str
    busy: str
    log_name: str


FETCH_RUN = RunKind(
    ".pobieranie.lock",
    "Pobieranie faktur dla biura {root} już trwa w innym oknie lub zadaniu; poczekaj, aż się zakończy.",
    "pobieranie.log",
)
SEND_RUN = RunKind(
    ".wysylka.lock",
    "Wysyłka faktur dla biura {root} już trwa w innym oknie lub zadaniu; poczekaj, aż się zakończy.",
    "wysylka.log",
)


@dataclass
class OfficeRun:
    """What a run has around it while ``office_run`` lasts.

    ``ksef`` (and ``base_url``, ``limiter``) is None when the run was set up with ``connect=False``;
    ``counter`` then counts nothing. ``now`` is the run's "now" (the emulator's time line when the
    emulator is started here, else the given one or the wall clock, UTC).
    """

    config: OfficeConfig
    clock: Clock
    now: Callable[[], datetime]
    credentials: CredentialSource
    counter: CountingTransport
    base_url: str | None = None
    limiter: RateLimiter | None = None
    ksef: KsefClient | None = None
    # The run's own resources (archive, journal …) entered here close before the lock is released.
    stack: contextlib.ExitStack | None = None


def no_credentials(nip: str) -> Any:  # pragma: no cover - a run that does not connect never asks
    raise UserError("Próba wysyłki nie loguje się do KSeF.")


@contextlib.asynccontextmanager
async def office_run(
    folder: OfficeFolder,
    config: OfficeConfig,
    kind: RunKind,
    *,
    lock: bool = True,
    connect: bool = True,
    prepare: Callable[[], None] | None = None,
    base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: RateLimiter | None = None,
    clock: Clock | None = None,
    now: Callable[[], datetime] | None = None,
    credentials: CredentialSource | None = None,
    margin_follows_speed: bool = False,
) -> AsyncIterator[OfficeRun]:
    """The set-up of one office run against KSeF (fetch, send), torn down in reverse on exit.

    In order: the run lock ``kind.lock_name`` (a second run of the kind gets ``kind.busy`` as a
    ``UserError``) and the run's log ``logi/<kind.log_name>`` — both only when ``lock`` (a send's
    dry run takes neither) —; ``prepare()`` (e.g. removing leftovers of interrupted writes, under
    the lock); then, when ``connect``: the KSeF address (``base_url``, else the config's
    environment — for ``emulator`` the emulator at ``emulator_url`` or one started in process on
    the office's state folder, whose clock becomes the run's clock and "now"), the limiter, the
    credential source (default: the office vault) and the ``KsefClient``, open until the exit.

    The keyword arguments after ``prepare`` exist for tests, benchmarks and embedding: an httpx
    ``transport`` (wrapped in the run's ``CountingTransport``), a shared ``limiter`` and ``clock``,
    ``now`` for window planning, a ``credentials`` source. ``margin_follows_speed``: the limiter's
    safety margin (0.05 s) is multiplied by the clock's speed — network jitter is stretched by a
    sped-up emulator clock (fetch sets it; send keeps the plain margin). Without ``connect`` there
    is no emulator, limiter or client, and the credential source (unless given) refuses to log in.
    """
    with contextlib.ExitStack() as stack:
        if lock:
            stack.enter_context(office_run_lock(folder, kind.lock_name, kind.busy.format(root=folder.root)))
            stack.enter_context(log_to_file(folder, kind.log_name))
        if prepare is not None:
            prepare()
        if not connect:
            run_clock = clock or (limiter.clock if limiter else SystemClock())
            yield OfficeRun(
                config=config,
                clock=run_clock,
                now=now or _utc_now,
                credentials=credentials or no_credentials,
                counter=CountingTransport(transport),
                stack=stack,
            )
            return
        if base_url is None:
            if config.environment == "emulator":
                base_url, emulated = start_office_emulator(folder, config, stack)
                now = now or emulated.now
                clock = clock or EmulatedClock(emulated)
            else:
                base_url = base_url_for(config.environment)
        clock = clock or (limiter.clock if limiter else SystemClock())
        if limiter is None:
            speed = max(1.0, getattr(clock, "speed", 1.0)) if margin_follows_speed else 1.0
            limiter = RateLimiter(clock=clock, margin=0.05 * speed)
        credential_for = credentials or vault_credentials(folder)
        counter = CountingTransport(transport)
        async with KsefClient(base_url, transport=counter, limiter=limiter, clock=clock) as ksef:
            yield OfficeRun(
                config=config,
                clock=clock,
                now=now or _utc_now,
                credentials=credential_for,
                counter=counter,
                base_url=base_url,
                limiter=limiter,
                ksef=ksef,
                stack=stack,
            )


def _utc_now() -> datetime:
    return datetime.now(UTC)
