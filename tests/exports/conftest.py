"""Fixtures for client exports: an office with a scenario-2 and a scenario-3 client and real FA(3) invoices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.fa3 import Party
from ksef_sheets.office.model import Client
from ksef_sheets.sync.archive import Archive
from tests.archive_fixtures import archive_invoice

OFFICE_NIP = "5275260184"
CLIENT2 = Client(
    nip="5210537039",
    name="Nowak IT Consulting Jan Nowak",
    legal_form="JDG",
    address="ul. Prosta 1, Warszawa",
    email="jan@nowak.example.pl",
    scenario=2,
)
CLIENT3 = Client(
    nip="8527053079",
    name="Fundacja Zielone Podwórko",
    legal_form="fundacja",
    address="ul. Zielona 5, Kraków",
    email="zarzad@zielone.example.pl",
    scenario=3,
)
SUPPLIERS = [
    Party(name="ABC AGD sp. z o.o.", nip="7798676685", address1="ul. Kwiatowa 1, Łódź"),
    Party(name='=HYPERLINK("http://zlo.example","klik")', nip="5838213566", address1="ul. Zła 2, Gdańsk"),
    Party(name="Trans-Kowalscy Sp. j.", nip="8948836028", address1="ul. Drogowa 3, Poznań"),
]


@dataclass
class Stored:
    ksef_number: str
    number: str
    gross: str


def party(client: Client) -> Party:
    return Party(name=client.name, nip=client.nip, address1=client.address)


def store(
    archive: Archive,
    client: Client,
    *,
    seller: Party,
    buyer: Party,
    issue: date,
    accepted: date,
    number: str,
    seed: int,
) -> Stored:
    ksef, invoice = archive_invoice(
        archive,
        client.nip,
        seller=seller,
        buyer=buyer,
        issue=issue,
        accepted=accepted,
        number=number,
        seed=seed,
    )
    return Stored(ksef, number, str(invoice.total))


@pytest.fixture
def office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    folder.save_config(
        OfficeConfig(
            office_nip=OFFICE_NIP,
            office_name="Biuro Rachunkowe Bilans Sp. z o.o.",
            office_email="biuro@bilans.example.pl",
            office_signatory="Ewa Bilansowa",
        )
    )
    return folder


@pytest.fixture
def purchases(office: OfficeFolder) -> list[Stored]:
    """Five March purchases of the scenario-2 client, one February and one April (other periods)."""
    stored = []
    with Archive.open(office) as archive:
        for i in range(5):
            stored.append(
                store(
                    archive,
                    CLIENT2,
                    seller=SUPPLIERS[i % 3],
                    buyer=party(CLIENT2),
                    issue=date(2026, 3, 2 + i * 3),
                    accepted=date(2026, 3, 3 + i * 3),
                    number=f"FV/{i + 1}/03/2026",
                    seed=100 + i,
                )
            )
        # Issued in February, delivered by KSeF on 2 March: belongs to March purchases.
        stored.append(
            store(
                archive,
                CLIENT2,
                seller=SUPPLIERS[0],
                buyer=party(CLIENT2),
                issue=date(2026, 2, 27),
                accepted=date(2026, 3, 2),
                number="FV/99/02/2026",
                seed=120,
            )
        )
        store(
            archive,
            CLIENT2,
            seller=SUPPLIERS[0],
            buyer=party(CLIENT2),
            issue=date(2026, 2, 10),
            accepted=date(2026, 2, 10),
            number="FV/1/02/2026",
            seed=130,
        )
        store(
            archive,
            CLIENT2,
            seller=SUPPLIERS[1],
            buyer=party(CLIENT2),
            issue=date(2026, 4, 1),
            accepted=date(2026, 4, 1),
            number="FV/1/04/2026",
            seed=131,
        )
        # A March sale of the client (not in a purchases export).
        store(
            archive,
            CLIENT2,
            seller=party(CLIENT2),
            buyer=SUPPLIERS[2],
            issue=date(2026, 3, 5),
            accepted=date(2026, 3, 5),
            number="S/1/03/2026",
            seed=140,
        )
    return stored


@pytest.fixture
def report3(office: OfficeFolder) -> list[Stored]:
    """Scenario 3: two March sales and three March purchases."""
    stored = []
    with Archive.open(office) as archive:
        for i in range(2):
            stored.append(
                store(
                    archive,
                    CLIENT3,
                    seller=party(CLIENT3),
                    buyer=SUPPLIERS[i],
                    issue=date(2026, 3, 10 + i),
                    accepted=date(2026, 3, 10 + i),
                    number=f"ZP/{i + 1}/2026",
                    seed=200 + i,
                )
            )
        for i in range(3):
            stored.append(
                store(
                    archive,
                    CLIENT3,
                    seller=SUPPLIERS[i],
                    buyer=party(CLIENT3),
                    issue=date(2026, 3, 12 + i),
                    accepted=date(2026, 3, 13 + i),
                    number=f"K/{i + 1}/2026",
                    seed=210 + i,
                )
            )
    return stored
