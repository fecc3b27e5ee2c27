"""Offline issuing in ``send`` (PROTOCOL.md §18, DOMAIN.md §4) against the emulator over loopback HTTP:
``--offline`` and the automatic fallback when KSeF does not answer (the emulator's fault switch) issue
invoices with KOD I and KOD II (signed with the office's Offline KSeF certificate from the vault), the
buyer's PDF and the "Do wysłania offline" list with each mode's deadline; the next run sends them
with ``offlineMode: true`` and the emulator records them as offline."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.emulator import RunningEmulator
from ksef_sheets.ksef import CertificateCredential
from ksef_sheets.send import SendReport
from ksef_sheets.send.offline import NO_SIGNER, OFFLINE_DIR, OfflineInvoice, current_deadline
from ksef_sheets.sheets import send_entry as E
from ksef_sheets.vault import Vault
from ksef_sheets.workflows import send_office
from tests.emulator.conftest import make_key
from tests.emulator.test_certificates import enrol, retrieve, seal_login

from .conftest import PASSPHRASE, SELLER, SeededState, emulator_sales, fill_entry, line, read_entry

FRIDAY = date(2026, 11, 6)
BEFORE_HOLIDAY = date(2026, 11, 10)  # Tuesday; 11.11 is Independence Day


def send(folder: OfficeFolder, running: RunningEmulator, **options: Any) -> SendReport:
    return asyncio.run(send_office(folder, base_url=running.base_url, **options))


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def enrol_offline_certificate(folder: OfficeFolder, running: RunningEmulator, office_nip: str) -> str:
    """The office's Offline KSeF certificate, issued by the emulator and kept in the vault."""
    with httpx.Client(base_url=running.base_url) as api:
        session = seal_login(api, office_nip)
        key = make_key("ec")
        serial = enrol(api, session, key, kind="Offline", name="Biuro offline")
        certificate = retrieve(api, session, serial)
    Vault.open(folder, PASSPHRASE).add_certificate(
        "biuro-offline",
        CertificateCredential(certificate, key, name="biuro-offline"),
        ksef_serial=serial,
        ksef_type="Offline",
    )
    return serial


def offline_rows(running: RunningEmulator, nip: str) -> dict[str, tuple[str, int]]:
    """{invoice number: (invoicingMode, offlineMode of the POST)} as the emulator recorded them."""
    db = sqlite3.connect(f"file:{running.emulator.state_dir / 'emulator.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT i.invoice_number, i.mode, s.offline FROM invoice i JOIN session_invoice s"
            " ON s.ksef_number = i.ksef_number WHERE i.seller_nip = ?",
            (nip,),
        ).fetchall()
    finally:
        db.close()
    return {number: (mode, offline) for number, mode, offline in rows}


def decode_qr(pdf: Path, tmp_path: Path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    prefix = tmp_path / pdf.stem
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True)
    return [
        r.text
        for png in sorted(tmp_path.glob(f"{pdf.stem}-*.png"))
        for r in zxingcpp.read_barcodes(Image.open(png))
    ]


def check(url: str) -> httpx.Response:
    return httpx.get(url, headers={"Accept": "application/json"}, follow_redirects=True)


