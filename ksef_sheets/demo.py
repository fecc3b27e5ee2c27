"""``ksef-sheets demo``: the whole cycle of an office on the embedded KSeF emulator.

A training office (the ten clients of DOMAIN.md §8.1) is created, the emulator is seeded with
their invoices and KSeF tokens, the credentials go into the vault (tokens for some clients, the
office's certificate — XAdES, the only login from 2027 — for the others), invoices are fetched
into the archive and the per-client workbooks, documents and a client export are produced, the
client's answers are read back, and the Excel panel is built. Each capability of the toolkit adds
its step here, so the demo always shows everything that works.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.demo_data import DEMO_OFFICE_NIP, demo_seed_office
from ksef_sheets.errors import UserError
from ksef_sheets.files import atomic_path, atomic_write_text
from ksef_sheets.text import count, warsaw_time, warsaw_today

if TYPE_CHECKING:
    from ksef_sheets.sheets import RefreshReport

DEMO_SEED = 42
DEMO_FETCH_FROM = date(2026, 2, 1)
PASSPHRASE_FILE = "HASLO-SEJFU-DEMO.txt"  # noqa: S105 (a file name)


@dataclass
class DemoSummary:
    folder: Path
    steps: list[tuple[str, list[str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, title: str, lines: list[str]) -> None:
        self.steps.append((title, lines))


Echo = Callable[[str, list[str]], None]


def run_demo(
    folder: OfficeFolder, *, fresh: bool = False, echo: Echo | None = None, pdf: bool | None = None
) -> DemoSummary:
    """Run every step; ``echo(title, lines)`` is called as each step finishes."""
    summary = DemoSummary(folder.root)

    def step(title: str, lines: list[str]) -> None:
        summary.add(title, lines)
        if echo:
            echo(title, lines)

    _prepare_folder(folder, fresh=fresh)
    step("1. Biuro i skoroszyt biuro.xlsx", _init(folder))
    config = folder.load_config()
    _ensure_passphrase(folder)

    from ksef_sheets.emulator import run_emulator

    state_dir = folder.root / config.emulator_state
    with run_emulator(state_dir, seed=DEMO_SEED, office=demo_seed_office(), clients=10) as running:
        assert running.seed_info is not None
        step(
            "2. Emulator KSeF",
            [
                f"Adres: {running.base_url} (dane w {state_dir})",
                f"Klienci z fakturami w emulatorze: {len(running.seed_info.clients)}",
            ],
        )
        step(
            "3. Poświadczenia w sejfie",
            _credentials(folder, running.seed_info)
            + _ksef_certificate(folder, running.base_url)
            + _offline_certificate(folder, running.base_url),
        )
        fetch_lines, fetch_problems, refresh = _fetch(folder, running.base_url)
        summary.problems += fetch_problems
        step("4. Pobranie faktur z KSeF do archiwum", fetch_lines)
        step("5. Skoroszyty faktur klientów", _workbooks(folder, refresh))
        step(
            "6. Uprawnienia w KSeF",
            _permissions(folder, running.base_url, running.seed_info.clients[0]["nip"])
            + _leaver(folder, running.base_url, [c["nip"] for c in running.seed_info.clients[:2]]),
        )
        send_lines, send_problems = _send(folder, running.base_url)
        summary.problems += send_problems
        step("7. Wysyłka faktur sprzedaży za klienta (scenariusz 3)", send_lines)
    step("8. Faktury w archiwum: kontrola FA(3)", _validate_archive(folder))
    step("9. Dokumenty dla klientów", _documents(folder, pdf=pdf))
    step("10. Zestawienie do weryfikacji u klienta i jego odpowiedź", _export_round_trip(folder))
    step("11. Panel w Excelu", _panel(folder))
    step("12. Wizualizacje faktur: PDF z kodem QR KSeF", _invoice_pdfs(folder))
    step("13. Uzgodnienie JPK_V7 z fakturami w KSeF", _jpk(folder))
    return summary


def _prepare_folder(folder: OfficeFolder, *, fresh: bool) -> None:
    if not folder.exists():
        return
    config = folder.load_config()
    if config.office_nip != DEMO_OFFICE_NIP:
        raise UserError(
            f"Folder {folder.root} zawiera prawdziwe biuro (NIP {config.office_nip}) — demo go nie zmieni. "
            "Wskaż inny folder: ksef-sheets demo --dir biuro-demo."
        )
    if fresh:
        shutil.rmtree(folder.root)


def _init(folder: OfficeFolder) -> list[str]:
    from ksef_sheets.demo_data import demo_office_data
    from ksef_sheets.workflows import init_office

    report = init_office(folder, demo=demo_office_data())
    config = folder.load_config()
    extra = config.model_extra or {}
    if extra.get("emulator_seed") != DEMO_SEED or config.environment != "emulator":
        data = config.model_dump(mode="json")
        data.update(environment="emulator", emulator_seed=DEMO_SEED, fetch_from=DEMO_FETCH_FROM.isoformat())
        folder.save_config(OfficeConfig.model_validate(data))
    state = "utworzone" if report.created else "odświeżone (zmiany pracowników zachowane)"
    return [
        f"Biuro {state}: {folder.root}",
        f"Klientów w rejestrze: {report.clients}",
        f"Skoroszyt: {folder.office_workbook}",
    ]


def _ensure_passphrase(folder: OfficeFolder) -> None:
    """A training office's vault gets a random passphrase kept beside it (a real office uses the OS keyring)."""
    from ksef_sheets.vault import PASSPHRASE_ENV

    if os.environ.get(PASSPHRASE_ENV):
        return
    path = folder.root / PASSPHRASE_FILE
    if not path.exists():
        atomic_write_text(
            path,
            secrets.token_urlsafe(18) + "\n",
        )
    os.environ[PASSPHRASE_ENV] = path.read_text(encoding="utf-8").strip()


