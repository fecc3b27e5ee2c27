"""Builds the Word templates (``templates/*.docx``) and refreshes their copies in the package.

A build script, not run-time code: run ``python scripts/build_templates.py`` from the project folder
after changing the wording here. It writes the .docx files into ``templates/`` (the files the office
edits, committed) and then copies every template of ``templates/`` (.docx and the e-mail .txt) into
``ksef_sheets/documents/templates/``, the package data a wheel install renders from; a test keeps
the two folders identical. An office that edits a template in Word starts from exactly what this
script produced. The templates use real Word styles (Title, Heading 1/2, List Number with
numbering restarted per section, a table for the parties, page numbers in the footer) and docxtpl
tags. Scenario variants are whole paragraphs between ``{%p if scenariusz == N %}`` and
``{%p endif %}`` so the office can reword each variant in Word without touching the others.
The variables a template may use are listed in ``templates/README.md``.
"""

from __future__ import annotations

import copy
import shutil
import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = PROJECT / "templates"
PACKAGE_COPIES = PROJECT / "ksef_sheets" / "documents" / "templates"
TEMPLATE_SUFFIXES = (".docx", ".txt")  # templates/README.md is for people, not a template
FONT = "Arial"  # LibreOffice substitutes the metric-compatible Liberation Sans


