"""Documents for many clients at once: which kinds exist, what each needs, one run over the register.

A client missing data a document needs (no scenario for an annex, no e-mail for an e-mail) gets a
Polish sentence in the report and is skipped for that document; everyone else is generated.
Word files are rendered first, then (``pdf=True``) converted in one LibreOffice call, then the
e-mails are built with the final attachment (PDF when asked for, else the .docx).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ksef_sheets.config import OfficeFolder
from ksef_sheets.documents.context import (
    OfficeData,
    client_context,
    is_civil_partnership,
    office_data,
    reminder_attachments,
    representatives,
)
from ksef_sheets.documents.email_message import build_eml, email_problem, split_subject
from ksef_sheets.documents.pdf import convert_to_pdf
from ksef_sheets.documents.render import render_docx, render_text, template_path
from ksef_sheets.errors import FileLockedError, UserError
from ksef_sheets.files import atomic_write_bytes, atomic_write_text
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.office import REPRESENTATION_HEADER, SCENARIOS, Client
from ksef_sheets.text import warsaw_today


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document: its Word template, or an e-mail template and the document it attaches."""

    key: str
    label: str
    file_stem: str
    template: str
    is_email: bool = False
    # For e-mails: the document kind attached; None means "chosen per client" (the reminder).
    attaches: str | None = None
    # Further documents attached with it (the annex e-mail also carries the data-processing agreement).
    also_attaches: tuple[str, ...] = ()
    needs_scenario: bool = False
    needs_address: bool = False
    needs_obligation_date: bool = False
    # A contract signed by the client's representatives (a blank is left when the register has none).
    signed_by_client: bool = False


KINDS: dict[str, DocumentKind] = {
    k.key: k
    for k in (
        DocumentKind(
            "aneks",
            "aneks do umowy",
            "aneks-KSeF",
            "aneks.docx",
            needs_scenario=True,
            needs_address=True,
            signed_by_client=True,
        ),
        DocumentKind(
            "upowaznienie",
            "upoważnienie i instrukcja nadania uprawnień",
            "upowaznienie-KSeF",
            "upowaznienie.docx",
            needs_scenario=True,
            signed_by_client=True,
        ),
        DocumentKind(
            "umowa-powierzenia",
            "umowa powierzenia przetwarzania danych osobowych",
            "umowa-powierzenia",
            "umowa-powierzenia.docx",
            needs_address=True,
            signed_by_client=True,
        ),
        DocumentKind(
            "pismo",
            "pismo informacyjne",
            "pismo-KSeF",
            "pismo.docx",
            needs_address=True,
            needs_obligation_date=True,
        ),
        DocumentKind(
            "email-informacja",
            "e-mail z informacją o KSeF",
            "email-informacja-KSeF",
            "email-informacja.txt",
            is_email=True,
            attaches="pismo",
        ),
        DocumentKind(
            "email-ankieta",
            "e-mail z ankietą gotowości",
            "email-ankieta-KSeF",
            "email-ankieta.txt",
            is_email=True,
            attaches="pismo",
        ),
        DocumentKind(
            "email-uprawnienia",
            "e-mail z instrukcją nadania uprawnień",
            "email-uprawnienia-KSeF",
            "email-uprawnienia.txt",
            is_email=True,
            attaches="upowaznienie",
        ),
        DocumentKind(
            "email-aneks",
            "e-mail z aneksem do podpisu",
            "email-aneks-KSeF",
            "email-aneks.txt",
            is_email=True,
            attaches="aneks",
            also_attaches=("umowa-powierzenia",),
        ),
        DocumentKind(
            "email-przypomnienie",
            "e-mail z przypomnieniem",
            "email-przypomnienie-KSeF",
            "email-przypomnienie.txt",
            is_email=True,
            attaches=None,
        ),
    )
}
GROUPS: dict[str, tuple[str, ...]] = {
    "dokumenty": ("aneks", "upowaznienie", "pismo", "umowa-powierzenia"),
    "emaile": tuple(k for k, v in KINDS.items() if v.is_email),
    "wszystkie": tuple(KINDS),
}


def resolve_kinds(names: Iterable[str]) -> list[DocumentKind]:
    """Kind names (or group names) from the command line, in a stable order, without repeats."""
    chosen: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        keys = GROUPS.get(name) or ((name,) if name in KINDS else None)
        if keys is None:
            allowed = ", ".join([*KINDS, *GROUPS])
            raise UserError(f"Nieznany rodzaj dokumentu „{raw}”. Dostępne: {allowed}.")
        chosen.extend(k for k in keys if k not in chosen)
    return [KINDS[k] for k in chosen]


