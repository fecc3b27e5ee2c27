"""``staff grant`` / ``staff revoke``: the office passes clients' permissions on to its staff and takes
them back (PROTOCOL.md §6.3 item 3).

Grant: the office logs in to its own context with its default certificate and, per client, calls
``/permissions/indirect/grants`` (selective, target = the client's NIP). KSeF allows that only when
the client gave the office the permission with canDelegate; the office's entity permissions are read
first (``/permissions/query/entities/grants``) so each client without them gets a Polish sentence
instead of a failed operation.

Revoke: every grant the person holds is removed — the indirect ones in the office's own context,
and direct ones in each client's context where the office may manage credentials. Each operation is
followed to its final status and written to the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.ksef import (
    KsefClient,
    KsefError,
    KsefPermissionError,
    KsefSession,
    grant_indirect,
    revoke_permission,
)
from ksef_sheets.sheets import StaffMember, read_staff, staff_identifier
from ksef_sheets.text import warsaw_today
from ksef_sheets.vault import Vault
from ksef_sheets.workflows._ksef import office_base_url, office_certificate, record

PERMISSION_SETS = {"read": ("InvoiceRead",), "write": ("InvoiceRead", "InvoiceWrite")}


@dataclass
class StaffOperation:
    """The outcome for one client (grant) or one permission (revoke)."""

    nip: str  # the client concerned ("" for a general grant)
    permission: str
    ok: bool
    message: str
    reference: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "nip": self.nip,
            "permission": self.permission,
            "ok": self.ok,
            "message": self.message,
            "reference": self.reference,
        }


def find_person(folder: OfficeFolder, person: str) -> StaffMember:
    """The staff member with this PESEL/NIP in the Pracownicy table of ``biuro.xlsx``."""
    from ksef_sheets.sheets import open_office_workbook

    try:
        id_type, identifier = staff_identifier(person)
    except UserError as exc:
        raise UserError(f"Opcja --person: {exc}") from exc
    wb = open_office_workbook(folder.office_workbook, for_writing=False)
    for member in read_staff(wb, source=str(folder.office_workbook)):
        if member.identifier == identifier and member.id_type == id_type:
            return member
    raise UserError(
        f"W arkuszu Pracownicy pliku {folder.office_workbook} nie ma osoby o identyfikatorze {identifier} — "
        "dopisz ją (imię i nazwisko, PESEL lub NIP) i uruchom polecenie ponownie."
    )


def _delegable(rows: Sequence[Any]) -> dict[str, set[str]]:
    """Client NIP → permissions the client gave the office with canDelegate."""
    found: dict[str, set[str]] = {}
    for row in rows:
        context = row.context_identifier.value if row.context_identifier else None
        if context and row.can_delegate:
            found.setdefault(context, set()).add(row.permission_scope)
    return found


async def _grant(
    ksef: KsefClient,
    office_nip: str,
    certificate: Any,
    member: StaffMember,
    nips: Sequence[str],
    permissions: Sequence[str],
) -> list[StaffOperation]:
    session = await ksef.login_with_certificate(office_nip, certificate)
    async with session:
        delegable = _delegable(await session.query_permissions("entities"))
        first, last = member.first_last
        results: list[StaffOperation] = []
        for nip in nips:
            missing = [p for p in permissions if p not in delegable.get(nip, set())]
            if missing:
                results.append(
                    StaffOperation(
                        nip,
                        ", ".join(permissions),
                        False,
                        f"Klient {nip} nie nadał biuru uprawnienia {' i '.join(missing)} z prawem dalszego "
                        "przekazywania (canDelegate) — pracownikowi nie można go przekazać; poproście klienta "
                        "o nadanie uprawnień z tym prawem.",
                    )
                )
                continue
            outcome = await grant_indirect(
                session,
                subject_type=member.id_type,
                subject_value=member.identifier,
                first_name=first,
                last_name=last,
                target_nip=nip,
                permissions=permissions,
                description=f"Pracownik biura: {member.name}"[:256],
            )
            results.append(
                StaffOperation(
                    nip,
                    ", ".join(permissions),
                    outcome.ok,
                    (
                        f"Nadano {' i '.join(permissions)} w kontekście klienta {nip}."
                        if outcome.ok
                        else f"KSeF nie nadał uprawnień w kontekście klienta {nip}: {outcome.text()}."
                    ),
                    outcome.reference,
                )
            )
    return results


async def _revoke_in(session: KsefSession, ids: Sequence[tuple[str, str, str]]) -> list[StaffOperation]:
    results: list[StaffOperation] = []
    for permission_id, nip, permission in ids:
        try:
            outcome = await revoke_permission(session, permission_id)
        except KsefPermissionError:
            results.append(
                StaffOperation(
                    nip,
                    permission,
                    False,
                    f"Biuro nie może odebrać uprawnienia {permission} w kontekście klienta {nip} (brak "
                    "CredentialsManage) — poproście klienta, żeby odebrał je sam.",
                )
            )
            continue
        results.append(
            StaffOperation(
                nip,
                permission,
                outcome.ok,
                (
                    f"Odebrano {permission} w kontekście klienta {nip}."
                    if outcome.ok
                    else f"KSeF nie odebrał {permission} w kontekście klienta {nip}: {outcome.text()}."
                ),
                outcome.reference,
            )
        )
    return results


async def _revoke(
    ksef: KsefClient,
    office_nip: str,
    certificate: Any,
    member: StaffMember,
    clients: Sequence[tuple[str, Sequence[Any]]],
    unseen: list[str],
) -> list[StaffOperation]:
    who = {"type": member.id_type, "value": member.identifier}
    results: list[StaffOperation] = []
    # 1. Indirect grants live in the office's own context.
    session = await ksef.login_with_certificate(office_nip, certificate)
    async with session:
        granted = await session.query_permissions(
            "persons",
            {"queryType": "PermissionsGrantedInCurrentContext", "authorizedIdentifier": who},
        )
        ids = [
            (
                p.id,
                (p.target_identifier.value or "wszyscy klienci")
                if p.target_identifier
                else "wszyscy klienci",
                p.permission_scope,
            )
            for p in granted
        ]
        results += await _revoke_in(session, ids)
    # 2. Direct grants a client gave the person in its own context: removable where the office may
    #    manage credentials there. The office's certificate is tried first (the path from 2027),
    #    then the client's own credential from the vault.
    for nip, credentials in clients:
        direct: list[tuple[str, str, str]] | None = None
        for credential in credentials:
            try:
                client_session = await ksef.login(nip, credential)
            except KsefError:
                continue  # no access to this context with this credential
            async with client_session:
                try:
                    held = await client_session.query_permissions(
                        "persons", {"queryType": "PermissionsInCurrentContext", "authorizedIdentifier": who}
                    )
                except KsefPermissionError:
                    continue
                direct = [
                    (p.id, nip, p.permission_scope)
                    for p in held
                    if p.context_identifier is not None and p.context_identifier.value == nip
                ]
                results += await _revoke_in(client_session, direct)
                break
        if direct is None:
            unseen.append(nip)
    return results


def grant_staff(
    folder: OfficeFolder,
    config: OfficeConfig,
    vault: Vault,
    person: str,
    nips: Sequence[str],
    *,
    permission: str = "read",
    today: dt.date | None = None,
    base_url: str | None = None,
) -> tuple[StaffMember, list[StaffOperation]]:
    """Give the person the clients' permissions (indirect grants), one result per client."""
    today = today or warsaw_today()
    if permission not in PERMISSION_SETS:
        raise UserError(f"Opcja --permission: „{permission}” — dozwolone read albo write.")
    member = find_person(folder, person)
    if member.left_by(today):
        raise UserError(
            f"{member.name} odszedł(-ła) z biura {member.leave:%d.%m.%Y} (arkusz Pracownicy) — nie nadaję "
            "uprawnień; usuń datę odejścia, jeśli to pomyłka."
        )
    certificate = office_certificate(vault, today)
    permissions = PERMISSION_SETS[permission]
    with contextlib.ExitStack() as stack:
        url = base_url or office_base_url(folder, config, stack)

        async def run() -> list[StaffOperation]:
            async with KsefClient(url) as ksef:
                return await _grant(ksef, config.office_nip, certificate, member, nips, permissions)

        results = asyncio.run(run())
    for result in results:
        record(
            folder,
            "uprawnienia: nadanie",
            result.nip or None,
            {
                "opis": result.message,
                "osoba": member.name,
                "identyfikator": member.identifier,
                "uprawnienie": result.permission,
                "wynik": "ok" if result.ok else "błąd",
                "operacja": result.reference,
            },
        )
    return member, results


