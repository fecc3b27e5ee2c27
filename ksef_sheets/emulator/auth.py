"""Authentication (PROTOCOL.md §4): challenge, KSeF-token and XAdES login, status, redeem, refresh,
authentication sessions, and the access-token check every other endpoint uses.

JWTs are HS256, signed with the secret in ``state_dir/keys``; their ``exp`` is checked on the
emulator clock (so a test can let an access token expire without waiting). Lifetimes:
authentication token 45 min, access token 15 min, refresh token 7 days. An access token carries
the context, the subject and the permissions effective when it was issued; like KSeF, it stays
valid until it expires even if permissions or the session are revoked (a refresh picks up changes).

The outcome of a login is decided when the request arrives; ``AuthService.processing_delay`` keeps
the operation in status 100 for a while, for clients' polling loops to be exercised.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from ksef_sheets.emulator.access import AccessContext
from ksef_sheets.emulator.certificates import CertificateService
from ksef_sheets.emulator.errors import (
    EmulatorHTTPError,
    bad_request,
    forbidden,
    unauthorized,
    validation_error,
)
from ksef_sheets.emulator.keys import TOKEN_USAGE, EmulatorKeys
from ksef_sheets.emulator.limits import client_ip
from ksef_sheets.emulator.permissions import Permissions
from ksef_sheets.emulator.request import bearer_token
from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.state import iso, parse_iso
from ksef_sheets.emulator.testdata import Subjects
from ksef_sheets.emulator.tokens import Tokens
from ksef_sheets.emulator.xades import CertificateIdentity, XadesError, identify, verify_auth_request
from ksef_sheets.identifiers import is_valid_nip

CHALLENGE_LIFETIME = timedelta(minutes=10)
AUTH_TOKEN_LIFETIME = timedelta(minutes=45)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=7)
STATUS_RETENTION = timedelta(days=7)
ISSUER = "ksef-sheets-emulator"

STATUS_TEXT = {
    100: "Uwierzytelnianie w toku",
    200: "Uwierzytelnianie zakończone sukcesem",
    415: "Uwierzytelnianie zakończone niepowodzeniem",
    425: "Uwierzytelnienie unieważnione",
    450: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
    460: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
    470: "Uwierzytelnianie zakończone niepowodzeniem",
    480: "Uwierzytelnienie zablokowane",
    500: "Nieznany błąd",
}
REVOKED_DETAIL = "Uwierzytelnienie i powiązane refresh tokeny zostały unieważnione przez użytkownika"
BLOCKED_DETAIL = "Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z Ministerstwem Finansów przez formularz zgłoszeniowy."
CONTEXT_PATTERNS = {"Nip", "InternalId", "NipVatUe", "PeppolId"}


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS auth_challenges (
            challenge TEXT PRIMARY KEY, timestamp_ms INTEGER NOT NULL, created TEXT NOT NULL,
            client_ip TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS auth_operations (
            reference TEXT PRIMARY KEY, context_type TEXT NOT NULL, context_value TEXT NOT NULL,
            subject_type TEXT, subject_value TEXT,
            method TEXT NOT NULL, method_category TEXT NOT NULL, method_code TEXT NOT NULL,
            method_name TEXT NOT NULL,
            status_code INTEGER NOT NULL, status_details TEXT,
            start_date TEXT NOT NULL, ready_at TEXT NOT NULL,
            redeemed INTEGER NOT NULL DEFAULT 0, last_refresh TEXT, refresh_valid_until TEXT,
            ksef_token_ref TEXT, allowed_ips TEXT, client_ip TEXT
        );
        CREATE INDEX IF NOT EXISTS auth_operations_context ON auth_operations(context_value);
        """
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Claims:
    kind: str  # auth | access | refresh
    reference: str
    payload: dict[str, Any]


def ip_allowed(ip: str, policy: dict[str, list[str]] | None) -> bool:
    if not policy or not any(policy.get(k) for k in ("ip4Addresses", "ip4Ranges", "ip4Masks")):
        return True
    try:
        address = ipaddress.IPv4Address(ip)
    except ValueError:
        return False
    if ip in (policy.get("ip4Addresses") or []):
        return True
    for item in policy.get("ip4Ranges") or []:
        low, _, high = item.partition("-")
        try:
            if ipaddress.IPv4Address(low) <= address <= ipaddress.IPv4Address(high):
                return True
        except ValueError:
            continue
    for item in policy.get("ip4Masks") or []:
        try:
            if address in ipaddress.IPv4Network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


