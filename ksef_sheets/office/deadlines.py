"""KSeF deadlines (DOMAIN.md §1, §4) and each client's next deadline — pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ksef_sheets.office.model import SIZE_LARGE, SIZE_MICRO, SIZE_STANDARD, Client
from ksef_sheets.office.scenarios import missing_permissions

RECEIVING_START = date(2026, 2, 1)
LARGE_START = date(2026, 2, 1)
GENERAL_START = date(2026, 4, 1)
MICRO_START = date(2027, 1, 1)
RELIEFS_END = date(2026, 12, 31)
TOKENS_END = date(2026, 12, 31)
PENALTIES_START = date(2027, 1, 1)

OBLIGATION_BY_SIZE = {SIZE_LARGE: LARGE_START, SIZE_STANDARD: GENERAL_START, SIZE_MICRO: MICRO_START}


@dataclass(frozen=True)
class Deadline:
    when: date
    title: str
    who: str
    details: str


KSEF_DEADLINES: tuple[Deadline, ...] = (
    Deadline(
        RECEIVING_START,
        "Odbieranie faktur w KSeF",
        "wszyscy podatnicy, także zwolnieni z VAT",
        "Faktura jest otrzymana w dniu nadania numeru KSeF (art. 106na ust. 3).",
    ),
    Deadline(
        LARGE_START,
        "Wystawianie w KSeF — najwięksi",
        "sprzedaż 2024 z VAT > 200 mln zł",
        "Obowiązek wystawiania faktur ustrukturyzowanych FA(3).",
    ),
    Deadline(
        GENERAL_START,
        "Wystawianie w KSeF — pozostali",
        "wszyscy pozostali, także zwolnieni z VAT wystawiający faktury",
        "Od tego dnia faktura B2B poza KSeF narusza przepisy.",
    ),
    Deadline(
        date(2026, 3, 25),
        "Pierwszy JPK_V7(3) z numerami KSeF",
        "czynni podatnicy VAT",
        "Za luty 2026: każdy wiersz z numerem KSeF albo oznaczeniem OFF/BFK/DI.",
    ),
    Deadline(
        RELIEFS_END,
        "Koniec ulgi dla mikro i kas rejestrujących",
        "faktury ≤ 10 000 zł brutto/mies.; faktury z kas; paragony z NIP do 450 zł",
        "Od faktury, która przekroczy 10 000 zł w miesiącu, ulga wygasa wcześniej.",
    ),
    Deadline(
        TOKENS_END,
        "Ostatni dzień tokenów KSeF",
        "biura i klienci logujący się tokenem",
        "Od 1.01.2027 tylko certyfikaty KSeF, podpis/pieczęć kwalifikowana, profil zaufany.",
    ),
    Deadline(
        PENALTIES_START,
        "Kary za wystawianie poza KSeF (art. 106ni)",
        "wszyscy objęci obowiązkiem",
        "Do 100% VAT z faktury albo 18,7% kwoty brutto, gdy brak VAT; także za spóźnione faktury offline.",
    ),
)


@dataclass(frozen=True)
class OfflineMode:
    name: str
    trigger: str
    responsibility: str
    deadline: str
    legal_basis: str


OFFLINE_MODES: tuple[OfflineMode, ...] = (
    OfflineMode(
        "offline24",
        "dowolna przyczyna po stronie podatnika (brak internetu, awaria własnego programu)",
        "podatnik",
        "najpóźniej następnego dnia roboczego po dniu wystawienia",
        "art. 106nda",
    ),
    OfflineMode(
        "offline — niedostępność KSeF",
        "niedostępność ogłoszona w BIP MF i w API",
        "KSeF",
        "następnego dnia roboczego po zakończeniu niedostępności",
        "art. 106nh",
    ),
    OfflineMode(
        "tryb awaryjny — awaria KSeF",
        "awaria ogłoszona w BIP MF i w API",
        "KSeF",
        "7 dni roboczych od zakończenia awarii (nowa awaria liczy termin od nowa)",
        "art. 106nf",
    ),
    OfflineMode(
        "awaria całkowita",
        "ogłoszona w mediach (TV, radio, prasa, internet)",
        "—",
        "brak obowiązku dosyłania do KSeF",
        "art. 106ng",
    ),
)


def obligation_date(size: str) -> date | None:
    """The day a client must start issuing in KSeF, from its size class in the register."""
    return OBLIGATION_BY_SIZE.get(size.strip().lower()) if size else None


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def jpk_due(today: date) -> date:
    """The next JPK_V7 filing day (the 25th of a month, moved past a weekend) on or after ``today``."""
    candidate = date(today.year, today.month, 25)
    if candidate < today:
        month = today.month % 12 + 1
        candidate = date(today.year + (today.month == 12), month, 25)
    while candidate.weekday() >= 5:
        candidate += timedelta(days=1)
    return candidate


def client_deadlines(client: Client, today: date) -> list[Deadline]:
    """The client's own upcoming deadlines (earliest first), then the next JPK_V7 filing day."""
    found: list[Deadline] = []
    start = client.ksef_obligation_date or obligation_date(client.size)
    if start and start >= today:
        found.append(
            Deadline(start, "Początek wystawiania w KSeF", client.name, "Faktury B2B tylko przez KSeF.")
        )
    if client.size.strip().lower() == SIZE_MICRO and today <= RELIEFS_END:
        found.append(
            Deadline(
                RELIEFS_END, "Koniec ulgi mikro", client.name, "Od 1.01.2027 wszystkie faktury B2B w KSeF."
            )
        )
    if "token" in client.credential_ref.lower() and today <= TOKENS_END:
        found.append(
            Deadline(TOKENS_END, "Koniec ważności tokenów", client.name, "Zastąp token certyfikatem KSeF.")
        )
    unfinished = missing_permissions(
        client.scenario,
        invoice_read=client.perm_invoice_read,
        invoice_write=client.perm_invoice_write,
        can_delegate=client.perm_can_delegate,
    ) or (client.scenario is not None and client.annex_status != "podpisany")
    if unfinished and today < PENALTIES_START:
        found.append(
            Deadline(
                PENALTIES_START - timedelta(days=1),
                "Dokończyć wdrożenie przed karami",
                client.name,
                "Aneks i uprawnienia wymagane przez scenariusz — od 1.01.2027 kary za faktury poza KSeF.",
            )
        )
    found.sort(key=lambda d: d.when)
    # The monthly JPK applies to everyone: it comes after the client's own deadlines.
    found.append(
        Deadline(jpk_due(today), "JPK_V7 za poprzedni miesiąc", client.name, "Numery KSeF lub OFF/BFK/DI.")
    )
    return found
