"""Reading a parsed FA(3) tree into the typed ``Invoice``; lenient by design (see model.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
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
from ksef_sheets.fa3.tree import Node

El: TypeAlias = Node | None


def _f(el: El, path: str) -> Node | None:
    return el.get(path) if el is not None else None


def _all(el: El, name: str) -> list[Node]:
    return el.all(name) if el is not None else []


def _s(el: El, path: str) -> str | None:
    return el.s(path) if el is not None else None


def _d(el: El, path: str) -> Decimal | None:
    return el.d(path) if el is not None else None


def _i(el: El, path: str) -> int | None:
    return el.i(path) if el is not None else None


def _date(el: El, path: str) -> date | None:
    return el.date(path) if el is not None else None


def _datetime(el: El, path: str) -> datetime | None:
    text = _s(el, path)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _flag(el: El, path: str) -> bool:
    return _s(el, path) == "1"


def _address(el: El) -> Address | None:
    if el is None:
        return None
    return Address(_s(el, "KodKraju"), _s(el, "AdresL1"), _s(el, "AdresL2"))


def _entity_fields(section: El) -> dict[str, Any]:
    ids = _f(section, "DaneIdentyfikacyjne")
    contact = _f(section, "DaneKontaktowe")
    return {
        "name": _s(ids, "Nazwa"),
        "nip": _s(ids, "NIP"),
        "eu_code": _s(ids, "KodUE"),
        "eu_vat": _s(ids, "NrVatUE"),
        "country_code": _s(ids, "KodKraju"),
        "tax_id": _s(ids, "NrID"),
        "internal_id": _s(ids, "IDWew"),
        "no_id": _flag(ids, "BrakID"),
        "address": _address(_f(section, "Adres")),
        "email": _s(contact, "Email") or _s(contact, "EmailPU"),
        "phone": _s(contact, "Telefon") or _s(contact, "TelefonPU"),
    }


def _flag12(el: El, path: str) -> bool | None:
    value = _s(el, path)
    return None if value is None else value == "1"


def read_invoice(root: etree._Element | Node) -> Invoice:
    """The typed invoice from a parsed FA(3) tree (its root element or a ``Node`` index of it)."""
    if not isinstance(root, Node):
        root = Node(root)
    hdr = _f(root, "Naglowek")
    kod = _f(hdr, "KodFormularza")
    header = Header(
        form_code=_s(hdr, "KodFormularza"),
        system_code=kod.el.get("kodSystemowy") if kod is not None else None,
        schema_version=kod.el.get("wersjaSchemy") if kod is not None else None,
        variant=_s(hdr, "WariantFormularza"),
        created_at=_datetime(hdr, "DataWytworzeniaFa"),
        system_info=_s(hdr, "SystemInfo"),
    )
    p1 = _f(root, "Podmiot1")
    seller = Seller(
        **_entity_fields(p1), vat_prefix=_s(p1, "PrefiksPodatnika"), status=_i(p1, "StatusInfoPodatnika")
    )
    p2 = _f(root, "Podmiot2")
    buyer = Buyer(
        **_entity_fields(p2),
        jst=_flag12(p2, "JST"),
        gv=_flag12(p2, "GV"),
        customer_number=_s(p2, "NrKlienta"),
    )
    third = tuple(
        ThirdParty(
            Entity(**_entity_fields(p3)),
            _i(p3, "Rola"),
            _s(p3, "OpisRoli"),
            _d(p3, "Udzial"),
        )
        for p3 in _all(root, "Podmiot3")
    )
    pu = _f(root, "PodmiotUpowazniony")
    authorized = Entity(**_entity_fields(pu)) if pu is not None else None

    fa = _f(root, "Fa")
    buckets = []
    for b in BUCKETS:
        net = _d(fa, b.net_field)
        vat = _d(fa, b.vat_field) if b.vat_field else None
        vat_pln = _d(fa, b.vat_pln_field) if b.vat_pln_field else None
        if net is not None or vat is not None or vat_pln is not None:
            buckets.append(VatBucket(b.key, net, vat, vat_pln))

    adn = _f(fa, "Adnotacje")
    zw = _f(adn, "Zwolnienie")
    pm = _f(adn, "PMarzy")
    margin_kind = next(
        (k for k in ("P_PMarzy_2", "P_PMarzy_3_1", "P_PMarzy_3_2", "P_PMarzy_3_3") if _flag(pm, k)), None
    )
    annotations = Annotations(
        cash_method=_flag(adn, "P_16"),
        self_billing=_flag(adn, "P_17"),
        reverse_charge=_flag(adn, "P_18"),
        split_payment=_flag(adn, "P_18A"),
        exempt=_flag(zw, "P_19"),
        exemption_basis=_s(zw, "P_19A") or _s(zw, "P_19B") or _s(zw, "P_19C"),
        new_transport=_flag(_f(adn, "NoweSrodkiTransportu"), "P_22"),
        triangular=_flag(adn, "P_23"),
        margin=_flag(pm, "P_PMarzy"),
        margin_kind=margin_kind,
    )

    correction = None
    if fa is not None and (_f(fa, "DaneFaKorygowanej") is not None or _f(fa, "TypKorekty") is not None):
        correction = CorrectionInfo(
            reason=_s(fa, "PrzyczynaKorekty"),
            type=_i(fa, "TypKorekty"),
            corrected=tuple(
                CorrectedInvoiceRef(
                    _date(d, "DataWystFaKorygowanej"), _s(d, "NrFaKorygowanej"), _s(d, "NrKSeFFaKorygowanej")
                )
                for d in _all(fa, "DaneFaKorygowanej")
            ),
            period=_s(fa, "OkresFaKorygowanej"),
            corrected_number_fix=_s(fa, "NrFaKorygowany"),
        )

    lines = tuple(
        Line(
            number=_i(w, "NrWierszaFa"),
            name=_s(w, "P_7"),
            unit=_s(w, "P_8A"),
            quantity=_d(w, "P_8B"),
            unit_net_price=_d(w, "P_9A"),
            unit_gross_price=_d(w, "P_9B"),
            discount=_d(w, "P_10"),
            net=_d(w, "P_11"),
            gross=_d(w, "P_11A"),
            vat=_d(w, "P_11Vat"),
            rate=_s(w, "P_12"),
            oss_rate=_d(w, "P_12_XII"),
            annex15=_flag(w, "P_12_Zal_15"),
            gtu=_s(w, "GTU"),
            procedure=_s(w, "Procedura"),
            exchange_rate=_d(w, "KursWaluty"),
            before_correction=_flag(w, "StanPrzed"),
            sale_date=_date(w, "P_6A"),
            index=_s(w, "Indeks"),
            gtin=_s(w, "GTIN"),
            pkwiu=_s(w, "PKWiU"),
            cn=_s(w, "CN"),
            uu_id=_s(w, "UU_ID"),
        )
        for w in _all(fa, "FaWiersz")
    )

    payment = _payment(_f(fa, "Platnosc"))
    okres = _f(fa, "OkresFa")
    stopka = _f(root, "Stopka")
    rejestry = _all(stopka, "Rejestry")
    reg = rejestry[0] if rejestry else None
    return Invoice(
        header=header,
        seller=seller,
        buyer=buyer,
        third_parties=third,
        authorized=authorized,
        authorized_role=_i(pu, "RolaPU"),
        kind=_s(fa, "RodzajFaktury"),
        number=_s(fa, "P_2"),
        issue_date=_date(fa, "P_1"),
        place=_s(fa, "P_1M"),
        sale_date=_date(fa, "P_6"),
        period_from=_date(okres, "P_6_Od"),
        period_to=_date(okres, "P_6_Do"),
        currency=_s(fa, "KodWaluty"),
        buckets=tuple(buckets),
        total=_d(fa, "P_15"),
        total_text=_s(fa, "P_15"),
        advance_exchange_rate=_d(fa, "KursWalutyZ"),
        annotations=annotations,
        correction=correction,
        advances=tuple(
            AdvanceRef(_s(z, "NrKSeFFaZaliczkowej"), _s(z, "NrFaZaliczkowej"))
            for z in _all(fa, "FakturaZaliczkowa")
        ),
        lines=lines,
        order_value=_d(fa, "Zamowienie/WartoscZamowienia"),
        order_lines=tuple(
            Line(
                number=_i(z, "NrWierszaZam"),
                name=_s(z, "P_7Z"),
                unit=_s(z, "P_8AZ"),
                quantity=_d(z, "P_8BZ"),
                unit_net_price=_d(z, "P_9AZ"),
                net=_d(z, "P_11NettoZ"),
                vat=_d(z, "P_11VatZ"),
                rate=_s(z, "P_12Z"),
                annex15=_flag(z, "P_12Z_Zal_15"),
                gtu=_s(z, "GTUZ"),
                procedure=_s(z, "ProceduraZ"),
                before_correction=_flag(z, "StanPrzedZ"),
                index=_s(z, "IndeksZ"),
                gtin=_s(z, "GTINZ"),
                pkwiu=_s(z, "PKWiUZ"),
                cn=_s(z, "CNZ"),
                uu_id=_s(z, "UU_IDZ"),
            )
            for z in _all(_f(fa, "Zamowienie"), "ZamowienieWiersz")
        ),
        payment=payment,
        receipt_invoice=_flag(fa, "FP"),
        related_parties=_flag(fa, "TP"),
        notes=tuple((_s(o, "Klucz") or "", _s(o, "Wartosc") or "") for o in _all(fa, "DodatkowyOpis")),
        krs=_s(reg, "KRS"),
        regon=_s(reg, "REGON"),
        bdo=_s(reg, "BDO"),
        has_attachment=_f(root, "Zalacznik") is not None,
    )


def _payment(pl: El) -> PaymentInfo | None:
    if pl is None:
        return None
    accounts = []
    for tag, factor in (("RachunekBankowy", False), ("RachunekBankowyFaktora", True)):
        for rb in _all(pl, tag):
            number = _s(rb, "NrRB")
            if number:
                accounts.append(
                    BankAccount(number, _s(rb, "SWIFT"), _s(rb, "NazwaBanku"), _s(rb, "OpisRachunku"), factor)
                )
    due_dates = []
    descriptions = []
    for tp in _all(pl, "TerminPlatnosci"):
        d = _date(tp, "Termin")
        if d:
            due_dates.append(d)
        opis = _f(tp, "TerminOpis")
        if opis is not None:
            descriptions.append(
                " ".join(
                    x
                    for x in (_s(opis, "Ilosc"), _s(opis, "Jednostka"), _s(opis, "ZdarzeniePoczatkowe"))
                    if x
                )
            )
    skonto = _f(pl, "Skonto")
    return PaymentInfo(
        paid=_flag(pl, "Zaplacono"),
        paid_on=_date(pl, "DataZaplaty"),
        partial=tuple(
            PartialPayment(
                _d(z, "KwotaZaplatyCzesciowej"), _date(z, "DataZaplatyCzesciowej"), _i(z, "FormaPlatnosci")
            )
            for z in _all(pl, "ZaplataCzesciowa")
        ),
        due_dates=tuple(due_dates),
        due_descriptions=tuple(descriptions),
        method=_i(pl, "FormaPlatnosci"),
        other_method=_s(pl, "OpisPlatnosci"),
        accounts=tuple(accounts),
        discount=(
            f"{_s(skonto, 'WarunkiSkonta')}: {_s(skonto, 'WysokoscSkonta')}" if skonto is not None else None
        ),
        link=_s(pl, "LinkDoPlatnosci"),
        ksef_payment_id=_s(pl, "IPKSeF"),
    )


def parse_invoice(data: bytes, *, source: str = "faktura") -> Invoice:
    """The typed invoice from FA(3) bytes. Raises ``UserError`` (Polish, naming ``source``) for a file
    that is not well-formed, hostile (DOCTYPE/entities), over KSeF's size caps or not an FA(3) invoice.
    A schema-invalid but readable invoice is read as far as possible (see ``validate_invoice``)."""
    tree = parse_xml(data, source=source)
    return read_invoice(require_invoice_root(tree, source))
