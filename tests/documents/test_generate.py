"""Documents for many clients: per-client problems, e-mails that parse back, office overrides."""

from __future__ import annotations

import email
from datetime import date
from email import policy
from pathlib import Path

import docx
import pytest

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.documents import KINDS, generate_documents, resolve_kinds
from ksef_sheets.documents.render import OFFICE_TEMPLATES_DIR
from ksef_sheets.errors import UserError
from ksef_sheets.office.model import ANNEX_SIGNED, AUTH_SIGNED, Client
from tests.documents.conftest import make_client

TODAY = date(2026, 3, 2)


def test_all_documents_for_every_scenario(office: OfficeFolder, clients: list[Client]) -> None:
    report = generate_documents(office, resolve_kinds(["wszystkie"]), clients=clients, today=TODAY)
    assert report.problems == []
    assert report.warnings == []
    for client in clients:
        folder = office.documents_dir(client.nip)
        names = sorted(p.name for p in folder.iterdir())
        stems = ["aneks", "upowaznienie", "pismo"]
        expected = [f"{s}-KSeF-{client.nip}.docx" for s in stems] + [f"umowa-powierzenia-{client.nip}.docx"]
        for kind in KINDS.values():
            if kind.is_email:
                expected += [f"{kind.file_stem}-{client.nip}.eml", f"{kind.file_stem}-{client.nip}.txt"]
        assert names == sorted(expected)  # and no temporary files left behind
    # Each document exactly once per client even though e-mails attach them too.
    docs = [g for g in report.generated if g.path.suffix != ".eml"]
    assert len(docs) == 12


def test_missing_data_is_reported_per_client_and_the_rest_generated(office: OfficeFolder) -> None:
    clients = [
        make_client(2),
        make_client(None),  # no scenario
        make_client(3, email=""),  # no e-mail
        make_client(1, nip="6762966431", address="", email="zły adres"),
    ]
    report = generate_documents(
        office, resolve_kinds(["aneks", "email-aneks", "pismo"]), clients=clients, today=TODAY
    )
    problems = {(p.nip, p.kind): p.sentence() for p in report.problems}
    assert problems == {
        ("7798676685", "aneks"): "Budmax Sp. z o.o. (NIP 7798676685) — aneks do umowy: w rejestrze nie "
        "wybrano scenariusza współpracy (1, 2 lub 3).",
        ("7798676685", "email-aneks"): "Budmax Sp. z o.o. (NIP 7798676685) — e-mail z aneksem do podpisu: w "
        "rejestrze nie wybrano scenariusza współpracy (1, 2 lub 3).",
        ("8527053079", "email-aneks"): "Fundacja Zielone Podwórko (NIP 8527053079) — e-mail z aneksem do "
        "podpisu: brak adresu e-mail w rejestrze.",
        ("6762966431", "aneks"): "Hurtownia Spożywcza Smak Sp. z o.o. (NIP 6762966431) — aneks do umowy: w "
        "rejestrze brakuje adresu klienta.",
        ("6762966431", "email-aneks"): "Hurtownia Spożywcza Smak Sp. z o.o. (NIP 6762966431) — e-mail z "
        "aneksem do podpisu: w rejestrze brakuje adresu klienta.",
        ("6762966431", "pismo"): "Hurtownia Spożywcza Smak Sp. z o.o. (NIP 6762966431) — pismo "
        "informacyjne: w rejestrze brakuje adresu klienta.",
    }
    assert not report.ok
    made = {(g.nip, g.kind) for g in report.generated}
    assert made == {
        ("5210537039", "aneks"),
        ("5210537039", "umowa-powierzenia"),  # the annex e-mail carries the agreement too
        ("5210537039", "email-aneks"),
        ("5210537039", "pismo"),
        ("7798676685", "pismo"),  # a letter needs no scenario
        ("8527053079", "aneks"),
        ("8527053079", "pismo"),
    }
    assert not office.documents_dir("6762966431").exists()


def test_bad_email_address_is_named(office: OfficeFolder) -> None:
    report = generate_documents(
        office, resolve_kinds(["email-informacja"]), clients=[make_client(2, email="jan@@x")], today=TODAY
    )
    assert [p.message for p in report.problems] == ["adres e-mail „jan@@x” jest niepoprawny w rejestrze"]


def test_unknown_client_and_kind(office: OfficeFolder) -> None:
    report = generate_documents(
        office, resolve_kinds(["pismo"]), clients=[make_client(2)], nips=["5838213566"], today=TODAY
    )
    assert [p.sentence() for p in report.problems] == [
        "NIP 5838213566 — klient: nie ma takiego klienta w rejestrze."
    ]
    with pytest.raises(UserError, match="Nieznany rodzaj dokumentu „umowa”"):
        resolve_kinds(["umowa"])
    with pytest.raises(UserError, match="--client: NIP „123” musi mieć 10 cyfr"):
        generate_documents(office, resolve_kinds(["pismo"]), clients=[make_client(2)], nips=["123"])
    with pytest.raises(UserError, match=r"Rejestr klientów w .* jest pusty"):
        generate_documents(office, resolve_kinds(["pismo"]), clients=[])


