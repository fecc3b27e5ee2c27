"""Permissions (PROTOCOL.md §5–6): grants, effective permissions at login, queries, revocation.

Model, one row per (grant, permission type) in table ``permissions``:

- ``scope='person'``  — granted in ``context`` to a person/entity identifier (Nip|Pesel|Fingerprint),
  by ``/permissions/persons/grants`` or ``/testdata/permissions`` (author ``System``, like ZAW-FA);
- ``scope='entity'``  — InvoiceRead/InvoiceWrite granted by context C to another entity's NIP
  (the accounting office), optionally ``can_delegate``;
- ``scope='indirect'`` — granted in the intermediary's context O to a subject, for a target client
  (``target_type`` Nip/InternalId) or ``AllPartners``; effective in client C only while C gave O the
  same permission with ``can_delegate``;
- ``scope='authorization'`` — SelfInvoicing/RRInvoicing/TaxRepresentative/PefInvoicing (no read access).

Owner (the credential carries the context NIP, or a PESEL linked to it) has every permission except
VatUeManage and is not listed in queries. Entity permissions given to NIP O count for O itself and
for O's Owner persons (PROTOCOL.md §6.2, personal query). No inheritance otherwise (§6.3 item 7).

Python API (seeding, tests)::

    emu.permissions.grant_entity(client_nip, office_nip, ["InvoiceRead"], can_delegate=True)
    emu.permissions.grant_person(client_nip, "Pesel", pesel, ["InvoiceRead"], first_name=..., last_name=...)
    emu.permissions.grant_indirect(office_nip, "Pesel", pesel, ["InvoiceRead"], target_nip=client_nip)
    emu.permissions.effective("Nip", client_nip, "Nip", office_nip)  # -> EffectivePermissions
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from typing import Any

from ksef_sheets.emulator.runtime import Runtime
from ksef_sheets.emulator.state import iso, parse_iso
from ksef_sheets.emulator.testdata import Subjects

OWNER_PERMISSIONS = frozenset(
    {
        "CredentialsManage",
        "CredentialsRead",
        "InvoiceWrite",
        "InvoiceRead",
        "Introspection",
        "SubunitManage",
        "CollectiveIdentifierManage",
    }
)
PERSON_PERMISSION_TYPES = (
    "CredentialsManage",
    "CredentialsRead",
    "InvoiceWrite",
    "InvoiceRead",
    "Introspection",
    "SubunitManage",
    "EnforcementOperations",
    "CollectiveIdentifierManage",
)
ENTITY_PERMISSION_TYPES = ("InvoiceWrite", "InvoiceRead", "CollectiveIdentifierManage")
INDIRECT_PERMISSION_TYPES = ("InvoiceRead", "InvoiceWrite", "CollectiveIdentifierManage")
AUTHORIZATION_TYPES = ("SelfInvoicing", "RRInvoicing", "TaxRepresentative", "PefInvoicing")
OPERATION_RETENTION_DAYS = 30

_STATUS_TEXT = {
    100: "Operacja przyjęta do realizacji",
    200: "Operacja zakończona sukcesem",
    400: "Operacja zakończona niepowodzeniem",
    410: "Podane identyfikatory są niezgodne lub pozostają w niewłaściwej relacji",
    420: "Użyte poświadczenia nie mają uprawnień do wykonania tej operacji",
    430: "Kontekst identyfikatora nie odpowiada wymaganej roli lub uprawnieniom",
    440: "Operacja niedozwolona dla wskazanych powiązań identyfikatorów",
    450: "Operacja niedozwolona dla wskazanego identyfikatora lub jego typu",
    500: "Nieznany błąd",
}


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS permissions (
            id TEXT PRIMARY KEY, scope TEXT NOT NULL,
            context_type TEXT NOT NULL, context_value TEXT NOT NULL,
            subject_type TEXT NOT NULL, subject_value TEXT NOT NULL,
            target_type TEXT, target_value TEXT,
            permission TEXT NOT NULL, can_delegate INTEGER NOT NULL DEFAULT 0,
            description TEXT NOT NULL, subject_details TEXT,
            author_type TEXT NOT NULL, author_value TEXT,
            start_date TEXT NOT NULL, seq INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS permissions_context ON permissions(context_value);
        CREATE INDEX IF NOT EXISTS permissions_subject ON permissions(subject_value);
        CREATE TABLE IF NOT EXISTS permission_operations (
            reference TEXT PRIMARY KEY, context_value TEXT NOT NULL, code INTEGER NOT NULL,
            details TEXT, created TEXT NOT NULL
        );
        """
    )


