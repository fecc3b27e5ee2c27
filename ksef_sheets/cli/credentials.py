"""``ksef-sheets credentials add|list|remove|default|enrol|certificates|revoke-certificate``: KSeF
tokens and certificates in the vault, and KSeF certificates obtained from KSeF itself.

Secrets are read from a hidden prompt or stdin (``--from-stdin``), never from an argument that
would show in the process list, and are never printed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ksef_sheets.cli import app
from ksef_sheets.cli._common import DirOption, JsonOption, console, office_folder, open_vault, print_json
from ksef_sheets.config import OfficeFolder
from ksef_sheets.errors import UserError
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.ksef import CertificateCredential, make_person_certificate, make_seal_certificate
from ksef_sheets.redaction import register_secret
from ksef_sheets.text import format_date, warsaw_today

credentials_app = typer.Typer(
    help="Sejf poświadczeń KSeF: tokeny klientów i certyfikaty biura (nigdy nie są wyświetlane).",
    no_args_is_help=True,
)
app.add_typer(credentials_app, name="credentials")


def _read_secret(prompt: str, from_stdin: bool, *, required: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        value = typer.prompt(
            prompt, hide_input=True, default="" if not required else None, show_default=False
        )
    else:
        value = ""
    register_secret(value)
    if required and not value.strip():
        raise UserError(f"Nie podano: {prompt.lower()} (pytanie o wartość albo --from-stdin).")
    return value


@credentials_app.command("add")
def add(
    client: Annotated[
        str | None, typer.Option("--client", help="NIP klienta, którego token KSeF zapisujesz.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Nazwa certyfikatu w sejfie (np. jan.kowalski, biuro).")
    ] = None,
    p12: Annotated[
        Path | None, typer.Option("--p12", help="Plik PKCS#12 (.p12/.pfx) z certyfikatem i kluczem.")
    ] = None,
    cert: Annotated[
        Path | None,
        typer.Option("--cert", help="Certyfikat .crt (PEM albo DER, np. z aplikacji KSeF Ministerstwa)."),
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="Klucz prywatny .key do --cert (zwykle zaszyfrowany hasłem).")
    ] = None,
    self_signed: Annotated[
        bool,
        typer.Option(
            "--self-signed", help="Utwórz certyfikat testowy (tylko emulator i środowisko testowe KSeF)."
        ),
    ] = False,
    nip: Annotated[
        str | None, typer.Option("--nip", help="NIP w certyfikacie testowym (domyślnie NIP biura).")
    ] = None,
    person: Annotated[
        str | None,
        typer.Option("--person", help="Certyfikat testowy osoby: „Imię Nazwisko” (zamiast pieczęci)."),
    ] = None,
    default: Annotated[bool, typer.Option("--default", help="Ustaw jako domyślny certyfikat biura.")] = False,
    from_stdin: Annotated[
        bool,
        typer.Option(
            "--from-stdin", help="Odczytaj token (albo hasło do certyfikatu) z wejścia standardowego."
        ),
    ] = False,
    directory: DirOption = None,
) -> None:
    """Dodaj token KSeF klienta (--client NIP) albo certyfikat biura (--name … --p12 / --cert --key)."""
    folder = office_folder(directory)
    if client:
        if nip_problem(client):
            raise UserError(f"Opcja --client: {nip_problem(client)}")
        token = _read_secret("Token KSeF", from_stdin, required=True)
        vault = open_vault(folder, create=True)
        reference = vault.add_token(client, token)
        _audit(folder, normalize_nip(client), f"dodano token KSeF do sejfu ({reference})")
        console.print(f"Zapisano token KSeF klienta {normalize_nip(client)} w sejfie jako {reference}.")
        return
    if not name:
        raise UserError("Podaj --client NIP (token) albo --name NAZWA (certyfikat).")
    credential = _load_certificate(folder, name, p12, cert, key, self_signed, nip, person, from_stdin)
    vault = open_vault(folder, create=True)
    reference = vault.add_certificate(name, credential, default=default)
    _audit(folder, None, f"dodano certyfikat do sejfu ({reference}{', domyślny' if default else ''})")
    console.print(
        f"Zapisano certyfikat {credential.subject_text} w sejfie jako {reference} "
        f"(ważny do {credential.not_valid_after:%Y-%m-%d})."
    )


def _load_certificate(
    folder: OfficeFolder,
    name: str,
    p12: Path | None,
    cert: Path | None,
    key: Path | None,
    self_signed: bool,
    nip: str | None,
    person: str | None,
    from_stdin: bool,
) -> CertificateCredential:
    if self_signed:
        config = folder.load_config() if folder.exists() else None
        if config is not None and config.environment not in ("emulator", "test"):
            raise UserError(
                f"Certyfikat testowy działa tylko z emulatorem i środowiskiem testowym KSeF, a biuro używa „{config.environment}”."
            )
        subject_nip = normalize_nip(nip) if nip else (config.office_nip if config else None)
        if not subject_nip or nip_problem(subject_nip):
            raise UserError("Podaj poprawny NIP do certyfikatu testowego (--nip).")
        if person:
            parts = person.split()
            if len(parts) < 2:
                raise UserError("Opcja --person: podaj imię i nazwisko, np. „Jan Kowalski”.")
            return make_person_certificate(parts[0], " ".join(parts[1:]), nip=subject_nip, name=name)
        organization = config.office_name if config else f"Biuro {subject_nip}"
        return make_seal_certificate(subject_nip, organization, name=name)
    if p12:
        password = _read_secret("Hasło do pliku .p12", from_stdin, required=False)
        return CertificateCredential.from_files(p12, None, password or None, name=name)
    if cert and key:
        # PEM or DER, as the Ministry's web application gives them out (.crt + encrypted .key).
        from ksef_sheets.ksef import load_certificate_pair

        password = _read_secret("Hasło do klucza prywatnego (Enter, jeśli brak)", from_stdin, required=False)
        return load_certificate_pair(cert, key, password or None, name=name)
    raise UserError(
        "Podaj plik --p12 albo parę --cert i --key (albo --self-signed dla certyfikatu testowego)."
    )


@credentials_app.command("list")
def list_(json_output: JsonOption = False, directory: DirOption = None) -> None:
    """Pokaż, jakie poświadczenia są w sejfie i kiedy wygasają (bez ich wartości)."""
    folder = office_folder(directory)
    if not folder.vault_file.exists():
        entries = []
    else:
        entries = open_vault(folder, create=False).list(today=warsaw_today())
    if json_output:
        print_json([e.to_json() for e in entries])
        return
    if not entries:
        console.print(
            f"Sejf {folder.vault_file} jest pusty. Dodaj token: ksef-sheets credentials add --client NIP",
            markup=False,
            highlight=False,
        )
        return
    table = Table(title=f"Sejf {folder.vault_file}")
    for header in ("Odwołanie", "Rodzaj", "Podmiot", "Ważny do", "Uwagi"):
        table.add_column(header)
    for entry in entries:
        notes = [n for n in (entry.warning, "domyślny" if entry.is_default else None) if n]
        table.add_row(
            entry.reference,
            _kind_label(entry.kind, entry.ksef_type),
            _subject(entry.subject, entry.subject_nip) if entry.kind == "certificate" else entry.subject,
            format_date(entry.expires) if entry.expires else "",
            ", ".join(notes),
        )
    console.print(table)
    for entry in entries:
        if entry.warning:
            console.print(f"Uwaga: {entry.reference} {entry.warning} ({entry.expires}).")


def _kind_label(kind: str, ksef_type: str | None) -> str:
    if kind == "token":
        return "token KSeF"
    if ksef_type == "Offline":
        return "certyfikat KSeF (offline, KOD II)"
    if ksef_type:
        return "certyfikat KSeF"
    return "certyfikat"


def _subject(subject: str, nip: str | None) -> str:
    match = re.search(r"(?:^|,)CN=((?:[^,\\]|\\.)+)", subject)
    name = match.group(1).replace("\\", "") if match else subject
    return f"{name} (NIP {nip})" if nip else name


@credentials_app.command("remove")
def remove(
    reference: Annotated[
        str,
        typer.Argument(help="Odwołanie, np. token:5210537039 albo cert:jan.kowalski.", metavar="ODWOŁANIE"),
    ],
    directory: DirOption = None,
) -> None:
    """Usuń poświadczenie z sejfu."""
    vault = open_vault(office_folder(directory), create=False)
    vault.remove(reference)
    nip = reference.removeprefix("token:") if reference.startswith("token:") else None
    _audit(office_folder(directory), nip, f"usunięto {reference} z sejfu")
    console.print(f"Usunięto {reference} z sejfu.")


@credentials_app.command("default")
def set_default(
    reference: Annotated[
        str, typer.Argument(help="Odwołanie certyfikatu, np. cert:biuro.", metavar="ODWOŁANIE")
    ],
    directory: DirOption = None,
) -> None:
    """Ustaw domyślny certyfikat biura (używany dla klientów bez własnego tokenu)."""
    vault = open_vault(office_folder(directory), create=False)
    vault.set_default_certificate(reference)
    _audit(office_folder(directory), None, f"ustawiono domyślny certyfikat biura ({reference})")
    console.print(f"Domyślny certyfikat biura: {reference}.")


def _audit(folder: OfficeFolder, nip: str | None, text: str) -> None:
    """Vault changes go to the audit log (``ksef-sheets audit``); never the secret, only the reference."""
    from ksef_sheets.workflows import audit_credential_change

    audit_credential_change(folder, nip, text)


# --- KSeF certificates ------------------------------------------------------------------------------

LoginOption = Annotated[
    str | None,
    typer.Option(
        "--login",
        help="Certyfikat z sejfu, którym zalogować się do KSeF (np. cert:biuro); domyślnie certyfikat domyślny biura.",
        show_default=False,
    ),
]
PersonOption = Annotated[
    str | None,
    typer.Option(
        "--person",
        help="PESEL albo NIP osoby: logowanie jej certyfikatem z sejfu (certyfikat KSeF dla tej osoby).",
        show_default=False,
    ),
]


@credentials_app.command("enrol")
def enrol(
    name: Annotated[str, typer.Option("--name", help="Nazwa nowego certyfikatu w sejfie (np. biuro-ksef).")],
    certificate_type: Annotated[
        str,
        typer.Option(
            "--type", help="Authentication (logowanie do KSeF) albo Offline (KOD II na fakturach offline)."
        ),
    ] = "Authentication",
    person: PersonOption = None,
    login: LoginOption = None,
    rsa_key: Annotated[
        bool, typer.Option("--rsa", help="Klucz RSA 2048 zamiast zalecanego przez KSeF klucza EC P-256.")
    ] = False,
    default: Annotated[bool, typer.Option("--default", help="Ustaw jako domyślny certyfikat biura.")] = False,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Uzyskaj certyfikat KSeF: klucz powstaje na tym komputerze i trafia prosto do sejfu."""
    from ksef_sheets.text import format_date
    from ksef_sheets.workflows import enrol_office_certificate

    if certificate_type not in ("Authentication", "Offline"):
        raise UserError(f"Opcja --type: „{certificate_type}” — dozwolone Authentication albo Offline.")
    folder = office_folder(directory)
    vault = open_vault(folder, create=False)
    result = enrol_office_certificate(
        folder,
        vault,
        name,
        certificate_type="Offline" if certificate_type == "Offline" else "Authentication",
        person=person,
        login=login,
        key_type="rsa" if rsa_key else "ec",
        make_default=default,
        progress=(lambda line: None)
        if json_output
        else (lambda line: console.print(line, markup=False, highlight=False)),
    )
    if json_output:
        print_json(result.to_json())
        return
    purpose = (
        "do logowania"
        if result.certificate_type == "Authentication"
        else "do podpisu KOD II na fakturach offline"
    )
    console.print(
        f"Zapisano certyfikat KSeF nr {result.serial_number} ({purpose}, ważny do {format_date(result.valid_to)}) "
        f"w sejfie jako {result.reference}{' — domyślny certyfikat biura' if result.is_default else ''}.",
        markup=False,
        highlight=False,
    )


