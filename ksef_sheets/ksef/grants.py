"""Granting and revoking KSeF permissions, each followed to its final status (PROTOCOL.md §6, §6.1).

Every grant/revoke call answers 202 with a reference number; the result is known only from
``GET /permissions/operations/{referenceNumber}`` (100 accepted → 200 done, or 4xx/5xx failed).
The functions here wait for that final status and return it; they never raise for a refusal KSeF
reports in the status (the caller decides what to tell the office), only for transport/HTTP errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.session import KsefSession

# What KSeF's operation codes mean, in the office's words (PROTOCOL.md §6).
OPERATION_TEXT = {
    100: "przyjęto do realizacji",
    200: "zrealizowano",
    400: "operacja nie powiodła się",
    410: "niezgodne identyfikatory albo nie znaleziono uprawnienia",
    420: "brak uprawnień do tej operacji",
    430: "kontekst nie pasuje do roli",
    440: "operacja niedozwolona dla tych identyfikatorów",
    450: "operacja niedozwolona dla tego identyfikatora",
    500: "nieznany błąd KSeF",
    550: "operację anulowano",
}


@dataclass(frozen=True)
class OperationResult:
    """The final status of one grant or revoke operation."""

    reference: str
    code: int
    description: str
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.code == 200

    def text(self) -> str:
        """Polish: what KSeF answered, with its details."""
        base = OPERATION_TEXT.get(self.code, self.description or f"status {self.code}")
        return base + (f" ({'; '.join(self.details)})" if self.details else "")


async def wait_for_operation(session: KsefSession, reference: str) -> OperationResult:
    """Poll ``/permissions/operations/{ref}`` until its status is final (not 100)."""

    async def ask() -> dict[str, Any]:
        response = await session.request(
            "GET",
            f"/permissions/operations/{reference}",
            idempotent=True,
            operation="status operacji na uprawnieniach",
        )
        return _json(response).get("status") or {}

    status = await session.client.poll_until(
        ask,
        lambda status: int(status.get("code") or 0) != 100,
        f"Operacja {reference} na uprawnieniach trwa zbyt długo — sprawdź jej status później.",
        context_nip=session.context_nip,
    )
    return OperationResult(
        reference,
        int(status.get("code") or 0),
        str(status.get("description") or ""),
        [str(d) for d in status.get("details") or []],
    )


async def grant_indirect(
    session: KsefSession,
    *,
    subject_type: str,
    subject_value: str,
    first_name: str,
    last_name: str,
    target_nip: str | None,
    permissions: Sequence[str],
    description: str,
) -> OperationResult:
    """``POST /permissions/indirect/grants`` in the office's own context (``session``), for client
    ``target_nip`` (``None`` = every client that gave the office delegable permissions)."""
    body: dict[str, Any] = {
        "subjectIdentifier": {"type": subject_type, "value": subject_value},
        "permissions": list(permissions),
        "description": description[:256],
        "subjectDetails": {
            "subjectDetailsType": "PersonByIdentifier",
            "personById": {"firstName": first_name, "lastName": last_name},
        },
    }
    body["targetIdentifier"] = {"type": "Nip", "value": target_nip} if target_nip else {"type": "AllPartners"}
    response = await session.request(
        "POST", "/permissions/indirect/grants", json_body=body, operation="nadanie uprawnień pośrednich"
    )
    return await wait_for_operation(session, str(_json(response)["referenceNumber"]))


async def revoke_permission(session: KsefSession, permission_id: str) -> OperationResult:
    """``DELETE /permissions/common/grants/{id}`` in the context the permission was granted in."""
    response = await session.request(
        "DELETE", f"/permissions/common/grants/{permission_id}", operation="odebranie uprawnienia"
    )
    return await wait_for_operation(session, str(_json(response)["referenceNumber"]))


def _json(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as exc:
        raise E.KsefError("KSeF odpowiedział niepoprawnym JSON-em na operację na uprawnieniach.") from exc
    if not isinstance(data, dict):
        raise E.KsefError("KSeF odpowiedział nieoczekiwaną treścią na operację na uprawnieniach.")
    return data