def _credentials(folder: OfficeFolder, seed_info: object) -> list[str]:
    from ksef_sheets.ksef import make_seal_certificate
    from ksef_sheets.vault import Vault, certificate_reference

    config = folder.load_config()
    vault = Vault.open(folder)
    clients = getattr(seed_info, "clients", [])
    tokens = 0
    for client in clients:
        # Scenario-2 clients authorised the office with a KSeF token; the rest use the office's
        # certificate (XAdES), the only way to log in from 2027.
        if client.get("scenario") == 2 and client.get("token"):
            vault.add_token(client["nip"], client["token"])
            tokens += 1
    reference = certificate_reference("biuro")
    if reference not in vault:
        seal = make_seal_certificate(config.office_nip, config.office_name, name="biuro")
        vault.add_certificate("biuro", seal, default=True)
    by_cert = len(clients) - tokens
    return [
        f"Tokeny KSeF klientów: {tokens} (ważne do 31.12.2026)",
        f"Certyfikat biura (pieczęć, logowanie XAdES): {reference} — dla {by_cert} klientów",
        f"Sejf: {folder.vault_file} (hasło demo w {PASSPHRASE_FILE}; sekrety nigdy w skoroszycie)",
    ]


def _ksef_certificate(folder: OfficeFolder, base_url: str) -> list[str]:
    """One enrolment: the office's KSeF certificate, requested after the seal's XAdES login."""
    from ksef_sheets.text import format_date
    from ksef_sheets.vault import Vault, certificate_reference
    from ksef_sheets.workflows import enrol_office_certificate

    vault = Vault.open(folder)
    reference = certificate_reference("biuro-ksef")
    if reference not in vault:
        result = enrol_office_certificate(folder, vault, "biuro-ksef", base_url=base_url)
        return [
            f"Certyfikat KSeF biura (wniosek po logowaniu pieczęcią, klucz EC P-256 tylko w sejfie): "
            f"{result.reference}, nr {result.serial_number}, ważny do {format_date(result.valid_to)}"
        ]
    entry = next(e for e in vault.list() if e.reference == reference)
    return [f"Certyfikat KSeF biura: {reference}, nr {entry.ksef_serial} (uzyskany wcześniej)"]


