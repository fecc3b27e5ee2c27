"""What is wrong with a register row and what the office should do next — pure functions."""

from __future__ import annotations

import re
from datetime import date

from ksef_sheets.identifiers import nip_problem
from ksef_sheets.office.deadlines import obligation_date
from ksef_sheets.office.model import (
    ANNEX_CHOICES,
    ANNEX_SENT,
    ANNEX_SIGNED,
    AUTH_REFUSED,
    AUTH_SENT,
    AUTH_SIGNED,
    AUTHORISATION_CHOICES,
    FETCH_SCHEDULE_CHOICES,
    PERMS_MISSING,
    PERMS_OK,
    PERMS_UNKNOWN,
    SIZE_CHOICES,
    Client,
)
from ksef_sheets.office.readiness import NO_ANSWERS, readiness
from ksef_sheets.office.scenarios import (
    PERM_READ,
    PERM_WRITE,
    missing_permissions,
    permission_name,
    permissions_phrase,
    scenario,
)
from ksef_sheets.redaction import redact

_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")
# A long run of token-like characters (hex/base64) is a secret pasted into the register by mistake.
_SECRETISH = re.compile(r"[A-Za-z0-9+/=_|-]{40,}")


def is_valid_email(text: str) -> bool:
    """One address, or several separated by ``;`` or ``,`` (offices often keep two), each valid."""
    parts = [p.strip() for p in re.split(r"[;,]", text)]
    return bool(parts) and all(_EMAIL.match(p) for p in parts)


def looks_like_secret(text: str) -> bool:
    """True for a KSeF token, a JWT or another long secret-shaped string."""
    if not text:
        return False
    return redact(text) != text or bool(_SECRETISH.search(text))


def zaw_fa_default(legal_form: str) -> bool | None:
    """Sole traders log in as owners; companies without a qualified seal need ZAW-FA (DOMAIN §2.1)."""
    form = legal_form.strip().lower()
    if not form:
        return None
    sole_trader = form in {"jdg", "osoba fizyczna"} or ("jednoosobow" in form and "spółka" not in form)
    return not sole_trader


def missing_for(client: Client) -> list[str]:
    return missing_permissions(
        client.scenario,
        invoice_read=client.perm_invoice_read,
        invoice_write=client.perm_invoice_write,
        can_delegate=client.perm_can_delegate,
    )


def permissions_status(client: Client) -> str:
    """``komplet`` / ``brakuje`` / ``—`` (no scenario) for the register and the dashboard."""
    if scenario(client.scenario) is None:
        return PERMS_UNKNOWN
    return PERMS_MISSING if missing_for(client) else PERMS_OK


def client_problems(client: Client) -> list[str]:
    """Problems staff should fix in a register row, each a short Polish phrase."""
    problems: list[str] = []
    nip_issue = nip_problem(client.nip)
    if nip_issue:
        problems.append(nip_issue.rstrip("."))
    if not client.name.strip():
        problems.append("brak nazwy")
    if not client.email.strip():
        problems.append("brak e-maila")
    elif not is_valid_email(client.email):
        problems.append(f"błędny e-mail „{client.email}”")
    if client.scenario is None:
        problems.append("nie wybrano scenariusza")
    elif scenario(client.scenario) is None:
        problems.append(f"nieznany scenariusz „{client.scenario}” (dozwolone 1, 2, 3)")
    if client.size and client.size.strip().lower() not in SIZE_CHOICES:
        problems.append(f"nieznana wielkość „{client.size}” (dozwolone: {', '.join(SIZE_CHOICES)})")
    if client.authorisation_status and client.authorisation_status not in AUTHORISATION_CHOICES:
        problems.append(f"nieznany status upoważnienia „{client.authorisation_status}”")
    if client.annex_status and client.annex_status not in ANNEX_CHOICES:
        problems.append(f"nieznany status aneksu „{client.annex_status}”")
    if client.fetch_schedule and client.fetch_schedule not in FETCH_SCHEDULE_CHOICES:
        problems.append(f"nieznany harmonogram „{client.fetch_schedule}”")
    missing = missing_for(client)
    if missing:
        problems.append(f"scenariusz {client.scenario} wymaga uprawnień: {permissions_phrase(missing)}")
    if client.perm_invoice_write and client.scenario in (1, 2):
        problems.append(
            f"biuro ma uprawnienie {permission_name(PERM_WRITE)}, choć scenariusz {client.scenario} "
            "go nie wymaga — rozważ odebranie"
        )
    if (client.perm_invoice_read or client.perm_invoice_write) and not client.permissions_date:
        problems.append("brak daty nadania uprawnień")
    if client.authorisation_status == AUTH_SIGNED and not client.authorisation_date:
        problems.append("brak daty upoważnienia")
    if client.annex_status == ANNEX_SIGNED and not client.annex_date:
        problems.append("brak daty aneksu")
    if looks_like_secret(client.credential_ref):
        problems.append("w kolumnie „Poświadczenie” był sekret — usunięto; wpisz tylko nazwę wpisu w sejfie")
    if client.ksef_fee is not None and client.ksef_fee < 0:
        problems.append("ujemna opłata KSeF")
    return problems


