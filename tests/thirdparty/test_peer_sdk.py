"""A third-party KSeF client, PyPI ``ksef-client`` 0.20.0 (MIT, github.com/smekcio/ksef-client-python),
against the emulator over HTTP on this machine with real crypto.

Everything below goes through the library's public API the way its README and ``docs/`` show it
(``docs/examples/auth_ksef_token.py``, ``docs/examples/auth_xades_cert_key.py``,
``docs/workflows/export.md``, ``docs/services/hwm.md``, ``docs/services/csr.md``,
``docs/api/certificates.md``, ``docs/services/xades.md``): no request is hand-made here. The test
reads the emulator's own state (``running.emulator``) only to know what the right answer is, and
moves its clock instead of sleeping.

1. KSeF-token login for a seeded client, an incremental export (``PermanentStorage`` windows of 100
   days with ``restrictToPermanentStorageHwmDate``, continuation points from the library's
   ``get_effective_start_date``/``update_continuation_point``), packages downloaded, checked against
   their ``x-ms-meta-hash``, decrypted and unpacked by ``ExportWorkflow``:
   the invoices equal, byte for byte, what the emulator holds for the client; a second run from the
   continuation point gets exactly the invoice stored since.
2. XAdES login with a self-signed company seal (``VATPL-<NIP>``), as KSeF TEST accepts one.
3. Certificates after that XAdES login: limits, enrolment data, enrolment of a CSR the library builds
   (``generate_csr_ec``), status polling (100 → 200), retrieve, query, revoke; XAdES login with the
   issued certificate succeeds (``xades.ksef-certificate``), after revocation it is refused (460).
   Also: after a token login the enrolment calls are refused (25001/25002), the per-subject limit
   set through the library's ``testdata.change_certificate_limits`` is enforced (25006), revoking
   twice answers 25009.

Calls the library does not cover: none of the above (0.20.0 has a method for every certificate
endpoint of openapi.json, including ``PUT /testdata/certificates/{serialNumber}``, not used here).

This test found two differences from openapi.json 2.9.0, since fixed in ``emulator/invoices.py``: a
window of up to 100 days (UTC) was refused when longer than 3 months, and a past window's
``permanentStorageHwmDate`` was the current HWM instead of the window's end. The windows below are the
full 100 days, and one continuation point is carried from window to window, as the library intends.

The library (with its ``xml`` extra for XAdES: ``lxml`` + ``xmlsec``) is in the ``dev`` extra; in CI
(``CI`` set) a missing library fails collection, elsewhere the module is skipped.
"""

from __future__ import annotations

import base64
import os
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

if os.environ.get("CI"):
    import ksef_client  # noqa: F401 - in CI a missing library must fail, never skip
    import xmlsec  # noqa: F401
else:
    pytest.importorskip("ksef_client", reason="ksef-client is not installed (pip install -e '.[dev]')")
    pytest.importorskip("xmlsec", reason="xmlsec (ksef-client[xml]) is not installed")

from ksef_client import KsefApiError, KsefClient, KsefClientOptions
from ksef_client import models as m
from ksef_client.services import (
    AuthCoordinator,
    ExportWorkflow,
    XadesKeyPair,
    build_encryption_data,
    dedupe_by_ksef_number,
    generate_csr_ec,
    get_effective_start_date,
    update_continuation_point,
)

from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import RunningEmulator, run_emulator
from ksef_sheets.emulator.seed import SEED_START

SUBJECT = "Subject1"  # the client's sales: it is the seller
ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
POLL = 0.05  # the library's poll interval in seconds (its default is 2 s)


