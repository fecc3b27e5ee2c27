"""The emulator's QR verification pages (PROTOCOL.md §18.2–18.3): KOD I of an invoice it holds, KOD II
signed with a KSeF certificate it issued, over loopback HTTP, links built by the toolkit's client side."""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from ksef_sheets.emulator import RunningEmulator
from ksef_sheets.fa3 import Party
from ksef_sheets.fa3.generator import generate_invoice
from ksef_sheets.ksef import OfflineSigner, kod_i_url, kod_ii_url, qr_base_for
from tests.emulator.conftest import CLIENT_NIP, OFFICE_NIP, make_key
from tests.emulator.test_certificates import enrol, retrieve, seal_login

ISSUED = date(2026, 3, 6)


def _invoice(number: str = "FV/1/2026") -> bytes:
    seller = Party(name="Klient Sp. z o.o.", nip=CLIENT_NIP, address1="ul. Długa 1", address2="Gdańsk")
    buyer = Party(name="Nabywca S.A.", nip="7010001453", address1="ul. Krótka 2", address2="Kraków")
    return generate_invoice(random.Random(5), seller=seller, buyer=buyer, issue_date=ISSUED, number=number)


def _store(running: RunningEmulator, xml: bytes, **options: Any) -> Any:
    at = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    return running.emulator.invoices.store(xml, accepted_at=at, **options)


def _get(url: str) -> httpx.Response:
    return httpx.get(url, headers={"Accept": "application/json"}, follow_redirects=False)


def test_kod_i_of_a_held_invoice_is_confirmed_and_a_tampered_byte_is_not(
    fresh_emulator: RunningEmulator,
) -> None:
    xml = _invoice()
    stored = _store(fresh_emulator, xml)
    base = qr_base_for("emulator", fresh_emulator.base_url)
    url = kod_i_url(xml, seller_nip=CLIENT_NIP, issue_date=ISSUED, qr_base=base)

    page = httpx.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Faktura znajduje się w KSeF" in page.text and stored.ksef_number in page.text
    answer = _get(url).json()
    assert answer["valid"] is True and f"Numer KSeF: {stored.ksef_number}" in answer["lines"]

    # One byte changed (a letter of the buyer's name): another hash, not in KSeF.
    changed = xml.replace(b"Nabywca S.A.", b"Nabywcb S.A.", 1)
    assert len(changed) == len(xml) and changed != xml
    tampered = kod_i_url(changed, seller_nip=CLIENT_NIP, issue_date=ISSUED, qr_base=base)
    refused = _get(tampered)
    assert refused.status_code == 404 and refused.json()["title"] == "Faktury nie ma w KSeF"
    # The right hash with another seller or day does not confirm the invoice either.
    other_day = kod_i_url(xml, seller_nip=CLIENT_NIP, issue_date=ISSUED + timedelta(days=1), qr_base=base)
    assert _get(other_day).status_code == 404
    other_seller = url.replace(f"/invoice/{CLIENT_NIP}/", f"/invoice/{OFFICE_NIP}/")
    assert _get(other_seller).status_code == 404
    # Not a KOD I link at all: 400 with the reason in Polish.
    bad = _get(url.rsplit("/", 1)[0] + "/nie-skrot")
    assert bad.status_code == 400 and "SHA-256" in bad.json()["lines"][0]
    assert _get(url.replace("06-03-2026", "31-02-2026")).status_code == 400


def test_kod_i_of_a_technically_corrected_original_redirects_to_the_correction(
    fresh_emulator: RunningEmulator,
) -> None:
    original = _invoice("FV/9/2026")
    corrected = original.replace(b"Nabywca S.A.", b"Nabywca S.A. ", 1)
    original_hash = base64.b64encode(hashlib.sha256(original).digest()).decode()
    stored = _store(fresh_emulator, corrected, offline=True, hash_of_corrected=original_hash)
    base = qr_base_for("emulator", fresh_emulator.base_url)
    old = kod_i_url(original, seller_nip=CLIENT_NIP, issue_date=ISSUED, qr_base=base)
    new = kod_i_url(corrected, seller_nip=CLIENT_NIP, issue_date=ISSUED, qr_base=base)

    moved = _get(old)
    assert moved.status_code == 303
    assert base + moved.headers["location"] == new
    followed = httpx.get(old, headers={"Accept": "application/json"}, follow_redirects=True)
    assert followed.status_code == 200 and f"Numer KSeF: {stored.ksef_number}" in followed.json()["lines"]
    assert "Faktura wystawiona w trybie offline." in followed.json()["lines"]


