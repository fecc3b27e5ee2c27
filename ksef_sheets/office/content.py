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
        "1.4",
        CHECKLIST_STEPS[0],
        "Dla każdego klienta zapisać, jak dziś dostarcza dokumenty (papier, e-mail PDF, system OCR, "
        "eksport z programu) — kolumna „Jak dokumenty trafiają do biura” — i kto go reprezentuje "
        "(kolumna „Reprezentowany przez / podstawa reprezentacji”).",
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
        "Wysłać aneksy do umów i umowy powierzenia danych (scenariusz, terminy weryfikacji, "
        "odpowiedzialność, opłaty, RODO).",
        28,
    ),
    ChecklistItem(
        "2.4", CHECKLIST_STEPS[1], "Przygotować odpowiedzi na częste pytania klientów (arkusz FAQ).", 14
    ),
    ChecklistItem(
        "2.5",
        CHECKLIST_STEPS[1],
        "Przypomnieć klientom, że faktury spoza KSeF (mali dostawcy do końca 2026 r., kasy, dostawcy "
        "zagraniczni, awarie) nadal trzeba przekazywać biuru.",
        14,
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
        "Tokeny KSeF tylko przejściowo (klient, który jeszcze nie może nadać uprawnień) i tylko w sejfie; "
        "przejść na uprawnienia dla NIP biura i certyfikaty przed 31.12.2026.",
        30,
    ),
    ChecklistItem(
        "4.5", CHECKLIST_STEPS[3], "Dla scenariusza 3: certyfikat KSeF typu Offline do podpisu KODU II.", 35
    ),
    ChecklistItem(
        "4.6",
        CHECKLIST_STEPS[3],
        "Biuro będące spółką bez kwalifikowanej pieczęci elektronicznej: złożyć własny ZAW-FA i wskazać "
        "administratora KSeF biura.",
        14,
    ),
    ChecklistItem(
        "4.7",
        CHECKLIST_STEPS[3],
        "Ciągłość: drugi administrator KSeF biura (administrator z ZAW-FA nadaje mu zarządzanie "
        "uprawnieniami), aby urlop lub choroba jednej osoby nie blokowały biura.",
        21,
    ),
    ChecklistItem(
        "4.8",
        CHECKLIST_STEPS[3],
        "Spisać, gdzie przechowywane jest hasło do sejfu programu (np. koperta w sejfie biura) i kto je zna "
        "— co najmniej dwie osoby; samego hasła nie zapisywać w skoroszycie.",
        14,
    ),
    ChecklistItem(
        "4.9",
        CHECKLIST_STEPS[3],
        "Wpisać daty ważności certyfikatów KSeF biura (do 2 lat) i ustawić przypomnienie 30 dni przed "
        "końcem (ksef-sheets credentials list).",
        21,
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
        "Spisać procedurę awarii KSeF i faktur offline (oznaczenia NrKSeF/OFF/BFK/DI w JPK_V7, "
        "arkusz Zespół i procedury).",
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
        "Przegląd polisy OC biura (każde biuro, każdy scenariusz): czy obejmuje pobieranie faktur z KSeF i "
        "obsługę uprawnień; w scenariuszu 3 rozszerzyć ją o wystawianie faktur w imieniu klientów.",
        30,
    ),
    ChecklistItem(
        "5.5",
        CHECKLIST_STEPS[4],
        "Zawrzeć lub zaktualizować umowy powierzenia danych (RODO): dane z KSeF, dalsi przetwarzający, "
        "zwrot lub usunięcie archiwum faktur po zakończeniu umowy.",
        30,
    ),
    ChecklistItem(
        "5.6",
        CHECKLIST_STEPS[4],
        "Zespół: podzielić obowiązki KSeF między osoby, przeszkolić każdego pracownika i zapisać datę "
        "szkolenia (arkusz Zespół i procedury).",
        21,
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
        "Hasło do sejfu",
        "Hasło do sejfu programu znają co najmniej dwie osoby; zapisane jest tylko w jednym miejscu poza "
        "komputerem (np. zaklejona koperta w sejfie biura). Miejsce i osoby wpisujemy tutaj, samo hasło nigdy.",
        "właściciel biura",
        "przy każdej zmianie",
    ),
    Procedure(
        "Bezpieczeństwo",
        "Dostęp biura do KSeF i ciągłość",
        "Biuro loguje się własną pieczęcią kwalifikowaną albo — spółka bez pieczęci — przez administratora "
        "wskazanego we własnym ZAW-FA. Drugi administrator ma zarządzanie uprawnieniami. Daty ważności "
        "certyfikatów KSeF (do 2 lat) sprawdzamy co miesiąc; nowy certyfikat 30 dni przed końcem starego.",
        "właściciel biura",
        "co miesiąc",
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
        "Klient odbiera biuru uprawnienia do obsługi faktur (przeglądanie, wystawianie); biuro odbiera "
        "uprawnienia pośrednie pracowników, usuwa poświadczenia z sejfu, zwraca lub usuwa archiwum faktur "
        "zgodnie z umową powierzenia i potwierdza klientowi na piśmie brak dostępu.",
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
        "Token KSeF niesie tożsamość osoby, która go wygenerowała, i stały zestaw uprawnień. Nie zbieramy "
        "tokenów od klientów; token przyjmujemy tylko przejściowo od klienta, który jeszcze nie może nadać "
        "uprawnień biuru (np. czeka na ZAW-FA), z datą unieważnienia. Tokeny działają do końca 2026 r.: do "
        "15.12.2026 przejść na uprawnienia dla NIP biura i certyfikaty KSeF, tokeny unieważnić.",
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
        "albo oznaczeniem OFF, BFK lub DI (zasady poniżej). Dokumenty spoza KSeF zebrać od klientów.",
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
    *(
        Procedure("JPK_V7 — oznaczenia", marker, rule, "opiekun klienta", "przy każdym pliku JPK")
        for marker, rule in (
            (
                "NrKSeF",
                "Faktura ma numer KSeF w dniu złożenia JPK (w dowolnym trybie: online, offline24, "
                "niedostępność, awaria) — wpisujemy numer KSeF.",
            ),
            (
                "OFF",
                "Faktura wystawiona w trybie awarii KSeF (art. 106nf ust. 1), która w dniu złożenia JPK nie ma "
                "jeszcze numeru KSeF. Korekty JPK po nadaniu numeru nie robimy.",
            ),
            (
                "BFK",
                "Faktura wystawiona poza KSeF zgodnie z prawem (papierowa lub elektroniczna): np. dla "
                "konsumenta, przed obowiązkiem KSeF wystawcy, z kasy rejestrującej, w awarii całkowitej.",
            ),
            (
                "DI",
                "Dowód inny niż faktura (np. raport z kasy, dokument wewnętrzny) oraz faktura offline24 "
                "(art. 106nda) lub z niedostępności KSeF (art. 106nh), która w dniu złożenia JPK nie ma "
                "numeru — po nadaniu numeru korygujemy JPK, wpisując numer KSeF.",
            ),
        )
    ),
    *(
        Procedure("Zespół", topic, description, owner, frequency)
        for topic, description, owner, frequency in (
            (
                "Podział obowiązków",
                "Właściciel: dostęp biura do KSeF, sejf, uprawnienia pracowników, polisa OC. Opiekun klienta: "
                "rejestr, aneks, weryfikacja faktur, JPK. Dyżurny: komunikaty o awariach, pobieranie. "
                "Każde zadanie ma zastępcę.",
                "właściciel biura",
                "przy zmianie składu",
            ),
            (
                "Szkolenie KSeF",
                "Każdy pracownik przed nadaniem uprawnień: KSeF, tryby offline, oznaczenia JPK, weryfikacja "
                "faktur, bezpieczeństwo. Rolę w KSeF i datę szkolenia wpisujemy przy pracowniku "
                "(arkusz Pracownicy).",
                "właściciel biura",
                "przed pierwszym dostępem, potem co rok",
            ),
            (
                "Język korzyści — automatyzacja",
                "Faktury przychodzą same z KSeF, bez przepisywania i skanowania; program pobiera je według "
                "harmonogramu.",
                "wszyscy",
                "w rozmowach z zespołem",
            ),
            (
                "Język korzyści — oszczędność czasu",
                "Mniej ręcznego wprowadzania i poprawiania danych; czas na doradztwo zamiast przepisywania.",
                "wszyscy",
                "w rozmowach z zespołem",
            ),
            (
                "Język korzyści — prostszy obieg dokumentów",
                "Jedno źródło faktur, jasne statusy (do weryfikacji, zaakceptowana), mniej pytań do klienta "
                "o brakujące dokumenty.",
                "wszyscy",
                "w rozmowach z zespołem",
            ),
        )
    ),
)


