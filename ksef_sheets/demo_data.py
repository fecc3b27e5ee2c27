"""The ten fictional clients of DOMAIN.md §8.1 and the demo office.

Shared by ``init --demo`` (the register rows: ``demo_office_data()``), the emulator's seeding (the same NIPs exist in KSeF) and
the tests, so that a demo office can fetch its clients' invoices from the emulator.
The NIPs are checksum-valid but may coincide with real taxpayers: never send them to production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ksef_sheets.office import (
    ANNEX_NONE,
    ANNEX_SENT,
    ANNEX_SIGNED,
    AUTH_NONE,
    AUTH_SENT,
    AUTH_SIGNED,
    SIZE_MICRO,
    SIZE_STANDARD,
    Client,
    DemoOffice,
    zaw_fa_default,
)

if TYPE_CHECKING:
    from ksef_sheets.emulator import SeedOffice


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


def demo_seed_office() -> SeedOffice:
    """The demo office and its ten clients as the emulator's seed takes them (``run_emulator(...,
    office=demo_seed_office())``): the emulator knows no office of its own."""
    from ksef_sheets.emulator import SeedOffice  # the emulator is heavy; only who seeds needs it

    return SeedOffice(DEMO_OFFICE_NIP, DEMO_OFFICE_NAME, DEMO_CLIENTS)


# -- the demo clients as register rows (``init --demo``) ----------------------------------------------

DEMO_STAFF = ("Anna Kowalska", "Marek Wójcik", "Ewa Lis")


@dataclass(frozen=True)
class _Extra:
    address: str
    contact: str
    email: str
    phone: str
    software: str
    integrated: bool | None
    knows: bool | None
    help_needed: bool | None
    will_authorise: bool | None
    read: bool
    write: bool
    delegate: bool
    perms_on: date | None
    auth: str
    auth_on: date | None
    annex: str
    annex_on: date | None
    fee: str | None
    pilot: bool
    staff: int
    schedule: str
    notes: str = ""


_EXTRAS: dict[str, _Extra] = {
    "5210537039": _Extra(
        "ul. Puławska 145/12, 02-715 Warszawa",
        "Jan Nowak",
        "jan.nowak@nowak-it.example.pl",
        "+48 601 234 567",
        "inFakt",
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        date(2026, 3, 9),
        AUTH_SIGNED,
        date(2026, 3, 2),
        ANNEX_SIGNED,
        date(2026, 3, 2),
        "40",
        True,
        0,
        "co tydzień",
        "Klient pilotażowy — szybko odpowiada na maile.",
    ),
    "6762966431": _Extra(
        "ul. Kwiatowa 7, 26-600 Radom",
        "Anna Wiśniewska",
        "kontakt@studio-malwa.example.pl",
        "+48 512 845 112",
        "brak (faktury ręcznie)",
        False,
        False,
        True,
        True,
        False,
        False,
        False,
        None,
        AUTH_SENT,
        date(2026, 11, 3),
        ANNEX_SENT,
        date(2026, 11, 3),
        "60",
        False,
        1,
        "co miesiąc",
        "Ulga mikro do 31.12.2026; od stycznia wystawiamy za klientkę.",
    ),
    "7798676685": _Extra(
        "ul. Składowa 21, 61-888 Poznań",
        "Tomasz Bąk (prezes)",
        "biuro@budmax.example.pl",
        "+48 61 852 40 10",
        "Comarch ERP Optima",
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        date(2026, 3, 16),
        AUTH_SIGNED,
        date(2026, 3, 10),
        ANNEX_SIGNED,
        date(2026, 3, 10),
        "120",
        True,
        0,
        "codziennie",
        "Dużo faktur z MPP (zał. 15) — sprawdzać białą listę.",
    ),
    "8948836028": _Extra(
        "ul. Hurtowa 3, 20-234 Lublin",
        "Katarzyna Smak",
        "ksiegowosc@hurtownia-smak.example.pl",
        "+48 81 744 20 00",
        "własny ERP (Asseco)",
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        None,
        AUTH_NONE,
        None,
        ANNEX_SIGNED,
        date(2026, 2, 20),
        None,
        False,
        2,
        "nie pobieramy",
        "Przekazuje eksport XML do 5. dnia miesiąca.",
    ),
    "5838213566": _Extra(
        "ul. Transportowa 55, 42-200 Częstochowa",
        "Piotr Kowalski",
        "piotr@trans-kowalscy.example.pl",
        "+48 34 361 99 01",
        "Subiekt nexo",
        True,
        True,
        False,
        True,
        False,
        False,
        False,
        None,
        AUTH_SIGNED,
        date(2026, 10, 14),
        ANNEX_SIGNED,
        date(2026, 10, 14),
        "150",
        False,
        1,
        "codziennie",
        "Upoważnienie podpisane; czy klient nadał już uprawnienia w KSeF, pokaże ksef-sheets permissions.",
    ),
    "9512327536": _Extra(
        "ul. Lekarska 2/4, 00-950 Warszawa",
        "dr Piotr Zieliński",
        "p.zielinski@gabinet.example.pl",
        "+48 600 700 800",
        "Aplikacja Podatnika KSeF",
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        date(2026, 3, 20),
        AUTH_SIGNED,
        date(2026, 3, 18),
        ANNEX_SIGNED,
        date(2026, 3, 18),
        "50",
        False,
        2,
        "co tydzień",
        "Scenariusz 3: czekamy na „wystawianie faktur” w KSeF — sprawdzi je ksef-sheets permissions.",
    ),
    "6348883403": _Extra(
        "ul. Leśna 12, 15-370 Białystok",
        "Magdalena Zając",
        "sklep@lesny-zakatek.example.pl",
        "+48 85 662 10 10",
        "Shoper + wFirma",
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        date(2026, 3, 25),
        AUTH_SIGNED,
        date(2026, 3, 23),
        ANNEX_SIGNED,
        date(2026, 3, 23),
        "80",
        False,
        1,
        "2× w tygodniu",
    ),
    "8527053079": _Extra(
        "ul. Podwórkowa 8, 03-456 Warszawa",
        "Ewa Zielińska (prezeska)",
        "fundacja@zielone-podworko.example.org",
        "+48 22 811 22 33",
        "Excel",
        False,
        False,
        True,
        None,
        False,
        False,
        False,
        None,
        AUTH_NONE,
        None,
        ANNEX_NONE,
        None,
        None,
        False,
        2,
        "co miesiąc",
        "Brak pieczęci kwalifikowanej — najpierw ZAW-FA.",
    ),
    "7735432306": _Extra(
        "ul. Kreatywna 40, 30-300 Kraków",
        "Michał Lewandowski",
        "finanse@pixelwave.example.pl",
        "+48 12 300 40 50",
        "Fakturownia",
        True,
        True,
        False,
        True,
        True,
        False,
        True,
        date(2026, 3, 27),
        AUTH_SIGNED,
        date(2026, 3, 24),
        ANNEX_SIGNED,
        date(2026, 3, 24),
        "100",
        False,
        0,
        "co tydzień",
    ),
    "8131863036": _Extra(
        "ul. Mechaników 6, 09-400 Płock",
        "Robert Mazur",
        "serwis@auto-mazur.example.pl",
        "+48 24 262 33 44",
        "Rachmistrz nexo",
        True,
        True,
        False,
        False,
        False,
        False,
        False,
        None,
        AUTH_NONE,
        None,
        ANNEX_SENT,
        date(2026, 11, 12),
        None,
        False,
        2,
        "nie pobieramy",
    ),
}


# Who signs for each demo client (not the contact person) and how documents reach the office today.
_REPRESENTATION = {
    "5210537039": "Jan Nowak — właściciel (wpis w CEIDG)",
    "6762966431": "Anna Wiśniewska — właścicielka (wpis w CEIDG)",
    "7798676685": "Tomasz Bąk — prezes zarządu; Marek Budny — członek zarządu (reprezentacja łączna, KRS)",
    "8948836028": "Katarzyna Smak — prezes zarządu (jednoosobowo, KRS)",
    "5838213566": "Piotr Kowalski — wspólnik; Adam Kowalski — wspólnik (każdy samodzielnie, KRS)",
    "9512327536": "Piotr Zieliński — właściciel (wpis w CEIDG)",
    "6348883403": "Magdalena Zając — prezes zarządu (jednoosobowo, KRS)",
    "8527053079": "Ewa Zielińska — prezeska zarządu; Jan Podwórny — członek zarządu (łącznie, statut, KRS)",
    "7735432306": "Michał Lewandowski — prezes zarządu (jednoosobowo, KRS)",
    "8131863036": "Robert Mazur — wspólnik; Katarzyna Mazur — wspólniczka (umowa spółki cywilnej)",
}
_CHANNEL = {
    "5210537039": "e-mail (PDF)",
    "6762966431": "papier",
    "7798676685": "system OCR / portal",
    "8948836028": "eksport z programu klienta",
    "5838213566": "papier; e-mail (PDF)",
    "9512327536": "e-mail (PDF)",
    "6348883403": "eksport z programu klienta; e-mail (PDF)",
    "8527053079": "papier",
    "7735432306": "KSeF; e-mail (PDF)",
    "8131863036": "papier",
}

_INDUSTRY_PL = {"B2B software contractor": "programista na kontrakcie B2B"}


def demo_clients() -> list[Client]:
    """The ten demo clients as register rows (no fetch results yet), at different rollout stages:
    a demo office shows every state the workbook can flag (a client without permissions its
    scenario needs, one not ready, one needing ZAW-FA, pilots, a micro client)."""
    clients: list[Client] = []
    for demo in DEMO_CLIENTS:
        extra = _EXTRAS[demo.nip]
        micro = demo.ksef_start.year >= 2027
        clients.append(
            Client(
                nip=demo.nip,
                name=demo.name,
                legal_form=demo.legal_form,
                industry=_INDUSTRY_PL.get(demo.industry, demo.industry),
                address=extra.address,
                contact_person=extra.contact,
                representation=_REPRESENTATION.get(demo.nip, ""),
                document_channel=_CHANNEL.get(demo.nip, ""),
                email=extra.email,
                phone=extra.phone,
                size=SIZE_MICRO if micro else SIZE_STANDARD,
                ksef_obligation_date=demo.ksef_start,
                invoicing_software=extra.software,
                software_integrated=extra.integrated,
                scenario=demo.scenario,
                knows_ksef=extra.knows,
                needs_registration_help=extra.help_needed,
                will_authorise_office=extra.will_authorise,
                zaw_fa_needed=zaw_fa_default(demo.legal_form),
                perm_invoice_read=extra.read,
                perm_invoice_write=extra.write,
                perm_can_delegate=extra.delegate,
                permissions_date=extra.perms_on,
                credential_ref="sejf:biuro-pieczęć" if extra.read else "",
                authorisation_status=extra.auth,
                authorisation_date=extra.auth_on,
                annex_status=extra.annex,
                annex_date=extra.annex_on,
                ksef_fee=Decimal(extra.fee).quantize(Decimal("0.01")) if extra.fee else None,
                pilot=extra.pilot,
                staff_member=DEMO_STAFF[extra.staff],
                fetch_schedule=extra.schedule,
                notes=" ".join(x for x in (demo.size_note + ".", extra.notes) if x),
            )
        )
    return clients


def demo_office_data() -> DemoOffice:
    """The demo office with its register rows, for ``init --demo`` (``workflows.init_office``)."""
    return DemoOffice(DEMO_OFFICE_NIP, DEMO_OFFICE_NAME, demo_clients())
