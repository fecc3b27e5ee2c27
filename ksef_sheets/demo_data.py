"""The ten fictional clients of DOMAIN.md §8.1 and the demo office.

Shared by ``init --demo`` (the register), the emulator's seeding (the same NIPs exist in KSeF) and
the tests, so that a demo office can fetch its clients' invoices from the emulator.
The NIPs are checksum-valid but may coincide with real taxpayers: never send them to production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DemoClient:
    name: str
    legal_form: str
    nip: str
    industry: str
    size_note: str
    sales_per_month: tuple[int, int]
    purchases_per_month: tuple[int, int]
    ksef_start: date
    scenario: int


DEMO_OFFICE_NIP = "5275260184"  # random checksum-valid NIP, fictional office
DEMO_OFFICE_NAME = "Biuro Rachunkowe Bilans Sp. z o.o."

DEMO_CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        "Nowak IT Consulting Jan Nowak",
        "JDG",
        "5210537039",
        "B2B software contractor",
        "1 osoba; ryczałt 12%; czynny podatnik VAT",
        (1, 2),
        (8, 15),
        date(2026, 4, 1),
        2,
    ),
    DemoClient(
        'Studio Urody "Malwa" Anna Wiśniewska',
        "JDG",
        "6762966431",
        "salon kosmetyczny",
        "2 osoby; zwolnienie z VAT (art. 113)",
        (0, 3),
        (10, 20),
        date(2027, 1, 1),
        3,
    ),
    DemoClient(
        "Budmax Sp. z o.o.",
        "sp. z o.o.",
        "7798676685",
        "podwykonawca budowlany",
        "25 pracowników; CIT 9%; MPP (zał. 15)",
        (15, 30),
        (60, 120),
        date(2026, 4, 1),
        2,
    ),
    DemoClient(
        "Hurtownia Spożywcza Smak Sp. z o.o.",
        "sp. z o.o.",
        "8948836028",
        "hurtownia spożywcza",
        "40 pracowników; własny ERP zintegrowany z KSeF",
        (300, 600),
        (120, 200),
        date(2026, 4, 1),
        1,
    ),
    DemoClient(
        "Trans-Kowalscy Sp. j.",
        "spółka jawna",
        "5838213566",
        "transport drogowy, trasy UE",
        "12 ciągników; faktury w EUR",
        (40, 80),
        (150, 300),
        date(2026, 4, 1),
        2,
    ),
    DemoClient(
        "Gabinet Lekarski dr Piotr Zieliński",
        "JDG",
        "9512327536",
        "lekarz na kontrakcie B2B",
        "zwolnienie z VAT (art. 43)",
        (1, 3),
        (3, 8),
        date(2026, 4, 1),
        3,
    ),
    DemoClient(
        "Sklep Leśny Zakątek Sp. z o.o.",
        "sp. z o.o.",
        "6348883403",
        "e-commerce, B2C i OSS",
        "6 pracowników; B2C poza KSeF",
        (5, 20),
        (40, 80),
        date(2026, 4, 1),
        2,
    ),
    DemoClient(
        "Fundacja Zielone Podwórko",
        "fundacja",
        "8527053079",
        "NGO z działalnością odpłatną",
        "potrzebny ZAW-FA (brak pieczęci kwalifikowanej)",
        (2, 5),
        (10, 25),
        date(2026, 4, 1),
        3,
    ),
    DemoClient(
        "Pixelwave Studio Sp. z o.o.",
        "sp. z o.o.",
        "7735432306",
        "agencja marketingowa i software",
        "20 pracowników; pełna księgowość; klienci z UE",
        (20, 40),
        (60, 100),
        date(2026, 4, 1),
        2,
    ),
    DemoClient(
        "Auto-Serwis Mazur s.c.",
        "spółka cywilna",
        "8131863036",
        "warsztat samochodowy",
        "5 osób; KPiR; kasa fiskalna i flota B2B",
        (30, 60),
        (50, 90),
        date(2026, 4, 1),
        1,
    ),
)

DEMO_BANK_ACCOUNTS: tuple[str, ...] = (
    "73102010260940909620737689",
    "18114020045829101226066407",
    "47105010092855692187665772",
    "39124060037070115660532917",
    "31109010148874472003245415",
)