def _offline_certificate(folder: OfficeFolder, base_url: str) -> list[str]:
    """The office's Offline KSeF certificate: it signs KOD II of invoices issued outside KSeF."""
    from ksef_sheets.vault import Vault, certificate_reference
    from ksef_sheets.workflows import enrol_office_certificate

    vault = Vault.open(folder)
    reference = certificate_reference("biuro-offline")
    if reference not in vault:
        result = enrol_office_certificate(
            folder, vault, "biuro-offline", certificate_type="Offline", base_url=base_url
        )
        return [
            f"Certyfikat KSeF typu Offline (podpisuje KOD II faktur offline): {result.reference}, nr {result.serial_number}"
        ]
    return [f"Certyfikat KSeF typu Offline: {reference} (uzyskany wcześniej)"]


def _fetch(folder: OfficeFolder, base_url: str) -> tuple[list[str], list[str], RefreshReport]:
    from ksef_sheets.workflows import office_fetch

    # The office's fetch as ksef-sheets fetch runs it: the archive, the register, the workbooks.
    fetched = office_fetch(folder, base_url=base_url, since=DEMO_FETCH_FROM)
    if fetched.refresh_error is not None:
        raise fetched.refresh_error
    assert fetched.refresh is not None
    report = fetched.report
    lines = report.summary_lines()
    lines.append(f"Zapytań do KSeF: {report.requests}, odpowiedzi 429: {report.rate_limited}")
    lines.append(f"Archiwum: {folder.archive_dir}, indeks: {folder.database}")
    return lines, list(report.problems), fetched.refresh


def _workbooks(folder: OfficeFolder, report: RefreshReport) -> list[str]:
    written = [w for w in report.workbooks if w.written]
    lines = [
        f"Zapisano {count(len(written), 'skoroszyt', 'skoroszyty', 'skoroszytów')}, "
        f"{count(sum(w.rows_written for w in written), 'wiersz', 'wiersze', 'wierszy')}"
    ]
    lines += [f"  {w.path}" for w in written[:3]]
    if len(written) > 3:
        lines.append(f"  … i {len(written) - 3} kolejnych w {folder.clients_dir}")
    lines += report.messages()
    return lines


def _permissions(folder: OfficeFolder, base_url: str, nip: str) -> list[str]:
    from ksef_sheets.ksef import read_permission_lines
    from ksef_sheets.vault import Vault

    office_nip = folder.load_config().office_nip if folder.exists() else None
    vault = Vault.open(folder, None, create=False)
    rows = asyncio.run(
        read_permission_lines(
            [nip], base_url=base_url, credential_for_client=vault.credential_for_client, office_nip=office_nip
        )
    )
    return [str(r) for r in rows][:6]


def _leaver(folder: OfficeFolder, base_url: str, nips: list[str]) -> list[str]:
    """A colleague gets two clients' access passed on (indirect grants), then leaves: all of it revoked."""

    from ksef_sheets.vault import Vault
    from ksef_sheets.workflows import grant_staff, register_staff_member, revoke_staff

    config = folder.load_config()
    vault = Vault.open(folder, None, create=False)
    pesel, name = "82031543213", "Piotr Zieliński"
    register_staff_member(folder, config, name=name, identifier=pesel, role="księgowy (szkolenie)")
    _, granted = grant_staff(folder, config, vault, pesel, nips, base_url=base_url)
    register_staff_member(folder, config, name=name, identifier=pesel, leave=warsaw_today())
    _, revoked, _ = revoke_staff(folder, config, vault, pesel, nips, base_url=base_url)
    done = sum(1 for o in revoked if o.ok)
    return [
        f"Pracownik {name} (arkusz Pracownicy): " + "; ".join(o.message.rstrip(".") for o in granted) + ".",
        f"{name} odchodzi z biura: ksef-sheets staff revoke --person {pesel} — odebrano {done} z "
        f"{count(len(revoked), 'uprawnienia', 'uprawnień', 'uprawnień')} w kontekstach klientów (wpisy: ksef-sheets audit).",
    ]


