"""Builds ``workbooks/``: what a new office can open without running anything.

A build script, not run-time code: run ``python scripts/build_workbooks.py`` from the project
folder after changing how a workbook is made (the sheets, the register's columns, the panel), then
commit the files. Every file is made by the same code the toolkit runs in an office — nothing is
drawn by hand — and ``tests/workbooks/test_workbooks_folder.py`` rebuilds them into a temporary
folder and compares the content (sheets, tables, headers, validations, named cells, formats) with
the committed files; bytes differ anyway, since an .xlsx carries the moment it was written.

- ``biuro.xlsx`` — the office workbook with an empty register (``ksef-sheets init`` in a folder
  holding it keeps what the office typed; the sheets' title line and page header keep the
  placeholders "(nazwa biura) · NIP (NIP biura)", since ``init`` writes that line only into sheets
  it creates — the Pulpit and Terminy sheets, rebuilt on every refresh, get the office's name);
- ``klienci-wzor.xlsx`` and ``klienci-wzor.csv`` — the client list ``ksef-sheets clients import``
  reads, with every column it understands and two example (fictional) clients;
- ``faktury-2026-przyklad.xlsx`` — an invoice workbook of a fictional client, as ``fetch`` writes it;
- ``ksef_panel.xlsm`` and ``ksef_panel.py`` — the Excel panel (the VBA comes from the installed
  xlwings); *Folder biura* is empty until the office types its folder there.

The content depends on no clock: the day the workbooks "are made" is fixed (``BUILD_DAY``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.table import Table, TableStyleInfo

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_CLIENTS, demo_clients, demo_office_data
from ksef_sheets.excel import PANEL_NAME, PanelChoices, actions, build_panel, document_kinds
from ksef_sheets.fa3.generator import generate_invoice
from ksef_sheets.fa3.sales import Party, SalesLine
from ksef_sheets.files import atomic_path
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.office import IMPORT_OWNED, client_to_row
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sheets.office_workbook import refresh_workbook
from ksef_sheets.sync.archive import Archive, IncomingInvoice, sha256_b64
from ksef_sheets.workflows import init_office

PROJECT = Path(__file__).resolve().parents[1]
WORKBOOKS_DIR = PROJECT / "workbooks"
BUILD_DAY = date(2026, 3, 2)
SAMPLE_YEAR = 2026
SAMPLE_CLIENT = DEMO_CLIENTS[0]  # Nowak IT Consulting (fictional, scenario 2)
BLANK_OFFICE_NAME = "(nazwa biura)"
BLANK_OFFICE_NIP = "(NIP biura)"
CLIENT_TEMPLATE = "klienci-wzor"
INVOICE_SAMPLE = f"faktury-{SAMPLE_YEAR}-przyklad.xlsx"

FILES = (
    "biuro.xlsx",
    f"{CLIENT_TEMPLATE}.xlsx",
    f"{CLIENT_TEMPLATE}.csv",
    INVOICE_SAMPLE,
    f"{PANEL_NAME}.xlsm",
    f"{PANEL_NAME}.py",
)


# -- biuro.xlsx -----------------------------------------------------------------------------------
def build_blank_office(out_dir: Path) -> Path:
    """The office workbook with every sheet and an empty register (what ``init`` would create)."""
    # No office yet: placeholders instead of a name and NIP (no validation: they are not a NIP).
    config = OfficeConfig.model_construct(office_nip=BLANK_OFFICE_NIP, office_name=BLANK_OFFICE_NAME)
    wb = Workbook()
    refresh_workbook(
        wb, config, folder=None, today=BUILD_DAY, now=datetime.combine(BUILD_DAY, time(8, 0), tzinfo=UTC)
    )
    target = out_dir / "biuro.xlsx"
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


# -- klienci-wzor.xlsx / .csv ---------------------------------------------------------------------
def client_template_rows() -> tuple[list[str], list[list[Any]]]:
    """The columns ``clients import`` owns, and two fictional demo clients as examples."""
    headers = list(IMPORT_OWNED)
    rows = []
    for client in demo_clients()[:2]:
        row = client_to_row(client)
        rows.append([row.get(h) for h in headers])
    return headers, rows


def build_client_template(out_dir: Path) -> tuple[Path, Path]:
    headers, rows = client_template_rows()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Klienci"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for column in ws.iter_cols(min_row=2, max_col=1):  # NIP stays text (leading zeros, no 5,21E+09)
        for cell in column:
            cell.number_format = "@"
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(1, index).column_letter].width = max(12, min(40, len(header) + 2))
    table = Table(displayName="Klienci", ref=f"A1:{ws.cell(len(rows) + 1, len(headers)).coordinate}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "B2"
    xlsx = out_dir / f"{CLIENT_TEMPLATE}.xlsx"
    with atomic_path(xlsx) as tmp:
        wb.save(tmp)
    # CSV as Excel in Poland saves it: semicolons, UTF-8 with BOM (so Excel opens the Polish letters).
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    csv_path = out_dir / f"{CLIENT_TEMPLATE}.csv"
    csv_path.write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode("utf-8"))
    return xlsx, csv_path


# -- a sample office with invoices (also what the round-trip test builds on) ----------------------
def _party(index: int) -> Party:
    client = DEMO_CLIENTS[index]
    return Party(name=client.name, nip=client.nip, address1="ul. Przykładowa 1, 00-001 Warszawa")


def sample_invoices() -> list[tuple[str, bytes, dict[str, Any]]]:
    """(subject type, FA(3) XML, KSeF metadata) of the sample client's invoices, the same every run."""
    rng = random.Random(2026)
    client = _party(0)
    sellers = [_party(2), _party(3), _party(4)]
    buyers = [_party(2), _party(5)]
    invoices: list[tuple[str, bytes, dict[str, Any]]] = []
    plan: list[tuple[str, Party, Party, date, Sequence[SalesLine] | None]] = []
    for month in (1, 2, 3):
        for n, seller in enumerate(sellers):
            plan.append(("Subject2", seller, client, date(SAMPLE_YEAR, month, 3 + 7 * n), None))
        plan.append(
            (
                "Subject1",
                client,
                buyers[month % 2],
                date(SAMPLE_YEAR, month, 28),
                [SalesLine(name="Programowanie — usługa miesięczna", unit="usł.", unit_price=Decimal(12000))],
            )
        )
    for seq, (subject, seller, buyer, issued, lines) in enumerate(plan, start=1):
        number = f"FV/{seq:03d}/{issued.month:02d}/{issued.year}"
        xml = generate_invoice(rng, seller=seller, buyer=buyer, issue_date=issued, number=number, lines=lines)
        technical = hashlib.sha256(f"{seller.nip}{issued}{seq}".encode()).hexdigest()[:12].upper()
        ksef_number = make_ksef_number(seller.nip or "", issued, technical)
        accepted = datetime.combine(issued, time(9, 30), tzinfo=UTC)
        invoices.append((subject, xml, _metadata(ksef_number, number, seller, buyer, issued, accepted, xml)))
    return invoices


