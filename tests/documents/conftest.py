"""Fixtures for the documents tests: an office folder and clients for every scenario."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.office.model import Client

OFFICE_NIP = "5275260184"


@pytest.fixture
def office(tmp_path: Path) -> OfficeFolder:
    folder = OfficeFolder(tmp_path / "biuro")
    config = OfficeConfig(
        office_nip=OFFICE_NIP,
        office_name="Biuro Rachunkowe Bilans Sp. z o.o.",
        office_address="ul. Księgowa 7, 00-950 Warszawa",
        office_city="Warszawa",
        office_signatory="Ewa Bilansowa",
        office_email="biuro@bilans.example.pl",
        office_phone="22 123 45 67",
        oc_insurer="TU Przykład S.A.",
        oc_policy_number="OC/2026/123",
        oc_sum="50 000 EUR",
    )
    folder.save_config(config)
    return folder


def make_client(scenario: int | None, **overrides: object) -> Client:
    base: dict[str, object] = {
        1: dict(
            nip="8948836028",
            name="Hurtownia Spożywcza Smak Sp. z o.o.",
            legal_form="sp. z o.o.",
            representation="Katarzyna Smak — prezes zarządu (jednoosobowo, KRS)",
        ),
        2: dict(
            nip="5210537039",
            name="Nowak IT Consulting Jan Nowak",
            legal_form="JDG",
            representation="Jan Nowak — właściciel (CEIDG)",
        ),
        3: dict(
            nip="8527053079",
            name="Fundacja Zielone Podwórko",
            legal_form="fundacja",
            representation="Ewa Zielińska — prezeska zarządu; Jan Podwórny — członek zarządu (łącznie, KRS)",
        ),
        None: dict(
            nip="7798676685",
            name="Budmax Sp. z o.o.",
            legal_form="sp. z o.o.",
            representation="Tomasz Bąk — prezes zarządu",
        ),
    }[scenario]
    values: dict[str, object] = {
        **base,
        "address": "ul. Prosta 1, 00-001 Warszawa",
        "contact_person": "Jan Kowalski",
        "email": "klient@example.pl",
        "scenario": scenario,
        "ksef_obligation_date": date(2026, 4, 1),
        "ksef_fee": Decimal("150.00"),
    }
    values.update(overrides)
    return Client(**values)  # type: ignore[arg-type]


@pytest.fixture
def clients() -> list[Client]:
    return [make_client(1), make_client(2), make_client(3, ksef_obligation_date=date(2027, 1, 1))]