@dataclass(frozen=True)
class FaqEntry:
    number: int
    topic: str
    question: str
    answer: str


# Numbers are the keys of rows in existing workbooks: new questions get new numbers at the end.
# Answers to clients: always "Państwo" (a company, a foundation or a sole trader alike).
FAQ: tuple[FaqEntry, ...] = (
    FaqEntry(
        1,
        "Program",
        "Czy muszę mieć program do faktur?",
        "Nie jest konieczny. Ministerstwo Finansów udostępnia bezpłatnie Aplikację Podatnika KSeF 2.0, "
        "aplikację mobilną KSeF oraz e-mikrofirmę w e-Urzędzie Skarbowym — wszystkie wystawiają i odbierają "
        "faktury FA(3). Nie mają jednak bazy kontrahentów ani szablonów i działają tylko online. Przy więcej "
        "niż kilku fakturach miesięcznie albo gdy potrzebny jest tryb offline, polecamy Państwu program "
        "zintegrowany z KSeF.",
    ),
    FaqEntry(
        2,
        "Współpraca z biurem",
        "Czy biuro może obsłużyć KSeF za mnie?",
        "Tak. Wystarczy, że nadadzą Państwo w KSeF firmie biura (po NIP) uprawnienie „przeglądanie faktur” — "
        "wtedy pobieramy Państwa faktury — a jeśli tak ustalimy, także „wystawianie faktur”, w obu "
        "przypadkach z możliwością przekazania naszym pracownikom. Uprawnienia nadaje się tylko w KSeF "
        "(Aplikacja Podatnika KSeF albo Państwa program); podpisane upoważnienie samo ich nie nadaje. Spółka "
        "lub fundacja bez pieczęci kwalifikowanej najpierw wskazuje administratora KSeF formularzem ZAW-FA. "
        "Za treść faktur nadal odpowiada podatnik; nasze obowiązki opisuje aneks do umowy.",
    ),
    FaqEntry(
        3,
        "Faktury papierowe",
        "Czy mogę nadal wystawiać faktury ręcznie (papier, Word, PDF)?",
        "Tylko w kilku przypadkach: do 31.12.2026, jeśli faktury wystawione w miesiącu nie przekraczają "
        "10 000 zł brutto; faktury dla konsumentów; faktury z kasy rejestrującej do końca 2026 r.; w czasie "
        "ogłoszonej awarii całkowitej KSeF; transakcje wyłączone z KSeF. W pozostałych przypadkach od "
        "1.04.2026 (najwięksi podatnicy od 1.02.2026) faktura poza KSeF narusza przepisy, a od 1.01.2027 "
        "grozi za to kara z art. 106ni ustawy o VAT.",
    ),
    FaqEntry(
        4,
        "Kary",
        "Co jeśli nie będę korzystać z KSeF?",
        "Kary z art. 106ni ustawy o VAT obowiązują od 1.01.2027: za fakturę wystawioną poza KSeF mimo "
        "obowiązku — do 100% VAT z faktury, a gdy faktura nie ma VAT — do 18,7% kwoty brutto; tak samo za "
        "spóźnione przesłanie faktury offline. Rok 2026 nie jest jednak wolny od wszystkich kar: błędy w "
        "JPK_V7 i w rozliczeniu VAT są karane jak dotychczas. Plik JPK_V7 zawiera numer KSeF każdej faktury "
        "albo oznaczenie OFF, BFK lub DI, więc urząd widzi faktury wystawione poza systemem.",
    ),
    FaqEntry(
        5,
        "Awaria",
        "Co jeśli KSeF nie działa?",
        "Jeśli problem jest po Państwa stronie — wystawiają Państwo fakturę w trybie offline24 i wysyłają ją "
        "do KSeF najpóźniej następnego dnia roboczego. Przy ogłoszonej niedostępności KSeF — następnego dnia "
        "roboczego po jej zakończeniu; przy ogłoszonej awarii — w ciągu 7 dni roboczych od jej końca. Przy "
        "awarii całkowitej ogłoszonej w mediach fakturę wystawia się dowolnie i niczego się potem nie dosyła. "
        "Kupujący dostaje wydruk lub PDF z kodami QR. Prosimy zawsze informować nas, które faktury były "
        "offline i w jakim trybie — potrzebujemy tego do oznaczeń w JPK_V7.",
    ),
    FaqEntry(
        6,
        "Data wystawienia",
        "Czy mogę antydatować fakturę?",
        "Data w polu P_1 musi być prawdziwą datą wystawienia. Może być wcześniejsza niż dzień wysłania do KSeF "
        "— wtedy faktura jest traktowana jak faktura offline24 — ale prosimy wysłać ją najpóźniej następnego "
        "dnia roboczego. Świadome wpisanie fałszywej daty to nadal ryzyko. Datę dostawy podaje się w polu P_6.",
    ),
    FaqEntry(
        7,
        "Pełna obsługa",
        "Czy biuro zrobi wszystko za mnie?",
        "Tak, w scenariuszu 3: wystawiamy i wysyłamy Państwa faktury sprzedaży oraz pobieramy koszty, a "
        "Państwo przekazują nam dane sprzedaży na czas i zatwierdzają miesięczne zestawienie. Wymaga to "
        "nadania biuru uprawnienia „wystawianie faktur”, ustalenia certyfikatu Offline, wyższej opłaty i "
        "rozszerzenia naszego OC. Odpowiedzialność za prawdziwość danych pozostaje po stronie podatnika; "
        "kto ponosi skutki spóźnionej faktury, określa aneks.",
    ),
    FaqEntry(
        8,
        "ZAW-FA",
        "Kto musi złożyć ZAW-FA?",
        "Osoba prowadząca działalność (JDG) loguje się do KSeF jako właściciel profilem zaufanym lub podpisem i "
        "nie składa formularza. Spółki, fundacje i stowarzyszenia bez kwalifikowanej pieczęci elektronicznej "
        "składają ZAW-FA w urzędzie skarbowym (od 10.02.2026 także przez e-Urząd Skarbowy), wskazując osobę, "
        "która będzie administratorem KSeF. Pomożemy Państwu wypełnić formularz.",
    ),
    FaqEntry(
        9,
        "Tokeny",
        "Czy mam przekazać biuru token KSeF?",
        "Nie. Prosimy nie wysyłać nam tokenów ani haseł: token niesie tożsamość osoby, która go wygenerowała. "
        "Biuro loguje się własną pieczęcią lub certyfikatem, a Państwo nadają uprawnienia firmie biura (po NIP) "
        "w Aplikacji Podatnika KSeF. Tokeny działają tylko do 31.12.2026; profil zaufany, podpis i pieczęć "
        "kwalifikowana pozostają także później.",
    ),
    FaqEntry(
        10,
        "Weryfikacja",
        "Po co mam weryfikować faktury pobrane przez biuro?",
        "W KSeF może pojawić się faktura, której Państwo nie zamawiali, albo wydatek prywatny. Księgujemy tylko "
        "faktury, które Państwo zaakceptują; o fakturach nieznanych trzeba porozmawiać z wystawcą — nie "
        "księgujemy ich do wyjaśnienia.",
    ),
    FaqEntry(
        11,
        "Faktury zakupu",
        "Czy wszystkie faktury od dostawców przyjdą teraz przez KSeF?",
        "Nie. Od 1.02.2026 odbierają Państwo przez KSeF faktury, które dostawcy wystawiają w KSeF. Poza KSeF "
        "nadal przychodzą: faktury od dostawców korzystających do 31.12.2026 ze zwolnienia (sprzedaż do "
        "10 000 zł brutto miesięcznie), faktury z kas rejestrujących i paragony z NIP (do 31.12.2026), "
        "faktury od dostawców zagranicznych i faktury z czasu awarii KSeF. Takie dokumenty prosimy nadal "
        "przekazywać nam tak jak dotychczas — bez nich nie ujmiemy kosztów ani nie odliczymy VAT.",
    ),
    FaqEntry(
        12,
        "Przechowywanie i korekty",
        "Jak długo faktury są w KSeF i czy mogę wystawić notę korygującą?",
        "Faktury są przechowywane w KSeF przez 10 lat od końca roku, w którym je wystawiono. Not "
        "korygujących nie ma od 1.02.2026: błąd na fakturze zakupu może poprawić tylko wystawca fakturą "
        "korygującą — prosimy zwracać się do niego.",
    ),
    FaqEntry(
        13,
        "Nabywcy spoza KSeF",
        "Jak fakturę dostaje konsument albo nabywca zagraniczny?",
        "Poza KSeF: jako wizualizację faktury (wydruk lub PDF) z kodem QR, w sposób z nim uzgodniony. Kod QR "
        "pozwala sprawdzić fakturę w KSeF. W scenariuszu 3 wizualizację przygotowuje biuro i przesyła ją "
        "Państwu, a Państwo przekazują ją nabywcy (albo, na Państwa polecenie, wysyłamy ją nabywcy e-mailem).",
    ),
    FaqEntry(
        14,
        "JPK_V7",
        "Co oznaczają NrKSeF, OFF, BFK i DI w JPK?",
        "Każda faktura w JPK_V7 ma numer KSeF albo jedno z oznaczeń: OFF — faktura z trybu awarii KSeF, "
        "która w dniu złożenia JPK nie ma jeszcze numeru; BFK — faktura wystawiona poza KSeF zgodnie z "
        "prawem; DI — dokument inny niż faktura albo faktura offline24 lub z niedostępności KSeF bez numeru "
        "w dniu złożenia JPK (po nadaniu numeru korygujemy JPK). Dlatego prosimy o informację o fakturach "
        "offline.",
    ),
    FaqEntry(
        15,
        "Podpis aneksu",
        "Jak mogę podpisać aneks?",
        "Podpis własnoręczny albo kwalifikowany podpis elektroniczny to forma pisemna lub równoważna jej forma "
        "elektroniczna (art. 78¹ Kodeksu cywilnego). Podpis zaufany lub osobisty daje formę dokumentową "
        "(art. 77² Kodeksu cywilnego) — wystarcza, gdy umowa z nami nie wymaga formy pisemnej.",
    ),
)


