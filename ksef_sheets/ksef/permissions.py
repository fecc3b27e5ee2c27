"""Who holds which KSeF permission in each client's context (``ksef-sheets permissions``).

Per client: log in in its context with the vault credential, read what the office itself holds
there (``/permissions/query/personal/grants``) and — when the office may see it (CredentialsRead or
CredentialsManage) — everyone's permissions in that context (``/permissions/query/persons/grants``).
One client's problem (no credential, no permission, KSeF down) is reported for that client and the
others are still read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.ksef.client import KsefClient
from ksef_sheets.ksef.credentials import CertificateCredential, TokenCredential
from ksef_sheets.ksef.errors import KsefError, KsefPermissionError
from ksef_sheets.ksef.models import Permission

CredentialSource = Callable[[str], TokenCredential | CertificateCredential]


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

    def to_json(self) -> dict[str, Any]:
        return {
            "nip": self.nip,
            "name": self.name,
            "credential": self.credential,
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
        result.problem = str(error)
        return result
    async with session:
        try:
            for item in await session.query_permissions("personal"):
                result.rows.append(_row(item, "biuro", office_nip))
        except KsefError as error:
            result.problem = str(error)
            return result
        try:
            seen = {(r.holder, r.permission) for r in result.rows}
            for item in await session.query_permissions("persons"):
                row = _row(item, "kontekst", office_nip)
                if (row.holder, row.permission) not in seen:
                    result.rows.append(row)
        except KsefPermissionError:
            result.note = (
                "Biuro nie ma w tym kontekście uprawnienia CredentialsRead — widać tylko uprawnienia biura."
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
