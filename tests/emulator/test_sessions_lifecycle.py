"""Session life cycle over time: HWM visibility, expiry, deadlines, technical correction, paging (PROTOCOL.md §8–§10, §18, §24)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

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
NOWAK = "5210537039"
MALWA = "6762966431"
SELLER = Party(name="Studio Urody Malwa", nip=MALWA, address1="ul. Kwiatowa 2", address2="00-001 Warszawa")
BUYER = Party(name="Nowak IT Consulting", nip=NOWAK, address1="ul. Leśna 5", address2="00-002 Warszawa")
_numbers = iter(range(1, 100_000))


def invoice(number: str | None = None) -> bytes:
    n = next(_numbers)
    return generate_invoice(
        random.Random(1000 + n),
        seller=SELLER,
        buyer=BUYER,
        issue_date=datetime.now(WARSAW).date(),
        number=number or f"FV/LIFE/{n}",
    )


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEmulator]:
    # Own emulator: these tests move its clock.
    with run_emulator(
        tmp_path_factory.mktemp("emu-life"), office=demo_seed_office(), seed=11, clients=2
    ) as emu:
        yield emu


def client_for(running: RunningEmulator, nip: str) -> httpx.Client:
    assert running.seed_info is not None
    return api(running.base_url, login(running.base_url, nip, running.seed_info.client(nip)["token"]))


def test_a_new_invoice_appears_under_the_hwm_only_once_permanently_stored(running: RunningEmulator) -> None:
    store = running.emulator.invoices
    store.hwm_lag = timedelta(hours=1)  # KSeF's HWM trails real time; make the trail long enough to see
    try:
        with client_for(running, MALWA) as writer, client_for(running, NOWAK) as reader:
            since = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
            session_ref, [ref] = send_online(writer, [invoice()])
            number = invoice_status(writer, session_ref, ref)["ksefNumber"]
            body = {"subjectType": "Subject2", "dateRange": {"dateType": "PermanentStorage", "from": since}}

            def numbers(query: dict[str, object]) -> list[str]:
                result = checked(reader.post("/invoices/query/metadata", json=query), 200).json()
                return [m["ksefNumber"] for m in result["invoices"]]

            # "sync to now" sees it once it is permanently stored ...
            wait_for(lambda: numbers(body), lambda found: number in found)
            # ... but everything after the HWM may still change, so the restricted window stops there.
            restricted = {
                **body,
                "dateRange": {**body["dateRange"], "restrictToPermanentStorageHwmDate": True},
            }
            assert (
                exception_code(checked(reader.post("/invoices/query/metadata", json=restricted), 400))
                == 21183
            )
            older = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
            restricted["dateRange"]["from"] = older
            result = checked(reader.post("/invoices/query/metadata", json=restricted), 200).json()
            hwm = datetime.fromisoformat(result["permanentStorageHwmDate"])
            assert hwm < datetime.now(UTC) - timedelta(minutes=59)
            assert number not in [m["ksefNumber"] for m in result["invoices"]]
            running.emulator.clock.advance(timedelta(hours=2))
        with client_for(running, NOWAK) as reader:
            result = checked(reader.post("/invoices/query/metadata", json=restricted), 200).json()
            found = {m["ksefNumber"]: m for m in result["invoices"]}
            assert number in found
            stored = datetime.fromisoformat(found[number]["permanentStorageDate"])
            assert stored <= datetime.fromisoformat(result["permanentStorageHwmDate"])
            assert stored > datetime.fromisoformat(found[number]["acquisitionDate"])
    finally:
        store.hwm_lag = timedelta(seconds=1)


def test_technical_correction_of_a_rejected_offline_invoice(running: RunningEmulator) -> None:
    with client_for(running, MALWA) as writer:
        good = invoice("FV/KT/1")
        rejected = good.replace(b"<RodzajFaktury>VAT</RodzajFaktury>", b"<RodzajFaktury>BAD</RodzajFaktury>")
        ref1, [bad_ref] = send_online(writer, [rejected], offlineMode=True)
        assert invoice_status(writer, ref1, bad_ref)["status"]["code"] == 450
        ref2, [fix_ref] = send_online(
            writer, [good], offlineMode=True, hashOfCorrectedInvoice=sha256_b64(rejected)
        )
        fixed = invoice_status(writer, ref2, fix_ref)
        assert fixed["status"]["code"] == 200 and fixed["invoicingMode"] == "Offline"
        query = {
            "subjectType": "Subject1",
            "ksefNumber": fixed["ksefNumber"],
            "dateRange": {
                "dateType": "Invoicing",
                "from": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            },
        }
        meta = wait_for(
            lambda: checked(writer.post("/invoices/query/metadata", json=query), 200).json()["invoices"], bool
        )
        assert meta[0]["hashOfCorrectedInvoice"] == sha256_b64(rejected)
        assert meta[0]["invoicingMode"] == "Offline"
        sym = new_symmetric_key(writer)
        open_ref = checked(
            writer.post("/sessions/online", json={"formCode": FA3_FORM, "encryption": sym.info}), 201
        ).json()["referenceNumber"]
        other = invoice("FV/KT/2")
        cipher = aes_encrypt(sym.key, sym.iv, other)
        body = {
            "invoiceHash": sha256_b64(other),
            "invoiceSize": len(other),
            "encryptedInvoiceHash": sha256_b64(cipher),
            "encryptedInvoiceSize": len(cipher),
            "encryptedInvoiceContent": b64(cipher),
            "offlineMode": True,
        }
        again = writer.post(
            f"/sessions/online/{open_ref}/invoices",
            json={**body, "hashOfCorrectedInvoice": sha256_b64(rejected)},
        )
        assert exception_code(checked(again, 400)) == 21166  # the original already has an accepted correction
        of_accepted = writer.post(
            f"/sessions/online/{open_ref}/invoices", json={**body, "hashOfCorrectedInvoice": sha256_b64(good)}
        )
        assert (
            exception_code(checked(of_accepted, 400)) == 21167
        )  # an accepted invoice needs no technical correction
        problem = writer.post(
            f"/sessions/online/{open_ref}/invoices",
            json={**body, "hashOfCorrectedInvoice": sha256_b64(good)},
            headers={"X-Error-Format": "problem-details"},
        )
        checked(problem, 400)
        assert problem.headers["content-type"].startswith("application/problem+json")
        assert problem.json()["errors"][0]["code"] == 21167
        checked(writer.post(f"/sessions/online/{open_ref}/close"), 204)


def test_invoice_list_pages_with_continuation_tokens(running: RunningEmulator) -> None:
    with client_for(running, MALWA) as writer:
        session_ref, refs = send_online(writer, [invoice() for _ in range(12)])
        for ref in refs:
            invoice_status(writer, session_ref, ref)
        first = checked(writer.get(f"/sessions/{session_ref}/invoices", params={"pageSize": 10}), 200).json()
        assert len(first["invoices"]) == 10 and first["continuationToken"]
        second = checked(
            writer.get(
                f"/sessions/{session_ref}/invoices",
                params={"pageSize": 10},
                headers={"x-continuation-token": first["continuationToken"]},
            ),
            200,
        ).json()
        assert [i["ordinalNumber"] for i in first["invoices"] + second["invoices"]] == list(range(1, 13))
        assert not second.get("continuationToken")
        bad = writer.get(f"/sessions/{session_ref}/invoices", headers={"x-continuation-token": "%%%"})
        assert exception_code(checked(bad, 400)) == 21418
        checked(writer.post(f"/sessions/online/{session_ref}/close"), 204)


def test_an_online_session_closes_itself_after_12_hours_and_batch_uploads_have_a_deadline(
    running: RunningEmulator,
) -> None:
    with client_for(running, MALWA) as writer:
        session_ref, [ref] = send_online(writer, [invoice()])
        invoice_status(writer, session_ref, ref)
        opened = checked(writer.get(f"/sessions/{session_ref}"), 200).json()
        valid_until = datetime.fromisoformat(opened["validUntil"])
        assert (
            timedelta(hours=11, minutes=59)
            < valid_until - datetime.fromisoformat(opened["dateCreated"])
            <= timedelta(hours=12)
        )
        sym = new_symmetric_key(writer)
        part = b"x" * 32
        batch = checked(
            writer.post(
                "/sessions/batch",
                json={
                    "formCode": FA3_FORM,
                    "batchFile": {
                        "fileSize": 20,
                        "fileHash": sha256_b64(b"y" * 20),
                        "fileParts": [
                            {"ordinalNumber": 1, "fileSize": len(part), "fileHash": sha256_b64(part)}
                        ],
                    },
                    "encryption": sym.info,
                },
            ),
            201,
        ).json()
    running.emulator.clock.advance(timedelta(hours=13))
    with client_for(running, MALWA) as writer:
        listed_online = checked(
            writer.get("/sessions", params={"sessionType": "Online", "pageSize": 100}), 200
        ).json()
        mine = next(s for s in listed_online["sessions"] if s["referenceNumber"] == session_ref)
        assert mine["status"]["code"] == 200  # the list shows it closed too, without asking for it first
        closed = wait_for(
            lambda: checked(writer.get(f"/sessions/{session_ref}"), 200).json(),
            lambda s: s["status"]["code"] != 170,
        )
        assert closed["status"]["code"] == 200 and closed["upo"]["pages"]
        [upload] = batch["partUploadRequests"]
        assert (
            httpx.put(upload["url"], content=part, headers=upload["headers"]).status_code == 403
        )  # window over
        late = writer.post(f"/sessions/batch/{batch['referenceNumber']}/close")
        assert exception_code(checked(late, 400)) == 21208
        cancelled = checked(writer.get(f"/sessions/{batch['referenceNumber']}"), 200).json()
        assert cancelled["status"]["code"] == 440
        listed = checked(
            writer.get("/sessions", params=[("sessionType", "Batch"), ("statuses", "Cancelled")]), 200
        ).json()["sessions"]
        assert batch["referenceNumber"] in [s["referenceNumber"] for s in listed]


def test_context_session_limits_and_upo_pages(
    running: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ksef_sheets.emulator import session_records

    monkeypatch.setattr(session_records, "UPO_PAGE_SIZE", 2)  # KSeF pages at 10,000 documents
    with client_for(running, MALWA) as writer:
        limits = {
            "onlineSession": {
                "maxInvoiceSizeInMB": 1,
                "maxInvoiceWithAttachmentSizeInMB": 3,
                "maxInvoices": 3,
            },
            "batchSession": {
                "maxInvoiceSizeInMB": 1,
                "maxInvoiceWithAttachmentSizeInMB": 3,
                "maxInvoices": 3,
            },
            "collectiveIdentifier": {"maxInvoices": 1000},
        }
        checked(writer.post("/testdata/limits/context/session", json=limits), 200)
        try:
            documents = [invoice() for _ in range(4)]
            session_ref, refs = send_online(writer, documents[:3])
            sym_body = writer.get(f"/sessions/{session_ref}").json()  # still open
            assert sym_body["status"]["code"] == 100
            for ref in refs:
                assert invoice_status(writer, session_ref, ref)["status"]["code"] == 200
            sym = new_symmetric_key(writer)  # the session's key is not needed: the limit is checked first
            cipher = aes_encrypt(sym.key, sym.iv, documents[3])
            fourth = writer.post(
                f"/sessions/online/{session_ref}/invoices",
                json={
                    "invoiceHash": sha256_b64(documents[3]),
                    "invoiceSize": len(documents[3]),
                    "encryptedInvoiceHash": sha256_b64(cipher),
                    "encryptedInvoiceSize": len(cipher),
                    "encryptedInvoiceContent": b64(cipher),
                },
            )
            assert exception_code(checked(fourth, 400)) == 21155
        finally:
            checked(writer.delete("/testdata/limits/context/session"), 200)
        checked(writer.post(f"/sessions/online/{session_ref}/close"), 204)
        done = wait_for(
            lambda: writer.get(f"/sessions/{session_ref}").json(), lambda s: s["status"]["code"] != 170
        )
        pages = done["upo"]["pages"]
        assert len(pages) == 2
        from lxml import etree

        ns = {"u": "http://upo.schematy.mf.gov.pl/KSeF/v4-3"}
        described = []
        for page in pages:
            doc = etree.fromstring(
                checked(writer.get(f"/sessions/{session_ref}/upo/{page['referenceNumber']}"), 200).content
            )
            fields = (
                "Strona",
                "LiczbaStron",
                "ZakresDokumentowOd",
                "ZakresDokumentowDo",
                "CalkowitaLiczbaDokumentow",
            )
            values = [doc.findtext(f"u:OpisPotwierdzenia/u:{name}", namespaces=ns) for name in fields]
            described.append((*values, len(doc.findall("u:Dokument", ns))))
        assert described == [("1", "2", "1", "3", "3", 2), ("2", "2", "3", "4", "3", 1)]


def test_an_invoice_is_downloadable_only_after_permanent_storage(running: RunningEmulator) -> None:
    store = running.emulator.invoices
    store.storage_delay = timedelta(hours=1)
    try:
        with client_for(running, MALWA) as writer:
            xml = invoice()
            session_ref, [ref] = send_online(writer, [xml])
            status = invoice_status(writer, session_ref, ref)
            assert status["status"]["code"] == 200 and "permanentStorageDate" not in status
            early = writer.get(f"/invoices/ksef/{status['ksefNumber']}")
            assert exception_code(checked(early, 400)) == 21165
    finally:
        store.storage_delay = timedelta(milliseconds=500)
    running.emulator.clock.advance(timedelta(hours=2))
    with client_for(running, MALWA) as writer:
        assert checked(writer.get(f"/invoices/ksef/{status['ksefNumber']}"), 200).content == xml
        later = checked(writer.get(f"/sessions/{session_ref}/invoices/{ref}"), 200).json()
        assert datetime.fromisoformat(later["permanentStorageDate"]) > datetime.fromisoformat(
            later["acquisitionDate"]
        )