# Texts seeded by earlier versions that said something wrong (issue 16). A refresh replaces such a
# cell with today's text only while it still holds exactly the old seed: an office's own edit stays.
_SUPERSEDED_FAQ_ANSWERS: dict[int, str] = {
    1: "Nie musi Pan/Pani. Ministerstwo Finansów udostępnia bezpłatnie Aplikację Podatnika KSeF 2.0, "
    "aplikację mobilną KSeF oraz e-mikrofirmę w e-Urzędzie Skarbowym — wszystkie wystawiają i odbierają "
    "faktury FA(3). Nie mają jednak bazy kontrahentów ani szablonów i działają tylko online. Przy "
    "więcej niż kilku fakturach miesięcznie albo gdy potrzebny jest tryb offline, polecamy program "
    "zintegrowany z KSeF.",
    2: "Tak. Wystarczy, że nada Pan/Pani w KSeF uprawnienie dla NIP naszego biura: przeglądanie faktur "
    "(InvoiceRead) — wtedy pobieramy Pana/Pani faktury — a jeśli tak ustalimy, także wystawianie faktur "
    "(InvoiceWrite), w obu przypadkach z możliwością przekazania naszym pracownikom. Spółka bez "
    "pieczęci kwalifikowanej musi najpierw wyznaczyć administratora KSeF formularzem ZAW-FA. Za treść "
    "faktur nadal odpowiada podatnik; nasze obowiązki opisuje aneks do umowy.",
    3: "Tylko w kilku przypadkach: do 31.12.2026, jeśli faktury wystawione w miesiącu nie przekraczają 10 "
    "000 zł brutto; faktury dla konsumentów; faktury z kasy rejestrującej do końca 2026 r.; w czasie "
    "ogłoszonej awarii całkowitej KSeF. W pozostałych przypadkach od 1.04.2026 faktura B2B poza KSeF "
    "narusza przepisy, a od 2027 r. grozi za to kara. Faktury od dostawców otrzymuje Pan/Pani w KSeF od "
    "1.02.2026.",
    4: "W 2026 r. nie ma kar administracyjnych. Od 1.01.2027 za fakturę wystawioną poza KSeF grozi kara do "
    "100% VAT z faktury, a gdy faktura nie ma VAT — do 18,7% kwoty brutto; tak samo za spóźnione "
    "dosłanie faktury offline. Już teraz JPK_V7 zawiera numery KSeF, więc urząd widzi faktury "
    "wystawione poza systemem, a faktury kosztowe przychodzą tylko przez KSeF.",
    5: "Jeśli problem jest po Pana/Pani stronie — wystawia Pan/Pani fakturę w trybie offline24 i wysyła do "
    "KSeF najpóźniej następnego dnia roboczego. Przy ogłoszonej niedostępności KSeF — następnego dnia "
    "roboczego po jej zakończeniu; przy ogłoszonej awarii — w ciągu 7 dni roboczych od jej końca. Przy "
    "awarii całkowitej ogłoszonej w mediach wystawia Pan/Pani fakturę dowolnie i niczego się potem nie "
    "dosyła. Kupujący dostaje wydruk lub PDF z kodami QR. Prosimy zawsze informować nas, które faktury "
    "były offline.",
    7: "Tak, w scenariuszu 3: wystawiamy i wysyłamy Pana/Pani faktury oraz pobieramy koszty, a Pan/Pani "
    "przekazuje nam dane sprzedaży na czas i zatwierdza miesięczne zestawienie. Wymaga to uprawnienia "
    "InvoiceWrite, ustalenia certyfikatu Offline, wyższej opłaty i rozszerzenia naszego OC. "
    "Odpowiedzialność za prawdziwość danych pozostaje po stronie podatnika.",
    8: "Osoba prowadząca działalność (JDG) loguje się do KSeF jako właściciel profilem zaufanym lub "
    "podpisem i nie składa formularza. Spółki, fundacje i stowarzyszenia bez kwalifikowanej pieczęci "
    "elektronicznej składają ZAW-FA w urzędzie skarbowym (od 10.02.2026 także przez e-Urząd Skarbowy), "
    "wskazując osobę, która będzie administratorem KSeF. Pomożemy wypełnić formularz.",
    9: "Nie. Prosimy nie wysyłać nam tokenów ani haseł. Biuro loguje się własną pieczęcią lub "
    "certyfikatem, a Pan/Pani nadaje uprawnienia dla NIP biura w Aplikacji Podatnika KSeF. Tokeny i tak "
    "działają tylko do 31.12.2026.",
    10: "W KSeF może pojawić się faktura, której Pan/Pani nie zamawiał/a, albo wydatek prywatny. "
    "Księgujemy tylko faktury, które Pan/Pani zaakceptuje; o fakturach nieznanych trzeba porozmawiać z "
    "wystawcą — nie księgujemy ich do wyjaśnienia.",
}
_SUPERSEDED_CHECKLIST_TASKS: dict[str, str] = {
    "2.3": "Wysłać aneksy do umów (scenariusz, terminy weryfikacji, odpowiedzialność, opłaty).",
    "4.4": "Zastąpić tokeny KSeF certyfikatami przed 31.12.2026; tokeny tylko w sejfie.",
    "5.2": "Spisać procedurę awarii KSeF i faktur offline (oznaczenia OFF/DI/BFK w JPK_V7).",
    "5.4": "Rozszerzyć OC biura o wystawianie faktur w imieniu klientów (scenariusz 3).",
    "5.5": "Zaktualizować umowy powierzenia danych (RODO) o dane pobierane z KSeF.",
}
_SUPERSEDED_PROCEDURES: dict[tuple[str, str], str] = {
    ("Bezpieczeństwo", "Koniec współpracy z klientem"): "Klient odbiera uprawnienie podmiotowe biura; "
    "biuro odbiera uprawnienia pośrednie pracowników, "
    "usuwa poświadczenia z sejfu i potwierdza "
    "klientowi na piśmie brak dostępu.",
    ("Bezpieczeństwo", "Tokeny do 31.12.2026"): "Tokeny KSeF działają do końca 2026 r. Do 15.12.2026 "
    "przejść na certyfikaty KSeF i unieważnić tokeny.",
    ("Harmonogram", "Zamknięcie miesiąca"): "Ostatnie pobranie po końcu miesiąca (do 3. dnia), uzgodnienie "
    "z JPK_V7: każdy wiersz z numerem KSeF lub OFF/BFK/DI.",
}


