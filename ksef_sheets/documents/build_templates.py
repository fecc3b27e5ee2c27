"""Builds the Word templates shipped with the package (``ksef_sheets/documents/templates/*.docx``).

Run ``python -m ksef_sheets.documents.build_templates`` after changing the wording here; the
resulting .docx files are committed, so an office that edits them in Word starts from exactly what
this script produced. The templates use real Word styles (Title, Heading 1/2, List Number with
numbering restarted per section, a table for the parties, page numbers in the footer) and docxtpl
tags. Scenario variants are whole paragraphs between ``{%p if scenariusz == N %}`` and
``{%p endif %}`` so the office can reword each variant in Word without touching the others.
The variables a template may use are listed in ``templates/README.md``.
"""

from __future__ import annotations

import copy
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

TEMPLATES_DIR = Path(__file__).with_name("templates")
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
    ["Nazwa", "{{ klient.nazwa }}", "{{ biuro.nazwa }}"],
    ["Forma prawna", "{{ klient.forma_prawna }}", "{{ biuro.forma_prawna }}"],
    ["NIP", "{{ klient.nip }}", "{{ biuro.nip }}"],
    ["Adres", "{{ klient.adres }}", "{{ biuro.adres }}"],
    ["Reprezentowany przez", "{{ klient.reprezentant }}", "{{ biuro.podpisujacy }}"],
]
PARTY_WIDTHS = [38.0, 64.0, 64.0]


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
    b.table(PARTIES, PARTY_WIDTHS)
    b.para("zwanymi dalej łącznie „Stronami”. Strony postanawiają, co następuje:", align="justify")

    b.section("§ 1. Przedmiot aneksu i model współpracy")
    b.clause(
        "Aneks określa zasady współpracy Stron w związku z wystawianiem i odbieraniem faktur "
        "ustrukturyzowanych w Krajowym Systemie e-Faktur (KSeF). Obowiązek wystawiania faktur w KSeF "
        "dotyczy Klienta od dnia **{{ klient.data_obowiazku }}**; faktury od dostawców Klient otrzymuje "
        "przez KSeF od dnia 1 lutego 2026 r."
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
        "Dokumenty wystawione poza KSeF (m.in. faktury dla konsumentów, faktury z kas rejestrujących, "
        "faktury zagraniczne, bilety, faktury wystawione w czasie awarii całkowitej KSeF, paragony) "
        "Klient przekazuje Biuru dotychczasowym sposobem, oznaczając je jako dokumenty spoza KSeF."
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
        "Klient weryfikuje każdą pobraną fakturę zakupu w terminie **{{ warunki.dni_weryfikacji }} dni "
        "roboczych** od otrzymania zestawienia.",
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
        "prywatnym, przypisanie do kosztów, stan zapłaty), oraz dokumenty spoza KSeF Klient przekazuje do "
        "{{ warunki.dzien_dokumentow }}. dnia następnego miesiąca."
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
    b.when(
        "scenariusz == 1",
        "Biuro nie wymaga uprawnień w KSeF. Klient może nadać Biuru (NIP {{ biuro.nip }}) uprawnienie "
        "„przeglądanie faktur” (InvoiceRead), które Biuro wykorzysta wyłącznie do kontroli kompletności "
        "dokumentów.",
    )
    b.when(
        "scenariusz == 2",
        "Klient nada w KSeF Biuru jako podmiotowi (NIP {{ biuro.nip }}) uprawnienie **„przeglądanie "
        "faktur” (InvoiceRead)** z możliwością dalszego przekazywania (canDelegate) w terminie "
        "{{ warunki.dni_nadania }} dni od podpisania aneksu.",
    )
    b.when(
        "scenariusz == 3",
        "Klient nada w KSeF Biuru jako podmiotowi (NIP {{ biuro.nip }}) uprawnienia **„przeglądanie "
        "faktur” (InvoiceRead) i „wystawianie faktur” (InvoiceWrite)**, oba z możliwością dalszego "
        "przekazywania (canDelegate), w terminie {{ warunki.dni_nadania }} dni od podpisania aneksu.",
        "Do wystawiania faktur w trybie offline Biuro używa własnego certyfikatu KSeF typu Offline "
        "(podpis KODU II na wizualizacji faktury).",
    )
    b.clause(
        "Biuro przekazuje uprawnienia wyłącznie swoim pracownikom obsługującym Klienta (uprawnienia nadane "
        "w sposób pośredni) i odbiera je w dniu zakończenia pracy pracownika lub zmiany jego obowiązków."
    )
    b.clause(
        "Klient nie nadaje Biuru uprawnienia do zarządzania uprawnieniami (CredentialsManage) i nie "
        "przekazuje Biuru tokenów KSeF ani danych logowania; Biuro loguje się do KSeF własnym certyfikatem "
        "lub pieczęcią."
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

    b.section("§ 7. Korekty")
    b.clause(
        "Faktury przesłanej do KSeF nie można anulować ani usunąć; jej zmiana wymaga wystawienia faktury "
        "korygującej."
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

    b.section("§ 9. Ochrona danych osobowych i bezpieczeństwo")
    b.clause(
        "Dane osobowe zawarte w fakturach pobieranych z KSeF i wystawianych w KSeF Biuro przetwarza na "
        "podstawie umowy powierzenia przetwarzania danych osobowych (art. 28 RODO) zawartej z Klientem; "
        "niniejszy aneks rozszerza zakres powierzenia o te dane. Okres przechowywania faktur wynika z "
        "przepisów podatkowych."
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
    b.clause(
        "Zmiana aneksu wymaga formy pisemnej albo formy elektronicznej (kwalifikowany podpis elektroniczny, "
        "podpis zaufany lub osobisty) pod rygorem nieważności."
    )
    b.clause("Aneks sporządzono w dwóch jednobrzmiących egzemplarzach, po jednym dla każdej ze Stron.")
    b.signatures("Klient — {{ klient.nazwa }}", "Biuro — {{ biuro.nazwa }}")
    return b.save("aneks.docx", out_dir)


# ---------------------------------------------------------------------------------------------
# Upoważnienie i instrukcja nadania uprawnień (DOMAIN.md §2)
# ---------------------------------------------------------------------------------------------
def build_authorisation(out_dir: Path = TEMPLATES_DIR) -> Path:
    b = TemplateBuilder("Upoważnienie i instrukcja nadania uprawnień w KSeF")
    b.para("{{ biuro.miejscowosc }}, {{ data_dokumentu }}", align="right")
    b.title(
        "UPOWAŻNIENIE I INSTRUKCJA NADANIA UPRAWNIEŃ W KSeF",
        "dla biura rachunkowego {{ biuro.nazwa }} (NIP {{ biuro.nip }})",
    )
    b.table(PARTIES, PARTY_WIDTHS)

    b.section("1. Upoważnienie")
    b.clause(
        "Klient upoważnia Biuro do korzystania w Krajowym Systemie e-Faktur (KSeF) z uprawnień wymienionych "
        "w punkcie 2, w kontekście NIP {{ klient.nip }}, wyłącznie w celu prowadzenia ksiąg i ewidencji, "
        "rejestrów VAT i plików JPK, sporządzania deklaracji i weryfikacji dokumentów Klienta "
        "(model współpracy nr {{ scenariusz }}: {{ scenariusz_nazwa }})."
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
            ["Uprawnienie w KSeF", "Nazwa w aplikacji", "Nadać?", "Po co"],
            [
                "{%tr for u in uprawnienia %}",
                "",
                "",
                "",
            ],
            ["{{ u.kod }}", "{{ u.nazwa }}", "{{ u.nadac }}", "{{ u.cel }}"],
            ["{%tr endfor %}", "", "", ""],
        ],
        [38.0, 42.0, 22.0, 64.0],
    )
    del table
    b.para(
        "Uprawnienia nadaje się **podmiotowi** (firmie biura, po NIP), a nie osobie. Dzięki temu zmiana "
        "pracowników biura nie wymaga żadnych działań po stronie Klienta.",
    )

    b.section("3. Zanim zaczniesz: pierwsze logowanie do KSeF")
    b.tag("{%p if klient.osoba_fizyczna %}")
    b.clause(
        "Jako osoba fizyczna prowadząca działalność ma Pan/Pani uprawnienia właścicielskie w KSeF "
        "automatycznie. Wystarczy zalogować się profilem zaufanym, podpisem kwalifikowanym lub e-dowodem; "
        "formularz ZAW-FA nie jest potrzebny."
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
    b.clause(
        "Otwórz Aplikację Podatnika KSeF 2.0 Ministerstwa Finansów (odnośnik na stronie ksef.podatki.gov.pl)."
    )
    b.clause(
        "Zaloguj się (profil zaufany, podpis kwalifikowany, pieczęć kwalifikowana lub e-dowód) i wybierz "
        "kontekst firmy o NIP **{{ klient.nip }}**."
    )
    b.clause("Przejdź do zarządzania uprawnieniami i wybierz nadanie uprawnień **podmiotowi** (nie osobie).")
    b.clause("Wpisz NIP Biura: **{{ biuro.nip }}** ({{ biuro.nazwa }}).")
    b.clause(
        "Zaznacz uprawnienia oznaczone w tabeli w punkcie 2 jako „TAK” oraz opcję "
        "**możliwość dalszego przekazywania uprawnień**. Nie zaznaczaj zarządzania uprawnieniami."
    )
    b.clause(
        "Zatwierdź. Nadanie jest przetwarzane w KSeF z opóźnieniem — sprawdź, czy status operacji zmienił "
        "się na zakończony."
    )
    b.clause(
        "Zrób zrzut ekranu listy uprawnień i wyślij go na adres {{ biuro.email }} w ciągu "
        "{{ warunki.dni_nadania }} dni. Biuro sprawdzi nadanie w KSeF i potwierdzi je e-mailem."
    )

    b.section("5. Ważne")
    b.bullet(
        "Nie przekazuj Biuru tokenów KSeF, haseł ani danych logowania — Biuro loguje się własnym certyfikatem."
    )
    b.bullet("Uprawnienia nie wygasają same: przed ich odebraniem poinformuj Biuro.")
    b.bullet(
        "Tokeny KSeF działają tylko do 31 grudnia 2026 r.; od 2027 r. logowanie wymaga certyfikatu KSeF."
    )
    b.tag("{%p if scenariusz == 3 %}")
    b.bullet(
        "W modelu 3 Biuro wystawia Pana/Pani faktury; do faktur offline używa własnego certyfikatu KSeF "
        "typu Offline."
    )
    b.tag("{%p endif %}")
    b.bullet(
        "Pełnomocnictwa UPL-1 i PPS-1 nie są uprawnieniami w KSeF — uprawnienia nadaje się tylko w KSeF."
    )
    b.para("W razie pytań: {{ biuro.podpisujacy }}, {{ biuro.email }}, tel. {{ biuro.telefon }}.")
    b.signatures("data i podpis Klienta", "Biuro — {{ biuro.nazwa }}")
    return b.save("upowaznienie.docx", out_dir)


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
        "Od **1 lutego 2026 r.** wszystkie faktury od dostawców otrzymują Państwo przez KSeF — faktura jest "
        "otrzymana w dniu nadania jej numeru w KSeF."
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
        "Rok 2026 jest okresem bez kar. Od **1 stycznia 2027 r.** za fakturę wystawioną poza KSeF grozi kara "
        "do 100% kwoty VAT z faktury (lub 18,7% kwoty brutto, gdy faktura nie wykazuje VAT)."
    )
    b.clause(
        "Tokeny KSeF działają do 31 grudnia 2026 r.; od 2027 r. do logowania potrzebny jest certyfikat KSeF, "
        "podpis lub pieczęć kwalifikowana albo profil zaufany."
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
            ["1 stycznia 2027", "kary za faktury wystawione poza KSeF"],
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

    b.section("3. Ankieta gotowości do KSeF")
    b.para("Prosimy o odpowiedź na poniższe pytania (wystarczy odpowiedź na e-mail) do {{ termin_ankiety }}:")
    for question in (
        "Jakiego programu używają Państwo do wystawiania faktur i czy jest on połączony z KSeF? "
        "……………………………………",
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
        "Na jaki adres e-mail wysyłać zestawienia faktur do weryfikacji? ……………………………………",
    ):
        b.clause(question)

    b.section("4. Najczęstsze pytania")
    for question, answer in (
        (
            "Czy potrzebuję programu do faktur?",
            "Nie jest konieczny: Ministerstwo Finansów udostępnia bezpłatnie Aplikację Podatnika KSeF, "
            "aplikację mobilną KSeF i e-mikrofirmę. Nie działają one jednak w trybie offline i nie prowadzą "
            "bazy kontrahentów — przy większej liczbie faktur zalecamy program zintegrowany z KSeF.",
        ),
        (
            "Czy biuro może obsłużyć KSeF za mnie?",
            "Tak. Nadają Państwo NIP-owi biura uprawnienie do przeglądania faktur (pobieramy Państwa "
            "faktury), a w modelu 3 także do wystawiania faktur, z możliwością przekazania ich naszym "
            "pracownikom. Odpowiedzialność za treść faktur pozostaje po Państwa stronie.",
        ),
        (
            "Czy mogę nadal wystawiać faktury papierowe lub w Wordzie?",
            "Tylko w wyjątkach: do końca 2026 r. przy sprzedaży do 10 000 zł brutto miesięcznie, faktury dla "
            "konsumentów, faktury z kas rejestrujących do końca 2026 r., w czasie ogłoszonej awarii "
            "całkowitej KSeF i dla transakcji wyłączonych z KSeF.",
        ),
        (
            "Co grozi za niekorzystanie z KSeF?",
            "W 2026 r. nie ma kar. Od 1 stycznia 2027 r. — do 100% VAT z każdej faktury wystawionej poza "
            "KSeF. Już teraz jednak kontrahenci oczekują faktur w KSeF, a plik JPK_V7 zawiera numer KSeF "
            "każdej faktury.",
        ),
        (
            "Co zrobić w razie awarii?",
            "Przy problemie po Państwa stronie: wystawić fakturę w trybie offline24 i wysłać ją do KSeF "
            "następnego dnia roboczego. Przy ogłoszonej niedostępności KSeF — następnego dnia roboczego po "
            "jej zakończeniu, przy ogłoszonej awarii — w ciągu 7 dni roboczych. Przy awarii całkowitej "
            "faktury wystawia się dowolnie i nie wysyła później. Prosimy zawsze informować nas o fakturach "
            "offline.",
        ),
        (
            "Czy mogę wpisać wcześniejszą datę wystawienia?",
            "Data w polu P_1 musi być prawdziwą datą wystawienia. Może być wcześniejsza niż dzień wysłania do "
            "KSeF (faktura jest wtedy traktowana jak offline24) — wyślij ją najpóźniej następnego dnia "
            "roboczego. Datę dostawy wpisuje się w polu P_6.",
        ),
        (
            "Czy biuro może zrobić wszystko za mnie?",
            "Tak, w modelu 3: wystawiamy i wysyłamy Państwa faktury oraz pobieramy koszty, a Państwo "
            "przekazują dane na czas i zatwierdzają zestawienie miesięczne.",
        ),
    ):
        b.doc.add_paragraph(question, style="Heading 2")
        b.para(answer, align="justify")

    b.para()
    b.para("Z poważaniem,")
    b.para("{{ biuro.podpisujacy }}")
    b.para("{{ biuro.nazwa }}")
    return b.save("pismo.docx", out_dir)


def build_all(out_dir: Path = TEMPLATES_DIR) -> list[Path]:
    return [build_annex(out_dir), build_authorisation(out_dir), build_letter(out_dir)]


def main(argv: list[str] | None = None) -> int:
    del argv
    for path in build_all():
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
