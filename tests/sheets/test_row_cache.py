"""A refresh parses only the invoices the last refresh did not build (``invoice_row_cache``)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sheets.invoice_row_cache import cache_path
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale, sheet_rows

Lines = dict[str, list[Any]]


def _read(kept: Path) -> tuple[str, Lines]:
    """The kept-rows file: its first line and each row's [key, fields] by KSeF number."""
    header, *lines = kept.read_text(encoding="utf-8").splitlines()
    rows = {}
    for line in lines:
        item = json.loads(line)
        rows[item[1][0]] = item
    return header, rows


def _write(kept: Path, header: str, rows: Lines) -> None:
    kept.write_text(
        "".join(f"{line}\n" for line in [header, *map(json.dumps, rows.values())]), encoding="utf-8"
    )


def _fill(archive: Archive) -> list[str]:
    return archive_invoices(
        archive,
        [
            purchase("FV/1/2026", date(2026, 3, 2), lines=[("papier", Decimal("100.00"), "23")]),
            purchase("FV/2/2026", date(2026, 3, 20), lines=[("kawa", Decimal("50.00"), "5")]),
            sale("S/1/2026", date(2026, 3, 5), lines=[("programowanie", Decimal("1000.00"), "23")]),
        ],
    )


def test_kept_rows_are_used_until_their_xml_changes(office: OfficeFolder, archive: Archive) -> None:
    numbers = _fill(archive)
    first = refresh_invoice_workbooks(office)
    assert first.ok, first.messages()
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    before = sheet_rows(path, "Zakupy") + sheet_rows(path, "Sprzedaż")
    kept = cache_path(path)
    header, data = _read(kept)
    assert set(data) == set(numbers)

    # Rebuilt from the kept rows: the same workbook as from the XML files.
    again = refresh_invoice_workbooks(office, force=True)
    assert again.ok, again.messages()
    assert sheet_rows(path, "Zakupy") + sheet_rows(path, "Sprzedaż") == before

    # The kept row is what the refresh uses (proof that nothing was parsed): a marked line text shows.
    data[numbers[0]][1][8] = "z zapisanych wierszy"  # InvoiceRow.items
    _write(kept, header, data)
    refresh_invoice_workbooks(office, force=True)
    assert [r["Przedmiot"] for r in sheet_rows(path, "Zakupy")] == ["z zapisanych wierszy", "kawa"]

    # A file that is not ours is ignored: everything is parsed again.
    kept.write_text('{"format": "inny", "rows": {}}', encoding="utf-8")
    refresh_invoice_workbooks(office, force=True)
    assert [r["Przedmiot"] for r in sheet_rows(path, "Zakupy")] == ["papier", "kawa"]
    kept.write_text("nie JSON", encoding="utf-8")
    assert refresh_invoice_workbooks(office, force=True).ok
    assert sheet_rows(path, "Zakupy") + sheet_rows(path, "Sprzedaż") == before

    # An XML file rewritten after it was archived (another size) is read again, and refused as before.
    xml_path = next(p for p in office.archive_dir.rglob("*.xml") if p.name.startswith(numbers[1]))
    xml_path.write_bytes(xml_path.read_bytes().replace(b"kawa", b"herbata"))
    changed = refresh_invoice_workbooks(office, force=True)
    (workbook,) = changed.workbooks
    assert any(numbers[1] in w and "tylko dane z metadanych" in w for w in workbook.warnings), (
        workbook.warnings
    )
    assert [r["Przedmiot"] for r in sheet_rows(path, "Zakupy")] == ["papier", None]


def test_a_kept_row_of_the_wrong_shape_is_built_again(office: OfficeFolder, archive: Archive) -> None:
    numbers = _fill(archive)
    assert refresh_invoice_workbooks(office).ok
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    kept = cache_path(path)
    header, data = _read(kept)
    good = json.loads(json.dumps(data))
    for index, wrong in (
        (13, 1.5),
        (5, 5210537039),
        (9, ["23", "100.00"]),
        (9, {"23": 100}),
        (21, "1"),
        (25, 7),
        # "The same as the invoice's" only where there is one, and only as the number 0.
        (11, False),
        (11, 0.0),
        (16, 1),
        (16, True),
    ):
        data[numbers[0]][1][8] = "z zapisanych wierszy"  # InvoiceRow.items: shows which row is used
        data[numbers[0]][1][index] = wrong
        _write(kept, header, data)
        assert refresh_invoice_workbooks(office, force=True).ok
        assert [r["Przedmiot"] for r in sheet_rows(path, "Zakupy")] == ["papier", "kawa"], (index, wrong)
        data = json.loads(json.dumps(good))
    # The same row with the right shape is used as kept (with its XML path as archived).
    data[numbers[0]][1][8] = "z zapisanych wierszy"
    _write(kept, header, data)
    assert refresh_invoice_workbooks(office, force=True).ok
    assert [r["Przedmiot"] for r in sheet_rows(path, "Zakupy")] == ["z zapisanych wierszy", "kawa"]


