"""An office with a demo register and one client's invoices of March 2026 (and around it) in the archive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.demo_data import demo_office_data
from ksef_sheets.fa3 import Party
from ksef_sheets.sync.archive import Archive
from ksef_sheets.workflows import init_office
from tests.archive_fixtures import archive_invoice

CLIENT = Party(name="Nowak IT Consulting Jan Nowak", nip="5210537039", address1="ul. Prosta 1, Warszawa")
PARTNERS = [
    Party(name="ABC AGD sp. z o.o.", nip="7798676685", address1="ul. Kwiatowa 1, Łódź"),
    Party(name="Trans-Kowalscy Sp. j.", nip="8948836028", address1="ul. Drogowa 3, Poznań"),
    Party(name="Zielony Serwis sp. z o.o.", nip="5838213566", address1="ul. Polna 2, Gdańsk"),
]


@dataclass(frozen=True)
class Stored:
    ksef_number: str
    number: str
    side: str
    issue: date
    accepted: date


def store(
    archive: Archive,
    *,
    sale: bool,
    partner: Party,
    issue: date,
    accepted: date,
    number: str,
    seed: int,
    currency: str = "PLN",
) -> Stored:
    seller, buyer = (CLIENT, partner) if sale else (partner, CLIENT)
    ksef, _ = archive_invoice(
        archive, CLIENT.nip or "", seller=seller, buyer=buyer, issue=issue, accepted=accepted, number=number,
        seed=seed, currency=currency,
    )  # fmt: skip
    return Stored(ksef, number, "sale" if sale else "purchase", issue, accepted)


@pytest.fixture
def office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    init_office(folder, demo=demo_office_data())
    return folder


@pytest.fixture
def march(office: OfficeFolder) -> list[Stored]:
    """Four March sales (one in EUR), four purchases delivered in March (one issued in February),
    one purchase delivered in April and one sale of February."""
    stored: list[Stored] = []
    with Archive.open(office) as archive:
        for i in range(4):
            stored.append(
                store(archive, sale=True, partner=PARTNERS[i % 3], issue=date(2026, 3, 2 + i * 5),
                      accepted=date(2026, 3, 2 + i * 5), number=f"S/{i + 1}/03/2026", seed=300 + i,
                      currency="EUR" if i == 3 else "PLN")
            )  # fmt: skip
        for i in range(3):
            stored.append(
                store(archive, sale=False, partner=PARTNERS[i], issue=date(2026, 3, 3 + i * 6),
                      accepted=date(2026, 3, 4 + i * 6), number=f"FZ/{i + 1}/2026", seed=400 + i)
            )  # fmt: skip
        stored.append(
            store(archive, sale=False, partner=PARTNERS[0], issue=date(2026, 2, 27), accepted=date(2026, 3, 2),
                  number="FZ/99/02/2026", seed=410)
        )  # fmt: skip
        stored.append(
            store(archive, sale=False, partner=PARTNERS[1], issue=date(2026, 3, 31), accepted=date(2026, 4, 1),
                  number="FZ/7/2026", seed=420)
        )  # fmt: skip
        stored.append(
            store(archive, sale=True, partner=PARTNERS[2], issue=date(2026, 2, 20), accepted=date(2026, 2, 20),
                  number="S/9/02/2026", seed=430)
        )  # fmt: skip
    return stored
