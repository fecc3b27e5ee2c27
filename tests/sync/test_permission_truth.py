"""One source of truth for the office's KSeF permissions: what KSeF answers in the client's context.

Every combination of what a client granted the office (nothing / read / read + write / write only,
each with and without canDelegate) in every scenario is seeded in a real emulator, while the
register says the opposite. After ``fetch`` and ``permissions`` the four places staff look agree
with KSeF: what fetch did (fetched, skipped or a problem), the register's permission columns, the
next step, and the ``permissions`` report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeFolder
from ksef_sheets.emulator import Emulator
from ksef_sheets.identifiers import nip_check_digit
from ksef_sheets.ksef import make_seal_certificate
from ksef_sheets.office.model import COLUMN_BY_FIELD
from ksef_sheets.office.scenarios import PERMISSION_NAMES, required_permissions
from ksef_sheets.sheets import load_clients
from ksef_sheets.vault import Vault
from ksef_sheets.workflows import import_clients, init_office

OFFICE_NIP = "5275260184"
OFFICE_NAME = "Biuro Testowe Uprawnień"
PASSPHRASE = "haslo-sejfu-uprawnien"
READ, WRITE, DELEGATE = "InvoiceRead", "InvoiceWrite", "canDelegate"
GRANTS: tuple[tuple[str, ...], ...] = ((), (READ,), (READ, WRITE), (WRITE,))


@dataclass(frozen=True)
class Case:
    nip: str
    scenario: int
    granted: tuple[str, ...]
    delegate: bool

    @property
    def read(self) -> bool:
        return READ in self.granted

    @property
    def write(self) -> bool:
        return WRITE in self.granted

    @property
    def can_delegate(self) -> bool:
        return self.delegate and bool(self.granted)

    def missing(self) -> list[str]:
        held = {READ: self.read, WRITE: self.write, DELEGATE: self.can_delegate}
        return [p for p in required_permissions(self.scenario) if not held[p]]


def _nip(index: int) -> str:
    while True:
        body = f"{731 + index // 1000:03d}{index % 1000:03d}{index % 7}0{index % 10}"[:9]
        digit = nip_check_digit(body)
        if digit is not None:
            return body + str(digit)
        index += 1000


def _cases() -> list[Case]:
    cases: list[Case] = []
    for scenario in (1, 2, 3):
        for granted in GRANTS:
            for delegate in (False, True) if granted else (False,):
                cases.append(Case(_nip(len(cases) * 37 + 11), scenario, granted, delegate))
    assert len({c.nip for c in cases}) == len(cases)
    return cases


CASES = _cases()


def _seed_emulator(state: Path) -> None:
    emu = Emulator(state)
    try:
        emu.subjects.add(OFFICE_NIP, OFFICE_NAME)
        for case in CASES:
            emu.subjects.add(case.nip, f"Klient {case.nip}")
            if case.granted:
                emu.permissions.grant_entity(case.nip, OFFICE_NIP, list(case.granted), case.delegate)
    finally:
        emu.close()


def _write_register(folder: OfficeFolder, tmp_path: Path) -> None:
    """Clients imported from a list, then staff typed the opposite of KSeF into the permission columns."""
    init_office(folder, office_nip=OFFICE_NIP, office_name=OFFICE_NAME)
    source = tmp_path / "klienci.csv"
    lines = ["NIP;Nazwa;E-mail;Scenariusz;Forma prawna"]
    lines += [f"{c.nip};Klient {c.nip};biuro{c.nip}@example.pl;{c.scenario};JDG" for c in CASES]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_clients(folder, source)
    assert not report.errors, report.errors

    header = {f: COLUMN_BY_FIELD[f].header for f in COLUMN_BY_FIELD}
    typed = {case.nip: case for case in CASES}
    wb = load_workbook(folder.office_workbook)
    ws = next(w for w in wb.worksheets if "Klienci" in w.tables)
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables["Klienci"].ref)
    col = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
    for r in range(min_row + 1, max_row + 1):
        case = typed.get(str(ws.cell(r, col["NIP"]).value))
        if case is None:
            continue
        staff = {
            "knows_ksef": "tak",
            "annex_status": "podpisany",
            "annex_date": date(2026, 3, 1),
            "authorisation_status": "podpisane",
            "authorisation_date": date(2026, 3, 1),
            "credential_ref": "sejf:biuro",
            # The opposite of what KSeF will answer.
            "perm_invoice_read": "nie" if case.read else "tak",
            "perm_invoice_write": "nie" if case.write else "tak",
            "perm_can_delegate": "nie" if case.can_delegate else "tak",
        }
        for name, value in staff.items():
            ws.cell(r, col[header[name]]).value = value
    wb.save(folder.office_workbook)


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OfficeFolder:
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    folder = OfficeFolder(tmp_path / "biuro")
    _write_register(folder, tmp_path)
    state = tmp_path / "emulator"
    _seed_emulator(state)
    config = folder.load_config()
    folder.save_config(
        config.model_copy(
            update={"environment": "emulator", "emulator_state": str(state), "fetch_from": "2026-02-01"}
        )
    )
    Vault.open(folder).add_certificate("biuro", make_seal_certificate(OFFICE_NIP, OFFICE_NAME), default=True)
    return folder


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _check_register(folder: OfficeFolder, place: str) -> None:
    by_nip = {c.nip: c for c in load_clients(folder)}
    for case in CASES:
        client = by_nip[case.nip]
        label = f"{place}: {case}"
        assert (client.perm_invoice_read, client.perm_invoice_write, client.perm_can_delegate) == (
            case.read,
            case.write,
            case.can_delegate,
        ), label
        missing = case.missing()
        asks = "Poproś klienta o nadanie NIP biura uprawnień" in client.next_step
        assert asks == bool(missing), (label, client.next_step)
        for code, held in ((READ, case.read), (WRITE, case.write)):
            named = f"„{PERMISSION_NAMES[code]}” ({code})" in client.next_step
            if asks:  # exactly the missing permissions are asked for
                assert named == (code in missing), (label, client.next_step)
            else:  # at most a hint to ask for one the office does not hold
                assert not (named and held), (label, client.next_step)
        assert ("wymaga uprawnień" in client.problems) == bool(missing), (label, client.problems)


def test_fetch_register_next_step_and_permissions_agree_with_ksef(
    office: OfficeFolder, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = str(office.root)
    code, out, err = _run(["fetch", "--json", "--dir", root], capsys)
    assert "Traceback" not in err
    report = {c["nip"]: c for c in json.loads(out)["clients"]}
    for case in CASES:
        result = report[case.nip]
        label = str(case)
        if case.scenario == 1 and not case.read:
            assert result["skipped"] and "„przeglądanie faktur” (InvoiceRead)" in result["skipped"], label
            assert not result["errors"], label
        elif case.read:
            assert not result["skipped"] and not result["errors"], (label, result["errors"])
            expected = {"Subject2"} if case.scenario == 2 else {"Subject1", "Subject2"}
            assert set(result["subjects"]) == expected, label
        else:
            assert not result["skipped"], label
            assert any("„przeglądanie faktur” (InvoiceRead)" in e for e in result["errors"]), label
        assert result["office_access"] == {
            READ: case.read,
            WRITE: case.write,
            DELEGATE: case.can_delegate,
        }, label
    # Only the scenario-2/3 clients without read access are problems of the run.
    assert code == (1 if any(c.scenario in (2, 3) and not c.read for c in CASES) else 0)
    _check_register(office, "po pobraniu")

    # Staff type the opposite again; `permissions` reads KSeF and puts the truth back.
    _write_register(office, office.root.parent)
    code, out, err = _run(["permissions", "--json", "--dir", root], capsys)
    assert code == 0, err
    answered = {r["nip"]: r for r in json.loads(out)}
    for case in CASES:
        row = answered[case.nip]
        assert row["problem"] is None, (case, row["problem"])
        assert row["office_access"] == {READ: case.read, WRITE: case.write, DELEGATE: case.can_delegate}
        office_rows = {
            (p["permission"], p["can_delegate"]) for p in row["permissions"] if p["holder"] == OFFICE_NIP
        }
        assert office_rows == {(p, case.delegate) for p in case.granted}, case
    _check_register(office, "po permissions")

    # The table staff read: the Polish name, the code beside it; no bare code as a column header.
    both = next(c for c in CASES if c.granted == (READ, WRITE) and c.delegate)
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = _run(["permissions", "--dir", root, "--client", both.nip], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert any("wystawianie faktur" in line and "InvoiceWrite" in line for line in lines), out
    assert any("przeglądanie faktur" in line and "InvoiceRead" in line for line in lines), out
    assert "canDelegate" not in out and "Przekaże" in out
