"""Deterministic seeding: client companies, the office's access to them, and their invoices.

``seed(emu, seed=42, office=office, clients=10)`` fills an emulator with

- the office (``office.nip``, ``office.name``) and N clients: the first ones are ``office.clients``
  (same NIPs, names, scenarios, monthly volumes, KSeF start; the demo passes its ten clients,
  ``demo_data.demo_seed_office()``), further ones get random checksum-valid NIPs. The data come in
  as an argument: the emulator knows no office of its own. Without one (``office=None``) the office
  is a made-up one (NIP and name drawn from the seed) and every client is random;
- in every client's context an entity permission for the office (InvoiceRead, + InvoiceWrite for
  scenario 3) and a KSeF token whose author is the office;
- XSD-valid FA(3) invoices from ``ksef_sheets.fa3.generate_mix`` between February 2026 and today:
  purchases (issued by suppliers, Subject2 for the client) and sales (Subject1, from the client's
  KSeF start), with several VAT rates, corrections, EUR invoices, advances and settlements, split
  payment, a consumer and EU buyers; about 5% sent offline (acceptance 1–3 days after P_1).
  Every invoice is stored once (seller = Podmiot1), so a purchase of one client is a sale of a
  supplier.

and writes ``state_dir/seed.json`` (the format in ``docs/emulator.md``). The same seed gives the same
seed.json and the same invoices (bytes, KSeF numbers, dates) on the same day — except the KSeF
tokens, which are secrets and therefore always random. Volumes scale with ``volume``;
``invoices_per_client`` asks for about that many invoices per client instead (benchmarks).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ksef_sheets.emulator.invoice_xml import parse_invoice
from ksef_sheets.emulator.invoices import NewInvoice, assign_ksef_number
from ksef_sheets.emulator.wire import WARSAW, truncate_ms
from ksef_sheets.fa3 import Party, generate_mix
from ksef_sheets.files import atomic_write_bytes
from ksef_sheets.identifiers import nip_check_digit

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

SEED_FILE = "seed.json"
SEED_START = date(2026, 2, 1)
OFFLINE_SHARE = 0.05
PARALLEL_FROM = 6000  # invoices; below this, starting worker processes costs more than it saves

_NAME_STEMS = (
    "Agro",
    "Bud",
    "Elektro",
    "Farm",
    "Inter",
    "Kom",
    "Log",
    "Med",
    "Metal",
    "Paks",
    "Polo",
    "Prim",
    "Stal",
    "Tech",
    "Trans",
    "Wod",
)
_NAME_TAILS = ("ex", "pol", "mar", "bit", "tor", "dom", "serwis", "gaz", "land", "net")
_FORMS = ("Sp. z o.o.", "S.A.", "Sp. j.", "Sp. k.", "s.c.")
_CITIES = (
    ("ul. Przemysłowa 4", "61-001 Poznań"),
    ("ul. Składowa 12", "90-001 Łódź"),
    ("al. Jerozolimskie 181", "02-222 Warszawa"),
    ("ul. Portowa 3", "80-001 Gdańsk"),
    ("ul. Fabryczna 22", "50-001 Wrocław"),
)
_EU_CUSTOMERS = (
    Party(
        name="Nordlicht Logistik GmbH", eu_code="DE", eu_vat="811234567", country="DE", address1="Hafenstr. 5"
    ),
    Party(
        name="Bohemia Trade s.r.o.", eu_code="CZ", eu_vat="27123456", country="CZ", address1="Na Příkopě 12"
    ),
)


class SeedClient(Protocol):
    """A client company the seed starts with by name (``demo_data.DemoClient`` is one)."""

    @property
    def nip(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def scenario(self) -> int: ...
    @property
    def sales_per_month(self) -> tuple[int, int]: ...
    @property
    def purchases_per_month(self) -> tuple[int, int]: ...
    @property
    def ksef_start(self) -> date: ...


@dataclass(frozen=True)
class SeedOffice:
    """The accounting office the seed gives access to its clients, and the clients it names."""

    nip: str
    name: str
    clients: Sequence[SeedClient] = ()


def made_up_office(seed: int) -> SeedOffice:
    """The office of a seed run without one: NIP and name drawn from the seed, no named clients."""
    rng = random.Random(f"office:{seed}")
    return SeedOffice(random_nip(rng), f"Biuro Rachunkowe {rng.choice(_NAME_STEMS)}{rng.choice(_NAME_TAILS)}")


@dataclass(frozen=True)
class SeededClient:
    nip: str
    name: str
    scenario: int
    token: str
    invoices: dict[str, int]


@dataclass(frozen=True)
class SeedInfo:
    """What ``seed.json`` says (``data`` is the file's content)."""

    seed: int
    office_nip: str
    office_name: str
    clients: list[SeededClient]
    path: Path
    data: dict[str, Any] = field(repr=False)

    def client(self, nip: str) -> SeededClient:
        return next(c for c in self.clients if c.nip == nip)


def random_nip(rng: random.Random) -> str:
    """A checksum-valid NIP (first digit 1–9, digits 2–3 not 00)."""
    while True:
        first = str(rng.randint(1, 9)) + f"{rng.randint(1, 99):02d}" + f"{rng.randint(0, 999999):06d}"
        check = nip_check_digit(first)
        if check is not None:
            return f"{first}{check}"


def _company(rng: random.Random, used: set[str]) -> Party:
    while True:
        nip = random_nip(rng)
        if nip not in used:
            used.add(nip)
            break
    name = f"{rng.choice(_NAME_STEMS)}{rng.choice(_NAME_TAILS)} {rng.choice(_FORMS)}"
    street, city = rng.choice(_CITIES)
    return Party(name=name, nip=nip, address1=street, address2=city)


def load_seed_info(state_dir: Path) -> SeedInfo | None:
    path = Path(state_dir) / SEED_FILE
    if not path.exists():
        return None
    return _info(json.loads(path.read_text(encoding="utf-8")), path)


def _info(data: dict[str, Any], path: Path) -> SeedInfo:
    return SeedInfo(
        seed=data["seed"],
        office_nip=data["office"]["nip"],
        office_name=data["office"]["name"],
        clients=[
            SeededClient(c["nip"], c["name"], c["scenario"], c["token"], dict(c["invoices"]))
            for c in data["clients"]
        ],
        path=path,
        data=data,
    )


@dataclass
class _Client:
    party: Party
    scenario: int
    sales_per_month: tuple[int, int]
    purchases_per_month: tuple[int, int]
    ksef_start: date


def _clients(rng: random.Random, count: int, used: set[str], named: Sequence[SeedClient]) -> list[_Client]:
    out = []
    for demo in named[:count]:
        used.add(demo.nip)
        out.append(
            _Client(
                Party(name=demo.name, nip=demo.nip, address1="ul. Główna 1", address2="00-001 Warszawa"),
                demo.scenario,
                demo.sales_per_month,
                demo.purchases_per_month,
                demo.ksef_start,
            )
        )
    for _ in range(max(0, count - len(named))):
        low_sales, low_purchases = rng.randint(2, 30), rng.randint(10, 60)
        out.append(
            _Client(
                _company(rng, used),
                rng.choice((1, 2, 2, 3)),
                (low_sales, low_sales * 2),
                (low_purchases, low_purchases * 2),
                date(2026, rng.choice((2, 4)), 1),
            )
        )
    return out


def _months(start: date, end: date) -> float:
    return max((end - start).days, 0) / 30.4


def _acceptance(rng: random.Random, issue: date, last_day: date, offline: bool) -> tuple[datetime, bool]:
    """When KSeF accepted the invoice (Warsaw office hours), never later than ``last_day``."""
    day = issue
    if offline:
        later = issue + timedelta(days=rng.randint(1, 3))
        if later <= last_day:
            day = later
        else:
            offline = False
    moment = datetime.combine(day, time(8, 0), tzinfo=WARSAW) + timedelta(seconds=rng.randint(0, 11 * 3600))
    return moment.astimezone(UTC), offline


_Job = tuple[Party, list[Party], date, date, int, int]


def _generate(job: _Job) -> list[NewInvoice]:
    """One seller's invoices with their acceptance dates and KSeF numbers; its own RNG, so jobs may
    run in parallel. Corrections and settlements then cite the KSeF numbers of the invoices they
    refer to (``NrKSeFFaKorygowanej`` / ``NrKSeFFaZaliczkowej``) when those were accepted first."""
    seller, counterparties, since, last_day, count, job_seed = job
    rng = random.Random(job_seed)
    out: list[NewInvoice] = []
    accepted_numbers: dict[str, tuple[str, datetime]] = {}
    for xml in generate_mix(rng, seller, counterparties, since, last_day, count):
        facts = parse_invoice(xml)
        offline = rng.random() < OFFLINE_SHARE
        accepted, offline = _acceptance(rng, facts.issue_date, last_day, offline)
        invoicing = accepted - timedelta(milliseconds=rng.randint(200, 3000))
        stored = accepted + timedelta(seconds=rng.randint(1, 120), milliseconds=rng.randint(0, 999))
        number = assign_ksef_number(facts.seller_nip, truncate_ms(accepted), rng)
        xml = _cite_ksef_numbers(xml, accepted, accepted_numbers)
        accepted_numbers[facts.invoice_number] = (number, accepted)
        out.append(NewInvoice(xml, accepted, invoicing, stored, offline, None, None, facts, number))
    return out


_CORRECTED = re.compile(rb"(<NrFaKorygowanej>([^<]+)</NrFaKorygowanej>\s*)<NrKSeFN>1</NrKSeFN>")
_ADVANCE = re.compile(rb"<NrKSeFZN>1</NrKSeFZN>\s*<NrFaZaliczkowej>([^<]+)</NrFaZaliczkowej>")


def _cite_ksef_numbers(xml: bytes, accepted: datetime, known: dict[str, tuple[str, datetime]]) -> bytes:
    def earlier(number: bytes) -> str | None:
        found = known.get(number.decode())
        return found[0] if found and found[1] < accepted else None

    def corrected(match: re.Match[bytes]) -> bytes:
        ksef = earlier(match.group(2))
        if ksef is None:
            return match.group(0)
        return (
            match.group(1)
            + b"<NrKSeF>1</NrKSeF><NrKSeFFaKorygowanej>"
            + ksef.encode()
            + b"</NrKSeFFaKorygowanej>"
        )

    def advance(match: re.Match[bytes]) -> bytes:
        ksef = earlier(match.group(1))
        return (
            match.group(0)
            if ksef is None
            else b"<NrKSeFFaZaliczkowej>" + ksef.encode() + b"</NrKSeFFaZaliczkowej>"
        )

    return _ADVANCE.sub(advance, _CORRECTED.sub(corrected, xml))


def _run_jobs(jobs: list[_Job]) -> list[list[NewInvoice]]:
    """Generating and validating FA(3) XML dominates seeding; big seeds use several processes."""
    total = sum(job[4] for job in jobs)
    workers = min(os.cpu_count() or 1, 8)
    if total < PARALLEL_FROM or workers < 2:
        return [_generate(job) for job in jobs]
    context = multiprocessing.get_context("spawn")  # never fork a process that may run server threads
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            return list(pool.map(_generate, jobs, chunksize=1))
    except (BrokenProcessPool, OSError):
        # e.g. a caller whose __main__ cannot be re-imported by a spawned process
        return [_generate(job) for job in jobs]


def seed(
    emu: Emulator,
    *,
    seed: int,
    office: SeedOffice | None = None,
    clients: int = 10,
    volume: float = 1.0,
    invoices_per_client: int | None = None,
) -> SeedInfo:
    """Fill ``emu`` deterministically and write ``state_dir/seed.json``; returns what it wrote."""
    office = office or made_up_office(seed)
    rng = random.Random(seed)
    used = {office.nip}
    now = emu.clock.now()
    last_day = now.astimezone(WARSAW).date() - timedelta(days=1)
    client_list = _clients(rng, clients, used, office.clients)
    tokens = _office_access(emu, office, client_list)
    batches = _batches(rng, used, client_list, last_day, volume, invoices_per_client)
    jobs = [
        (seller, parties, since, last_day, count, rng.getrandbits(64))
        for seller, parties, since, count in batches
    ]
    items = [item for batch in _run_jobs(jobs) for item in batch]
    items.sort(key=lambda item: item.accepted_at)
    emu.invoices.store_many(items, rng=rng)
    data = _seed_json(seed, office, client_list, tokens, items)
    path = emu.state_dir / SEED_FILE
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
    return _info(data, path)


def _office_access(emu: Emulator, office: SeedOffice, client_list: list[_Client]) -> dict[str, str]:
    """The subjects, the office's entity permission in every client's context and a KSeF token
    the office authored there; the tokens by client NIP."""
    emu.subjects.add(office.nip, office.name)
    tokens: dict[str, str] = {}
    for client in client_list:
        nip = client.party.nip
        assert nip is not None
        emu.subjects.add(nip, client.party.name)
        permissions = ["InvoiceRead", "InvoiceWrite"] if client.scenario == 3 else ["InvoiceRead"]
        emu.permissions.grant_entity(nip, office.nip, permissions, True)
        tokens[nip] = emu.tokens.issue(nip, office.nip, permissions, "Token biura rachunkowego (seed)")
    return tokens


def _batches(
    rng: random.Random,
    used: set[str],
    client_list: list[_Client],
    last_day: date,
    volume: float,
    invoices_per_client: int | None,
) -> list[tuple[Party, list[Party], date, int]]:
    """(seller, counterparties, from, count) of every invoice run: purchases, then sales."""
    start = SEED_START
    months = _months(start, last_day)
    # Purchases: every client buys from its own few suppliers (one generate_mix per supplier keeps
    # the supplier's invoice numbers unique, which the duplicate check relies on).
    batches: list[tuple[Party, list[Party], date, int]] = []
    for client in client_list:
        wanted = rng.uniform(*client.purchases_per_month) * months * volume
        if invoices_per_client is not None:
            wanted = invoices_per_client * 0.7
        suppliers = [_company(rng, used) for _ in range(rng.randint(4, 8))]
        weights = [rng.uniform(0.5, 2.0) for _ in suppliers]
        for supplier, weight in zip(suppliers, weights, strict=True):
            count = round(wanted * weight / sum(weights))
            if count > 0:
                batches.append((supplier, [client.party], start, count))
    # Sales: each client invoices its own customers (and a few EU ones) from its KSeF start.
    for client in client_list:
        sales_start = max(start, client.ksef_start)
        if sales_start > last_day:
            continue
        wanted = rng.uniform(*client.sales_per_month) * _months(sales_start, last_day) * volume
        if invoices_per_client is not None:
            wanted = invoices_per_client * 0.3
        customers = [_company(rng, used) for _ in range(rng.randint(3, 8))] + list(_EU_CUSTOMERS)
        if round(wanted) > 0:
            batches.append((client.party, customers, sales_start, round(wanted)))
    return batches


def _seed_json(
    seed: int, office: SeedOffice, client_list: list[_Client], tokens: dict[str, str], items: list[NewInvoice]
) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {
        c.party.nip or "": {"Subject1": 0, "Subject2": 0} for c in client_list
    }
    for item in items:
        assert item.facts is not None
        if item.facts.seller_nip in counts:
            counts[item.facts.seller_nip]["Subject1"] += 1
        if item.facts.buyer_value in counts:
            counts[item.facts.buyer_value or ""]["Subject2"] += 1
    return {
        "seed": seed,
        "office": {"nip": office.nip, "name": office.name},
        "clients": [
            {
                "nip": c.party.nip,
                "name": c.party.name,
                "scenario": c.scenario,
                "token": tokens[c.party.nip or ""],
                "invoices": counts[c.party.nip or ""],
            }
            for c in client_list
        ],
    }
