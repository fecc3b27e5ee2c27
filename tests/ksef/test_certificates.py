"""ksef/certificates.py against the emulator over loopback HTTP (requests checked against openapi.json):
enrol → retrieve → XAdES login with the new certificate; revoke → login refused; token login cannot
enrol; limits; no key material in logs or messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ksef_sheets.ksef import (
    KsefAuthenticationError,
    KsefBadRequestError,
    KsefClient,
    certificate_limits,
    enrol_certificate,
    make_seal_certificate,
    query_certificates,
    retrieve_certificates,
    revoke_certificate,
)
from ksef_sheets.ksef.certificates import build_csr, ksef_certificate_name
from ksef_sheets.redaction import install_log_redaction
from tests.ksef.conftest import RecordingTransport

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_enrol_login_revoke(
    make_emulator: Any, transport: RecordingTransport, key_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_redaction()
    running = make_emulator(seed=42, clients=2)
    office = running.seed_info.office
    seal = make_seal_certificate(office["nip"], office["name"], name="biuro")
    caplog.set_level(logging.DEBUG)

    async def body() -> tuple[Any, ...]:
        async with KsefClient(running.base_url, transport=transport) as client:
            async with await client.login_with_certificate(office["nip"], seal) as session:
                before = await certificate_limits(session)
                enrolled = await enrol_certificate(session, "biuro.ksef", key_type=key_type)  # type: ignore[arg-type]
                listed = await query_certificates(session)
                again = await retrieve_certificates(session, [enrolled.serial_number])
            # The new certificate logs in on its own, the chain check included.
            async with await client.login_with_certificate(
                office["nip"], enrolled.credential, verify_certificate_chain=True
            ) as session:
                await revoke_certificate(session, enrolled.serial_number, "Superseded")
                after = await query_certificates(session, status="Revoked")
            with pytest.raises(KsefAuthenticationError, match="status 460") as refused:
                await client.login_with_certificate(office["nip"], enrolled.credential)
            return before, enrolled, listed, again, after, refused.value

    before, enrolled, listed, again, after, refused = run(body())
    assert before.can_request and before.certificates_remaining == before.certificates_limit
    key = enrolled.credential.private_key
    assert isinstance(key, ec.EllipticCurvePrivateKey if key_type == "ec" else rsa.RSAPrivateKey)
    assert enrolled.ksef_name == "biuro-ksef" and enrolled.certificate_type == "Authentication"
    assert again[enrolled.serial_number] == enrolled.credential.certificate
    assert enrolled.credential.subject_nip == office["nip"]
    (info,) = listed
    assert (info.serial_number, info.status, info.status_label) == (
        enrolled.serial_number,
        "Active",
        "aktywny",
    )
    assert (info.subject_type, info.subject_value) == ("Nip", office["nip"])
    assert [c.serial_number for c in after] == [enrolled.serial_number]
    # The CSR carried the public key only: no private key in any request, log or message.
    pem = enrolled.credential.private_key_pem()
    secret_line = pem.splitlines()[1]
    assert all(secret_line not in s.body for s in transport.sent)
    assert secret_line.decode() not in caplog.text + str(refused)
    assert all(s.in_spec for s in transport.sent if "/certificates" in s.path)


def test_token_login_cannot_enrol_and_limits_are_enforced(
    make_emulator: Any, transport: RecordingTransport
) -> None:
    running = make_emulator(seed=42, clients=1)
    seed = running.seed_info
    client_item = seed.clients[0]
    office = seed.office
    seal = make_seal_certificate(office["nip"], office["name"])

    async def body() -> tuple[str, str, str]:
        async with KsefClient(running.base_url, transport=transport) as client:
            async with await client.login_with_token(client_item["nip"], client_item["token"]) as session:
                with pytest.raises(KsefBadRequestError, match="nie tokenem KSeF") as by_token:
                    await enrol_certificate(session, "po-tokenie")
            async with await client.login_with_certificate(office["nip"], seal) as session:
                await session.request(
                    "POST",
                    "/testdata/limits/subject/certificate",
                    operation="limity",
                    json_body={"subjectIdentifierType": "Nip", "certificate": {"maxCertificates": 1}},
                )
                await enrol_certificate(session, "pierwszy")
                with pytest.raises(KsefBadRequestError, match="limit aktywnych certyfikatów") as limited:
                    await enrol_certificate(session, "drugi", certificate_type="Offline")
                with pytest.raises(KsefBadRequestError, match="nie zna certyfikatu") as unknown:
                    await revoke_certificate(session, "0123456789ABCDEF")
            return str(by_token.value), str(limited.value), str(unknown.value)

    by_token, limited, unknown = run(body())
    assert "kod 25001" in by_token
    assert "kod 25007" in limited
    assert "kod 25008" in unknown


def test_csr_and_names() -> None:
    from cryptography import x509

    data = {
        "commonName": "Biuro Rachunkowe",
        "countryName": "PL",
        "organizationName": "Biuro Rachunkowe Sp. z o.o.",
        "organizationIdentifier": "VATPL-5260250274",
        "uniqueIdentifier": "d9d22724-4696-460c-9e5e-b9e3aafb0af3",
        "serialNumber": None,
    }
    csr = x509.load_der_x509_csr(build_csr(data, ec.generate_private_key(ec.SECP256R1())))
    assert csr.is_signature_valid
    values = {a.oid.dotted_string: a.value for a in csr.subject}
    assert values == {
        "2.5.4.3": "Biuro Rachunkowe",
        "2.5.4.6": "PL",
        "2.5.4.10": "Biuro Rachunkowe Sp. z o.o.",
        "2.5.4.97": "VATPL-5260250274",
        "2.5.4.45": "d9d22724-4696-460c-9e5e-b9e3aafb0af3",
    }
    assert ksef_certificate_name("jan.kowalski@biuro") == "jan-kowalski-biuro"
    assert ksef_certificate_name("ab") == "Certyfikat ab"


def test_enrolment_polls_until_the_certificate_is_issued(
    make_emulator: Any, transport: RecordingTransport
) -> None:
    import datetime as dt

    running = make_emulator(seed=42, clients=1)
    running.emulator.certificates.processing_delay = dt.timedelta(seconds=1)
    office = running.seed_info.office
    seal = make_seal_certificate(office["nip"], office["name"])

    async def body() -> str:
        async with (
            KsefClient(running.base_url, transport=transport) as client,
            await client.login_with_certificate(office["nip"], seal) as session,
        ):
            return (await enrol_certificate(session, "po-czekaniu")).serial_number

    serial = run(body())
    polls = [s for s in transport.sent if s.path.startswith("/certificates/enrollments/2")]
    assert len(polls) >= 2  # at least one answer in status 100 before the serial number
    assert len(serial) == 16