class AuthService:
    def __init__(
        self,
        rt: Runtime,
        *,
        keys: EmulatorKeys,
        subjects: Subjects,
        permissions: Permissions,
        tokens: Tokens,
        certificates: CertificateService,
    ) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        self.keys = keys
        self.subjects = subjects
        self.permissions = permissions
        self.tokens = tokens
        self.certificates = certificates
        self.processing_delay = timedelta(0)
        init_schema(self.db)

    # --- JWT -------------------------------------------------------------------------------------
    def issue_jwt(
        self, kind: str, reference: str, lifetime: timedelta, extra: dict[str, Any] | None = None
    ) -> tuple[str, datetime]:
        now = self.clock.now()
        until = now + lifetime
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": ISSUER,
            "typ": kind,
            "ref": reference,
            "iat": int(now.timestamp()),
            "exp": int(until.timestamp()),
            "jti": _b64url(secrets.token_bytes(12)),
        }
        payload.update(extra or {})
        return jwt.encode(payload, self.keys.jwt_secret, algorithm="HS256"), until

    def decode(self, request: Request, kind: str) -> Claims:
        """The bearer JWT of ``kind``; 401 when missing, forged, of another kind or expired."""
        token = bearer_token(request)
        try:
            payload = jwt.decode(
                token,
                self.keys.jwt_secret,
                algorithms=["HS256"],
                audience=ISSUER,
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "typ", "ref"]},
            )
        except jwt.PyJWTError:
            raise unauthorized("Nieprawidłowy token dostępu.", request=request) from None
        if payload.get("typ") != kind:
            raise unauthorized("Nieprawidłowy rodzaj tokena dla tej operacji.", request=request)
        if int(payload["exp"]) <= self.clock.timestamp():
            raise unauthorized("Token wygasł.", request=request)
        return Claims(kind, str(payload["ref"]), payload)

    def authorize_access(self, request: Request, *, any_of: set[str] | None = None) -> AccessContext:

        claims = self.decode(request, "access")
        p = claims.payload
        policy = p.get("ips")
        if policy and not ip_allowed(client_ip(request), policy):
            raise forbidden(
                "ip-not-allowed",
                "Żądanie pochodzi z adresu IP innego niż wskazany podczas uwierzytelnienia.",
                {"clientIp": client_ip(request)},
                request=request,
            )
        ctx = AccessContext(
            context_type=p["ctt"],
            context_value=p["ctv"],
            subject_identifier=p["sbv"],
            permissions=frozenset(p.get("per", [])),
            auth_ref=claims.reference,
            subject_type=p["sbt"],
            auth_method=p.get("mth", "Token"),
            ksef_token_ref=p.get("tok"),
            is_owner=bool(p.get("own")),
        )
        if any_of and not ctx.has_any(any_of):
            raise forbidden(
                "missing-permissions",
                "Brak wymaganych uprawnień do wykonania operacji w bieżącym kontekście.",
                {"requiredAnyOfPermissions": sorted(any_of), "presentPermissions": sorted(ctx.permissions)},
                request=request,
            )
        return ctx

    # --- challenges ------------------------------------------------------------------------------
    def new_challenge(self, ip: str) -> dict[str, Any]:
        now = self.clock.now()
        challenge = self.runtime.new_reference("CR")
        timestamp_ms = int(now.timestamp() * 1000)
        # Challenges are worthless after 10 minutes; keep the table small.
        self.db.execute("DELETE FROM auth_challenges WHERE created < ?", (iso(now - timedelta(days=1)),))
        self.db.execute(
            "INSERT INTO auth_challenges(challenge, timestamp_ms, created, client_ip) VALUES(?,?,?,?)",
            (challenge, timestamp_ms, iso(now), ip),
        )
        return {"challenge": challenge, "timestamp": iso(now), "timestampMs": timestamp_ms, "clientIp": ip}

    def use_challenge(self, challenge: str, request: Request) -> int:
        """Consume a challenge; 400/21111 when unknown, used or older than 10 minutes."""
        row = self.db.execute("SELECT * FROM auth_challenges WHERE challenge = ?", (challenge,)).fetchone()
        problem = None
        if row is None:
            problem = "Nieznane wyzwanie autoryzacyjne."
        elif row["used"]:
            problem = "Wyzwanie autoryzacyjne zostało już wykorzystane."
        elif self.clock.now() - parse_iso(row["created"]) > CHALLENGE_LIFETIME:
            problem = "Wyzwanie autoryzacyjne wygasło."
        if problem:
            raise bad_request(21111, "Nieprawidłowe wyzwanie autoryzacyjne.", [problem], request=request)
        self.db.execute("UPDATE auth_challenges SET used = 1 WHERE challenge = ?", (challenge,))
        return int(row["timestamp_ms"])

    # --- operations ------------------------------------------------------------------------------
    def _create_operation(
        self,
        *,
        context_type: str,
        context_value: str,
        subject_type: str | None,
        subject_value: str | None,
        method: str,
        category: str,
        code: str,
        name: str,
        status: int,
        details: list[str] | None,
        ksef_token_ref: str | None,
        allowed_ips: dict[str, list[str]] | None,
        ip: str,
    ) -> dict[str, Any]:
        now = self.clock.now()
        reference = self.runtime.new_reference("AU")
        self.db.execute(
            "INSERT INTO auth_operations(reference, context_type, context_value, subject_type, subject_value,"
            " method, method_category, method_code, method_name, status_code, status_details, start_date,"
            " ready_at, ksef_token_ref, allowed_ips, client_ip) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                reference,
                context_type,
                context_value,
                subject_type,
                subject_value,
                method,
                category,
                code,
                name,
                status,
                json.dumps(details) if details else None,
                iso(now),
                iso(now + self.processing_delay),
                ksef_token_ref,
                json.dumps(allowed_ips) if allowed_ips else None,
                ip,
            ),
        )
        token, until = self.issue_jwt("auth", reference, AUTH_TOKEN_LIFETIME)
        return {
            "referenceNumber": reference,
            "authenticationToken": {"token": token, "validUntil": iso(until)},
        }

    def operation(self, reference: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM auth_operations WHERE reference = ?", (reference,)
        ).fetchone()
        return row

    def status_of(self, row: sqlite3.Row) -> tuple[int, list[str] | None]:
        if self.clock.now() < parse_iso(row["ready_at"]):
            return 100, None
        details = json.loads(row["status_details"]) if row["status_details"] else None
        return int(row["status_code"]), details

    def decide(
        self, context_type: str, context_value: str, subject_type: str, subject_value: str
    ) -> tuple[int, list[str] | None, frozenset[str]]:
        """Status for a subject logging into a context: 480 blocked, 470 deceased, 415 no permissions, 200."""
        if self.subjects.is_blocked(context_type, context_value):
            return 480, [BLOCKED_DETAIL], frozenset()
        if subject_type == "Pesel" and self.subjects.is_deceased(subject_value):
            return 470, ["Próba wykorzystania metod autoryzacyjnych osoby zmarłej"], frozenset()
        effective = self.permissions.effective(context_type, context_value, subject_type, subject_value)
        if not effective.permissions:
            return 415, ["Brak przypisanych uprawnień"], frozenset()
        return 200, None, effective.permissions

    def current_permissions(self, row: sqlite3.Row) -> tuple[frozenset[str], bool]:
        effective = self.permissions.effective(
            row["context_type"], row["context_value"], row["subject_type"], row["subject_value"]
        )
        permissions = effective.permissions
        if row["ksef_token_ref"]:
            record = self.tokens.get(row["ksef_token_ref"])
            permissions = permissions & frozenset(record.permissions) if record else frozenset()
        return permissions, effective.is_owner

    def access_token(
        self, row: sqlite3.Row, permissions: frozenset[str], is_owner: bool
    ) -> tuple[str, datetime]:
        extra: dict[str, Any] = {
            "ctt": row["context_type"],
            "ctv": row["context_value"],
            "sbt": row["subject_type"],
            "sbv": row["subject_value"],
            "per": sorted(permissions),
            "mth": row["method_category"],
            "own": is_owner,
        }
        if row["ksef_token_ref"]:
            extra["tok"] = row["ksef_token_ref"]
        if row["allowed_ips"]:
            extra["ips"] = json.loads(row["allowed_ips"])
        return self.issue_jwt("access", row["reference"], ACCESS_TOKEN_LIFETIME, extra)

    def revoke_session(self, reference: str) -> bool:
        return (
            self.db.execute(
                "UPDATE auth_operations SET status_code = 425, status_details = ? WHERE reference = ? AND status_code = 200",
                (json.dumps([REVOKED_DETAIL]), reference),
            ).rowcount
            > 0
        )

    # --- login flows -------------------------------------------------------------------------------
    def login_with_token(self, body: _TokenLogin, request: Request) -> dict[str, Any]:
        ctx_type, ctx_value = body.contextIdentifier.type, body.contextIdentifier.value
        _check_context(ctx_type, ctx_value, request)
        if body.publicKeyId is not None and not self.keys.knows_public_key_id(body.publicKeyId, TOKEN_USAGE):
            raise bad_request(
                21470,
                "Nieznany lub wycofany identyfikator klucza publicznego.",
                [f"publicKeyId {body.publicKeyId} nie odpowiada kluczowi KsefTokenEncryption."],
                request=request,
            )
        try:
            ciphertext = base64.b64decode(body.encryptedToken, validate=True)
        except (binascii.Error, ValueError):
            raise validation_error(["encryptedToken: wymagany Base64."], request=request) from None
        timestamp_ms = self.use_challenge(body.challenge, request)
        status, details, token_ref = self._token_outcome(ciphertext, timestamp_ms, ctx_type, ctx_value)
        subject_type = subject_value = None
        record = self.tokens.get(token_ref) if token_ref else None
        if record is not None:
            subject_type, subject_value = record.author_type, record.author_value
            if status == 200:
                status, details, held = self.decide(ctx_type, ctx_value, subject_type, subject_value)
                if status == 200 and not (held & frozenset(record.permissions)):
                    status, details = 415, ["Brak przypisanych uprawnień"]
            if status == 200:
                self.tokens.touch(record.reference)
        policy = (
            body.authorizationPolicy.allowedIps.model_dump()
            if body.authorizationPolicy and body.authorizationPolicy.allowedIps
            else None
        )
        return self._create_operation(
            context_type=ctx_type,
            context_value=ctx_value,
            subject_type=subject_type,
            subject_value=subject_value,
            method="Token",
            category="Token",
            code="token.ksef",
            name="Token KSeF",
            status=status,
            details=details,
            ksef_token_ref=token_ref,
            allowed_ips=policy,
            ip=client_ip(request),
        )

    def _token_outcome(
        self, ciphertext: bytes, timestamp_ms: int, ctx_type: str, ctx_value: str
    ) -> tuple[int, list[str] | None, str | None]:
        try:
            plaintext = self.keys.decrypt(TOKEN_USAGE, ciphertext)
        except ValueError:
            return 450, ["Nieprawidłowe szyfrowanie tokena"], None
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            return 450, ["Nieprawidłowe kodowanie tokena"], None
        token, sep, stamp = text.rpartition("|")
        if not sep or not stamp.isdigit():
            return 450, ["Nieprawidłowe kodowanie tokena"], None
        record = self.tokens.find(token)
        if record is None:
            return 450, ["Nieprawidłowy token"], None
        if int(stamp) != timestamp_ms:
            return 450, ["Nieprawidłowy czas tokena"], record.reference
        if record.status in ("Revoking", "Revoked"):
            return 450, ["Token unieważniony"], record.reference
        if record.status != "Active":
            return 450, ["Token nieaktywny"], record.reference
        if (record.context_type, record.context_value) != (ctx_type, ctx_value):
            return 450, [f"Token nie może być użyty w kontekście {ctx_value}"], record.reference
        return 200, None, record.reference

    def login_with_xades(self, data: bytes, request: Request) -> dict[str, Any]:
        try:
            parsed = verify_auth_request(data)
        except XadesError as exc:
            raise bad_request(exc.code, exc.description, exc.details, request=request) from None
        # A KSeF certificate (issued by the emulator's CA) names the subject it was enrolled for.
        ksef_certificate = self.certificates.login_identity(parsed.certificate)
        if ksef_certificate is not None:
            identity = CertificateIdentity(
                ksef_certificate.subject_type,
                ksef_certificate.subject_value,
                "InternalCertificate",
                "xades.ksef-certificate",
                "Certyfikat KSeF",
            )
        else:
            try:
                identity = identify(parsed.certificate, parsed.subject_identifier_type)
            except XadesError as exc:
                raise bad_request(exc.code, exc.description, exc.details, request=request) from None
        if parsed.context_type == "Nip" and not is_valid_nip(parsed.context_value):
            raise validation_error(
                ["ContextIdentifier/Nip: nieprawidłowa suma kontrolna NIP."], request=request
            )
        if parsed.context_type != "Nip" and identity.subject_type == "Fingerprint":
            raise bad_request(
                21117,
                "Nieprawidłowy identyfikator podmiotu dla wskazanego typu kontekstu.",
                [f"Kontekst {parsed.context_type} wymaga certyfikatu z identyfikatorem."],
                request=request,
            )
        self.use_challenge(parsed.challenge, request)
        now = self.clock.now()
        cert = parsed.certificate
        status: int
        details: list[str] | None
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            status, details = 460, ["Nieważny certyfikat"]
        elif ksef_certificate is not None and ksef_certificate.status != 200:
            status, details = ksef_certificate.status, ksef_certificate.details
        elif (
            ksef_certificate is None
            and request.query_params.get("verifyCertificateChain", "").lower() == "true"
        ):
            # TEST accepts self-signed certificates only without the chain check.
            status, details = 460, ["Niezaufany łańcuch certyfikatów"]
        else:
            status, details, _ = self.decide(
                parsed.context_type, parsed.context_value, identity.subject_type, identity.subject_value
            )
        started = self._create_operation(
            context_type=parsed.context_type,
            context_value=parsed.context_value,
            subject_type=identity.subject_type,
            subject_value=identity.subject_value,
            method=identity.method,
            category="XadesSignature",
            code=identity.method_code,
            name=identity.display_name,
            status=status,
            details=details,
            ksef_token_ref=None,
            allowed_ips=parsed.allowed_ips,
            ip=client_ip(request),
        )
        self.certificates.note_login(started["referenceNumber"], cert)
        return started

    # -- what the routes change --------------------------------------------------------------------
    def mark_redeemed(self, reference: str) -> bool:
        """One-shot: mark first, so a concurrent second call cannot redeem too."""
        updated: int = self.db.execute(
            "UPDATE auth_operations SET redeemed = 1 WHERE reference = ? AND redeemed = 0", (reference,)
        ).rowcount
        return bool(updated)

    def set_refresh_until(self, reference: str, until: datetime) -> None:
        self.db.execute(
            "UPDATE auth_operations SET refresh_valid_until = ? WHERE reference = ?", (iso(until), reference)
        )

    def note_refresh(self, reference: str) -> None:
        self.db.execute(
            "UPDATE auth_operations SET last_refresh = ? WHERE reference = ?",
            (iso(self.clock.now()), reference),
        )

    def succeeded_operations(self, context_type: str, context_value: str) -> list[sqlite3.Row]:
        """Successful logins in the context, newest first (``GET /auth/sessions``)."""
        return list(
            self.db.execute(
                "SELECT * FROM auth_operations WHERE context_type = ? AND context_value = ? AND status_code = 200"
                " ORDER BY start_date DESC, reference DESC",
                (context_type, context_value),
            )
        )


