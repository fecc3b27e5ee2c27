"""Export → a client edits the file in another program → import: the right outcome for every row."""

from __future__ import annotations

import email
import shutil
import subprocess
from datetime import date
from email import policy
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents import convert_to_pdf
from ksef_sheets.errors import UserError
from ksef_sheets.sheets.export_format import CONTROL_SHEET, LIST_SHEET
from ksef_sheets.sync.archive import Archive, StaffDecision
from ksef_sheets.workflows import client_decisions as ci
from ksef_sheets.workflows import export_client_list, import_decisions
from tests.exports.conftest import CLIENT2, CLIENT3, Stored

TODAY = date(2026, 4, 7)


def table_rows(path: Path) -> tuple[Any, int, dict[str, int]]:
    wb = load_workbook(path)
    ws = wb[LIST_SHEET]
    for row in ws.iter_rows(min_row=1, max_row=20):
        names = [c.value for c in row]
        if "Numer KSeF" in names and "Decyzja" in names:
            return wb, row[0].row, {str(v): i + 1 for i, v in enumerate(names) if v}
    raise AssertionError("no header")


def libreoffice_resave(path: Path, soffice: str, tmp_path: Path) -> Path:
    """Open and save the file in LibreOffice (xlsx → xlsx), as a client without Excel would."""
    out = tmp_path / "lo"
    out.mkdir(exist_ok=True)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    result = out / path.name
    assert result.exists()
    return result


def client_edits(export: Path, target: Path, purchases: list[Stored]) -> dict[str, str]:
    """Decisions, remarks, rows sorted, one deleted, one added, one amount changed; saved by openpyxl."""
    wb, header, col = table_rows(export)
    ws = wb[LIST_SHEET]
    first = header + 1
    last = first + len(purchases) - 1
    data = [[ws.cell(r, c).value for c in range(1, len(col) + 1)] for r in range(first, last + 1)]
    # The client sorts by gross amount, descending (values move, rows stay where they were).
    data.sort(key=lambda row: -float(row[col["Brutto"] - 1]))
    for offset, row in enumerate(data):
        for c, value in enumerate(row, start=1):
            ws.cell(first + offset, c).value = value
    by_number = {ws.cell(r, col["Numer KSeF"]).value: r for r in range(first, last + 1)}
    p = [s.ksef_number for s in purchases]
    expected: dict[str, str] = {}
    ws.cell(by_number[p[0]], col["Decyzja"]).value = "Akceptuję"
    expected[p[0]] = ci.APPLIED
    ws.cell(by_number[p[1]], col["Decyzja"]).value = "Odrzucam"
    ws.cell(by_number[p[1]], col["Uwagi"]).value = "Nie zamawialiśmy — proszę wyjaśnić"
    expected[p[1]] = ci.APPLIED
    # p[2]: no decision.
    expected[p[2]] = ci.NO_DECISION
    # p[3]: decided, but the client also "corrected" the amount.
    ws.cell(by_number[p[3]], col["Decyzja"]).value = "Akceptuję"
    ws.cell(by_number[p[3]], col["Brutto"]).value = 1.23
    expected[p[3]] = ci.CHANGED
    # p[4]: accepted with a remark.
    ws.cell(by_number[p[4]], col["Decyzja"]).value = "Akceptuję"
    ws.cell(by_number[p[4]], col["Uwagi"]).value = "=SUM(A1:A9) to nie formuła"
    expected[p[4]] = ci.APPLIED
    # p[5]: the client deletes this row.
    ws.delete_rows(by_number[p[5]])
    expected[p[5]] = ci.MISSING_ROW
    # One row added at the end with an invented KSeF number.
    added = last  # after the deletion the last row is free
    ws.cell(added, col["Numer KSeF"]).value = "5210537039-20260315-0000000000AA-00"
    ws.cell(added, col["Numer faktury"]).value = "PARAGON 7"
    ws.cell(added, col["Decyzja"]).value = "Akceptuję"
    expected["5210537039-20260315-0000000000AA-00"] = ci.UNKNOWN
    wb.save(target)
    return expected


