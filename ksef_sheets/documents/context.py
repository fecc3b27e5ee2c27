"""What a template sees: the client, the office and the agreed terms, as plain Polish-named dicts.

The variable names are Polish because the office edits the templates in Word (see
``templates/README.md`` for the list). Everything here is pure: no files, no rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ksef_sheets.config import OfficeConfig
from ksef_sheets.errors import UserError
from ksef_sheets.office import ANNEX_SIGNED, AUTH_SIGNED, SCENARIOS, Client, move_to_business_day, scenario
from ksef_sheets.sheets import clean_text
from ksef_sheets.text import count

BLANK = "………………………"  # the traditional blank a person fills in by hand

_MONTHS = (
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
)

# Legal forms of a civil partnership: the partners, not the "company", are the contract parties.
_CIVIL_PARTNERSHIP = ("s.c.", "s. c.", "spółka cywilna", "sc")

# Legal forms of natural persons: the owner logs in with a trusted profile and needs no ZAW-FA.
_NATURAL_PERSON_FORMS = ("jdg", "działalność", "osoba fizyczna", "indywidualna")


def one_line(text: str | None) -> str:
    """Register text as one line: no control characters, no line breaks (subjects, table cells)."""
    return " ".join(clean_text(text or "").split())


def polish_date(value: date) -> str:
    """``1 kwietnia 2026 r.`` as written in Polish letters and contracts."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year} r."


class DocumentSettings(BaseModel):
    """Optional keys in ``ksef-sheets.toml`` used by the documents (all have a placeholder default)."""

    model_config = ConfigDict(extra="ignore")

    office_address: str | None = None
    office_city: str | None = None
    office_legal_form: str | None = None
    office_signatory: str | None = None
    office_email: str | None = None
    office_phone: str | None = None
    oc_insurer: str | None = None
    oc_policy_number: str | None = None
    oc_sum: str | None = None
    # Terms written into the annex.
    verification_days: int = 5
    documents_day: int = 7
    fetch_deadline_day: int = 3
    report_day: int = 10
    grant_days: int = 7
    scenario_change_days: int = 30
    questionnaire_days: int = 14
    fetch_frequency: str = "codziennie w dni robocze"
    silence_means_acceptance: bool = False
    liability_cap: str = "wysokości wynagrodzenia Biura za ostatnie 12 miesięcy"


# Keys whose absence leaves a blank on paper, and the sentence that tells the office so.
_RECOMMENDED = {
    "office_address": "adres biura",
    "office_city": "miejscowość",
    "office_signatory": "osoba podpisująca",
    "office_email": "e-mail biura",
    "office_phone": "telefon biura",
    "oc_insurer": "ubezpieczyciel OC",
    "oc_policy_number": "numer polisy OC",
    "oc_sum": "suma gwarancyjna OC",
}


@dataclass
class OfficeData:
    """The office as documents show it, plus warnings about keys that were left blank."""

    values: dict[str, Any]
    settings: DocumentSettings
    warnings: list[str] = field(default_factory=list)

    @property
    def email(self) -> str | None:
        return self.settings.office_email


def office_data(config: OfficeConfig, *, config_name: str = "ksef-sheets.toml") -> OfficeData:
    extra = dict(config.model_extra or {})
    try:
        settings = DocumentSettings.model_validate(extra)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise UserError(f"Plik {config_name}: pole „{key}” — {first['msg']}.") from exc
    missing = [label for key, label in _RECOMMENDED.items() if not getattr(settings, key)]
    warnings = []
    if missing:
        keys = ", ".join(k for k in _RECOMMENDED if not getattr(settings, k))
        warnings.append(
            f"W {config_name} brakuje danych biura ({', '.join(missing)}); w dokumentach zostawiono "
            f"miejsca do uzupełnienia. Uzupełnij klucze: {keys}."
        )

    def text(value: str | None) -> str:
        return clean_text(value) if value else BLANK

    values = {
        "nazwa": clean_text(config.office_name),
        "nip": config.office_nip,
        "forma_prawna": text(settings.office_legal_form),
        "adres": text(settings.office_address),
        "miejscowosc": text(settings.office_city),
        "podpisujacy": text(settings.office_signatory),
        "email": text(settings.office_email),
        "telefon": text(settings.office_phone),
        "ubezpieczyciel": text(settings.oc_insurer),
        "polisa_oc": text(settings.oc_policy_number),
        "suma_oc": text(settings.oc_sum),
    }
    return OfficeData(values, settings, warnings)


