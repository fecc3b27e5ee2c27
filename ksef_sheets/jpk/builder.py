"""Writing a JPK_V7M(3) / JPK_V7K(3) evidence file (no declaration part), valid against the official XSD.

What an accounting program produces from its VAT records. The toolkit uses it to show and test the
reconciliation (the demo builds one from the training archive) and to measure it; offices keep
generating the real file in their accounting program.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal

from lxml import etree

from ksef_sheets.jpk.model import JpkRow
from ksef_sheets.jpk.schema import V7K_NS, V7M_NS

# The order of the K_ fields in a row, as the schema's sequence has them.
SALE_FIELDS = (
    "K_10", "K_11", "K_12", "K_13", "K_14", "K_15", "K_16", "K_17", "K_18", "K_19", "K_20", "K_21", "K_22",
    "K_23", "K_24", "K_25", "K_26", "K_27", "K_28", "K_29", "K_30", "K_31", "K_32", "K_33", "K_34", "K_35",
    "K_36", "K_360",
)  # fmt: skip
PURCHASE_FIELDS = ("K_40", "K_41", "K_42", "K_43", "K_44", "K_45", "K_46", "K_47")
# Fields the schema only allows in pairs (net with VAT).
_PAIRS = {"K_15": "K_16", "K_17": "K_18", "K_19": "K_20", "K_23": "K_24", "K_25": "K_26", "K_27": "K_28",
          "K_29": "K_30", "K_31": "K_32", "K_40": "K_41", "K_42": "K_43"}  # fmt: skip
_VAT_OF_SALES = (
    "K_16",
    "K_18",
    "K_20",
    "K_24",
    "K_26",
    "K_28",
    "K_30",
    "K_32",
    "K_33",
    "K_34",
    "K_35",
    "K_36",
    "K_360",
)
_VAT_OF_PURCHASES = ("K_41", "K_43", "K_44", "K_45", "K_46", "K_47")


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def _with_pairs(amounts: dict[str, Decimal]) -> dict[str, Decimal]:
    full = dict(amounts)
    for net, vat in _PAIRS.items():
        if net in full or vat in full:
            full.setdefault(net, Decimal(0))
            full.setdefault(vat, Decimal(0))
    return full


def build_jpk(
    *,
    nip: str,
    name: str,
    year: int,
    month: int,
    sales: Sequence[JpkRow],
    purchases: Sequence[JpkRow],
    variant: Literal["JPK_V7M", "JPK_V7K"] = "JPK_V7M",
    created_at: datetime | None = None,
    tax_office: str = "1471",
    email: str = "biuro@example.pl",
) -> bytes:
    ns = V7M_NS if variant == "JPK_V7M" else V7K_NS
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731 - a local shorthand
    root = etree.Element(q("JPK"), nsmap={None: ns})
    header = etree.SubElement(root, q("Naglowek"))
    code = etree.SubElement(header, q("KodFormularza"), kodSystemowy=f"{variant} (3)", wersjaSchemy="1-0E")
    code.text = "JPK_VAT"
    etree.SubElement(header, q("WariantFormularza")).text = "3"
    moment = created_at or datetime(year, month, 1, 12, 0)
    etree.SubElement(header, q("DataWytworzeniaJPK")).text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    etree.SubElement(header, q("NazwaSystemu")).text = "ksef-sheets"
    etree.SubElement(header, q("CelZlozenia"), poz="P_7").text = "1"
    etree.SubElement(header, q("KodUrzedu")).text = tax_office
    etree.SubElement(header, q("Rok")).text = str(year)
    etree.SubElement(header, q("Miesiac")).text = str(month)
    subject = etree.SubElement(etree.SubElement(root, q("Podmiot1"), rola="Podatnik"), q("OsobaNiefizyczna"))
    etree.SubElement(subject, q("NIP")).text = nip
    etree.SubElement(subject, q("PelnaNazwa")).text = name
    etree.SubElement(subject, q("Email")).text = email
    evidence = etree.SubElement(root, q("Ewidencja"))
    due = Decimal(0)
    for row in sales:
        element = etree.SubElement(evidence, q("SprzedazWiersz"))
        _common(element, row, q, ("LpSprzedazy", "NrKontrahenta", "NazwaKontrahenta", "DowodSprzedazy",
                                  "DataWystawienia", "DataSprzedazy", "TypDokumentu"))  # fmt: skip
        amounts = _with_pairs(row.amounts)
        for field in SALE_FIELDS:
            if field in amounts:
                etree.SubElement(element, q(field)).text = _amount(amounts[field])
        if row.document_type != "FP":
            due += sum((amounts.get(f, Decimal(0)) for f in _VAT_OF_SALES), Decimal(0))
    control = etree.SubElement(evidence, q("SprzedazCtrl"))
    etree.SubElement(control, q("LiczbaWierszySprzedazy")).text = str(len(sales))
    etree.SubElement(control, q("PodatekNalezny")).text = _amount(due)
    input_vat = Decimal(0)
    for row in purchases:
        element = etree.SubElement(evidence, q("ZakupWiersz"))
        _common(element, row, q, ("LpZakupu", "NrDostawcy", "NazwaDostawcy", "DowodZakupu", "DataZakupu",
                                  "DataWplywu", "DokumentZakupu"))  # fmt: skip
        amounts = _with_pairs(row.amounts)
        for field in PURCHASE_FIELDS:
            if field in amounts:
                etree.SubElement(element, q(field)).text = _amount(amounts[field])
        input_vat += sum((amounts.get(f, Decimal(0)) for f in _VAT_OF_PURCHASES), Decimal(0))
    control = etree.SubElement(evidence, q("ZakupCtrl"))
    etree.SubElement(control, q("LiczbaWierszyZakupow")).text = str(len(purchases))
    etree.SubElement(control, q("PodatekNaliczony")).text = _amount(input_vat)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _common(element: etree._Element, row: JpkRow, q, names: tuple[str, ...]) -> None:
    lp, nip, name, number, issued, other, doc_type = names
    etree.SubElement(element, q(lp)).text = str(row.lp)
    if row.counterparty_country:
        etree.SubElement(element, q("KodKrajuNadaniaTIN")).text = row.counterparty_country
    etree.SubElement(element, q(nip)).text = row.counterparty_nip or "brak"
    etree.SubElement(element, q(name)).text = row.counterparty_name or "brak"
    etree.SubElement(element, q(number)).text = row.document_number
    if row.issue_date is not None:
        etree.SubElement(element, q(issued)).text = row.issue_date.isoformat()
    if row.other_date is not None:
        etree.SubElement(element, q(other)).text = row.other_date.isoformat()
    if row.ksef_number:
        etree.SubElement(element, q("NrKSeF")).text = row.ksef_number
    else:
        etree.SubElement(element, q(row.marker or "DI")).text = "1"
    if row.document_type:
        etree.SubElement(element, q(doc_type)).text = row.document_type