def test_export_contents_and_protection(office: OfficeFolder, purchases: list[Stored]) -> None:
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False)
    assert result.kind == "zakupy" and result.rows == 6
    assert result.xlsx.name == f"faktury-zakupy-{CLIENT2.nip}-2026-03.xlsx"
    wb, header, col = table_rows(result.xlsx)
    ws = wb[LIST_SHEET]
    assert wb.sheetnames[:3] == ["Faktury", "Podsumowanie", "Instrukcja"]
    assert wb[CONTROL_SHEET].sheet_state == "veryHidden"
    assert ws.protection.sheet is True and not ws.protection.password
    numbers = [ws.cell(r, col["Numer KSeF"]).value for r in range(header + 1, header + 7)]
    assert sorted(numbers) == sorted(s.ksef_number for s in purchases)  # Feb-issued, March-delivered included
    for r in range(header + 1, header + 7):
        for name, c in col.items():
            locked = ws.cell(r, c).protection.locked
            assert locked is (name not in ("Decyzja", "Uwagi")), (name, r)
        assert ws.cell(r, col["Rodzaj"]).value == "Zakup"
    # The dropdown on Decyzja.
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(dv.formula1 == '"Akceptuję,Odrzucam"' for dv in lists)
    # Hostile seller name is text, not a formula.
    sellers = [ws.cell(r, col["Sprzedawca"]) for r in range(header + 1, header + 7)]
    hostile = [c for c in sellers if str(c.value).startswith("=HYPERLINK")]
    assert hostile and all(c.data_type == "s" for c in hostile)
    # Totals match the archive.
    summary = wb["Podsumowanie"]
    gross = sum(float(s.gross) for s in purchases)
    assert abs(summary.cell(4, 6).value - gross) < 0.005
    assert summary.cell(4, 3).value == 6
    # CSV for Excel: BOM, semicolons, decimal comma, neutralised formula.
    raw = result.csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Lp.;Rodzaj;Numer KSeF;Numer faktury")
    assert "'=HYPERLINK(" in text and f";{purchases[0].gross.replace('.', ',')};" in text
    # The ready e-mail with the workbook attached.
    message = email.message_from_bytes(result.eml.read_bytes(), policy=policy.default)  # type: ignore[union-attr]
    assert message["Subject"] == f"Faktury do weryfikacji za 2026-03 — {CLIENT2.name}"
    assert message["To"].addresses[0].addr_spec == CLIENT2.email
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == result.xlsx.name
    assert attachment.get_content() == result.xlsx.read_bytes()


@pytest.mark.parametrize("editor", ["openpyxl", "libreoffice"])
def test_round_trip_with_a_client_edited_file(
    office: OfficeFolder, purchases: list[Stored], tmp_path: Path, editor: str, request: pytest.FixtureRequest
) -> None:
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False)
    reply = tmp_path / "odpowiedz.xlsx"
    expected = client_edits(result.xlsx, reply, purchases)
    if editor == "libreoffice":
        soffice = request.getfixturevalue("soffice")
        reply = libreoffice_resave(reply, soffice, tmp_path)
        # Protection survives LibreOffice.
        wb, header, col = table_rows(reply)
        ws = wb[LIST_SHEET]
        assert ws.protection.sheet is True
        assert ws.cell(header + 1, col["Decyzja"]).protection.locked is False
        assert ws.cell(header + 1, col["Brutto"]).protection.locked is True
    report = import_decisions(office, reply, expect_nip=CLIENT2.nip, expect_month="2026-03", today=TODAY)
    assert {n: report.outcome(n) for n in expected} == expected
    changed = next(o for o in report.conflicts if o.code == ci.CHANGED)
    assert "„Brutto” z „" in changed.message and "na „1.23”" in changed.message
    with Archive.open(office) as archive:
        decisions = archive.decisions_for(CLIENT2.nip)
    p = [s.ksef_number for s in purchases]
    assert decisions[p[0]].status == "Zaakceptowana" and decisions[p[0]].client_decision == "Akceptuję"
    assert decisions[p[0]].client_decided_on == TODAY
    assert decisions[p[1]].status == "Odrzucona"
    assert decisions[p[1]].client_remark == "Nie zamawialiśmy — proszę wyjaśnić"
    assert decisions[p[4]].client_remark == "=SUM(A1:A9) to nie formuła"
    for untouched in (p[2], p[3], p[5]):
        assert untouched not in decisions or decisions[untouched].status not in ("Zaakceptowana", "Odrzucona")
    assert not report.ok
    # Accepted purchases are ready to book; the rejected one is on the office's follow-up list.
    assert report.ready_to_book == 2
    assert report.follow_up == office.root / "do-wyjasnienia.xlsx" and report.follow_up_count == 1
    follow = load_workbook(report.follow_up)["Do wyjaśnienia"]
    header = [c.value for c in follow[1]]
    row = dict(zip(header, [c.value for c in follow[2]], strict=True))
    assert row["Numer KSeF"] == p[1] and row["Uwagi klienta"] == "Nie zamawialiśmy — proszę wyjaśnić"
    assert row["NIP klienta"] == CLIENT2.nip and row["Status"] == "Odrzucona"
    # The same file again changes nothing.
    again = import_decisions(office, reply, today=TODAY)
    assert again.applied == [] and {o.ksef_number for o in again.unchanged} == {p[0], p[1], p[4]}


