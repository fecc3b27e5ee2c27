"""Seeding: deterministic, XSD-valid, realistic mix, usable tokens (no server needed for most checks)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

from ksef_sheets.demo_data import DEMO_CLIENTS, DEMO_OFFICE_NIP, demo_seed_office
from ksef_sheets.emulator import Emulator, run_emulator
from ksef_sheets.emulator.clock import EmulatorClock
from ksef_sheets.emulator.seed import SeedOffice, made_up_office, seed
from ksef_sheets.fa3 import validate_xsd
from ksef_sheets.identifiers import is_valid_ksef_number, is_valid_nip
from tests.emulator.test_invoices_helpers import api, checked, login

WARSAW = ZoneInfo("Europe/Warsaw")
FIXED_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NS = {"f": "http://crd.gov.pl/wzor/2025/06/25/13775/"}


def seeded(folder: Path, seed_value: int, clients: int = 3) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    emu = Emulator(folder, clock=EmulatorClock(start=FIXED_NOW, speed=1e-9))
    try:
        seed(emu, office=demo_seed_office(), seed=seed_value, clients=clients, volume=0.05)
        rows = [
            tuple(row)
            for row in emu.db.execute(
                "SELECT i.ksef_number, i.meta, x.xml FROM invoice i JOIN invoice_xml x USING(ksef_number) ORDER BY i.seq"
            )
        ]
    finally:
        emu.close()
    return json.loads((folder / "seed.json").read_text("utf-8")), rows


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    return seeded(tmp_path_factory.mktemp("seed-a"), 42, clients=11)


def test_same_seed_gives_the_same_seed_json_and_invoices(
    first: tuple[dict[str, Any], list[tuple[Any, ...]]], tmp_path: Path
) -> None:
    data_a, rows_a = first
    data_b, rows_b = seeded(tmp_path / "b", 42, clients=11)

    def without_tokens(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "clients": [{k: v for k, v in c.items() if k != "token"} for c in data["clients"]]}

    # KSeF tokens are secrets: random on every run by design; everything else is reproducible.
    assert without_tokens(data_a) == without_tokens(data_b)
    assert [c["token"] for c in data_a["clients"]] != [c["token"] for c in data_b["clients"]]
    assert rows_a == rows_b
    _, rows_c = seeded(tmp_path / "c", 43, clients=11)
    assert {r[0] for r in rows_c}.isdisjoint({r[0] for r in rows_a})


def test_seed_json_has_the_contract_shape(first: tuple[dict[str, Any], list[tuple[Any, ...]]]) -> None:
    data, rows = first
    assert data["seed"] == 42
    assert data["office"]["nip"] == DEMO_OFFICE_NIP
    clients = data["clients"]
    assert len(clients) == 11
    for client, demo in zip(clients, DEMO_CLIENTS, strict=False):
        assert (client["nip"], client["name"], client["scenario"]) == (demo.nip, demo.name, demo.scenario)
    for client in clients:
        assert is_valid_nip(client["nip"]) and client["token"]
        assert set(client["invoices"]) == {"Subject1", "Subject2"}
    assert len({c["nip"] for c in clients}) == 11
    metas = [json.loads(r[1]) for r in rows]
    for client in clients:
        assert client["invoices"]["Subject1"] == sum(m["seller"]["nip"] == client["nip"] for m in metas)
        assert client["invoices"]["Subject2"] == sum(
            m["buyer"]["identifier"].get("value") == client["nip"] for m in metas
        )
    # a client whose KSeF start is 2027 has purchases but no sales yet
    malwa = next(c for c in clients if c["nip"] == "6762966431")
    assert malwa["invoices"]["Subject1"] == 0 and malwa["invoices"]["Subject2"] > 0


def test_the_office_comes_from_the_caller_and_without_one_is_made_up(tmp_path: Path) -> None:
    """The emulator knows no office of its own: the one passed in, or one drawn from the seed."""
    own = SeedOffice("1234563218", "Biuro Testowe Sp. z o.o.", DEMO_CLIENTS[1:2])
    results = []
    for name, office in (("own", own), ("none", None), ("none-again", None)):
        emu = Emulator(tmp_path / name, clock=EmulatorClock(start=FIXED_NOW, speed=1e-9))
        try:
            results.append(seed(emu, office=office, seed=42, clients=2, volume=0.02))
        finally:
            emu.close()
    given, made_up, again = results
    assert (given.office_nip, given.office_name) == (own.nip, own.name)
    assert given.clients[0].nip == DEMO_CLIENTS[1].nip and given.clients[1].nip not in {
        c.nip for c in DEMO_CLIENTS
    }
    assert made_up_office(42) == SeedOffice(made_up.office_nip, made_up.office_name)
    assert is_valid_nip(made_up.office_nip) and made_up.office_nip != DEMO_OFFICE_NIP
    assert not {c.nip for c in made_up.clients} & {c.nip for c in DEMO_CLIENTS}
    assert (again.office_nip, [c.nip for c in again.clients]) == (
        made_up.office_nip,
        [c.nip for c in made_up.clients],
    )


def test_every_seeded_invoice_is_xsd_valid_and_the_mix_is_realistic(
    first: tuple[dict[str, Any], list[tuple[Any, ...]]],
) -> None:
    _, rows = first
    assert len(rows) > 300
    kinds, currencies, buyers, offline = set(), set(), set(), 0
    for number, meta_text, xml in rows:
        problems = validate_xsd(bytes(xml))
        assert problems == [], (number, problems[:3])
        meta = json.loads(meta_text)
        assert is_valid_ksef_number(number) and number == meta["ksefNumber"]
        kinds.add(meta["invoiceType"])
        currencies.add(meta["currency"])
        buyers.add(meta["buyer"]["identifier"]["type"])
        root = etree.fromstring(bytes(xml))
        assert root.findtext("f:Fa/f:P_2", namespaces=NS) == meta["invoiceNumber"]
        assert root.findtext("f:Podmiot1/f:DaneIdentyfikacyjne/f:NIP", namespaces=NS) == meta["seller"]["nip"]
        invoicing = datetime.fromisoformat(meta["invoicingDate"])
        acquired = datetime.fromisoformat(meta["acquisitionDate"])
        stored = datetime.fromisoformat(meta["permanentStorageDate"])
        assert invoicing <= acquired < stored < FIXED_NOW
        issued = datetime.fromisoformat(meta["issueDate"]).date()
        assert issued <= invoicing.astimezone(WARSAW).date()
        if meta["invoicingMode"] == "Offline":
            offline += 1
            assert issued < invoicing.astimezone(WARSAW).date()  # P_1 before acceptance
        assert number.split("-")[1] == f"{acquired.astimezone(WARSAW):%Y%m%d}"
    # corrections and settlements cite the KSeF numbers of earlier accepted invoices
    accepted = {r[0]: json.loads(r[1])["acquisitionDate"] for r in rows}
    cited = 0
    for _number, meta_text, xml in rows:
        root = etree.fromstring(bytes(xml))
        for path in (
            "f:Fa/f:DaneFaKorygowanej/f:NrKSeFFaKorygowanej",
            "f:Fa/f:FakturaZaliczkowa/f:NrKSeFFaZaliczkowej",
        ):
            for node in root.findall(path, NS):
                cited += 1
                assert (
                    node.text in accepted and accepted[node.text] < json.loads(meta_text)["acquisitionDate"]
                )
    assert cited > 0
    assert {"Vat", "Kor", "Zal", "Roz"} <= kinds
    assert {"PLN", "EUR"} <= currencies
    assert {"Nip", "VatUe", "None"} <= buyers
    assert 0 < offline < len(rows) * 0.2


def test_seeded_tokens_let_the_office_read_and_scenario_3_write(tmp_path: Path) -> None:
    body = {
        "subjectType": "Subject2",
        "dateRange": {
            "dateType": "Issue",
            "from": "2026-09-01T00:00:00+02:00",
            "to": "2026-11-30T00:00:00+01:00",
        },
    }
    seen: dict[str, list[str]] = {}
    with run_emulator(tmp_path / "emu", office=demo_seed_office(), seed=5, clients=2) as running:
        assert running.seed_info is not None
        for client in running.seed_info.clients:
            with api(running.base_url, login(running.base_url, client["nip"], client["token"])) as http:
                found = checked(
                    http.post("/invoices/query/metadata", params={"pageSize": 250}, json=body), 200
                )
                seen[client["nip"]] = [m["ksefNumber"] for m in found.json()["invoices"]]
                writing = http.get("/sessions", params={"sessionType": "Online"})
                assert writing.status_code == (200 if client["scenario"] == 3 else 403)
        before = (tmp_path / "emu" / "seed.json").read_bytes()
    # A second start on the same folder (a training office) keeps its data and does not seed again.
    with run_emulator(tmp_path / "emu", office=demo_seed_office(), seed=5, clients=2) as again:
        assert (tmp_path / "emu" / "seed.json").read_bytes() == before
        assert again.seed_info is not None
        for client in again.seed_info.clients:
            with api(again.base_url, login(again.base_url, client["nip"], client["token"])) as http:
                found = checked(
                    http.post("/invoices/query/metadata", params={"pageSize": 250}, json=body), 200
                )
                assert [m["ksefNumber"] for m in found.json()["invoices"]] == seen[client["nip"]]
        assert any(seen.values())


def test_parallel_generation_gives_the_same_invoices(
    first: tuple[dict[str, Any], list[tuple[Any, ...]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ksef_sheets.emulator import seed as seeding

    monkeypatch.setattr(seeding, "PARALLEL_FROM", 0)  # big seeds use worker processes; same result
    monkeypatch.setattr(seeding.os, "cpu_count", lambda: 2)
    _, rows = seeded(tmp_path / "parallel", 42, clients=11)
    assert rows == first[1]
