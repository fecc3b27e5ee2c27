"""Request bodies of the permission routes and the pieces their JSON answers are built from."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


# --- request bodies ---------------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Identifier(_Model):
    type: str
    value: str | None = Field(default=None, max_length=64)


class _EntityPermission(_Model):
    type: str
    canDelegate: bool = False


class _EntityDetails(_Model):
    fullName: str = Field(min_length=5, max_length=90)


class _PersonDetails(_Model):
    subjectDetailsType: str
    personById: dict[str, Any] | None = None
    personByFpWithId: dict[str, Any] | None = None
    personByFpNoId: dict[str, Any] | None = None


class _EntityGrant(_Model):
    subjectIdentifier: _Identifier
    permissions: list[_EntityPermission] = Field(min_length=1)
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _EntityDetails


class _PersonGrant(_Model):
    subjectIdentifier: _Identifier
    permissions: list[str] = Field(min_length=1)
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _PersonDetails


class _IndirectGrant(_Model):
    subjectIdentifier: _Identifier
    targetIdentifier: _Identifier | None = None
    permissions: list[str] = Field(min_length=1)
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _PersonDetails


class _AuthorizationGrant(_Model):
    subjectIdentifier: _Identifier
    permission: str
    description: str = Field(min_length=5, max_length=256)
    subjectDetails: _EntityDetails


class _PersonalQuery(_Model):
    contextIdentifier: _Identifier | None = None
    targetIdentifier: _Identifier | None = None
    permissionTypes: list[str] | None = None
    permissionState: str | None = None


class _PersonsQuery(_Model):
    queryType: str
    authorIdentifier: _Identifier | None = None
    authorizedIdentifier: _Identifier | None = None
    contextIdentifier: _Identifier | None = None
    targetIdentifier: _Identifier | None = None
    permissionTypes: list[str] | None = None
    permissionState: str | None = None


class _EntitiesQuery(_Model):
    contextIdentifier: _Identifier | None = None


class _AuthorizationsQuery(_Model):
    queryType: str
    authorizingIdentifier: _Identifier | None = None
    authorizedIdentifier: _Identifier | None = None
    permissionTypes: list[str] | None = None


def _details_from_person(details: _PersonDetails) -> dict[str, Any]:
    inner = details.personById or details.personByFpWithId or details.personByFpNoId or {}
    out: dict[str, Any] = {
        "subjectDetailsType": details.subjectDetailsType,
        "firstName": str(inner.get("firstName") or "Nieznane"),
        "lastName": str(inner.get("lastName") or "Nieznane"),
    }
    if details.personByFpWithId and details.personByFpWithId.get("identifier"):
        out["personIdentifier"] = details.personByFpWithId["identifier"]
    if details.personByFpNoId:
        out["birthDate"] = details.personByFpNoId.get("birthDate")
        out["idDocument"] = details.personByFpNoId.get("idDocument")
    return out


def _page(items: list[dict[str, Any]], offset: int, size: int) -> tuple[list[dict[str, Any]], bool]:
    start = offset * size
    return items[start : start + size], len(items) > start + size


def _ident(type_: str | None, value: str | None) -> dict[str, Any] | None:
    if type_ is None:
        return None
    return {"type": type_, "value": value}


def _subject_details(row: sqlite3.Row) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    details = json.loads(row["subject_details"]) if row["subject_details"] else None
    if not details:
        return None, None
    if "fullName" in details:
        return None, {
            "subjectDetailsType": details.get("subjectDetailsType", "EntityByIdentifier"),
            "fullName": details["fullName"],
        }
    person = {k: v for k, v in details.items() if v is not None}
    if person.get("subjectDetailsType") not in (
        "PersonByIdentifier",
        "PersonByFingerprintWithIdentifier",
        "PersonByFingerprintWithoutIdentifier",
    ):
        person["subjectDetailsType"] = "PersonByIdentifier"
    return person, None