def test_file_for_another_client_or_period(
    office: OfficeFolder, purchases: list[Stored], tmp_path: Path
) -> None:
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False)
    with pytest.raises(
        UserError,
        match=f"dla klienta NIP {CLIENT2.nip} \\(okres 2026-03\\), a nie dla klienta NIP {CLIENT3.nip}",
    ):
        import_decisions(office, result.xlsx, expect_nip=CLIENT3.nip)
    with pytest.raises(UserError, match="dotyczy okresu 2026-03, a nie 2026-04"):
        import_decisions(office, result.xlsx, expect_month="2026-04")
    # Put in another client's folder: the place tells which client was expected.
    wrong = office.exports_dir(CLIENT3.nip) / "odpowiedz.xlsx"
    wrong.parent.mkdir(parents=True)
    shutil.copy(result.xlsx, wrong)
    with pytest.raises(UserError, match=f"a nie dla klienta NIP {CLIENT3.nip}"):
        import_decisions(office, wrong)
    # Renamed by the client to another period.
    renamed = tmp_path / f"faktury-zakupy-{CLIENT2.nip}-2026-02 poprawione.xlsx"
    shutil.copy(result.xlsx, renamed)
    with pytest.raises(UserError, match="a nie 2026-02"):
        import_decisions(office, renamed)


def test_tampered_marker_and_another_office(
    office: OfficeFolder, purchases: list[Stored], tmp_path: Path
) -> None:
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False)
    wb = load_workbook(result.xlsx)
    control = wb[CONTROL_SHEET]
    control["B3"] = "2026-04"  # okres
    tampered = tmp_path / "zmieniony.xlsx"
    wb.save(tampered)
    with pytest.raises(UserError, match="dane kontrolne się nie zgadzają"):
        import_decisions(office, tampered)
    # Another office (its own key) cannot vouch for this file.
    other = OfficeFolder(tmp_path / "inne-biuro")
    other.save_config(office.load_config())
    with pytest.raises(UserError, match="pochodzi z innego biura"):
        import_decisions(other, result.xlsx)
    # A file without the control sheet.
    del wb[CONTROL_SHEET]
    stripped = tmp_path / "bez-kontroli.xlsx"
    wb.save(stripped)
    with pytest.raises(UserError, match="nie jest zestawieniem z ksef-sheets"):
        import_decisions(office, stripped)


