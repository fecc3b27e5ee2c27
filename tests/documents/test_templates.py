"""Every Word template renders for every scenario, read back with python-docx."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docxtpl import DocxTemplate

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents.context import client_context, office_data
from ksef_sheets.documents.render import SHIPPED_TEMPLATES, render_docx
from tests.documents.conftest import make_client
from tests.documents.test_template_copies import build_script

TODAY = date(2026, 3, 2)


def all_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def render(office: OfficeFolder, template: str, scenario: int | None, tmp_path: Path, **kw: object) -> Path:
    client = make_client(scenario, **kw)
    context = client_context(client, office_data(office.load_config()), today=TODAY)
    target = tmp_path / f"{template}-{scenario}.docx"
    return render_docx(SHIPPED_TEMPLATES / template, context, target)


def assert_no_tags(path: Path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                xml = z.read(name).decode("utf-8")
                for tag in ("{{", "}}", "{%", "%}"):
                    assert tag not in xml, f"{tag} left in {name}"


ANNEX_ONLY = {
    1: [
        "samodzielnie pobiera z KSeF",
        "Biuro nie wymaga uprawnień w KSeF",
        "wszystkie faktury sprzedaży i zakupu za dany miesiąc, w tym pobrane z KSeF, do 7. dnia",
    ],
    2: [
        "księguje wyłącznie faktury zaakceptowane przez Klienta",
        "„przeglądanie faktur” z możliwością dalszego przekazywania uprawnień w terminie 7 dni",
        "w terminie 5 dni roboczych",
        "Biuro ponownie pobiera faktury z KSeF",
        "nie oznacza akceptacji",
    ],
    3: [
        "Biuro wystawia w imieniu Klienta faktury sprzedaży",
        "„przeglądanie faktur” i „wystawianie faktur”, oba z możliwością",
        "certyfikatu KSeF typu Offline",
        "rozszerzenie ochrony",
        "zatwierdza miesięczne zestawienie",
        "Faktury korygujące sprzedaży wystawia Biuro",
    ],
}


@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_annex_has_the_clauses_of_its_scenario_only(
    office: OfficeFolder, tmp_path: Path, scenario: int
) -> None:
    path = render(office, "aneks.docx", scenario, tmp_path)
    text = all_text(path)
    assert_no_tags(path)
    for phrase in ANNEX_ONLY[scenario]:
        assert phrase in text, phrase
    for other, phrases in ANNEX_ONLY.items():
        if other != scenario:
            for phrase in phrases:
                if phrase not in ANNEX_ONLY[scenario] and phrase != "nie oznacza akceptacji":
                    assert phrase not in text, f"scenario {other} clause in scenario {scenario}: {phrase}"
    # Common clauses, parties and data from the register and the office config.
    for phrase in (
        f"model współpracy nr {scenario}",
        "§ 11. Postanowienia końcowe",
        "art. 28 RODO",
        "polisa nr OC/2026/123",
        "TU Przykład S.A.",
        "150,00 zł netto miesięcznie",
        "5275260184",
        make_client(scenario).nip,
        "ul. Księgowa 7, 00-950 Warszawa",
        "awarii całkowitej",
        "faktury korygującej",
        "2 marca 2026 r.",
        "1 kwietnia 2026 r.",
        "Strona",
    ):
        assert phrase in text, phrase
    assert ".." not in text.replace("……", "")


def test_annex_structure_is_real_word(office: OfficeFolder, tmp_path: Path) -> None:
    path = render(office, "aneks.docx", 2, tmp_path)
    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    styles = [p.style.name for p in document.paragraphs]
    assert styles.count("Heading 1") == 11
    assert "Title" in styles
    # Numbered clauses restart in each section: the first clause after each heading has a new list.
    num_ids: list[str] = []
    after_heading = False
    for p in document.paragraphs:
        if p.style.name == "Heading 1":
            after_heading = True
        elif after_heading and p.style.name == "List Number":
            num_ids.append(p._p.pPr.find(qn("w:numPr")).find(qn("w:numId")).get(qn("w:val")))
            after_heading = False
    assert len(num_ids) == 11 and len(set(num_ids)) == 11
    # The parties table and a PAGE / NUMPAGES footer.
    assert document.tables[0].cell(0, 1).text == "Klient"
    assert document.tables[0].cell(3, 1).text == "5210537039"
    footer_xml = section.footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    assert document.core_properties.author == "Biuro Rachunkowe Bilans Sp. z o.o."


def test_tacit_acceptance_variant(office: OfficeFolder, tmp_path: Path) -> None:
    config = office.load_config()
    data = config.model_dump()
    data["silence_means_acceptance"] = True
    office.save_config(type(config).model_validate(data))
    text = all_text(render(office, "aneks.docx", 2, tmp_path))
    assert "milcząca akceptacja" in text and "nie oznacza akceptacji" not in text
    # Scenario 1 has no verification by the office at all.
    assert "milcząca akceptacja" not in all_text(render(office, "aneks.docx", 1, tmp_path))


@pytest.mark.parametrize("scenario", [1, 2, 3])
def test_authorisation_grants_per_scenario(office: OfficeFolder, tmp_path: Path, scenario: int) -> None:
    path = render(office, "upowaznienie.docx", scenario, tmp_path)
    assert_no_tags(path)
    document = docx.Document(str(path))
    grants = {row.cells[0].text: row.cells[1].text for row in document.tables[1].rows[1:]}
    expected_read = "zalecane" if scenario == 1 else "TAK"
    assert grants == {
        "przeglądanie faktur": expected_read,
        "wystawianie faktur": "TAK" if scenario == 3 else "NIE",
        "możliwość dalszego przekazywania uprawnień": "TAK" if scenario != 1 else "zalecane",
        "zarządzanie uprawnieniami": "NIE",
    }
    text = all_text(path)
    assert "Wpisać NIP Biura: 5275260184" in text
    assert "możliwość dalszego przekazywania uprawnień" in text
    assert "biuro@bilans.example.pl" in text
    if scenario == 2:  # a sole trader: no ZAW-FA
        assert "formularz ZAW-FA nie jest potrzebny" in text
        assert "składa formularz ZAW-FA" not in text
    else:  # a company / foundation: ZAW-FA steps
        assert "składa formularz ZAW-FA" in text
        assert "e-Urzędzie Skarbowym" in text


@pytest.mark.parametrize("scenario", [None, 1, 2, 3])
def test_letter_has_dates_options_questionnaire_and_faq(
    office: OfficeFolder, tmp_path: Path, scenario: int | None
) -> None:
    micro = date(2027, 1, 1)
    path = render(office, "pismo.docx", scenario, tmp_path, ksef_obligation_date=micro)
    assert_no_tags(path)
    text = all_text(path)
    for phrase in (
        "1 stycznia 2027 r.",
        "10 000 zł brutto",
        "Ankieta gotowości",
        "Najczęstsze pytania",
        "Co zrobić w razie awarii?",
        "model nr " + str(scenario or 2),
        "16 marca 2026 r.",  # questionnaire deadline: 14 days
        "Ewa Bilansowa",
    ):
        assert phrase in text, phrase
    standard = render(office, "pismo.docx", 2, tmp_path, ksef_obligation_date=date(2026, 4, 1))
    assert "mogą Państwo wystawiać faktury poza KSeF" not in all_text(standard)


def test_hostile_text_is_escaped_and_kept_literally(office: OfficeFolder, tmp_path: Path) -> None:
    name = '=HYPERLINK("http://x") & <Sp. j.> {{ biuro.nip }} \x07'
    path = render(office, "aneks.docx", 2, tmp_path, name=name, address="ul. A&B <1>")
    text = all_text(path)
    assert '=HYPERLINK("http://x") & <Sp. j.> {{ biuro.nip }}' in text
    assert "ul. A&B <1>" in text


def test_templates_match_the_build_script(tmp_path: Path) -> None:
    """The committed .docx files are what scripts/build_templates.py produces (same text, same tags)."""
    for built in build_script().build_all(tmp_path):
        committed = SHIPPED_TEMPLATES / built.name
        assert all_text(built) == all_text(committed), built.name
        assert (
            DocxTemplate(str(built)).get_undeclared_template_variables()
            == DocxTemplate(str(committed)).get_undeclared_template_variables()
        )


def test_every_template_variable_is_provided(office: OfficeFolder) -> None:
    context = client_context(make_client(2), office_data(office.load_config()), today=TODAY)
    for template in SHIPPED_TEMPLATES.glob("*.docx"):
        assert DocxTemplate(str(template)).get_undeclared_template_variables() <= set(context), template