@pytest.fixture
def offline_setup(fresh_emulator: RunningEmulator) -> dict[str, Any]:
    """The office (seal login) enrols an Offline and an Authentication KSeF certificate; its client
    gives it InvoiceWrite."""
    with httpx.Client(base_url=fresh_emulator.base_url) as api:
        session = seal_login(api, OFFICE_NIP)
        offline_key, auth_key = make_key("ec"), make_key("rsa")
        offline_serial = enrol(api, session, offline_key, kind="Offline", name="Biuro offline")
        auth_serial = enrol(api, session, auth_key, kind="Authentication", name="Biuro auth")
        offline_cert = retrieve(api, session, offline_serial)
        auth_cert = retrieve(api, session, auth_serial)
    fresh_emulator.emulator.permissions.grant_entity(CLIENT_NIP, OFFICE_NIP, ["InvoiceWrite"])
    return {
        "offline": OfflineSigner(offline_cert, offline_key, offline_serial),
        "auth": OfflineSigner(auth_cert, auth_key, auth_serial),
        "offline_serial": offline_serial,
        "base": qr_base_for("emulator", fresh_emulator.base_url),
    }


def _kod_ii(xml: bytes, signer: OfflineSigner, base: str, *, context: str = CLIENT_NIP) -> str:
    return kod_ii_url(
        xml, seller_nip=CLIENT_NIP, context_type="Nip", context_value=context, signer=signer, qr_base=base
    )


def test_kod_ii_signed_with_an_offline_certificate_is_confirmed(
    fresh_emulator: RunningEmulator, offline_setup: dict[str, Any]
) -> None:
    xml = _invoice()
    url = _kod_ii(xml, offline_setup["offline"], offline_setup["base"])
    answer = _get(url)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["title"] == "Wystawca faktury potwierdzony"
    assert "Podpis kodu jest prawidłowy." in body["lines"]
    assert "Faktury nie ma jeszcze w KSeF (faktura offline czeka na przesłanie)." in body["lines"]
    page = httpx.get(url)
    assert page.status_code == 200 and "<h1>✔ Wystawca faktury potwierdzony</h1>" in page.text

    stored = _store(fresh_emulator, xml, offline=True)
    assert f"Faktura jest już w KSeF pod numerem {stored.ksef_number}." in _get(url).json()["lines"]

    # A changed character of the signed link (another invoice hash) breaks the signature.
    parts = url.split("/")
    parts[-2] = parts[-2][:-1] + ("A" if parts[-2][-1] != "A" else "B")
    broken = _get("/".join(parts))
    assert broken.status_code == 404 and broken.json()["title"] == "Podpis kodu jest nieprawidłowy"


def test_kod_ii_with_an_authentication_or_revoked_certificate_or_no_entitlement_is_refused(
    fresh_emulator: RunningEmulator, offline_setup: dict[str, Any]
) -> None:
    xml = _invoice()
    base = offline_setup["base"]
    auth = _get(_kod_ii(xml, offline_setup["auth"], base))
    assert auth.status_code == 404
    assert "typu Authentication" in auth.json()["lines"][0]

    # The office may issue for CLIENT_NIP, but not in a context where it holds nothing.
    foreign = _get(_kod_ii(xml, offline_setup["offline"], base, context="7010001453"))
    assert foreign.status_code == 404 and foreign.json()["title"] == "Wystawca nie ma uprawnień"

    with httpx.Client(base_url=fresh_emulator.base_url) as api:
        session = seal_login(api, OFFICE_NIP)
        revoked = api.post(
            f"/certificates/{offline_setup['offline_serial']}/revoke", headers=session.headers, json={}
        )
        assert revoked.status_code == 204, revoked.text
    answer = _get(_kod_ii(xml, offline_setup["offline"], base))
    assert answer.status_code == 404
    assert answer.json()["lines"] == [f"Certyfikat {offline_setup['offline_serial']} został unieważniony."]

    unknown = _kod_ii(xml, offline_setup["offline"], base).replace(
        offline_setup["offline_serial"], "0123456789ABCDEF"
    )
    assert _get(unknown).json()["title"] == "Certyfikat nie istnieje"
