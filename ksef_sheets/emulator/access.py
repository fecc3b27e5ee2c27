"""Who calls: the access context a valid access token stands for (``emu.authorize`` returns it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AccessContext:
    """Who calls, in which context, with which permissions (from a valid access token)."""

    context_type: str  # Nip | InternalId | NipVatUe | PeppolId
    context_value: str
    subject_identifier: str
    permissions: frozenset[str]
    auth_ref: str
    subject_type: str = "Nip"  # Nip | Pesel | Fingerprint
    auth_method: str = "Token"  # Token | XadesSignature
    ksef_token_ref: str | None = None
    is_owner: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def has_any(self, wanted: set[str] | frozenset[str]) -> bool:
        return bool(self.permissions & wanted)
