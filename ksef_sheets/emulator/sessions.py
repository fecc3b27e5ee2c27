"""Sending invoices: online and batch sessions, session/invoice status and UPO (PROTOCOL.md §8–§11, §24).

Online: ``POST /sessions/online`` (formCode + RSA-OAEP-wrapped AES key) → ``…/invoices`` (checks the
declared hashes and sizes, then processes asynchronously: decrypt, XML and XSD checks, permission
to issue for the seller, P_1 not after acceptance, duplicate by seller NIP + RodzajFaktury + P_2,
KSeF number, offline marking) → ``…/close`` → collective UPO.
Batch: ``POST /sessions/batch`` → PUT the encrypted parts to signed storage links (no token) →
``…/close`` → the package is decrypted, checked, unpacked (zip or tar.gz, entries checked) and
every invoice processed as above with ``invoicingDate`` = the session's opening time.

Processing runs on the server's event loop right after the request that triggers it, so a client
sees status 100 and then the result, as on KSeF. Session AES keys live only in memory.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import sqlite3
import tarfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from starlette.requests import Request

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.invoice_xml import InvoiceXmlError, invoice_facts, parse_xml
from ksef_sheets.emulator.invoices import InvoiceStore
from ksef_sheets.emulator.limits import ContextLimits
from ksef_sheets.emulator.links import StorageLinks
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.session_records import SessionRecords, _Outcome
from ksef_sheets.emulator.session_schema import (
    MAX_ENTRY_BYTES,
    SendInvoiceBody,
)
from ksef_sheets.emulator.wire import WARSAW, aes_decrypt, b64_sha256, from_us, to_us


class SessionService(SessionRecords):
    """``emu.sessions``: the state of sending sessions (``SessionRecords``) and the processing of their invoices."""

    def __init__(
        self, rt: Runtime, *, invoices: InvoiceStore, links: StorageLinks, context_limits: ContextLimits
    ) -> None:
        super().__init__(rt, invoices, links)
        self.context_limits = context_limits
        self._pending: set[asyncio.Task[None]] = set()

    def _schedule(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def send_online(self, ctx: AccessContext, ref: str, body: SendInvoiceBody, request: Request) -> str:
        """``POST /sessions/online/{ref}/invoices``: check the encrypted invoice against its declared
        size and hash, the session's state and limit and a technical correction's target, record it
        and process it in the background; the invoice's reference."""
        session = self.session_row(ref, ctx, request)
        if session["kind"] != "Online" or session["status"] != 100:
            raise bad_request(
                21180,
                "Status sesji nie pozwala na wykonanie operacji.",
                [f"Status sesji {session['status']} uniemożliwia wysyłkę faktur."],
                request=request,
            )
        try:
            cipher = base64.b64decode(body.encrypted_invoice_content, validate=True)
        except (ValueError, binascii.Error):
            raise validation_error(
                ["encryptedInvoiceContent: nieprawidłowe kodowanie Base64."], request=request
            ) from None
        if len(cipher) != body.encrypted_invoice_size:
            raise bad_request(
                21402,
                "Nieprawidłowy rozmiar pliku.",
                ["Długość treści nie zgadza się z rozmiarem pliku."],
                request=request,
            )
        if b64_sha256(cipher) != body.encrypted_invoice_hash:
            raise bad_request(
                21403,
                "Nieprawidłowy skrót pliku.",
                ["Skrót treści nie zgadza się ze skrótem pliku."],
                request=request,
            )
        limit = (
            self.context_limits.for_context(ctx.context_value)
            .get("onlineSession", {})
            .get("maxInvoices", 10_000)
        )
        count = self.invoice_count(ref)
        if count >= limit:
            raise bad_request(
                21155,
                "Przekroczono dozwoloną liczbę faktur w sesji.",
                [f"Sesja o numerze referencyjnym {ref} osiągnęła dozwolony limit liczby faktur {limit}."],
                request=request,
            )
        if body.hash_of_corrected:
            if 200 in self.sent_statuses(body.hash_of_corrected, ctx.context_value):
                raise bad_request(
                    21167,
                    "Status faktury nie pozwala na korektę techniczną.",
                    ["Nie można wysłać korekty technicznej do prawidłowo przetworzonej faktury."],
                    request=request,
                )
            if self.has_processed_correction(body.hash_of_corrected):
                raise bad_request(
                    21166,
                    "Korekta techniczna niedostępna.",
                    ["Faktura posiada już przetworzoną prawidłowo korektę techniczną."],
                    request=request,
                )
        inv_ref, _ = self._add_invoice(
            ref,
            body.invoice_hash,
            self.now(),
            offline=body.offline_mode,
            hash_of_corrected=body.hash_of_corrected,
        )
        self._touch(ref)
        key = self._keys.get(ref)
        self._schedule(self.process_sent(session, inv_ref, key, cipher, body.invoice_size, body.invoice_hash))
        return inv_ref

    def process_invoice(self, session: sqlite3.Row, inv_ref: str, plain: bytes, *, kind: str) -> None:
        """Verify one decrypted invoice and, when it passes, put it into the store (status 200)."""
        row = self.db.execute("SELECT * FROM session_invoice WHERE ref = ?", (inv_ref,)).fetchone()
        invoicing_at = from_us(row["invoicing_us"])
        number: str | None = None
        try:
            root = parse_xml(plain)
            try:
                facts = invoice_facts(root)
                number = facts.invoice_number
            except InvoiceXmlError:
                facts = None
            from ksef_sheets.fa3 import validate_tree

            problems = validate_tree(root.getroottree())
            if problems:
                details = [problem.describe() for problem in problems[:20]]
                self._finish_invoice(inv_ref, _Outcome(450, details), invoice_number=number)
                return
            if facts is None:
                facts = invoice_facts(root)
        except InvoiceXmlError as exc:
            self._finish_invoice(inv_ref, _Outcome(450, exc.details), invoice_number=number)
            return
        outcome = self._verify(session, facts, plain, invoicing_at, kind=kind, row=row)
        if outcome is not None:
            self._finish_invoice(
                inv_ref, outcome, invoice_number=facts.invoice_number, seller_nip=facts.seller_nip
            )
            return
        accepted = max(self.now(), invoicing_at)
        stored = self.store.store(
            plain,
            accepted_at=accepted,
            invoicing_at=invoicing_at,
            offline=bool(row["offline"]),
            session_ref=session["ref"],
            hash_of_corrected=row["hash_of_corrected"],
            facts=facts,
        )
        self._finish_invoice(
            inv_ref,
            _Outcome(200),
            invoice_number=facts.invoice_number,
            ksef_number=stored.ksef_number,
            acquisition_us=to_us(stored.acquisition_date),
            storage_us=to_us(stored.permanent_storage_date),
            mode=stored.invoicing_mode,
            seller_nip=facts.seller_nip,
            issue_date=facts.issue_date.isoformat(),
        )
        self._touch(session["ref"])

    def _verify(
        self,
        session: sqlite3.Row,
        facts: Any,
        plain: bytes,
        invoicing_at: datetime,
        *,
        kind: str,
        row: sqlite3.Row,
    ) -> _Outcome | None:
        form = json.loads(session["form_code"])
        declared = (form["systemCode"], form["schemaVersion"], form["value"])
        found = (facts.form_code["systemCode"], facts.form_code["schemaVersion"], facts.form_code["value"])
        if declared != found:
            return _Outcome(
                450,
                [f"Kod formularza faktury {found} nie zgadza się z kodem formularza sesji {declared}."],
            )
        limits = self.context_limits.for_context(session["context_value"])
        group = limits.get("onlineSession" if kind == "Online" else "batchSession", {})
        cap_mb = group.get(
            "maxInvoiceWithAttachmentSizeInMB" if facts.has_attachment else "maxInvoiceSizeInMB", 1
        )
        if len(plain) > cap_mb * 1_000_000:
            return _Outcome(430, [f"Rozmiar faktury {len(plain)} B przekracza limit {cap_mb} MB."])
        if facts.has_attachment and kind == "Online" and not row["hash_of_corrected"]:
            return _Outcome(415, ["Faktury z załącznikiem można wysyłać wyłącznie w sesji wsadowej."])
        context = session["context_value"]
        allowed = context == facts.seller_nip
        allowed = allowed or (facts.is_self_invoicing and context == facts.buyer_value)
        allowed = allowed or (facts.authorized is not None and facts.authorized.get("nip") == context)
        if not allowed:
            return _Outcome(
                410,
                [
                    f"Kontekst {context} nie ma uprawnień do wystawiania faktur w imieniu sprzedawcy {facts.seller_nip}."
                ],
            )
        if facts.issue_date > invoicing_at.astimezone(WARSAW).date():
            return _Outcome(
                450,
                [
                    f"Data wystawienia faktury (P_1) {facts.issue_date} jest późniejsza niż data jej przyjęcia."
                ],
            )
        duplicate = self.store.find_duplicate(facts.seller_nip, facts.fa_type, facts.invoice_number)
        if duplicate is not None:
            original_number, original_session = duplicate
            return _Outcome(
                440,
                [f"Faktura o numerze {facts.invoice_number} została już przyjęta jako {original_number}."],
                {
                    "originalSessionReferenceNumber": original_session or "",
                    "originalKsefNumber": original_number,
                },
            )
        return None

    async def process_sent(
        self,
        session: sqlite3.Row,
        inv_ref: str,
        key: tuple[bytes, bytes] | None,
        cipher: bytes,
        invoice_size: int,
        invoice_hash: str,
    ) -> None:
        """Decrypt one invoice sent in an online session, check it against what was declared and
        process it; closes the session when it was closed while the invoice waited."""
        ref = session["ref"]
        try:
            plain = aes_decrypt(key[0], key[1], cipher) if key else None
        except ValueError:
            plain = None
        if plain is None:
            self._finish_invoice(inv_ref, _Outcome(435, ["Nie można odszyfrować faktury kluczem sesji."]))
        elif len(plain) != invoice_size or b64_sha256(plain) != invoice_hash:
            self._finish_invoice(
                inv_ref,
                _Outcome(435, ["Rozmiar lub skrót odszyfrowanej faktury nie zgadza się z zadeklarowanym."]),
            )
        else:
            self._finish_invoice(inv_ref, _Outcome(150))
            self.process_invoice(session, inv_ref, plain, kind="Online")
        if self.session_status(ref) == 170:
            self._finish_session(ref)

    async def process_batch(self, ref: str) -> None:
        session = self.db.execute("SELECT * FROM send_session WHERE ref = ?", (ref,)).fetchone()
        key = self._keys.pop(ref, None)
        declared = json.loads(session["batch_file"])
        if key is None:
            self._set_status(ref, 415)
            return
        archive = bytearray()
        for part in sorted(declared["fileParts"], key=lambda p: p["ordinalNumber"]):
            data = self.part_path(ref, part["ordinalNumber"]).read_bytes()
            if b64_sha256(data) != part["fileHash"]:
                self._set_status(
                    ref, 405, [f"Skrót części {part['ordinalNumber']} nie zgadza się z zadeklarowanym."]
                )
                return
            try:
                archive += aes_decrypt(key[0], key[1], data)
            except ValueError:
                self._set_status(ref, 435, [f"Nie można odszyfrować części {part['ordinalNumber']}."])
                return
        if len(archive) != declared["fileSize"] or b64_sha256(bytes(archive)) != declared["fileHash"]:
            self._set_status(ref, 405, ["Rozmiar lub skrót paczki nie zgadza się z zadeklarowanym."])
            return
        try:
            entries = list(_archive_entries(bytes(archive), declared.get("compressionType") or "Zip"))
        except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
            self._set_status(ref, 430, [f"Nie można rozpakować paczki: {exc}"])
            return
        limits = self.context_limits.for_context(session["context_value"]).get("batchSession", {})
        if len(entries) > limits.get("maxInvoices", 10_000):
            self._set_status(ref, 420)
            return
        invoicing_at = from_us(session["created_us"])
        for name, data in entries:
            inv_ref, _ = self._add_invoice(
                ref, b64_sha256(data), invoicing_at, offline=bool(session["offline"]), file_name=name[:128]
            )
            self.process_invoice(session, inv_ref, data, kind="Batch")
            await asyncio.sleep(0)
        ok = self.db.execute(
            "SELECT COUNT(*) FROM session_invoice WHERE session_ref = ? AND status = 200", (ref,)
        ).fetchone()[0]
        if not entries:
            self._set_status(ref, 440, ["Nie przesłano faktur"])
        elif ok == 0:
            self._set_status(ref, 445)
        else:
            self._finish_session(ref)