# The emulator's export links name this host, which the test resolves to 127.0.0.1 itself: the library
# refuses loopback IP literals in presigned links (its SSRF guard), but checks names only as written.
EMULATOR_HOST = "ksef-emulator.test"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    """One seeded emulator for the whole module (one client, its token issued to the office).

    It listens on 127.0.0.1 only — traffic stays on the loopback interface. Its links (export parts)
    name ``EMULATOR_HOST``, which this process resolves to 127.0.0.1 (``.test`` is reserved and never
    resolves elsewhere): the library refuses a loopback IP literal in a presigned link whatever its
    options say, while a host name passes with its documented ``allow_private_network_presigned_urls``.
    """
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        return real_getaddrinfo("127.0.0.1" if host == EMULATOR_HOST else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    folder = tmp_path_factory.mktemp("peer-sdk")
    port = _free_port()
    try:
        with run_emulator(
            folder,
            office=demo_seed_office(),
            seed=17,
            clients=1,
            limits="off",
            port=port,
            public_url=f"http://{EMULATOR_HOST}:{port}/v2",
        ) as server:
            yield server
    finally:
        socket.getaddrinfo = real_getaddrinfo  # type: ignore[assignment]


@pytest.fixture(scope="module")
def client(running: RunningEmulator) -> Iterator[KsefClient]:
    # Both options are documented in the library's docs/configuration.md ("controlled environment").
    options = KsefClientOptions(
        base_url=running.base_url,
        strict_presigned_url_validation=False,  # the emulator speaks plain http
        allow_private_network_presigned_urls=True,
    )
    with KsefClient(options) as sdk:
        yield sdk


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _token_login(client: KsefClient, token: str, nip: str) -> str:
    token_cert = client.security.get_public_key_certificate_pem(
        m.PublicKeyCertificateUsage.KSEFTOKENENCRYPTION
    )
    return (
        AuthCoordinator(client.auth)
        .authenticate_with_ksef_token(
            token=token,
            public_certificate=token_cert,
            context_identifier_type="nip",
            context_identifier_value=nip,
            max_attempts=90,
            poll_interval_seconds=POLL,
        )
        .access_token
    )


def _xades_login(client: KsefClient, key_pair: XadesKeyPair, nip: str) -> Any:
    return AuthCoordinator(client.auth).authenticate_with_xades_key_pair(
        key_pair=key_pair,
        context_identifier_type="nip",
        context_identifier_value=nip,
        subject_identifier_type="certificateSubject",
        max_attempts=90,
        poll_interval_seconds=POLL,
    )


def _seal_key_pair(nip: str, folder: Path) -> XadesKeyPair:
    """A self-signed company seal (organizationIdentifier VATPL-<NIP>) in PEM files, loaded by the library."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Biuro {nip}"),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Pieczęć {nip}"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "seal.crt", folder / "seal.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return XadesKeyPair.from_pem_files(certificate_path=str(cert_path), private_key_path=str(key_path))


def _api_error_code(error: KsefApiError) -> int | None:
    response = error.exception_response
    assert response is not None and response.exception is not None, error
    details = response.exception.exception_detail_list or []
    return details[0].exception_code if details else None


# --- 1. token login, incremental export ----------------------------------------------------------
def _export(client: KsefClient, access: str, sym_cert: str, date_from: str, date_to: str) -> tuple[Any, Any]:
    """One export as docs/workflows/export.md shows: start, poll the status, download + decrypt + unpack."""
    encryption = build_encryption_data(sym_cert)
    assert encryption.encryption_info is not None
    request = m.InvoiceExportRequest(
        encryption=encryption.encryption_info,
        only_metadata=False,
        compression_type=m.CompressionType.ZIP,
        filters=m.InvoiceQueryFilters(
            subject_type=m.InvoiceQuerySubjectType.SUBJECT1,
            date_range=m.InvoiceQueryDateRange(
                date_type=m.InvoiceQueryDateType.PERMANENTSTORAGE,
                from_=date_from,
                to=date_to,
                restrict_to_permanent_storage_hwm_date=True,
            ),
        ),
    )
    start = client.invoices.export_invoices(request, access_token=access)
    for _ in range(120):
        status = client.invoices.get_export_status(start.reference_number, access_token=access)
        if int(status.status.code) == 200:
            break
        assert int(status.status.code) in {100, 150}, status.to_dict()
    else:
        pytest.fail("the export did not finish")
    package = status.package
    assert package is not None
    result = ExportWorkflow(client.invoices, client.http_client).download_and_process_package(
        package, encryption
    )
    return package, result


def _windows(start: datetime, end: datetime) -> list[tuple[str, str]]:
    """Windows a client has to cut: openapi.json 2.9.0 allows 100 days (UTC) per export."""
    windows = []
    while start < end:
        stop = min(start + timedelta(days=100), end)
        windows.append((_iso(start), _iso(stop)))
        start = stop
    return windows


def _fetch(
    client: KsefClient,
    access: str,
    sym_cert: str,
    points: dict[str, str | None],
    windows: list[tuple[str, str]],
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Incremental fetch over ``windows`` (docs/services/hwm.md): resume from the continuation point,
    which a past window's ``permanentStorageHwmDate`` (its upper bound) carries to the next window;
    ``points`` ends as the last window's, for the next run."""
    xml: dict[str, str] = {}
    metadata: list[dict[str, Any]] = []
    for window_from, window_to in windows:
        while True:
            date_from = get_effective_start_date(points, SUBJECT, window_from)
            if date_from >= window_to:
                break
            package, result = _export(client, access, sym_cert, date_from, window_to)
            xml.update(result.invoice_xml_files)
            metadata.extend(result.metadata_summaries)
            update_continuation_point(points, SUBJECT, package)
            if not package.is_truncated:
                break
    return xml, metadata


def _held_by_emulator(running: RunningEmulator, nip: str) -> dict[str, str]:
    rows = running.emulator.db.execute(
        "SELECT i.ksef_number, x.xml FROM invoice i JOIN invoice_xml x USING(ksef_number) WHERE i.seller_nip = ?",
        (nip,),
    ).fetchall()
    return {number: bytes(data).decode("utf-8") for number, data in rows}


def test_token_login_and_incremental_export_match_the_emulator(
    running: RunningEmulator, client: KsefClient
) -> None:
    assert running.seed_info is not None
    seeded = running.seed_info.clients[0]
    access = _token_login(client, seeded["token"], seeded["nip"])
    sym_cert = client.security.get_public_key_certificate_pem(
        m.PublicKeyCertificateUsage.SYMMETRICKEYENCRYPTION
    )

    held = _held_by_emulator(running, seeded["nip"])
    assert len(held) >= 10, "the seed gives the client sales invoices"
    start = datetime(SEED_START.year, SEED_START.month, SEED_START.day, tzinfo=UTC) - timedelta(days=1)
    points: dict[str, str | None] = {}
    xml, metadata = _fetch(client, access, sym_cert, points, _windows(start, running.emulator.clock.now()))

    numbers = set(dedupe_by_ksef_number(metadata))
    assert {name.removesuffix(".xml") for name in xml} == set(held)
    assert {n.upper() for n in held} == numbers
    assert {name.removesuffix(".xml"): text for name, text in xml.items()} == held
    assert points[SUBJECT], "the continuation point is set"

    # A new sale reaches permanent storage; the next incremental run from the continuation point
    # gets exactly it (the HWM trails the clock by a second, hence the clock moves on).
    text = next(iter(held.values()))
    new_xml = re.sub(r"<P_2>([^<]*)</P_2>", r"<P_2>\1-PEER</P_2>", text, count=1).encode("utf-8")
    assert new_xml != text.encode("utf-8")
    stored = running.emulator.invoices.store(  # type: ignore[attr-defined]
        new_xml, accepted_at=running.emulator.clock.now()
    )
    running.emulator.clock.advance(timedelta(minutes=1))
    now = running.emulator.clock.now()
    xml, metadata = _fetch(client, access, sym_cert, points, [(_iso(now - timedelta(days=1)), _iso(now))])
    assert {name.removesuffix(".xml") for name in xml} == {stored.ksef_number}
    assert xml[f"{stored.ksef_number}.xml"].encode("utf-8") == new_xml
    assert [item["ksefNumber"] for item in metadata] == [stored.ksef_number]


def test_enrolment_after_a_token_login_is_refused(running: RunningEmulator, client: KsefClient) -> None:
    assert running.seed_info is not None
    seeded = running.seed_info.clients[0]
    access = _token_login(client, seeded["token"], seeded["nip"])
    limits = client.certificates.get_limits(access)
    assert limits.can_request is False
    with pytest.raises(KsefApiError) as refused:
        client.certificates.get_enrollment_data(access)
    assert refused.value.status_code == 400 and _api_error_code(refused.value) == 25001
    csr = generate_csr_ec({"commonName": "Biuro", "countryName": "PL"})
    request = m.EnrollCertificateRequest(
        certificate_name="Po tokenie",
        certificate_type=m.KsefCertificateType.AUTHENTICATION,
        csr=csr.csr_base64,
    )
    with pytest.raises(KsefApiError) as refused:
        client.certificates.send_enrollment(request, access_token=access)
    assert refused.value.status_code == 400 and _api_error_code(refused.value) == 25002


# --- 2. XAdES login with a self-signed certificate ------------------------------------------------
def test_xades_login_with_a_self_signed_seal(
    running: RunningEmulator, client: KsefClient, tmp_path: Path
) -> None:
    assert running.seed_info is not None
    office = running.seed_info.office["nip"]
    result = _xades_login(client, _seal_key_pair(office, tmp_path), office)
    status = client.auth.get_auth_status(result.reference_number, result.authentication_token)
    assert status.status.code == 200
    assert status.authentication_method_info is not None
    assert status.authentication_method_info.category.value == "XadesSignature"
    assert status.is_token_redeemed is True
    assert client.rate_limits.get_rate_limits(access_token=result.access_token) is not None


# --- 3. certificates ------------------------------------------------------------------------------
def test_certificate_enrol_retrieve_login_query_revoke(
    running: RunningEmulator, client: KsefClient, tmp_path: Path
) -> None:
    assert running.seed_info is not None
    office = running.seed_info.office["nip"]
    access = _xades_login(client, _seal_key_pair(office, tmp_path), office).access_token

    limits = client.certificates.get_limits(access)
    assert limits.can_request is True
    assert limits.enrollment.remaining == limits.enrollment.limit > 0
    assert limits.certificate.remaining == limits.certificate.limit > 0

    data = client.certificates.get_enrollment_data(access)
    assert data.organization_identifier == f"VATPL-{office}"
    assert data.country_name == "PL" and data.unique_identifier
    csr = generate_csr_ec(data.to_dict())
    running.emulator.certificates.processing_delay = timedelta(minutes=2)
    try:
        started = client.certificates.send_enrollment(
            m.EnrollCertificateRequest(
                certificate_name="Biuro peer SDK",
                certificate_type=m.KsefCertificateType.AUTHENTICATION,
                csr=csr.csr_base64,
            ),
            access_token=access,
        )
        status = client.certificates.get_enrollment_status(started.reference_number, access_token=access)
        assert status.status.code == 100 and status.certificate_serial_number is None
        running.emulator.clock.advance(timedelta(minutes=2))
        status = client.certificates.get_enrollment_status(started.reference_number, access_token=access)
    finally:
        running.emulator.certificates.processing_delay = timedelta(0)
    assert status.status.code == 200
    serial = status.certificate_serial_number
    assert serial

    retrieved = client.certificates.retrieve_certificate(
        m.RetrieveCertificatesRequest(certificate_serial_numbers=[serial]), access_token=access
    )
    (item,) = retrieved.certificates
    assert item.certificate_serial_number == serial
    assert item.certificate_name == "Biuro peer SDK"
    assert item.certificate_type == m.KsefCertificateType.AUTHENTICATION
    der = base64.b64decode(item.certificate)
    issued = x509.load_der_x509_certificate(der)
    request = x509.load_der_x509_csr(base64.b64decode(csr.csr_base64))
    assert issued.subject == request.subject
    assert issued.public_key() == request.public_key()
    assert f"{issued.serial_number:016X}" == serial
    assert issued.issuer == running.emulator.certificates.ca.certificate.subject

    # The library's documented loader for a KSeF certificate: the .crt (DER) and the key the CSR made.
    (tmp_path / "ksef.crt").write_bytes(der)
    (tmp_path / "ksef.key").write_bytes(base64.b64decode(csr.private_key_base64))
    ksef_pair = XadesKeyPair.from_pem_files(
        certificate_path=str(tmp_path / "ksef.crt"), private_key_path=str(tmp_path / "ksef.key")
    )
    login = _xades_login(client, ksef_pair, office)
    method = client.auth.get_auth_status(login.reference_number, login.authentication_token)
    assert method.authentication_method_info is not None
    assert method.authentication_method_info.code == "xades.ksef-certificate"

    listed = client.certificates.query_certificates(
        m.QueryCertificatesRequest(status=m.CertificateListItemStatus.ACTIVE), access_token=access
    )
    (entry,) = [c for c in listed.certificates if c.certificate_serial_number == serial]
    assert entry.type == m.KsefCertificateType.AUTHENTICATION
    assert entry.subject_identifier.type == m.CertificateSubjectIdentifierType.NIP
    assert entry.subject_identifier.value == office
    assert entry.last_use_date, "the login with it is recorded"
    assert client.certificates.get_limits(access).certificate.remaining == limits.certificate.limit - 1

    client.certificates.revoke_certificate(
        serial,
        m.RevokeCertificateRequest(revocation_reason=m.CertificateRevocationReason.SUPERSEDED),
        access_token=access,
    )
    revoked = client.certificates.query_certificates(
        m.QueryCertificatesRequest(certificate_serial_number=serial), access_token=access
    )
    assert [c.status for c in revoked.certificates] == [m.CertificateListItemStatus.REVOKED]
    with pytest.raises(RuntimeError, match=r"Authentication failed: 460 .*Certyfikat unieważniony"):
        _xades_login(client, ksef_pair, office)
    with pytest.raises(KsefApiError) as again:
        client.certificates.revoke_certificate(serial, m.RevokeCertificateRequest(), access_token=access)
    assert again.value.status_code == 400 and _api_error_code(again.value) == 25009


def test_certificate_limit_set_through_the_library_is_enforced(
    running: RunningEmulator, client: KsefClient, tmp_path: Path
) -> None:
    # The office (XAdES with its seal) caps its own enrolment count at what it has used so far.
    assert running.seed_info is not None
    office = running.seed_info.office["nip"]
    access = _xades_login(client, _seal_key_pair(office, tmp_path), office).access_token
    used = client.certificates.get_limits(access).enrollment
    spent = used.limit - used.remaining
    client.testdata.change_certificate_limits(
        m.SetSubjectLimitsRequest(
            subject_identifier_type=m.SubjectIdentifierType.NIP,
            enrollment=m.EnrollmentSubjectLimitsOverride(max_enrollments=spent),
        ),
        access_token=access,
    )
    try:
        limits = client.certificates.get_limits(access)
        assert limits.enrollment.remaining == 0 and limits.can_request is False
        csr = generate_csr_ec(client.certificates.get_enrollment_data(access).to_dict())
        with pytest.raises(KsefApiError) as refused:
            client.certificates.send_enrollment(
                m.EnrollCertificateRequest(
                    certificate_name="Ponad limit",
                    certificate_type=m.KsefCertificateType.AUTHENTICATION,
                    csr=csr.csr_base64,
                ),
                access_token=access,
            )
        assert refused.value.status_code == 400 and _api_error_code(refused.value) == 25006
    finally:
        client.testdata.reset_certificate_limits(access_token=access)
    assert client.certificates.get_limits(access).can_request is True
