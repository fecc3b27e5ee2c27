"""KSeF deadlines (DOMAIN.md §1, §4) and each client's next deadline — pure functions.

Every date here goes through the business-day calendar (``ksef_sheets.office.calendar``): the
JPK_V7 on the 25th moves past a day off (Tax Ordinance art. 12 § 5) and ``offline_deadline``
gives the day by which an offline invoice must reach KSeF in each mode (VAT Act art. 106nda,
106nf, 106ng, 106nh).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ksef_sheets.office.calendar import (
    add_business_days,
    day_off_reason,
    format_day,
    move_to_business_day,
    next_business_day,
)
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


JPK_DAY = 25  # JPK_V7M/K: by the 25th of the following month (VAT Act art. 99 ust. 1, art. 109 ust. 3b)
FAILURE_DAYS = 7  # art. 106nf: 7 business days from the end of an announced failure

ART_12_5 = "art. 12 § 5 Ordynacji podatkowej"


@dataclass(frozen=True)
class Deadline:
    when: date
    title: str
    who: str
    details: str
    moved_from: date | None = None  # the statutory day, when it fell on a day off (art. 12 § 5)

    @property
    def moved_note(self) -> str:
        """The note on a moved deadline ("Termin przesunięty z 25.12.2026 (pt.) …"), or ""."""
        if self.moved_from is None:
            return ""
        why = day_off_reason(self.moved_from) or "dzień wolny"
        return (
            f"Termin przesunięty z {format_day(self.moved_from)} — dzień wolny: {why} — "
            f"na {format_day(self.when)} ({ART_12_5})."
        )

    @property
    def full_details(self) -> str:
        """The details followed by the note on a moved deadline, for the Terminy sheet."""
        return f"{self.details} {self.moved_note}".strip()


def statutory_deadline(day: date, title: str, who: str, details: str) -> Deadline:
    """A deadline on ``day``, moved to the next business day when ``day`` is a day off."""
    moved = move_to_business_day(day)
    return Deadline(moved, title, who, details, moved_from=day if moved != day else None)


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
    statutory_deadline(
        date(2026, 3, JPK_DAY),
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


def jpk_deadline(today: date) -> Deadline:
    """The next JPK_V7 filing deadline on or after ``today``, with ``moved_from`` when it moved.

    The 25th of a month, moved past a day off (art. 12 § 5); a 25th that has passed still counts
    while its moved deadline has not (on 26.12.2026 the November file is due 28.12.2026).
    """
    statutory = date(today.year, today.month, JPK_DAY)
    if move_to_business_day(statutory) < today:
        statutory = date(today.year + (today.month == 12), today.month % 12 + 1, JPK_DAY)
    return statutory_deadline(
        statutory, "JPK_V7 za poprzedni miesiąc", "czynni podatnicy VAT", "Numery KSeF lub OFF/BFK/DI."
    )


def jpk_due(today: date) -> date:
    """The next JPK_V7 filing day on or after ``today`` (see ``jpk_deadline``)."""
    return jpk_deadline(today).when


# -- Offline invoices: the day by which they must reach KSeF ---------------------------------

OFFLINE24 = "offline24"  # art. 106nda: the taxpayer's choice
UNAVAILABILITY = "niedostepnosc"  # art. 106nh: KSeF unavailability announced by the Ministry
FAILURE = "awaria"  # art. 106nf: KSeF failure announced by the Ministry
TOTAL_FAILURE = "awaria_calkowita"  # art. 106ng: total failure announced in the media
OfflineKind = Literal["offline24", "niedostepnosc", "awaria", "awaria_calkowita"]
OFFLINE_KINDS: tuple[str, ...] = (OFFLINE24, UNAVAILABILITY, FAILURE, TOTAL_FAILURE)

OFFLINE_KIND_LABELS = {
    OFFLINE24: "offline24",
    UNAVAILABILITY: "niedostępność KSeF",
    FAILURE: "awaria KSeF",
    TOTAL_FAILURE: "awaria całkowita",
}


def offline_deadline(mode: str, day: date, *, failure_ended_on: date | None = None) -> date | None:
    """The last day to send an offline invoice to KSeF, or None when there is no obligation.

    ``day`` is the issue date (P_1) for ``offline24`` and the day the unavailability or failure
    ended for ``niedostepnosc`` and ``awaria``:

    - offline24 (art. 106nda): the next business day after the issue date;
    - niedostepnosc (art. 106nh): the next business day after the unavailability ended;
    - awaria (art. 106nf): 7 business days from the end of the failure;
    - awaria_calkowita (art. 106ng): None — nothing is sent to KSeF afterwards.

    ``failure_ended_on``: a failure announced while the invoice was waiting; the deadline is then
    7 business days from the end of the last such failure (MF, ``tryby-offline.md``). A new
    failure in the window restarts the count: pass the end of the latest one.
    """
    if mode not in OFFLINE_KINDS:
        raise ValueError(f"unknown offline mode {mode!r}; one of {OFFLINE_KINDS}")
    if mode == TOTAL_FAILURE:
        return None
    if failure_ended_on is not None:
        return add_business_days(failure_ended_on, FAILURE_DAYS)
    if mode == FAILURE:
        return add_business_days(day, FAILURE_DAYS)
    return next_business_day(day)


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
    jpk = jpk_deadline(today)
    found.append(Deadline(jpk.when, jpk.title, client.name, jpk.details, moved_from=jpk.moved_from))
    return found
