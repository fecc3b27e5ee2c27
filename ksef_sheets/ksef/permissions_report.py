"""Permissions of the office's clients as printable lines, for the demo and other summaries.

A thin convenience over ``ksef_sheets.ksef.permissions`` that talks to ``base_url``. The caller
opens the office vault and passes its ``credential_for_client`` (the KSeF client knows nothing of
the vault: the vault sits beside it and uses its credential types).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ksef_sheets.identifiers import normalize_nip
from ksef_sheets.ksef.client import KsefClient
from ksef_sheets.ksef.permissions import ClientPermissions, CredentialSource, permission_label
from ksef_sheets.ksef.permissions import read_permissions as _read


@dataclass(frozen=True)
class PermissionLine:
    client_nip: str
    text: str
    problem: bool = False

    def __str__(self) -> str:
        return f"{self.client_nip}: {self.text}"


def lines_for(result: ClientPermissions, office_nip: str | None) -> list[PermissionLine]:
    if result.problem:
        return [PermissionLine(result.nip, result.problem, True)]
    if not result.rows:
        return [PermissionLine(result.nip, "brak uprawnień")]
    lines = []
    for row in result.rows:
        who = "biuro" if row.holder == office_nip else f"{row.holder_type} {row.holder}"
        delegate = ", może przekazać pracownikom" if row.can_delegate else ""
        what = f"{permission_label(row.permission)} ({row.permission})"
        lines.append(PermissionLine(result.nip, f"{who} — {what}{delegate}"))
    return lines


async def read_permission_lines(
    nips: Sequence[str],
    *,
    base_url: str,
    credential_for_client: CredentialSource,
    office_nip: str | None = None,
) -> list[PermissionLine]:
    """One line per permission per client (or one line with the client's problem)."""
    clients = [(normalize_nip(n), "") for n in nips]
    async with KsefClient(base_url) as client:
        results = await _read(client, clients, credential_for_client, office_nip=office_nip)
    return [line for result in results for line in lines_for(result, office_nip)]