def test_the_index_listing_matches_list_invoices(office: OfficeFolder, archive: Archive) -> None:
    """The refresh's one query (``Archive.index_listing``) names the same invoices, in the same
    order, with the same files, as ``list_invoices``; ``decisions_among`` as ``decisions_for``."""
    numbers = _fill(archive)
    listing = archive.index_listing(CLIENT_NIP)
    listed = archive.list_invoices(CLIENT_NIP)
    assert [e.ksef_number for e in listing.entries] == [i.ksef_number for i in listed]
    for entry, invoice in zip(listing.entries, listed, strict=True):
        assert listing.invoice(entry) == invoice
        assert listing.xml_file(entry) == str(invoice.xml_path)
        assert (entry.subject_type, entry.sha256, entry.size) == (
            invoice.subject_type,
            invoice.sha256,
            invoice.size,
        )
    assert len({e.described for e in listing.entries}) == len(numbers)
    assert refresh_invoice_workbooks(office).ok
    every = archive.decisions_for(CLIENT_NIP)
    assert archive.decisions_among(CLIENT_NIP, numbers[:2]) == {n: every[n] for n in numbers[:2]}
    assert archive.decisions_among(CLIENT_NIP, []) == {}


def test_added_rows_are_appended_and_a_damaged_file_costs_only_time(
    office: OfficeFolder, archive: Archive
) -> None:
    numbers = _fill(archive)
    assert refresh_invoice_workbooks(office).ok
    path = office.invoice_workbook(CLIENT_NIP, 2026)
    kept = cache_path(path)
    before = kept.read_bytes()

    # New invoices only: their lines follow the file as it was.
    (added,) = archive_invoices(archive, [purchase("FV/3/2026", date(2026, 3, 25))])
    assert refresh_invoice_workbooks(office).ok
    now = kept.read_bytes()
    assert now.startswith(before) and now.count(b"\n") == before.count(b"\n") + 1
    assert set(_read(kept)[1]) == {*numbers, added}
    expected = sheet_rows(path, "Zakupy") + sheet_rows(path, "Sprzedaż")

    # A later line of a KSeF number overrides an earlier one (and is used as is).
    header, data = _read(kept)
    marked = json.loads(json.dumps(data[numbers[0]]))
    marked[1][8] = "z dopisanego wiersza"
    with kept.open("a", encoding="utf-8") as out:
        out.write(json.dumps(marked) + "\n")
    assert refresh_invoice_workbooks(office, force=True).ok
    assert sheet_rows(path, "Zakupy")[0]["Przedmiot"] == "z dopisanego wiersza"
    _write(kept, header, data)

    # A write cut short (no line break at the end), a line that is not JSON, bytes that are not
    # UTF-8, a row for an invoice the archive does not have: the rows still whole are used, the
    # others parsed again, and the file is written anew in full.
    data[numbers[1]][1][8] = "z zapisanych wierszy"
    for damage in (
        b'["abc", ["' + numbers[0].encode() + b'", "Zakupy"',
        b"nie JSON\n",
        b'["k", ["\xff\xfe"]]\n',
        b'["k", ["9999999999-20260101-000000000000-00"]]\n',
        b"\n",
    ):
        _write(kept, header, data)
        with kept.open("ab") as out:
            out.write(damage)
        assert refresh_invoice_workbooks(office, force=True).ok, damage
        rows = sheet_rows(path, "Zakupy") + sheet_rows(path, "Sprzedaż")
        assert [r["Przedmiot"] for r in rows[:2]] == ["papier", "z zapisanych wierszy"], damage
        assert [{**r, "Przedmiot": None} for r in rows] == [{**r, "Przedmiot": None} for r in expected]
        text = kept.read_bytes()
        assert text.endswith(b"\n") and text.count(b"\n") == 5, damage  # the first line and 4 rows
        assert set(_read(kept)[1]) == {*numbers, added}

    # A line damaged in the middle of the file: only its row is parsed again.
    lines = kept.read_bytes().split(b"\n")
    lines[1] = b"[" + lines[1][5:]
    kept.write_bytes(b"\n".join(lines))
    assert refresh_invoice_workbooks(office, force=True).ok
    assert [r["Przedmiot"] for r in sheet_rows(path, "Zakupy")][:2] == ["papier", "z zapisanych wierszy"]
    assert len(_read(kept)[1]) == 4 and kept.read_bytes().count(b"\n") == 5


