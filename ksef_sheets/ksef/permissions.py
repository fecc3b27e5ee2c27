"""Who holds which KSeF permission in each client's context (``ksef-sheets permissions``).

Per client: log in in its context with the vault credential, read what the office itself holds
there (``/permissions/query/personal/grants``) and — when the office may see it (CredentialsRead or
CredentialsManage) — everyone's permissions in that context (``/permissions/query/persons/grants``).
One client's problem (no credential, KSeF down) is reported for that client and the others are
still read. A login refused because the office holds nothing in the context (auth status 415) is
an answer, not a problem: the office holds no permission there.

``OfficeAccess`` is the one source of truth for "does the office hold InvoiceRead / InvoiceWrite
(with canDelegate) for this client": what KSeF answers to the personal permissions query in the
client's context. Fetch, the register's permission columns, the next step and ``permissions`` all
take it from here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.ksef.client import KsefClient
from ksef_sheets.ksef.credentials import CertificateCredential, TokenCredential
from ksef_sheets.ksef.errors import KsefError, KsefPermissionError
from ksef_sheets.ksef.models import Permission
from ksef_sheets.ksef.session import KsefSession

CredentialSource = Callable[[str], TokenCredential | CertificateCredential]

INVOICE_READ = "InvoiceRead"
INVOICE_WRITE = "InvoiceWrite"
CAN_DELEGATE = "canDelegate"
# The Polish labels of the KSeF screens (DOMAIN.md §2.2); codes stay in --json and cell comments.
PERMISSION_LABELS = {
    INVOICE_READ: "przeglądanie faktur",
    INVOICE_WRITE: "wystawianie faktur",
    "CredentialsRead": "przeglądanie uprawnień",
    "CredentialsManage": "zarządzanie uprawnieniami",
    "Introspection": "przeglądanie historii sesji",
    "SubunitManage": "zarządzanie jednostkami podrzędnymi",
    "EnforcementOperations": "operacje egzekucyjne",
    "VatUeManage": "administrator podmiotu unijnego",
    # canDelegate: the office may pass the permission on to its staff (indirect permissions).
    CAN_DELEGATE: "możliwość dalszego przekazania",
}
# KSeF's auth status for "the subject holds no permission in this context".
NO_PERMISSIONS_STATUS = 415


def permission_label(code: str) -> str:
    """A permission as the office reads it (the code itself when KSeF has no Polish name for it)."""
    return PERMISSION_LABELS.get(code, code)


@dataclass(frozen=True)
class OfficeAccess:
    """What the office holds in a client's context, as KSeF answers it.

    ``can_delegate`` is true when every invoice permission the office holds there may be passed
    on to its staff (canDelegate); with none held it is false.
    """

    invoice_read: bool = False
    invoice_write: bool = False
    can_delegate: bool = False
    since: dt.datetime | None = None  # the earliest start of the held invoice permissions

    @classmethod
    def from_permissions(cls, items: Iterable[Permission]) -> OfficeAccess:
        """From the personal permissions query (``/permissions/query/personal/grants``)."""
        held = [
            (p.permission_scope, bool(p.can_delegate), p.start_date)
            for p in items
            if p.permission_scope in (INVOICE_READ, INVOICE_WRITE) and p.permission_state != "Inactive"
        ]
        return cls._of(held)

    @classmethod
    def from_rows(cls, rows: Iterable[PermissionRow]) -> OfficeAccess:
        """From the office's own rows of a ``ClientPermissions`` (source ``biuro``)."""
        held = [
            (r.permission, bool(r.can_delegate), r.since)
            for r in rows
            if r.source == "biuro" and r.permission in (INVOICE_READ, INVOICE_WRITE) and r.state != "Inactive"
        ]
        return cls._of(held)

    @classmethod
    def _of(cls, held: list[tuple[str, bool, dt.datetime | None]]) -> OfficeAccess:
        starts = [start for _, _, start in held if start is not None]
        return cls(
            invoice_read=any(code == INVOICE_READ for code, _, _ in held),
            invoice_write=any(code == INVOICE_WRITE for code, _, _ in held),
            can_delegate=bool(held) and all(delegate for _, delegate, _ in held),
            since=min(starts) if starts else None,
        )

    def text(self) -> str:
        """One Polish phrase, e.g. „przeglądanie faktur, wystawianie faktur (z możliwością dalszego przekazania)”."""
        held = [
            PERMISSION_LABELS[code]
            for code, flag in ((INVOICE_READ, self.invoice_read), (INVOICE_WRITE, self.invoice_write))
            if flag
        ]
        if not held:
            return "brak uprawnień do faktur"
        return ", ".join(held) + (" (z możliwością dalszego przekazania)" if self.can_delegate else "")

    def to_json(self) -> dict[str, bool]:
        return {
            INVOICE_READ: self.invoice_read,
            INVOICE_WRITE: self.invoice_write,
            CAN_DELEGATE: self.can_delegate,
        }


