"""``send_office`` against the KSeF emulator over loopback HTTP, with real crypto and the real vault."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.emulator import RunningEmulator
from ksef_sheets.fa3 import SalesInvoice, build_invoice_xml, parse_invoice
from ksef_sheets.files import excel_lock_file
from ksef_sheets.identifiers import is_valid_ksef_number
from ksef_sheets.ksef import KsefClient, OnlineSession
from ksef_sheets.send import SendReport
from ksef_sheets.send.drop_folder import drop_dir
from ksef_sheets.send.journal import SendJournal
from ksef_sheets.sheets import send_entry as E
from ksef_sheets.sync.archive import Archive
from ksef_sheets.workflows import send_office

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
    office: OfficeFolder, emulator_copy: Any, send_seed: SeededState, ksef_fixtures: Path
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
    sheet = load_workbook(path)[E.SHEET]
    upo_column = E.HEADERS.index(E.H_UPO) + 1
    link = sheet.cell(row=E.HEADER_ROW + 1, column=upo_column).hyperlink
    assert (
        link is not None and (path.parent / link.target).resolve().name == f"{numbers['FV/1/2026']}.upo.xml"
    )
    assert (path.parent / link.target).resolve().exists()

    schema = etree.XMLSchema(etree.parse(str(ksef_fixtures / "upo" / "upo-v4-3.xsd")))
    with Archive.open(office) as archive:
        for outcome in client.sent:
            assert outcome.ksef_number and outcome.upo_path and outcome.upo_path.exists()
            schema.assertValid(etree.parse(str(outcome.upo_path)))
            assert outcome.ksef_number.encode() in outcome.upo_path.read_bytes()
            stored = archive.get_invoice(SELLER, outcome.ksef_number)
            assert stored is not None and stored.subject_type == "Subject1"
            assert outcome.upo_path.parent == stored.xml_path.parent
        xml = archive.read_xml(SELLER, str(numbers["FV/4/2026"]))
    assert parse_invoice(xml).lines[0].name == "=SUM(A1)"
    eur = parse_invoice(archive_xml(office, numbers["FV/2/2026"]))
    assert eur.currency == "EUR" and eur.buyer.eu_vat == "811234567"
    consumer = parse_invoice(archive_xml(office, numbers["FV/3/2026"]))
    assert consumer.buyer.nip is None and consumer.buyer.no_id

    # The buyer (another client, its own token) sees the invoice as a purchase (Subject2) once KSeF
    # has put it into permanent storage (the emulator, like KSeF, takes a moment after acceptance).
    running.emulator.clock.advance(timedelta(seconds=5))

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
    sales = load_workbook(workbook)["Sprzedaż"]
    text = {str(c.value) for row in sales.iter_rows() for c in row if c.value}
    assert numbers["FV/1/2026"] in text
    formula_like = [
        c for row in sales.iter_rows() for c in row if isinstance(c.value, str) and "=SUM(A1)" in c.value
    ]
    assert formula_like and all(c.data_type == "s" for c in formula_like)

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
    assert original and original in rejected.message and "Duplikat" in rejected.message
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


def test_dropped_xml_files_are_validated_sent_and_moved(office: OfficeFolder, emulator_copy: Any) -> None:
    running = emulator_copy()
    drop = drop_dir(office, SELLER)
    drop.mkdir(parents=True)

    def program_invoice(number: str, price: str) -> bytes:
        return build_invoice_xml(
            SalesInvoice.from_data(
                {
                    "number": number,
                    "issue_date": today(),
                    "seller": {
                        "name": "Studio Urody Malwa",
                        "nip": SELLER,
                        "address1": "ul. Różana 1, Warszawa",
                    },
                    "buyer": {"name": "Nowak IT", "nip": BUYER, "address1": "ul. Prosta 2, Kraków"},
                    "lines": [{"name": "Pakiet zabiegów", "unit_price": price, "rate": "8"}],
                }
            )
        )

    good = program_invoice("PROG/7/2026", "250.00")
    (drop / "prog-7.xml").write_bytes(good)
    (drop / "cudza.xml").write_bytes(good.replace(SELLER.encode(), OTHER.encode(), 1))
    (drop / "zla.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Faktura>&e;</Faktura>'
    )
    # The program issued a number staff also typed into the workbook: KSeF refuses the second (440).
    (drop / "dup.xml").write_bytes(program_invoice("FV/90/2026", "999.00"))
    fill_entry(office, SELLER, [line("FV/90/2026", "Coś innego", 1)])
    report = send(office, running, clients=[SELLER])
    (client,) = report.clients
    by_source = {o.source: o for o in client.outcomes}
    sent = by_source["do-wyslania/prog-7.xml"]
    assert sent.accepted and sent.ksef_number
    assert (drop.parent / "wyslane" / "prog-7.xml").read_bytes() == good
    with Archive.open(office) as archive:
        assert archive.read_xml(SELLER, sent.ksef_number) == good  # exactly the bytes sent
    rejected = drop.parent / "odrzucone"
    for name in ("cudza.xml", "zla.xml", "dup.xml"):
        assert not (drop / name).exists() and (rejected / name).exists()
        assert (rejected / f"{name}.txt").read_text(encoding="utf-8").strip()
    assert OTHER in (rejected / "cudza.xml.txt").read_text(encoding="utf-8")
    assert "DOCTYPE" in (rejected / "zla.xml.txt").read_text(encoding="utf-8")
    from_sheet = next(o for o in client.outcomes if o.origin == "arkusz")
    duplicate = by_source["do-wyslania/dup.xml"]
    assert from_sheet.accepted and duplicate.code == 440
    assert duplicate.original_ksef_number == from_sheet.ksef_number
    assert str(from_sheet.ksef_number) in (rejected / "dup.xml.txt").read_text(encoding="utf-8")
    assert list(drop.iterdir()) == []


def test_workbook_open_in_excel_archive_still_updated_rows_filled_next_run(
    office: OfficeFolder, emulator_copy: Any
) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, [line("FV/50/2026", "Usługa", 100), line("FV/51/2026", "Usługa", 50)])
    before = path.read_bytes()
    lock = excel_lock_file(path)
    lock.write_text("jan")
    report = send(office, running, clients=[SELLER])
    (client,) = report.clients
    assert len(client.sent) == 2 and not report.problems
    assert any("otwarty w Excelu" in w and "następnym uruchomieniu" in w for w in client.warnings)
    assert path.read_bytes() == before
    with Archive.open(office) as archive:
        assert archive.ksef_numbers(SELLER, "Subject1") == {o.ksef_number for o in client.sent}
    lock.unlink()
    posted = session_invoice_count(running)
    again = send(office, running, clients=[SELLER])
    assert not again.problems and session_invoice_count(running) == posted
    rows = read_entry(path)
    assert [r[E.H_STATUS] for r in rows] == [E.STATUS_SENT] * 2
    assert {r[E.H_KSEF] for r in rows} == {o.ksef_number for o in client.sent}


def test_ksef_unavailable_keeps_invoices_pending_with_the_offline_rule(
    office: OfficeFolder, emulator_copy: Any
) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, [line(f"FV/{n}/2026", "Usługa", n) for n in (60, 61, 62)])
    running.emulator.faults.fail_next(1, status=503, path_prefix="/sessions/online", method="POST")
    report = send(office, running, clients=[SELLER])
    (client,) = report.clients
    assert report.problems and client.offline and client.sent == []
    assert "następnego dnia roboczego" in client.errors[0] and "106nda" in client.errors[0]
    assert [o.status for o in client.outcomes] == [E.STATUS_PENDING] * 3
    rows = read_entry(path)
    assert [r[E.H_STATUS] for r in rows] == [E.STATUS_PENDING] * 3
    assert "KSeF niedostępny" in rows[0][E.H_MESSAGE]
    assert emulator_sales(running, SELLER) == {}

    # A connection dropped while sending the first invoice: did KSeF get it? The next run asks.
    running.emulator.faults.drop_next(1, path_prefix="/sessions/online/", method="POST")
    second = send(office, running, clients=[SELLER])
    assert second.clients[0].offline
    with SendJournal.open(office) as journal:
        assert [e.invoice_number for e in journal.in_flight(SELLER)] == ["FV/60/2026"]
    third = send(office, running, clients=[SELLER])
    assert not third.problems, third.summary_lines()
    assert sorted(emulator_sales(running, SELLER).values()) == ["FV/60/2026", "FV/61/2026", "FV/62/2026"]
    assert [r[E.H_STATUS] for r in read_entry(path)] == [E.STATUS_SENT] * 3


def test_lost_journal_resend_is_recognised_by_ksef_as_the_same_invoice(
    office: OfficeFolder, emulator_copy: Any
) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, [line("FV/70/2026", "Usługa", 70)])
    first = send(office, running, clients=[SELLER])
    number = first.clients[0].sent[0].ksef_number
    # The journal is gone (restored backup) and the row says "to send" again.
    db = sqlite3.connect(office.database)
    db.execute("DELETE FROM send_journal")
    db.commit()
    db.close()
    fill_entry(office, SELLER, [line("FV/70/2026", "Usługa", 70)], append=False)
    again = send(office, running, clients=[SELLER])
    assert not again.problems, again.summary_lines()
    (outcome,) = again.clients[0].outcomes
    assert outcome.accepted and outcome.ksef_number == number and not outcome.sent_now
    assert list(emulator_sales(running, SELLER)) == [number]
    assert read_entry(path)[0][E.H_KSEF] == number


def test_dry_run_sends_and_writes_nothing_and_other_scenarios_are_refused(
    office: OfficeFolder, emulator_copy: Any
) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, [line("FV/80/2026", "Usługa", 80), line("FV/81/2026", "Zła", 1, "99")])
    before = path.read_bytes()
    report = send(office, running, clients=[SELLER], dry_run=True)
    (client,) = report.clients
    assert [p.number for p in client.would_send] == ["FV/80/2026"]
    assert [o.number for o in client.failed] == ["FV/81/2026"] and report.problems
    assert path.read_bytes() == before and session_invoice_count(running) == 0

    refused = send(office, running, clients=[BUYER])
    assert refused.problems and "scenariusz 2" in (refused.clients[0].refused or "")
    assert "InvoiceWrite" in (refused.clients[0].refused or "")


def test_first_run_creates_the_entry_workbook_from_the_register(
    office: OfficeFolder, emulator_copy: Any
) -> None:
    running = emulator_copy()
    report = send(office, running, clients=[SELLER])
    (client,) = report.clients
    path = E.entry_path(office, SELLER)
    assert client.workbook_created == path and client.outcomes == [] and not report.problems
    sheet = E.read_entry_workbook(path)
    assert "Malwa" in sheet.seller_name and sheet.table.rows == []
    assert any("utworzono skoroszyt" in line for line in report.summary_lines())
