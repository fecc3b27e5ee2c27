"""The archive on its own: files + SQLite index, idempotence, crash safety, decisions, audit."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.sync.archive import (
    Archive,
    IncomingInvoice,
    StaffDecision,
    parse_ksef_datetime,
    sha256_b64,
)

CLIENT = "5210537039"
OTHER = "7798676685"
SELLER = "5838213566"


def ksef_number(i: int, day: date = date(2026, 3, 14), seller: str = SELLER) -> str:
    return make_ksef_number(seller, day, f"{i:012X}")


def xml_for(i: int) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<Faktura><Fa><P_2>FV/{i}</P_2></Fa></Faktura>\n'.encode()


def metadata_for(number: str, xml: bytes, **extra: object) -> dict[str, object]:
    meta: dict[str, object] = {
        "ksefNumber": number,
        "invoiceNumber": "FV/1/2026",
        "issueDate": "2026-03-13",
        "invoicingDate": "2026-03-14T10:11:12.1234567+01:00",
        "acquisitionDate": "2026-03-14T09:11:13Z",
        "permanentStorageDate": "2026-03-14T09:11:15.5Z",
        "seller": {"nip": SELLER, "name": "Trans-Kowalscy"},
        "buyer": {"identifier": {"type": "Nip", "value": CLIENT}, "name": "Nowak IT"},
        "netAmount": 100.1,
        "vatAmount": 23.02,
        "grossAmount": 123.12,
        "currency": "PLN",
        "invoicingMode": "Online",
        "invoiceType": "Vat",
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "isSelfInvoicing": False,
        "hasAttachment": False,
        "invoiceHash": sha256_b64(xml),
    }
    meta.update(extra)
    return meta


@pytest.fixture
def folder(tmp_path: Path) -> OfficeFolder:
    return OfficeFolder(tmp_path / "biuro")


def test_add_invoice_stores_original_bytes_and_index(folder: OfficeFolder) -> None:
    number = ksef_number(1)
    xml = b"\xef\xbb\xbf" + xml_for(1) + b"  \r\n"
    with Archive.open(folder) as archive:
        assert archive.add_invoice(CLIENT, "Subject2", number, xml, metadata_for(number, xml)) is True
        assert archive.add_invoice(CLIENT, "Subject2", number, xml, metadata_for(number, xml)) is False
        path = archive.xml_path(CLIENT, number)
        assert path == folder.root / "archiwum" / CLIENT / "2026" / "03" / f"{number}.xml"
        assert path.read_bytes() == xml
        assert archive.read_xml(CLIENT, number) == xml
        [invoice] = archive.list_invoices(CLIENT)
    assert invoice.ksef_number == number and invoice.subject_type == "Subject2"
    assert invoice.invoice_number == "FV/1/2026"
    assert invoice.issue_date == date(2026, 3, 13)
    assert invoice.invoicing_date == datetime(2026, 3, 14, 9, 11, 12, 123456, tzinfo=UTC)
    assert invoice.permanent_storage_date == datetime(2026, 3, 14, 9, 11, 15, 500000, tzinfo=UTC)
    assert invoice.gross_amount == Decimal("123.12") and invoice.net_amount == Decimal("100.1")
    assert invoice.seller_nip == SELLER and invoice.buyer_identifier == CLIENT
    assert invoice.form_code == "FA (3) 1-0E FA"
    assert invoice.sha256 == sha256_b64(xml) and invoice.size == len(xml)
    assert invoice.xml_path == path and not invoice.is_offline


def test_same_invoice_for_two_clients_is_two_rows(folder: OfficeFolder) -> None:
    number = ksef_number(2)
    xml = xml_for(2)
    with Archive.open(folder) as archive:
        assert archive.add_invoice(CLIENT, "Subject2", number, xml, metadata_for(number, xml))
        assert archive.add_invoice(OTHER, "Subject1", number, xml, metadata_for(number, xml))
        assert [i.subject_type for i in archive.list_invoices(OTHER)] == ["Subject1"]
        assert archive.list_invoices(CLIENT, subject_type="Subject1") == []
        assert archive.count_invoices() == {(CLIENT, "Subject2"): 1, (OTHER, "Subject1"): 1}


def test_list_invoices_filters_by_year_of_issue(folder: OfficeFolder) -> None:
    with Archive.open(folder) as archive:
        for i, issued in enumerate(["2025-12-30", "2026-01-02", None], start=10):
            number = ksef_number(i, day=date(2026, 1, 3))
            xml = xml_for(i)
            meta = metadata_for(number, xml, issueDate=issued)
            archive.add_invoice(CLIENT, "Subject2", number, xml, meta)
        assert len(archive.list_invoices(CLIENT, year=2025)) == 1
        # No issue date: the year KSeF accepted it (from the KSeF number).
        assert len(archive.list_invoices(CLIENT, year=2026)) == 2


def test_hostile_or_inconsistent_entries_are_refused(folder: OfficeFolder) -> None:
    good = ksef_number(3)
    xml = xml_for(3)
    with Archive.open(folder) as archive:
        result = archive.add_invoices(
            CLIENT,
            "Subject2",
            [
                IncomingInvoice("../../etc/passwd", xml, {}),
                IncomingInvoice(ksef_number(4), xml, metadata_for(ksef_number(4), b"other bytes")),
                IncomingInvoice(ksef_number(5), b"PK\x03\x04 not xml", {}),
                IncomingInvoice(ksef_number(6), xml, {"ksefNumber": ksef_number(7)}),
                IncomingInvoice(good, xml, metadata_for(good, xml)),
            ],
        )
        assert result.new == [good]
        assert len(result.refused) == 4
        assert all(isinstance(reason, str) and reason for _, reason in result.refused)
        assert not (folder.root.parent / "etc").exists()
        with pytest.raises(UserError, match="inny skrót"):
            archive.add_invoice(CLIENT, "Subject2", ksef_number(4), xml, metadata_for(ksef_number(4), b"x"))
        with pytest.raises(UserError, match="nieprawidłowy"):
            archive.xml_path(CLIENT, "..\\x")
        with pytest.raises(UserError, match="NIP"):
            archive.list_invoices("123")


def test_changed_content_for_known_number_keeps_original(folder: OfficeFolder) -> None:
    number = ksef_number(8)
    with Archive.open(folder) as archive:
        archive.add_invoice(CLIENT, "Subject2", number, xml_for(8), {})
        result = archive.add_invoices(CLIENT, "Subject2", [IncomingInvoice(number, xml_for(9), {})])
        assert result.new == [] and len(result.refused) == 1
        assert archive.read_xml(CLIENT, number) == xml_for(8)


def test_deleted_file_is_restored_and_tampered_file_detected(folder: OfficeFolder) -> None:
    number = ksef_number(11)
    with Archive.open(folder) as archive:
        archive.add_invoice(CLIENT, "Subject2", number, xml_for(11), {})
        path = archive.xml_path(CLIENT, number)
        path.unlink()
        with pytest.raises(UserError, match="Brak pliku"):
            archive.read_xml(CLIENT, number)
        assert archive.add_invoice(CLIENT, "Subject2", number, xml_for(11), {}) is False
        assert archive.read_xml(CLIENT, number) == xml_for(11)
        path.write_bytes(b"<Faktura>zmieniona</Faktura>")
        with pytest.raises(UserError, match="zmieniony"):
            archive.read_xml(CLIENT, number)


def test_checkpoint_commits_with_its_batch_and_never_goes_back(folder: OfficeFolder) -> None:
    t1 = datetime(2026, 3, 1, tzinfo=UTC)
    with Archive.open(folder) as archive:
        assert archive.get_hwm(CLIENT, "Subject2") is None
        archive.begin_window(CLIENT, "Subject2", t1, None, "20260301-EH-0000000000-0000000000-00")
        state = archive.sync_state(CLIENT, "Subject2")
        assert state is not None and state.window_from == t1 and state.hwm is None
        archive.add_invoices(
            CLIENT, "Subject2", [IncomingInvoice(ksef_number(12), xml_for(12), {})], checkpoint=t1
        )
        state = archive.sync_state(CLIENT, "Subject2")
        assert state is not None and state.hwm == t1 and state.window_from is None
        archive.begin_window(CLIENT, "Subject2", t1, None, None)
        archive.end_window(CLIENT, "Subject2")
        state = archive.sync_state(CLIENT, "Subject2")
        assert state is not None and state.hwm == t1 and state.window_from is None
        archive.set_hwm(CLIENT, "Subject2", t1 - timedelta(days=1))
        assert archive.get_hwm(CLIENT, "Subject2") == t1
        archive.set_hwm(CLIENT, "Subject2", t1 + timedelta(seconds=1))
        assert archive.get_hwm(CLIENT, "Subject2") == t1 + timedelta(seconds=1)
        assert archive.get_hwm(CLIENT, "Subject1") is None


def test_failed_batch_leaves_no_rows_and_no_checkpoint(
    folder: OfficeFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ksef_sheets.sync.invoice_store as module

    def broken_flush(files: list[tuple[Path, bytes]], also_sync: list[Path]) -> None:
        raise OSError("dysk pełny")

    with Archive.open(folder) as archive:
        monkeypatch.setattr(module, "write_batch", broken_flush)
        with pytest.raises(OSError):
            archive.add_invoices(
                CLIENT,
                "Subject2",
                [IncomingInvoice(ksef_number(13), xml_for(13), {})],
                checkpoint=datetime(2026, 3, 1, tzinfo=UTC),
            )
        monkeypatch.undo()
        assert archive.list_invoices(CLIENT) == []
        assert archive.get_hwm(CLIENT, "Subject2") is None
        # The file may be there (an orphan); the next fetch stores the same bytes and indexes them.
        assert archive.add_invoice(CLIENT, "Subject2", ksef_number(13), xml_for(13), {}) is True


def test_killed_writer_never_leaves_an_index_row_without_its_file(folder: OfficeFolder) -> None:
    """A process killed mid-batch (SIGKILL after the files, before commit) leaves a consistent archive."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from datetime import date
        from ksef_sheets.config import OfficeFolder
        from ksef_sheets.identifiers import make_ksef_number
        import ksef_sheets.sync.invoice_store as module
        from ksef_sheets.sync.archive import Archive, IncomingInvoice
        real_flush = module.write_batch
        def flush_then_die(files, also_sync):
            real_flush(files, also_sync)
            os.kill(os.getpid(), signal.SIGKILL)
        module.write_batch = flush_then_die
        archive = Archive.open(OfficeFolder.resolve({str(folder.root)!r}))
        items = [IncomingInvoice(make_ksef_number({SELLER!r}, date(2026, 3, 14), f"{{i:012X}}"),
                                 b"<Faktura>%d</Faktura>" % i, {{}}) for i in range(100, 150)]
        archive.add_invoices({CLIENT!r}, "Subject2", items)
        """
    )
    with Archive.open(folder) as archive:
        archive.add_invoice(CLIENT, "Subject2", ksef_number(99), b"<Faktura>99</Faktura>", {})
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stderr
    with Archive.open(folder) as archive:
        invoices = archive.list_invoices(CLIENT)
        assert [i.ksef_number for i in invoices] == [ksef_number(99)]
        for invoice in invoices:
            assert invoice.xml_path.exists()
        files = list((folder.archive_dir / CLIENT).rglob("*.xml"))
        assert len(files) == 51  # orphans from the killed batch, harmless
        again = archive.add_invoices(
            CLIENT,
            "Subject2",
            [
                IncomingInvoice(ksef_number(i), f"<Faktura>{i}</Faktura>".encode(), {})
                for i in range(100, 150)
            ],
        )
        assert len(again.new) == 50
        assert len(archive.list_invoices(CLIENT)) == 51


def test_decisions_round_trip_and_audit(folder: OfficeFolder) -> None:
    number = ksef_number(20)
    with Archive.open(folder) as archive:
        archive.add_invoice(CLIENT, "Subject2", number, xml_for(20), {})
        decision = StaffDecision(
            ksef_number=number,
            client_nip=CLIENT,
            status="Zaksięgowana",
            comment="  ok  ",
            booked_on=date(2026, 3, 20),
            person="AK",
            client_decision="Akceptuję",
            client_remark="",
            client_decided_on=date(2026, 3, 18),
        )
        assert archive.save_decisions([decision]) == 1
        assert archive.save_decisions([decision]) == 0  # unchanged: not rewritten
        stored = archive.decisions_for(CLIENT)[number]
        assert stored.status == "Zaksięgowana" and stored.comment == "ok" and stored.client_remark is None
        assert stored.booked_on == date(2026, 3, 20) and stored.client_decided_on == date(2026, 3, 18)
        assert stored.updated_at is not None
        assert archive.decisions_for(OTHER) == {}
        archive.audit("pobranie", CLIENT, {"nowe": 3}, 3)
        entries = archive.audit_log(context_nip=CLIENT)
        assert [e.action for e in entries] == ["pobranie", "decyzje"]
        assert entries[0].count == 3 and entries[0].os_user
        assert entries[1].count == 1


def test_parse_ksef_datetime_rounds_down_and_uses_warsaw_without_offset() -> None:
    assert parse_ksef_datetime("2026-03-14T10:00:00.9999999+00:00") == datetime(
        2026, 3, 14, 10, 0, 0, 999999, tzinfo=UTC
    )
    assert parse_ksef_datetime("2026-07-01T12:00:00") == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert parse_ksef_datetime("nonsense") is None and parse_ksef_datetime(None) is None


def test_newer_schema_is_refused(folder: OfficeFolder) -> None:
    folder.root.mkdir(parents=True)
    with sqlite3.connect(folder.database) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(UserError, match="nowszej wersji"):
        Archive.open(folder)
