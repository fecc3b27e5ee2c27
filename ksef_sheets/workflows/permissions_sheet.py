"""The Uprawnienia sheet of ``biuro.xlsx``: per client and holder, what is held, since when, and what
does not match (refreshed by ``ksef-sheets permissions``).

Sources: what ``ksef.permissions.read_permissions`` read in each client's context (the office's own
permissions and, where visible, everyone's), plus what the office itself passed on to its staff
(indirect grants read in the office's own context — the only place they are always visible), the
staff register (Pracownicy) and the vault (which credential each client runs on, until when).

Mismatches flagged (column Niezgodność), nothing else:
- the client's scenario needs a permission (InvoiceRead, InvoiceWrite, canDelegate) the office lacks;
- a person who left the office (Data odejścia ≤ today) still holds a grant;
- a grant to a person the office's staff register does not know;
- the credential the client runs on ends within 30 days;
- the client still runs on a KSeF token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.ksef import ClientPermissions
from ksef_sheets.office import PERM_DELEGATE, PERM_READ, PERM_WRITE, Client, required_permissions
from ksef_sheets.sheets import (
    MISMATCH_EXPIRING,
    MISMATCH_LEAVER,
    MISMATCH_SCENARIO,
    MISMATCH_TOKEN,
    MISMATCH_UNKNOWN,
    PERMISSIONS_SPEC,
    StaffMember,
    replace_generated_sheet,
)
from ksef_sheets.text import warsaw_today
from ksef_sheets.vault import Vault, VaultEntry

EXPIRY_DAYS = 30
_DELEGATE_LABEL = "prawo przekazywania (canDelegate)"


@dataclass(frozen=True)
class StaffGrant:
    """An indirect grant the office made in its own context (target = a client NIP, or None = all)."""

    holder_type: str
    holder: str
    holder_name: str
    permission: str
    target_nip: str | None
    since: dt.datetime | None


@dataclass
class SheetRow:
    nip: str
    client: str
    who: str
    identifier: str
    permission: str
    can_delegate: bool | None = None
    since: dt.date | None = None
    credential: str = ""
    valid_until: dt.date | None = None
    mismatches: list[str] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        return {
            "NIP klienta": self.nip,
            "Klient": self.client,
            "Kto": self.who,
            "Identyfikator": self.identifier,
            "Uprawnienie": self.permission,
            "Może przekazać": {True: "tak", False: "nie", None: ""}[self.can_delegate],
            "Od": self.since,
            "Poświadczenie": self.credential,
            "Ważne do": self.valid_until,
            "Niezgodność": "; ".join(self.mismatches),
        }


def _person_flags(holder_type: str, holder: str, staff: Sequence[StaffMember], today: dt.date) -> list[str]:
    member = next((m for m in staff if m.id_type == holder_type and m.identifier == holder), None)
    if member is None:
        return [MISMATCH_UNKNOWN]
    return [MISMATCH_LEAVER] if member.left_by(today) else []


def _who(holder_type: str, holder: str, name: str, staff: Sequence[StaffMember]) -> str:
    member = next((m for m in staff if m.id_type == holder_type and m.identifier == holder), None)
    return (member.name if member else name) or holder


def permission_rows(
    clients: Sequence[Client],
    results: Sequence[ClientPermissions],
    staff_grants: Sequence[StaffGrant],
    staff: Sequence[StaffMember],
    credentials: dict[str, VaultEntry | None],
    office_nip: str,
    *,
    today: dt.date,
) -> list[SheetRow]:
    """The sheet's rows, client by client in register order."""
    by_nip = {r.nip: r for r in results}
    rows: list[SheetRow] = []
    for client in clients:
        result = by_nip.get(client.nip)
        entry = credentials.get(client.nip)
        # The credential the client runs on.
        cred = SheetRow(
            client.nip,
            client.name,
            "poświadczenie biura w sejfie",
            entry.reference if entry else "",
            "logowanie do KSeF",
            credential=entry.reference if entry else "brak",
            valid_until=entry.expires if entry else None,
        )
        if entry is not None and entry.kind == "token":
            cred.mismatches.append(MISMATCH_TOKEN)
        if entry is not None and entry.days_left is not None and entry.days_left <= EXPIRY_DAYS:
            cred.mismatches.append(MISMATCH_EXPIRING)
        rows.append(cred)
        seen: set[tuple[str, str]] = set()
        if result is not None and result.problem:
            rows.append(
                SheetRow(
                    client.nip,
                    client.name,
                    "biuro",
                    office_nip,
                    "—",
                    mismatches=[f"nie udało się odczytać uprawnień: {result.problem}"],
                )
            )
        for row in result.rows if result is not None else []:
            key = (row.holder, row.permission)
            if key in seen:
                continue
            seen.add(key)
            is_office = row.holder_type == "Nip" and row.holder == office_nip
            flags = [] if is_office else _person_flags(row.holder_type, row.holder, staff, today)
            rows.append(
                SheetRow(
                    client.nip,
                    client.name,
                    "biuro" if is_office else _who(row.holder_type, row.holder, row.holder_name, staff),
                    row.holder,
                    row.permission,
                    row.can_delegate,
                    row.since.date() if row.since else None,
                    mismatches=flags,
                )
            )
        for grant in staff_grants:
            if grant.target_nip not in (None, client.nip):
                continue
            key = (grant.holder, grant.permission)
            if key in seen:
                continue
            seen.add(key)
            rows.append(
                SheetRow(
                    client.nip,
                    client.name,
                    _who(grant.holder_type, grant.holder, grant.holder_name, staff),
                    grant.holder,
                    grant.permission + ("" if grant.target_nip else " (wszyscy klienci)"),
                    None,
                    grant.since.date() if grant.since else None,
                    mismatches=_person_flags(grant.holder_type, grant.holder, staff, today),
                )
            )
        access = result.access if result is not None else None
        if access is not None:  # what KSeF says the office holds here (ksef.OfficeAccess)
            lacking = {
                PERM_READ: not access.invoice_read,
                PERM_WRITE: not access.invoice_write,
                # canDelegate is asked for only where the office holds something to pass on.
                PERM_DELEGATE: (access.invoice_read or access.invoice_write) and not access.can_delegate,
            }
            for needed in required_permissions(client.scenario):
                if lacking.get(needed):
                    rows.append(
                        SheetRow(
                            client.nip,
                            client.name,
                            "biuro",
                            office_nip,
                            _DELEGATE_LABEL if needed == PERM_DELEGATE else needed,
                            mismatches=[f"{MISMATCH_SCENARIO} (scenariusz {client.scenario})"],
                        )
                    )
    return rows