def _send(folder: OfficeFolder, base_url: str) -> tuple[list[str], list[str]]:
    """Staff type two sales invoices of a scenario-3 client into its entry workbook; the office sends them."""
    from openpyxl import load_workbook

    from ksef_sheets import send as entry
    from ksef_sheets.demo_data import DEMO_CLIENTS
    from ksef_sheets.sheets import OpenpyxlTables
    from ksef_sheets.workflows import prepare_entry_workbooks, send_office

    seller = next(c for c in DEMO_CLIENTS if c.scenario == 3 and c.nip == "8527053079")
    buyer = next(c for c in DEMO_CLIENTS if c.nip == "7735432306")
    prepared = bool(prepare_entry_workbooks(folder, [seller.nip]))
    if prepared:
        path = entry.entry_path(folder, seller.nip)
        # The day KSeF counts in (Warsaw). The consumer's invoice is dated yesterday: send warns that
        # KSeF will treat it as offline and gives its deadline on the business-day calendar.
        today = warsaw_time(datetime.now(UTC)).date()
        rows = [
            {
                entry.H_NUMBER: f"FZP/{today:%Y/%m}/1",
                entry.H_ISSUED: today,
                entry.H_BUYER_NIP: buyer.nip,
                entry.H_BUYER_NAME: buyer.name,
                entry.H_BUYER_ADDRESS: "ul. Kreatywna 5, 00-950 Warszawa",
                entry.H_ITEM: "Warsztaty ekologiczne dla zespołu",
                entry.H_QUANTITY: 1,
                entry.H_PRICE: 2500,
                entry.H_RATE: "23",
            },
            {
                entry.H_NUMBER: f"FZP/{today:%Y/%m}/1",
                entry.H_ISSUED: today,
                entry.H_BUYER_NIP: buyer.nip,
                entry.H_BUYER_NAME: buyer.name,
                entry.H_BUYER_ADDRESS: "ul. Kreatywna 5, 00-950 Warszawa",
                entry.H_ITEM: "Materiały szkoleniowe",
                entry.H_QUANTITY: 20,
                entry.H_PRICE: 35,
                entry.H_RATE: "5",
            },
            {
                entry.H_NUMBER: f"FZP/{today:%Y/%m}/2",
                entry.H_ISSUED: today - timedelta(days=1),
                entry.H_BUYER_NAME: "Anna Kowalska",
                entry.H_BUYER_ADDRESS: "ul. Lipowa 3, 30-001 Kraków",
                entry.H_ITEM: "Bilet na piknik rodzinny",
                entry.H_QUANTITY: 4,
                entry.H_PRICE: 40,
                entry.H_RATE: "8",
            },
        ]
        wb = load_workbook(path)
        OpenpyxlTables(wb, source=path.name).write_table(entry.TABLE, rows)
        with atomic_path(path) as tmp:
            wb.save(tmp)
    report = asyncio.run(send_office(folder, clients=[seller.nip], base_url=base_url))
    lines = report.summary_lines()
    lines.append(f"Arkusz do wpisywania faktur: {entry.entry_path(folder, seller.nip)}")
    problems = ["Wysyłka faktur sprzedaży: " + " ".join(lines)] if report.problems else []
    if prepared:
        offline_lines, offline_problems = _send_offline(folder, base_url, seller.nip)
        lines += offline_lines
        problems += offline_problems
    return lines, problems


