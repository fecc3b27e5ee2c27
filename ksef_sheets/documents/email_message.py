"""Ready-to-send e-mails (.eml): UTF-8, Polish subject, the document attached.

The file opens in Outlook / Thunderbird as a draft (``X-Unsent: 1``) so a person reads it, adds
nothing and presses Send. Nothing is sent from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ksef_sheets.errors import UserError

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

MIME_TYPES = {
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
    ".csv": ("text", "csv"),
}


def email_problem(address: str) -> str | None:
    """A Polish sentence when an e-mail address cannot be used, else None."""
    if not address or not address.strip():
        return "brak adresu e-mail"
    if not _EMAIL.match(address.strip()):
        return f"adres e-mail „{address.strip()}” jest niepoprawny"
    return None


@dataclass(frozen=True)
class EmailText:
    subject: str
    body: str


def split_subject(rendered: str, template_name: str) -> EmailText:
    """An e-mail template starts with ``Temat: ...``, then an empty line, then the body."""
    first, _, rest = rendered.lstrip("\ufeff").partition("\n")
    if not first.startswith("Temat:"):
        raise UserError(f"Szablon e-maila {template_name} musi zaczynać się od wiersza „Temat: …”.")
    subject = " ".join(first[len("Temat:") :].split())
    body = re.sub(r"\n{3,}", "\n\n", rest.strip("\n")) + "\n"
    return EmailText(subject, body)


def _address(display: str, addr: str) -> Address:
    local, _, domain = addr.strip().partition("@")
    # Display names must not carry line breaks (header injection) or stray quotes.
    clean_display = " ".join(display.replace('"', "").split())
    return Address(display_name=clean_display, username=local, domain=domain)


def build_eml(
    text: EmailText,
    *,
    to_name: str,
    to_email: str,
    from_name: str,
    from_email: str | None,
    attachments: Sequence[Path],
    now: datetime | None = None,
) -> bytes:
    """The .eml bytes for one e-mail with its attachments."""
    message = EmailMessage(policy=policy.default)
    message["Subject"] = text.subject
    message["To"] = _address(to_name, to_email)
    if from_email and not email_problem(from_email):
        message["From"] = _address(from_name, from_email)
        domain = from_email.partition("@")[2]
    else:
        domain = "ksef-sheets.local"
    message["Date"] = format_datetime((now or datetime.now()).astimezone())
    message["Message-ID"] = make_msgid(domain=domain)
    message["X-Unsent"] = "1"
    message.set_content(text.body, charset="utf-8", cte="quoted-printable")
    for path in attachments:
        maintype, subtype = MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message.as_bytes(policy=policy.SMTP)