def test_email_parses_back_with_its_attachment(office: OfficeFolder) -> None:
    client = make_client(3, name="Fundacja „Zielone” Podwórko", email="zarzad@zielone.example.pl")
    report = generate_documents(office, resolve_kinds(["emaile"]), clients=[client], today=TODAY)
    assert report.problems == []
    eml = office.documents_dir(client.nip) / f"email-aneks-KSeF-{client.nip}.eml"
    raw = eml.read_bytes()
    assert raw.isascii()  # transport-safe: the Polish text is encoded, UTF-8 inside
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Aneks do umowy — współpraca w KSeF (model 3) do podpisu"
    assert message["To"].addresses[0].addr_spec == "zarzad@zielone.example.pl"
    assert message["To"].addresses[0].display_name == "Fundacja „Zielone” Podwórko"
    assert message["From"].addresses[0].addr_spec == "biuro@bilans.example.pl"
    assert message["X-Unsent"] == "1"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    assert "modelu nr 3: Biuro wystawia i pobiera" in body.get_content()
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == [
        f"aneks-KSeF-{client.nip}.docx",
        f"umowa-powierzenia-{client.nip}.docx",
    ]
    payload = attachments[0].get_content()
    assert payload == (office.documents_dir(client.nip) / f"aneks-KSeF-{client.nip}.docx").read_bytes()
    # The plain-text copy for pasting into a web mail.
    txt = eml.with_suffix(".txt").read_text(encoding="utf-8")
    assert txt.startswith("Do: zarzad@zielone.example.pl\nTemat: Aneks do umowy")
    # Permission instructions: scenario 3 asks for both permissions.
    perms = email.message_from_bytes(
        (office.documents_dir(client.nip) / f"email-uprawnienia-KSeF-{client.nip}.eml").read_bytes(),
        policy=policy.default,
    )
    text = perms.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    # Plain Polish permission names for the client; API codes only where staff read them.
    assert "- przeglądanie faktur: TAK" in text
    assert "- wystawianie faktur: TAK" in text
    assert "wystawiać i wysyłać do KSeF Państwa faktury sprzedaży" in text
    assert "zarządzanie uprawnieniami" not in text
    for code in ("InvoiceRead", "InvoiceWrite", "canDelegate", "CredentialsManage"):
        assert code not in text


def test_reminder_lists_outstanding_steps_and_attaches_what_is_pending(office: OfficeFolder) -> None:
    pending = make_client(2, perm_invoice_read=True, perm_can_delegate=False)
    signed = make_client(
        3,
        annex_status=ANNEX_SIGNED,
        authorisation_status=AUTH_SIGNED,
        perm_invoice_read=True,
        perm_can_delegate=True,
    )
    done = make_client(
        1,
        nip="6762966431",
        annex_status=ANNEX_SIGNED,
        authorisation_status=AUTH_SIGNED,
        perm_invoice_read=True,
    )
    report = generate_documents(
        office, resolve_kinds(["email-przypomnienie"]), clients=[pending, signed, done], today=TODAY
    )
    by_nip = {g.nip: g for g in report.generated if g.kind == "email-przypomnienie"}
    # Unsigned annex and missing permissions: both the annex and the instruction go with it.
    assert [a.name for a in by_nip[pending.nip].attachments] == [
        f"aneks-KSeF-{pending.nip}.docx",
        f"upowaznienie-KSeF-{pending.nip}.docx",
    ]
    text = by_nip[pending.nip].path.with_suffix(".txt").read_text(encoding="utf-8")
    assert "- nadanie w KSeF uprawnień dla NIP biura: „możliwość dalszego przekazywania uprawnień”" in text
    assert "- podpisanie i odesłanie aneksu do umowy" in text
    assert "W załącznikach przesyłamy ponownie:\n- aneks do umowy (do podpisu)\n" in text
    assert "- upoważnienie z instrukcją nadania uprawnień w KSeF\n" in text
    assert "canDelegate" not in text and "instrukcja w załączniku" not in text
    # Only permissions missing: the instruction alone, and the e-mail says exactly that.
    assert [a.name for a in by_nip[signed.nip].attachments] == [f"upowaznienie-KSeF-{signed.nip}.docx"]
    signed_text = by_nip[signed.nip].path.with_suffix(".txt").read_text(encoding="utf-8")
    assert "„wystawianie faktur”" in signed_text and "InvoiceWrite" not in signed_text
    assert (
        "W załączniku przesyłamy ponownie: upoważnienie z instrukcją nadania uprawnień w KSeF." in signed_text
    )
    assert "aneks do umowy (do podpisu)" not in signed_text
    assert report.problems == []
    assert [(p.nip, p.message) for p in report.skipped] == [
        (done.nip, "klient nie ma zaległych kroków, nie ma o czym przypominać")
    ]