def is_natural_person(legal_form: str) -> bool:
    form = legal_form.casefold()
    return any(marker in form for marker in _NATURAL_PERSON_FORMS)


def is_civil_partnership(legal_form: str, name: str = "") -> bool:
    form = legal_form.casefold().strip()
    if form in _CIVIL_PARTNERSHIP or "cywiln" in form:
        return True
    return name.casefold().rstrip().endswith(" s.c.")


@dataclass(frozen=True)
class Representative:
    """One person who signs for the client: the name and what gives them the right to."""

    name: str
    basis: str

    @property
    def signature_label(self) -> str:
        return f"{self.name}, {self.basis}" if self.basis else self.name


_NAME_SEPARATORS = (" — ", " – ", " - ", ", ", " (")


def representatives(text: str) -> list[Representative]:
    """The register's "Reprezentowany przez / podstawa reprezentacji", one entry per ";"-separated person.

    ``Anna Nowak — prezes zarządu; Piotr Lis — członek zarządu`` gives two people; a person is the
    text before the first dash or comma, the basis what follows it.
    """
    people: list[Representative] = []
    for raw in one_line(text).split(";"):
        entry = raw.strip()
        if not entry:
            continue
        cut = min((entry.find(sep) for sep in _NAME_SEPARATORS if sep in entry), default=-1)
        if cut <= 0:
            people.append(Representative(entry, ""))
            continue
        name = entry[:cut].strip()
        basis = entry[cut:].strip(" —–-,").strip()
        if basis.startswith("(") and basis.endswith(")"):
            basis = basis[1:-1].strip()
        people.append(Representative(name, basis))
    return people


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " i " + names[-1]


def _fee_sentence(client: Client, number: int) -> str:
    if number == 1:
        prefix = "Z tytułu obsługi dokumentów z KSeF"
    elif number == 2:
        prefix = "Z tytułu pobierania faktur z KSeF i obsługi ich weryfikacji"
    else:
        prefix = "Z tytułu wystawiania faktur w KSeF w imieniu Klienta i pobierania faktur zakupu"
    if client.ksef_fee is None:
        return f"{prefix} Klient płaci Biuru dodatkowo {BLANK} zł netto miesięcznie."
    if client.ksef_fee == 0:
        return f"{prefix} Biuro nie pobiera dodatkowego wynagrodzenia."
    amount = f"{client.ksef_fee.quantize(Decimal('0.01')):,.2f}".replace(",", " ").replace(".", ",")
    return f"{prefix} Klient płaci Biuru dodatkowo {amount} zł netto miesięcznie."


def _authorisation_purpose(number: int | None) -> str:
    """What the office may use the client's KSeF permissions for, per scenario."""
    books = (
        "prowadzenia ksiąg i ewidencji podatkowych, rejestrów VAT i plików JPK_V7, sporządzania deklaracji "
        "oraz weryfikacji dokumentów Klienta"
    )
    if number == 3:
        return (
            "wystawiania w imieniu Klienta faktur sprzedaży i faktur korygujących oraz przesyłania ich do "
            f"KSeF na podstawie danych przekazanych przez Klienta, pobierania faktur zakupu, a także {books}"
        )
    if number == 2:
        return f"pobierania faktur sprzedaży i zakupu Klienta z KSeF oraz {books}"
    return f"sprawdzania kompletności dokumentów przekazanych przez Klienta oraz {books}"