def _send_offline(folder: OfficeFolder, base_url: str, nip: str) -> tuple[list[str], list[str]]:
    """One invoice issued outside KSeF (send --offline): KOD I + KOD II, the buyer's PDF, its deadline;
    the next send delivers it with offlineMode true."""
    from openpyxl import load_workbook

    from ksef_sheets import send as entry
    from ksef_sheets.sheets import OpenpyxlTables
    from ksef_sheets.workflows import send_office

    path = entry.entry_path(folder, nip)
    today = warsaw_time(datetime.now(UTC)).date()
    wb = load_workbook(path)
    tables = OpenpyxlTables(wb, source=path.name)
    row = {
        entry.H_NUMBER: f"FZP/{today:%Y/%m}/3",
        entry.H_ISSUED: today,
        entry.H_BUYER_NAME: "Jan Nowicki",
        entry.H_BUYER_ADDRESS: "ul. Polna 8, 31-001 Kraków",
        entry.H_ITEM: "Warsztaty dla dzieci (sprzedaż w plenerze, bez internetu)",
        entry.H_QUANTITY: 2,
        entry.H_PRICE: 60,
        entry.H_RATE: "8",
    }
    tables.write_table(entry.TABLE, [*tables.read_table(entry.TABLE).rows, row])
    with atomic_path(path) as tmp:
        wb.save(tmp)
    issued = asyncio.run(send_office(folder, clients=[nip], base_url=base_url, offline=True))
    lines = ["Faktura offline (ksef-sheets send --offline):"]
    lines += [
        f"  {item.number}: PDF dla nabywcy z KOD I i KOD II — {item.pdf}"
        for c in issued.clients
        for item in c.offline_invoices
    ]
    lines += [line for line in issued.summary_lines() if line.startswith("    ")]
    delivered = asyncio.run(send_office(folder, clients=[nip], base_url=base_url))
    lines += ["Następna wysyłka (KSeF dostępny) wysyła ją z offlineMode: true:"]
    lines += [f"  + {o.number}: {o.ksef_number}" for c in delivered.clients for o in c.sent if o.sent_now]
    problems = issued.problems or delivered.problems
    return lines, (["Faktura offline: " + " ".join(lines)] if problems else [])


def _validate_archive(folder: OfficeFolder) -> list[str]:
    from ksef_sheets.fa3 import validate_invoice
    from ksef_sheets.sync import Archive

    checked = errors = warnings = 0
    with Archive.open(folder) as archive:
        for nip_dir in sorted(folder.archive_dir.glob("*")):
            for invoice in archive.list_invoices(nip_dir.name):
                report = validate_invoice(
                    archive.read_xml(nip_dir.name, invoice.ksef_number), source=invoice.ksef_number
                )
                checked += 1
                errors += bool(report.errors)
                warnings += bool(report.warnings)
    from ksef_sheets.sync import list_backups
    from ksef_sheets.workflows import check_office_archive

    # The index against the files (ksef-sheets archive check) and the copy every fetch leaves.
    copies = list_backups(folder)
    return [
        f"Sprawdzone faktury: {checked} (XSD FA(3) + reguły księgowe); z błędami: {errors}, z ostrzeżeniami: {warnings}",
        *check_office_archive(folder).summary_lines(),
        *([f"Kopia bazy archiwum (ksef-sheets archive backup/restore): {copies[0].path}"] if copies else []),
    ]