def superseded_texts(table: str) -> dict[tuple[str, ...], tuple[str, str]]:
    """Per row key: (old seeded text, current text) for the FAQ, checklist or procedures table.

    ``table`` is one of "faq", "checklist", "procedures"; keys are the tables' keys as text
    (``("3",)`` for FAQ row 3, ``("Bezpieczeństwo", "Koniec współpracy z klientem")``).
    """
    if table == "faq":
        answers = {f.number: f.answer for f in FAQ}
        return {(str(n),): (old, answers[n]) for n, old in _SUPERSEDED_FAQ_ANSWERS.items()}
    if table == "checklist":
        tasks = {c.number: c.task for c in CHECKLIST}
        return {(n,): (old, tasks[n]) for n, old in _SUPERSEDED_CHECKLIST_TASKS.items()}
    if table == "procedures":
        texts = {(p.area, p.topic): p.description for p in SECURITY_PROCEDURES}
        return {key: (old, texts[key]) for key, old in _SUPERSEDED_PROCEDURES.items()}
    raise ValueError(table)


def replace_superseded(rows: list[dict[str, object]], table: str, key: tuple[str, ...], column: str) -> int:
    """Bring cells still holding an old, wrong seed up to date; returns how many changed."""
    known = superseded_texts(table)
    changed = 0
    for row in rows:
        row_key = tuple(_key_text(row.get(k)) for k in key)
        pair = known.get(row_key)
        if pair is not None and _same_text(row.get(column), pair[0]):
            row[column] = pair[1]
            changed += 1
    return changed


def _key_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value if value is not None else "").strip()


def _same_text(value: object, seed: str) -> bool:
    # Excel may turn line endings or trailing blanks; the words must be the same.
    return isinstance(value, str) and " ".join(value.split()) == " ".join(seed.split())