def next_step(client: Client, today: date) -> str:
    """The one next thing the office should do for this client (Polish, imperative)."""
    if nip_problem(client.nip):
        return "Popraw NIP klienta."
    if not client.email.strip() or not is_valid_email(client.email):
        return "Uzupełnij e-mail klienta — bez niego nie wyślesz ankiety ani aneksu."
    chosen = scenario(client.scenario)
    ready = readiness(client)
    if ready.status == NO_ANSWERS:
        return "Wyślij klientowi ankietę gotowości i mail edukacyjny o KSeF."
    if chosen is None:
        return "Przedstaw klientowi trzy scenariusze współpracy i wpisz wybrany (1/2/3)."
    if (
        client.needs_registration_help
        and client.zaw_fa_needed
        and not (client.perm_invoice_read or client.perm_invoice_write)
    ):
        return "Pomóż klientowi złożyć ZAW-FA (wyznaczenie administratora KSeF w e-Urzędzie Skarbowym)."
    if client.annex_status != ANNEX_SIGNED:
        if client.annex_status == ANNEX_SENT:
            return f"Przypomnij o podpisaniu aneksu do umowy (scenariusz {chosen.number})."
        return f"Przygotuj i wyślij aneks do umowy dla scenariusza {chosen.number}."
    missing = missing_for(client)
    if missing:
        if client.authorisation_status == AUTH_REFUSED:
            return "Klient odmówił upoważnienia — omów zmianę scenariusza na 1."
        if client.authorisation_status != AUTH_SIGNED:
            if client.authorisation_status == AUTH_SENT:
                return "Przypomnij o podpisaniu upoważnienia dla biura."
            return "Wyślij wzór upoważnienia z instrukcją nadania uprawnień biuru."
        return f"Poproś klienta o nadanie NIP biura uprawnień: {permissions_phrase(missing)}."
    if chosen.office_fetches and not client.credential_ref.strip():
        return "Dodaj poświadczenie biura w sejfie (ksef-sheets credentials add) i wpisz odnośnik."
    start = client.ksef_obligation_date or obligation_date(client.size)
    if (
        client.software_integrated is False
        and not chosen.office_issues
        and start is not None
        and (start - today).days <= 60
    ):
        return "Zaproponuj program do faktur zintegrowany z KSeF lub Aplikację Podatnika KSeF."
    if client.fetch_problem.strip():
        return f"Sprawdź problem pobierania: {client.fetch_problem.strip()}"
    if chosen.office_fetches and client.last_fetch is None:
        return f"Uruchom pierwsze pobieranie: ksef-sheets fetch --client {client.nip}."
    if client.to_verify:
        return f"Przypomnij klientowi o weryfikacji {client.to_verify} faktur."
    if PERM_READ not in chosen.required_permissions and not client.perm_invoice_read:
        return f"Obsługa bieżąca; rozważ uprawnienie {permission_name(PERM_READ)} do kontroli kompletności dokumentów."
    return "Obsługa bieżąca — nic pilnego."
