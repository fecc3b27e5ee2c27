"""A refresh parses only the invoices the last refresh did not build (``invoice_row_cache``)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sheets.invoice_row_cache import cache_path
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale, sheet_rows


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
    data = json.loads(kept.read_text(encoding="utf-8"))
    assert set(data["rows"]) == set(numbers)

    # Rebuilt from the kept rows: the same workbook as from the XML files.
    again = refresh_invoice_workbooks(office, force=True)
    assert again.ok, again.messages()
    assert sheet_rows(path, "Zakupy") + sheet_rows(path, "Sprzedaż") == before

    # The kept row is what the refresh uses (proof that nothing was parsed): a marked line text shows.
    data["rows"][numbers[0]][1][8] = "z zapisanych wierszy"  # InvoiceRow.items
    kept.write_text(json.dumps(data), encoding="utf-8")
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
    data = json.loads(kept.read_text(encoding="utf-8"))
    good = json.loads(kept.read_text(encoding="utf-8"))
    for index, wrong in (
        (13, 1.5),
        (5, 5210537039),
        (9, ["23", "100.00"]),
        (9, {"23": 100}),
        (21, "1"),
        (25, 7),
    ):
        data["rows"][numbers[0]][1][8] = "z zapisanych wierszy"  # InvoiceRow.items: shows which row is used
        data["rows"][numbers[0]][1][index] = wrong
        kept.write_text(json.dumps(data), encoding="utf-8")
        assert refresh_invoice_workbooks(office, force=True).ok
        assert [r["Przedmiot"] for r in sheet_rows(path, "Zakupy")] == ["papier", "kawa"], (index, wrong)
        data = json.loads(json.dumps(good))
    # The same row with the right shape is used as kept (with its XML path as archived).
    data["rows"][numbers[0]][1][8] = "z zapisanych wierszy"
    kept.write_text(json.dumps(data), encoding="utf-8")
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
