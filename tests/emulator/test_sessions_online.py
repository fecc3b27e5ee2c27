"""Online and batch sending, session/invoice status and UPO over loopback HTTP (PROTOCOL.md §8–§11)."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from lxml import etree

from ksef_sheets.demo_data import demo_seed_office
from ksef_sheets.emulator import RunningEmulator, run_emulator
from ksef_sheets.fa3 import Party, generate_invoice
from tests.emulator.test_invoices_helpers import (
    FA3_FORM,
    aes_encrypt,
    api,
    b64,
    checked,
    exception_code,
    invoice_status,
    login,
    new_symmetric_key,
    send_online,
    sha256_b64,
    wait_for,
)

WARSAW = ZoneInfo("Europe/Warsaw")
NOWAK = "5210537039"  # scenario 2: the office reads
MALWA = "6762966431"  # scenario 3: the office also issues (InvoiceWrite)
SELLER = Party(
    name='Studio Urody "Malwa" Anna Wiśniewska',
    nip=MALWA,
    address1="ul. Kwiatowa 2",
    address2="00-001 Warszawa",
)
BUYER = Party(
    name="Nowak IT Consulting Jan Nowak", nip=NOWAK, address1="ul. Leśna 5", address2="00-002 Warszawa"
)
UPO_XSD = Path(__file__).resolve().parents[1] / "fixtures" / "ksef" / "upo" / "upo-v4-3.xsd"
_counter = iter(range(1, 10_000))


def crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def today() -> date:
    return datetime.now(WARSAW).date()


def invoice(number: str | None = None, *, issued: date | None = None, seller: Party = SELLER) -> bytes:
    return generate_invoice(
        random.Random(next(_counter)),
        seller=seller,
        buyer=BUYER,
        issue_date=issued or today(),
        number=number or f"FV/TEST/{next(_counter)}",
    )


def upo_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(UPO_XSD)))


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    with run_emulator(
        tmp_path_factory.mktemp("emu-send"), office=demo_seed_office(), seed=7, clients=2
    ) as emu:
        yield emu


@pytest.fixture(scope="module")
def writer(running: RunningEmulator) -> Iterator[httpx.Client]:
    assert running.seed_info is not None
    with api(
        running.base_url, login(running.base_url, MALWA, running.seed_info.client(MALWA)["token"])
    ) as http:
        yield http


@pytest.fixture(scope="module")
def buyer(running: RunningEmulator) -> Iterator[httpx.Client]:
    assert running.seed_info is not None
    with api(
        running.base_url, login(running.base_url, NOWAK, running.seed_info.client(NOWAK)["token"])
    ) as http:
        yield http


def test_send_gives_a_ksef_number_an_upo_and_the_buyer_sees_it(
    running: RunningEmulator, writer: httpx.Client, buyer: httpx.Client
) -> None:
    xml = invoice()
    session_ref, [invoice_ref] = send_online(writer, [xml])
    status = invoice_status(writer, session_ref, invoice_ref)
    assert status["status"]["code"] == 200, status
    number = status["ksefNumber"]
    assert number.startswith(f"{MALWA}-{today():%Y%m%d}-")
    body, _, checksum = number.rpartition("-")
    assert f"{crc8(body.encode()):02X}" == checksum
    assert status["invoiceHash"] == sha256_b64(xml)
    assert status["invoicingMode"] == "Online"
    assert datetime.fromisoformat(status["acquisitionDate"]) >= datetime.fromisoformat(
        status["invoicingDate"]
    )

    schema = upo_schema()
    by_ref = checked(writer.get(f"/sessions/{session_ref}/invoices/{invoice_ref}/upo"), 200)
    by_number = checked(writer.get(f"/sessions/{session_ref}/invoices/ksef/{number}/upo"), 200)
    link = httpx.get(status["upoDownloadUrl"])  # a storage link: plain GET, no token
    assert link.status_code == 200
    for response in (by_ref, by_number, link):
        assert response.headers["x-ms-meta-hash"] == sha256_b64(response.content)
        doc = etree.fromstring(response.content)
        schema.assertValid(doc)
        ns = {"u": "http://upo.schematy.mf.gov.pl/KSeF/v4-3"}
        assert doc.findtext("u:NumerReferencyjnySesji", namespaces=ns) == session_ref
        assert doc.findtext("u:Uwierzytelnienie/u:IdKontekstu/u:Nip", namespaces=ns) == MALWA
        assert doc.findtext("u:Dokument/u:NumerKSeFDokumentu", namespaces=ns) == number
        assert doc.findtext("u:Dokument/u:SkrotDokumentu", namespaces=ns) == sha256_b64(xml)
        assert doc.findtext("u:Dokument/u:TrybWysylki", namespaces=ns) == "Online"
    tampered = httpx.get(status["upoDownloadUrl"].replace("sig=", "sig=x"))
    assert tampered.status_code == 403

    # The buyer's context finds it as Subject2 once it is permanently stored, and downloads the same bytes.
    def purchases() -> list[str]:
        body = {
            "subjectType": "Subject2",
            "dateRange": {
                "dateType": "Invoicing",
                "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            },
        }
        found = checked(buyer.post("/invoices/query/metadata", json=body), 200).json()["invoices"]
        return [m["ksefNumber"] for m in found]

    assert number in wait_for(purchases, lambda numbers: number in numbers)
    downloaded = checked(buyer.get(f"/invoices/ksef/{number}"), 200, request=True)
    assert downloaded.content == xml


def test_close_produces_the_session_upo_and_counts(writer: httpx.Client) -> None:
    first, second = invoice(), invoice()
    session_ref, refs = send_online(writer, [first, second])
    for ref in refs:
        assert invoice_status(writer, session_ref, ref)["status"]["code"] == 200
    open_status = checked(writer.get(f"/sessions/{session_ref}"), 200).json()
    assert open_status["status"]["code"] == 100 and "upo" not in open_status
    assert checked(writer.post(f"/sessions/online/{session_ref}/close"), 204).content == b""
    done = wait_for(
        lambda: checked(writer.get(f"/sessions/{session_ref}"), 200).json(),
        lambda s: s["status"]["code"] != 170,
    )
    assert done["status"]["code"] == 200
    assert (done["invoiceCount"], done["successfulInvoiceCount"], done["failedInvoiceCount"]) == (2, 2, 0)
    [page] = done["upo"]["pages"]
    upo = checked(writer.get(f"/sessions/{session_ref}/upo/{page['referenceNumber']}"), 200)
    assert httpx.get(page["downloadUrl"]).content == upo.content
    doc = etree.fromstring(upo.content)
    upo_schema().assertValid(doc)
    ns = {"u": "http://upo.schematy.mf.gov.pl/KSeF/v4-3"}
    assert [d.findtext("u:SkrotDokumentu", namespaces=ns) for d in doc.findall("u:Dokument", ns)] == [
        sha256_b64(first),
        sha256_b64(second),
    ]
    assert doc.findtext("u:OpisPotwierdzenia/u:CalkowitaLiczbaDokumentow", namespaces=ns) == "2"
    # A closed session accepts nothing more.
    again = writer.post(f"/sessions/online/{session_ref}/close")
    assert exception_code(checked(again, 400)) == 21180
    listed = checked(writer.get("/sessions", params={"sessionType": "Online", "pageSize": 10}), 200).json()
    assert session_ref in [s["referenceNumber"] for s in listed["sessions"]]
    succeeded = checked(
        writer.get("/sessions", params=[("sessionType", "Online"), ("statuses", "Succeeded")]), 200
    )
    assert all(s["status"]["code"] == 200 for s in succeeded.json()["sessions"])


def test_duplicate_invalid_and_foreign_invoices_are_rejected_with_their_codes(writer: httpx.Client) -> None:
    original = invoice("FV/DUP/1")
    session_ref, [ok_ref] = send_online(writer, [original])
    accepted = invoice_status(writer, session_ref, ok_ref)
    assert accepted["status"]["code"] == 200
    duplicate = invoice("FV/DUP/1")  # same seller, type and P_2; different content
    broken = original.replace(b"<P_2>FV/DUP/1</P_2>", b"<P_2>FV/DUP/2</P_2><Nieznany>1</Nieznany>")
    not_xml = b"<Faktura><niedomkniety>"
    foreign_seller = invoice(
        seller=Party(name="Obca firma", nip="5261040828", address1="ul. A 1", address2="00-001 Warszawa")
    )
    second_ref, refs = send_online(writer, [duplicate, broken, not_xml, foreign_seller])
    dup, bad, garbage, foreign = (invoice_status(writer, second_ref, ref) for ref in refs)
    assert dup["status"]["code"] == 440
    assert dup["status"]["extensions"] == {
        "originalSessionReferenceNumber": session_ref,
        "originalKsefNumber": accepted["ksefNumber"],
    }
    assert "ksefNumber" not in dup
    assert bad["status"]["code"] == 450 and bad["invoiceNumber"] == "FV/DUP/2"
    assert any("Nieznany" in detail for detail in bad["status"]["details"])
    assert garbage["status"]["code"] == 450 and garbage["status"]["details"]
    assert foreign["status"]["code"] == 410
    failed = checked(writer.get(f"/sessions/{second_ref}/invoices/failed"), 200).json()["invoices"]
    assert sorted(i["status"]["code"] for i in failed) == [410, 440, 450, 450]
    every = checked(writer.get(f"/sessions/{second_ref}/invoices", params={"pageSize": 10}), 200).json()
    assert [i["ordinalNumber"] for i in every["invoices"]] == [1, 2, 3, 4]
    no_upo = writer.get(f"/sessions/{second_ref}/invoices/{refs[0]}/upo")
    assert exception_code(checked(no_upo, 400)) == 21178
    checked(writer.post(f"/sessions/online/{second_ref}/close"), 204)
    closed = wait_for(
        lambda: writer.get(f"/sessions/{second_ref}").json(), lambda s: s["status"]["code"] != 170
    )
    assert closed["status"]["code"] == 445  # no valid invoice in the session


def test_declared_hash_and_size_are_checked(writer: httpx.Client) -> None:
    sym = new_symmetric_key(writer)
    ref = checked(
        writer.post("/sessions/online", json={"formCode": FA3_FORM, "encryption": sym.info}), 201
    ).json()["referenceNumber"]
    xml = invoice()
    cipher = aes_encrypt(sym.key, sym.iv, xml)
    good = {
        "invoiceHash": sha256_b64(xml),
        "invoiceSize": len(xml),
        "encryptedInvoiceHash": sha256_b64(cipher),
        "encryptedInvoiceSize": len(cipher),
        "encryptedInvoiceContent": b64(cipher),
    }
    wrong_size = writer.post(
        f"/sessions/online/{ref}/invoices", json={**good, "encryptedInvoiceSize": len(cipher) + 16}
    )
    assert exception_code(checked(wrong_size, 400)) == 21402
    wrong_hash = writer.post(
        f"/sessions/online/{ref}/invoices", json={**good, "encryptedInvoiceHash": sha256_b64(b"x")}
    )
    assert exception_code(checked(wrong_hash, 400)) == 21403
    wrong_plain_hash = checked(
        writer.post(f"/sessions/online/{ref}/invoices", json={**good, "invoiceHash": sha256_b64(b"x")}), 202
    )
    assert invoice_status(writer, ref, wrong_plain_hash.json()["referenceNumber"])["status"]["code"] == 435
    unknown = writer.post("/sessions/online/20261128-SO-0000000000-0000000000-00/invoices", json=good)
    assert exception_code(checked(unknown, 400)) == 21173
    bad_key = writer.post(
        "/sessions/online",
        json={"formCode": FA3_FORM, "encryption": {**sym.info, "publicKeyId": b64(b"\0" * 32)}},
    )
    assert exception_code(checked(bad_key, 400)) == 21470
    checked(writer.post(f"/sessions/online/{ref}/close"), 204)


def test_offline_flag_and_automatic_offline_marking(writer: httpx.Client) -> None:
    declared = invoice()
    late = invoice(issued=today() - timedelta(days=2))
    ref1, [r1] = send_online(writer, [declared], offlineMode=True)
    ref2, [r2] = send_online(writer, [late])
    assert invoice_status(writer, ref1, r1)["invoicingMode"] == "Offline"
    assert invoice_status(writer, ref2, r2)["invoicingMode"] == "Offline"  # P_1 before the day it was sent
    future = invoice(issued=today() + timedelta(days=3))
    ref3, [r3] = send_online(writer, [future])
    rejected = invoice_status(writer, ref3, r3)
    assert rejected["status"]["code"] == 450 and "P_1" in rejected["status"]["details"][0]


def test_empty_session_is_cancelled_and_a_context_without_write_permission_cannot_open(
    writer: httpx.Client, buyer: httpx.Client
) -> None:
    sym = new_symmetric_key(writer)
    ref = checked(
        writer.post("/sessions/online", json={"formCode": FA3_FORM, "encryption": sym.info}), 201
    ).json()["referenceNumber"]
    checked(writer.post(f"/sessions/online/{ref}/close"), 204)
    assert checked(writer.get(f"/sessions/{ref}"), 200).json()["status"]["code"] == 440
    forbidden = buyer.post("/sessions/online", json={"formCode": FA3_FORM, "encryption": sym.info})
    checked(forbidden, 403)


def test_batch_session_with_two_parts(writer: httpx.Client) -> None:
    good = [invoice(), invoice()]
    broken = invoice().replace(b"<RodzajFaktury>VAT</RodzajFaktury>", b"<RodzajFaktury>XYZ</RodzajFaktury>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for index, xml in enumerate([*good, broken], start=1):
            zf.writestr(f"faktura-{index}.xml", xml)
    archive = buffer.getvalue()
    half = len(archive) // 2
    sym = new_symmetric_key(writer)
    parts = [aes_encrypt(sym.key, sym.iv, chunk) for chunk in (archive[:half], archive[half:])]
    body = {
        "formCode": FA3_FORM,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive),
            "fileParts": [
                {"ordinalNumber": n, "fileSize": len(part), "fileHash": sha256_b64(part)}
                for n, part in enumerate(parts, 1)
            ],
        },
        "encryption": sym.info,
    }
    opened = checked(writer.post("/sessions/batch", json=body), 201).json()
    ref = opened["referenceNumber"]
    early = writer.post(f"/sessions/batch/{ref}/close")
    assert exception_code(checked(early, 400)) == 21205
    for request, part in zip(opened["partUploadRequests"], parts, strict=True):
        assert request["method"] == "PUT"
        uploaded = httpx.request("PUT", request["url"], content=part, headers=request["headers"])  # no token
        assert uploaded.status_code == 201
    checked(writer.post(f"/sessions/batch/{ref}/close"), 204)
    done = wait_for(
        lambda: checked(writer.get(f"/sessions/{ref}"), 200).json(), lambda s: s["status"]["code"] >= 200
    )
    assert done["status"]["code"] == 200, done
    assert (done["invoiceCount"], done["successfulInvoiceCount"], done["failedInvoiceCount"]) == (3, 2, 1)
    listed = checked(writer.get(f"/sessions/{ref}/invoices", params={"pageSize": 10}), 200).json()["invoices"]
    assert [i["invoiceFileName"] for i in listed] == ["faktura-1.xml", "faktura-2.xml", "faktura-3.xml"]
    assert [i["status"]["code"] for i in listed] == [200, 200, 450]
    assert listed[0]["invoicingDate"] == done["dateCreated"]
    [page] = done["upo"]["pages"]
    upo = checked(writer.get(f"/sessions/{ref}/upo/{page['referenceNumber']}"), 200)
    upo_schema().assertValid(etree.fromstring(upo.content))
    sessions = checked(writer.get("/sessions", params={"sessionType": "Batch"}), 200).json()["sessions"]
    assert [s["referenceNumber"] for s in sessions] == [ref]


def test_batch_with_a_corrupt_part_fails_cleanly(writer: httpx.Client) -> None:
    sym = new_symmetric_key(writer)
    archive = b"PK\x03\x04 not really a zip archive" * 10
    part = aes_encrypt(sym.key, sym.iv, archive)
    body = {
        "formCode": FA3_FORM,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive),
            "fileParts": [{"ordinalNumber": 1, "fileSize": len(part), "fileHash": sha256_b64(part)}],
        },
        "encryption": sym.info,
    }
    opened = checked(writer.post("/sessions/batch", json=body), 201).json()
    [upload] = opened["partUploadRequests"]
    assert httpx.put(upload["url"], content=part, headers=upload["headers"]).status_code == 201
    checked(writer.post(f"/sessions/batch/{opened['referenceNumber']}/close"), 204)
    done = wait_for(
        lambda: writer.get(f"/sessions/{opened['referenceNumber']}").json(),
        lambda s: s["status"]["code"] >= 200,
    )
    assert done["status"]["code"] == 430
    too_many = {
        **body,
        "batchFile": {
            **body["batchFile"],
            "fileParts": [
                {"ordinalNumber": n, "fileSize": 16, "fileHash": sha256_b64(b"")} for n in range(1, 52)
            ],
        },
    }
    assert exception_code(checked(writer.post("/sessions/batch", json=too_many), 400, request=False)) == 21161


def test_hostile_xml_and_archive_entries_are_refused(writer: httpx.Client) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE Faktura [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Faktura>&c;</Faktura>'
    )
    external = b'<?xml version="1.0"?><!DOCTYPE Faktura [<!ENTITY x SYSTEM "file:///etc/passwd">]><Faktura>&x;</Faktura>'
    bom = b"\xef\xbb\xbf" + invoice()
    session_ref, refs = send_online(writer, [laughs, external, bom])
    for ref in refs:
        status = invoice_status(writer, session_ref, ref)
        assert status["status"]["code"] == 450
        assert "root:" not in " ".join(status["status"]["details"])
    checked(writer.post(f"/sessions/online/{session_ref}/close"), 204)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../../poza-paczka.xml", invoice())
    archive = buffer.getvalue()
    sym = new_symmetric_key(writer)
    part = aes_encrypt(sym.key, sym.iv, archive)
    body = {
        "formCode": FA3_FORM,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive),
            "fileParts": [{"ordinalNumber": 1, "fileSize": len(part), "fileHash": sha256_b64(part)}],
        },
        "encryption": sym.info,
    }
    opened = checked(writer.post("/sessions/batch", json=body), 201).json()
    [upload] = opened["partUploadRequests"]
    assert httpx.put(upload["url"], content=part, headers=upload["headers"]).status_code == 201
    checked(writer.post(f"/sessions/batch/{opened['referenceNumber']}/close"), 204)
    done = wait_for(
        lambda: writer.get(f"/sessions/{opened['referenceNumber']}").json(),
        lambda s: s["status"]["code"] >= 200,
    )
    assert done["status"]["code"] == 430
    assert "poza-paczka" in done["status"]["details"][0]


def test_a_third_party_on_the_invoice_finds_it_as_subject3(writer: httpx.Client, buyer: httpx.Client) -> None:
    other_buyer = Party(
        name="Firma Kupująca", nip="5261040828", address1="ul. B 2", address2="00-003 Warszawa"
    )
    xml = generate_invoice(
        random.Random(77), seller=SELLER, buyer=other_buyer, issue_date=today(), number="FV/P3/1"
    )
    third = (
        b"<Podmiot3><DaneIdentyfikacyjne><NIP>" + NOWAK.encode() + b"</NIP><Nazwa>Nowak IT</Nazwa>"
        b"</DaneIdentyfikacyjne><Rola>2</Rola></Podmiot3>"
    )
    xml = xml.replace(b"</Podmiot2>", b"</Podmiot2>" + third, 1)
    session_ref, [ref] = send_online(writer, [xml])
    status = invoice_status(writer, session_ref, ref)
    assert status["status"]["code"] == 200, status
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    def as_subject(subject: str) -> list[dict[str, object]]:
        body = {"subjectType": subject, "dateRange": {"dateType": "Invoicing", "from": since}}
        return list(checked(buyer.post("/invoices/query/metadata", json=body), 200).json()["invoices"])

    found = wait_for(
        lambda: as_subject("Subject3"),
        lambda items: any(m["ksefNumber"] == status["ksefNumber"] for m in items),
    )
    meta = next(m for m in found if m["ksefNumber"] == status["ksefNumber"])
    assert meta["thirdSubjects"] == [
        {"identifier": {"type": "Nip", "value": NOWAK}, "name": "Nowak IT", "role": 2}
    ]
    assert status["ksefNumber"] not in [m["ksefNumber"] for m in as_subject("Subject2")]
    assert checked(buyer.get(f"/invoices/ksef/{status['ksefNumber']}"), 200).content == xml


def test_an_authorized_subject_finds_the_invoice_as_subject_authorized(
    writer: httpx.Client, buyer: httpx.Client
) -> None:
    other_buyer = Party(
        name="Firma Kupująca", nip="5261040828", address1="ul. B 2", address2="00-003 Warszawa"
    )
    xml = generate_invoice(
        random.Random(78), seller=SELLER, buyer=other_buyer, issue_date=today(), number="FV/PU/1"
    )
    authorized = (
        b"<PodmiotUpowazniony><DaneIdentyfikacyjne><NIP>" + NOWAK.encode() + b"</NIP><Nazwa>Nowak IT</Nazwa>"
        b"</DaneIdentyfikacyjne><Adres><KodKraju>PL</KodKraju><AdresL1>ul. Le\xc5\x9bna 5</AdresL1></Adres>"
        b"<RolaPU>3</RolaPU></PodmiotUpowazniony>"
    )
    xml = xml.replace(b"<Fa>", authorized + b"<Fa>", 1)
    session_ref, [ref] = send_online(writer, [xml])
    status = invoice_status(writer, session_ref, ref)
    assert status["status"]["code"] == 200, status
    body = {
        "subjectType": "SubjectAuthorized",
        "dateRange": {"dateType": "Invoicing", "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
    }
    found = wait_for(
        lambda: checked(buyer.post("/invoices/query/metadata", json=body), 200).json()["invoices"],
        lambda items: any(m["ksefNumber"] == status["ksefNumber"] for m in items),
    )
    meta = next(m for m in found if m["ksefNumber"] == status["ksefNumber"])
    assert meta["authorizedSubject"] == {"nip": NOWAK, "name": "Nowak IT", "role": 3}


def test_batch_in_tar_gz_offline_mode(writer: httpx.Client) -> None:
    import tarfile

    documents = [invoice(issued=today() - timedelta(days=1)), invoice()]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for index, xml in enumerate(documents, start=1):
            info = tarfile.TarInfo(f"paczka/f{index}.xml")
            info.size = len(xml)
            tar.addfile(info, io.BytesIO(xml))
    archive = buffer.getvalue()
    sym = new_symmetric_key(writer)
    part = aes_encrypt(sym.key, sym.iv, archive)
    body = {
        "formCode": FA3_FORM,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": sha256_b64(archive),
            "compressionType": "TarGz",
            "fileParts": [{"ordinalNumber": 1, "fileSize": len(part), "fileHash": sha256_b64(part)}],
        },
        "encryption": sym.info,
        "offlineMode": True,
    }
    opened = checked(writer.post("/sessions/batch", json=body), 201).json()
    [upload] = opened["partUploadRequests"]
    assert httpx.put(upload["url"], content=part[:-16], headers=upload["headers"]).status_code == 201
    short = writer.post(f"/sessions/batch/{opened['referenceNumber']}/close")
    assert exception_code(checked(short, 400)) == 21157  # the uploaded part is shorter than declared
    assert httpx.put(upload["url"], content=part, headers=upload["headers"]).status_code == 201
    checked(writer.post(f"/sessions/batch/{opened['referenceNumber']}/close"), 204)
    ref = opened["referenceNumber"]
    done = wait_for(lambda: writer.get(f"/sessions/{ref}").json(), lambda s: s["status"]["code"] >= 200)
    assert done["status"]["code"] == 200, done
    listed = checked(writer.get(f"/sessions/{ref}/invoices", params={"pageSize": 10}), 200).json()["invoices"]
    assert [i["invoiceFileName"] for i in listed] == ["paczka/f1.xml", "paczka/f2.xml"]
    assert [i["invoicingMode"] for i in listed] == ["Offline", "Offline"]