def test_booked_bad_decision_and_duplicate(
    office: OfficeFolder, purchases: list[Stored], tmp_path: Path
) -> None:
    p = [s.ksef_number for s in purchases]
    with Archive.open(office) as archive:
        archive.save_decisions(
            [
                StaffDecision(
                    p[0], CLIENT2.nip, status="Zaksięgowana", booked_on=date(2026, 4, 2), person="ewa"
                )
            ]
        )
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False)
    wb, header, col = table_rows(result.xlsx)
    ws = wb[LIST_SHEET]
    rows = {ws.cell(r, col["Numer KSeF"]).value: r for r in range(header + 1, header + 7)}
    assert ws.cell(rows[p[0]], col["Status w biurze"]).value == "Zaksięgowana"
    ws.cell(rows[p[0]], col["Decyzja"]).value = "Odrzucam"
    ws.cell(rows[p[1]], col["Decyzja"]).value = "może"
    ws.cell(rows[p[2]], col["Decyzja"]).value = "tak"  # typed by hand instead of the dropdown
    duplicate = header + 7
    for c in range(1, len(col) + 1):
        ws.cell(duplicate, c).value = ws.cell(rows[p[2]], c).value
    ws.cell(rows[p[3]], col["Decyzja"]).value = "Odrzucam"  # without a reason
    reply = tmp_path / "r.xlsx"
    wb.save(reply)
    report = import_decisions(office, reply, today=TODAY)
    assert report.outcome(p[0]) == ci.BOOKED
    assert report.outcome(p[1]) == ci.BAD_DECISION
    assert report.outcome(p[2]) == ci.APPLIED
    assert [o.code for o in report.conflicts if o.ksef_number == p[2]] == [ci.DUPLICATE]
    assert report.outcome(p[3]) == ci.APPLIED
    assert any("bez podania przyczyny" in w for w in report.warnings)
    with Archive.open(office) as archive:
        decisions = archive.decisions_for(CLIENT2.nip)
    assert decisions[p[0]].status == "Zaksięgowana" and decisions[p[0]].client_decision is None
    assert decisions[p[2]].status == "Zaakceptowana"


@pytest.mark.parametrize("confirm", [True, False])
def test_scenario3_report_confirmed_as_a_whole(
    office: OfficeFolder, report3: list[Stored], tmp_path: Path, confirm: bool
) -> None:
    result = export_client_list(office, CLIENT3.nip, "2026-03", client=CLIENT3, pdf=False)
    assert result.kind == "wszystkie" and result.rows == 5
    wb, header, col = table_rows(result.xlsx)
    ws = wb[LIST_SHEET]
    sides = [ws.cell(r, col["Rodzaj"]).value for r in range(header + 1, header + 6)]
    assert sides == ["Sprzedaż", "Sprzedaż", "Zakup", "Zakup", "Zakup"]
    label = next(
        c
        for row in ws.iter_rows(max_row=header)
        for c in row
        if c.value == "Potwierdzam zestawienie jako całość:"
    )
    target = ws.cell(label.row, 5)
    assert target.protection.locked is False
    target.value = "Potwierdzam" if confirm else None
    disputed = report3[3].ksef_number
    rows = {ws.cell(r, col["Numer KSeF"]).value: r for r in range(header + 1, header + 6)}
    ws.cell(rows[disputed], col["Decyzja"]).value = "Odrzucam"
    ws.cell(rows[disputed], col["Uwagi"]).value = "sporna kwota"
    reply = tmp_path / "r.xlsx"
    wb.save(reply)
    report = import_decisions(office, reply, today=TODAY)
    assert report.confirmed_whole is confirm
    assert report.outcome(disputed) == ci.APPLIED
    others = [s.ksef_number for s in report3 if s.ksef_number != disputed]
    assert {report.outcome(n) for n in others} == ({ci.APPLIED} if confirm else {ci.NO_DECISION})
    if not confirm:
        assert any("nie potwierdził" in w for w in report.warnings)


