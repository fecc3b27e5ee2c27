"""Issue 16: what the office tells clients is right, in every generated document, e-mail and the FAQ.

Every document of every scenario is generated through ``generate_documents`` (the real templates,
docxtpl, the .eml writer) and read back: Word files with python-docx, e-mails with the standard
``email`` parser, the office workbook's FAQ and procedures with plain openpyxl. Each test asserts
the corrected statements and the absence of each wrong statement the review found.
"""

from __future__ import annotations

import email
from datetime import date
from email import policy
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents import generate_documents, resolve_kinds
from ksef_sheets.documents.context import client_context, office_data, representatives
from ksef_sheets.office import content
from ksef_sheets.office.model import CHANNEL_HEADER, REPRESENTATION_HEADER, Client
from ksef_sheets.sheets import QUESTIONNAIRE_CHANNEL_NAME, read_answers, write_questionnaire
from tests.documents.conftest import make_client

TODAY = date(2026, 3, 2)

# Wrong statements found by the review (issue 16), none of which may reach a client again.
WRONG = (
    "wszystkie faktury od dostawców otrzymują Państwo przez KSeF",
    "wszystkie faktury od dostawców trafiają do Państwa",
    "faktury od dostawców Klient otrzymuje przez KSeF od dnia",
    "faktury zagraniczne,",
    "Rok 2026 jest okresem bez kar",
    "W 2026 r. nie ma kar",
    "2026 r. nie ma kar administracyjnych",
    "od 2027 r. logowanie wymaga certyfikatu",
    "od 2027 r. do logowania potrzebny jest certyfikat",
    "jedyny sposób logowania",
    "instrukcja w załączniku",
    "Pan/Pani",
    "Pana/Pani",
    "uprawnienia podmiotowe",
    "uprawnienie podmiotowe",
    "dla biura rachunkowego Biuro",
    "podpis zaufany lub osobisty) pod rygorem",
)
# "Ty" imperatives the templates used to address clients with.
TY_IMPERATIVES = (
    "Otwórz ",
    "Zaloguj się ",
    "Przejdź ",
    "Wpisz ",
    "Zaznacz ",
    "Zatwierdź.",
    "Zrób ",
    "wyślij ",
    "poinformuj ",
    "Nie przekazuj ",
    "Nie zaznaczaj ",
    "sprawdź, czy",
)
# KSeF API codes are for staff; clients read the Polish names.
API_CODES = ("InvoiceRead", "InvoiceWrite", "canDelegate", "CredentialsManage")