@credentials_app.command("certificates")
def certificates(
    person: PersonOption = None,
    login: LoginOption = None,
    json_output: JsonOption = False,
    directory: DirOption = None,
) -> None:
    """Pokaż certyfikaty KSeF podmiotu (z KSeF): stan, ważność i czy są w sejfie."""
    from ksef_sheets.text import count, format_date
    from ksef_sheets.workflows import list_ksef_certificates

    folder = office_folder(directory)
    vault = open_vault(folder, create=False)
    today = warsaw_today()
    known = list_ksef_certificates(folder, vault, person=person, login=login, today=today)
    if json_output:
        print_json([item.to_json(today) for item in known])
        return
    if not known:
        console.print(
            "KSeF nie ma certyfikatów KSeF tego podmiotu. Uzyskaj: ksef-sheets credentials enrol --name NAZWA"
        )
        return
    table = Table(
        title=f"Certyfikaty KSeF ({count(len(known), 'certyfikat', 'certyfikaty', 'certyfikatów')})"
    )
    for header in ("Numer seryjny", "Nazwa", "Rodzaj", "Stan", "Ważny od", "Ważny do", "W sejfie"):
        table.add_column(header)
    for item in known:
        info = item.info
        table.add_row(
            info.serial_number,
            info.name,
            info.type_label,
            info.status_label,
            format_date(info.valid_from),
            format_date(info.valid_to),
            item.vault_reference or "",
        )
    console.print(table)


