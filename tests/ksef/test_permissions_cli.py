"""``ksef-sheets permissions`` on an office folder whose emulator state was seeded beforehand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ksef_sheets.cli import main
from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import run_emulator
from ksef_sheets.ksef import make_seal_certificate
from ksef_sheets.vault import Vault

PASS = "haslo-do-sejfu-biura"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> tuple[OfficeFolder, Any]:
    folder = OfficeFolder(tmp_path_factory.mktemp("biuro"))
    with run_emulator(folder.emulator_dir, office=demo_seed_office(), seed=42, clients=3) as running:
        seed = running.seed_info
    assert seed is not None
    config = OfficeConfig.model_validate(
        {
            "office_nip": seed.office["nip"],
            "office_name": seed.office["name"],
            "clients": [c["nip"] for c in seed.clients],
            "emulator_seed": 42,  # extra key the office's emulator is started with
        }
    )
    folder.save_config(config)
    return folder, seed


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_permissions_with_tokens_and_with_the_office_seal(
    office: tuple[OfficeFolder, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, seed = office
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    folder.vault_file.unlink(missing_ok=True)
    vault = Vault.open(folder)
    for item in seed.clients:
        vault.add_token(item["nip"], item["token"])

    code, out, err = _run(["permissions", "--json", "--dir", str(folder.root)], capsys)
    assert code == 0, err
    report = json.loads(out)
    assert [r["nip"] for r in report] == [c["nip"] for c in seed.clients]
    for item, row in zip(seed.clients, report, strict=True):
        assert row["credential"] == f"token:{item['nip']}" and row["problem"] is None
        office_rights = {p["permission"] for p in row["permissions"] if p["holder"] == seed.office["nip"]}
        assert office_rights == (
            {"InvoiceRead", "InvoiceWrite"} if item["scenario"] == 3 else {"InvoiceRead"}
        )
    for item in seed.clients:
        assert item["token"] not in out + err

    # Without tokens the office's default certificate (a seal with its NIP) logs in via XAdES.
    first = seed.clients[0]["nip"]
    for item in seed.clients:
        vault.remove(f"token:{item['nip']}")
    vault.add_certificate("biuro", make_seal_certificate(seed.office["nip"], seed.office["name"]))
    code, out, err = _run(["permissions", "--client", first, "--dir", str(folder.root)], capsys)
    assert code == 0, err
    assert "InvoiceRead" in out and first in out and "biuro" in out


def test_one_clients_problem_does_not_stop_the_others(
    office: tuple[OfficeFolder, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, seed = office
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    folder.vault_file.unlink(missing_ok=True)
    vault = Vault.open(folder)
    good, missing, wrong = seed.clients
    vault.add_token(good["nip"], good["token"])
    vault.add_token(wrong["nip"], good["token"])  # another client's token: KSeF refuses it
    code, out, err = _run(["permissions", "--json", "--dir", str(folder.root)], capsys)
    assert code == 1
    report = {r["nip"]: r for r in json.loads(out)}
    assert report[good["nip"]]["problem"] is None and report[good["nip"]]["permissions"]
    assert f"nie ma tokenu KSeF klienta {missing['nip']}" in report[missing["nip"]]["problem"]
    assert f"kontekście klienta {wrong['nip']}" in report[wrong["nip"]]["problem"]
    assert "Traceback" not in err and good["token"] not in out + err


def test_wrong_passphrase_is_one_polish_sentence(
    office: tuple[OfficeFolder, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    folder, _ = office
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", PASS)
    if not folder.vault_file.exists():
        Vault.open(folder).add_token("5210537039", "20261001-EC-0123456789-ABCDEF0123-01|nip-1|" + "0" * 64)
    monkeypatch.setenv("KSEF_SHEETS_PASSPHRASE", "zupelnie-inne-haslo")
    code, _, err = _run(["permissions", "--dir", str(folder.root)], capsys)
    assert code == 1 and err.startswith("Błąd: Złe hasło do sejfu") and "zupelnie-inne-haslo" not in err


def test_permission_lines_for_the_demo(
    office: tuple[OfficeFolder, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from ksef_sheets.emulator import run_emulator as run
    from ksef_sheets.ksef import read_permission_lines

    folder, seed = office
    monkeypatch.setenv("KSEF_SHEETS_VAULT_BACKEND", "file")
    folder.vault_file.unlink(missing_ok=True)
    vault = Vault.open(folder, PASS)
    writer = next(c for c in seed.clients if c["scenario"] == 3)
    vault.add_token(writer["nip"], writer["token"])
    with run(folder.emulator_dir) as running:
        lines = asyncio.run(
            read_permission_lines(
                [writer["nip"], "5252248481"],
                base_url=running.base_url,
                credential_for_client=Vault.open(folder, PASS, create=False).credential_for_client,
                office_nip=folder.load_config().office_nip,
            )
        )
    texts = [str(line) for line in lines]
    assert f"{writer['nip']}: biuro — wystawianie faktur (InvoiceWrite), może przekazać pracownikom" in texts
    assert any(line.problem and line.client_nip == "5252248481" for line in lines)
