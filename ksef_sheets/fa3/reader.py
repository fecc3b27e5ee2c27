"""Reading a parsed FA(3) tree into the typed ``Invoice``; lenient by design (see model.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

from lxml import etree

from ksef_sheets.fa3.model import (
    Address,
    AdvanceRef,
    Annotations,
    BankAccount,
    Buyer,
    CorrectedInvoiceRef,
    CorrectionInfo,
    Entity,
    Header,
    Invoice,
    Line,
    PartialPayment,
    PaymentInfo,
    Seller,
    ThirdParty,
    VatBucket,
)
from ksef_sheets.fa3.rates import BUCKETS
from ksef_sheets.fa3.safe_xml import parse_xml, require_invoice_root
from ksef_sheets.fa3.tree import Node, to_date, to_decimal, to_int

El: TypeAlias = Node | None
Texts: TypeAlias = dict[str, str | None]

# Every field goes through a section's ``texts`` (local name -> stripped text of its first child,
# built in one pass over the section), so a field costs a dict lookup, and an absent one no more.
_NO_TEXTS: Texts = {}


def _t(el: El) -> Texts:
    return el.texts if el is not None else _NO_TEXTS


def _f(el: El, name: str) -> Node | None:
    return el.child(name) if el is not None else None


def _all(el: El, name: str) -> list[Node]:
    return el.all(name) if el is not None else []


def _datetime(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _address(el: El) -> Address | None:
    if el is None:
        return None
    t = el.texts
    return Address(t.get("KodKraju"), t.get("AdresL1"), t.get("AdresL2"))


def _entity_fields(section: El) -> dict[str, Any]:
    ids = _t(_f(section, "DaneIdentyfikacyjne"))
    contact = _t(_f(section, "DaneKontaktowe"))
    return {
        "name": ids.get("Nazwa"),
        "nip": ids.get("NIP"),
        "eu_code": ids.get("KodUE"),
        "eu_vat": ids.get("NrVatUE"),
        "country_code": ids.get("KodKraju"),
        "tax_id": ids.get("NrID"),
        "internal_id": ids.get("IDWew"),
        "no_id": ids.get("BrakID") == "1",
        "address": _address(_f(section, "Adres")),
        "email": contact.get("Email") or contact.get("EmailPU"),
        "phone": contact.get("Telefon") or contact.get("TelefonPU"),
    }


def _flag12(value: str | None) -> bool | None:
    return None if value is None else value == "1"


def _line(t: Texts) -> Line:
    return Line(
        number=to_int(t.get("NrWierszaFa")),
        name=t.get("P_7"),
        unit=t.get("P_8A"),
        quantity=to_decimal(t.get("P_8B")),
        unit_net_price=to_decimal(t.get("P_9A")),
        unit_gross_price=to_decimal(t.get("P_9B")),
        discount=to_decimal(t.get("P_10")),
        net=to_decimal(t.get("P_11")),
        gross=to_decimal(t.get("P_11A")),
        vat=to_decimal(t.get("P_11Vat")),
        rate=t.get("P_12"),
        oss_rate=to_decimal(t.get("P_12_XII")),
        annex15=t.get("P_12_Zal_15") == "1",
        gtu=t.get("GTU"),
        procedure=t.get("Procedura"),
        exchange_rate=to_decimal(t.get("KursWaluty")),
        before_correction=t.get("StanPrzed") == "1",
        sale_date=to_date(t.get("P_6A")),
        index=t.get("Indeks"),
        gtin=t.get("GTIN"),
        pkwiu=t.get("PKWiU"),
        cn=t.get("CN"),
        uu_id=t.get("UU_ID"),
    )


def _order_line(t: Texts) -> Line:
    return Line(
        number=to_int(t.get("NrWierszaZam")),
        name=t.get("P_7Z"),
        unit=t.get("P_8AZ"),
        quantity=to_decimal(t.get("P_8BZ")),
        unit_net_price=to_decimal(t.get("P_9AZ")),
        net=to_decimal(t.get("P_11NettoZ")),
        vat=to_decimal(t.get("P_11VatZ")),
        rate=t.get("P_12Z"),
        annex15=t.get("P_12Z_Zal_15") == "1",
        gtu=t.get("GTUZ"),
        procedure=t.get("ProceduraZ"),
        before_correction=t.get("StanPrzedZ") == "1",
        index=t.get("IndeksZ"),
        gtin=t.get("GTINZ"),
        pkwiu=t.get("PKWiUZ"),
        cn=t.get("CNZ"),
        uu_id=t.get("UU_IDZ"),
    )


def read_invoice(root: etree._Element | Node) -> Invoice:
    """The typed invoice from a parsed FA(3) tree (its root element or a ``Node`` index of it)."""
    if not isinstance(root, Node):
        root = Node(root)
    hdr = _f(root, "Naglowek")
    hdr_t = _t(hdr)
    kod = hdr.first("KodFormularza") if hdr is not None else None
    header = Header(
        form_code=hdr_t.get("KodFormularza"),
        system_code=kod.get("kodSystemowy") if kod is not None else None,
        schema_version=kod.get("wersjaSchemy") if kod is not None else None,
        variant=hdr_t.get("WariantFormularza"),
        created_at=_datetime(hdr_t.get("DataWytworzeniaFa")),
        system_info=hdr_t.get("SystemInfo"),
    )
    p1 = _f(root, "Podmiot1")
    p1_t = _t(p1)
    seller = Seller(
        **_entity_fields(p1),
        vat_prefix=p1_t.get("PrefiksPodatnika"),
        status=to_int(p1_t.get("StatusInfoPodatnika")),
    )
    p2 = _f(root, "Podmiot2")
    p2_t = _t(p2)
    buyer = Buyer(
        **_entity_fields(p2),
        jst=_flag12(p2_t.get("JST")),
        gv=_flag12(p2_t.get("GV")),
        customer_number=p2_t.get("NrKlienta"),
    )
    third = tuple(
        ThirdParty(
            Entity(**_entity_fields(p3)),
            to_int(p3.texts.get("Rola")),
            p3.texts.get("OpisRoli"),
            to_decimal(p3.texts.get("Udzial")),
        )
        for p3 in _all(root, "Podmiot3")
    )
    pu = _f(root, "PodmiotUpowazniony")
    authorized = Entity(**_entity_fields(pu)) if pu is not None else None

    fa = _f(root, "Fa")
    fa_t = _t(fa)
    buckets = []
    for b in BUCKETS:
        net = to_decimal(fa_t.get(b.net_field))
        vat = to_decimal(fa_t.get(b.vat_field)) if b.vat_field else None
        vat_pln = to_decimal(fa_t.get(b.vat_pln_field)) if b.vat_pln_field else None
        if net is not None or vat is not None or vat_pln is not None:
            buckets.append(VatBucket(b.key, net, vat, vat_pln))

    adn = _f(fa, "Adnotacje")
    adn_t = _t(adn)
    zw_t = _t(_f(adn, "Zwolnienie"))
    pm_t = _t(_f(adn, "PMarzy"))
    margin_kind = next(
        (k for k in ("P_PMarzy_2", "P_PMarzy_3_1", "P_PMarzy_3_2", "P_PMarzy_3_3") if pm_t.get(k) == "1"),
        None,
    )
    annotations = Annotations(
        cash_method=adn_t.get("P_16") == "1",
        self_billing=adn_t.get("P_17") == "1",
        reverse_charge=adn_t.get("P_18") == "1",
        split_payment=adn_t.get("P_18A") == "1",
        exempt=zw_t.get("P_19") == "1",
        exemption_basis=zw_t.get("P_19A") or zw_t.get("P_19B") or zw_t.get("P_19C"),
        new_transport=_t(_f(adn, "NoweSrodkiTransportu")).get("P_22") == "1",
        triangular=adn_t.get("P_23") == "1",
        margin=pm_t.get("P_PMarzy") == "1",
        margin_kind=margin_kind,
    )

    correction = None
    if fa is not None and ("DaneFaKorygowanej" in fa_t or "TypKorekty" in fa_t):
        correction = CorrectionInfo(
            reason=fa_t.get("PrzyczynaKorekty"),
            type=to_int(fa_t.get("TypKorekty")),
            corrected=tuple(
                CorrectedInvoiceRef(
                    to_date(d.texts.get("DataWystFaKorygowanej")),
                    d.texts.get("NrFaKorygowanej"),
                    d.texts.get("NrKSeFFaKorygowanej"),
                )
                for d in fa.all("DaneFaKorygowanej")
            ),
            period=fa_t.get("OkresFaKorygowanej"),
            corrected_number_fix=fa_t.get("NrFaKorygowany"),
        )

    lines = tuple(_line(w.texts) for w in _all(fa, "FaWiersz"))

    payment = _payment(_f(fa, "Platnosc"))
    okres_t = _t(_f(fa, "OkresFa"))
    zamowienie = _f(fa, "Zamowienie")
    rejestry = _all(_f(root, "Stopka"), "Rejestry")
    reg_t = rejestry[0].texts if rejestry else _NO_TEXTS
    return Invoice(
        header=header,
        seller=seller,
        buyer=buyer,
        third_parties=third,
        authorized=authorized,
        authorized_role=to_int(_t(pu).get("RolaPU")),
        kind=fa_t.get("RodzajFaktury"),
        number=fa_t.get("P_2"),
        issue_date=to_date(fa_t.get("P_1")),
        place=fa_t.get("P_1M"),
        sale_date=to_date(fa_t.get("P_6")),
        period_from=to_date(okres_t.get("P_6_Od")),
        period_to=to_date(okres_t.get("P_6_Do")),
        currency=fa_t.get("KodWaluty"),
        buckets=tuple(buckets),
        total=to_decimal(fa_t.get("P_15")),
        total_text=fa_t.get("P_15"),
        advance_exchange_rate=to_decimal(fa_t.get("KursWalutyZ")),
        annotations=annotations,
        correction=correction,
        advances=tuple(
            AdvanceRef(z.texts.get("NrKSeFFaZaliczkowej"), z.texts.get("NrFaZaliczkowej"))
            for z in _all(fa, "FakturaZaliczkowa")
        ),
        lines=lines,
        order_value=to_decimal(_t(zamowienie).get("WartoscZamowienia")),
        order_lines=tuple(_order_line(z.texts) for z in _all(zamowienie, "ZamowienieWiersz")),
        payment=payment,
        receipt_invoice=fa_t.get("FP") == "1",
        related_parties=fa_t.get("TP") == "1",
        notes=tuple(
            (o.texts.get("Klucz") or "", o.texts.get("Wartosc") or "") for o in _all(fa, "DodatkowyOpis")
        ),
        krs=reg_t.get("KRS"),
        regon=reg_t.get("REGON"),
        bdo=reg_t.get("BDO"),
        has_attachment="Zalacznik" in root.texts,
    )


def _payment(pl: El) -> PaymentInfo | None:
    if pl is None:
        return None
    pl_t = pl.texts
    accounts = []
    for tag, factor in (("RachunekBankowy", False), ("RachunekBankowyFaktora", True)):
        for rb in pl.all(tag):
            t = rb.texts
            number = t.get("NrRB")
            if number:
                accounts.append(
                    BankAccount(number, t.get("SWIFT"), t.get("NazwaBanku"), t.get("OpisRachunku"), factor)
                )
    due_dates = []
    descriptions = []
    for tp in pl.all("TerminPlatnosci"):
        d = to_date(tp.texts.get("Termin"))
        if d:
            due_dates.append(d)
        opis = tp.child("TerminOpis")
        if opis is not None:
            t = opis.texts
            descriptions.append(
                " ".join(x for x in (t.get("Ilosc"), t.get("Jednostka"), t.get("ZdarzeniePoczatkowe")) if x)
            )
    skonto = pl.child("Skonto")
    return PaymentInfo(
        paid=pl_t.get("Zaplacono") == "1",
        paid_on=to_date(pl_t.get("DataZaplaty")),
        partial=tuple(
            PartialPayment(
                to_decimal(z.texts.get("KwotaZaplatyCzesciowej")),
                to_date(z.texts.get("DataZaplatyCzesciowej")),
                to_int(z.texts.get("FormaPlatnosci")),
            )
            for z in pl.all("ZaplataCzesciowa")
        ),
        due_dates=tuple(due_dates),
        due_descriptions=tuple(descriptions),
        method=to_int(pl_t.get("FormaPlatnosci")),
        other_method=pl_t.get("OpisPlatnosci"),
        accounts=tuple(accounts),
        discount=(
            f"{skonto.texts.get('WarunkiSkonta')}: {skonto.texts.get('WysokoscSkonta')}"
            if skonto is not None
            else None
        ),
        link=pl_t.get("LinkDoPlatnosci"),
        ksef_payment_id=pl_t.get("IPKSeF"),
    )


def parse_invoice(data: bytes, *, source: str = "faktura") -> Invoice:
    """The typed invoice from FA(3) bytes. Raises ``UserError`` (Polish, naming ``source``) for a file
    that is not well-formed, hostile (DOCTYPE/entities), over KSeF's size caps or not an FA(3) invoice.
    A schema-invalid but readable invoice is read as far as possible (see ``validate_invoice``)."""
    tree = parse_xml(data, source=source)
    return read_invoice(require_invoice_root(tree, source))