def permissions_rows(number: int) -> list[dict[str, str]]:
    """The table of what the client grants the office's NIP, for a scenario."""
    read = {
        1: "zalecane",
        2: "TAK",
        3: "TAK",
    }[number]
    return [
        {
            "kod": "InvoiceRead",
            "nazwa": "przeglądanie faktur",
            "nadac": read,
            "cel": "pobieranie faktur sprzedaży i zakupu do księgowania"
            if number != 1
            else "kontrola kompletności przekazanych dokumentów",
        },
        {
            "kod": "InvoiceWrite",
            "nazwa": "wystawianie faktur",
            "nadac": "TAK" if number == 3 else "NIE",
            "cel": "wystawianie faktur sprzedaży w imieniu Klienta i wysyłanie ich do KSeF"
            if number == 3
            else "niepotrzebne — faktury wystawia Klient",
        },
        {
            "kod": "canDelegate",
            "nazwa": "możliwość dalszego przekazywania uprawnień",
            "nadac": "TAK" if number != 1 else "zalecane",
            "cel": "przekazanie dostępu pracownikom Biura obsługującym Klienta",
        },
        {
            "kod": "CredentialsManage",
            "nazwa": "zarządzanie uprawnieniami",
            "nadac": "NIE",
            "cel": "pozostaje wyłącznie u Klienta",
        },
    ]


# Permission names as a client reads them (the API codes are for staff only).
PERMISSION_NAMES = {
    "InvoiceRead": "przeglądanie faktur",
    "InvoiceWrite": "wystawianie faktur",
    "canDelegate": "możliwość dalszego przekazywania uprawnień",
    "CredentialsManage": "zarządzanie uprawnieniami",
}

# What the reminder attaches for each document kind, named as the client reads it.
ATTACHMENT_LABELS = {
    "aneks": "aneks do umowy (do podpisu)",
    "upowaznienie": "upoważnienie z instrukcją nadania uprawnień w KSeF",
    "pismo": "pismo informacyjne o KSeF z ankietą gotowości",
    "umowa-powierzenia": "umowa powierzenia przetwarzania danych osobowych",
}


def missing_permissions_of(client: Client) -> list[str]:
    chosen = scenario(client.scenario)
    if chosen is None:
        return []
    held = {
        "InvoiceRead": client.perm_invoice_read,
        "InvoiceWrite": client.perm_invoice_write,
        "canDelegate": client.perm_can_delegate,
    }
    return [p for p in chosen.required_permissions if not held[p]]


def reminder_attachments(client: Client) -> list[str]:
    """Document kinds the reminder attaches: exactly the documents the outstanding steps need."""
    if not outstanding_steps(client):
        return []
    if client.scenario not in SCENARIOS:
        return ["pismo"] if client.ksef_obligation_date and client.address.strip() else []
    kinds: list[str] = []
    if client.annex_status != ANNEX_SIGNED and client.address.strip():
        kinds.append("aneks")
    chosen = scenario(client.scenario)
    needs_authorisation = bool(chosen and chosen.required_permissions) and (
        client.authorisation_status != AUTH_SIGNED or missing_permissions_of(client)
    )
    if needs_authorisation or not kinds:
        kinds.append("upowaznienie")
    return kinds


def outstanding_steps(client: Client) -> list[str]:
    """What the client still has to do (for the reminder e-mail), in plain Polish."""
    steps: list[str] = []
    chosen = scenario(client.scenario)
    if client.scenario is None:
        steps.append("wybór modelu współpracy w KSeF i odesłanie ankiety gotowości")
    if chosen is not None:
        missing = missing_permissions_of(client)
        if missing:
            names = ", ".join(f"„{PERMISSION_NAMES[p]}”" for p in missing)
            steps.append(f"nadanie w KSeF uprawnień dla NIP biura: {names}")
    if client.annex_status != ANNEX_SIGNED and chosen is not None:
        steps.append("podpisanie i odesłanie aneksu do umowy")
    if chosen is not None and chosen.required_permissions and client.authorisation_status != AUTH_SIGNED:
        steps.append("podpisanie upoważnienia dla biura")
    return steps