@credentials_app.command("revoke-certificate")
def revoke_certificate_command(
    target: Annotated[
        str,
        typer.Argument(
            help="Numer seryjny certyfikatu KSeF (16 znaków) albo jego nazwa w sejfie.", metavar="CERTYFIKAT"
        ),
    ],
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="Powód: Unspecified, Superseded (zastąpiony) albo KeyCompromise (klucz ujawniony).",
        ),
    ] = "Unspecified",
    keep: Annotated[
        bool, typer.Option("--keep", help="Nie usuwaj unieważnionego certyfikatu z sejfu.")
    ] = False,
    person: PersonOption = None,
    login: LoginOption = None,
    directory: DirOption = None,
) -> None:
    """Unieważnij certyfikat KSeF: gdy pracownik odchodzi albo klucz mógł wyciec."""
    from ksef_sheets.workflows import revoke_ksef_certificate

    folder = office_folder(directory)
    vault = open_vault(folder, create=False)
    result = revoke_ksef_certificate(
        folder,
        vault,
        target,
        reason=reason,
        person=person,
        login=login,
        keep_in_vault=keep,
    )
    removed = f" i usunięto {result.removed_reference} z sejfu" if result.removed_reference else ""
    console.print(
        f"Unieważniono certyfikat KSeF nr {result.serial_number}{removed}.", markup=False, highlight=False
    )
