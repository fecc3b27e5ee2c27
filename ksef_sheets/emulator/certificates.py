"""KSeF certificates (PROTOCOL.md §18.4, openapi.json tag "Certyfikaty"): limits, enrolment data,
enrolment of a PKCS#10 CSR, its status, retrieval, query, revocation and TEST's validity update.

Rules the emulator keeps, as KSeF does:

- Enrolment needs a XAdES login: after a KSeF-token login ``GET /certificates/enrollments/data``
  answers 400/25001 and ``POST /certificates/enrollments`` 400/25002.
- The enrolment data are the subject attributes of the certificate used at login (recorded by
  ``note_login``); the CSR must carry exactly them (25003). Keys: RSA-2048 or EC P-256 (25010);
  signatures RSA PKCS#1 v1.5 / PSS or ECDSA with SHA-1/256/384/512 (25011); unreadable CSR or a
  bad CSR signature 25004.
- Limits per subject (``GET /limits/subject``, TEST knobs ``/testdata/limits/subject/certificate``):
  enrolment requests ever made (25006) and active certificates (25007).
- The certificate is issued by the emulator's own CA (key and certificate in ``state_dir/keys``),
  valid two years from ``validFrom`` (or now), with the CSR's subject. ``login_identity`` tells the
  XAdES login whether a certificate is one of these, who it names and whether it may log in.
- The enrolment stays in status 100 for ``processing_delay`` (for clients' polling loops).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from ksef_sheets.emulator.certificate_authority import (
    DATA_FIELDS,
    CertificateAuthority,
    attribute_text,
    check_csr_subject,
    public_key_sha256,
    read_csr,
)
from ksef_sheets.emulator.errors import bad_request, gone, validation_error
from ksef_sheets.emulator.keys import EmulatorKeys
from ksef_sheets.emulator.limits import ContextLimits
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.state import iso, parse_iso

if TYPE_CHECKING:
    from ksef_sheets.emulator.access import AccessContext

ENROLLMENT_RETENTION = dt.timedelta(days=30)
CERTIFICATE_TYPES = ("Authentication", "Offline")
STATUSES = ("Active", "Blocked", "Revoked", "Expired")
REVOCATION_REASONS = ("Unspecified", "Superseded", "KeyCompromise")
SERIAL_PATTERN = r"^[0-9A-F]{16}$"

ENROLLMENT_STATUS_TEXT = {
    100: "Wniosek przyjęty do realizacji",
    200: "Wniosek obsłużony (certyfikat wygenerowany)",
    400: "Wniosek odrzucony",
}
NOT_FOUND_25008 = "Certyfikat o podanym numerze seryjnym nie istnieje."


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS certificate_login_subjects (
            auth_ref TEXT PRIMARY KEY, attributes TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS certificate_enrollments (
            reference TEXT PRIMARY KEY, subject_type TEXT NOT NULL, subject_value TEXT NOT NULL,
            name TEXT NOT NULL, certificate_type TEXT NOT NULL, request_date TEXT NOT NULL,
            ready_at TEXT NOT NULL, status_code INTEGER NOT NULL, status_details TEXT,
            serial TEXT
        );
        CREATE TABLE IF NOT EXISTS ksef_certificates (
            serial TEXT PRIMARY KEY, name TEXT NOT NULL, certificate_type TEXT NOT NULL,
            common_name TEXT NOT NULL, subject_type TEXT NOT NULL, subject_value TEXT NOT NULL,
            der BLOB NOT NULL, public_key_sha256 TEXT NOT NULL,
            valid_from TEXT NOT NULL, valid_to TEXT NOT NULL, request_date TEXT NOT NULL,
            revoked_at TEXT, revocation_reason TEXT, last_use_date TEXT
        );
        CREATE INDEX IF NOT EXISTS ksef_certificates_subject
            ON ksef_certificates(subject_type, subject_value);
        CREATE INDEX IF NOT EXISTS certificate_enrollments_subject
            ON certificate_enrollments(subject_type, subject_value);
        """
    )


@dataclass(frozen=True)
class LoginIdentity:
    """Who a KSeF certificate names at login, and whether it may log in (status 200 or 460)."""

    subject_type: str
    subject_value: str
    status: int
    details: list[str] | None