def client_context(
    client: Client,
    office: OfficeData,
    *,
    today: date,
    contract_number: str | None = None,
    contract_date: str | None = None,
) -> dict[str, Any]:
    """The whole context of one client's document (works for every template)."""
    settings = office.settings
    number = client.scenario
    chosen = scenario(number)
    obligation = client.ksef_obligation_date
    natural = is_natural_person(client.legal_form)
    zaw_fa = client.zaw_fa_needed if client.zaw_fa_needed is not None else not natural
    contact = one_line(client.contact_person) if client.contact_person else ""
    effective = client.annex_date or today
    people = representatives(client.representation)
    civil = is_civil_partnership(client.legal_form, client.name)
    name = one_line(client.name)
    if civil and people:
        party = (
            f"{_join_names([p.name for p in people])} — "
            f"{'wspólnicy' if len(people) > 1 else 'wspólnik'} spółki cywilnej „{name}”"
        )
    else:
        party = name
    signatures = [
        {"podpis": f"{p.signature_label} — za Klienta" if not civil else f"{p.name} — wspólnik"}
        for p in people
    ] or [{"podpis": "podpis osoby reprezentującej Klienta (imię, nazwisko, funkcja)"}]
    klient = {
        "nazwa": name,
        "strona": party,
        "spolka_cywilna": civil,
        "nip": client.nip,
        "forma_prawna": one_line(client.legal_form) or BLANK,
        "adres": one_line(client.address) or BLANK,
        "osoba_kontaktowa": contact or BLANK,
        "reprezentacja": "; ".join(p.signature_label for p in people) or BLANK,
        # Kept for office-edited templates: since 2026-12 the representation, never the contact person.
        "reprezentant": "; ".join(p.signature_label for p in people) or BLANK,
        "reprezentacja_znana": bool(people),
        "reprezentanci": [{"imie_nazwisko": p.name, "podstawa": p.basis or BLANK} for p in people],
        "podpisy": signatures,
        "sposob_dokumentow": one_line(client.document_channel) or BLANK,
        "email": one_line(client.email) or BLANK,
        "data_obowiazku": polish_date(obligation) if obligation else BLANK,
        "ulga_2027": bool(obligation and obligation.year >= 2027),
        "osoba_fizyczna": natural and not zaw_fa,
        "potrzebny_zaw_fa": zaw_fa,
        "powitanie": "Szanowni Państwo,",
        "pozostale_kroki": outstanding_steps(client),
        "zalaczniki_przypomnienia": [ATTACHMENT_LABELS[k] for k in reminder_attachments(client)],
    }
    warunki = {
        "termin_weryfikacji": count(
            settings.verification_days, "dnia roboczego", "dni roboczych", "dni roboczych"
        ),
        "termin_nadania": count(settings.grant_days, "dnia", "dni", "dni"),
        "dni_weryfikacji": settings.verification_days,
        "dzien_dokumentow": settings.documents_day,
        "dzien_pobrania": settings.fetch_deadline_day,
        "dzien_raportu": settings.report_day,
        "dni_nadania": settings.grant_days,
        "dni_zmiany_modelu": settings.scenario_change_days,
        "czestotliwosc_pobierania": clean_text(client.fetch_schedule or settings.fetch_frequency),
        "milczenie_akceptacja": settings.silence_means_acceptance,
        "limit_odpowiedzialnosci": clean_text(settings.liability_cap),
        "oplata": _fee_sentence(client, number) if number else BLANK,
    }
    return {
        "klient": klient,
        "biuro": office.values,
        "scenariusz": number,
        "scenariusz_nazwa": chosen.title if chosen else BLANK,
        # The letter proposes a model even before the client chose one (scenario 2 is the usual).
        "scenariusz_proponowany": number if number in SCENARIOS else 2,
        "uprawnienia": permissions_rows(number) if number in SCENARIOS else [],
        "cel_upowaznienia": _authorisation_purpose(number),
        "warunki": warunki,
        "umowa": {"numer": contract_number or BLANK, "data": contract_date or BLANK},
        "data_dokumentu": polish_date(today),
        "data_od": polish_date(effective),
        # A reply date on a Sunday or a holiday moves to the next business day (as art. 12 § 5 OP does).
        "termin_ankiety": polish_date(
            move_to_business_day(today + timedelta(days=settings.questionnaire_days))
        ),
        # ``{{ liczba(n, "faktura", "faktury", "faktur") }}`` in an office-edited template.
        "liczba": count,
    }