@dataclass(frozen=True)
class EffectivePermissions:
    permissions: frozenset[str]
    is_owner: bool


def _norm_subject(subject_type: str, value: str) -> str:
    # Certificate fingerprints are hex; compare case-insensitively.
    return value.upper() if subject_type == "Fingerprint" else value


class Permissions:
    def __init__(self, rt: Runtime, subjects: Subjects) -> None:
        self.runtime = rt
        self.clock = rt.clock
        self.db = rt.db
        self.subjects = subjects
        init_schema(self.db)

    # --- granting -------------------------------------------------------------------------------
    def grant(
        self,
        *,
        scope: str,
        context_type: str,
        context_value: str,
        subject_type: str,
        subject_value: str,
        permission: str,
        description: str,
        author_type: str,
        author_value: str | None,
        can_delegate: bool = False,
        target_type: str | None = None,
        target_value: str | None = None,
        subject_details: dict[str, Any] | None = None,
    ) -> str:
        """Store one grant; an identical active grant is kept (its id returned), as KSeF may ignore repeats."""
        subject_value = _norm_subject(subject_type, subject_value)
        row = self.db.execute(
            "SELECT id FROM permissions WHERE scope=? AND context_value=? AND subject_type=? AND subject_value=?"
            " AND permission=? AND IFNULL(target_type,'')=? AND IFNULL(target_value,'')=?",
            (
                scope,
                context_value,
                subject_type,
                subject_value,
                permission,
                target_type or "",
                target_value or "",
            ),
        ).fetchone()
        if row is not None:
            if can_delegate:
                self.db.execute("UPDATE permissions SET can_delegate = 1 WHERE id = ?", (row["id"],))
            return str(row["id"])
        permission_id = str(uuid.uuid4())
        seq = self.db.execute("SELECT IFNULL(MAX(seq), 0) + 1 FROM permissions").fetchone()[0]
        self.db.execute(
            "INSERT INTO permissions(id, scope, context_type, context_value, subject_type, subject_value,"
            " target_type, target_value, permission, can_delegate, description, subject_details,"
            " author_type, author_value, start_date, seq) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                permission_id,
                scope,
                context_type,
                context_value,
                subject_type,
                subject_value,
                target_type,
                target_value,
                permission,
                int(can_delegate),
                description,
                json.dumps(subject_details) if subject_details else None,
                author_type,
                author_value,
                iso(self.clock.now()),
                seq,
            ),
        )
        return permission_id

    def grant_entity(
        self,
        context_nip: str,
        to_nip: str,
        permissions: list[str],
        can_delegate: bool = False,
        *,
        description: str = "Uprawnienia dla biura rachunkowego",
        full_name: str | None = None,
    ) -> list[str]:
        """Client ``context_nip`` lets entity ``to_nip`` (the office) read/write its invoices."""
        for perm in permissions:
            if perm not in ENTITY_PERMISSION_TYPES:
                raise ValueError(f"not an entity permission: {perm}")
        details = {"subjectDetailsType": "EntityByIdentifier", "fullName": full_name or f"Podmiot {to_nip}"}
        return [
            self.grant(
                scope="entity",
                context_type="Nip",
                context_value=context_nip,
                subject_type="Nip",
                subject_value=to_nip,
                permission=perm,
                can_delegate=can_delegate,
                description=description,
                author_type="Nip",
                author_value=context_nip,
                subject_details=details,
            )
            for perm in permissions
        ]

    def grant_person(
        self,
        context_nip: str,
        subject_type: str,
        subject_value: str,
        permissions: list[str],
        *,
        description: str = "Uprawnienia dla osoby",
        first_name: str = "Jan",
        last_name: str = "Kowalski",
        author_type: str = "Nip",
        author_value: str | None = None,
    ) -> list[str]:
        for perm in permissions:
            if perm not in PERSON_PERMISSION_TYPES:
                raise ValueError(f"not a person permission: {perm}")
        details = {"subjectDetailsType": "PersonByIdentifier", "firstName": first_name, "lastName": last_name}
        return [
            self.grant(
                scope="person",
                context_type="Nip",
                context_value=context_nip,
                subject_type=subject_type,
                subject_value=subject_value,
                permission=perm,
                description=description,
                author_type=author_type,
                author_value=author_value or context_nip,
                subject_details=details,
            )
            for perm in permissions
        ]

    def grant_indirect(
        self,
        intermediary_nip: str,
        subject_type: str,
        subject_value: str,
        permissions: list[str],
        *,
        target_nip: str | None = None,
        target_type: str = "Nip",
        description: str = "Uprawnienia pośrednie dla pracownika",
        first_name: str = "Jan",
        last_name: str = "Kowalski",
    ) -> list[str]:
        """Office ``intermediary_nip`` passes on a delegable client permission to its employee;
        ``target_nip=None`` means all partners (general grant)."""
        for perm in permissions:
            if perm not in INDIRECT_PERMISSION_TYPES:
                raise ValueError(f"not an indirect permission: {perm}")
        details = {"subjectDetailsType": "PersonByIdentifier", "firstName": first_name, "lastName": last_name}
        return [
            self.grant(
                scope="indirect",
                context_type="Nip",
                context_value=intermediary_nip,
                subject_type=subject_type,
                subject_value=subject_value,
                permission=perm,
                description=description,
                author_type="Nip",
                author_value=intermediary_nip,
                target_type=target_type if target_nip else "AllPartners",
                target_value=target_nip,
                subject_details=details,
            )
            for perm in permissions
        ]

    def get(self, permission_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM permissions WHERE id = ?", (permission_id,)
        ).fetchone()
        return row

    def revoke(self, permission_id: str) -> bool:
        return self.db.execute("DELETE FROM permissions WHERE id = ?", (permission_id,)).rowcount > 0

    def revoke_all(self, *, context_value: str, subject_type: str, subject_value: str) -> int:
        return self.db.execute(
            "DELETE FROM permissions WHERE context_value = ? AND subject_type = ? AND subject_value = ?",
            (context_value, subject_type, _norm_subject(subject_type, subject_value)),
        ).rowcount

    # --- effective permissions -------------------------------------------------------------------
    def delegable(self, client: str, office: str, permission: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM permissions WHERE scope='entity' AND context_value=? AND subject_value=?"
            " AND permission=? AND can_delegate=1",
            (client, office, permission),
        ).fetchone()
        return row is not None

    def _entity_nips(self, subject_type: str, subject_value: str) -> list[str]:
        """NIPs whose entity permissions this subject may use: its own NIP, or NIPs it owns by PESEL."""
        if subject_type == "Nip":
            return [subject_value]
        if subject_type == "Pesel":
            return self.subjects.nips_of_pesel(subject_value)
        return []

    def effective(
        self, context_type: str, context_value: str, subject_type: str, subject_value: str
    ) -> EffectivePermissions:
        subject_value = _norm_subject(subject_type, subject_value)
        is_owner = context_type == "Nip" and self.subjects.is_owner(
            context_value, subject_type, subject_value
        )
        found: set[str] = set(OWNER_PERMISSIONS) if is_owner else set()
        if is_owner and "EnforcementOperations" not in found:
            roles = self.subjects.roles(context_value)
            if "EnforcementAuthority" in roles or "CourtBailiff" in roles:
                found.add("EnforcementOperations")
        for row in self.db.execute(
            "SELECT permission FROM permissions WHERE scope IN ('person','entity') AND context_value=?"
            " AND subject_type=? AND subject_value=?",
            (context_value, subject_type, subject_value),
        ):
            found.add(row[0])
        for nip in self._entity_nips(subject_type, subject_value):
            if subject_type == "Nip":
                continue  # already counted as a direct grant above
            for row in self.db.execute(
                "SELECT permission FROM permissions WHERE scope='entity' AND context_value=? AND subject_value=?",
                (context_value, nip),
            ):
                found.add(row[0])
        for row in self.db.execute(
            "SELECT permission, context_value, target_type, target_value FROM permissions"
            " WHERE scope='indirect' AND subject_type=? AND subject_value=?",
            (subject_type, subject_value),
        ):
            targets_me = row["target_type"] == "AllPartners" or row["target_value"] == context_value
            if targets_me and self.delegable(context_value, row["context_value"], row["permission"]):
                found.add(row["permission"])
        return EffectivePermissions(frozenset(found), is_owner)

    # --- operations ---------------------------------------------------------------------------------
    def record_operation(self, context_value: str, code: int, details: list[str] | None = None) -> str:
        reference = self.runtime.new_reference("EG")
        self.db.execute(
            "INSERT INTO permission_operations(reference, context_value, code, details, created) VALUES(?,?,?,?,?)",
            (reference, context_value, code, json.dumps(details or []), iso(self.clock.now())),
        )
        return reference

    def operation(self, reference: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM permission_operations WHERE reference = ?", (reference,)
        ).fetchone()
        return row

    # --- queries (rows sorted as KSeF lists them) ---------------------------------------------------
    def _rows(self, where: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        return _sorted(list(self.db.execute(f"SELECT * FROM permissions WHERE {where}", params)))  # noqa: S608

    def personal_rows(self, subject_type: str, subject: str) -> list[sqlite3.Row]:
        """Grants naming the subject; a person also sees entity grants to the NIPs it owns."""
        rows = self._rows(
            "scope IN ('person','indirect','entity') AND subject_type = ? AND subject_value = ?",
            (subject_type, subject),
        )
        if subject_type == "Pesel":
            for nip in self._entity_nips("Pesel", subject):
                rows += self._rows("scope = 'entity' AND subject_value = ?", (nip,))
        return rows

    def persons_rows(self, context_value: str, *, in_context: bool) -> list[sqlite3.Row]:
        """Effective in the context (``in_context``) or granted in it."""
        if in_context:
            rows = self._rows("scope = 'person' AND context_value = ?", (context_value,))
            rows += self._rows(
                "scope = 'indirect' AND (target_value = ? OR target_type = 'AllPartners')",
                (context_value,),
            )
        else:
            rows = self._rows("scope IN ('person','indirect') AND context_value = ?", (context_value,))
        return rows

    def entity_rows(self, subject_value: str) -> list[sqlite3.Row]:
        return self._rows("scope = 'entity' AND subject_value = ?", (subject_value,))

    def authorization_rows(self, context_value: str, *, granted: bool) -> list[sqlite3.Row]:
        column = "context_value" if granted else "subject_value"
        return self._rows(f"scope = 'authorization' AND {column} = ?", (context_value,))


def _sorted(rows: list[sqlite3.Row]) -> list[sqlite3.Row]:
    # x-sort: startDate Desc, then id Asc
    return sorted(sorted(rows, key=lambda r: r["id"]), key=lambda r: parse_iso(r["start_date"]), reverse=True)