def _archive_entries(archive: bytes, compression: str) -> Iterator[tuple[str, bytes]]:
    """(file name, bytes) of each invoice file; hostile names and oversized entries are refused."""

    def check_name(name: str) -> str:
        if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name:
            raise ValueError(f"niedozwolona nazwa pliku w paczce: {name!r}")
        return name

    if compression == "TarGz":
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            count = 0
            for member in tar:
                if member.isdir():
                    continue
                if not member.isfile():
                    raise ValueError(f"niedozwolony typ wpisu w paczce: {member.name!r}")
                count += 1
                if count > 10_001 or member.size > MAX_ENTRY_BYTES:
                    raise ValueError(f"wpis {member.name!r} jest zbyt duży lub wpisów jest zbyt wiele")
                handle = tar.extractfile(member)
                assert handle is not None
                yield check_name(member.name), handle.read(MAX_ENTRY_BYTES + 1)
        return
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        infos = [info for info in zf.infolist() if not info.is_dir()]
        if len(infos) > 10_001:
            raise ValueError("zbyt wiele plików w paczce")
        for info in infos:
            name = check_name(info.filename)
            if info.file_size > MAX_ENTRY_BYTES:
                raise ValueError(f"plik {name!r} jest zbyt duży")
            with zf.open(info) as handle:
                data = handle.read(MAX_ENTRY_BYTES + 1)
            if len(data) > MAX_ENTRY_BYTES:
                raise ValueError(f"plik {name!r} jest zbyt duży")
            yield name, data