def test_offline_issues_codes_pdf_and_list_then_the_next_run_sends_them_as_offline(
    office: OfficeFolder, emulator_copy: Any, send_seed: SeededState, tmp_path: Path
) -> None:
    running = emulator_copy()
    enrol_offline_certificate(office, running, send_seed.info.office["nip"])
    path = fill_entry(
        office,
        SELLER,
        [
            line("FV/80/2026", "Strzyżenie", 100, **{E.H_ISSUED: FRIDAY}),
            line("FV/81/2026", "Manicure", 80, **{E.H_ISSUED: BEFORE_HOLIDAY}),
        ],
    )
    report = send(office, running, clients=[SELLER], offline=True, now=at(BEFORE_HOLIDAY))
    assert not report.problems, report.summary_lines()
    assert emulator_sales(running, SELLER) == {}  # nothing reached KSeF

    listed = {o["number"]: o for o in report.to_json()["offline"]}
    # offline24: the next business day after issue — across the weekend, and across 11 November.
    assert {n: (o["mode"], o["deadline"]) for n, o in listed.items()} == {
        "FV/80/2026": ("offline24", "2026-11-09"),
        "FV/81/2026": ("offline24", "2026-11-12"),
    }
    (client,) = report.clients
    assert any("FV/80/2026 do KSeF minął 09.11.2026" in w for w in client.warnings)
    assert not any("FV/81/2026" in w for w in client.warnings)  # 12.11 is not today or tomorrow
    lines = report.summary_lines()
    assert "    FV/81/2026: wystawiona 10.11.2026 (offline24), termin wysłania do KSeF: 12.11.2026" in lines

    # The buyer's PDF carries both codes; they decode to the links, which the emulator's pages check.
    pdf = office.client_dir(SELLER) / OFFLINE_DIR / "FV_81_2026.pdf"
    assert str(pdf) == listed["FV/81/2026"]["pdf"] and pdf.with_suffix(".xml").exists()
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "OFFLINE" in text and "CERTYFIKAT" in text
    kod_i, kod_ii = listed["FV/81/2026"]["kod_i"], listed["FV/81/2026"]["kod_ii"]
    assert sorted(decode_qr(pdf, tmp_path)) == sorted([kod_i, kod_ii])
    assert kod_ii.startswith(
        running.base_url.split("/v2")[0] + "/certificate/Nip/" + SELLER + "/" + SELLER + "/"
    )
    verified = check(kod_ii)
    assert verified.status_code == 200, verified.text
    assert check(kod_i).status_code == 404  # not in KSeF yet

    rows = read_entry(path)
    assert [r[E.H_STATUS] for r in rows] == [E.STATUS_PENDING] * 2
    assert rows[0][E.H_MESSAGE].startswith("Wystawiona offline (offline24) — wyślij do KSeF do 09.11.2026")
    sheet = load_workbook(path)[E.OFFLINE_SHEET]
    assert [c.value for c in sheet[4]] == list(E.OFFLINE_HEADERS)
    assert [sheet.cell(row=r, column=1).value for r in (5, 6)] == ["FV/80/2026", "FV/81/2026"]
    assert sheet.cell(row=6, column=4).value.date() == date(2026, 11, 12)

    # Staff change the price of FV/81 after the buyer got it: the issued version still goes to KSeF.
    edited = read_entry(path)
    edited[1][E.H_PRICE] = 85
    fill_entry(office, SELLER, edited, append=False)

    # KSeF answers again: the next run sends both with offlineMode true, unchanged bytes.
    again = send(office, running, clients=[SELLER], now=at(date(2026, 11, 12)))
    assert not again.problems, again.summary_lines()
    assert any(
        "FV/81/2026 została zmieniona po wystawieniu jej offline; do KSeF trafia wersja przekazana nabywcy "
        "(faktury-offline/FV_81_2026.xml)" in w
        for w in again.clients[0].warnings
    )
    assert {o.number for o in again.clients[0].sent} == {"FV/80/2026", "FV/81/2026"}
    assert offline_rows(running, SELLER) == {"FV/80/2026": ("Offline", 1), "FV/81/2026": ("Offline", 1)}
    assert again.to_json()["offline"] == []
    assert check(kod_i).json()["valid"] is True  # the same KOD I now finds the invoice
    assert [r[E.H_STATUS] for r in read_entry(path)] == [E.STATUS_SENT] * 2
    emptied = load_workbook(path)[E.OFFLINE_SHEET]
    assert emptied.cell(row=5, column=1).value.startswith("Brak")


def test_ksef_down_issues_offline_automatically_with_failure_deadlines_and_warnings(
    office: OfficeFolder, emulator_copy: Any, send_seed: SeededState
) -> None:
    running = emulator_copy()
    enrol_offline_certificate(office, running, send_seed.info.office["nip"])
    config = office.load_config()
    # An announced KSeF failure from Tuesday 10.11 to Friday 13.11 (art. 106nf: 7 business days after).
    office.save_config(
        config.model_copy(update={"ksef_failures": [{"od": "2026-11-10", "do": "2026-11-13"}]})
    )
    path = fill_entry(
        office,
        SELLER,
        [
            line("FV/90/2026", "Usługa", 90, **{E.H_ISSUED: BEFORE_HOLIDAY}),
            line("FV/91/2026", "Usługa", 91, **{E.H_ISSUED: FRIDAY}),
        ],
    )
    running.emulator.faults.fail_next(1, status=503, path_prefix="/sessions/online", method="POST")
    report = send(office, running, clients=[SELLER], now=at(date(2026, 11, 23)))
    (client,) = report.clients
    assert client.offline and client.errors == [], report.summary_lines()
    assert emulator_sales(running, SELLER) == {}
    listed = {o["number"]: (o["mode"], o["deadline"]) for o in report.to_json()["offline"]}
    assert listed == {"FV/90/2026": ("awaria", "2026-11-24"), "FV/91/2026": ("offline24", "2026-11-09")}
    assert any("FV/90/2026 do KSeF mija jutro, 24.11.2026 (awaria KSeF)" in w for w in client.warnings)
    assert any("FV/91/2026 do KSeF minął 09.11.2026" in w for w in client.warnings)
    assert any("Faktury wystawiono offline" in w for w in client.warnings)
    assert (office.client_dir(SELLER) / OFFLINE_DIR / "FV_90_2026.pdf").exists()

    recovered = send(office, running, clients=[SELLER], now=at(date(2026, 11, 24)))
    assert not recovered.problems, recovered.summary_lines()
    assert offline_rows(running, SELLER) == {"FV/90/2026": ("Offline", 1), "FV/91/2026": ("Offline", 1)}
    assert [r[E.H_STATUS] for r in read_entry(path)] == [E.STATUS_SENT] * 2


