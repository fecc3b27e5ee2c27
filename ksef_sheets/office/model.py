"""One row of the office's client register (sheet ``Klienci``) as a plain dataclass.

The workbook column for each field is declared here (``REGISTER_COLUMNS``) so that the register,
the importer and ``load_clients`` agree on one mapping between Polish headers and English fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

# Dropdown values in the register (Polish, exactly as staff pick them).
SIZE_LARGE = "duży"
SIZE_STANDARD = "standardowy"
SIZE_MICRO = "mikro"
SIZE_CHOICES = (SIZE_LARGE, SIZE_STANDARD, SIZE_MICRO)

AUTH_NONE = "brak"
AUTH_SENT = "wysłane"
AUTH_SIGNED = "podpisane"
AUTH_REFUSED = "odmowa"
AUTHORISATION_CHOICES = (AUTH_NONE, AUTH_SENT, AUTH_SIGNED, AUTH_REFUSED)

ANNEX_NONE = "brak"
ANNEX_SENT = "wysłany"
ANNEX_SIGNED = "podpisany"
ANNEX_CHOICES = (ANNEX_NONE, ANNEX_SENT, ANNEX_SIGNED)

# Step-1 survey: the usual ways documents reach the office before KSeF.
DOCUMENT_CHANNELS = ("papier", "e-mail (PDF)", "system OCR / portal", "eksport z programu klienta", "KSeF")
REPRESENTATION_HEADER = "Reprezentowany przez / podstawa reprezentacji"
CHANNEL_HEADER = "Jak dokumenty trafiają do biura"

# The register's permission columns; until issue 14 their headers were the KSeF codes, which an
# older biuro.xlsx still has (``LEGACY_HEADERS`` renames them in place when the register is read).
PERM_READ_HEADER = "Przeglądanie faktur"
PERM_WRITE_HEADER = "Wystawianie faktur"
PERM_DELEGATE_HEADER = "Może przekazać dalej"
LEGACY_HEADERS = {
    "InvoiceRead": PERM_READ_HEADER,
    "InvoiceWrite": PERM_WRITE_HEADER,
    "canDelegate": PERM_DELEGATE_HEADER,
}

FETCH_SCHEDULE_CHOICES = ("codziennie", "2× w tygodniu", "co tydzień", "co miesiąc", "nie pobieramy")
YES, NO = "tak", "nie"

FieldKind = Literal["text", "date", "datetime", "int", "bool", "flag", "scenario", "pln", "nip"]


@dataclass
class Client:
    """A client company of the office, as kept in the register."""

    nip: str
    name: str = ""
    legal_form: str = ""
    industry: str = ""
    address: str = ""
    contact_person: str = ""
    # Who signs for the client and on what basis, several separated by ";", e.g.
    # "Anna Nowak — prezes zarządu; Piotr Lis — członek zarządu (reprezentacja łączna, KRS)".
    # For a spółka cywilna: its partners ("Robert Mazur — wspólnik; …"), who are the contract parties.
    representation: str = ""
    email: str = ""
    phone: str = ""
    size: str = ""
    ksef_obligation_date: date | None = None
    invoicing_software: str = ""
    software_integrated: bool | None = None
    # Step-1 survey: how the client's documents reach the office today (paper, e-mail PDF, …).
    document_channel: str = ""
    scenario: int | None = None
    # Readiness questionnaire (None = no answer yet).
    knows_ksef: bool | None = None
    needs_registration_help: bool | None = None
    will_authorise_office: bool | None = None
    zaw_fa_needed: bool | None = None
    perm_invoice_read: bool = False
    perm_invoice_write: bool = False
    perm_can_delegate: bool = False
    permissions_date: date | None = None
    # A reference to a credential in the vault (e.g. "sejf:5210537039"), never the secret itself.
    credential_ref: str = ""
    authorisation_status: str = ""
    authorisation_date: date | None = None
    annex_status: str = ""
    annex_date: date | None = None
    ksef_fee: Decimal | None = None
    pilot: bool = False
    staff_member: str = ""
    fetch_schedule: str = ""
    last_fetch: datetime | None = None
    new_invoices: int | None = None
    to_verify: int | None = None
    fetch_problem: str = ""
    # The last `jpk check` of the client's JPK_V7: "2026-03: 2 ustalenia (05.12.2026)", and the count.
    jpk_check: str = ""
    jpk_findings: int | None = None
    next_step: str = ""
    problems: str = ""
    notes: str = ""
    # Where the row is in the sheet (None for clients not read from a workbook).
    row: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DemoOffice:
    """A training office: its NIP, name and register rows. The data is the demo's
    (``ksef_sheets.demo_data.demo_office_data()``); the caller passes it to the set-up use case."""

    nip: str
    name: str
    clients: Sequence[Client]


@dataclass(frozen=True)
class RegisterColumn:
    """A column of table ``Klienci``: header, Client field, type, who writes it."""

    header: str
    field: str | None
    kind: FieldKind = "text"
    width: float = 14
    # "import": master data a client list may bring; "staff": typed by staff (the toolkit writes it
    # only when it creates the row, or fills it when empty); "computed": rewritten by the toolkit.
    owner: Literal["import", "staff", "computed"] = "staff"
    choices: tuple[str, ...] = ()
    note: str = ""


REGISTER_COLUMNS: tuple[RegisterColumn, ...] = (
    RegisterColumn("NIP", "nip", "nip", 13, "import", note="10 cyfr, bez kresek; sprawdzana cyfra kontrolna"),
    RegisterColumn("Nazwa", "name", "text", 34, "import"),
    RegisterColumn("Forma prawna", "legal_form", "text", 13, "import"),
    RegisterColumn("Branża", "industry", "text", 26, "import"),
    RegisterColumn("Adres", "address", "text", 30, "import"),
    RegisterColumn("Osoba kontaktowa", "contact_person", "text", 20, "import"),
    RegisterColumn(
        REPRESENTATION_HEADER,
        "representation",
        "text",
        30,
        "import",
        note=(
            "kto podpisuje za klienta i na jakiej podstawie (nie osoba kontaktowa); kilka osób rozdziel "
            "średnikiem, np. Anna Nowak — prezes zarządu; Piotr Lis — członek zarządu. "
            "Spółka cywilna: wszyscy wspólnicy"
        ),
    ),
    RegisterColumn("E-mail", "email", "text", 32, "import"),
    RegisterColumn("Telefon", "phone", "text", 17, "import"),
    RegisterColumn(
        "Wielkość",
        "size",
        "text",
        12,
        "import",
        SIZE_CHOICES,
        "duży: sprzedaż 2024 > 200 mln zł brutto; mikro: faktury ≤ 10 000 zł brutto miesięcznie",
    ),
    RegisterColumn("Obowiązek KSeF od", "ksef_obligation_date", "date", 12, "staff"),
    RegisterColumn("Program do faktur", "invoicing_software", "text", 18, "import"),
    RegisterColumn("Program zintegrowany z KSeF", "software_integrated", "bool", 12, "import", (YES, NO)),
    RegisterColumn(
        CHANNEL_HEADER,
        "document_channel",
        "text",
        20,
        "import",
        note="dziś: " + ", ".join(DOCUMENT_CHANNELS) + " (kilka rozdziel średnikiem)",
    ),
    RegisterColumn("Scenariusz", "scenario", "scenario", 10, "import", ("1", "2", "3")),
    RegisterColumn("Zna KSeF", "knows_ksef", "bool", 9, "staff", (YES, NO)),
    RegisterColumn(
        "Potrzebuje pomocy z rejestracją", "needs_registration_help", "bool", 12, "staff", (YES, NO)
    ),
    RegisterColumn("Upoważni biuro", "will_authorise_office", "bool", 10, "staff", (YES, NO)),
    RegisterColumn("Potrzebny ZAW-FA", "zaw_fa_needed", "bool", 11, "staff", (YES, NO)),
    # KSeF permissions the office holds in the client's context, under the names of the KSeF screens
    # (the codes are in the cells' input message); fetch and `permissions` fill them from KSeF.
    RegisterColumn(
        PERM_READ_HEADER,
        "perm_invoice_read",
        "flag",
        13,
        "staff",
        (YES, NO),
        "uprawnienie KSeF InvoiceRead dla NIP biura; wpisuje je program z odpowiedzi KSeF "
        "(ksef-sheets fetch, ksef-sheets permissions)",
    ),
    RegisterColumn(
        PERM_WRITE_HEADER,
        "perm_invoice_write",
        "flag",
        13,
        "staff",
        (YES, NO),
        "uprawnienie KSeF InvoiceWrite dla NIP biura; wpisuje je program z odpowiedzi KSeF "
        "(ksef-sheets fetch, ksef-sheets permissions)",
    ),
    RegisterColumn(
        PERM_DELEGATE_HEADER,
        "perm_can_delegate",
        "flag",
        13,
        "staff",
        (YES, NO),
        "canDelegate: biuro może przekazać uprawnienia swoim pracownikom; wpisuje program z odpowiedzi KSeF",
    ),
    RegisterColumn("Data nadania uprawnień", "permissions_date", "date", 12, "staff"),
    RegisterColumn(
        "Poświadczenie (odnośnik)",
        "credential_ref",
        "text",
        18,
        "staff",
        note="tylko nazwa wpisu w sejfie, np. sejf:5210537039 — nigdy token ani hasło",
    ),
    RegisterColumn("Upoważnienie", "authorisation_status", "text", 14, "staff", AUTHORISATION_CHOICES),
    RegisterColumn("Data upoważnienia", "authorisation_date", "date", 14, "staff"),
    RegisterColumn("Aneks", "annex_status", "text", 12, "staff", ANNEX_CHOICES),
    RegisterColumn("Data aneksu", "annex_date", "date", 12, "staff"),
    RegisterColumn("Opłata KSeF (zł/mies.)", "ksef_fee", "pln", 12, "staff"),
    RegisterColumn("Pilotaż", "pilot", "flag", 9, "staff", (YES, NO)),
    RegisterColumn("Opiekun", "staff_member", "text", 16, "staff"),
    RegisterColumn("Harmonogram pobierania", "fetch_schedule", "text", 14, "staff", FETCH_SCHEDULE_CHOICES),
    RegisterColumn("Ostatnie pobranie", "last_fetch", "datetime", 16, "computed"),
    RegisterColumn("Nowe faktury", "new_invoices", "int", 9, "computed"),
    RegisterColumn("Do weryfikacji", "to_verify", "int", 10, "computed"),
    RegisterColumn("Problem pobierania", "fetch_problem", "text", 22, "computed"),
    RegisterColumn("Uzgodnienie JPK", "jpk_check", "text", 24, "computed"),
    RegisterColumn("Ustalenia JPK", "jpk_findings", "int", 10, "computed"),
    RegisterColumn("Gotowość", None, "text", 12, "computed"),
    RegisterColumn("Uprawnienia wg scenariusza", None, "text", 14, "computed"),
    RegisterColumn("Następny krok", "next_step", "text", 50, "computed"),
    RegisterColumn("Problemy", "problems", "text", 45, "computed"),
    RegisterColumn("Folder", None, "text", 10, "computed"),
    RegisterColumn("Uwagi", "notes", "text", 40, "staff"),
)

REGISTER_HEADERS = tuple(c.header for c in REGISTER_COLUMNS)
COLUMN_BY_FIELD = {c.field: c for c in REGISTER_COLUMNS if c.field}
COLUMN_BY_HEADER = {c.header: c for c in REGISTER_COLUMNS}

# Values of the computed "Uprawnienia wg scenariusza" column.
PERMS_OK = "komplet"
PERMS_MISSING = "brakuje"
PERMS_UNKNOWN = "—"

FEE_QUANT = Decimal("0.01")