def output_path(folder: OfficeFolder, kind: DocumentKind, nip: str, suffix: str | None = None) -> Path:
    ext = suffix or (".eml" if kind.is_email else ".docx")
    return folder.documents_dir(nip) / f"{kind.file_stem}-{normalize_nip(nip)}{ext}"


@dataclass
class GeneratedDocument:
    nip: str
    kind: str
    path: Path
    attachment: Path | None = None
    # Every file an e-mail carries (``attachment`` is the first of them).
    attachments: list[Path] = field(default_factory=list)


@dataclass
class ClientProblem:
    nip: str
    name: str
    kind: str
    message: str

    def sentence(self) -> str:
        who = f"{self.name} (NIP {self.nip})" if self.name else f"NIP {self.nip}"
        return f"{who} — {KINDS[self.kind].label if self.kind in KINDS else self.kind}: {self.message}."


@dataclass
class DocumentsReport:
    generated: list[GeneratedDocument] = field(default_factory=list)
    problems: list[ClientProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pdf: list[Path] = field(default_factory=list)
    # Not an error: e.g. a reminder for a client with nothing outstanding.
    skipped: list[ClientProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "generated": [
                {
                    "nip": g.nip,
                    "kind": g.kind,
                    "path": str(g.path),
                    "attachment": str(g.attachment) if g.attachment else None,
                    "attachments": [str(a) for a in g.attachments],
                }
                for g in self.generated
            ],
            "pdf": [str(p) for p in self.pdf],
            "problems": [
                {"nip": p.nip, "kind": p.kind, "message": p.message, "text": p.sentence()}
                for p in self.problems
            ],
            "warnings": self.warnings,
            "skipped": [{"nip": p.nip, "kind": p.kind, "text": p.sentence()} for p in self.skipped],
        }


def missing_data(client: Client, kind: DocumentKind) -> str | None:
    """Why a document cannot be made for a client (a Polish phrase), or None."""
    checks = [kind] + [KINDS[k] for k in (kind.attaches, *kind.also_attaches) if k]
    if not client.name.strip():
        return "w rejestrze brakuje nazwy klienta"
    for item in checks:
        if item.needs_scenario and client.scenario not in SCENARIOS:
            return "w rejestrze nie wybrano scenariusza współpracy (1, 2 lub 3)"
        if item.needs_address and not client.address.strip():
            return "w rejestrze brakuje adresu klienta"
        if item.needs_obligation_date and client.ksef_obligation_date is None:
            return "w rejestrze brakuje daty „Obowiązek KSeF od”"
    if kind.is_email:
        problem = email_problem(client.email)
        if problem:
            return f"{problem} w rejestrze"
    return None


NOTHING_TO_REMIND = "klient nie ma zaległych kroków, nie ma o czym przypominać"


def reminder_attachment(client: Client) -> str | None:
    """The first document the reminder attaches (see ``reminder_attachments``), or None."""
    kinds = reminder_attachments(client)
    return kinds[0] if kinds else None


def attachments_of(client: Client, kind: DocumentKind) -> list[str]:
    """Document kinds an e-mail carries for this client (the reminder decides per client)."""
    if kind.attaches is None:
        return reminder_attachments(client)
    return [kind.attaches, *kind.also_attaches]


def representation_warning(client: Client) -> str | None:
    """A sentence when a signed document would have to leave the client's signatories blank."""
    if representatives(client.representation):
        return None
    who = "wspólników spółki cywilnej" if is_civil_partnership(client.legal_form, client.name) else "osób"
    return (
        f"{client.name} (NIP {client.nip}): w rejestrze brak kolumny „{REPRESENTATION_HEADER}” albo jest "
        f"pusta — w aneksie, upoważnieniu i umowie powierzenia zostawiono miejsce na dane {who} "
        "podpisujących za klienta."
    )


def select_clients(clients: Sequence[Client], nips: Sequence[str] | None) -> tuple[list[Client], list[str]]:
    """Clients chosen with ``--client`` (all when none); returns them and unknown-NIP sentences."""
    if not nips:
        return list(clients), []
    by_nip = {c.nip: c for c in clients}
    chosen: list[Client] = []
    unknown: list[str] = []
    for raw in nips:
        problem = nip_problem(raw)
        if problem:
            raise UserError(f"Opcja --client: {problem}")
        nip = normalize_nip(raw)
        if nip not in by_nip:
            unknown.append(nip)
        elif by_nip[nip] not in chosen:
            chosen.append(by_nip[nip])
    return chosen, unknown


def generate_documents(
    folder: OfficeFolder,
    kinds: Sequence[DocumentKind],
    *,
    clients: Sequence[Client],
    nips: Sequence[str] | None = None,
    pdf: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DocumentsReport:
    """Render ``kinds`` for the chosen clients into their ``dokumenty/`` folders.

    ``clients`` are the register's records (read by the use case, ``workflows.documents``);
    ``nips`` narrows them. Template and configuration errors
    raise ``UserError`` (they would fail every client); a client's missing data is reported in the
    result and that client is skipped for that document.
    """
    config = folder.load_config()
    office = office_data(config, config_name=str(folder.config_path))
    report = DocumentsReport(warnings=list(office.warnings))
    register = list(clients)
    if not register:
        raise UserError(
            f"Rejestr klientów w {folder.office_workbook} jest pusty; dodaj klientów (ksef-sheets clients import)."
        )
    chosen, unknown = select_clients(register, nips)
    for nip in unknown:
        report.problems.append(ClientProblem(nip, "", "klient", "nie ma takiego klienta w rejestrze"))
    day = today or warsaw_today()

    documents: dict[tuple[str, str], Path] = {}
    emails: list[tuple[Client, DocumentKind, dict[str, Any], list[str]]] = []
    for client in chosen:
        context = client_context(client, office, today=day)
        warned = False
        for kind in kinds:
            problem = missing_data(client, kind)
            if problem:
                report.problems.append(ClientProblem(client.nip, client.name, kind.key, problem))
                continue
            if kind.key == "email-przypomnienie" and not reminder_attachments(client):
                report.skipped.append(ClientProblem(client.nip, client.name, kind.key, NOTHING_TO_REMIND))
                continue
            needed = [kind.key] if not kind.is_email else attachments_of(client, kind)
            locked = False
            for doc in needed:
                try:
                    if (client.nip, doc) not in documents:
                        target = output_path(folder, KINDS[doc], client.nip)
                        render_docx(template_path(KINDS[doc].template, folder), context, target)
                        documents[(client.nip, doc)] = target
                        report.generated.append(GeneratedDocument(client.nip, doc, target))
                        warning = representation_warning(client) if KINDS[doc].signed_by_client else None
                        if warning and not warned:
                            report.warnings.append(warning)
                            warned = True
                except FileLockedError as exc:
                    report.problems.append(ClientProblem(client.nip, client.name, doc, exc.message))
                    locked = True
            if locked:
                continue
            if kind.is_email:
                emails.append((client, kind, context, needed))
            if progress:
                progress(client.nip)

    if pdf and documents:
        converted = convert_to_pdf(sorted(set(documents.values())))
        report.pdf.extend(converted.values())

    for client, kind, context, needed in emails:
        files = [documents[(client.nip, doc)] for doc in needed]
        if pdf:
            files = [f.with_suffix(".pdf") for f in files]
        try:
            _write_email(folder, office, client, kind, context, files, report)
        except FileLockedError as exc:
            report.problems.append(ClientProblem(client.nip, client.name, kind.key, exc.message))
    return report


def _write_email(
    folder: OfficeFolder,
    office: OfficeData,
    client: Client,
    kind: DocumentKind,
    context: dict[str, Any],
    attachments: list[Path],
    report: DocumentsReport,
) -> None:
    template = template_path(kind.template, folder)
    text = split_subject(render_text(template, context), str(template))
    eml = build_eml(
        text,
        to_name=client.name,
        to_email=client.email.strip(),
        from_name=str(office.values["nazwa"]),
        from_email=office.email,
        attachments=attachments,
        now=datetime.now(),
    )
    eml_path = output_path(folder, kind, client.nip)
    atomic_write_bytes(eml_path, eml)
    label = "Załącznik" if len(attachments) == 1 else "Załączniki"
    names = ", ".join(a.name for a in attachments)
    plain = f"Do: {client.email.strip()}\nTemat: {text.subject}\n{label}: {names}\n\n{text.body}"
    atomic_write_text(output_path(folder, kind, client.nip, ".txt"), plain)
    report.generated.append(
        GeneratedDocument(client.nip, kind.key, eml_path, attachments[0], list(attachments))
    )
