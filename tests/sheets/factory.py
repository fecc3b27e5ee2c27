"""Test data for invoice workbooks: FA(3) XML and KSeF metadata for archived invoices.

The XML follows the MF sample ``mf_fa3_przyklad_01`` (FA(3) 1-0E) with the fields a test varies,
so it is the same kind of document KSeF hands out; text is XML-escaped, never trusted.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.sync.archive import Archive, IncomingInvoice, sha256_b64

CLIENT_NIP = "5210537039"  # Nowak IT Consulting (demo client, scenario 2)
OTHER_NIP = "7798676685"  # Budmax (demo client)
COUNTERPARTY_NIP = "9999999999"

_counter = itertools.count(1)


@dataclass
class FakeInvoice:
    seller_nip: str
    seller_name: str
    buyer_nip: str
    buyer_name: str
    number: str
    issue_date: date
    lines: list[tuple[str, Decimal, str]] = field(default_factory=list)  # (description, net, P_12)
    currency: str = "PLN"
    kind: str = "VAT"
    due_date: date | None = None
    account: str | None = None
    split_payment: bool = False
    exchange_rate: Decimal | None = None

    def totals(self) -> dict[str, tuple[Decimal, Decimal]]:
        rates = {
            "23": ("1", Decimal("0.23")),
            "8": ("2", Decimal("0.08")),
            "5": ("3", Decimal("0.05")),
            "zw": ("7", Decimal(0)),
        }
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for _, net, code in self.lines:
            bucket, pct = rates[code]
            vat = (net * pct).quantize(Decimal("0.01"))
            old = out.get(bucket, (Decimal(0), Decimal(0)))
            out[bucket] = (old[0] + net, old[1] + vat)
        return out

    @property
    def net(self) -> Decimal:
        return sum((n for n, _ in self.totals().values()), Decimal(0))

    @property
    def vat(self) -> Decimal:
        return sum((v for _, v in self.totals().values()), Decimal(0))

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def xml(self) -> bytes:
        e = escape
        sums = []
        for bucket, (net, vat) in sorted(self.totals().items()):
            sums.append(f"<P_13_{bucket}>{net:.2f}</P_13_{bucket}>")
            if bucket != "7":
                sums.append(f"<P_14_{bucket}>{vat:.2f}</P_14_{bucket}>")
                if self.currency != "PLN" and self.exchange_rate:
                    sums.append(
                        f"<P_14_{bucket}W>{(vat * self.exchange_rate).quantize(Decimal('0.01')):.2f}</P_14_{bucket}W>"
                    )
        lines = []
        for i, (desc, net, code) in enumerate(self.lines, start=1):
            rate = (
                f"<KursWaluty>{self.exchange_rate}</KursWaluty>"
                if self.currency != "PLN" and self.exchange_rate
                else ""
            )
            lines.append(
                f"<FaWiersz><NrWierszaFa>{i}</NrWierszaFa><P_7>{e(desc)}</P_7><P_8A>szt.</P_8A>"
                f"<P_8B>1</P_8B><P_9A>{net:.2f}</P_9A><P_11>{net:.2f}</P_11><P_12>{code}</P_12>{rate}</FaWiersz>"
            )
        payment = ""
        if self.due_date or self.account:
            payment = "<Platnosc>"
            if self.due_date:
                payment += f"<TerminPlatnosci><Termin>{self.due_date.isoformat()}</Termin></TerminPlatnosci>"
            payment += "<FormaPlatnosci>6</FormaPlatnosci>"
            if self.account:
                payment += f"<RachunekBankowy><NrRB>{e(self.account)}</NrRB></RachunekBankowy>"
            payment += "</Platnosc>"
        correction = ""
        if self.kind.startswith("KOR"):
            correction = (
                "<PrzyczynaKorekty>błędna cena</PrzyczynaKorekty><TypKorekty>2</TypKorekty>"
                "<DaneFaKorygowanej><DataWystFaKorygowanej>2026-01-10</DataWystFaKorygowanej>"
                "<NrFaKorygowanej>FV/1/2026</NrFaKorygowanej><NrKSeFN>1</NrKSeFN></DaneFaKorygowanej>"
            )
        text = f"""<?xml version="1.0" encoding="UTF-8"?>
