"""Indirect grants and revocation followed to their final status (PROTOCOL.md §6, §6.3), against the
emulator over loopback HTTP; every request is checked against openapi.json by ``transport``."""

from __future__ import annotations

import asyncio
from typing import Any

from ksef_sheets.ksef import (
    KsefClient,
    grant_indirect,
    make_seal_certificate,
    revoke_permission,
    wait_for_operation,
)
from tests.ksef.conftest import RecordingTransport

PESEL = "90010112349"  # a valid check digit


def test_grant_poll_revoke_and_refusals(make_emulator: Any, transport: RecordingTransport) -> None:
    running = make_emulator(seed=42, clients=2)
    seed = running.seed_info
    office, delegable, plain = seed.office["nip"], seed.clients[0]["nip"], seed.clients[1]["nip"]
    # The second client gave the office InvoiceRead without the right to pass it on.
    running.emulator.db.execute(
        "UPDATE permissions SET can_delegate=0 WHERE scope='entity' AND context_value=?", (plain,)
    )
    seal = make_seal_certificate(office, seed.office["name"])

    async def body() -> dict[str, Any]:
        async with KsefClient(running.base_url, transport=transport) as ksef:
            session = await ksef.login_with_certificate(office, seal)
            async with session:
                common = dict(
                    subject_type="Pesel",
                    subject_value=PESEL,
                    first_name="Anna",
                    last_name="Kowalska",
                    permissions=["InvoiceRead"],
                    description="Pracownik biura: Anna Kowalska",
                )
                ok = await grant_indirect(session, target_nip=delegable, **common)
                refused = await grant_indirect(session, target_nip=plain, **common)
                granted = await session.query_permissions(
                    "persons",
                    {
                        "queryType": "PermissionsGrantedInCurrentContext",
                        "authorizedIdentifier": {"type": "Pesel", "value": PESEL},
                    },
                )
                removed = await revoke_permission(session, granted[0].id)
                again = await revoke_permission(session, granted[0].id)
                status = await wait_for_operation(session, ok.reference)
                after = await session.query_permissions(
                    "persons", {"queryType": "PermissionsGrantedInCurrentContext"}
                )
        return {
            "ok": ok,
            "refused": refused,
            "granted": granted,
            "removed": removed,
            "again": again,
            "status": status,
            "after": after,
        }

    result = asyncio.run(body())
    assert result["ok"].ok and result["ok"].code == 200 and result["ok"].reference
    assert not result["refused"].ok and result["refused"].code == 420
    assert plain in result["refused"].text() and "brak uprawnień do tej operacji" in result["refused"].text()
    assert [(p.permission_scope, p.target_identifier.value) for p in result["granted"]] == [
        ("InvoiceRead", delegable)
    ]
    assert result["removed"].ok
    assert result["again"].code == 410 and not result["again"].ok
    assert result["status"].code == 200, "an operation's status stays readable"
    assert not [
        p for p in result["after"] if p.authorized_identifier and p.authorized_identifier.value == PESEL
    ]
    paths = {s.path for s in transport.sent}
    assert {"/permissions/indirect/grants", "/permissions/query/persons/grants"} <= paths
    assert any(p.startswith("/permissions/operations/") for p in paths)
    assert any(p.startswith("/permissions/common/grants/") for p in paths)
