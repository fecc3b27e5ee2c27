"""``ksef-sheets permissions`` as a use case: read who holds which KSeF permission in each chosen
client's context, then bring the office's own records up to date with KSeF's answer — the
register's permission columns (the one source of truth for them) and, on a run over every client,
the Uprawnienia sheet of ``biuro.xlsx``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import FileLockedError, UserError
from ksef_sheets.ksef import ClientPermissions, KsefClient, base_url_for, read_permissions
from ksef_sheets.office import Client
from ksef_sheets.sync import start_office_emulator
from ksef_sheets.vault import Vault
from ksef_sheets.workflows.permissions_sheet import update_permissions_sheet
from ksef_sheets.workflows.register import update_permissions


@dataclass
class PermissionsReport:
    """KSeF's answer per client and the office's notes about its own records (Polish, for staff)."""

    results: list[ClientPermissions]
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.problem for r in self.results)


def read_office_permissions(
    folder: OfficeFolder,
    config: OfficeConfig,
    vault: Vault,
    clients: Sequence[Client],
    *,
    whole_office: bool,
) -> PermissionsReport:
    """Log in to each client's context with its credential from ``vault`` and read the permissions;
    ``whole_office``: the run covers every client, so the Uprawnienia sheet (which shows every
    client) is rebuilt too. A register or sheet that cannot be written is a note, not a failure."""
    with contextlib.ExitStack() as stack:
        if config.environment == "emulator":
            base_url = start_office_emulator(folder, config, stack)[0]
        else:
            base_url = base_url_for(config.environment)
        results = asyncio.run(_read(base_url, [(c.nip, c.name) for c in clients], vault, config.office_nip))
        sheet_note = (
            update_permissions_sheet(folder, config, vault, results, base_url) if whole_office else None
        )
    report = PermissionsReport(results)
    if sheet_note:
        report.notes.append(f"{sheet_note}.")
    register_note = _update_register(folder, results)
    if register_note:
        report.notes.append(register_note)
    return report


async def _read(
    base_url: str, clients: list[tuple[str, str]], vault: Vault, office_nip: str
) -> list[ClientPermissions]:
    async with KsefClient(base_url) as ksef:
        return await read_permissions(ksef, clients, vault.credential_for_client, office_nip=office_nip)


def _update_register(folder: OfficeFolder, results: Sequence[ClientPermissions]) -> str | None:
    answered = {r.nip: r.access for r in results if r.access is not None}
    if not answered or not folder.office_workbook.exists():
        return None
    try:
        update_permissions(folder, answered)
    except FileLockedError as exc:
        return f"{exc} Kolumny uprawnień w rejestrze klientów nie zostały uzupełnione."
    except UserError as exc:
        return f"Nie uzupełniono uprawnień w rejestrze klientów: {exc}"
    return None