def test_without_an_offline_certificate_nothing_is_issued_offline(
    office: OfficeFolder, emulator_copy: Any
) -> None:
    running = emulator_copy()
    path = fill_entry(office, SELLER, [line("FV/85/2026", "Usługa", 85, **{E.H_ISSUED: FRIDAY})])
    report = send(office, running, clients=[SELLER], offline=True, now=at(BEFORE_HOLIDAY))
    (client,) = report.clients
    assert report.problems and client.errors == [NO_SIGNER]
    assert report.to_json()["offline"] == []
    assert not (office.client_dir(SELLER) / OFFLINE_DIR).exists()
    assert read_entry(path)[0][E.H_STATUS] in ("", None, E.STATUS_PENDING)
    assert E.OFFLINE_SHEET not in load_workbook(path).sheetnames


def test_technical_correction_of_a_rejected_offline_invoice_once(
    office: OfficeFolder, emulator_copy: Any, send_seed: SeededState, capsys: pytest.CaptureFixture[str]
) -> None:
    running = emulator_copy()
    enrol_offline_certificate(office, running, send_seed.info.office["nip"])
    # FV/95 goes to KSeF online; then the same number is issued offline with other content by mistake.
    fill_entry(office, SELLER, [line("FV/95/2026", "Usługa", 95, **{E.H_ISSUED: FRIDAY})])
    first = send(office, running, clients=[SELLER])
    assert not first.problems, first.summary_lines()
    fill_entry(office, SELLER, [line("FV/95/2026", "Usługa dodatkowa", 96, **{E.H_ISSUED: BEFORE_HOLIDAY})])
    issued = send(office, running, clients=[SELLER], offline=True, now=at(BEFORE_HOLIDAY))
    (offline_item,) = issued.to_json()["offline"]
    rejected = send(office, running, clients=[SELLER], now=at(date(2026, 11, 12)))
    (outcome,) = rejected.clients[0].rejected
    assert outcome.code == 440 and "FV/95/2026" in outcome.message
    original = Path(offline_item["pdf"]).with_suffix(".xml")
    assert f"ksef-sheets send --client {SELLER} --correct {original} POPRAWIONA.xml" in outcome.message

    # The office fixes the number (a technical reason: the duplicate) and sends the correction.
    fixed = office.root / "poprawiona.xml"
    fixed.write_bytes(original.read_bytes().replace(b"<P_2>FV/95/2026</P_2>", b"<P_2>FV/95A/2026</P_2>"))
    corrected = send(office, running, clients=[SELLER], correction=(original, fixed))
    assert not corrected.problems, corrected.summary_lines()
    (sent,) = corrected.to_json()["clients"][0]["invoices"]
    assert sent["status"] == E.STATUS_SENT and sent["number"] == "FV/95A/2026"
    assert offline_rows(running, SELLER)["FV/95A/2026"] == ("Offline", 1)
    assert fixed.exists()  # the office's own file is not moved

    # KOD I on the buyer's PDF (the original) now leads to the corrected invoice.
    page = check(offline_item["kod_i"])
    assert page.status_code == 200 and f"Numer KSeF: {sent['ksef_number']}" in page.json()["lines"]

    # Only one accepted correction per original (21166).
    second = office.root / "poprawiona-2.xml"
    second.write_bytes(original.read_bytes().replace(b"<P_2>FV/95/2026</P_2>", b"<P_2>FV/95B/2026</P_2>"))
    again = send(office, running, clients=[SELLER], correction=(original, second))
    assert again.problems
    (failed,) = again.clients[0].failed
    assert "(kod 21166)" in failed.message and "posiada już przetworzoną prawidłowo korektę" in failed.message
    assert "FV/95B/2026" not in emulator_sales(running, SELLER).values()


