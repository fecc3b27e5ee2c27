"""The three cooperation scenarios between the office and a client (DOMAIN.md §3).

Who issues, sends, fetches and verifies, and which KSeF permissions the office needs in the
client's context for each. Used by the register (missing permissions), the scenario sheet, the
next-step logic and by the fetch part (whether the office fetches for a client at all).
"""

from __future__ import annotations

from dataclasses import dataclass

PERM_READ = "InvoiceRead"
PERM_WRITE = "InvoiceWrite"
PERM_DELEGATE = "canDelegate"
# The names of the KSeF screens (DOMAIN.md §2.2, the same as ``ksef_sheets.ksef.PERMISSION_LABELS``);
# staff read these, the codes follow in brackets for whoever grants them in KSeF.
PERMISSION_NAMES = {
    PERM_READ: "przeglądanie faktur",
    PERM_WRITE: "wystawianie faktur",
    PERM_DELEGATE: "możliwość dalszego przekazania",
}


def permission_name(code: str) -> str:
    """„przeglądanie faktur” (InvoiceRead) — the Polish name with the KSeF code."""
    return f"„{PERMISSION_NAMES[code]}” ({code})" if code in PERMISSION_NAMES else code


def permissions_phrase(codes: list[str] | tuple[str, ...]) -> str:
    """Permissions to grant, in words: „przeglądanie faktur” (InvoiceRead) z możliwością dalszego
    przekazania (canDelegate); canDelegate alone is the flag on what the office already holds."""
    grants = [permission_name(c) for c in codes if c != PERM_DELEGATE]
    if PERM_DELEGATE not in codes:
        return " i ".join(grants)
    if not grants:
        return f"{PERMISSION_NAMES[PERM_DELEGATE]} ({PERM_DELEGATE}) dla już nadanych"
    return " i ".join(grants) + f" z możliwością dalszego przekazania ({PERM_DELEGATE})"


@dataclass(frozen=True)
class Scenario:
    number: int
    title: str
    who_issues: str
    who_sends: str
    who_fetches: str
    who_verifies: str
    automation: str
    responsibility: str
    permissions_text: str
    contract_clauses: str
    deadlines: str
    outage: str
    fee_note: str
    # What the office must hold in the client's context; canDelegate lets it pass access to staff.
    required_permissions: tuple[str, ...]
    optional_permissions: tuple[str, ...] = ()

    @property
    def office_fetches(self) -> bool:
        return PERM_READ in self.required_permissions

    @property
    def office_issues(self) -> bool:
        return PERM_WRITE in self.required_permissions


SCENARIOS: dict[int, Scenario] = {
    1: Scenario(
        number=1,
        title="Klient wystawia i pobiera sam",
        who_issues="klient (własny program lub Aplikacja Podatnika KSeF)",
        who_sends="klient",
        who_fetches="klient; przekazuje biuru dokumenty do ustalonego dnia (np. 5. dnia miesiąca)",
        who_verifies="klient, we własnym zakresie; biuro sprawdza kompletność, jeśli ma odczyt",
        automation="niska",
        responsibility="po stronie klienta; biuro odpowiada za księgowanie tego, co otrzymało",
        permissions_text="żadne nie są konieczne; zalecane „przeglądanie faktur” (InvoiceRead) do kontroli "
        "kompletności",
        contract_clauses="termin dostarczenia wszystkich dokumentów (dzień X); kanał przekazywania "
        "XML/PDF; brak odpowiedzialności biura za faktury nieprzekazane",
        deadlines="dostarczenie dokumentów do dnia X następnego miesiąca",
        outage="klient sam obsługuje tryby offline i zgłasza biuru faktury offline",
        fee_note="bez zmian (opłata za dokument)",
        required_permissions=(),
        optional_permissions=(PERM_READ,),
    ),
    2: Scenario(
        number=2,
        title="Klient wystawia, biuro pobiera koszty",
        who_issues="klient",
        who_sends="klient",
        who_fetches="biuro, według harmonogramu (np. codziennie lub co tydzień i po końcu miesiąca)",
        who_verifies="klient weryfikuje każdą pobraną fakturę w ciągu N dni roboczych; biuro księguje tylko zweryfikowane",
        automation="średnia",
        responsibility="wspólna: biuro za kompletne pobranie i księgowanie zaakceptowanych, klient za treść i terminową akceptację",
        permissions_text="„przeglądanie faktur” (InvoiceRead) z możliwością dalszego przekazania "
        "(canDelegate) dla NIP biura",
        contract_clauses="częstotliwość pobierania; termin weryfikacji (N dni) i skutek milczenia; "
        "faktury nierozpoznane nie są księgowane; procedura awarii; RODO (umowa powierzenia)",
        deadlines="pobieranie wg harmonogramu; weryfikacja w N dni; spóźniona → następny okres lub dopłata",
        outage="klient wystawia offline u siebie; biuro pobiera ponownie po awarii",
        fee_note="+ opłata za pobieranie i obieg weryfikacji; dokument elektroniczny tańszy niż ręczny (1–3 zł zamiast 4–5 zł)",
        required_permissions=(PERM_READ, PERM_DELEGATE),
    ),
    3: Scenario(
        number=3,
        title="Biuro wystawia i pobiera",
        who_issues="biuro, na podstawie danych od klienta",
        who_sends="biuro (w ustawowym terminie)",
        who_fetches="biuro",
        who_verifies="klient zatwierdza okresowe zestawienie sprzedaży i kosztów; sporne pozycje oznacza",
        automation="wysoka",
        responsibility="biuro za terminowe i technicznie poprawne wystawienie; klient za prawdziwość danych",
        permissions_text="„przeglądanie faktur” (InvoiceRead) i „wystawianie faktur” (InvoiceWrite) z "
        "możliwością dalszego przekazania (canDelegate); certyfikat KSeF typu Offline do KODU II",
        contract_clauses="termin przekazania danych do faktur (np. ten sam dzień / D+1 dla offline24); "
        "zatwierdzenie zestawienia do dnia X; rozszerzenie OC biura o wystawianie faktur",
        deadlines="dane do faktur do godziny/dnia granicznego; zatwierdzenie zestawienia do dnia X",
        outage="biuro wystawia offline (certyfikat Offline) i dosyła w terminie; klient dostaje wizualizacje z kodami QR",
        fee_note="+ opłata za wystawioną fakturę lub miesięczna; + koszt rozszerzenia OC",
        required_permissions=(PERM_READ, PERM_WRITE, PERM_DELEGATE),
    ),
}


def scenario(number: int | None) -> Scenario | None:
    return SCENARIOS.get(number) if number is not None else None


def required_permissions(number: int | None) -> tuple[str, ...]:
    """Permissions the office needs for a scenario (1 → none, 2 → read, 3 → read + write)."""
    chosen = scenario(number)
    return chosen.required_permissions if chosen else ()


def missing_permissions(
    number: int | None, *, invoice_read: bool, invoice_write: bool, can_delegate: bool
) -> list[str]:
    held = {PERM_READ: invoice_read, PERM_WRITE: invoice_write, PERM_DELEGATE: can_delegate}
    return [p for p in required_permissions(number) if not held[p]]