def _documents(folder: OfficeFolder, *, pdf: bool | None) -> list[str]:
    from ksef_sheets.documents import PDF_INSTALL_HINT, find_soffice, resolve_kinds
    from ksef_sheets.workflows import generate_client_documents

    report = generate_client_documents(folder, resolve_kinds(["wszystkie"]))
    made = count(len(report.generated), "plik", "pliki", "plików")
    lines = [
        f"Dokumenty i e-maile dla klientów: {made} (aneksy, upoważnienia, pisma, umowy powierzenia, "
        "e-maile; foldery dokumenty/)"
    ]
    lines += [f"  Uwaga: {w}" for w in report.warnings[:2]]
    if pdf is not False and not find_soffice():
        lines.append(f"PDF pominięto: nie ma LibreOffice (soffice). Zainstaluj go — {PDF_INSTALL_HINT}.")
    elif pdf is not False:
        first = next((g for g in report.generated if g.kind == "aneks"), None)
        if first is not None:
            pdf_report = generate_client_documents(
                folder, resolve_kinds(["aneks"]), nips=[first.nip], pdf=True
            )
            lines += [f"PDF (LibreOffice): {p}" for p in pdf_report.pdf]
    if report.problems:
        # A reminder for a client with nothing outstanding is skipped, not an error of the demo.
        lines.append(
            f"Pominięto: {len(report.problems)} (np. przypomnienie dla klienta bez zaległych kroków):"
        )
        lines += [f"  {p.sentence()}" for p in report.problems[:2]]
    return lines


def _export_round_trip(folder: OfficeFolder) -> list[str]:
    from ksef_sheets.sheets import load_clients
    from ksef_sheets.sync import Archive
    from ksef_sheets.workflows import export_client_list

    client = next((c for c in load_clients(folder) if c.scenario == 2), None)
    if client is None:
        return ["Brak klienta w scenariuszu 2."]
    with Archive.open(folder) as archive:
        invoices = archive.list_invoices(client.nip, subject_type="Subject2")
    months = sorted({f"{i.issue_date:%Y-%m}" for i in invoices if i.issue_date})
    if not months:
        return [f"Klient {client.nip} nie ma jeszcze faktur zakupu."]
    month = months[-1]
    result = export_client_list(folder, client.nip, month, client=client)
    lines = [
        f"Zestawienie dla {client.name} za {month}: {count(result.rows, 'faktura', 'faktury', 'faktur')}",
        f"  {result.xlsx}",
        f"  {result.csv}",
    ]
    if result.eml:
        lines.append(f"  e-mail gotowy do wysłania: {result.eml}")
    lines += _client_answers(folder, result.xlsx)
    return lines


def _client_answers(folder: OfficeFolder, export_path: Path) -> list[str]:
    """Answer the export as a client would in Excel (accept all but one), then read the answer back."""
    try:
        from ksef_sheets.workflows import import_decisions
    except ImportError:
        return []
    from openpyxl import load_workbook

    reply = export_path.with_name(export_path.stem + "-odpowiedz-klienta.xlsx")
    wb = load_workbook(export_path)
    answered = 0
    for ws in wb.worksheets:
        for table in ws.tables.values():
            header_row = ws[table.ref.split(":")[0]].row
            headers = {str(c.value): c.column for c in ws[header_row] if c.value}
            if "Decyzja" not in headers:
                continue
            last_row = int("".join(ch for ch in table.ref.split(":")[1] if ch.isdigit()))
            rows = range(header_row + 1, last_row + 1)
            for r in rows:
                reject = r == last_row and len(rows) > 1
                ws.cell(r, headers["Decyzja"]).value = "Odrzucam" if reject else "Akceptuję"
                if reject and "Uwagi" in headers:
                    ws.cell(r, headers["Uwagi"]).value = "Nie zamawialiśmy tego towaru."
                answered += 1
    wb.save(reply)
    report = import_decisions(folder, reply)
    return [
        f"Odpowiedź klienta ({count(answered, 'decyzja', 'decyzje', 'decyzji')}): {reply.name}",
        *report.summary_lines(),
    ]


def _panel(folder: OfficeFolder) -> list[str]:
    from ksef_sheets.excel import build_office_panel

    try:
        path = build_office_panel(folder)
    except UserError as exc:
        return [str(exc)]
    return [f"Panel: {path} (przycisk „Uruchom”; instrukcja w docs/excel.md)"]