class CertificateService:
    """State and rules of KSeF certificates; the routes (``certificate_routes``) only parse and answer."""

    def __init__(self, rt: Runtime, keys: EmulatorKeys, context_limits: ContextLimits) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        self.context_limits = context_limits
        self.processing_delay = dt.timedelta(0)
        init_schema(self.db)
        self.ca = CertificateAuthority(keys.folder)

    # --- login side ------------------------------------------------------------------------------
    def note_login(self, auth_ref: str, cert: x509.Certificate) -> None:
        """Remember the subject attributes of the certificate a XAdES login used (enrolment data)."""
        attributes = {
            field: attribute_text(values[0].value)
            for field, oid in DATA_FIELDS
            if (values := cert.subject.get_attributes_for_oid(oid))
        }
        self.db.execute(
            "INSERT OR REPLACE INTO certificate_login_subjects(auth_ref, attributes) VALUES(?, ?)",
            (auth_ref, json.dumps(attributes, ensure_ascii=False)),
        )

    def login_identity(self, cert: x509.Certificate) -> LoginIdentity | None:
        """None for a certificate this CA did not issue; else who it names and whether it may log in."""
        if not self.ca.issued(cert):
            return None
        serial = f"{cert.serial_number:016X}"
        row = self.db.execute("SELECT * FROM ksef_certificates WHERE serial = ?", (serial,)).fetchone()
        if row is None:
            return None
        status = self._status(row)
        subject = (row["subject_type"], row["subject_value"])
        if status in ("Revoked", "Blocked"):
            return LoginIdentity(*subject, 460, ["Certyfikat unieważniony"])
        if status == "Expired" or self.clock.now() < parse_iso(row["valid_from"]):
            return LoginIdentity(*subject, 460, ["Nieważny certyfikat"])
        if row["certificate_type"] != "Authentication":
            return LoginIdentity(*subject, 460, ["Certyfikat typu Offline nie służy do uwierzytelnienia"])
        self.db.execute(
            "UPDATE ksef_certificates SET last_use_date = ? WHERE serial = ?",
            (iso(self.clock.now()), serial),
        )
        return LoginIdentity(*subject, 200, None)

    # --- limits ----------------------------------------------------------------------------------
    def limits(self, ctx: AccessContext) -> tuple[tuple[int, int], tuple[int, int]]:
        """((enrolment limit, remaining), (certificate limit, remaining)) for the caller's subject."""
        effective = self.context_limits.for_subject(ctx.subject_identifier, ctx.subject_type)
        max_enrollments = int(effective["enrollment"]["maxEnrollments"])
        max_certificates = int(effective["certificate"]["maxCertificates"])
        used_enrollments = self.db.execute(
            "SELECT COUNT(*) FROM certificate_enrollments WHERE subject_type = ? AND subject_value = ?",
            (ctx.subject_type, ctx.subject_identifier),
        ).fetchone()[0]
        active = sum(1 for row in self._rows_of(ctx) if self._status(row) in ("Active", "Blocked"))
        return (
            (max_enrollments, max(0, max_enrollments - used_enrollments)),
            (max_certificates, max(0, max_certificates - active)),
        )

    # --- enrolment -------------------------------------------------------------------------------
    def enrollment_data(self, ctx: AccessContext, request: Request) -> dict[str, str]:
        row = (
            self.db.execute(
                "SELECT attributes FROM certificate_login_subjects WHERE auth_ref = ?", (ctx.auth_ref,)
            ).fetchone()
            if ctx.auth_method == "XadesSignature"
            else None
        )
        if row is None:
            raise bad_request(
                25001,
                "Brak możliwości pobrania danych do CSR dla wykorzystanego sposobu uwierzytelnienia.",
                request=request,
            )
        data: dict[str, str] = json.loads(row["attributes"])
        data.setdefault("countryName", "PL")
        data.setdefault("commonName", data.get("organizationName") or ctx.subject_identifier)
        # A stable identifier per subject, as KSeF gives one per authenticated entity.
        data.setdefault(
            "uniqueIdentifier",
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"ksef:{ctx.subject_type}:{ctx.subject_identifier}")),
        )
        return data

    def enroll(
        self,
        ctx: AccessContext,
        request: Request,
        *,
        name: str,
        certificate_type: str,
        csr_b64: str,
        valid_from: dt.datetime | None,
    ) -> dict[str, str]:
        if ctx.auth_method != "XadesSignature":
            raise bad_request(
                25002,
                "Brak możliwości złożenia wniosku certyfikacyjnego dla wykorzystanego sposobu uwierzytelnienia.",
                request=request,
            )
        data = self.enrollment_data(ctx, request)
        csr = read_csr(csr_b64, request)
        check_csr_subject(csr, data, request)
        (_, enrollments_left), (_, certificates_left) = self.limits(ctx)
        if enrollments_left <= 0:
            raise bad_request(
                25006, "Osiągnięto limit możliwych do złożenia wniosków certyfikacyjnych.", request=request
            )
        if certificates_left <= 0:
            raise bad_request(
                25007, "Osiągnięto limit dopuszczalnej liczby posiadanych certyfikatów.", request=request
            )
        now = self.clock.now()
        reference = self.runtime.new_reference("EH")
        status, details, serial = self._issue(ctx, csr, name, certificate_type, valid_from or now, now)
        self.db.execute(
            "INSERT INTO certificate_enrollments(reference, subject_type, subject_value, name,"
            " certificate_type, request_date, ready_at, status_code, status_details, serial)"
            " VALUES(?,?,?,?,?,?,?,?,?,?)",
            (
                reference,
                ctx.subject_type,
                ctx.subject_identifier,
                name,
                certificate_type,
                iso(now),
                iso(now + self.processing_delay),
                status,
                json.dumps(details) if details else None,
                serial,
            ),
        )
        return {"referenceNumber": reference, "timestamp": iso(now)}

    def _issue(
        self,
        ctx: AccessContext,
        csr: x509.CertificateSigningRequest,
        name: str,
        certificate_type: str,
        valid_from: dt.datetime,
        now: dt.datetime,
    ) -> tuple[int, list[str] | None, str | None]:
        """(enrolment status, details, serial): 400 when another subject certified the key already."""
        key_sha = public_key_sha256(csr.public_key())
        taken = self.db.execute(
            "SELECT 1 FROM ksef_certificates WHERE public_key_sha256 = ?"
            " AND NOT (subject_type = ? AND subject_value = ?)",
            (key_sha, ctx.subject_type, ctx.subject_identifier),
        ).fetchone()
        status, details, serial = 200, None, None
        if taken:
            status, details = 400, ["Klucz publiczny został już certyfikowany przez inny podmiot."]
        else:
            serial = self._new_serial()
            start = valid_from.astimezone(dt.UTC)
            cert = self.ca.issue(csr, int(serial, 16), start, certificate_type)
            common = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            self.db.execute(
                "INSERT INTO ksef_certificates(serial, name, certificate_type, common_name, subject_type,"
                " subject_value, der, public_key_sha256, valid_from, valid_to, request_date)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (
                    serial,
                    name,
                    certificate_type,
                    attribute_text(common[0].value) if common else ctx.subject_identifier,
                    ctx.subject_type,
                    ctx.subject_identifier,
                    cert.public_bytes(serialization.Encoding.DER),
                    key_sha,
                    iso(cert.not_valid_before_utc),
                    iso(cert.not_valid_after_utc),
                    iso(now),
                ),
            )
        return status, details, serial

    def enrollment_status(self, ctx: AccessContext, reference: str, request: Request) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT * FROM certificate_enrollments WHERE reference = ? AND subject_type = ? AND subject_value = ?",
            (reference, ctx.subject_type, ctx.subject_identifier),
        ).fetchone()
        if row is None:
            raise bad_request(
                25005,
                "Wniosek certyfikacyjny o podanym numerze referencyjnym nie istnieje.",
                request=request,
            )
        now = self.clock.now()
        if now - parse_iso(row["request_date"]) > ENROLLMENT_RETENTION:
            raise gone("Operacja wygasła i nie jest już dostępna.", request=request)
        code = 100 if now < parse_iso(row["ready_at"]) else int(row["status_code"])
        status: dict[str, Any] = {"code": code, "description": ENROLLMENT_STATUS_TEXT[code]}
        body: dict[str, Any] = {"requestDate": row["request_date"], "status": status}
        if code != 100 and row["status_details"]:
            status["details"] = json.loads(row["status_details"])
        if code == 200:
            body["certificateSerialNumber"] = row["serial"]
        return body

    # --- certificates ----------------------------------------------------------------------------
    def _new_serial(self) -> str:
        while True:
            # 63 bits, top nibble non-zero: 16 hex digits, a positive DER INTEGER.
            serial = f"{secrets.randbits(63) | (1 << 60):016X}"
            if not self.db.execute("SELECT 1 FROM ksef_certificates WHERE serial = ?", (serial,)).fetchone():
                return serial

    def _rows_of(self, ctx: AccessContext) -> list[sqlite3.Row]:
        return list(
            self.db.execute(
                "SELECT * FROM ksef_certificates WHERE subject_type = ? AND subject_value = ?"
                " ORDER BY request_date DESC, serial",
                (ctx.subject_type, ctx.subject_identifier),
            )
        )

    def _owned(self, ctx: AccessContext, serial: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM ksef_certificates WHERE serial = ? AND subject_type = ? AND subject_value = ?",
            (serial, ctx.subject_type, ctx.subject_identifier),
        ).fetchone()
        return row

    def _status(self, row: sqlite3.Row) -> str:
        if row["revoked_at"]:
            return "Revoked"
        if self.clock.now() > parse_iso(row["valid_to"]):
            return "Expired"
        return "Active"

    def retrieve(self, ctx: AccessContext, serials: list[str]) -> list[dict[str, str]]:
        result = []
        for serial in dict.fromkeys(serials):
            row = self._owned(ctx, serial)
            if row is not None:
                result.append(
                    {
                        "certificate": base64.b64encode(row["der"]).decode(),
                        "certificateName": row["name"],
                        "certificateSerialNumber": row["serial"],
                        "certificateType": row["certificate_type"],
                    }
                )
        return result

    def query(
        self, ctx: AccessContext, filters: CertificateFilters, page_offset: int, page_size: int
    ) -> dict[str, Any]:
        items = []
        for row in self._rows_of(ctx):
            status = self._status(row)
            if filters.certificateSerialNumber and row["serial"] != filters.certificateSerialNumber:
                continue
            if filters.name and filters.name.lower() not in row["name"].lower():
                continue
            if filters.type and row["certificate_type"] != filters.type:
                continue
            if filters.status and status != filters.status:
                continue
            if filters.expiresAfter and parse_iso(row["valid_to"]) <= _aware(filters.expiresAfter):
                continue
            item: dict[str, Any] = {
                "certificateSerialNumber": row["serial"],
                "name": row["name"],
                "type": row["certificate_type"],
                "commonName": row["common_name"],
                "status": status,
                "subjectIdentifier": {"type": row["subject_type"], "value": row["subject_value"]},
                "validFrom": row["valid_from"],
                "validTo": row["valid_to"],
                "requestDate": row["request_date"],
            }
            if row["last_use_date"]:
                item["lastUseDate"] = row["last_use_date"]
            items.append(item)
        start = page_offset * page_size
        return {"certificates": items[start : start + page_size], "hasMore": len(items) > start + page_size}

    def revoke(self, ctx: AccessContext, serial: str, reason: str | None, request: Request) -> None:
        row = self._owned(ctx, serial)
        if row is None:
            raise bad_request(25008, NOT_FOUND_25008, request=request)
        if self._status(row) != "Active":
            raise bad_request(
                25009,
                "Nie można odwołać wskazanego certyfikatu, ponieważ jest już odwołany, zablokowany lub nieważny.",
                request=request,
            )
        self.db.execute(
            "UPDATE ksef_certificates SET revoked_at = ?, revocation_reason = ? WHERE serial = ?",
            (iso(self.clock.now()), reason or "Unspecified", serial),
        )

    def update_valid_to(
        self, ctx: AccessContext, serial: str, valid_to: dt.datetime, request: Request
    ) -> None:
        """TEST only: end a certificate's validity earlier (never later than now)."""
        row = self._owned(ctx, serial)
        if row is None:
            raise bad_request(25008, NOT_FOUND_25008, request=request)
        valid_to = _aware(valid_to)
        if valid_to > self.clock.now():
            raise validation_error(
                ["validTo: nowa data ważności nie może być późniejsza niż obecna."], request=request
            )
        self.db.execute("UPDATE ksef_certificates SET valid_to = ? WHERE serial = ?", (iso(valid_to), serial))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class CertificateFilters(BaseModel):
    """The body of ``POST /certificates/query``."""

    model_config = ConfigDict(extra="ignore")
    certificateSerialNumber: str | None = Field(default=None, pattern=SERIAL_PATTERN)
    name: str | None = None
    type: Literal["Authentication", "Offline"] | None = None
    status: Literal["Active", "Blocked", "Revoked", "Expired"] | None = None
    expiresAfter: dt.datetime | None = None