def test_superseded_lines_are_dropped_when_they_pile_up(office: OfficeFolder, archive: Archive) -> None:
    _fill(archive)
    assert refresh_invoice_workbooks(office).ok
    kept = cache_path(office.invoice_workbook(CLIENT_NIP, 2026))
    header, data = _read(kept)
    # Three live rows and one earlier line of the same row: kept (under a quarter is superseded
    # after appending a fourth row)...
    first = next(iter(data.values()))
    kept.write_text(
        "".join(f"{line}\n" for line in [header, json.dumps(first), *map(json.dumps, data.values())]),
        encoding="utf-8",
    )
    archive_invoices(archive, [purchase("FV/3/2026", date(2026, 3, 25))])
    assert refresh_invoice_workbooks(office).ok
    assert kept.read_bytes().count(b"\n") == 6
    # ...two of five are too many: written anew, one line per row.
    with kept.open("a", encoding="utf-8") as out:
        out.write(json.dumps(first) + "\n")
    archive_invoices(archive, [purchase("FV/4/2026", date(2026, 3, 26))])
    assert refresh_invoice_workbooks(office).ok
    assert kept.read_bytes().count(b"\n") == 6 and len(_read(kept)[1]) == 5


def test_the_listing_without_json_still_names_every_invoice(office: OfficeFolder, archive: Archive) -> None:
    """A value SQLite's JSON cannot hold (a BLOB) makes the listing fall back to SQL literals."""
    numbers = _fill(archive)
    listing = archive.index_listing(CLIENT_NIP)
    assert all(e.described.startswith('["') for e in listing.entries)
    with archive._lock:
        archive._db.execute("UPDATE invoices SET form_code = x'00ff' WHERE ksef_number = ?", (numbers[0],))
    blob = archive.index_listing(CLIENT_NIP)
    assert [e[:5] for e in blob.entries] == [e[:5] for e in listing.entries]
    assert all(e.described.startswith("'") for e in blob.entries)
    assert len({e.described for e in blob.entries}) == len(numbers)


def test_a_kept_row_links_the_same_file_as_a_parsed_one(tmp_path: Path) -> None:
    import os

    from ksef_sheets.sheets.invoice_row_cache import _archived_path

    folders: dict[str, Path] = {}
    for text in (
        os.sep.join((str(tmp_path), "2026", "03", "5210537039-20260302-CD2CD4F45CDD-9A.xml")),
        os.sep.join((str(tmp_path), "2026", "03", "inny.xml")),
        os.sep.join((str(tmp_path), "ą ę", "x y.xml")),
        "bez-folderu.xml",
    ):
        made = _archived_path(text, folders)
        assert made == Path(text) and str(made) == str(Path(text)) and type(made) is type(Path(text))
    assert len(folders) == 3


def test_a_kept_row_is_the_row_it_was_made_from() -> None:
    from dataclasses import fields

    from ksef_sheets.sheets.invoice_columns import Register
    from ksef_sheets.sheets.invoice_row_cache import _decode, _encode
    from ksef_sheets.sheets.invoice_rows import InvoiceRow

    where = str(Path("archiwum", "2026", "03", "x.xml"))
    pln = InvoiceRow(
        "5210537039-20260302-CD2CD4F45CDD-9A",
        Register.PURCHASES,
        "FV/1",
        date(2026, 3, 2),
        None,
        "5210537039",
        "Dostawca",
        "PLN",
        "papier",
        {"23": Decimal("100.00"), "8": Decimal("1.0")},
        {"23": Decimal("23.00"), "8": Decimal("0.08")},
        {"23": Decimal("100.00"), "8": Decimal("1.0")},
        {"23": Decimal("23.00"), "8": Decimal("0.08")},
        Decimal("101.0"),
        Decimal("23.08"),
        Decimal("124.08"),
        Decimal("101.0"),
        Decimal("23.08"),
        Decimal("124.08"),
        xml_path=Path(where),
    )
    eur = InvoiceRow(
        **{
            **vars(pln),
            "currency": "EUR",
            "net_by_rate_pln": {"23": Decimal("430.00")},
            "vat_by_rate_pln": {},
            "net_pln": Decimal("101.00"),  # equal to the invoice's, but not the same text
            "vat_pln": None,
            "xml_path": Path("inny", "plik.xml"),
            "split_payment": True,
        }
    )
    for row in (pln, eur, InvoiceRow("K", Register.SALES, "S/1", None, None, None, None, "PLN")):
        kept = json.loads(json.dumps(_encode(row, where)))
        back = _decode(kept, where, {})
        assert back == row and list(vars(back)) == [f.name for f in fields(InvoiceRow)]
        assert {n: str(v) for n, v in vars(back).items()} == {n: str(v) for n, v in vars(row).items()}
    assert _encode(pln, where)[11:13] == [0, 0] and _encode(pln, where)[16:19] == [0, 0, 0]
    assert _encode(eur, where)[16] == "101.00"
