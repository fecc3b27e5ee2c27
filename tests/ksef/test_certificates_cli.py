"""``credentials enrol | certificates | revoke-certificate`` end to end: an office folder whose KSeF is
the emulator (in-process, loopback HTTP), the vault on disk, the audit log in the archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import run_emulator
from ksef_sheets.vault import Vault

PASS = "haslo-do-sejfu-biura"


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[OfficeFolder, Any]:
    folder = OfficeFolder(tmp_path / "biuro")
    with run_emulator(folder.emulator_dir, office=demo_seed_office(), seed=7, clients=1) as running:
        seed = running.seed_info
    assert seed is not None
    config = OfficeConfig.model_validate(
        {
            "office_nip": seed.office["nip"],
            "office_name": seed.office["name"],
            "clients": [c["nip"] for c in seed.clients],
            "emulator_seed": 7,
        }
    )
    folder.save_config(config)
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    return folder, seed


def _run(args: list[str], folder: OfficeFolder, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([*args, "--dir", str(folder.root)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_enrol_list_revoke_from_the_command_line(
    office: tuple[OfficeFolder, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, seed = office
    code, out, err = _run(["credentials", "enrol", "--name", "biuro-ksef"], folder, capsys)
    assert code == 1 and "nie istnieje — dodaj poświadczenie" in out + err

    code, out, err = _run(
        ["credentials", "add", "--name", "biuro", "--self-signed", "--default"], folder, capsys
    )
    assert code == 0, out + err

    code, out, err = _run(["credentials", "enrol", "--name", "biuro-ksef"], folder, capsys)
    assert code == 0, out + err
    assert f"Logowanie do KSeF certyfikatem cert:biuro w kontekście biura {seed.office['nip']}" in out
    assert "Generowanie klucza EC P-256 na tym komputerze" in out
    assert "Zapisano certyfikat KSeF nr" in out and "w sejfie jako cert:biuro-ksef" in out

    code, out, err = _run(
        ["credentials", "enrol", "--name", "biuro-offline", "--type", "Offline", "--json"], folder, capsys
    )
    assert code == 0, out + err
    offline = json.loads(out)
    assert offline["type"] == "Offline" and offline["default"] is False

    # The enrolled certificate logs in by itself (``--login``) and KSeF lists both.
    code, out, err = _run(["credentials", "certificates", "--json", "--login", "biuro-ksef"], folder, capsys)
    assert code == 0, out + err
    listed = {item["vault_reference"]: item for item in json.loads(out)}
    assert set(listed) == {"cert:biuro-ksef", "cert:biuro-offline"}
    auth = listed["cert:biuro-ksef"]
    assert auth["status"] == "Active" and auth["type"] == "Authentication" and auth["last_use_date"]
    assert auth["subject"] == {"type": "Nip", "value": seed.office["nip"]}

    code, out, err = _run(["credentials", "certificates"], folder, capsys)
    assert code == 0, out + err
    assert "Certyfikaty KSeF (2 certyfikaty)" in out and "aktywny" in out

    code, out, err = _run(["credentials", "revoke-certificate", "biuro-ksef"], folder, capsys)
    assert code == 0, out + err
    assert (
        f"Unieważniono certyfikat KSeF nr {auth['serial_number']} i usunięto cert:biuro-ksef z sejfu." in out
    )

    code, out, err = _run(["credentials", "certificates", "--json"], folder, capsys)
    statuses = {item["serial_number"]: item["status"] for item in json.loads(out)}
    assert statuses[auth["serial_number"]] == "Revoked"
    code, out, err = _run(["credentials", "revoke-certificate", auth["serial_number"]], folder, capsys)
    assert code == 1 and "już unieważniony" in out + err

    # Bad input: one Polish sentence, exit 1, nothing changed.
    for args, text in (
        (
            ["credentials", "enrol", "--name", "x1", "--type", "Podpis"],
            "dozwolone Authentication albo Offline",
        ),
        (["credentials", "revoke-certificate", "cos-innego"], "nie jest ani numerem seryjnym"),
        (["credentials", "revoke-certificate", "biuro"], "nie jest certyfikatem KSeF"),
        (["credentials", "enrol", "--name", "biuro-offline"], "jest już poświadczenie cert:biuro-offline"),
        (["credentials", "certificates", "--person", "123"], "nie jest numerem PESEL"),
        (["credentials", "revoke-certificate", "0123456789ABCDEF", "--reason", "Zgubiony"], "Opcja --reason"),
    ):
        code, out, err = _run(args, folder, capsys)
        assert code == 1 and text in out + err, (args, out, err)
        assert "Traceback" not in out + err

    code, out, err = _run(["credentials", "list", "--json"], folder, capsys)
    kinds = {e["reference"]: (e["ksef_type"], e["ksef_serial"]) for e in json.loads(out)}
    assert kinds == {"cert:biuro": (None, None), "cert:biuro-offline": ("Offline", offline["serial_number"])}

    vault = Vault.open(folder, PASS)
    assert vault.references() == ["cert:biuro", "cert:biuro-offline"]
    # No key material anywhere the office can read.
    key_line = vault.get("cert:biuro-offline").private_key_pem().splitlines()[1]  # type: ignore[union-attr]
    assert key_line not in folder.vault_file.read_bytes()
    for path in folder.root.rglob("*"):
        if path.is_file() and path != folder.vault_file:
            assert key_line not in path.read_bytes(), path

    from ksef_sheets.sync.archive import Archive

    with Archive.open(folder) as archive:
        entries = archive.audit_log()
    actions = [
        (e.action, json.loads(e.details).get("wynik"))
        for e in reversed(entries)
        if e.action.startswith("certyfikat KSeF")
    ]
    assert actions[:4] == [
        ("certyfikat KSeF: wniosek", "ok"),
        ("certyfikat KSeF: wniosek", "ok"),
        ("certyfikat KSeF: lista", "ok"),
        ("certyfikat KSeF: lista", "ok"),
    ]
    assert ("certyfikat KSeF: unieważnienie", "ok") in actions
    assert ("certyfikat KSeF: unieważnienie", "błąd") in actions


def test_enrol_for_a_person_logs_in_with_their_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ksef_sheets.ksef import make_person_certificate

    pesel = "90010112318"
    folder = OfficeFolder(tmp_path / "biuro")
    with run_emulator(folder.emulator_dir, office=demo_seed_office(), seed=7, clients=1) as running:
        seed = running.seed_info
        assert seed is not None
        # The person is linked to the office's NIP (TEST's /testdata/person), so may log in there.
        running.emulator.subjects.add_person(seed.office["nip"], pesel)
    folder.save_config(
        OfficeConfig.model_validate(
            {"office_nip": seed.office["nip"], "office_name": seed.office["name"], "emulator_seed": 7}
        )
    )
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    Vault.open(folder).add_certificate(
        "anna", make_person_certificate("Anna", "Nowak", pesel=pesel, name="anna")
    )

    code, out, err = _run(
        ["credentials", "enrol", "--name", "anna-ksef", "--person", "12345678901"], folder, capsys
    )
    assert code == 1 and "nie ma ważnego certyfikatu osoby 12345678901" in out + err
    code, out, err = _run(["credentials", "enrol", "--name", "anna-ksef", "--person", pesel], folder, capsys)
    assert code == 0, out + err
    assert "certyfikatem cert:anna" in out
    code, out, err = _run(["credentials", "certificates", "--person", pesel, "--json"], folder, capsys)
    assert code == 0, out + err
    (item,) = json.loads(out)
    assert item["subject"] == {"type": "Pesel", "value": pesel}
    assert item["common_name"] == "Anna Nowak" and item["vault_reference"] == "cert:anna-ksef"
    # The person's KSeF certificate logs in by itself and sees the same list.
    code, out, err = _run(["credentials", "certificates", "--login", "anna-ksef", "--json"], folder, capsys)
    assert code == 0, out + err
    assert [i["serial_number"] for i in json.loads(out)] == [item["serial_number"]]