def revoke_staff(
    folder: OfficeFolder,
    config: OfficeConfig,
    vault: Vault,
    person: str,
    client_nips: Sequence[str],
    *,
    today: dt.date | None = None,
    base_url: str | None = None,
) -> tuple[StaffMember, list[StaffOperation], list[str]]:
    """Remove everything the person holds in the office's and every client's context.

    Returns the operations and the clients whose context the office could not inspect (no
    CredentialsRead/Manage there): a grant the client gave the person itself is invisible to the
    office there, and only the client can remove it.
    """
    today = today or warsaw_today()
    member = find_person(folder, person)
    certificate = office_certificate(vault, today)
    clients: list[tuple[str, list[Any]]] = []
    for nip in client_nips:
        own: list[Any] = []
        with contextlib.suppress(UserError):
            own.append(vault.credential_for_client(nip, today=today))
        clients.append((nip, [certificate, *[c for c in own if c.reference != certificate.reference]]))
    unseen: list[str] = []
    with contextlib.ExitStack() as stack:
        url = base_url or office_base_url(folder, config, stack)

        async def run() -> list[StaffOperation]:
            async with KsefClient(url) as ksef:
                return await _revoke(ksef, config.office_nip, certificate, member, clients, unseen)

        results = asyncio.run(run())
    for result in results:
        record(
            folder,
            "uprawnienia: odebranie",
            result.nip if result.nip.isdigit() else None,
            {
                "opis": result.message,
                "osoba": member.name,
                "identyfikator": member.identifier,
                "uprawnienie": result.permission,
                "wynik": "ok" if result.ok else "błąd",
                "operacja": result.reference,
            },
        )
    if not results:
        record(
            folder,
            "uprawnienia: odebranie",
            None,
            {
                "opis": f"{member.name} nie miał(a) uprawnień do odebrania",
                "identyfikator": member.identifier,
                "wynik": "ok",
            },
        )
    return member, results, unseen


def register_staff_member(
    folder: OfficeFolder,
    config: OfficeConfig,
    *,
    name: str,
    identifier: str,
    role: str = "",
    email: str = "",
    start: dt.date | None = None,
    leave: dt.date | None = None,
) -> StaffMember:
    """Add (or update by PESEL/NIP) a person in the Pracownicy sheet of ``biuro.xlsx``."""
    from ksef_sheets.sheets import open_office_workbook, put_staff_member, save_office_workbook

    id_type, value = staff_identifier(identifier)
    row: dict[str, Any] = {"Imię i nazwisko": name, "PESEL lub NIP": value, "Data odejścia": leave}
    for header, item in (("Rola", role), ("E-mail", email), ("Data rozpoczęcia", start)):
        if item:
            row[header] = item
    wb = open_office_workbook(folder.office_workbook)
    put_staff_member(wb, row, f"{config.office_name} · NIP {config.office_nip}")
    save_office_workbook(wb, folder.office_workbook)
    return StaffMember(name, value, id_type, role, email, start, leave)