<Faktura xmlns:etd="http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/">
<Naglowek><KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza><WariantFormularza>3</WariantFormularza><DataWytworzeniaFa>{self.issue_date.isoformat()}T08:00:00Z</DataWytworzeniaFa><SystemInfo>testy</SystemInfo></Naglowek>
<Podmiot1><DaneIdentyfikacyjne><NIP>{self.seller_nip}</NIP><Nazwa>{e(self.seller_name)}</Nazwa></DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>ul. Kwiatowa 1</AdresL1></Adres></Podmiot1>
<Podmiot2><DaneIdentyfikacyjne><NIP>{self.buyer_nip}</NIP><Nazwa>{e(self.buyer_name)}</Nazwa></DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>ul. Polna 1</AdresL1></Adres><JST>2</JST><GV>2</GV></Podmiot2>
<Fa><KodWaluty>{self.currency}</KodWaluty><P_1>{self.issue_date.isoformat()}</P_1><P_2>{e(self.number)}</P_2>{"".join(sums)}<P_15>{self.gross:.2f}</P_15>
<Adnotacje><P_16>2</P_16><P_17>2</P_17><P_18>2</P_18><P_18A>{1 if self.split_payment else 2}</P_18A><Zwolnienie><P_19N>1</P_19N></Zwolnienie><NoweSrodkiTransportu><P_22N>1</P_22N></NoweSrodkiTransportu><P_23>2</P_23><PMarzy><P_PMarzyN>1</P_PMarzyN></PMarzy></Adnotacje>
<RodzajFaktury>{self.kind}</RodzajFaktury>{correction}{"".join(lines)}{payment}</Fa>
</Faktura>"""
        return text.encode("utf-8")


def ksef_number_for(seller_nip: str, accepted: date, seq: int | None = None) -> str:
    n = next(_counter) if seq is None else seq
    tech = hashlib.sha256(f"{seller_nip}{accepted}{n}".encode()).hexdigest()[:12].upper()
    return make_ksef_number(seller_nip, accepted, tech)


def metadata(invoice: FakeInvoice, ksef_number: str, accepted: datetime, xml: bytes) -> dict[str, Any]:
    return {
        "ksefNumber": ksef_number,
        "invoiceNumber": invoice.number,
        "issueDate": invoice.issue_date.isoformat(),
        "invoicingDate": accepted.isoformat(),
        "acquisitionDate": accepted.isoformat(),
        "permanentStorageDate": (accepted + timedelta(seconds=5)).isoformat(),
        "seller": {"nip": invoice.seller_nip, "name": invoice.seller_name},
        "buyer": {"identifier": {"type": "Nip", "value": invoice.buyer_nip}, "name": invoice.buyer_name},
        "netAmount": float(invoice.net),
        "grossAmount": float(invoice.gross),
        "vatAmount": float(invoice.vat),
        "currency": invoice.currency,
        "invoicingMode": "Online",
        "invoiceType": invoice.kind.title().replace("_", ""),
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "isSelfInvoicing": False,
        "hasAttachment": False,
        "invoiceHash": sha256_b64(xml),
    }


def purchase(
    number: str,
    issue: date,
    seller_name: str = "ABC AGD sp. z o. o.",
    *,
    lines: list[tuple[str, Decimal, str]] | None = None,
    **kw: Any,
) -> FakeInvoice:
    return FakeInvoice(
        COUNTERPARTY_NIP,
        seller_name,
        CLIENT_NIP,
        "Nowak IT Consulting Jan Nowak",
        number,
        issue,
        lines or [("usługa", Decimal("100.00"), "23")],
        **kw,
    )


def sale(
    number: str,
    issue: date,
    buyer_name: str = "CDE sp. j.",
    *,
    lines: list[tuple[str, Decimal, str]] | None = None,
    **kw: Any,
) -> FakeInvoice:
    return FakeInvoice(
        CLIENT_NIP,
        "Nowak IT Consulting Jan Nowak",
        COUNTERPARTY_NIP,
        buyer_name,
        number,
        issue,
        lines or [("programowanie", Decimal("1000.00"), "23")],
        **kw,
    )


def archive_invoices(
    archive: Archive, invoices: list[FakeInvoice], client_nip: str = CLIENT_NIP
) -> list[str]:
    """Store invoices for a client; purchases vs sales follows from who the seller is."""
    numbers: list[str] = []
    by_subject: dict[str, list[IncomingInvoice]] = {}
    for invoice in invoices:
        accepted = datetime.combine(invoice.issue_date, time(9, 30), tzinfo=UTC)
        number = ksef_number_for(invoice.seller_nip, invoice.issue_date)
        xml = invoice.xml()
        subject = "Subject1" if invoice.seller_nip == client_nip else "Subject2"
        by_subject.setdefault(subject, []).append(
            IncomingInvoice(number, xml, metadata(invoice, number, accepted, xml))
        )
        numbers.append(number)
    for subject, batch in by_subject.items():
        result = archive.add_invoices(client_nip, subject, batch)
        assert not result.refused, result.refused
    return numbers


def sheet_rows(path: Any, sheet: str) -> list[dict[str, Any]]:
    """Rows of a sheet as dicts by header (openpyxl, full mode: the way a person's file is read)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb[sheet]
    rows = list(ws.iter_rows(values_only=True))
    headers = list(rows[0])
    out = [dict(zip(headers, row, strict=False)) for row in rows[1:]]
    return [row for row in out if any(v is not None for v in row.values())]
