"""Storing a batch of invoices: each XML hashed once, files flushed by either way, nothing re-read."""

from __future__ import annotations

import ctypes
import errno
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import ksef_sheets.sync.archive_files as archive_files
import ksef_sheets.sync.invoice_store as invoice_store
from ksef_sheets.config import OfficeFolder
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.sync.archive import Archive, IncomingInvoice, sha256_b64

CLIENT = "5210537039"
SELLER = "5838213566"


def incoming(i: int, day: date = date(2026, 3, 14), *, given_hash: bool = False) -> IncomingInvoice:
    number = make_ksef_number(SELLER, day, f"{i:012X}")
    xml = f'<?xml version="1.0"?>\n<Faktura><Fa><P_2>FV/{i}</P_2></Fa></Faktura>\n'.encode()
    digest = sha256_b64(xml)
    meta = {"ksefNumber": number, "invoiceHash": digest, "permanentStorageDate": "2026-03-14T09:00:00Z"}
    return IncomingInvoice(number, xml, meta, sha256=digest if given_hash else None)


@pytest.fixture
def folder(tmp_path: Path) -> OfficeFolder:
    return OfficeFolder(tmp_path / "biuro")


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every XML the invoice store hashes, in order."""
    seen: list[bytes] = []

    def counted(data: bytes) -> str:
        seen.append(data)
        return sha256_b64(data)

    monkeypatch.setattr(invoice_store, "sha256_b64", counted)
    return seen


def test_each_xml_is_hashed_once_and_a_checked_hash_is_taken_as_given(
    folder: OfficeFolder, hashes: list[bytes]
) -> None:
    own = [incoming(i) for i in range(5)]
    given = [incoming(i, given_hash=True) for i in range(5, 10)]
    with Archive.open(folder) as archive:
        result = archive.add_invoices(CLIENT, "Subject2", own + given)
        assert len(result.new) == 10 and not result.refused
        assert hashes == [item.xml for item in own]  # once each, and never for the given ones
        for item in own + given:
            stored = archive.get_invoice(CLIENT, item.ksef_number)
            assert stored is not None and stored.sha256 == sha256_b64(item.xml)
            assert archive.read_entry_xml(stored) == item.xml
        hashes.clear()
        again = archive.add_invoices(CLIENT, "Subject2", given)
        assert len(again.existing) == 5 and hashes == []


def test_a_given_hash_differing_from_ksefs_is_refused_like_a_computed_one(folder: OfficeFolder) -> None:
    item = incoming(1)
    item.sha256 = sha256_b64(b"other bytes")
    with Archive.open(folder) as archive:
        result = archive.add_invoices(CLIENT, "Subject2", [item])
        assert result.new == []
        assert result.refused == [
            (
                item.ksef_number,
                f"Faktura {item.ksef_number} klienta {CLIENT} ma inny skrót SHA-256 niż podał KSeF; "
                "plik nie został zapisany.",
            )
        ]
    assert not (folder.archive_dir / CLIENT / "2026").exists()


@pytest.mark.parametrize("flush", ["syncfs", "fsync"])
def test_either_flush_writes_every_file_whole_and_leaves_no_temp_file(
    folder: OfficeFolder, monkeypatch: pytest.MonkeyPatch, flush: str
) -> None:
    if flush == "syncfs" and archive_files._syncfs() is None:
        pytest.skip("no syncfs in this C library")
    monkeypatch.setattr(archive_files, "FLUSH", flush)
    items = [incoming(i, date(2026, 2 + i % 3, 10)) for i in range(30)]  # three new month folders
    with Archive.open(folder) as archive:
        result = archive.add_invoices(CLIENT, "Subject2", items, checkpoint=datetime(2026, 5, 1, tzinfo=UTC))
        assert len(result.new) == 30
        for item in items:
            assert archive.xml_path(CLIENT, item.ksef_number).read_bytes() == item.xml
        assert archive.get_hwm(CLIENT, "Subject2") == datetime(2026, 5, 1, tzinfo=UTC)
    client_dir = folder.archive_dir / CLIENT
    assert sorted(p.name for p in client_dir.iterdir()) == ["2026", "metadane-ksef.jsonl"]
    assert len((client_dir / "metadane-ksef.jsonl").read_text().splitlines()) == 30
    assert [p for p in client_dir.rglob("*") if ".tmp" in p.name] == []


def test_a_failed_flush_commits_nothing(folder: OfficeFolder, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_files, "FLUSH", "syncfs")
    monkeypatch.setattr(archive_files, "_syncfs", lambda: lambda fd: -1)
    monkeypatch.setattr(ctypes, "get_errno", lambda: errno.EIO)
    with Archive.open(folder) as archive:
        with pytest.raises(OSError) as caught:
            archive.add_invoices(
                CLIENT, "Subject2", [incoming(1)], checkpoint=datetime(2026, 5, 1, tzinfo=UTC)
            )
        assert caught.value.errno == errno.EIO
        monkeypatch.undo()
        assert archive.list_invoices(CLIENT) == []
        assert archive.get_hwm(CLIENT, "Subject2") is None


def test_archived_files_are_not_read_or_rewritten_and_an_orphan_is_kept(
    folder: OfficeFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [incoming(i) for i in range(3)]
    with Archive.open(folder) as archive:
        orphan = archive.xml_path(CLIENT, items[0].ksef_number)
        orphan.parent.mkdir(parents=True)
        orphan.write_bytes(items[0].xml)  # a killed run's file: same bytes, no index row
        before = os.stat(orphan).st_ino
        assert len(archive.add_invoices(CLIENT, "Subject2", items).new) == 3
        assert os.stat(orphan).st_ino == before  # indexed, not written again
        inodes = {i.ksef_number: os.stat(archive.xml_path(CLIENT, i.ksef_number)).st_ino for i in items}

        def no_read(path: Path, data: bytes) -> bool:
            raise AssertionError(f"{path} read again")

        monkeypatch.setattr(invoice_store, "same_bytes", no_read)
        assert len(archive.add_invoices(CLIENT, "Subject2", items).existing) == 3
        for item in items:
            assert os.stat(archive.xml_path(CLIENT, item.ksef_number)).st_ino == inodes[item.ksef_number]
