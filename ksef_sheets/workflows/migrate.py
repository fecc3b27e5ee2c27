"""``credentials migrate``: will each client still work on 2 January, when KSeF tokens have ended?

For every client in the register the office's default certificate is tried in that client's context
(XAdES login + a read-only call, ``/permissions/query/personal/grants``, read as
``ksef.OfficeAccess`` — the one source of truth for what the office holds), and the client lands in
one group:

- ``works`` — the certificate logs in and the office holds what the client's scenario needs
  (InvoiceRead; InvoiceWrite too in scenario 3): a token for this client is no longer needed;
- ``needs_permission`` — KSeF refuses the login or the office lacks a needed permission: the client
  must grant the office InvoiceRead (and InvoiceWrite in scenario 3);
- ``no_certificate`` — the vault has no default certificate of the office, nothing can be tried;
- ``check_failed`` — KSeF could not be asked (outage, network): try again later.

``remove_tokens`` removes the tokens of ``works`` clients from the vault, each with an audit entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.ksef import (
    TOKEN_END_DATE,
    CertificateCredential,
    KsefClient,
    KsefError,
    OfficeAccess,
    holds_nothing,
    read_office_access,
)
from ksef_sheets.text import count, format_date, warsaw_today
from ksef_sheets.vault import Vault, token_reference
from ksef_sheets.workflows._ksef import default_certificate_reference, office_base_url, record

WORKS = "works"
NEEDS_PERMISSION = "needs_permission"
NO_CERTIFICATE = "no_certificate"
CHECK_FAILED = "check_failed"
GROUP_LABELS = {
    WORKS: "działa certyfikatem",
    NEEDS_PERMISSION: "klient musi nadać uprawnienia",
    NO_CERTIFICATE: "brak certyfikatu w sejfie",
    CHECK_FAILED: "nie udało się sprawdzić",
}


@dataclass(frozen=True)
class MigrationClient:
    """A register client as migrate needs it."""

    nip: str
    name: str = ""
    scenario: int | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return ("InvoiceRead", "InvoiceWrite") if self.scenario == 3 else ("InvoiceRead",)


@dataclass
class ClientMigration:
    nip: str
    name: str
    group: str
    credential: str | None  # what the client's runs use today (token:NIP / cert:NAME), never the secret
    uses_token: bool
    days_left: int
    next_step: str
    missing: list[str] = field(default_factory=list)
    token_removed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "nip": self.nip,
            "name": self.name,
            "group": self.group,
            "credential": self.credential,
            "days_left": self.days_left,
            "next_step": self.next_step,
            "uses_token": self.uses_token,
            "missing": self.missing,
            "token_removed": self.token_removed,
        }


def days_until_tokens_end(today: dt.date) -> int:
    return max(0, (TOKEN_END_DATE - today).days)


def _days_text(days: int) -> str:
    return f"do {format_date(TOKEN_END_DATE)} zostało {count(days, 'dzień', 'dni', 'dni')}"


def _next_step(result: ClientMigration, office_nip: str, detail: str = "") -> str:
    days = _days_text(result.days_left)
    if result.group == WORKS:
        if result.uses_token:
            return (
                "Certyfikat biura działa w kontekście klienta — token KSeF nie jest już potrzebny, "
                "można go usunąć z sejfu (ksef-sheets credentials migrate --remove-tokens)."
            )
        return "Certyfikat biura działa w kontekście klienta — nic nie trzeba robić."
    if result.group == NEEDS_PERMISSION:
        wanted = " i ".join(result.missing)
        return (
            f"Klient musi nadać biuru (NIP {office_nip}) w KSeF uprawnienie {wanted} — wyślijcie prośbę "
            f"o upoważnienie (ksef-sheets credentials migrate --letters); {days}."
        )
    if result.group == NO_CERTIFICATE:
        return (
            "W sejfie nie ma domyślnego certyfikatu biura — dodajcie go (ksef-sheets credentials enrol "
            f"albo credentials add --p12 … --default) i sprawdźcie ponownie; {days}."
        )
    return f"Nie udało się zapytać KSeF ({detail}) — sprawdźcie ponownie później; {days}."


async def _check_one(
    ksef: KsefClient,
    client: MigrationClient,
    certificate: CertificateCredential | None,
    vault: Vault,
    office_nip: str,
    today: dt.date,
) -> ClientMigration:
    uses_token = token_reference(client.nip) in vault
    result = ClientMigration(
        client.nip,
        client.name,
        NO_CERTIFICATE,
        vault.reference_for_client(client.nip, today=today),
        uses_token,
        days_until_tokens_end(today),
        "",
    )
    detail = ""
    if certificate is not None:
        try:
            session = await ksef.login_with_certificate(client.nip, certificate)
            async with session:
                access = await read_office_access(session)
        except KsefError as error:
            if not holds_nothing(error):
                result.group = CHECK_FAILED
                result.next_step = _next_step(result, office_nip, str(error).rstrip("."))
                return result
            access = OfficeAccess()  # KSeF refused the login: the office holds nothing there (415)
        held = {"InvoiceRead": access.invoice_read, "InvoiceWrite": access.invoice_write}
        result.missing = [p for p in client.required if not held[p]]
        result.group = NEEDS_PERMISSION if result.missing else WORKS
    result.next_step = _next_step(result, office_nip, detail)
    return result


async def check_migration(
    ksef: KsefClient,
    clients: Sequence[MigrationClient],
    vault: Vault,
    office_nip: str,
    *,
    today: dt.date,
    concurrency: int = 4,
) -> list[ClientMigration]:
    """One result per client, in register order."""
    reference = default_certificate_reference(vault, today)
    certificate = vault.get(reference) if reference else None
    cert = certificate if isinstance(certificate, CertificateCredential) else None
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(client: MigrationClient) -> ClientMigration:
        async with gate:
            return await _check_one(ksef, client, cert, vault, office_nip, today)

    return list(await asyncio.gather(*(one(c) for c in clients)))


def migrate_credentials(
    folder: OfficeFolder,
    config: OfficeConfig,
    vault: Vault,
    clients: Sequence[MigrationClient],
    *,
    today: dt.date | None = None,
    remove_tokens: bool = False,
    base_url: str | None = None,
) -> list[ClientMigration]:
    """Check every client (see the module docstring); optionally remove tokens no longer needed."""
    today = today or warsaw_today()
    with contextlib.ExitStack() as stack:
        url = base_url or office_base_url(folder, config, stack)

        async def run() -> list[ClientMigration]:
            async with KsefClient(url) as ksef:
                return await check_migration(ksef, clients, vault, config.office_nip, today=today)

        results = asyncio.run(run())
    record(
        folder,
        "poświadczenia",
        None,
        {
            "opis": "sprawdzono przejście z tokenów na certyfikat biura",
            "wynik": "ok",
            **{label: sum(1 for r in results if r.group == group) for group, label in GROUP_LABELS.items()},
        },
    )
    if remove_tokens:
        for result in results:
            if result.group == WORKS and result.uses_token:
                vault.remove(token_reference(result.nip))
                result.token_removed = True
                result.uses_token = False
                result.credential = vault.reference_for_client(result.nip, today=today)
                result.next_step = "Token KSeF usunięto z sejfu — klient działa certyfikatem biura."
                record(
                    folder,
                    "poświadczenia",
                    result.nip,
                    {"opis": "usunięto token KSeF z sejfu (działa certyfikat biura)", "wynik": "ok"},
                )
    return results