def _check_context(ctx_type: str, ctx_value: str, request: Request) -> None:
    if ctx_type not in CONTEXT_PATTERNS:
        raise validation_error([f"contextIdentifier.type: nieznany typ '{ctx_type}'."], request=request)
    if ctx_type == "Nip" and not is_valid_nip(ctx_value):
        raise validation_error(["contextIdentifier.value: nieprawidłowy NIP."], request=request)
    if ctx_type == "InternalId" and not (len(ctx_value) == 16 and is_valid_nip(ctx_value[:10])):
        raise validation_error(
            ["contextIdentifier.value: nieprawidłowy identyfikator wewnętrzny."], request=request
        )


# --- request bodies ---------------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _ContextIdentifier(_Model):
    type: str
    value: str


class _AllowedIps(_Model):
    ip4Addresses: list[str] | None = Field(default=None, max_length=10)
    ip4Ranges: list[str] | None = Field(default=None, max_length=10)
    ip4Masks: list[str] | None = Field(default=None, max_length=10)


class _Policy(_Model):
    allowedIps: _AllowedIps | None = None


class _TokenLogin(_Model):
    challenge: str = Field(min_length=36, max_length=36)
    contextIdentifier: _ContextIdentifier
    encryptedToken: str = Field(min_length=1)
    publicKeyId: str | None = None
    authorizationPolicy: _Policy | None = None


__all__ = ["AuthService", "EmulatorHTTPError"]