async def read_office_access(session: KsefSession) -> OfficeAccess:
    """What the logged-in office holds in the session's client context (one "other" request)."""
    return OfficeAccess.from_permissions(await session.query_permissions("personal"))


def holds_nothing(error: BaseException) -> bool:
    """Whether a login failed only because the office holds no permission in the context (415)."""
    return isinstance(error, KsefPermissionError) and error.code == NO_PERMISSIONS_STATUS


@dataclass(frozen=True)
class PermissionRow:
    holder_type: str  # Nip | Pesel | Fingerprint
    holder: str
    holder_name: str
    permission: str
    can_delegate: bool | None
    state: str | None
    since: dt.datetime | None
    source: str  # "biuro" (what the office holds) | "kontekst" (everyone in the client's context)

    def to_json(self) -> dict[str, Any]:
        return {
            "holder_type": self.holder_type,
            "holder": self.holder,
            "holder_name": self.holder_name,
            "permission": self.permission,
            "can_delegate": self.can_delegate,
            "state": self.state,
            "since": self.since.isoformat() if self.since else None,
            "source": self.source,
        }


@dataclass
class ClientPermissions:
    nip: str
    name: str = ""
    credential: str | None = None
    rows: list[PermissionRow] = field(default_factory=list)
    problem: str | None = None
    note: str | None = None
    # What the office holds here (None when KSeF could not be asked: see ``problem``).
    access: OfficeAccess | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "nip": self.nip,
            "name": self.name,
            "credential": self.credential,
            "office_access": self.access.to_json() if self.access else None,
            "permissions": [r.to_json() for r in self.rows],
            "problem": self.problem,
            "note": self.note,
        }


def _row(item: Permission, source: str, office_nip: str | None) -> PermissionRow:
    who = item.authorized_identifier
    holder_type, holder = (who.type, who.value or "") if who else ("Nip", office_nip or "")
    details = item.subject_entity_details or item.subject_person_details or {}
    name = str(
        details.get("fullName")
        or " ".join(str(details.get(k, "")) for k in ("firstName", "lastName")).strip()
    )
    return PermissionRow(
        holder_type,
        holder,
        name,
        item.permission_scope,
        item.can_delegate,
        item.permission_state,
        item.start_date,
        source,
    )


async def read_client_permissions(
    client: KsefClient,
    nip: str,
    credential_for: CredentialSource,
    *,
    name: str = "",
    office_nip: str | None = None,
) -> ClientPermissions:
    result = ClientPermissions(nip, name)
    try:
        credential = credential_for(nip)
        result.credential = credential.reference
        session = await client.login(nip, credential)
    except (UserError, KsefError) as error:
        if holds_nothing(error):
            result.access = OfficeAccess()
            result.note = "Biuro nie ma w KSeF żadnych uprawnień w kontekście tego klienta."
        else:
            result.problem = str(error)
        return result
    async with session:
        try:
            for item in await session.query_permissions("personal"):
                result.rows.append(_row(item, "biuro", office_nip))
        except KsefError as error:
            result.problem = str(error)
            return result
        result.access = OfficeAccess.from_rows(result.rows)
        try:
            seen = {(r.holder, r.permission) for r in result.rows}
            for item in await session.query_permissions("persons"):
                row = _row(item, "kontekst", office_nip)
                if (row.holder, row.permission) not in seen:
                    result.rows.append(row)
        except KsefPermissionError:
            result.note = (
                "Biuro nie ma w tym kontekście uprawnienia „przeglądanie uprawnień” (CredentialsRead) — "
                "widać tylko uprawnienia biura."
            )
        except KsefError as error:
            result.note = str(error)
    return result


async def read_permissions(
    client: KsefClient,
    clients: Sequence[tuple[str, str]],
    credential_for: CredentialSource,
    *,
    office_nip: str | None = None,
    concurrency: int = 4,
) -> list[ClientPermissions]:
    """Permissions in each ``(nip, name)`` client's context, in the given order."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(nip: str, name: str) -> ClientPermissions:
        async with gate:
            return await read_client_permissions(
                client, nip, credential_for, name=name, office_nip=office_nip
            )

    return list(await asyncio.gather(*(one(nip, name) for nip, name in clients)))