def test_correct_needs_one_client(office: OfficeFolder, capsys: pytest.CaptureFixture[str]) -> None:
    original, fixed = office.root / "a.xml", office.root / "b.xml"
    code = main(["send", "--correct", str(original), str(fixed), "--dir", str(office.root)])
    captured = capsys.readouterr()
    assert code == 1 and "podaj --client NIP" in captured.out + captured.err
    code = main(
        [
            "send",
            "--offline",
            "--client",
            SELLER,
            "--correct",
            str(original),
            str(fixed),
            "--dir",
            str(office.root),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1 and "nie łącz jej z --offline ani --dry-run" in captured.out + captured.err


def _waiting(mode: str, issued: date, deadline: date | None) -> OfflineInvoice:
    return OfflineInvoice(
        client_nip=SELLER,
        invoice_hash="x",
        number="FV/1/2026",
        source="arkusz",
        mode=mode,
        issue_date=issued,
        issued_at=at(issued),
        deadline=deadline,
        kod_i="",
        kod_ii="",
        pdf=None,
        state="waiting",
        ksef_number=None,
        message=None,
        corrects_hash=None,
        xml=b"",
    )


@pytest.mark.parametrize(
    ("failures", "expected"),
    [
        ([], date(2026, 11, 9)),
        # A failure announced while the invoice waits (from the deadline day): 7 business days after it ends.
        ([{"od": "2026-11-09", "do": "2026-11-10"}], date(2026, 11, 20)),
        # Still lasting: the deadline is not known yet.
        ([{"od": "2026-11-09"}], None),
        # After the deadline, or before the issue: no effect.
        (
            [{"od": "2026-11-10", "do": "2026-11-13"}, {"od": "2026-11-02", "do": "2026-11-05"}],
            date(2026, 11, 9),
        ),
    ],
)
def test_a_failure_while_an_offline24_invoice_waits_moves_its_deadline(
    office: OfficeFolder, failures: list[dict[str, str]], expected: date | None
) -> None:
    config = office.load_config().model_copy(update={"ksef_failures": failures})
    item = _waiting("offline24", FRIDAY, date(2026, 11, 9))
    assert current_deadline(config, item).deadline == expected


def test_a_failure_invoice_gets_its_deadline_once_the_end_is_recorded(office: OfficeFolder) -> None:
    item = _waiting("awaria", BEFORE_HOLIDAY, None)
    lasting = office.load_config().model_copy(update={"ksef_failures": [{"od": "2026-11-10"}]})
    assert current_deadline(lasting, item).deadline is None
    ended = lasting.model_copy(update={"ksef_failures": [{"od": "2026-11-10", "do": "2026-11-13"}]})
    assert current_deadline(ended, item).deadline == date(2026, 11, 24)


def test_cli_send_offline_json_and_text(
    office: OfficeFolder, emulator_copy: Any, send_seed: SeededState, capsys: pytest.CaptureFixture[str]
) -> None:
    running = emulator_copy()
    enrol_offline_certificate(office, running, send_seed.info.office["nip"])
    fill_entry(office, SELLER, [line("FV/88/2026", "Usługa", 88, **{E.H_ISSUED: FRIDAY})])
    # --offline contacts no KSeF at all: the command line works without the office's emulator.
    code = main(["send", "--offline", "--client", SELLER, "--json", "--dir", str(office.root)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0, out
    (item,) = out["offline"]
    assert (item["number"], item["mode"], item["deadline"], item["state"]) == (
        "FV/88/2026",
        "offline24",
        "2026-11-09",
        "waiting",
    )
    assert item["kod_ii"].startswith("https://qr.emulator.invalid/certificate/Nip/")
    assert out["clients"][0]["offline_invoices"] == [item]

    code = main(["send", "--offline", "--client", SELLER, "--dir", str(office.root)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "  Do wysłania offline (1):" in captured.out
    assert (
        "    FV/88/2026: wystawiona 06.11.2026 (offline24), termin wysłania do KSeF: 09.11.2026"
        in captured.out
    )
    assert "minął 09.11.2026" in captured.err  # a passed deadline is a warning (stderr)
