"""Fixed content of the office workbook: the office checklist, rollout plan steps, procedures, FAQ.

Wording follows DOMAIN.md §1–§5 (legal timeline, access model, scenarios, outages, client questions).
It is seeded into the workbook once; afterwards the office may edit it there.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistItem:
    number: str  # "1.2": step 1, item 2
    step: str
    task: str
    days: int  # due this many days after the checklist was created


CHECKLIST_STEPS = (
    "Lista klientów",
    "Komunikacja z klientami",
    "Oprogramowanie biura",
    "Upoważnienia i tokeny",
    "Procedury wewnętrzne",
)

CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "1.1",
        CHECKLIST_STEPS[0],
        "Zebrać listę klientów: NIP, forma prawna, wielkość, termin obowiązku KSeF.",
        7,
    ),
    ChecklistItem(
        "1.2",
        CHECKLIST_STEPS[0],
        "Oznaczyć klientów zwolnionych z VAT, mikro (ulga do 31.12.2026) i z kasą rejestrującą.",
        7,
    ),
    ChecklistItem(
        "1.3",
        CHECKLIST_STEPS[0],
        "Ustalić, którzy klienci potrzebują ZAW-FA (spółki, fundacje bez pieczęci kwalifikowanej).",
        10,
    ),
    ChecklistItem(
        "2.1",
        CHECKLIST_STEPS[1],
        "Wysłać mail edukacyjny o KSeF z ankietą gotowości i wzorem upoważnienia.",
        14,
    ),
    ChecklistItem(
        "2.2", CHECKLIST_STEPS[1], "Przedstawić klientom trzy scenariusze współpracy i zebrać decyzje.", 21
    ),
    ChecklistItem(
        "2.3",
        CHECKLIST_STEPS[1],
        "Wysłać aneksy do umów (scenariusz, terminy weryfikacji, odpowiedzialność, opłaty).",
        28,
    ),
    ChecklistItem(
        "2.4", CHECKLIST_STEPS[1], "Przygotować odpowiedzi na częste pytania klientów (arkusz FAQ).", 14
    ),
    ChecklistItem(
        "3.1",
        CHECKLIST_STEPS[2],
        "Sprawdzić, czy program księgowy biura przyjmuje faktury z KSeF (XML FA(3)).",
        14,
    ),
    ChecklistItem(
        "3.2",
        CHECKLIST_STEPS[2],
        "Ustawić automatyczne pobieranie faktur (ksef-sheets fetch) według harmonogramu.",
        21,
    ),
    ChecklistItem(
        "3.3", CHECKLIST_STEPS[2], "Przećwiczyć obieg na emulatorze KSeF z 1–2 klientami pilotażowymi.", 21
    ),
    ChecklistItem(
        "3.4",
        CHECKLIST_STEPS[2],
        "Zaproponować klientom bez programu aplikację do fakturowania zintegrowaną z KSeF.",
        28,
    ),
    ChecklistItem(
        "4.1",
        CHECKLIST_STEPS[3],
        "Uzyskać pieczęć kwalifikowaną biura albo certyfikat KSeF (logowanie biura).",
        14,
    ),
    ChecklistItem(
        "4.2",
        CHECKLIST_STEPS[3],
        "Zebrać potwierdzenia nadania uprawnień InvoiceRead/InvoiceWrite z canDelegate dla NIP biura.",
        35,
    ),
    ChecklistItem(
        "4.3",
        CHECKLIST_STEPS[3],
        "Nadać pracownikom uprawnienia pośrednie — selektywne (per klient), generalne tylko z potrzeby.",
        35,
    ),
    ChecklistItem(
        "4.4",
        CHECKLIST_STEPS[3],
        "Zastąpić tokeny KSeF certyfikatami przed 31.12.2026; tokeny tylko w sejfie.",
        30,
    ),
    ChecklistItem(
        "4.5", CHECKLIST_STEPS[3], "Dla scenariusza 3: certyfikat KSeF typu Offline do podpisu KODU II.", 35
    ),
    ChecklistItem(
        "5.1",
        CHECKLIST_STEPS[4],
        "Spisać procedurę weryfikacji faktur przez klientów (termin N dni, skutek milczenia).",
        21,
    ),
    ChecklistItem(
        "5.2",
        CHECKLIST_STEPS[4],
        "Spisać procedurę awarii KSeF i faktur offline (oznaczenia OFF/DI/BFK w JPK_V7).",
        21,
    ),
    ChecklistItem(
        "5.3",
        CHECKLIST_STEPS[4],
        "Procedura odejścia pracownika: odebrać uprawnienia pośrednie w dniu odejścia.",
        21,
    ),
    ChecklistItem(
        "5.4",
        CHECKLIST_STEPS[4],
        "Rozszerzyć OC biura o wystawianie faktur w imieniu klientów (scenariusz 3).",
        30,
    ),
    ChecklistItem(
        "5.5",
        CHECKLIST_STEPS[4],
        "Zaktualizować umowy powierzenia danych (RODO) o dane pobierane z KSeF.",
        30,
    ),
)


@dataclass(frozen=True)
class PlanStep:
    number: int
    title: str
    per_client: bool
    days: int


PLAN_STEPS: tuple[PlanStep, ...] = (
    PlanStep(1, "Lista klientów i terminów obowiązku", False, 7),
    PlanStep(2, "Sprawdzenie programu do faktur klienta", True, 14),
    PlanStep(3, "Mail edukacyjny z wzorem upoważnienia", True, 14),
    PlanStep(4, "Prezentacja scenariuszy i wybór", True, 21),
    PlanStep(5, "Aplikacja do fakturowania dla klienta", True, 28),
    PlanStep(6, "Pilotaż z 1–2 klientami", True, 35),
)


@dataclass(frozen=True)
class Procedure:
    area: str
    topic: str
    description: str
    owner: str
    frequency: str


SECURITY_PROCEDURES: tuple[Procedure, ...] = (
    Procedure(
        "Bezpieczeństwo",
        "Poświadczenia KSeF",
        "Tokeny, certyfikaty i klucze tylko w sejfie programu (ksef-sheets credentials add). Nigdy w Excelu, "
        "e-mailu ani na karteczce. W rejestrze wpisujemy tylko odnośnik do wpisu w sejfie.",
        "właściciel biura",
        "stale",
    ),
    Procedure(
        "Bezpieczeństwo",
        "Uprawnienia pracowników",
        "Pracownik dostaje uprawnienia pośrednie selektywne (per NIP klienta). Generalne (AllPartners) tylko dla "
        "osób obsługujących wszystkich klientów. Przegląd uprawnień raz w kwartale.",
        "właściciel biura",
        "co kwartał",
    ),
    Procedure(
        "Bezpieczeństwo",
        "Odejście lub zmiana roli pracownika",
        "W dniu odejścia: odebrać uprawnienia pośrednie, zablokować dostęp do sejfu i folderu biura, przekazać "
        "klientów innemu opiekunowi w rejestrze, odnotować datę i powód.",
        "właściciel biura",
        "w dniu odejścia",
    ),
    Procedure(
        "Bezpieczeństwo",
        "Koniec współpracy z klientem",
        "Klient odbiera uprawnienie podmiotowe biura; biuro odbiera uprawnienia pośrednie pracowników, usuwa "
        "poświadczenia z sejfu i potwierdza klientowi na piśmie brak dostępu.",
        "opiekun klienta",
        "przy rozwiązaniu umowy",
    ),
    Procedure(
        "Bezpieczeństwo",
        "Incydent",
        "Podejrzenie wycieku lub nieznana faktura wystawiona w imieniu klienta: natychmiast powiadomić klienta, "
        "odebrać dostęp, zapisać zdarzenie; faktur nierozpoznanych nie księgujemy.",
        "każdy pracownik",
        "natychmiast",
    ),
    Procedure(
        "Bezpieczeństwo",
        "Tokeny do 31.12.2026",
        "Tokeny KSeF działają do końca 2026 r. Do 15.12.2026 przejść na certyfikaty KSeF i unieważnić tokeny.",
        "właściciel biura",
        "jednorazowo",
    ),
    Procedure(
        "Harmonogram",
        "Weryfikacja faktur przez klientów",
        "Klient (scenariusz 2) weryfikuje pobrane faktury w ciągu 5 dni roboczych; po terminie opiekun dzwoni. "
        "Księgujemy tylko zaakceptowane.",
        "opiekun klienta",
        "co tydzień",
    ),
    Procedure(
        "Harmonogram",
        "Zamknięcie miesiąca",
        "Ostatnie pobranie po końcu miesiąca (do 3. dnia), uzgodnienie z JPK_V7: każdy wiersz z numerem KSeF "
        "lub OFF/BFK/DI.",
        "opiekun klienta",
        "do 3. dnia miesiąca",
    ),
    Procedure(
        "Harmonogram",
        "Awaria KSeF",
        "Śledzić komunikaty BIP MF; zebrać od klientów listę faktur offline i tryb; dosłać w terminie trybu "
        "(scenariusz 3); po awarii pobrać ponownie.",
        "dyżurny pracownik",
        "przy awarii",
    ),
)


@dataclass(frozen=True)
class FaqEntry:
    number: int
    topic: str
    question: str
    answer: str


FAQ: tuple[FaqEntry, ...] = (
    FaqEntry(
        1,
        "Program",
        "Czy muszę mieć program do faktur?",
        "Nie musi Pan/Pani. Ministerstwo Finansów udostępnia bezpłatnie Aplikację Podatnika KSeF 2.0, aplikację "
        "mobilną KSeF oraz e-mikrofirmę w e-Urzędzie Skarbowym — wszystkie wystawiają i odbierają faktury FA(3). "
        "Nie mają jednak bazy kontrahentów ani szablonów i działają tylko online. Przy więcej niż kilku fakturach "
        "miesięcznie albo gdy potrzebny jest tryb offline, polecamy program zintegrowany z KSeF.",
    ),
    FaqEntry(
        2,
        "Współpraca z biurem",
        "Czy biuro może obsłużyć KSeF za mnie?",
        "Tak. Wystarczy, że nada Pan/Pani w KSeF uprawnienie dla NIP naszego biura: przeglądanie faktur "
        "(InvoiceRead) — wtedy pobieramy Pana/Pani faktury — a jeśli tak ustalimy, także wystawianie faktur "
        "(InvoiceWrite), w obu przypadkach z możliwością przekazania naszym pracownikom. Spółka bez pieczęci "
        "kwalifikowanej musi najpierw wyznaczyć administratora KSeF formularzem ZAW-FA. Za treść faktur nadal "
        "odpowiada podatnik; nasze obowiązki opisuje aneks do umowy.",
    ),
    FaqEntry(
        3,
        "Faktury papierowe",
        "Czy mogę nadal wystawiać faktury ręcznie (papier, Word, PDF)?",
        "Tylko w kilku przypadkach: do 31.12.2026, jeśli faktury wystawione w miesiącu nie przekraczają 10 000 zł "
        "brutto; faktury dla konsumentów; faktury z kasy rejestrującej do końca 2026 r.; w czasie ogłoszonej "
        "awarii całkowitej KSeF. W pozostałych przypadkach od 1.04.2026 faktura B2B poza KSeF narusza przepisy, "
        "a od 2027 r. grozi za to kara. Faktury od dostawców otrzymuje Pan/Pani w KSeF od 1.02.2026.",
    ),
    FaqEntry(
        4,
        "Kary",
        "Co jeśli nie będę korzystać z KSeF?",
        "W 2026 r. nie ma kar administracyjnych. Od 1.01.2027 za fakturę wystawioną poza KSeF grozi kara do 100% "
        "VAT z faktury, a gdy faktura nie ma VAT — do 18,7% kwoty brutto; tak samo za spóźnione dosłanie faktury "
        "offline. Już teraz JPK_V7 zawiera numery KSeF, więc urząd widzi faktury wystawione poza systemem, a "
        "faktury kosztowe przychodzą tylko przez KSeF.",
    ),
    FaqEntry(
        5,
        "Awaria",
        "Co jeśli KSeF nie działa?",
        "Jeśli problem jest po Pana/Pani stronie — wystawia Pan/Pani fakturę w trybie offline24 i wysyła do KSeF "
        "najpóźniej następnego dnia roboczego. Przy ogłoszonej niedostępności KSeF — następnego dnia roboczego po "
        "jej zakończeniu; przy ogłoszonej awarii — w ciągu 7 dni roboczych od jej końca. Przy awarii całkowitej "
        "ogłoszonej w mediach wystawia Pan/Pani fakturę dowolnie i niczego się potem nie dosyła. Kupujący dostaje "
        "wydruk lub PDF z kodami QR. Prosimy zawsze informować nas, które faktury były offline.",
    ),
    FaqEntry(
        6,
        "Data wystawienia",
        "Czy mogę antydatować fakturę?",
        "Data w polu P_1 musi być prawdziwą datą wystawienia. Może być wcześniejsza niż dzień wysłania do KSeF — "
        "wtedy faktura jest traktowana jak faktura offline24 — ale prosimy wysłać ją najpóźniej następnego dnia "
        "roboczego. Świadome wpisanie fałszywej daty to nadal ryzyko. Datę dostawy podaje się w polu P_6.",
    ),
    FaqEntry(
        7,
        "Pełna obsługa",
        "Czy biuro zrobi wszystko za mnie?",
        "Tak, w scenariuszu 3: wystawiamy i wysyłamy Pana/Pani faktury oraz pobieramy koszty, a Pan/Pani przekazuje "
        "nam dane sprzedaży na czas i zatwierdza miesięczne zestawienie. Wymaga to uprawnienia InvoiceWrite, "
        "ustalenia certyfikatu Offline, wyższej opłaty i rozszerzenia naszego OC. Odpowiedzialność za prawdziwość "
        "danych pozostaje po stronie podatnika.",
    ),
    FaqEntry(
        8,
        "ZAW-FA",
        "Kto musi złożyć ZAW-FA?",
        "Osoba prowadząca działalność (JDG) loguje się do KSeF jako właściciel profilem zaufanym lub podpisem i nie "
        "składa formularza. Spółki, fundacje i stowarzyszenia bez kwalifikowanej pieczęci elektronicznej składają "
        "ZAW-FA w urzędzie skarbowym (od 10.02.2026 także przez e-Urząd Skarbowy), wskazując osobę, która będzie "
        "administratorem KSeF. Pomożemy wypełnić formularz.",
    ),
    FaqEntry(
        9,
        "Tokeny",
        "Czy mam przekazać biuru token KSeF?",
        "Nie. Prosimy nie wysyłać nam tokenów ani haseł. Biuro loguje się własną pieczęcią lub certyfikatem, a Pan/Pani "
        "nadaje uprawnienia dla NIP biura w Aplikacji Podatnika KSeF. Tokeny i tak działają tylko do 31.12.2026.",
    ),
    FaqEntry(
        10,
        "Weryfikacja",
        "Po co mam weryfikować faktury pobrane przez biuro?",
        "W KSeF może pojawić się faktura, której Pan/Pani nie zamawiał/a, albo wydatek prywatny. Księgujemy tylko "
        "faktury, które Pan/Pani zaakceptuje; o fakturach nieznanych trzeba porozmawiać z wystawcą — nie księgujemy "
        "ich do wyjaśnienia.",
    ),
)