def credential_entries(vault: Vault, nips: Sequence[str], today: dt.date) -> dict[str, VaultEntry | None]:
    """Per client the vault entry its runs use (token, else the office's default certificate)."""
    entries = {e.reference: e for e in vault.list(today=today)}
    return {nip: entries.get(vault.reference_for_client(nip, today=today) or "") for nip in nips}


def write_permissions_sheet(folder: OfficeFolder, config: OfficeConfig, rows: Sequence[SheetRow]) -> None:
    """Rebuild the Uprawnienia sheet in ``biuro.xlsx`` (atomic save)."""
    from ksef_sheets.sheets import open_office_workbook, save_office_workbook

    wb = open_office_workbook(folder.office_workbook)
    office_line = f"{config.office_name} · NIP {config.office_nip}"
    replace_generated_sheet(wb, PERMISSIONS_SPEC, [r.to_row() for r in rows], office_line)
    save_office_workbook(wb, folder.office_workbook)


async def read_staff_grants(
    base_url: str, office_nip: str, vault: Vault, today: dt.date
) -> tuple[list[StaffGrant], str | None]:
    """Indirect grants the office made in its own context; ``(grants, problem)``."""
    from ksef_sheets.errors import UserError
    from ksef_sheets.ksef import KsefClient
    from ksef_sheets.workflows._ksef import office_certificate

    try:
        certificate = office_certificate(vault, today)
        async with KsefClient(base_url) as ksef:
            session = await ksef.login_with_certificate(office_nip, certificate)
            async with session:
                items = await session.query_permissions(
                    "persons", {"queryType": "PermissionsGrantedInCurrentContext"}
                )
    except UserError as error:
        return [], str(error)
    grants = []
    for item in items:
        who = item.authorized_identifier
        if who is None or item.target_identifier is None:
            continue  # a grant in the office's own context, not passed-on client access
        details = item.subject_person_details or {}
        name = " ".join(str(details.get(k, "")) for k in ("firstName", "lastName")).strip()
        target = item.target_identifier
        grants.append(
            StaffGrant(
                who.type,
                who.value or "",
                name,
                item.permission_scope,
                target.value if target.type != "AllPartners" else None,
                item.start_date,
            )
        )
    return grants, None


def refresh_permissions_sheet(
    folder: OfficeFolder,
    config: OfficeConfig,
    vault: Vault,
    results: Sequence[ClientPermissions],
    base_url: str,
    *,
    today: dt.date | None = None,
) -> tuple[list[SheetRow], str | None]:
    """Read the office's staff grants, build and write the Uprawnienia sheet; ``(rows, problem)``
    where ``problem`` says why the staff grants could not be read (the sheet is written anyway)."""
    import asyncio

    from ksef_sheets.sheets import load_clients, open_office_workbook, read_staff

    today = today or warsaw_today()
    clients = load_clients(folder)
    staff = read_staff(
        open_office_workbook(folder.office_workbook, for_writing=False), source=str(folder.office_workbook)
    )
    grants, problem = asyncio.run(read_staff_grants(base_url, config.office_nip, vault, today))
    credentials = credential_entries(vault, [c.nip for c in clients], today)
    rows = permission_rows(clients, results, grants, staff, credentials, config.office_nip, today=today)
    write_permissions_sheet(folder, config, rows)
    return rows, problem


def update_permissions_sheet(
    folder: OfficeFolder,
    config: OfficeConfig,
    vault: Vault,
    results: Sequence[ClientPermissions],
    base_url: str,
) -> str | None:
    """What ``ksef-sheets permissions`` calls after reading every client: rebuild the Uprawnienia
    sheet when ``biuro.xlsx`` exists. Returns a Polish note for the office (or None); a sheet that
    cannot be written (open in Excel, bad staff row) is a note, not a failure of the command."""
    from ksef_sheets.errors import UserError

    if not folder.office_workbook.exists():
        return None
    try:
        rows, problem = refresh_permissions_sheet(folder, config, vault, results, base_url)
    except UserError as error:
        return f"arkusz Uprawnienia nie został odświeżony: {error}"
    flagged = sum(1 for r in rows if r.mismatches)
    note = f"arkusz Uprawnienia odświeżony ({flagged} do wyjaśnienia)" if flagged else None
    if problem:
        extra = f"uprawnień przekazanych pracownikom nie odczytano: {problem}"
        note = f"{note}; {extra}" if note else extra
    return note
