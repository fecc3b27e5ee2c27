"""JPK_V7 against KSeF: the Ministry's sample validates, a file made from the archive has no findings,
and each injected defect gives exactly its finding on its row and nothing else."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import make_ksef_number
from ksef_sheets.jpk import JpkRow, build_jpk, read_jpk
from ksef_sheets.sheets import load_clients
from ksef_sheets.workflows.jpk import check_jpk, evidence_from_archive, ksef_numbers_csv
from tests.jpk.conftest import CLIENT, Stored

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "jpk"
MF_SAMPLE = FIXTURES / "jpk_v7m-3-przykladowy-plik-w-formacie-xml.xml"
NIP = CLIENT.nip or ""


def write(
    tmp_path: Path, sales: list[JpkRow], purchases: list[JpkRow], name: str = "jpk.xml", **kw: object
) -> Path:
    path = tmp_path / name
    path.write_bytes(
        build_jpk(nip=NIP, name=CLIENT.name or "", year=2026, month=3, sales=sales, purchases=purchases, **kw)
    )  # type: ignore[arg-type]
    return path


def clean(office: OfficeFolder) -> tuple[list[JpkRow], list[JpkRow]]:
    return evidence_from_archive(office, NIP, 2026, 3)


def findings(office: OfficeFolder, path: Path) -> list[tuple[str, str, int | None]]:
    (result,) = check_jpk(office, [path])
    return [(f.kind, f.side, f.row) for f in result.result.findings]


def test_mf_sample_validates_against_the_official_schema() -> None:
    jpk = read_jpk(MF_SAMPLE.read_bytes(), source=MF_SAMPLE.name)
    assert (jpk.variant, jpk.nip, jpk.period) == ("JPK_V7M", "1010000000", "2026-02")
    assert len(jpk.sales) == 1 and len(jpk.purchases) == 1


def test_a_file_made_from_the_archive_reconciles_with_no_findings(
    office: OfficeFolder, march: list[Stored], tmp_path: Path
) -> None:
    sales, purchases = clean(office)
    assert len(sales) == 4 and len(purchases) == 4  # April's delivery and February's sale are other periods
    path = write(tmp_path, sales, purchases)
    (result,) = check_jpk(office, [path])
    assert result.result.findings == ()
    assert result.result.matched == 8 and result.result.rows == 8


def _other_number(seed: int) -> str:
    return make_ksef_number("7798676685", date(2026, 3, 9), f"{seed:012X}")


def _replace(row: JpkRow, **changes: object) -> JpkRow:
    return dataclasses.replace(row, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("defect", [
    "unknown_ksef_number", "bad_checksum", "missing_sale", "missing_purchase", "amount_mismatch",
    "marker_has_number", "marker_misused_bfk", "marker_misused_off", "duplicate_row", "booked_too_early",
])  # fmt: skip
def test_each_defect_gives_exactly_its_finding(
    office: OfficeFolder, march: list[Stored], tmp_path: Path, defect: str
) -> None:
    sales, purchases = clean(office)
    expected: tuple[str, str, int | None]
    if defect == "unknown_ksef_number":
        sales.append(_replace(sales[1], lp=5, ksef_number=_other_number(999)))
        expected = ("unknown_ksef_number", "sale", 5)
    elif defect == "bad_checksum":
        number = purchases[2].ksef_number or ""
        broken = number[:-2] + ("00" if number[-2:] != "00" else "01")
        purchases.append(_replace(purchases[2], lp=5, ksef_number=broken))
        expected = ("bad_checksum", "purchase", 5)
    elif defect == "missing_sale":
        del sales[2]
        sales = [_replace(r, lp=i) for i, r in enumerate(sales, 1)]
        expected = ("missing_in_jpk", "sale", None)
    elif defect == "missing_purchase":
        del purchases[0]
        purchases = [_replace(r, lp=i) for i, r in enumerate(purchases, 1)]
        expected = ("missing_in_jpk", "purchase", None)
    elif defect == "amount_mismatch":
        amounts = dict(sales[0].amounts)
        field = next(k for k in ("K_20", "K_18", "K_16") if k in amounts)
        amounts[field] += Decimal("1.00")
        sales[0] = _replace(sales[0], amounts=amounts)
        expected = ("amount_mismatch", "sale", 1)
    elif defect == "marker_has_number":
        purchases[1] = _replace(purchases[1], ksef_number=None, marker="DI")
        expected = ("marker_has_number", "purchase", 2)
    elif defect == "marker_misused_bfk":
        sales[3] = _replace(sales[3], ksef_number=None, marker="BFK")
        expected = ("marker_misused", "sale", 4)
    elif defect == "marker_misused_off":
        extra = JpkRow(
            "sale",
            5,
            "9999999999",
            None,
            "Klient detaliczny",
            "P/1/2026",
            date(2026, 3, 20),
            None,
            None,
            "OFF",
            None,
            {"K_19": Decimal("100.00"), "K_20": Decimal("23.00")},
        )
        sales.append(extra)
        expected = ("marker_misused", "sale", 5)
    elif defect == "duplicate_row":
        sales.append(_replace(sales[0], lp=5))
        expected = ("duplicate_row", "sale", 5)
    else:  # booked_too_early: April's delivery deducted in March
        april = next(s for s in march if s.accepted == date(2026, 4, 1))
        _, april_rows = evidence_from_archive(office, NIP, 2026, 4)
        purchases.append(_replace(april_rows[0], lp=5))
        assert april_rows[0].ksef_number == april.ksef_number
        expected = ("booked_too_early", "purchase", 5)
    path = write(tmp_path, sales, purchases)
    assert findings(office, path) == [expected]


def test_off_inside_a_known_failure_is_accepted(
    office: OfficeFolder, march: list[Stored], tmp_path: Path
) -> None:
    config = office.load_config()
    office.save_config(
        config.model_copy(update={"ksef_failures": [{"od": "2026-03-19", "do": "2026-03-21"}]})
    )
    sales, purchases = clean(office)
    sales.append(
        JpkRow(
            "sale",
            5,
            "9999999999",
            None,
            "Klient",
            "P/1/2026",
            date(2026, 3, 20),
            None,
            None,
            "OFF",
            None,
            {"K_19": Decimal("100.00"), "K_20": Decimal("23.00")},
        )
    )
    assert findings(office, write(tmp_path, sales, purchases)) == []


def test_folder_mode_reads_every_file_and_v7k_is_accepted(
    office: OfficeFolder, march: list[Stored], tmp_path: Path
) -> None:
    folder = tmp_path / "jpk"
    folder.mkdir()
    sales, purchases = clean(office)
    write(folder, sales, purchases, "a.xml")
    write(folder, sales, purchases[:-1], "b.xml", variant="JPK_V7K")
    results = check_jpk(office, [folder])
    assert [len(r.result.findings) for r in results] == [0, 1]


def _cli(office: OfficeFolder, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_sheets", *args, "--dir", str(office.root)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"},
    )  # fmt: skip


def test_cli_json_shape(office: OfficeFolder, march: list[Stored], tmp_path: Path) -> None:
    sales, purchases = clean(office)
    sales[0] = _replace(sales[0], ksef_number=_other_number(998))
    result = _cli(office, "jpk", "check", str(write(tmp_path, sales, purchases)), "--json")
    assert result.returncode == 0, result.stderr
    (report,) = json.loads(result.stdout)
    assert (
        report["nip"] == NIP
        and report["period"] == "2026-03"
        and report["rows"] == 8
        and report["matched"] == 7
    )
    (finding,) = [f for f in report["findings"] if f["kind"] == "unknown_ksef_number"]
    assert finding.keys() >= {
        "kind",
        "row",
        "ksef_number",
        "counterparty_nip",
        "jpk_net",
        "jpk_vat",
        "ksef_net",
        "ksef_vat",
        "message",
    }
    assert finding["row"] == 1
    # The sale it replaced is now missing from the JPK.
    assert sorted(f["kind"] for f in report["findings"]) == ["missing_in_jpk", "unknown_ksef_number"]
    # The register keeps the client's last reconciliation; Pulpit counts the clients with findings.
    client = next(c for c in load_clients(office) if c.nip == NIP)
    assert client.jpk_findings == 2 and client.jpk_check.startswith("2026-03: 2 ustalenia (")
    dashboard = openpyxl.load_workbook(office.office_workbook)["Pulpit"]
    labels = [row[0].value for row in dashboard.iter_rows()]
    assert "Klienci z ustaleniami uzgodnienia JPK z KSeF" in labels


def _jpk_v7m2(tmp_path: Path) -> Path:
    path = tmp_path / "v7m2.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><JPK xmlns="http://crd.gov.pl/wzor/2021/12/27/11148/">'
        '<Naglowek><KodFormularza kodSystemowy="JPK_V7M (2)" wersjaSchemy="1-0E">JPK_VAT</KodFormularza></Naglowek></JPK>',
        "utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: (p / "faktura.xml", b"<Faktura xmlns='http://crd.gov.pl/wzor/2025/06/25/13775/'/>"),
            "nie jest plikiem JPK",
        ),
        (
            lambda p: (p / "bomba.xml", b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x 'y'>]><JPK>&x;</JPK>"),
            "DOCTYPE",
        ),
        (lambda p: (p / "tekst.xml", b"to nie jest XML"), "nie jest plikiem XML"),
        (lambda p: (p / "pusty.xml", b""), "jest pusty"),
    ],
)
def test_hostile_and_wrong_input_is_one_polish_sentence(
    office: OfficeFolder, tmp_path: Path, make, message: str
) -> None:  # type: ignore[no-untyped-def]
    path, data = make(tmp_path)
    path.write_bytes(data)
    result = _cli(office, "jpk", "check", str(path))
    assert result.returncode == 1 and message in result.stderr and path.name in result.stderr
    assert "Traceback" not in result.stderr


def test_another_jpk_version_client_not_in_register_and_a_50_mb_file(
    office: OfficeFolder, tmp_path: Path
) -> None:
    result = _cli(office, "jpk", "check", str(_jpk_v7m2(tmp_path)))
    assert result.returncode == 1 and "JPK_V7M (2)" in result.stderr and "Traceback" not in result.stderr
    stranger = tmp_path / "obcy.xml"
    stranger.write_bytes(build_jpk(nip="5261040828", name="Obcy", year=2026, month=3, sales=[], purchases=[]))
    result = _cli(office, "jpk", "check", str(stranger))
    assert result.returncode == 1 and "nie ma w rejestrze" in result.stderr
    big = tmp_path / "duzy.xml"
    with big.open("wb") as fh:
        fh.truncate(50_000_000)
    result = _cli(office, "jpk", "check", str(big))
    assert result.returncode == 1 and "50,0 MB" in result.stderr and "Traceback" not in result.stderr


def test_xsd_errors_name_line_and_element(tmp_path: Path) -> None:
    data = build_jpk(nip=NIP, name="X", year=2026, month=3, sales=[], purchases=[]).replace(
        b"<Miesiac>3</Miesiac>", b"<Miesiac>13</Miesiac>"
    )
    with pytest.raises(UserError, match=r"wiersz \d+, element Miesiac"):
        read_jpk(data, source="zly.xml")


def test_ksef_numbers_csv_for_the_accounting_program(
    office: OfficeFolder, march: list[Stored], tmp_path: Path
) -> None:
    path, rows = ksef_numbers_csv(office, NIP, 2026, 3)
    assert rows == 8
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ["Rodzaj", "Numer KSeF", "Numer faktury"]
    numbers = {line.split(";")[1] for line in lines[1:]}
    assert numbers == {
        s.ksef_number
        for s in march
        if (s.side == "sale" and s.issue.month == 3) or (s.side == "purchase" and s.accepted.month == 3)
    }
    result = _cli(office, "jpk", "numbers", "--client", NIP, "--month", "2026-13")
    assert result.returncode == 1 and "RRRR-MM" in result.stderr


def test_findings_sheet_keeps_staff_status_across_checks_and_refresh(
    office: OfficeFolder, march: list[Stored], tmp_path: Path
) -> None:
    from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
    from ksef_sheets.sheets.jpk_sheet import JPK_SHEET
    from ksef_sheets.workflows.jpk import record_jpk_results

    sales, purchases = clean(office)
    sales.append(_replace(sales[0], lp=5))  # one duplicate row
    path = write(tmp_path, sales, purchases)
    assert record_jpk_results(office, check_jpk(office, [path])) == []
    workbook_path = office.invoice_workbook(NIP, 2026)
    wb = openpyxl.load_workbook(workbook_path)
    ws = wb[JPK_SHEET]
    header = [c.value for c in ws[1]]
    (row,) = list(ws.iter_rows(min_row=2, values_only=True))
    record = dict(zip(header, row, strict=True))
    assert (
        record["Ustalenie"] == "Powtórzony numer KSeF"
        and record["Lp. w JPK"] == 5
        and record["Status"] == "Do wyjaśnienia"
    )
    ws.cell(row=2, column=header.index("Status") + 1, value="Wyjaśnione")
    ws.cell(row=2, column=header.index("Komentarz") + 1, value="=zaksięgowano dwa razy, korekta")
    wb.save(workbook_path)
    # The same check again keeps the person's Status and comment; a fetch refresh keeps the sheet.
    assert record_jpk_results(office, check_jpk(office, [path])) == []
    refresh_invoice_workbooks(office)
    refreshed = openpyxl.load_workbook(workbook_path)
    assert "Zakupy" in refreshed.sheetnames  # the workbook was rebuilt from the archive
    ws = refreshed[JPK_SHEET]
    (row,) = list(ws.iter_rows(min_row=2, values_only=True))
    record = dict(zip([c.value for c in ws[1]], row, strict=True))
    assert record["Status"] == "Wyjaśnione" and record["Komentarz"] == "=zaksięgowano dwa razy, korekta"
    assert ws.auto_filter.ref  # still filterable after the refresh
    assert ws.cell(row=2, column=header.index("Komentarz") + 1).data_type == "s"  # text, never a formula
