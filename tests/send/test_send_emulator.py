"""``send_office`` against the KSeF emulator over loopback HTTP, with real crypto and the real vault."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ksef_sheets.config import OfficeFolder
from ksef_sheets.emulator import RunningEmulator
from ksef_sheets.fa3 import parse_invoice
from ksef_sheets.identifiers import is_valid_ksef_number
from ksef_sheets.ksef import KsefClient, OnlineSession
from ksef_sheets.send import SendReport, send_office
from ksef_sheets.send import entry_workbook as E
from ksef_sheets.send.journal import SendJournal
from ksef_sheets.sync.archive import Archive

from .conftest import (
    BUYER,
    OTHER,
    SELLER,
    SeededState,
    emulator_sales,
    fill_entry,
    line,
    read_entry,
    session_invoice_count,
    today,
)


def send(folder: OfficeFolder, running: RunningEmulator, **options: Any) -> SendReport:
    return asyncio.run(send_office(folder, base_url=running.base_url, **options))


def four_invoices() -> list[dict[str, Any]]:
    day = today()
    return [
        # PLN, several rates on one invoice, buyer = another seeded client
        line(
            "FV/1/2026",
            "Strzyżenie",
            100,
            "23",
            **{E.H_BUYER_NIP: BUYER, E.H_BUYER_NAME: "Nowak IT Consulting"},
        ),
        line("FV/1/2026", "Książka o pielęgnacji", "45,50", "5", **{E.H_QUANTITY: 2}),
        line(
            "FV/1/2026",
            "Zabieg",
            200,
            8,
            **{
                E.H_DUE: day + timedelta(days=14),
                E.H_METHOD: "przelew",
                E.H_ACCOUNT: "73102010260940909620737689",
                E.H_NOTES: "notatka",
            },
        ),
        # EUR to an EU buyer
        line(
            "FV/2/2026",
            "Szkolenie online",
            500,
            "np II",
            **{
                E.H_BUYER_NIP: "DE811234567",
                E.H_BUYER_NAME: "Nordlicht Logistik GmbH",
                E.H_BUYER_ADDRESS: "Hafenstr. 5, Hamburg",
                E.H_COUNTRY: "DE",
                E.H_CURRENCY: "EUR",
                E.H_EXCHANGE: 4.2512,
            },
        ),
        # a consumer without NIP
        line("FV/3/2026", "Manicure", 80, "23"),
        # formula-like description must stay text, buyer Budmax
        line("FV/4/2026", "=SUM(A1)", 10, "23", **{E.H_BUYER_NIP: OTHER, E.H_BUYER_NAME: "Budmax"}),
    ]


def test_sends_all_stores_numbers_upos_archive_and_a_second_run_sends_nothing(
    office: OfficeFolder, emulator_copy: Any, send_seed: SeededState, shared_dir: Path
) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, four_invoices())
    report = send(office, running, clients=[SELLER])
    assert not report.problems, report.summary_lines()
    (client,) = report.clients
    assert len(client.sent) == 4 and all(o.sent_now for o in client.sent)
    numbers = {o.number: o.ksef_number for o in client.sent}
    assert all(n and is_valid_ksef_number(n) for n in numbers.values())
    # The emulator holds exactly these invoices for the seller.
    assert {v: k for k, v in emulator_sales(running, SELLER).items()} == numbers

    rows = read_entry(path)
    assert [r[E.H_STATUS] for r in rows] == [E.STATUS_SENT] * 6
    assert rows[0][E.H_KSEF] == rows[2][E.H_KSEF] == numbers["FV/1/2026"]
    assert rows[2][E.H_NOTES] == "notatka"  # staff columns stay
    assert rows[5][E.H_ITEM] == "=SUM(A1)"
    assert rows[0][E.H_ACCEPTED] is not None

    schema = etree.XMLSchema(etree.parse(str(shared_dir / "ksef" / "upo" / "upo-v4-3.xsd")))
    with Archive.open(office) as archive:
        for outcome in client.sent:
            assert outcome.ksef_number and outcome.upo_path and outcome.upo_path.exists()
            schema.assertValid(etree.parse(str(outcome.upo_path)))
            assert outcome.ksef_number.encode() in outcome.upo_path.read_bytes()
            stored = archive.get_invoice(SELLER, outcome.ksef_number)
            assert stored is not None and stored.subject_type == "Subject1"
            assert outcome.upo_path.parent == stored.xml_path.parent
        xml = archive.read_xml(SELLER, numbers["FV/4/2026"])
    assert parse_invoice(xml).lines[0].name == "=SUM(A1)"
    eur = parse_invoice(archive_xml(office, numbers["FV/2/2026"]))
    assert eur.currency == "EUR" and eur.buyer.eu_vat == "811234567"
    consumer = parse_invoice(archive_xml(office, numbers["FV/3/2026"]))
    assert consumer.buyer.nip is None and consumer.buyer.no_id

    # The buyer (another client, its own token) sees the invoice as a purchase (Subject2).
    async def buyer_view() -> set[str]:
        async with KsefClient(running.base_url) as ksef:
            session = await ksef.login_with_token(BUYER, send_seed.token(BUYER))
            async with session:
                filters = {
                    "subjectType": "Subject2",
                    "dateRange": {
                        "dateType": "Issue",
                        "from": f"{today() - timedelta(days=1)}T00:00:00Z",
                        "to": f"{today() + timedelta(days=1)}T00:00:00Z",
                    },
                }
                page = await session.query_metadata(filters)
                return {m.ksef_number for m in page.invoices}

    assert numbers["FV/1/2026"] in asyncio.run(buyer_view())

    # The invoice workbook shows them in Sprzedaż.
    workbook = office.invoice_workbook(SELLER, today().year)
    assert workbook.exists()
    from openpyxl import load_workbook

    sales = load_workbook(workbook)["Sprzedaż"]
    text = {str(c.value) for row in sales.iter_rows() for c in row if c.value}
    assert numbers["FV/1/2026"] in text

    posted = session_invoice_count(running)
    again = send(office, running, clients=[SELLER])
    assert not again.problems and again.clients[0].outcomes == []
    assert session_invoice_count(running) == posted


def archive_xml(office: OfficeFolder, number: str | None) -> bytes:
    assert number
    with Archive.open(office) as archive:
        return archive.read_xml(SELLER, number)


def test_bad_row_is_reported_with_its_row_and_the_others_go(office: OfficeFolder, emulator_copy: Any) -> None:
    running = emulator_copy()
    path = fill_entry(
        office,
        SELLER,
        [
            line("FV/10/2026", "Dobra pozycja", 100),
            line("FV/11/2026", "Zła stawka", 100, "17"),
            line("FV/12/2026", "Zły NIP", 50, **{E.H_BUYER_NIP: "1234567890", E.H_BUYER_NAME: "X"}),
            line("FV/13/2026", "Dobra też", 20),
        ],
    )
    report = send(office, running, clients=[SELLER])
    assert report.problems
    (client,) = report.clients
    assert sorted(o.number for o in client.sent) == ["FV/10/2026", "FV/13/2026"]
    failed = {o.number: o.message for o in client.failed}
    assert "wiersz 9" in failed["FV/11/2026"] and "„Stawka VAT”" in failed["FV/11/2026"]
    assert "wiersz 10" in failed["FV/12/2026"] and "Nabywca NIP" in failed["FV/12/2026"]
    assert E.ENTRY_FILE in failed["FV/11/2026"]
    rows = read_entry(path)
    assert [r[E.H_STATUS] for r in rows] == [E.STATUS_SENT, E.STATUS_ERROR, E.STATUS_ERROR, E.STATUS_SENT]
    assert "Stawka VAT" in rows[1][E.H_MESSAGE]
    assert set(emulator_sales(running, SELLER).values()) == {"FV/10/2026", "FV/13/2026"}


def test_duplicate_number_gets_440_with_the_original_number(office: OfficeFolder, emulator_copy: Any) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, [line("FV/20/2026", "Usługa", 100)])
    first = send(office, running, clients=[SELLER])
    original = first.clients[0].sent[0].ksef_number
    # Staff type another invoice with the same number (different content).
    fill_entry(office, SELLER, [line("FV/20/2026", "Inna usługa", 300)])
    second = send(office, running, clients=[SELLER])
    assert second.problems
    (rejected,) = second.clients[0].rejected
    assert rejected.code == 440 and rejected.original_ksef_number == original
    assert original in rejected.message and "Duplikat" in rejected.message
    rows = read_entry(path)
    assert rows[1][E.H_STATUS] == E.STATUS_REJECTED and original in rows[1][E.H_MESSAGE]
    # Not sent again on the next run (even if staff left the row pending).
    posted = session_invoice_count(running)
    third = send(office, running, clients=[SELLER])
    assert third.clients[0].outcomes == [] and session_invoice_count(running) == posted


def test_crash_after_sending_is_reconciled_without_duplicates(
    office: OfficeFolder, emulator_copy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, [line(f"FV/{n}/2026", "Usługa", 10 * n) for n in range(30, 34)])

    async def die(self: OnlineSession) -> None:
        raise KeyboardInterrupt  # the process dies after the POSTs, before close and write-back

    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(OnlineSession, "close", die)
        send(office, running, clients=[SELLER])
    assert [r[E.H_STATUS] for r in read_entry(path)] == [None] * 4
    with SendJournal.open(office) as journal:
        assert len(journal.in_flight(SELLER)) == 4
    posted = session_invoice_count(running)
    assert posted == 4

    report = send(office, running, clients=[SELLER])
    assert not report.problems, report.summary_lines()
    (client,) = report.clients
    assert len(client.sent) == 4 and not any(o.sent_now for o in client.sent)
    assert session_invoice_count(running) == posted  # nothing POSTed again
    assert len(emulator_sales(running, SELLER)) == 4
    assert [r[E.H_STATUS] for r in read_entry(path)] == [E.STATUS_SENT] * 4
    with Archive.open(office) as archive:
        assert len(archive.ksef_numbers(SELLER, "Subject1")) == 4
    for outcome in client.sent:
        assert outcome.upo_path and outcome.upo_path.exists()