def test_missing_office_data_leaves_blanks_and_warns(tmp_path: Path) -> None:
    folder = OfficeFolder(tmp_path / "b")
    folder.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro X"))
    report = generate_documents(folder, resolve_kinds(["aneks"]), clients=[make_client(2)], today=TODAY)
    assert report.problems == []
    assert len(report.warnings) == 1 and "office_address" in report.warnings[0]
    text = "\n".join(p.text for p in docx.Document(str(report.generated[0].path)).paragraphs)
    assert "polisa nr ……………………… wystawiona" in text


def test_bad_office_setting_is_a_clear_error(tmp_path: Path) -> None:
    folder = OfficeFolder(tmp_path / "b")
    folder.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro X", verification_days="pięć"))
    with pytest.raises(UserError, match="pole „verification_days”"):
        generate_documents(folder, resolve_kinds(["aneks"]), clients=[make_client(2)])


def test_office_copy_of_a_template_wins(office: OfficeFolder) -> None:
    own = office.root / OFFICE_TEMPLATES_DIR
    own.mkdir()
    (own / "email-aneks.txt").write_text(
        "Temat: Nasz aneks dla {{ klient.nazwa }}\n\nWłasny tekst biura, model {{ scenariusz }}.\n",
        encoding="utf-8",
    )
    document = docx.Document()
    document.add_paragraph("Własny aneks biura dla {{ klient.nazwa }} ({{ klient.nip }})")
    document.save(str(own / "aneks.docx"))
    client = make_client(2)
    generate_documents(office, resolve_kinds(["email-aneks"]), clients=[client], today=TODAY)
    folder = office.documents_dir(client.nip)
    rendered = docx.Document(str(folder / f"aneks-KSeF-{client.nip}.docx"))
    assert rendered.paragraphs[0].text == "Własny aneks biura dla Nowak IT Consulting Jan Nowak (5210537039)"
    txt = (folder / f"email-aneks-KSeF-{client.nip}.txt").read_text(encoding="utf-8")
    assert "Temat: Nasz aneks dla Nowak IT Consulting Jan Nowak" in txt
    assert "Własny tekst biura, model 2." in txt


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Ala {{ klient.nazw }}", "używa pola, którego program nie zna"),
        ("Ala {% if %}", "ma błędny znacznik"),
        ("{{ klient.__class__.__mro__ }}", "niedozwolone wyrażenie|nie zna"),
    ],
)
def test_broken_office_template_is_named(office: OfficeFolder, content: str, message: str) -> None:
    own = office.root / OFFICE_TEMPLATES_DIR
    own.mkdir()
    document = docx.Document()
    document.add_paragraph(content)
    document.save(str(own / "pismo.docx"))
    with pytest.raises(UserError, match=message) as info:
        generate_documents(office, resolve_kinds(["pismo"]), clients=[make_client(2)], today=TODAY)
    assert str(own / "pismo.docx") in str(info.value)
    assert not office.documents_dir("5210537039").exists() or not any(
        office.documents_dir("5210537039").iterdir()
    )


def test_not_a_docx_template(office: OfficeFolder) -> None:
    own = office.root / OFFICE_TEMPLATES_DIR
    own.mkdir()
    (own / "pismo.docx").write_bytes(b"not a zip")
    with pytest.raises(UserError, match="nie jest poprawnym plikiem Word"):
        generate_documents(office, resolve_kinds(["pismo"]), clients=[make_client(2)], today=TODAY)


def test_email_template_without_subject(office: OfficeFolder) -> None:
    own = office.root / OFFICE_TEMPLATES_DIR
    own.mkdir()
    (own / "email-ankieta.txt").write_text("Dzień dobry\n", encoding="utf-8")
    with pytest.raises(UserError, match="musi zaczynać się od wiersza „Temat: …”"):
        generate_documents(office, resolve_kinds(["email-ankieta"]), clients=[make_client(2)], today=TODAY)


def test_document_open_in_word_is_reported_for_that_client(office: OfficeFolder) -> None:
    a, b = make_client(2), make_client(3)
    target = office.documents_dir(a.nip) / f"pismo-KSeF-{a.nip}.docx"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old")
    (target.parent / f"~${target.name}").write_bytes(b"lock")
    report = generate_documents(office, resolve_kinds(["pismo"]), clients=[a, b], today=TODAY)
    assert [p.nip for p in report.problems] == [a.nip]
    assert "jest otwarty" in report.problems[0].message
    assert target.read_bytes() == b"old"
    assert [g.nip for g in report.generated] == [b.nip]
