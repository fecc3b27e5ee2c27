"""The verification pages KOD I and KOD II point to (PROTOCOL.md §18.2–18.3), at the emulator's root.

KSeF serves them on its QR host (``qr-test.ksef.mf.gov.pl`` …); ``ksef.qr_base_for("emulator", url)``
gives the emulator's origin, so a code printed during training opens these pages:

- ``GET /invoice/{sellerNip}/{DD-MM-YYYY}/{hash}`` — KOD I: is an invoice with this SHA-256 in KSeF,
  issued by this seller on this day? 200 when it is; 404 when it is not (yet) or the data do not
  match; 400 for a link that is not a KOD I link. An original that got a technical correction
  (``hashOfCorrectedInvoice``, §18.1) redirects (303) to the corrected invoice's page.
- ``GET /certificate/{ctxType}/{ctxValue}/{sellerNip}/{serial}/{hash}/{signature}`` — KOD II: the
  certificate exists, is valid (dates), not revoked, of type ``Offline``; the signature over the link
  (without ``https://`` and ``/signature``) verifies with its public key; its subject may issue in the
  context (owner, or InvoiceWrite there) and the context may issue for the seller (the seller itself,
  the buyer of a self-invoice, or the invoice's authorised subject). 200 or 404, 400 as above.

A small Polish HTML page by default, ``application/json`` (``{"valid", "title", "lines"}``) when the
client asks for it. The logic lives in ``VerificationService``; the routes (``verification_routes``) only
parse and answer.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cryptography import x509

from ksef_sheets.emulator.permissions import Permissions
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.state import parse_iso
from ksef_sheets.fa3 import b64url, b64url_decode, verify_link_signature
from ksef_sheets.identifiers import is_valid_nip

CONTEXT_TYPES = ("Nip", "InternalId", "NipVatUe", "PeppolId")
ISSUING_PERMISSIONS = frozenset({"InvoiceWrite"})
_HASH = re.compile(r"^[A-Za-z0-9_-]{43}$")
_SIGNATURE = re.compile(r"^[A-Za-z0-9_-]{40,700}$")
_SERIAL = re.compile(r"^[0-9A-F]{16,40}$")
_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")


@dataclass
class Verdict:
    """What the page says: ``status`` 200 (valid), 404 (not confirmed), 400 (not a link), 303 (moved)."""

    status: int
    title: str
    lines: list[str] = field(default_factory=list)
    redirect: str | None = None

    @property
    def valid(self) -> bool:
        return self.status == 200


def _money(value: Any, currency: str) -> str:
    try:
        amount = f"{float(value):,.2f}".replace(",", " ").replace(".", ",")
    except (TypeError, ValueError):
        return ""
    return f"{amount} {currency}"


class VerificationService:
    """Answers for the verification pages, from the emulator's own store of invoices and certificates."""

    def __init__(self, rt: Runtime, permissions: Permissions) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        self.permissions = permissions

    # -- KOD I ------------------------------------------------------------------------------

    def invoice(self, nip: str, day_text: str, hash_text: str) -> Verdict:
        problem = self._link_problem(nip, day_text, hash_text)
        if problem:
            return Verdict(400, "Nieprawidłowy kod weryfikujący", [problem])
        issue_day = datetime.strptime(day_text, "%d-%m-%Y").date()
        digest = base64.b64encode(b64url_decode(hash_text)).decode("ascii")
        row = self._invoice_by_hash(digest)
        if row is None:
            corrected = self._correction_of(digest)
            if corrected is not None:
                meta = json.loads(corrected["meta"])
                new_hash = b64url(base64.b64decode(meta["invoiceHash"]))
                issued = date.fromisoformat(meta["issueDate"])
                return Verdict(
                    303,
                    "Faktura została poprawiona korektą techniczną",
                    [f"Aktualna wersja faktury ma numer KSeF {meta['ksefNumber']}."],
                    redirect=f"/invoice/{meta['seller']['nip']}/{issued:%d-%m-%Y}/{new_hash}",
                )
            return Verdict(
                404,
                "Faktury nie ma w KSeF",
                [
                    "W KSeF nie ma faktury o tym skrócie. Faktura offline mogła jeszcze nie zostać "
                    "przesłana do KSeF albo jej treść została zmieniona."
                ],
            )
        meta = json.loads(row["meta"])
        if row["seller_nip"] != nip or row["issue_date"] != issue_day.isoformat():
            return Verdict(
                404,
                "Dane w kodzie nie zgadzają się z fakturą w KSeF",
                [
                    f"Faktura o tym skrócie ma w KSeF sprzedawcę {row['seller_nip']} i datę wystawienia "
                    f"{date.fromisoformat(row['issue_date']):%d.%m.%Y}."
                ],
            )
        lines = [
            f"Numer KSeF: {meta['ksefNumber']}",
            f"Numer faktury: {meta['invoiceNumber']}",
            f"Sprzedawca: {meta['seller'].get('name') or 'NIP'} {nip}",
            f"Data wystawienia: {issue_day:%d.%m.%Y}",
            f"Kwota brutto: {_money(meta.get('grossAmount'), meta.get('currency') or 'PLN')}",
        ]
        if meta.get("invoicingMode") == "Offline":
            lines.append("Faktura wystawiona w trybie offline.")
        return Verdict(200, "Faktura znajduje się w KSeF", lines)

    def _invoice_by_hash(self, digest: str) -> Any:
        return self.db.execute(
            "SELECT ksef_number, seller_nip, issue_date, meta FROM invoice WHERE invoice_hash = ?", (digest,)
        ).fetchone()

    def _correction_of(self, digest: str) -> Any:
        return self.db.execute(
            "SELECT meta FROM invoice WHERE json_extract(meta, '$.hashOfCorrectedInvoice') = ?"
            " ORDER BY seq DESC LIMIT 1",
            (digest,),
        ).fetchone()

    @staticmethod
    def _link_problem(nip: str, day_text: str, hash_text: str) -> str | None:
        if not is_valid_nip(nip):
            return f"„{nip}” nie jest poprawnym numerem NIP sprzedawcy."
        if not _DATE.match(day_text):
            return f"„{day_text}” nie jest datą w postaci DD-MM-RRRR."
        try:
            datetime.strptime(day_text, "%d-%m-%Y")
        except ValueError:
            return f"„{day_text}” nie jest poprawną datą."
        if not _HASH.match(hash_text) or len(b64url_decode(hash_text)) != 32:
            return "Skrót faktury w kodzie nie jest skrótem SHA-256 (Base64URL)."
        return None

    # -- KOD II -----------------------------------------------------------------------------

    def certificate(
        self,
        signed_part: str,
        ctx_type: str,
        ctx_value: str,
        nip: str,
        serial: str,
        hash_text: str,
        signature_text: str,
    ) -> Verdict:
        problem = self._certificate_link_problem(ctx_type, nip, serial, hash_text, signature_text)
        if problem:
            return Verdict(400, "Nieprawidłowy kod weryfikujący", [problem])
        row = self.db.execute("SELECT * FROM ksef_certificates WHERE serial = ?", (serial,)).fetchone()
        if row is None:
            return Verdict(404, "Certyfikat nie istnieje", [f"W KSeF nie ma certyfikatu o numerze {serial}."])
        now = self.clock.now()
        refusal: str | None = None
        if row["revoked_at"]:
            refusal = f"Certyfikat {serial} został unieważniony."
        elif now < parse_iso(row["valid_from"]) or now > parse_iso(row["valid_to"]):
            refusal = f"Certyfikat {serial} jest nieważny (poza okresem ważności)."
        elif row["certificate_type"] != "Offline":
            refusal = (
                f"Certyfikat {serial} jest typu {row['certificate_type']}; kod II podpisuje się wyłącznie "
                "certyfikatem KSeF typu Offline."
            )
        if refusal:
            return Verdict(404, "Certyfikat nie potwierdza wystawcy faktury", [refusal])
        certificate = x509.load_der_x509_certificate(bytes(row["der"]))
        if not verify_link_signature(signed_part.encode("utf-8"), b64url_decode(signature_text), certificate):
            return Verdict(
                404,
                "Podpis kodu jest nieprawidłowy",
                ["Podpis w kodzie nie zgadza się z certyfikatem — kod mógł zostać zmieniony."],
            )
        digest = base64.b64encode(b64url_decode(hash_text)).decode("ascii")
        invoice = self._invoice_by_hash(digest)
        meta = json.loads(invoice["meta"]) if invoice is not None else None
        entitled = self._entitled(row["subject_type"], row["subject_value"], ctx_type, ctx_value)
        if not entitled:
            return Verdict(
                404,
                "Wystawca nie ma uprawnień",
                [
                    f"Właściciel certyfikatu ({row['subject_type']} {row['subject_value']}) nie ma uprawnienia "
                    f"do wystawiania faktur w kontekście {ctx_type} {ctx_value}."
                ],
            )
        if not self._context_may_issue(ctx_type, ctx_value, nip, meta):
            return Verdict(
                404,
                "Wystawca nie ma uprawnień",
                [f"Kontekst {ctx_type} {ctx_value} nie może wystawiać faktur w imieniu sprzedawcy {nip}."],
            )
        lines = [
            f"Certyfikat KSeF nr {serial} (typ Offline) jest ważny i nie został unieważniony.",
            f"Wystawca: {row['common_name']} ({row['subject_type']} {row['subject_value']}), kontekst "
            f"{ctx_type} {ctx_value}, sprzedawca NIP {nip}.",
            "Podpis kodu jest prawidłowy.",
        ]
        if meta is not None:
            lines.append(f"Faktura jest już w KSeF pod numerem {meta['ksefNumber']}.")
        else:
            lines.append("Faktury nie ma jeszcze w KSeF (faktura offline czeka na przesłanie).")
        return Verdict(200, "Wystawca faktury potwierdzony", lines)

    def _entitled(self, subject_type: str, subject_value: str, ctx_type: str, ctx_value: str) -> bool:
        if ctx_type == "Nip" and subject_type == "Nip" and subject_value == ctx_value:
            return True
        effective = self.permissions.effective(ctx_type, ctx_value, subject_type, subject_value)
        return effective.is_owner or bool(effective.permissions & ISSUING_PERMISSIONS)

    @staticmethod
    def _context_may_issue(ctx_type: str, ctx_value: str, nip: str, meta: dict[str, Any] | None) -> bool:
        if ctx_type == "Nip" and ctx_value == nip:
            return True
        if meta is None:
            return False
        buyer = (meta.get("buyer") or {}).get("identifier") or {}
        if meta.get("isSelfInvoicing") and buyer.get("value") == ctx_value:
            return True
        return bool((meta.get("authorizedSubject") or {}).get("nip") == ctx_value)

    @staticmethod
    def _certificate_link_problem(
        ctx_type: str, nip: str, serial: str, hash_text: str, signature_text: str
    ) -> str | None:
        if ctx_type not in CONTEXT_TYPES:
            return f"„{ctx_type}” nie jest typem kontekstu KSeF (Nip, InternalId, NipVatUe, PeppolId)."
        if not is_valid_nip(nip):
            return f"„{nip}” nie jest poprawnym numerem NIP sprzedawcy."
        if not _SERIAL.match(serial):
            return f"„{serial}” nie jest numerem seryjnym certyfikatu KSeF."
        if not _HASH.match(hash_text) or len(b64url_decode(hash_text)) != 32:
            return "Skrót faktury w kodzie nie jest skrótem SHA-256 (Base64URL)."
        if not _SIGNATURE.match(signature_text):
            return "Podpis w kodzie nie jest zapisany w Base64URL."
        try:
            b64url_decode(signature_text)
        except (binascii.Error, ValueError):
            return "Podpis w kodzie nie jest zapisany w Base64URL."
        return None


# ---------------------------------------------------------------------------------------------