def _busiest_month(folder: OfficeFolder) -> tuple[str, int, int] | None:
    """The client and month with the most invoices in the archive (the demo's JPK and PDFs use it)."""
    from collections import Counter

    from ksef_sheets.sync import Archive

    months: Counter[tuple[str, int, int]] = Counter()
    with Archive.open(folder) as archive:
        for nip_dir in sorted(folder.archive_dir.glob("*")):
            for invoice in archive.list_invoices(nip_dir.name):
                if invoice.issue_date:
                    months[(nip_dir.name, invoice.issue_date.year, invoice.issue_date.month)] += 1
    return months.most_common(1)[0][0] if months else None


def _invoice_pdfs(folder: OfficeFolder) -> list[str]:
    from ksef_sheets.sync import Archive
    from ksef_sheets.workflows import render_invoice_pdfs

    busiest = _busiest_month(folder)
    if busiest is None:
        return ["Brak faktur w archiwum."]
    nip = busiest[0]
    with Archive.open(folder) as archive:
        entries = archive.list_invoices(nip)[:3]
        files = [(entry.xml_path, archive.read_entry_xml(entry)) for entry in entries]
    target = folder.client_dir(nip) / "pdf"
    target.mkdir(parents=True, exist_ok=True)
    rendered = render_invoice_pdfs(files, out_dir=target, environment="emulator")
    lines = [
        f"{count(len(rendered), 'wizualizacja', 'wizualizacje', 'wizualizacji')} A4 z kodem QR (KOD I, etykieta: "
        f"numer KSeF) w {target} (ksef-sheets invoice pdf)"
    ]
    if rendered:
        lines.append(f"Przykładowy link KOD I: {rendered[0].kod_i}")
    return lines


def _jpk(folder: OfficeFolder) -> list[str]:
    import dataclasses

    from ksef_sheets.jpk import build_jpk
    from ksef_sheets.workflows import check_jpk, evidence_from_archive, ksef_numbers_csv

    busiest = _busiest_month(folder)
    if busiest is None:
        return ["Brak faktur w archiwum."]
    nip, year, month = busiest
    sales, purchases = evidence_from_archive(folder, nip, year, month)
    target = folder.client_dir(nip) / "jpk"
    target.mkdir(parents=True, exist_ok=True)
    from ksef_sheets.sheets import load_clients

    name = next((c.name for c in load_clients(folder) if c.nip == nip), nip)
    clean = target / f"JPK_V7M-{year:04d}-{month:02d}.xml"
    clean.write_bytes(build_jpk(nip=nip, name=name, year=year, month=month, sales=sales, purchases=purchases))
    (ok,) = check_jpk(folder, [clean])
    lines = [
        f"JPK z ewidencji (jak z programu księgowego) {clean.name}: {count(ok.result.rows, 'wiersz', 'wiersze', 'wierszy')}, "
        f"{count(len(ok.result.findings), 'ustalenie', 'ustalenia', 'ustaleń')} (ksef-sheets jpk check)"
    ]
    rows = sales or purchases
    if rows and rows[0].ksef_number:
        # The same file with one mistyped KSeF number: what the check is for.
        typo = rows[0].ksef_number[:-1] + ("0" if rows[0].ksef_number[-1] != "0" else "1")
        broken = [dataclasses.replace(rows[0], ksef_number=typo), *rows[1:]]
        wrong = target / f"JPK_V7M-{year:04d}-{month:02d}-z-literowka.xml"
        wrong.write_bytes(
            build_jpk(
                nip=nip,
                name=name,
                year=year,
                month=month,
                sales=broken if sales else [],
                purchases=purchases if sales else broken,
            )
        )
        (bad,) = check_jpk(folder, [wrong])
        lines += [f"Plik z literówką w numerze KSeF: {f.message}" for f in bad.result.findings[:2]]
    path, invoices = ksef_numbers_csv(folder, nip, year, month)
    lines.append(
        f"Numery KSeF dla programu księgowego: {path} ({count(invoices, 'faktura', 'faktury', 'faktur')})"
    )
    return lines