CIVIL = dict(
    nip="8131863036",
    name="Auto-Serwis Mazur s.c.",
    legal_form="spółka cywilna",
    representation="Robert Mazur — wspólnik; Katarzyna Mazur — wspólniczka (umowa spółki cywilnej)",
    contact_person="Jan Kowalski",
)


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def eml_text(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return f"{message['Subject']}\n{body.get_content()}"


def assert_clean(text: str, where: str) -> None:
    for phrase in (*WRONG, *TY_IMPERATIVES, *API_CODES):
        assert phrase not in text, f"{where}: „{phrase}”"
    # Every "<number> dni/dnia" comes out inflected: never "1 dni".
    assert " 1 dni" not in text and "(1 dni" not in text, where


def generated(office: OfficeFolder, clients: list[Client]) -> dict[tuple[str, str], str]:
    report = generate_documents(office, resolve_kinds(["wszystkie"]), clients=clients, today=TODAY)
    assert report.problems == []
    texts: dict[tuple[str, str], str] = {}
    for item in report.generated:
        reader = eml_text if item.path.suffix == ".eml" else docx_text
        texts[(item.nip, item.kind)] = reader(item.path)
    return texts


@pytest.fixture
def every_scenario(office: OfficeFolder) -> tuple[dict[tuple[str, str], str], list[Client]]:
    clients = [
        make_client(1),
        make_client(2),
        make_client(3, ksef_obligation_date=date(2027, 1, 1)),
        make_client(1, **CIVIL),
    ]
    return generated(office, clients), clients


def test_every_document_and_email_is_free_of_the_wrong_statements(
    every_scenario: tuple[dict[tuple[str, str], str], list[Client]],
) -> None:
    texts, clients = every_scenario
    kinds = {kind for _, kind in texts}
    assert kinds == {
        "aneks",
        "upowaznienie",
        "pismo",
        "umowa-powierzenia",
        "email-informacja",
        "email-ankieta",
        "email-uprawnienia",
        "email-aneks",
        "email-przypomnienie",
    }
    assert len(texts) == len(clients) * len(kinds)
    for (nip, kind), text in texts.items():
        assert_clean(text, f"{kind} {nip}")
        assert "Państw" in text or kind in ("aneks", "umowa-powierzenia"), f"{kind} {nip}"


@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_letter_states_the_corrected_facts(
    every_scenario: tuple[dict[tuple[str, str], str], list[Client]], scenario: int
) -> None:
    texts, clients = every_scenario
    letter = " ".join(texts[(clients[scenario - 1].nip, "pismo")].split())
    for phrase in (
        # 1. receiving: not everything comes through KSeF, and what to pass on
        "odbierają Państwo przez KSeF faktury, które dostawcy wystawiają w KSeF",
        "Nie wszystkie faktury zakupu trafią do KSeF.",
        "do 31 grudnia 2026 r. wystawiają faktury poza KSeF (sprzedaż do 10 000 zł brutto miesięcznie)",
        "faktury z kas rejestrujących i paragony z NIP (do 31 grudnia 2026 r.)",
        "faktury od dostawców zagranicznych",
        "faktury otrzymane w czasie awarii KSeF",
        "Takie dokumenty prosimy nadal przekazywać biuru",
        # 3. penalties narrowed to art. 106ni
        "Kary pieniężne za naruszenia obowiązków KSeF (art. 106ni ustawy o VAT)",
        "błędy w plikach JPK_V7 i w rozliczeniu VAT są karane tak jak dotychczas",
        # 2./4. tokens end, other means of login stay
        "Tokeny KSeF działają do 31 grudnia 2026 r. Profil zaufany, podpis kwalifikowany i pieczęć "
        "kwalifikowana pozostają",
        # 6. missing facts
        "przechowywane w KSeF przez 10 lat",
        "nie ma not korygujących",
        "wizualizację faktury (wydruk lub PDF) z kodem QR",
        # the office's own access and continuity
        "Jak biuro korzysta z KSeF",
        "dwie osoby",
        # step-1 survey in the questionnaire
        "Jak dziś przekazują Państwo dokumenty do biura?",
        "Kto podpisuje umowy w imieniu firmy",
        # FAQ about markers and buyers outside KSeF
        "oznaczenie OFF, BFK lub DI",
        "Jak fakturę dostaje konsument albo nabywca zagraniczny?",
    ):
        assert phrase in letter, phrase
    handed_over_by_office = "W modelu 3 wizualizację przygotowuje biuro i przesyła ją Państwu"
    assert (handed_over_by_office in letter) == (scenario == 3)


@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_annex_states_the_corrected_clauses(
    every_scenario: tuple[dict[tuple[str, str], str], list[Client]], scenario: int
) -> None:
    texts, clients = every_scenario
    annex = " ".join(texts[(clients[scenario - 1].nip, "aneks")].split())
    for phrase in (
        "od dnia 1 lutego 2026 r. Klient odbiera przez KSeF faktury, które dostawcy wystawiają w KSeF",
        "Część faktur zakupu nadal trafia do Klienta poza KSeF",
        "faktury od dostawców zagranicznych",
        "faktury z kas rejestrujących i paragony z NIP nabywcy (faktury uproszczone) — do 31 grudnia 2026 r.",
        "Ani niniejszy aneks, ani upoważnienie podpisane przez Klienta nie nadają Biuru uprawnień w KSeF",
        "Od dnia 1 lutego 2026 r. nie ma not korygujących",
        "przechowywane w KSeF przez 10 lat",
        # RODO: sub-processors and the archive at the end
        "dalszym podmiotom przetwarzającym",
        "z co najmniej 14-dniowym wyprzedzeniem; Klient może zgłosić sprzeciw",
        "zwraca Klientowi archiwum pobranych z KSeF faktur (pliki XML i zestawienia) albo je usuwa",
        # 10. signing: electronic form vs documentary form
        "kwalifikowanymi podpisami elektronicznymi, które są równoważne formie pisemnej (art. 78¹",
        "podpisem zaufanym lub podpisem osobistym jest zawarciem aneksu w formie dokumentowej (art. 77²",
        # OC for every office
        "ubezpieczenie odpowiedzialności cywilnej",
    ):
        assert phrase in annex, phrase
    only_in_3 = (
        "karę pieniężną (art. 106ni ustawy o VAT)",
        "Karę nakłada się na Klienta jako podatnika.",
        "Biuro zwraca Klientowi zapłaconą karę (regres)",
        "Klient zawiadamia Biuro o wszczęciu postępowania w sprawie kary",
        "Wizualizację przygotowuje Biuro i przesyła ją Klientowi",
    )
    for phrase in only_in_3:
        assert (phrase in annex) == (scenario == 3), phrase


@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_authorisation_purpose_and_what_it_does_not_do(
    every_scenario: tuple[dict[tuple[str, str], str], list[Client]], scenario: int
) -> None:
    texts, clients = every_scenario
    text = " ".join(texts[(clients[scenario - 1].nip, "upowaznienie")].split())
    assert "Ten dokument sam nie nadaje żadnych uprawnień w KSeF." in text
    assert "Uprawnienia nadaje się wyłącznie w KSeF" in text and "formularzem ZAW-FA" in text
    assert (
        "Tokeny KSeF działają tylko do 31 grudnia 2026 r. Profil zaufany, podpis kwalifikowany i pieczęć "
        "kwalifikowana pozostają sposobami logowania także od 2027 r." in text
    )
    issuing = (
        "wyłącznie w celu wystawiania w imieniu Klienta faktur sprzedaży i faktur korygujących oraz "
        "przesyłania ich do KSeF"
    )
    assert (issuing in text) == (scenario == 3)
    assert "prowadzenia ksiąg i ewidencji podatkowych" in text
    assert "Prosimy wykonać następujące kroki:" in text and "Wpisać NIP Biura" in text


def test_parties_are_the_representatives_not_the_contact_person(
    every_scenario: tuple[dict[tuple[str, str], str], list[Client]], office: OfficeFolder
) -> None:
    _, clients = every_scenario
    foundation = clients[2]  # two board members represent jointly
    for kind in ("aneks", "upowaznienie", "umowa-powierzenia"):
        path = office.documents_dir(foundation.nip) / (
            f"{kind}-KSeF-{foundation.nip}.docx"
            if kind != "umowa-powierzenia"
            else f"{kind}-{foundation.nip}.docx"
        )
        document = docx.Document(str(path))
        parties = document.tables[0]
        assert parties.cell(5, 0).text == "Reprezentowany przez / podstawa reprezentacji"
        assert parties.cell(5, 1).text == (
            "Ewa Zielińska, prezeska zarządu; Jan Podwórny, członek zarządu (łącznie, KRS)"
        )
        assert "Jan Kowalski" not in docx_text(path)  # the contact person signs nothing
        signatures = [
            row.cells[0].paragraphs[-1].text
            for row in document.tables[-1].rows
            if "za Klienta" in row.cells[0].text
        ]
        assert signatures == [
            "Ewa Zielińska, prezeska zarządu — za Klienta",
            "Jan Podwórny, członek zarządu (łącznie, KRS) — za Klienta",
        ]
        # The office signs once, beside the first representative.
        assert [row.cells[1].text.count("Biuro — ") for row in document.tables[-1].rows] == [1, 0]


def test_civil_partnership_partners_are_the_parties(
    every_scenario: tuple[dict[tuple[str, str], str], list[Client]], office: OfficeFolder
) -> None:
    texts, _ = every_scenario
    nip = CIVIL["nip"]
    annex = texts[(nip, "aneks")]
    assert "Robert Mazur i Katarzyna Mazur — wspólnicy spółki cywilnej „Auto-Serwis Mazur s.c.”" in annex
    assert "Spółka cywilna nie jest odrębną stroną umowy: stronami są wszyscy jej wspólnicy" in annex
    document = docx.Document(str(office.documents_dir(nip) / f"aneks-KSeF-{nip}.docx"))
    labels = [row.cells[0].paragraphs[-1].text for row in document.tables[-1].rows]
    assert labels == ["Robert Mazur — wspólnik", "Katarzyna Mazur — wspólnik"]
    # The e-mail asks the representatives by name to sign.
    assert (
        "Dokumenty podpisują osoby reprezentujące Państwa firmę: Robert Mazur, wspólnik; Katarzyna Mazur, "
        "wspólniczka (umowa spółki cywilnej)." in texts[(nip, "email-aneks")]
    )


def test_missing_representation_leaves_a_blank_and_warns(office: OfficeFolder) -> None:
    client = make_client(2, representation="")
    report = generate_documents(
        office, resolve_kinds(["aneks", "upowaznienie"]), clients=[client], today=TODAY
    )
    assert report.problems == []
    assert report.warnings == [
        f"Nowak IT Consulting Jan Nowak (NIP {client.nip}): w rejestrze brak kolumny „{REPRESENTATION_HEADER}” "
        "albo jest pusta — w aneksie, upoważnieniu i umowie powierzenia zostawiono miejsce na dane osób "
        "podpisujących za klienta."
    ]
    document = docx.Document(str(office.documents_dir(client.nip) / f"aneks-KSeF-{client.nip}.docx"))
    assert document.tables[0].cell(5, 1).text == "………………………"
    labels = [row.cells[0].paragraphs[-1].text for row in document.tables[-1].rows]
    assert labels == ["podpis osoby reprezentującej Klienta (imię, nazwisko, funkcja)"]


def test_emails_say_the_corrected_things(
    every_scenario: tuple[dict[tuple[str, str], str], list[Client]],
) -> None:
    texts, clients = every_scenario
    for client in clients:
        info = " ".join(texts[(client.nip, "email-informacja")].split())
        assert (
            "odbierają Państwo przez Krajowy System e-Faktur (KSeF) faktury, które dostawcy wystawiają"
            in info
        )
        assert "Nie wszystkie faktury zakupu przyjdą przez KSeF" in info
        assert "kary z art. 106ni ustawy o VAT obowiązujące od 2027 r." in info
        annex = texts[(client.nip, "email-aneks")]
        assert "forma pisemna lub równoważna jej forma elektroniczna (art. 78¹ Kodeksu cywilnego)" in annex
        assert "podpis zaufany lub podpis osobisty — forma dokumentowa (art. 77² Kodeksu cywilnego)" in annex
        assert "umowę powierzenia przetwarzania danych osobowych" in annex
        grants = texts[(client.nip, "email-uprawnienia")]
        assert "ani ta wiadomość, ani załączone upoważnienie same ich nie nadają" in grants
        survey = texts[(client.nip, "email-ankieta")]
        assert "Jak dziś przekazują Państwo dokumenty do biura" in survey
    scenario_3 = texts[(clients[2].nip, "email-uprawnienia")]
    assert "wystawiać i wysyłać do KSeF Państwa faktury sprzedaży" in scenario_3
    assert "- wystawianie faktur: TAK" in scenario_3


@pytest.mark.parametrize(
    ("days", "verification", "grant"),
    [
        (1, "1 dnia roboczego", "1 dnia"),
        (2, "2 dni roboczych", "2 dni"),
        (5, "5 dni roboczych", "5 dni"),
        (22, "22 dni roboczych", "22 dni"),
    ],
)
def test_day_counts_are_inflected(office: OfficeFolder, days: int, verification: str, grant: str) -> None:
    config = office.load_config()
    data = config.model_dump()
    data.update(verification_days=days, grant_days=days)
    office.save_config(type(config).model_validate(data))
    context = client_context(make_client(2), office_data(office.load_config()), today=TODAY)
    assert context["warunki"]["termin_weryfikacji"] == verification
    assert context["warunki"]["termin_nadania"] == grant
    report = generate_documents(
        office, resolve_kinds(["aneks", "upowaznienie"]), clients=[make_client(2)], today=TODAY
    )
    annex = docx_text(office.documents_dir("5210537039") / "aneks-KSeF-5210537039.docx")
    assert f"w terminie {verification} od otrzymania zestawienia" in " ".join(annex.split())
    authorisation = docx_text(office.documents_dir("5210537039") / "upowaznienie-KSeF-5210537039.docx")
    assert f"w ciągu {grant}. Biuro sprawdzi" in " ".join(authorisation.split())
    assert report.problems == []


def test_representatives_are_read_from_the_register_field() -> None:
    people = representatives(
        "Anna Nowak — prezes zarządu; Piotr Lis - członek zarządu (łącznie); ; Jan Kos, prokurent; Ewa Bąk"
    )
    assert [(p.name, p.basis) for p in people] == [
        ("Anna Nowak", "prezes zarządu"),
        ("Piotr Lis", "członek zarządu (łącznie)"),
        ("Jan Kos", "prokurent"),
        ("Ewa Bąk", ""),
    ]
    assert representatives("") == []


def test_questionnaire_asks_how_documents_reach_the_office(office: OfficeFolder, tmp_path: Path) -> None:
    path = write_questionnaire(tmp_path / "ankieta-ksef.xlsx", make_client(2), office.load_config())
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert "Jak dziś przekazują Państwo dokumenty do biura?" in texts
    assert any("do biura: Biuro Rachunkowe Bilans Sp. z o.o." in t for t in texts)
    assert not any(t.startswith(("Wybierz", "Wpisz")) for t in texts)
    # The client picks an answer; it comes back into the register's survey column.
    destination = wb.defined_names[QUESTIONNAIRE_CHANNEL_NAME].attr_text.split("!")[1].replace("$", "")
    ws[destination] = "papier; e-mail (PDF)"
    wb.save(path)
    source = read_answers(path)
    ((_, record),) = source.rows
    assert record[CHANNEL_HEADER] == "papier; e-mail (PDF)"


def _table(path: Path, name: str) -> list[dict[str, object]]:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if name in ws.tables:
            min_col, min_row, max_col, max_row = range_boundaries(ws.tables[name].ref)
            headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
            return [
                {
                    str(h): ws.cell(r, c).value
                    for h, c in zip(headers, range(min_col, max_col + 1), strict=True)
                }
                for r in range(min_row + 1, max_row + 1)
            ]
    raise AssertionError(f"no table {name} in {path}")


def _table_headers(path: Path, name: str) -> list[object]:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if name in ws.tables:
            min_col, min_row, max_col, _ = range_boundaries(ws.tables[name].ref)
            return [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
    raise AssertionError(f"no table {name} in {path}")


def test_faq_and_procedures_in_the_office_workbook(tmp_path: Path) -> None:
    from ksef_sheets.demo_data import demo_office_data
    from ksef_sheets.workflows import init_office

    folder = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(
        folder, office_nip="5275260184", office_name="Biuro Testowe", demo=demo_office_data(), today=TODAY
    )
    faq = _table(folder.office_workbook, "Pytania")
    answers = {str(row["Temat"]): str(row["Odpowiedź biura (do wklejenia w e-mail)"]) for row in faq}
    assert len(answers) == len(content.FAQ)
    for topic, answer in answers.items():
        assert_clean(answer, f"FAQ {topic}")
        assert "Pan " not in answer and " Pani " not in answer, topic
    assert "Poza KSeF nadal przychodzą" in answers["Faktury zakupu"]
    assert "faktury od dostawców zagranicznych" in answers["Faktury zakupu"]
    assert "Kary z art. 106ni ustawy o VAT obowiązują od 1.01.2027" in answers["Kary"]
    assert "błędy w JPK_V7 i w rozliczeniu VAT są karane jak dotychczas" in answers["Kary"]
    assert "profil zaufany, podpis i pieczęć kwalifikowana pozostają" in answers["Tokeny"]
    assert "przez 10 lat" in answers["Przechowywanie i korekty"]
    assert "Not korygujących nie ma od 1.02.2026" in answers["Przechowywanie i korekty"]
    assert "z kodem QR" in answers["Nabywcy spoza KSeF"]
    assert "OFF — faktura z trybu awarii KSeF" in answers["JPK_V7"]
    assert "art. 78¹" in answers["Podpis aneksu"] and "art. 77²" in answers["Podpis aneksu"]
    # The procedures: the JPK marker table, the team, the office's own access.
    procedures = _table(folder.office_workbook, "Procedury")
    by_topic = {(str(r["Obszar"]), str(r["Temat"])): str(r["Opis"]) for r in procedures}
    markers = {topic: text for (area, topic), text in by_topic.items() if area == "JPK_V7 — oznaczenia"}
    assert set(markers) == {"NrKSeF", "OFF", "BFK", "DI"}
    assert (
        "art. 106nf ust. 1" in markers["OFF"] and "Korekty JPK po nadaniu numeru nie robimy" in markers["OFF"]
    )
    assert "art. 106nda" in markers["DI"] and "korygujemy JPK" in markers["DI"]
    assert "w dniu złożenia JPK" in markers["NrKSeF"]
    team = [topic for (area, topic) in by_topic if area == "Zespół"]
    assert "Podział obowiązków" in team and "Szkolenie KSeF" in team
    assert sum(topic.startswith("Język korzyści") for topic in team) == 3
    assert "drugi administrator" in by_topic[("Bezpieczeństwo", "Dostęp biura do KSeF i ciągłość")].lower()
    assert "uprawnienia podmiotowe" not in " ".join(by_topic.values())
    checklist = {str(r["Lp."]): str(r["Zadanie"]) for r in _table(folder.office_workbook, "Checklista")}
    assert "własny ZAW-FA" in checklist["4.6"]
    assert "Przegląd polisy OC biura (każde biuro, każdy scenariusz)" in checklist["5.4"]
    # The team: each staff member's KSeF role, training status and date.
    staff_headers = list(_table_headers(folder.office_workbook, "Pracownicy"))
    for header in ("Rola", "Szkolenie KSeF", "Data szkolenia"):
        assert header in staff_headers, header
    # The register carries the new survey and representation columns, filled for the demo clients.
    register = _table(folder.office_workbook, "Klienci")
    mazur = next(r for r in register if r["NIP"] == "8131863036")
    assert mazur[REPRESENTATION_HEADER] == (
        "Robert Mazur — wspólnik; Katarzyna Mazur — wspólniczka (umowa spółki cywilnej)"
    )
    assert mazur[CHANNEL_HEADER] == "papier"


def test_an_older_workbook_gets_the_corrected_seeds_but_keeps_staff_edits(tmp_path: Path) -> None:
    from ksef_sheets.workflows import check_clients, init_office

    folder = OfficeFolder.resolve(tmp_path / "biuro")
    init_office(folder, office_nip="5275260184", office_name="Biuro Testowe", today=TODAY)
    old_faq = content.superseded_texts("faq")
    old_checklist = content.superseded_texts("checklist")
    old_procedures = content.superseded_texts("procedures")
    # Put back what an earlier version seeded (the wrong texts), and one answer the office rewrote.
    wb = load_workbook(folder.office_workbook)
    for ws in wb.worksheets:
        for table in ws.tables.values():
            name = table.displayName
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
            for r in range(min_row + 1, max_row + 1):
                if name == "Pytania":
                    number = str(ws.cell(r, headers["Lp."]).value)
                    cell = ws.cell(r, headers["Odpowiedź biura (do wklejenia w e-mail)"])
                    if number == "1":
                        cell.value = "Nasza własna odpowiedź."
                    elif (number,) in old_faq:
                        cell.value = old_faq[(number,)][0]
                elif name == "Checklista":
                    number = str(ws.cell(r, headers["Lp."]).value)
                    if (number,) in old_checklist:
                        ws.cell(r, headers["Zadanie"]).value = old_checklist[(number,)][0]
                elif name == "Procedury":
                    key = (str(ws.cell(r, headers["Obszar"]).value), str(ws.cell(r, headers["Temat"]).value))
                    if key in old_procedures:
                        ws.cell(r, headers["Opis"]).value = old_procedures[key][0]
    wb.save(folder.office_workbook)
    assert "Pan/Pani" in " ".join(str(v[0]) for v in old_faq.values())  # the test really plants them

    check_clients(folder, today=TODAY)

    answers = {
        str(r["Lp."]): str(r["Odpowiedź biura (do wklejenia w e-mail)"])
        for r in _table(folder.office_workbook, "Pytania")
    }
    assert answers["1"] == "Nasza własna odpowiedź."
    for (number,), (_, current) in old_faq.items():
        if number != "1":
            assert answers[number] == current, number
            assert_clean(answers[number], f"FAQ {number}")
    tasks = {str(r["Lp."]): str(r["Zadanie"]) for r in _table(folder.office_workbook, "Checklista")}
    assert tasks["5.4"].startswith("Przegląd polisy OC biura (każde biuro, każdy scenariusz)")
    procedures = {
        (str(r["Obszar"]), str(r["Temat"])): str(r["Opis"])
        for r in _table(folder.office_workbook, "Procedury")
    }
    assert "uprawnienia do obsługi faktur" in procedures[("Bezpieczeństwo", "Koniec współpracy z klientem")]
    assert "tylko przejściowo" in procedures[("Bezpieczeństwo", "Tokeny do 31.12.2026")]


def test_a_register_row_without_the_new_columns_still_reads() -> None:
    from ksef_sheets.office.convert import client_from_row

    client, problems = client_from_row({"NIP": "5210537039", "Nazwa": "Nowak IT", "Forma prawna": "JDG"}, 2)
    assert problems == []
    assert (client.representation, client.document_channel) == ("", "")