class TemplateBuilder:
    """A small writer over python-docx for legal-style documents with restartable numbered clauses."""

    def __init__(self, title: str) -> None:
        self.doc: DocumentObject = Document()
        self._abstract_id = self._add_abstract_numbering()
        self._num_id = 0
        self._setup_page()
        self._setup_styles()
        self.doc.core_properties.title = title
        self.doc.core_properties.author = "{{ biuro.nazwa }}"
        self.doc.core_properties.language = "pl-PL"

    # -- page, styles, footer ---------------------------------------------------------------
    def _setup_page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(22)
        section.top_margin, section.bottom_margin = Mm(20), Mm(20)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.style = self.doc.styles["Footer"]
        footer.add_run("Strona ")
        _add_field(footer, "PAGE")
        footer.add_run(" z ")
        _add_field(footer, "NUMPAGES")

    def _setup_styles(self) -> None:
        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(10.5)
        normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
        normal.paragraph_format.space_after = Pt(4)
        normal.paragraph_format.line_spacing = 1.1
        for name, size in (("Title", 15), ("Subtitle", 11.5), ("Heading 1", 12), ("Heading 2", 11)):
            style = styles[name]
            style.font.name = FONT
            style.font.size = Pt(size)
            style.font.color.rgb = RGBColor(0, 0, 0)
            rpr = style.element.get_or_add_rPr()
            rfonts = rpr.find(qn("w:rFonts"))
            if rfonts is None:
                rfonts = OxmlElement("w:rFonts")
                rpr.insert(0, rfonts)
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                rfonts.set(qn(attr), FONT)
            for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rfonts.attrib.pop(qn(theme_attr), None)
        styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        styles["Title"].font.bold = True
        styles["Subtitle"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        styles["Subtitle"].font.italic = False
        sub_rpr = styles["Subtitle"].element.get_or_add_rPr()
        for spacing in sub_rpr.findall(qn("w:spacing")):
            sub_rpr.remove(spacing)
        # Section headings of an annex ("§ 1. ...") are centred like in Polish contracts.
        styles["Heading 1"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        styles["Heading 1"].paragraph_format.space_before = Pt(12)
        styles["Heading 1"].paragraph_format.space_after = Pt(4)
        styles["Heading 1"].paragraph_format.keep_with_next = True
        styles["Heading 2"].paragraph_format.space_before = Pt(8)
        styles["Heading 2"].paragraph_format.keep_with_next = True
        styles["List Number"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        styles["List Bullet"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        # Title's bottom border in the default template looks foreign in a contract.
        ppr = styles["Title"].element.get_or_add_pPr()
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)

    def _add_abstract_numbering(self) -> int:
        numbering = self.doc.part.numbering_part.element
        ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
        abstract_id = max(ids, default=0) + 1
        abstract = OxmlElement("w:abstractNum")
        abstract.set(qn("w:abstractNumId"), str(abstract_id))
        multi = OxmlElement("w:multiLevelType")
        multi.set(qn("w:val"), "hybridMultilevel")
        abstract.append(multi)
        for level, (fmt, text, indent) in enumerate(
            (("decimal", "%1.", 360), ("lowerLetter", "%2)", 720), ("bullet", "–", 1080))
        ):
            lvl = OxmlElement("w:lvl")
            lvl.set(qn("w:ilvl"), str(level))
            for tag, val in (("w:start", "1"), ("w:numFmt", fmt), ("w:lvlText", text), ("w:lvlJc", "left")):
                el = OxmlElement(tag)
                el.set(qn("w:val"), val)
                lvl.append(el)
            ppr = OxmlElement("w:pPr")
            ind = OxmlElement("w:ind")
            ind.set(qn("w:left"), str(indent))
            ind.set(qn("w:hanging"), "360")
            ppr.append(ind)
            lvl.append(ppr)
            abstract.append(lvl)
        # abstractNum elements must precede num elements in numbering.xml.
        first_num = numbering.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            numbering.append(abstract)
        return abstract_id

    def restart_numbering(self) -> None:
        """Start a new numbered list (clauses of the next section count from 1 again)."""
        numbering = self.doc.part.numbering_part.element
        ids = [int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))]
        num_id = max(ids, default=0) + 1
        num = OxmlElement("w:num")
        num.set(qn("w:numId"), str(num_id))
        ref = OxmlElement("w:abstractNumId")
        ref.set(qn("w:val"), str(self._abstract_id))
        num.append(ref)
        override = OxmlElement("w:lvlOverride")
        override.set(qn("w:ilvl"), "0")
        start = OxmlElement("w:startOverride")
        start.set(qn("w:val"), "1")
        override.append(start)
        num.append(override)
        numbering.append(num)
        self._num_id = num_id

    # -- content ----------------------------------------------------------------------------
    def title(self, text: str, subtitle: str | None = None) -> None:
        self.doc.add_paragraph(text, style="Title")
        if subtitle:
            self.doc.add_paragraph(subtitle, style="Subtitle")

    def section(self, text: str) -> None:
        """A section heading (Heading 1); the clauses after it are numbered from 1."""
        self.doc.add_paragraph(text, style="Heading 1")
        self.restart_numbering()

    def heading(self, text: str, *, restart: bool = True) -> None:
        self.doc.add_paragraph(text, style="Heading 2")
        if restart:
            self.restart_numbering()

    def para(self, text: str = "", *, bold: bool = False, align: str | None = None) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        if text and bold:
            paragraph.add_run(text).bold = True
        elif text:
            _add_text_with_bold(paragraph, text)
        if align == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif align == "center":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif align == "justify":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        return paragraph

    def clause(self, text: str, level: int = 0) -> Paragraph:
        """A numbered clause (List Number style, the current list)."""
        paragraph = self.doc.add_paragraph(style="List Number")
        _set_numbering(paragraph, self._num_id, level)
        _add_text_with_bold(paragraph, text)
        return paragraph

    def bullet(self, text: str) -> Paragraph:
        paragraph = self.doc.add_paragraph(style="List Bullet")
        _add_text_with_bold(paragraph, text)
        return paragraph

    def tag(self, text: str) -> None:
        """A paragraph holding only a docxtpl block tag (``{%p ... %}``); docxtpl removes it on render."""
        self.doc.add_paragraph(text)

    def when(self, condition: str, *clauses: str, level: int = 0) -> None:
        """Clauses present only when ``condition`` holds (a Jinja expression)."""
        self.tag("{%p if " + condition + " %}")
        for text in clauses:
            self.clause(text, level)
        self.tag("{%p endif %}")

    def table(self, rows: list[list[str]], widths_mm: list[float], *, header: bool = True) -> Table:
        table = self.doc.add_table(rows=len(rows), cols=len(rows[0]))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        # LibreOffice lays tables out by the grid columns, Word by the cell widths: set both.
        for c, width in enumerate(widths_mm):
            table.columns[c].width = Mm(width)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = table.cell(r, c)
                cell.width = Mm(widths_mm[c])
                paragraph = cell.paragraphs[0]
                paragraph.paragraph_format.space_after = Pt(1)
                run = paragraph.add_run(text)
                if header and r == 0:
                    run.bold = True
                    _shade(cell._tc, "D9E2F3")
            if header and r == 0:
                _repeat_header(table.rows[0]._tr)
        self.doc.add_paragraph()
        return table

    def signatures(self, left: str, right: str) -> None:
        self.para()
        self.para()
        table = self.doc.add_table(rows=2, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for c, label in enumerate((left, right)):
            top = table.cell(0, c).paragraphs[0]
            top.alignment = WD_ALIGN_PARAGRAPH.CENTER
            top.add_run("……………………………………………")
            bottom = table.cell(1, c).paragraphs[0]
            bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
            bottom.add_run(label).font.size = Pt(9)

    def client_signatures(self, right: str) -> None:
        """One signature line per client representative (``klient.podpisy``), the office's beside the first.

        The rows repeat with a docxtpl ``{%tr for %}`` loop, so a company with joint representation
        gets as many lines as the register names people, and an office may reword the labels in Word.
        """
        self.para()
        self.para()
        table = self.doc.add_table(rows=3, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.cell(0, 0).paragraphs[0].add_run("{%tr for p in klient.podpisy %}")
        table.cell(2, 0).paragraphs[0].add_run("{%tr endfor %}")
        cells = (
            (table.cell(1, 0), "……………………………………………", "{{ p.podpis }}"),
            (
                table.cell(1, 1),
                "{% if loop.first %}……………………………………………{% endif %}",
                "{% if loop.first %}" + right + "{% endif %}",
            ),
        )
        for cell, line, label in cells:
            top = cell.paragraphs[0]
            top.paragraph_format.space_before = Pt(18)
            top.alignment = WD_ALIGN_PARAGRAPH.CENTER
            top.add_run(line)
            bottom = cell.add_paragraph()
            bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
            bottom.add_run(label).font.size = Pt(9)

    def save(self, name: str, out_dir: Path = TEMPLATES_DIR) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / name
        self.doc.save(str(path))
        return path


def _add_text_with_bold(paragraph: Paragraph, text: str) -> None:
    """``**bold**`` segments become bold runs; everything else one plain run (tags stay in one run)."""
    parts = text.split("**")
    for i, part in enumerate(parts):
        if part:
            paragraph.add_run(part).bold = i % 2 == 1


def _set_numbering(paragraph: Paragraph, num_id: int, level: int) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    numpr = OxmlElement("w:numPr")
    ilvl = OxmlElement("w:ilvl")
    ilvl.set(qn("w:val"), str(level))
    num = OxmlElement("w:numId")
    num.set(qn("w:val"), str(num_id))
    numpr.append(ilvl)
    numpr.append(num)
    ppr.append(numpr)


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) as fldChar begin/instr/separate/end runs."""
    for kind, text in (("begin", None), ("instr", instruction), ("separate", None), ("placeholder", "1")):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {text} "
            run._r.append(instr)
        elif kind == "placeholder":
            run.text = text or ""
        else:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(end)


def _shade(tc: object, fill: str) -> None:
    tcpr = tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _repeat_header(tr: object) -> None:
    trpr = tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(copy.deepcopy(el))


PARTIES = [
    ["", "Klient", "Biuro rachunkowe"],
    ["Nazwa / strona", "{{ klient.strona }}", "{{ biuro.nazwa }}"],
    ["Forma prawna", "{{ klient.forma_prawna }}", "{{ biuro.forma_prawna }}"],
    ["NIP", "{{ klient.nip }}", "{{ biuro.nip }}"],
    ["Adres", "{{ klient.adres }}", "{{ biuro.adres }}"],
    [
        "Reprezentowany przez / podstawa reprezentacji",
        "{{ klient.reprezentacja }}",
        "{{ biuro.podpisujacy }}",
    ],
]
PARTY_WIDTHS = [38.0, 64.0, 64.0]

# A civil partnership is no legal person: its partners are the parties (and all of them sign).
CIVIL_PARTNERSHIP_NOTE = (
    "Spółka cywilna nie jest odrębną stroną umowy: stronami są wszyscy jej wspólnicy wymienieni powyżej, "
    "działający wspólnie w ramach spółki „{{ klient.nazwa }}” (NIP spółki {{ klient.nip }})."
)

# The one place that says what signing with which signature means (art. 77¹, 77², 78¹ KC).
FORM_CLAUSE = (
    "Aneks zawiera się w formie pisemnej (podpisy własnoręczne) albo w formie elektronicznej — "
    "kwalifikowanymi podpisami elektronicznymi, które są równoważne formie pisemnej (art. 78¹ Kodeksu "
    "cywilnego). Podpisanie pliku podpisem zaufanym lub podpisem osobistym jest zawarciem aneksu w formie "
    "dokumentowej (art. 77² Kodeksu cywilnego); Strony ją dopuszczają, chyba że Umowa zastrzega dla "
    "zmian formę pisemną — wtedy aneks podpisuje się własnoręcznie albo kwalifikowanym podpisem "
    "elektronicznym (art. 77 § 1 Kodeksu cywilnego)."
)


def _parties(b: TemplateBuilder) -> None:
    b.table(PARTIES, PARTY_WIDTHS)
    b.tag("{%p if klient.spolka_cywilna %}")
    b.para(CIVIL_PARTNERSHIP_NOTE, align="justify")
    b.tag("{%p endif %}")


# ---------------------------------------------------------------------------------------------
# Aneks do umowy o świadczenie usług księgowych (DOMAIN.md §3)
# ---------------------------------------------------------------------------------------------
def build_annex(out_dir: Path = TEMPLATES_DIR) -> Path:
    b = TemplateBuilder("Aneks do umowy o świadczenie usług księgowych — KSeF")
    b.para("{{ biuro.miejscowosc }}, {{ data_dokumentu }}", align="right")
    b.title(
        "ANEKS DO UMOWY O ŚWIADCZENIE USŁUG KSIĘGOWYCH",
        "w sprawie współpracy w Krajowym Systemie e-Faktur (KSeF) — model {{ scenariusz }}",
    )
    b.para(
        "zawarty w dniu {{ data_dokumentu }} do umowy o świadczenie usług księgowych "
        "nr {{ umowa.numer }} z dnia {{ umowa.data }} (dalej „Umowa”) pomiędzy:",
        align="justify",
    )
    _parties(b)
    b.para("zwanymi dalej łącznie „Stronami”. Strony postanawiają, co następuje:", align="justify")

    b.section("§ 1. Przedmiot aneksu i model współpracy")
    b.clause(
        "Aneks określa zasady współpracy Stron w związku z wystawianiem i odbieraniem faktur "
        "ustrukturyzowanych w Krajowym Systemie e-Faktur (KSeF). Obowiązek wystawiania faktur w KSeF "
        "dotyczy Klienta od dnia **{{ klient.data_obowiazku }}**; od dnia 1 lutego 2026 r. Klient odbiera "
        "przez KSeF faktury, które dostawcy wystawiają w KSeF; faktura jest otrzymana w dniu nadania jej "
        "numeru w KSeF. Część faktur zakupu nadal trafia do Klienta poza KSeF; zasady ich przekazywania "
        "Biuru określa niniejszy paragraf."
    )
    b.clause(
        "Strony wybierają **model współpracy nr {{ scenariusz }}: {{ scenariusz_nazwa }}**, "
        "stosowany od dnia {{ data_od }}"
    )
    b.when(
        "scenariusz == 1",
        "Zakres: Klient samodzielnie wystawia faktury sprzedaży w KSeF i samodzielnie pobiera z KSeF "
        "faktury zakupu, a następnie przekazuje Biuru wszystkie faktury (plik XML, PDF lub zestawienie) "
        "w terminie z § 3. Biuro księguje dokumenty otrzymane od Klienta.",
    )
    b.when(
        "scenariusz == 2",
        "Zakres: Klient samodzielnie wystawia faktury sprzedaży w KSeF. Biuro pobiera z KSeF faktury "
        "sprzedaży i zakupu Klienta, przekazuje Klientowi do weryfikacji zestawienie pobranych faktur "
        "zakupu i księguje wyłącznie faktury zaakceptowane przez Klienta.",
    )
    b.when(
        "scenariusz == 3",
        "Zakres: Biuro wystawia w imieniu Klienta faktury sprzedaży w KSeF na podstawie danych "
        "przekazanych przez Klienta oraz pobiera z KSeF faktury zakupu Klienta. Klient zatwierdza "
        "miesięczne zestawienie faktur sprzedaży i zakupu.",
    )
    b.when(
        "scenariusz != 1",
        "Faktury zakupu dostępne w KSeF uważa się za doręczone Biuru z chwilą, gdy Biuro może je pobrać "
        "z KSeF.",
    )
    b.clause(
        "Dokumenty otrzymane lub wystawione poza KSeF Klient przekazuje Biuru dotychczasowym sposobem, "
        "oznaczając je jako dokumenty spoza KSeF. Są to w szczególności: faktury od dostawców, którzy do "
        "31 grudnia 2026 r. wystawiają faktury poza KSeF (sprzedaż do 10 000 zł brutto miesięcznie); faktury "
        "z kas rejestrujących i paragony z NIP nabywcy (faktury uproszczone) — do 31 grudnia 2026 r.; "
        "faktury od dostawców zagranicznych; bilety i inne faktury wyłączone z KSeF; faktury otrzymane w "
        "czasie niedostępności lub awarii KSeF, zanim otrzymają numer KSeF; faktury wystawione w czasie "
        "awarii całkowitej KSeF; rachunki, noty i paragony."
    )
    b.clause(
        "Zmiana modelu współpracy wymaga zawarcia nowego aneksu albo pisemnego zawiadomienia drugiej "
        "Strony z co najmniej {{ warunki.dni_zmiany_modelu }}-dniowym wyprzedzeniem."
    )

    b.section("§ 2. Podział odpowiedzialności")
    b.clause(
        "Klient pozostaje podatnikiem odpowiedzialnym za prawdziwość i rzetelność danych na fakturach, "
        "niezależnie od tego, kto przesłał fakturę do KSeF. Biuro nie przejmuje zobowiązań podatkowych "
        "Klienta."
    )
    b.when(
        "scenariusz == 1",
        "Biuro odpowiada za prawidłowe ujęcie w księgach dokumentów przekazanych przez Klienta. Biuro nie "
        "odpowiada za skutki nieprzekazania faktur przez Klienta.",
    )
    b.when(
        "scenariusz == 2",
        "Biuro odpowiada za kompletne pobranie faktur z KSeF w terminach z § 3 i za prawidłowe "
        "zaksięgowanie faktur zaakceptowanych przez Klienta. Klient odpowiada za merytoryczną weryfikację "
        "faktur i terminowe przekazanie decyzji.",
    )
    b.when(
        "scenariusz == 3",
        "Biuro odpowiada za terminowe i technicznie poprawne wystawienie faktur w KSeF na podstawie danych "
        "przekazanych przez Klienta. Klient odpowiada za prawdziwość, kompletność i terminowość tych danych "
        "oraz za zatwierdzenie zestawienia miesięcznego.",
    )
    b.clause(
        "Faktura, której Klient nie rozpoznaje (możliwe nadużycie lub faktura niedokumentująca rzeczywistej "
        "transakcji), nie jest księgowana do czasu wyjaśnienia. Klient niezwłocznie wyjaśnia sprawę z "
        "wystawcą{% if scenariusz != 1 %}; na prośbę Klienta Biuro zgłasza nadużycie w KSeF{% endif %}."
    )

    b.section("§ 3. Terminy")
    b.when(
        "scenariusz != 3",
        "Klient wysyła swoje faktury sprzedaży do KSeF w dniu ich wystawienia, a faktury wystawione w "
        "trybie offline — w terminach z § 6.",
    )
    b.when(
        "scenariusz == 1",
        "Klient przekazuje Biuru wszystkie faktury sprzedaży i zakupu za dany miesiąc, w tym pobrane z "
        "KSeF, do {{ warunki.dzien_dokumentow }}. dnia następnego miesiąca.",
    )
    b.when(
        "scenariusz == 2",
        "Biuro pobiera faktury z KSeF {{ warunki.czestotliwosc_pobierania }} oraz po zakończeniu miesiąca, "
        "nie później niż do {{ warunki.dzien_pobrania }}. dnia następnego miesiąca.",
        "Klient weryfikuje każdą pobraną fakturę zakupu w terminie **{{ warunki.termin_weryfikacji }}** "
        "od otrzymania zestawienia.",
        "Faktury zweryfikowane po terminie Biuro ujmuje w księgach następnego okresu, a dodatkową pracę "
        "związaną z korektą rozliczeń Biuro rozlicza według cennika.",
    )
    b.when(
        "scenariusz == 3",
        "Klient przekazuje Biuru dane do wystawienia faktury (nabywca, przedmiot, ilość, cena, data "
        "dostawy lub wykonania usługi, sposób zapłaty) najpóźniej w dniu dostawy lub wykonania usługi; "
        "Biuro wystawia fakturę w KSeF w terminie wynikającym z art. 106i ustawy o VAT, nie później niż "
        "następnego dnia roboczego po otrzymaniu kompletnych danych.",
        "Biuro pobiera faktury zakupu z KSeF {{ warunki.czestotliwosc_pobierania }} oraz po zakończeniu "
        "miesiąca.",
        "Klient zatwierdza miesięczne zestawienie faktur sprzedaży i zakupu do "
        "**{{ warunki.dzien_raportu }}. dnia** następnego miesiąca.",
    )
    b.clause(
        "Informacje, których faktura nie zawiera (czy wydatek jest kosztem działalności czy wydatkiem "
        "prywatnym, przypisanie do kosztów, stan zapłaty), oraz dokumenty spoza KSeF (§ 1) Klient "
        "przekazuje do {{ warunki.dzien_dokumentow }}. dnia następnego miesiąca."
    )

    b.section("§ 4. Sposób weryfikacji faktur i skutek milczenia Klienta")
    b.when(
        "scenariusz == 1",
        "Klient weryfikuje faktury we własnym zakresie przed przekazaniem ich Biuru. Jeżeli Klient nada "
        "Biuru uprawnienie do przeglądania faktur, Biuro może porównać przekazane dokumenty z danymi w KSeF "
        "i poinformować Klienta o rozbieżnościach.",
    )
    b.when(
        "scenariusz == 2",
        "Biuro przesyła Klientowi pocztą elektroniczną zestawienie pobranych faktur zakupu w pliku Excel. "
        "Klient przy każdej fakturze wybiera „Akceptuję” albo „Odrzucam”, przy odrzuceniu podaje przyczynę "
        "w kolumnie „Uwagi” i odsyła plik na adres {{ biuro.email }}.",
        "Biuro księguje wyłącznie faktury zaakceptowane. Faktury odrzucone Biuro przekazuje Klientowi do "
        "wyjaśnienia z wystawcą.",
    )
    b.when(
        "scenariusz == 3",
        "Biuro przesyła Klientowi pocztą elektroniczną miesięczne zestawienie faktur sprzedaży i zakupu. "
        "Klient zatwierdza zestawienie jako całość, wskazując w kolumnie „Uwagi” ewentualne pozycje sporne, "
        "i odsyła plik na adres {{ biuro.email }}.",
        "Pozycje sporne nie są księgowane do czasu ich wyjaśnienia.",
    )
    b.tag("{%p if scenariusz != 1 %}")
    b.tag("{%p if warunki.milczenie_akceptacja %}")
    b.clause(
        "Brak odpowiedzi Klienta w terminie z § 3 oznacza **akceptację** wszystkich pozycji zestawienia "
        "(milcząca akceptacja). Koszty korekt wynikających z późniejszego zakwestionowania faktury ponosi "
        "Klient."
    )
    b.tag("{%p else %}")
    b.clause(
        "Brak odpowiedzi Klienta w terminie z § 3 **nie oznacza akceptacji**: faktury niezweryfikowane nie "
        "są księgowane w danym okresie; Biuro ujmuje je po otrzymaniu decyzji Klienta, a skutki opóźnienia "
        "obciążają Klienta."
    )
    b.tag("{%p endif %}")
    b.tag("{%p endif %}")

    b.section("§ 5. Uprawnienia w KSeF")
    b.clause(
        "Uprawnienia w KSeF nadaje wyłącznie Klient — w KSeF (Aplikacja Podatnika KSeF albo program Klienta "
        "połączony z KSeF). Ani niniejszy aneks, ani upoważnienie podpisane przez Klienta nie nadają "
        "Biuru uprawnień w KSeF; określają jedynie, w jakim zakresie i celu Biuro z nich korzysta."
    )
    b.when(
        "scenariusz == 1",
        "Biuro nie wymaga uprawnień w KSeF. Klient może nadać Biuru (NIP {{ biuro.nip }}) uprawnienie "
        "„przeglądanie faktur”, które Biuro wykorzysta wyłącznie do kontroli kompletności dokumentów.",
    )
    b.when(
        "scenariusz == 2",
        "Klient nada w KSeF Biuru jako podmiotowi (NIP {{ biuro.nip }}) uprawnienie **„przeglądanie "
        "faktur”** z możliwością dalszego przekazywania uprawnień w terminie {{ warunki.termin_nadania }} "
        "od podpisania aneksu.",
    )
    b.when(
        "scenariusz == 3",
        "Klient nada w KSeF Biuru jako podmiotowi (NIP {{ biuro.nip }}) uprawnienia **„przeglądanie "
        "faktur” i „wystawianie faktur”**, oba z możliwością dalszego przekazywania uprawnień, w terminie "
        "{{ warunki.termin_nadania }} od podpisania aneksu.",
        "Do wystawiania faktur w trybie offline Biuro używa własnego certyfikatu KSeF typu Offline "
        "(podpis KODU II na wizualizacji faktury).",
    )
    b.clause(
        "Biuro przekazuje uprawnienia wyłącznie swoim pracownikom obsługującym Klienta (uprawnienia nadane "
        "w sposób pośredni) i odbiera je w dniu zakończenia pracy pracownika lub zmiany jego obowiązków."
    )
    b.clause(
        "Klient nie nadaje Biuru uprawnienia „zarządzanie uprawnieniami” i nie przekazuje Biuru tokenów "
        "KSeF ani danych logowania; Biuro loguje się do KSeF własną pieczęcią kwalifikowaną, podpisem "
        "kwalifikowanym osoby działającej za Biuro lub certyfikatem KSeF."
    )
    b.clause(
        "Klient utrzymuje nadane uprawnienia przez czas trwania Umowy, zawiadamia Biuro przed ich "
        "odebraniem i informuje Biuro o innych podmiotach mających dostęp do jego faktur w KSeF. Nadanie "
        "uprawnień Strony potwierdzają zrzutem ekranu z Aplikacji Podatnika KSeF lub sprawdzeniem "
        "uprawnień przez Biuro w KSeF."
    )
    b.clause(
        "Po rozwiązaniu Umowy Klient odbiera uprawnienia Biura, a Biuro potwierdza brak dostępu i usuwa "
        "przechowywane dane uwierzytelniające dotyczące Klienta."
    )

    b.section("§ 6. Niedostępność i awarie KSeF")
    b.clause(
        "Strony śledzą komunikaty Ministerstwa Finansów o niedostępności i awariach KSeF (BIP MF oraz "
        "komunikaty w oprogramowaniu)."
    )
    b.when(
        "scenariusz != 3",
        "W razie problemu po swojej stronie Klient wystawia faktury w trybie offline24 i wysyła je do KSeF "
        "najpóźniej następnego dnia roboczego; w razie ogłoszonej niedostępności KSeF — następnego dnia "
        "roboczego po jej zakończeniu; w razie ogłoszonej awarii — w ciągu 7 dni roboczych od jej "
        "zakończenia.",
        "Klient informuje Biuro, które faktury wystawił w trybie offline i w jakim trybie, ponieważ Biuro "
        "potrzebuje tej informacji do oznaczeń w pliku JPK_V7 (OFF, DI, BFK).",
    )
    b.when(
        "scenariusz == 2",
        "Po ustaniu niedostępności lub awarii Biuro ponownie pobiera faktury z KSeF za okres jej trwania.",
    )
    b.when(
        "scenariusz == 3",
        "W razie niedostępności lub awarii KSeF Biuro wystawia faktury Klienta w trybie offline z kodami QR "
        "i wysyła je do KSeF w terminach ustawowych (następny dzień roboczy, a przy ogłoszonej awarii "
        "7 dni roboczych od jej zakończenia). Klient otrzymuje wizualizacje faktur z kodami QR.",
    )
    b.clause(
        "W czasie awarii całkowitej ogłoszonej w środkach masowego przekazu faktury wystawia się poza KSeF "
        "(w postaci papierowej lub elektronicznej) i nie wysyła się ich później do KSeF."
    )
    b.when(
        "scenariusz == 3",
        "Nabywcom, którzy nie odbierają faktur w KSeF (konsumentom, nabywcom zagranicznym), fakturę "
        "przekazuje się poza KSeF jako wizualizację (wydruk lub plik PDF) z kodem QR. Wizualizację "
        "przygotowuje Biuro i przesyła ją Klientowi w dniu wysłania faktury do KSeF; Klient doręcza ją "
        "nabywcy, chyba że poleci Biuru wysłać ją bezpośrednio na podany adres e-mail nabywcy.",
    )

    b.section("§ 7. Korekty")
    b.clause(
        "Faktury przesłanej do KSeF nie można anulować ani usunąć; jej zmiana wymaga wystawienia faktury "
        "korygującej."
    )
    b.clause(
        "Od dnia 1 lutego 2026 r. nie ma not korygujących: nabywca nie może sam poprawić błędu na fakturze "
        "sprzedawcy. Błędną fakturę zakupu poprawia wyłącznie jej wystawca fakturą korygującą."
    )
    b.when(
        "scenariusz != 3",
        "Faktury korygujące sprzedaży wystawia Klient. Gdy faktura zakupu jest błędna, Klient zwraca się do "
        "wystawcy o fakturę korygującą.",
    )
    b.when(
        "scenariusz == 3",
        "Faktury korygujące sprzedaży wystawia Biuro na pisemne lub elektroniczne polecenie Klienta, "
        "wskazujące przyczynę i zakres korekty. Gdy faktura zakupu jest błędna, Klient zwraca się do "
        "wystawcy o fakturę korygującą.",
    )
    b.clause(
        "Informacje o zapłatach, w tym o płatnościach zbiorczych z identyfikatorem płatności KSeF, Klient "
        "przekazuje Biuru wraz z wyciągiem bankowym."
    )

    b.section("§ 8. Odpowiedzialność i ubezpieczenie OC")
    b.clause(
        "Biuro posiada ubezpieczenie odpowiedzialności cywilnej (art. 76h ustawy o rachunkowości): polisa "
        "nr {{ biuro.polisa_oc }} wystawiona przez {{ biuro.ubezpieczyciel }}, suma gwarancyjna "
        "{{ biuro.suma_oc }}."
    )
    b.when(
        "scenariusz == 3",
        "Biuro oświadcza, że jego ubezpieczenie OC obejmuje także wystawianie faktur w imieniu Klienta "
        "(rozszerzenie ochrony), ponieważ wystawianie faktur nie jest prowadzeniem ksiąg rachunkowych.",
    )
    b.clause(
        "Odpowiedzialność Biura z tytułu niniejszego aneksu jest ograniczona do "
        "{{ warunki.limit_odpowiedzialnosci }}, z wyjątkiem szkody wyrządzonej umyślnie."
    )
    b.clause(
        "Biuro nie odpowiada za szkody wynikające z: danych przekazanych przez Klienta z opóźnieniem, "
        "niepełnych lub błędnych; niedostępności lub awarii KSeF; oprogramowania Klienta; działań osób, "
        "którym Klient nadał uprawnienia w KSeF."
    )
    b.when(
        "scenariusz == 3",
        "Od dnia 1 stycznia 2027 r. naczelnik urzędu skarbowego może nałożyć na podatnika karę pieniężną "
        "(art. 106ni ustawy o VAT) m.in. za niewystawienie faktury w KSeF i za nieprzesłanie w terminie do "
        "KSeF faktury wystawionej w trybie offline — do 100% kwoty VAT z faktury, a gdy faktura nie "
        "wykazuje VAT — do 18,7% kwoty należności ogółem. Karę nakłada się na Klienta jako podatnika.",
        "Jeżeli kara wynika z tego, że Biuro wystawiło lub przesłało fakturę do KSeF po terminie albo "
        "niezgodnie z kompletnymi danymi przekazanymi przez Klienta w terminie z § 3, Biuro zwraca "
        "Klientowi zapłaconą karę (regres) w granicach ust. 3. Biuro nie zwraca kary wynikającej z danych "
        "przekazanych po terminie, niepełnych lub błędnych, ani z okoliczności, za które Biuro nie "
        "odpowiada zgodnie z ust. 4.",
        "Klient zawiadamia Biuro o wszczęciu postępowania w sprawie kary niezwłocznie, nie później niż w "
        "ciągu 7 dni od doręczenia pierwszego pisma, aby Biuro mogło przedstawić wyjaśnienia i wnioskować "
        "o obniżenie kary. Zaniechanie zawiadomienia ogranicza regres do kwoty, której nie dało się "
        "uniknąć.",
    )

    b.section("§ 9. Ochrona danych osobowych i bezpieczeństwo")
    b.clause(
        "Dane osobowe zawarte w fakturach pobieranych z KSeF i wystawianych w KSeF Biuro przetwarza na "
        "podstawie umowy powierzenia przetwarzania danych osobowych (art. 28 RODO) zawartej z Klientem; "
        "niniejszy aneks rozszerza zakres powierzenia o te dane. Faktury ustrukturyzowane są "
        "przechowywane w KSeF przez 10 lat od końca roku, w którym je wystawiono; Biuro przechowuje swoje "
        "kopie tylko przez czas trwania Umowy."
    )
    b.clause(
        "Klient wyraża zgodę na powierzenie danych przez Biuro dalszym podmiotom przetwarzającym "
        "wymienionym w umowie powierzenia (np. dostawcy programu księgowego i usług przechowywania danych). "
        "Biuro informuje Klienta o zamiarze dodania lub zmiany takiego podmiotu z co najmniej 14-dniowym "
        "wyprzedzeniem; Klient może zgłosić sprzeciw. Dalszy podmiot przetwarzający ma te same obowiązki "
        "co Biuro, a Biuro odpowiada za jego działania jak za własne."
    )
    b.clause(
        "Po zakończeniu Umowy Biuro, według wyboru Klienta zgłoszonego w ciągu 30 dni, zwraca Klientowi "
        "archiwum pobranych z KSeF faktur (pliki XML i zestawienia) albo je usuwa, wraz z kopiami, chyba "
        "że przepis prawa nakazuje Biuru dalsze przechowywanie. Brak wyboru oznacza zwrot archiwum i "
        "usunięcie kopii. Biuro potwierdza zwrot lub usunięcie na piśmie."
    )
    b.clause(
        "Biuro przechowuje dane uwierzytelniające do KSeF w zabezpieczonym magazynie, stosuje "
        "uwierzytelnianie wieloskładnikowe w swoich systemach, rejestruje dostęp do danych Klienta i "
        "niezwłocznie, nie później niż w ciągu 24 godzin od wykrycia, informuje Klienta o incydencie "
        "(np. podejrzeniu wycieku lub nieuprawnionej fakturze)."
    )

    b.section("§ 10. Wynagrodzenie")
    b.clause("{{ warunki.oplata }}")
    b.clause("Pozostałe postanowienia Umowy dotyczące wynagrodzenia nie ulegają zmianie.")

    b.section("§ 11. Postanowienia końcowe")
    b.clause("Aneks wchodzi w życie z dniem {{ data_od }} i obowiązuje przez czas trwania Umowy.")
    b.clause("W sprawach nieuregulowanych aneksem stosuje się postanowienia Umowy.")
    b.clause(FORM_CLAUSE)
    b.clause("Zmiana aneksu wymaga zachowania formy, w jakiej go zawarto.")
    b.clause(
        "Aneks sporządzony w formie pisemnej sporządza się w dwóch jednobrzmiących egzemplarzach, po "
        "jednym dla Klienta i Biura."
    )
    b.client_signatures("Biuro — {{ biuro.nazwa }}")
    return b.save("aneks.docx", out_dir)


# ---------------------------------------------------------------------------------------------
# Upoważnienie i instrukcja nadania uprawnień (DOMAIN.md §2)
# ---------------------------------------------------------------------------------------------
def build_authorisation(out_dir: Path = TEMPLATES_DIR) -> Path:
    b = TemplateBuilder("Upoważnienie i instrukcja nadania uprawnień w KSeF")
    b.para("{{ biuro.miejscowosc }}, {{ data_dokumentu }}", align="right")
    b.title(
        "UPOWAŻNIENIE I INSTRUKCJA NADANIA UPRAWNIEŃ W KSeF",
        "dla biura: {{ biuro.nazwa }} (NIP {{ biuro.nip }})",
    )
    _parties(b)

    b.section("1. Upoważnienie")
    b.clause(
        "Klient upoważnia Biuro do korzystania w Krajowym Systemie e-Faktur (KSeF) z uprawnień wymienionych "
        "w punkcie 2, w kontekście NIP {{ klient.nip }}, wyłącznie w celu {{ cel_upowaznienia }} "
        "(model współpracy nr {{ scenariusz }}: {{ scenariusz_nazwa }})."
    )
    b.clause(
        "**Ten dokument sam nie nadaje żadnych uprawnień w KSeF.** Uprawnienia nadaje się wyłącznie w KSeF: "
        "w Aplikacji Podatnika KSeF albo w programie Klienta połączonym z KSeF (punkt 4); administratora "
        "KSeF firmy wskazuje się formularzem ZAW-FA (punkt 3). Dokument określa, w jakim zakresie i celu "
        "Biuro może korzystać z uprawnień nadanych mu w KSeF."
    )
    b.clause(
        "Biuro może przekazać uprawnienia swoim pracownikom obsługującym Klienta (uprawnienia nadane w "
        "sposób pośredni, selektywnie dla NIP Klienta). Korzystanie z uprawnień w innym celu jest "
        "zabronione."
    )
    b.clause(
        "Upoważnienie obowiązuje przez czas trwania umowy o świadczenie usług księgowych. Po jej rozwiązaniu "
        "Klient odbiera uprawnienia w KSeF, a Biuro usuwa dane uwierzytelniające dotyczące Klienta."
    )

    b.section("2. Zakres uprawnień dla NIP {{ biuro.nip }}")
    table = b.table(
        [
            ["Uprawnienie w KSeF (nazwa w aplikacji)", "Nadać?", "Po co"],
            ["{%tr for u in uprawnienia %}", "", ""],
            ["{{ u.nazwa }}", "{{ u.nadac }}", "{{ u.cel }}"],
            ["{%tr endfor %}", "", ""],
        ],
        [62.0, 22.0, 82.0],
    )
    del table
    b.para(
        "Uprawnienia nadaje się **podmiotowi** (firmie biura, po NIP), a nie osobie. Dzięki temu zmiana "
        "pracowników biura nie wymaga żadnych działań po stronie Klienta.",
    )

    b.section("3. Przed nadaniem uprawnień: pierwsze logowanie do KSeF")
    b.tag("{%p if klient.osoba_fizyczna %}")
    b.clause(
        "Osoba fizyczna prowadząca działalność ma w KSeF uprawnienia właścicielskie automatycznie. "
        "Wystarczy zalogować się profilem zaufanym, podpisem kwalifikowanym lub e-dowodem; formularz "
        "ZAW-FA nie jest potrzebny."
    )
    b.tag("{%p else %}")
    b.clause(
        "Firma ({{ klient.forma_prawna }}) loguje się do KSeF kwalifikowaną pieczęcią elektroniczną "
        "zawierającą jej NIP. **Jeżeli firma nie ma takiej pieczęci, najpierw składa formularz ZAW-FA** "
        "(Zawiadomienie o nadaniu lub odebraniu uprawnień do korzystania z KSeF) i wskazuje w nim osobę "
        "fizyczną, która będzie administratorem KSeF firmy."
    )
    b.clause(
        "ZAW-FA składa się w urzędzie skarbowym właściwym dla firmy: papierowo (osobiście lub pocztą) albo "
        "elektronicznie w e-Urzędzie Skarbowym (konto organizacji). Formularz podpisują osoby uprawnione do "
        "reprezentacji zgodnie z umową lub statutem — przy reprezentacji łącznej wszystkie."
    )
    b.clause(
        "W formularzu podaje się: urząd skarbowy i cel (część A), NIP i pełną nazwę firmy oraz adres e-mail "
        "firmy (część B), imię, nazwisko i PESEL lub NIP administratora oraz jego telefon i e-mail "
        "(część C), a także osoby podpisujące (część E)."
    )
    b.clause(
        "Wskazana osoba otrzymuje tylko uprawnienie do zarządzania uprawnieniami; po zalogowaniu nadaje "
        "uprawnienia Biuru zgodnie z punktem 4. Nie zalecamy wskazywania w ZAW-FA pracownika ani właściciela "
        "Biura — oddałoby to Biuru pełną kontrolę nad uprawnieniami firmy."
    )
    b.tag("{%p endif %}")

    b.section("4. Krok po kroku: nadanie uprawnień Biuru")
    b.para("Prosimy wykonać następujące kroki:")
    b.clause(
        "Otworzyć Aplikację Podatnika KSeF 2.0 Ministerstwa Finansów (odnośnik na stronie "
        "ksef.podatki.gov.pl) albo moduł KSeF w swoim programie do faktur."
    )
    b.clause(
        "Zalogować się (profil zaufany, podpis kwalifikowany, pieczęć kwalifikowana lub e-dowód) i wybrać "
        "kontekst firmy o NIP **{{ klient.nip }}**."
    )
    b.clause("Przejść do zarządzania uprawnieniami i wybrać nadanie uprawnień **podmiotowi** (nie osobie).")
    b.clause("Wpisać NIP Biura: **{{ biuro.nip }}** ({{ biuro.nazwa }}).")
    b.clause(
        "Zaznaczyć uprawnienia oznaczone w tabeli w punkcie 2 jako „TAK” oraz opcję "
        "**możliwość dalszego przekazywania uprawnień**. Nie zaznaczać zarządzania uprawnieniami."
    )
    b.clause(
        "Zatwierdzić. Nadanie jest przetwarzane w KSeF z opóźnieniem — prosimy sprawdzić, czy status "
        "operacji zmienił się na zakończony."
    )
    b.clause(
        "Zrobić zrzut ekranu listy uprawnień i wysłać go na adres {{ biuro.email }} w ciągu "
        "{{ warunki.termin_nadania }}. Biuro sprawdzi nadanie w KSeF i potwierdzi je e-mailem."
    )

    b.section("5. Ważne")
    b.bullet(
        "Prosimy nie przekazywać Biuru tokenów KSeF, haseł ani danych logowania — Biuro loguje się do KSeF "
        "własnymi danymi, a do Państwa faktur ma dostęp tylko dzięki uprawnieniom nadanym w punkcie 4."
    )
    b.bullet("Uprawnienia nie wygasają same: przed ich odebraniem prosimy poinformować Biuro.")
    b.bullet(
        "Tokeny KSeF działają tylko do 31 grudnia 2026 r. Profil zaufany, podpis kwalifikowany i pieczęć "
        "kwalifikowana pozostają sposobami logowania także od 2027 r.; zamiast tokenów używa się "
        "certyfikatów KSeF."
    )
    b.tag("{%p if scenariusz == 3 %}")
    b.bullet(
        "W modelu 3 Biuro wystawia Państwa faktury sprzedaży i wysyła je do KSeF; do faktur offline używa "
        "własnego certyfikatu KSeF typu Offline."
    )
    b.bullet(
        "Nabywcy, którzy nie odbierają faktur w KSeF (konsumenci, nabywcy zagraniczni), dostają wizualizację "
        "faktury (wydruk lub PDF) z kodem QR. Biuro przesyła ją Państwu w dniu wysłania faktury do KSeF, a "
        "Państwo przekazują ją nabywcy (albo, na Państwa polecenie, Biuro wysyła ją nabywcy e-mailem)."
    )
    b.tag("{%p endif %}")
    b.bullet(
        "Pełnomocnictwa UPL-1 i PPS-1 nie są uprawnieniami w KSeF — uprawnienia nadaje się tylko w KSeF."
    )
    b.para("W razie pytań: {{ biuro.podpisujacy }}, {{ biuro.email }}, tel. {{ biuro.telefon }}.")
    b.client_signatures("Biuro — {{ biuro.nazwa }}")
    return b.save("upowaznienie.docx", out_dir)


# Facts the letter and the FAQ sheet share (see docs/sources.md for the legal basis of each).
OUTSIDE_KSEF_PURCHASES = (
    "faktury od dostawców, którzy do 31 grudnia 2026 r. wystawiają faktury poza KSeF (sprzedaż do 10 000 zł "
    "brutto miesięcznie); faktury z kas rejestrujących i paragony z NIP (do 31 grudnia 2026 r.); faktury od "
    "dostawców zagranicznych; faktury otrzymane w czasie awarii KSeF, zanim trafią do KSeF"
)


# ---------------------------------------------------------------------------------------------
# Pismo informacyjne (DOMAIN.md §1, §3, §5)
# ---------------------------------------------------------------------------------------------
def build_letter(out_dir: Path = TEMPLATES_DIR) -> Path:
    b = TemplateBuilder("Pismo informacyjne — KSeF")
    head = b.para("{{ biuro.nazwa }}", bold=True)
    del head
    b.para("{{ biuro.adres }} · NIP {{ biuro.nip }} · {{ biuro.email }}")
    b.para("{{ biuro.miejscowosc }}, {{ data_dokumentu }}", align="right")
    b.para("{{ klient.nazwa }}", bold=True)
    b.para("{{ klient.adres }}")
    b.para("NIP {{ klient.nip }}")
    b.para()
    b.title("Krajowy System e-Faktur (KSeF) — co zmienia się dla Państwa firmy")
    b.para("{{ klient.powitanie }}", align="justify")
    b.para(
        "Krajowy System e-Faktur (KSeF) to system Ministerstwa Finansów, przez który firmy wystawiają i "
        "otrzymują faktury. Faktura staje się fakturą ustrukturyzowaną dopiero, gdy KSeF nada jej numer. "
        "Poniżej opisujemy, co to oznacza dla Państwa firmy ({{ klient.nazwa }}) i jak możemy współpracować.",
        align="justify",
    )

    b.section("1. Państwa terminy")
    b.clause(
        "Od **1 lutego 2026 r.** odbierają Państwo przez KSeF faktury, które dostawcy wystawiają w KSeF — "
        "faktura jest otrzymana w dniu nadania jej numeru w KSeF."
    )
    b.clause(
        "**Nie wszystkie faktury zakupu trafią do KSeF.** Poza KSeF nadal przychodzą: "
        + OUTSIDE_KSEF_PURCHASES
        + ". **Takie dokumenty prosimy nadal przekazywać biuru** tak jak dotychczas — bez nich nie "
        "ujmiemy kosztów ani nie odliczymy VAT."
    )
    b.clause("Obowiązek **wystawiania** faktur w KSeF dotyczy Państwa od **{{ klient.data_obowiazku }}**")
    b.tag("{%p if klient.ulga_2027 %}")
    b.clause(
        "Do 31 grudnia 2026 r. mogą Państwo wystawiać faktury poza KSeF, jeżeli wartość faktur wystawionych "
        "w miesiącu nie przekracza 10 000 zł brutto. Faktura, którą ten limit zostanie przekroczony, i "
        "wszystkie kolejne muszą już trafić do KSeF."
    )
    b.tag("{%p endif %}")
    b.clause(
        "Kary pieniężne za naruszenia obowiązków KSeF (art. 106ni ustawy o VAT) — np. za fakturę wystawioną "
        "poza KSeF mimo obowiązku albo spóźnione przesłanie faktury offline — obowiązują od "
        "**1 stycznia 2027 r.**: do 100% kwoty VAT z faktury (lub do 18,7% kwoty brutto, gdy faktura nie "
        "wykazuje VAT). Rok 2026 nie jest jednak wolny od wszystkich kar: błędy w plikach JPK_V7 i w "
        "rozliczeniu VAT są karane tak jak dotychczas."
    )
    b.clause(
        "Tokeny KSeF działają do 31 grudnia 2026 r. Profil zaufany, podpis kwalifikowany i pieczęć "
        "kwalifikowana pozostają sposobami logowania także od 2027 r.; zamiast tokenów używa się "
        "certyfikatów KSeF."
    )
    b.clause(
        "Faktury są przechowywane w KSeF przez 10 lat od końca roku, w którym je wystawiono. Od 1 lutego "
        "2026 r. nie ma not korygujących: błąd na fakturze zakupu może poprawić tylko wystawca fakturą "
        "korygującą."
    )
    b.clause(
        "Konsumenci i nabywcy zagraniczni nie odbierają faktur w KSeF: przekazuje się im wizualizację "
        "faktury (wydruk lub PDF) z kodem QR, w sposób z nimi uzgodniony.{% if scenariusz == 3 %} "
        "W modelu 3 wizualizację przygotowuje biuro i przesyła ją Państwu, a Państwo przekazują ją "
        "nabywcy.{% endif %}"
    )
    b.table(
        [
            ["Data", "Co się zmienia"],
            ["1 lutego 2026", "odbieranie faktur przez KSeF — wszyscy; wystawianie — najwięksi podatnicy"],
            ["1 kwietnia 2026", "wystawianie faktur w KSeF — pozostali podatnicy"],
            [
                "31 grudnia 2026",
                "koniec ulgi do 10 000 zł miesięcznie, faktur z kas poza KSeF i tokenów KSeF",
            ],
            ["1 stycznia 2027", "kary z art. 106ni ustawy o VAT za naruszenia obowiązków KSeF"],
        ],
        [40.0, 126.0],
    )

    b.section("2. Modele współpracy z biurem")
    b.para("Proponujemy Państwu **model nr {{ scenariusz_proponowany }}**. Do wyboru są trzy modele:")
    b.table(
        [
            ["Model", "Kto wystawia faktury", "Kto pobiera faktury zakupu", "Uprawnienia dla biura"],
            ["1", "Państwo", "Państwo — przekazują je biuru", "nie są potrzebne (zalecane przeglądanie)"],
            ["2", "Państwo", "biuro; Państwo akceptują każdą fakturę", "przeglądanie faktur"],
            [
                "3",
                "biuro, na podstawie Państwa danych",
                "biuro; Państwo zatwierdzają zestawienie miesięczne",
                "przeglądanie i wystawianie faktur",
            ],
        ],
        [16.0, 44.0, 60.0, 46.0],
    )
    b.para(
        "W modelach 2 i 3 księgujemy tylko faktury, które Państwo zaakceptowali. W każdym modelu to Państwo "
        "odpowiadają za prawdziwość danych na fakturach. Szczegóły określi aneks do umowy.",
        align="justify",
    )

    b.section("3. Jak biuro korzysta z KSeF")
    b.clause(
        "Biuro loguje się do KSeF własnymi danymi: pieczęcią kwalifikowaną biura albo przez osobę, którą "
        "biuro wskazało jako swojego administratora KSeF w formularzu ZAW-FA, oraz certyfikatem KSeF. Nie "
        "potrzebujemy Państwa haseł ani tokenów."
    )
    b.clause(
        "Do Państwa faktur mamy dostęp tylko w zakresie uprawnień, które Państwo nadadzą w KSeF firmie "
        "biura (po NIP); naszym pracownikom przekazujemy je imiennie i odbieramy w dniu zmiany obowiązków."
    )
    b.clause(
        "Dbamy o ciągłość: dostępem biura do KSeF zarządzają dwie osoby, a daty ważności certyfikatów "
        "KSeF sprawdzamy z wyprzedzeniem."
    )

    b.section("4. Ankieta gotowości do KSeF")
    b.para("Prosimy o odpowiedź na poniższe pytania (wystarczy odpowiedź na e-mail) do {{ termin_ankiety }}:")
    for question in (
        "Jakiego programu używają Państwo do wystawiania faktur i czy jest on połączony z KSeF? "
        "……………………………………",
        "Jak dziś przekazują Państwo dokumenty do biura?  ☐ papier  ☐ e-mail (PDF)  ☐ system OCR / portal  "
        "☐ eksport z programu  ☐ inaczej: ……………",
        "Kto w firmie będzie logował się do KSeF (imię i nazwisko)? ……………………………………",
        "Czym ta osoba się loguje?  ☐ profil zaufany  ☐ podpis kwalifikowany  ☐ pieczęć kwalifikowana  "
        "☐ e-dowód",
        "{% if klient.osoba_fizyczna %}Czy logowali się już Państwo do Aplikacji Podatnika KSeF?"
        "{% else %}Czy firma złożyła formularz ZAW-FA albo ma kwalifikowaną pieczęć elektroniczną?"
        "{% endif %}  ☐ tak  ☐ nie",
        "Ile faktur sprzedaży wystawiają Państwo miesięcznie? ……  Czy ich wartość przekracza 10 000 zł brutto "
        "miesięcznie?  ☐ tak  ☐ nie",
        "Czy wystawiają Państwo faktury z kasy rejestrującej lub dla konsumentów?  ☐ tak  ☐ nie",
        "Czy mają Państwo certyfikat KSeF typu Offline (do faktur wystawianych w czasie awarii)?  "
        "☐ tak  ☐ nie",
        "Który model współpracy Państwo wybierają?  ☐ 1  ☐ 2  ☐ 3",
        "Kto podpisuje umowy w imieniu firmy i na jakiej podstawie (np. prezes zarządu, wspólnicy)? "
        "……………………………………",
        "Na jaki adres e-mail wysyłać zestawienia faktur do weryfikacji? ……………………………………",
    ):
        b.clause(question)

    b.section("5. Najczęstsze pytania")
    for question, answer in LETTER_FAQ:
        b.doc.add_paragraph(question, style="Heading 2")
        b.para(answer, align="justify")

    b.para()
    b.para("Z poważaniem,")
    b.para("{{ biuro.podpisujacy }}")
    b.para("{{ biuro.nazwa }}")
    return b.save("pismo.docx", out_dir)


LETTER_FAQ: tuple[tuple[str, str], ...] = (
    (
        "Czy potrzebuję programu do faktur?",
        "Nie jest konieczny: Ministerstwo Finansów udostępnia bezpłatnie Aplikację Podatnika KSeF, "
        "aplikację mobilną KSeF i e-mikrofirmę. Nie działają one jednak w trybie offline i nie prowadzą "
        "bazy kontrahentów — przy większej liczbie faktur zalecamy program zintegrowany z KSeF.",
    ),
    (
        "Czy biuro może obsłużyć KSeF za mnie?",
        "Tak. Nadają Państwo w KSeF firmie biura (po NIP) uprawnienie „przeglądanie faktur” (pobieramy "
        "Państwa faktury), a w modelu 3 także „wystawianie faktur”, z możliwością przekazania ich naszym "
        "pracownikom. Pismo czy upoważnienie same nie nadają uprawnień — robi się to tylko w KSeF. "
        "Odpowiedzialność za treść faktur pozostaje po Państwa stronie.",
    ),
    (
        "Czy wszystkie faktury zakupu przyjdą teraz przez KSeF?",
        "Nie. Poza KSeF nadal przychodzą " + OUTSIDE_KSEF_PURCHASES + ". Takie dokumenty prosimy przekazywać "
        "biuru jak dotychczas.",
    ),
    (
        "Czy mogę nadal wystawiać faktury papierowe lub w Wordzie?",
        "Tylko w wyjątkach: do końca 2026 r. przy sprzedaży do 10 000 zł brutto miesięcznie, faktury dla "
        "konsumentów, faktury z kas rejestrujących do końca 2026 r., w czasie ogłoszonej awarii "
        "całkowitej KSeF i dla transakcji wyłączonych z KSeF.",
    ),
    (
        "Co grozi za niekorzystanie z KSeF?",
        "Kary z art. 106ni ustawy o VAT (do 100% VAT z faktury wystawionej poza KSeF mimo obowiązku) "
        "obowiązują od 1 stycznia 2027 r. Błędy w JPK_V7 i w rozliczeniu VAT są karane także w 2026 r., jak "
        "dotychczas. Już teraz kontrahenci oczekują faktur w KSeF, a plik JPK_V7 zawiera numer KSeF "
        "każdej faktury albo oznaczenie OFF, BFK lub DI.",
    ),
    (
        "Jak długo faktury są w KSeF i czy mogę wystawić notę korygującą?",
        "Faktury są przechowywane w KSeF przez 10 lat od końca roku wystawienia. Not korygujących nie ma "
        "od 1 lutego 2026 r.: błąd na fakturze zakupu poprawia tylko wystawca fakturą korygującą.",
    ),
    (
        "Jak fakturę dostaje konsument albo nabywca zagraniczny?",
        "Poza KSeF: jako wizualizację (wydruk lub PDF) z kodem QR, w sposób uzgodniony z nabywcą. Kod QR "
        "pozwala sprawdzić fakturę w KSeF.",
    ),
    (
        "Co zrobić w razie awarii?",
        "Przy problemie po Państwa stronie: wystawić fakturę w trybie offline24 i wysłać ją do KSeF "
        "najpóźniej następnego dnia roboczego. Przy ogłoszonej niedostępności KSeF — następnego dnia roboczego "
        "po jej zakończeniu, przy ogłoszonej awarii — w ciągu 7 dni roboczych. Przy awarii całkowitej "
        "faktury wystawia się dowolnie i nie wysyła później. Prosimy zawsze informować nas o fakturach "
        "offline — potrzebujemy tego do oznaczeń w JPK_V7.",
    ),
    (
        "Czy mogę wpisać wcześniejszą datę wystawienia?",
        "Data w polu P_1 musi być prawdziwą datą wystawienia. Może być wcześniejsza niż dzień wysłania do "
        "KSeF (faktura jest wtedy traktowana jak offline24) — prosimy wysłać ją najpóźniej następnego dnia "
        "roboczego. Datę dostawy wpisuje się w polu P_6.",
    ),
    (
        "Czy biuro może zrobić wszystko za mnie?",
        "Tak, w modelu 3: wystawiamy i wysyłamy Państwa faktury oraz pobieramy koszty, a Państwo "
        "przekazują dane na czas i zatwierdzają zestawienie miesięczne.",
    ),
)


# ---------------------------------------------------------------------------------------------
# Umowa powierzenia przetwarzania danych osobowych (art. 28 RODO; DOMAIN.md §2.5 pkt 11, §3.1)
# ---------------------------------------------------------------------------------------------
def build_processing_agreement(out_dir: Path = TEMPLATES_DIR) -> Path:
    b = TemplateBuilder("Umowa powierzenia przetwarzania danych osobowych")
    b.para("{{ biuro.miejscowosc }}, {{ data_dokumentu }}", align="right")
    b.title(
        "UMOWA POWIERZENIA PRZETWARZANIA DANYCH OSOBOWYCH",
        "do umowy o świadczenie usług księgowych nr {{ umowa.numer }} z dnia {{ umowa.data }}",
    )
    b.para("zawarta w dniu {{ data_dokumentu }} pomiędzy:", align="justify")
    _parties(b)
    b.para(
        "Klient jest administratorem danych (dalej „Administrator”), a Biuro — podmiotem przetwarzającym "
        "(dalej „Przetwarzający”) w rozumieniu rozporządzenia Parlamentu Europejskiego i Rady (UE) 2016/679 "
        "(„RODO”). Strony postanawiają, co następuje:",
        align="justify",
    )

    b.section("§ 1. Przedmiot, charakter i cel")
    b.clause(
        "Administrator powierza Przetwarzającemu przetwarzanie danych osobowych w zakresie potrzebnym do "
        "wykonania umowy o świadczenie usług księgowych (dalej „Umowa”), w tym danych zawartych w fakturach "
        "pobieranych z Krajowego Systemu e-Faktur (KSeF) i — jeżeli Strony tak uzgodniły — wystawianych w "
        "KSeF w imieniu Administratora."
    )
    b.clause(
        "Celem przetwarzania jest prowadzenie ksiąg i ewidencji podatkowych, rejestrów VAT i plików JPK_V7, "
        "sporządzanie deklaracji, weryfikacja dokumentów oraz obsługa faktur w KSeF zgodnie z aneksem "
        "KSeF do Umowy. Przetwarzanie obejmuje pobieranie, zapisywanie, przechowywanie, porządkowanie, "
        "przeglądanie, przesyłanie do KSeF i do organów podatkowych oraz usuwanie danych."
    )
    b.clause("Przetwarzanie trwa przez czas trwania Umowy i czynności po jej zakończeniu opisanych w § 5.")

    b.section("§ 2. Rodzaje danych i kategorie osób")
    b.clause(
        "Kategorie osób: kontrahenci Administratora będący osobami fizycznymi (w tym prowadzący działalność "
        "gospodarczą), osoby wskazane na fakturach (np. osoby kontaktowe, odbiorcy), pracownicy i "
        "współpracownicy Administratora, osoby reprezentujące Administratora."
    )
    b.clause(
        "Rodzaje danych: imię i nazwisko lub firma, NIP, PESEL (jeżeli występuje na dokumencie), adres, "
        "adres e-mail i numer telefonu, numer rachunku bankowego, dane o transakcjach i płatnościach "
        "zawarte w fakturach i dokumentach księgowych."
    )

    b.section("§ 3. Obowiązki Przetwarzającego")
    b.clause(
        "Przetwarzający przetwarza dane wyłącznie na udokumentowane polecenie Administratora; za takie "
        "polecenie uważa się Umowę, aneks KSeF i polecenia przekazane pocztą elektroniczną."
    )
    b.clause(
        "Przetwarzający zapewnia, że osoby upoważnione do przetwarzania danych zobowiązały się do "
        "zachowania tajemnicy, i stosuje środki bezpieczeństwa wymagane przez art. 32 RODO, w tym: "
        "przechowywanie danych uwierzytelniających do KSeF w zabezpieczonym magazynie, uwierzytelnianie "
        "wieloskładnikowe i rejestrowanie dostępu do danych Administratora."
    )
    b.clause(
        "Przetwarzający pomaga Administratorowi w wywiązywaniu się z obowiązków wobec osób, których dane "
        "dotyczą, oraz z obowiązków z art. 32–36 RODO, udostępnia informacje potrzebne do wykazania "
        "spełnienia obowiązków z art. 28 RODO i umożliwia Administratorowi przeprowadzanie audytów, po "
        "uprzedzeniu z co najmniej 7-dniowym wyprzedzeniem."
    )
    b.clause(
        "Przetwarzający zgłasza Administratorowi naruszenie ochrony danych osobowych bez zbędnej zwłoki, "
        "nie później niż w ciągu 24 godzin od jego wykrycia, wraz z informacjami potrzebnymi do zgłoszenia "
        "naruszenia organowi nadzorczemu."
    )

    b.section("§ 4. Dalsze powierzenie (podprzetwarzający)")
    b.clause(
        "Administrator wyraża ogólną zgodę na powierzenie danych przez Przetwarzającego dalszym podmiotom "
        "przetwarzającym, w szczególności dostawcom: programu księgowego, usług przechowywania danych "
        "(chmury) i poczty elektronicznej. Aktualną listę dalszych podmiotów Przetwarzający przekazuje "
        "Administratorowi na każde żądanie."
    )
    b.clause(
        "Przetwarzający informuje Administratora o zamierzonym dodaniu lub zastąpieniu dalszego podmiotu "
        "przetwarzającego z co najmniej 14-dniowym wyprzedzeniem; Administrator może w tym czasie zgłosić "
        "sprzeciw (art. 28 ust. 2 RODO)."
    )
    b.clause(
        "Dalszy podmiot przetwarzający ma te same obowiązki ochrony danych co Przetwarzający (art. 28 ust. 4 "
        "RODO); Przetwarzający odpowiada wobec Administratora za jego działania jak za własne."
    )

    b.section("§ 5. Zakończenie: zwrot lub usunięcie danych")
    b.clause(
        "Po zakończeniu świadczenia usług Przetwarzający, według wyboru Administratora zgłoszonego w ciągu "
        "30 dni, zwraca Administratorowi wszystkie dane — w tym archiwum faktur pobranych z KSeF (pliki XML "
        "i zestawienia) — albo je usuwa, oraz usuwa wszystkie istniejące kopie, chyba że prawo Unii lub "
        "prawo polskie nakazuje ich dalsze przechowywanie (art. 28 ust. 3 lit. g RODO). Brak wyboru oznacza "
        "zwrot archiwum i usunięcie kopii."
    )
    b.clause(
        "Przetwarzający usuwa dane uwierzytelniające do KSeF dotyczące Administratora i odbiera uprawnienia "
        "pośrednie swoim pracownikom. Zwrot lub usunięcie danych Przetwarzający potwierdza na piśmie."
    )
    b.clause(
        "Faktury ustrukturyzowane pozostają w KSeF przez 10 lat od końca roku, w którym je wystawiono; ich "
        "przechowywanie w KSeF nie jest przetwarzaniem powierzonym Przetwarzającemu."
    )

    b.section("§ 6. Postanowienia końcowe")
    b.clause("Umowa obowiązuje przez czas trwania Umowy o świadczenie usług księgowych.")
    b.clause(
        "Umowę zawiera się na piśmie, w tym w formie elektronicznej (art. 28 ust. 9 RODO): podpisami "
        "własnoręcznymi albo kwalifikowanymi podpisami elektronicznymi (art. 78¹ Kodeksu cywilnego)."
    )
    b.client_signatures("Biuro — {{ biuro.nazwa }}")
    return b.save("umowa-powierzenia.docx", out_dir)


def build_all(out_dir: Path = TEMPLATES_DIR) -> list[Path]:
    return [
        build_annex(out_dir),
        build_authorisation(out_dir),
        build_letter(out_dir),
        build_processing_agreement(out_dir),
    ]


def template_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in TEMPLATE_SUFFIXES)


def copy_to_package(source: Path = TEMPLATES_DIR, target: Path = PACKAGE_COPIES) -> list[Path]:
    """Make the package's copies exactly the templates of ``templates/`` (stale copies removed)."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in template_files(source)}
    for stale in template_files(target):
        if stale.name not in wanted:
            stale.unlink()
    copied = []
    for path in template_files(source):
        copied.append(Path(shutil.copyfile(path, target / path.name)))
    return copied


def main(argv: list[str] | None = None) -> int:
    del argv
    for path in build_all():
        sys.stdout.write(f"{path}\n")
    copies = copy_to_package()
    sys.stdout.write(f"{len(copies)} templates copied to {PACKAGE_COPIES}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