def _metadata(
    ksef_number: str, number: str, seller: Party, buyer: Party, issued: date, accepted: datetime, xml: bytes
) -> dict[str, Any]:
    from ksef_sheets.fa3.reader import parse_invoice
    from ksef_sheets.fa3.register import to_register_row

    row = to_register_row(parse_invoice(xml, source=number), ksef_number=ksef_number)
    return {
        "ksefNumber": ksef_number,
        "invoiceNumber": number,
        "issueDate": issued.isoformat(),
        "invoicingDate": accepted.isoformat(),
        "acquisitionDate": accepted.isoformat(),
        "permanentStorageDate": (accepted + timedelta(seconds=5)).isoformat(),
        "seller": {"nip": seller.nip, "name": seller.name},
        "buyer": {"identifier": {"type": "Nip", "value": buyer.nip}, "name": buyer.name},
        "netAmount": float(row.net_total or 0),
        "grossAmount": float(row.gross_total or 0),
        "vatAmount": float(row.vat_total or 0),
        "currency": "PLN",
        "invoicingMode": "Online",
        "invoiceType": "Vat",
        "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
        "isSelfInvoicing": False,
        "hasAttachment": False,
        "invoiceHash": sha256_b64(xml),
    }


def build_sample_office(root: Path) -> OfficeFolder:
    """A demo office (register of fictional clients) with the sample client's invoices archived and
    its invoice workbook written — by ``init`` and the archive + refresh that ``fetch`` runs."""
    folder = OfficeFolder.resolve(root)
    init_office(folder, demo=demo_office_data(), today=BUILD_DAY)
    by_subject: dict[str, list[IncomingInvoice]] = {}
    for subject, xml, meta in sample_invoices():
        by_subject.setdefault(subject, []).append(IncomingInvoice(meta["ksefNumber"], xml, meta))
    with Archive.open(folder) as archive:
        for subject, batch in by_subject.items():
            result = archive.add_invoices(SAMPLE_CLIENT.nip, subject, batch)
            if result.refused:
                raise RuntimeError(f"sample invoices refused by the archive: {result.refused}")
    refresh_invoice_workbooks(folder, [SAMPLE_CLIENT.nip], force=True)
    return folder


def sample_invoice_workbook(folder: OfficeFolder) -> Path:
    return folder.root / "klienci" / SAMPLE_CLIENT.nip / f"faktury-{SAMPLE_YEAR}.xlsx"


def build_invoice_sample(out_dir: Path) -> Path:
    with tempfile.TemporaryDirectory() as work:
        folder = build_sample_office(Path(work) / "biuro")
        target = out_dir / INVOICE_SAMPLE
        shutil.copyfile(sample_invoice_workbook(folder), target)
    return target


# -- ksef_panel.xlsm --------------------------------------------------------------------------------
def build_panel_template(out_dir: Path) -> Path:
    choices = PanelChoices(actions=list(actions()), document_kinds=document_kinds())
    return build_panel(out_dir, office_dir=None, choices=choices, clients=[])


def build_all(out_dir: Path = WORKBOOKS_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [build_blank_office(out_dir), *build_client_template(out_dir), build_invoice_sample(out_dir)]
    panel = build_panel_template(out_dir)
    paths += [panel, panel.with_suffix(".py")]
    for path in paths:  # files to share in the repository, not an office's private data
        path.chmod(0o644)
    return paths


def main(argv: list[str] | None = None) -> int:
    del argv
    for path in build_all():
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
