"""What the office-level use cases share: where KSeF is, the office's default certificate, audit."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import Any

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.ksef import CertificateCredential
from ksef_sheets.vault import Vault


def office_base_url(folder: OfficeFolder, config: OfficeConfig, stack: contextlib.ExitStack) -> str:
    """The KSeF base URL of the office's environment (the office's emulator is started on ``stack``)."""
    if config.environment != "emulator":
        from ksef_sheets.ksef import base_url_for

        return base_url_for(config.environment)
    from ksef_sheets.sync import start_office_emulator

    return start_office_emulator(folder, config, stack)[0]


def default_certificate_reference(vault: Vault, today: dt.date) -> str | None:
    """The office's default certificate in the vault (``cert:…``), or None."""
    for entry in vault.list(today=today):
        if entry.kind == "certificate" and entry.is_default:
            return entry.reference
    return None


def office_certificate(vault: Vault, today: dt.date) -> CertificateCredential:
    reference = default_certificate_reference(vault, today)
    if reference is None:
        raise UserError(
            "W sejfie nie ma domyślnego certyfikatu biura — dodaj go: ksef-sheets credentials add "
            "--name biuro --p12 PLIK --default (albo credentials enrol)."
        )
    credential = vault.get(reference)
    if not isinstance(credential, CertificateCredential):  # pragma: no cover - the vault keeps them apart
        raise UserError(f"Poświadczenie {reference} nie jest certyfikatem.")
    return credential


def record(folder: OfficeFolder, action: str, nip: str | None, details: Mapping[str, Any]) -> None:
    """One audit entry in the office archive (who = the OS user, when = now)."""
    from ksef_sheets.workflows.audit import audit_event

    audit_event(folder, action, nip, dict(details))
