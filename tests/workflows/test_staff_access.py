"""After 31 December: credentials migrate, staff grant/revoke, the Uprawnienia and Audyt sheets.

One seeded office (emulator over loopback HTTP, real XAdES and crypto, real biuro.xlsx read back)
is built once and copied for each test. Its clients, as KSeF holds them:

- A 5210537039 (scenario 2): the office's entity grants from the seed (InvoiceRead, canDelegate),
  a KSeF token in the vault; the office may also manage credentials there (CredentialsManage);
- B 6762966431 (scenario 3): the office lost InvoiceWrite (only InvoiceRead left); certificate;
- C 7798676685 (scenario 2): the client took every permission back from the office; token;
- D 8948836028 (register: scenario 2): InvoiceRead without canDelegate; certificate.

Staff: Anna (active), Piotr (left on 30.11.2026) holding an indirect grant for A and B and a direct
grant in A's context; an unknown PESEL holding an indirect grant for A.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import run_emulator
from ksef_sheets.ksef import KsefClient, KsefError, make_person_certificate, make_seal_certificate
from ksef_sheets.office.convert import client_to_row
from ksef_sheets.office.model import REGISTER_HEADERS, Client
from ksef_sheets.sheets.office_access import (
    MISMATCH_EXPIRING,
    MISMATCH_LEAVER,
    MISMATCH_SCENARIO,
    MISMATCH_TOKEN,
    MISMATCH_UNKNOWN,
    STAFF_SPEC,
)
from ksef_sheets.sheets.office_workbook import open_office_workbook, save_office_workbook
from ksef_sheets.sheets.tables import OpenpyxlTables
from ksef_sheets.vault import Vault
from ksef_sheets.workflows import init_office

PASS = "haslo-do-sejfu-biura"
A, B, C, D = "5210537039", "6762966431", "7798676685", "8948836028"


def pesel(first_ten: str) -> str:
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return first_ten + str((10 - sum(int(d) * w for d, w in zip(first_ten, weights, strict=True)) % 10) % 10)


ANNA = pesel("9001011234")
PIOTR = pesel("8505052345")
STRANGER = pesel("7707073456")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = OfficeFolder(tmp_path_factory.mktemp("seeded") / "biuro")
    with run_emulator(folder.emulator_dir, office=demo_seed_office(), seed=42, clients=4) as running:
        seed = running.seed_info
        assert seed is not None
        office = seed.office["nip"]
        emu = running.emulator
        db = emu.db
        db.execute(
            "DELETE FROM permissions WHERE scope='entity' AND context_value=? AND permission='InvoiceWrite'",
            (B,),
        )
        emu.permissions.revoke_all(context_value=C, subject_type="Nip", subject_value=office)
        db.execute("UPDATE permissions SET can_delegate=0 WHERE scope='entity' AND context_value=?", (D,))
        emu.permissions.grant_person(
            A, "Nip", office, ["CredentialsManage"], first_name="Biuro", last_name="B"
        )
        emu.permissions.grant_indirect(office, "Pesel", PIOTR, ["InvoiceRead"], target_nip=A)
        emu.permissions.grant_indirect(office, "Pesel", PIOTR, ["InvoiceRead"], target_nip=B)
        emu.permissions.grant_person(
            A, "Pesel", PIOTR, ["InvoiceRead"], first_name="Piotr", last_name="Nowak"
        )
        emu.permissions.grant_indirect(office, "Pesel", STRANGER, ["InvoiceRead"], target_nip=A)
        tokens = {c["nip"]: c["token"] for c in seed.clients}
    init_office(folder, office_nip=office, office_name=seed.office["name"])
    data = folder.load_config().model_dump(mode="json")
    data.update(environment="emulator", emulator_seed=42)
    folder.save_config(OfficeConfig.model_validate(data))
    wb = open_office_workbook(folder.office_workbook)
    tables = OpenpyxlTables(wb)
    clients = [
        Client(A, "Nowak IT Consulting Jan Nowak", scenario=2, email="a@example.pl"),
        Client(B, "Studio Urody Malwa", scenario=3, email="b@example.pl"),
        Client(C, "Budmax Sp. z o.o.", scenario=2, email="c@example.pl"),
        Client(D, "Hurtownia Smak Sp. z o.o.", scenario=2, email="d@example.pl"),
    ]
    tables.write_table("Klienci", [client_to_row(c) for c in clients], headers=REGISTER_HEADERS)
    staff = [
        {"Imię i nazwisko": "Anna Kowalska", "PESEL lub NIP": ANNA, "Rola": "księgowa"},
        {
            "Imię i nazwisko": "Piotr Nowak",
            "PESEL lub NIP": PIOTR,
            "Rola": "księgowy",
            "Data odejścia": date(2026, 11, 30),
        },
    ]
    tables.write_table(STAFF_SPEC.table, staff, headers=STAFF_SPEC.headers)
    save_office_workbook(wb, folder.office_workbook)
    vault = Vault.open(folder, PASS, create=True)
    vault.add_token(A, tokens[A])
    vault.add_token(C, tokens[C])
    vault.add_certificate("biuro", make_seal_certificate(office, seed.office["name"]), default=True)
    return folder.root, office


@pytest.fixture
def office(
    seeded: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[OfficeFolder, str]:
    root, office_nip = seeded
    copy = tmp_path / "biuro"
    shutil.copytree(root, copy)
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    return OfficeFolder(copy), office_nip


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def _migrate(folder: OfficeFolder, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, Any]]:
    code, out, err = _run(["credentials", "migrate", "--json", *extra, "--dir", str(folder.root)], capsys)
    assert code == 0, err
    result: list[dict[str, Any]] = json.loads(out)
    return result


def test_migrate_sorts_clients_into_the_groups_exactly(
    office: tuple[OfficeFolder, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, office_nip = office
    report = _migrate(folder, capsys)
    assert [r["nip"] for r in report] == [A, B, C, D], "each register client once, in register order"
    groups = {r["nip"]: r["group"] for r in report}
    assert groups == {A: "works", B: "needs_permission", C: "needs_permission", D: "works"}
    by_nip = {r["nip"]: r for r in report}
    assert by_nip[B]["missing"] == ["InvoiceWrite"] and by_nip[C]["missing"] == ["InvoiceRead"]
    assert "InvoiceWrite" in by_nip[B]["next_step"] and office_nip in by_nip[B]["next_step"]
    assert by_nip[A]["credential"] == f"token:{A}" and "--remove-tokens" in by_nip[A]["next_step"]
    assert by_nip[D]["credential"] == "cert:biuro"
    assert all(isinstance(r["days_left"], int) and r["days_left"] >= 0 for r in report)
    assert len({r["days_left"] for r in report}) == 1

    # Without a certificate in the vault nothing can be tried: every client is "no_certificate".
    vault = Vault.open(folder, PASS)
    vault.remove("cert:biuro")
    report = _migrate(folder, capsys)
    assert {r["group"] for r in report} == {"no_certificate"} and len(report) == 4


def test_remove_tokens_only_where_the_certificate_works_and_audit_it(
    office: tuple[OfficeFolder, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = office
    report = _migrate(folder, capsys, "--remove-tokens")
    removed = [r["nip"] for r in report if r["token_removed"]]
    assert removed == [A], "C still needs its token: the certificate does not work there"
    vault = Vault.open(folder, PASS)
    assert f"token:{A}" not in vault and f"token:{C}" in vault
    code, out, err = _run(["audit", "--json", "--client", A, "--dir", str(folder.root)], capsys)
    assert code == 0, err
    entries = json.loads(out)
    assert [e["action"] for e in entries] == ["poświadczenia"]
    assert "usunięto token" in entries[0]["details"] and entries[0]["result"] == "ok"
    assert entries[0]["at_local"].count(".") == 2  # dd.mm.rrrr HH:MM, Warsaw
    # A credential change by hand is audited too (the reference, never the token).
    code, out, err = _run(["credentials", "remove", f"token:{C}", "--dir", str(folder.root)], capsys)
    assert code == 0, err
    code, out, err = _run(["audit", "--json", "--client", C, "--dir", str(folder.root)], capsys)
    assert [e["details"] for e in json.loads(out)] == [f"usunięto token:{C} z sejfu"]


def test_letters_for_exactly_the_clients_needing_permission(
    office: tuple[OfficeFolder, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = office
    code, _out, err = _run(["credentials", "migrate", "--letters", "--dir", str(folder.root)], capsys)
    assert code == 0, err
    with_email = {
        nip
        for nip in (A, B, C, D)
        if any(folder.documents_dir(nip).glob("email-uprawnienia*"))
        if folder.documents_dir(nip).exists()
    }
    assert with_email == {B, C}


def _person_login_fails(base_url: str, person: Any, nip: str) -> KsefError | None:
    import asyncio

    async def attempt() -> KsefError | None:
        async with KsefClient(base_url) as ksef:
            try:
                session = await ksef.login_with_certificate(nip, person)
            except KsefError as error:
                return error
            await session.logout()
            return None

    return asyncio.run(attempt())


def test_staff_revoke_removes_every_grant_and_the_next_login_fails(
    office: tuple[OfficeFolder, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = office
    piotr = make_person_certificate("Piotr", "Nowak", pesel=PIOTR)
    with run_emulator(folder.emulator_dir) as running:
        assert _person_login_fails(running.base_url, piotr, A) is None
        assert _person_login_fails(running.base_url, piotr, B) is None
    code, out, err = _run(["staff", "revoke", "--person", PIOTR, "--json", "--dir", str(folder.root)], capsys)
    assert code == 0, err
    operations = json.loads(out)["operations"]
    assert sorted((o["nip"], o["permission"]) for o in operations) == [
        (A, "InvoiceRead"),
        (A, "InvoiceRead"),
        (B, "InvoiceRead"),
    ]
    assert all(o["ok"] and o["reference"] for o in operations)
    with run_emulator(folder.emulator_dir) as running:
        left = running.emulator.db.execute(
            "SELECT COUNT(*) FROM permissions WHERE subject_value = ?", (PIOTR,)
        ).fetchone()[0]
        assert left == 0
        for nip in (A, B, C, D):
            error = _person_login_fails(running.base_url, piotr, nip)
            assert error is not None and error.code == 415, (nip, error)
        # Other people keep theirs.
        kept = running.emulator.db.execute(
            "SELECT COUNT(*) FROM permissions WHERE subject_value = ?", (STRANGER,)
        ).fetchone()[0]
        assert kept == 1
    code, out, err = _run(["audit", "--json", "--dir", str(folder.root)], capsys)
    revokes = [e for e in json.loads(out) if e["action"] == "uprawnienia: odebranie"]
    assert len(revokes) == 3 and all(e["result"] == "ok" and "Piotr Nowak" in e["details"] for e in revokes)


def test_staff_grant_needs_delegable_permissions(
    office: tuple[OfficeFolder, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = office
    args = ["staff", "grant", "--person", ANNA, "--client", A, "--client", D, "--client", C]
    code, out, err = _run([*args, "--dir", str(folder.root)], capsys)
    assert code == 1
    assert f"Nadano InvoiceRead w kontekście klienta {A}." in out
    assert f"Klient {D} nie nadał biuru uprawnienia InvoiceRead z prawem dalszego przekazywania" in err
    assert f"Klient {C} nie nadał biuru" in err
    anna = make_person_certificate("Anna", "Kowalska", pesel=ANNA)
    with run_emulator(folder.emulator_dir) as running:
        assert _person_login_fails(running.base_url, anna, A) is None
        error = _person_login_fails(running.base_url, anna, D)
        assert error is not None and error.code == 415
    # A leaver gets nothing.
    code, out, err = _run(["staff", "grant", "--person", PIOTR, "--all", "--dir", str(folder.root)], capsys)
    assert code == 1 and "odszedł" in err and "Traceback" not in err
    # Someone not in the staff register.
    code, out, err = _run(
        ["staff", "grant", "--person", STRANGER, "--all", "--dir", str(folder.root)], capsys
    )
    assert code == 1 and "arkuszu Pracownicy" in err


def test_uprawnienia_sheet_flags_each_mismatch_and_nothing_else(
    office: tuple[OfficeFolder, str], capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from ksef_sheets.ksef.permissions import read_permissions
    from ksef_sheets.workflows import refresh_permissions_sheet

    folder, office_nip = office
    vault = Vault.open(folder, PASS)
    vault.remove(f"token:{C}")  # KSeF invalidated it with the permissions; C runs on the certificate
    today = date(2026, 12, 10)  # tokens end in 21 days

    async def read(base_url: str) -> Any:
        async with KsefClient(base_url) as ksef:
            return await read_permissions(
                ksef, [(n, "") for n in (A, B, C, D)], vault.credential_for_client, office_nip=office_nip
            )

    with run_emulator(folder.emulator_dir) as running:
        results = asyncio.run(read(running.base_url))
        refresh_permissions_sheet(folder, folder.load_config(), vault, results, running.base_url, today=today)
    wb = load_workbook(folder.office_workbook)
    ws = wb["Uprawnienia"]
    assert "Uprawnienia" in ws.tables, "an Excel table: filterable"
    table = ws.tables["Uprawnienia"]
    rows = list(ws[table.ref])
    headers = [c.value for c in rows[0]]
    assert headers[:5] == ["NIP klienta", "Klient", "Kto", "Identyfikator", "Uprawnienie"]
    data = [dict(zip(headers, (c.value for c in row), strict=True)) for row in rows[1:]]
    flagged = set()
    for row in data:
        for flag in filter(None, (row["Niezgodność"] or "").split("; ")):
            flagged.add((row["NIP klienta"], row["Identyfikator"], row["Uprawnienie"], flag))
    scenario = lambda n: f"{MISMATCH_SCENARIO} (scenariusz {n})"  # noqa: E731
    assert flagged == {
        (A, f"token:{A}", "logowanie do KSeF", MISMATCH_TOKEN),
        (A, f"token:{A}", "logowanie do KSeF", MISMATCH_EXPIRING),
        (A, PIOTR, "InvoiceRead", MISMATCH_LEAVER),
        (B, PIOTR, "InvoiceRead", MISMATCH_LEAVER),
        (A, STRANGER, "InvoiceRead", MISMATCH_UNKNOWN),
        (B, office_nip, "InvoiceWrite", scenario(3)),
        (C, office_nip, "InvoiceRead", scenario(2)),
        (D, office_nip, "prawo przekazywania (canDelegate)", scenario(2)),
    }
    # What matches is listed too, unflagged: the office's InvoiceRead at A, B and D.
    held = {
        (r["NIP klienta"], r["Uprawnienie"]) for r in data if r["Kto"] == "biuro" and not r["Niezgodność"]
    }
    assert {(A, "InvoiceRead"), (B, "InvoiceRead"), (D, "InvoiceRead")} <= held
    assert ws.conditional_formatting, "mismatches are coloured"
    assert "Pracownicy" in wb.sheetnames and "Uprawnienia" in wb.sheetnames


def test_permissions_command_refreshes_the_sheet_and_audit_builds_audyt(
    office: tuple[OfficeFolder, str], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = office
    code, out, err = _run(["permissions", "--json", "--dir", str(folder.root)], capsys)
    assert {r["nip"] for r in json.loads(out)} == {A, B, C, D}
    wb = load_workbook(folder.office_workbook)
    ws = wb["Uprawnienia"]
    nips = {row[0].value for row in ws[ws.tables["Uprawnienia"].ref][1:]}
    assert nips == {A, B, C, D}
    assert "Traceback" not in err

    code, out, err = _run(
        ["staff", "grant", "--person", ANNA, "--client", A, "--dir", str(folder.root)], capsys
    )
    assert code == 0, err
    code, out, err = _run(["audit", "--dir", str(folder.root)], capsys)
    assert code == 0, err
    assert "uprawnienia: nadanie" in out and "Anna Kowalska" in out
    wb = load_workbook(folder.office_workbook)
    ws = wb["Audyt"]
    table = ws.tables["Audyt"]
    rows = list(ws[table.ref])
    headers = [c.value for c in rows[0]]
    assert headers == ["Kiedy", "Kto", "Czynność", "NIP klienta", "Wynik", "Szczegóły", "Liczba"]
    entries = [dict(zip(headers, (c.value for c in row), strict=True)) for row in rows[1:]]
    grant = next(e for e in entries if e["Czynność"] == "uprawnienia: nadanie")
    assert grant["NIP klienta"] == A and grant["Wynik"] == "ok" and "Anna Kowalska" in grant["Szczegóły"]
    assert ws.conditional_formatting

    code, out, err = _run(["audit", "--json", "--from", "2099-01-01", "--dir", str(folder.root)], capsys)
    assert code == 0 and json.loads(out) == []
    code, out, err = _run(["audit", "--from", "jutro", "--dir", str(folder.root)], capsys)
    assert code == 1 and "Opcja --from" in err and "Traceback" not in err