def test_decisions_show_in_the_invoice_workbook(
    office: OfficeFolder, purchases: list[Stored], tmp_path: Path
) -> None:
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False)
    wb, header, col = table_rows(result.xlsx)
    ws = wb[LIST_SHEET]
    for r in range(header + 1, header + 7):
        ws.cell(r, col["Decyzja"]).value = "Akceptuję"
    reply = tmp_path / "r.xlsx"
    wb.save(reply)
    report = import_decisions(office, reply, today=TODAY)
    assert len(report.applied) == 6
    workbook = office.invoice_workbook(CLIENT2.nip, 2026)
    assert workbook.exists(), report.workbook_messages
    book = load_workbook(workbook, data_only=True)
    sheet = book["Zakupy"]
    header_row = next(r for r in sheet.iter_rows(max_row=10) if any(c.value == "Numer KSeF" for c in r))
    names = {c.value: c.column for c in header_row}
    status_col = next(c for name, c in names.items() if name and str(name).startswith("Status"))
    statuses = {
        sheet.cell(r, names["Numer KSeF"]).value: sheet.cell(r, status_col).value
        for r in range(header_row[0].row + 1, sheet.max_row + 1)
        if sheet.cell(r, names["Numer KSeF"]).value
    }
    for s in purchases:
        assert statuses[s.ksef_number] == "Zaakceptowana"


def test_not_an_export(office: OfficeFolder, tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("x")
    with pytest.raises(UserError, match="to CSV"):
        import_decisions(office, csv_file)
    junk = tmp_path / "a.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(UserError, match="nie jest skoroszytem Excel"):
        import_decisions(office, junk)
    with pytest.raises(UserError, match="Nie ma pliku"):
        import_decisions(office, tmp_path / "brak.xlsx")
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(UserError, match="jest folderem"):
        import_decisions(office, tmp_path / "folder.xlsx")


def test_hostile_xlsx_parts_are_refused(
    office: OfficeFolder, purchases: list[Stored], tmp_path: Path
) -> None:
    import zipfile

    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=False)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(result.xlsx) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/sharedStrings.xml":
                data = data.replace(
                    b"?>",
                    b'?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
                    1,
                )
            dst.writestr(item, data)
    with pytest.raises(UserError, match="niedozwoloną deklarację DOCTYPE"):
        import_decisions(office, bomb)
    traversal = tmp_path / "sciezka.xlsx"
    shutil.copy(result.xlsx, traversal)
    with zipfile.ZipFile(traversal, "a") as z:
        z.writestr("../../poza.xml", b"<x/>")
    with pytest.raises(UserError, match="niedozwoloną ścieżkę"):
        import_decisions(office, traversal)


def test_empty_month_and_bad_period(office: OfficeFolder, purchases: list[Stored]) -> None:
    with pytest.raises(UserError, match="nie ma w archiwum faktur \\(faktury zakupu\\) za 2026-06"):
        export_client_list(office, CLIENT2.nip, "2026-06", client=CLIENT2, pdf=False)
    with pytest.raises(UserError, match="Okres „03/2026” ma niepoprawny format"):
        export_client_list(office, CLIENT2.nip, "03/2026", client=CLIENT2, pdf=False)


@pytest.mark.libreoffice
def test_libreoffice_renders_export_and_pdf_summary(
    office: OfficeFolder, purchases: list[Stored], soffice: str, tmp_path: Path
) -> None:
    result = export_client_list(office, CLIENT2.nip, "2026-03", client=CLIENT2, pdf=True)
    assert result.pdf is not None
    summary = subprocess.run(
        ["pdftotext", "-layout", str(result.pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "Faktury zakupu — Nowak IT Consulting Jan Nowak (NIP 5210537039) — 2026-03" in summary
    assert "Razem: zakup" in summary and "6 faktur" in summary
    for s in purchases:
        assert s.ksef_number in summary
    # The workbook itself opens and renders in LibreOffice.
    copy = tmp_path / result.xlsx.name
    shutil.copy(result.xlsx, copy)
    rendered = convert_to_pdf([copy])[copy]
    text = subprocess.run(["pdftotext", str(rendered), "-"], capture_output=True, check=True).stdout.decode()
    # (The KSeF number is on screen only; the printout carries the invoice number.)
    assert "Decyzja" in text and purchases[0].number in text
