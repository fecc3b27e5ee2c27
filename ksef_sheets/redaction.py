"""Keeping secrets out of logs and messages.

The vault registers every secret it hands out; the logging filter installed by
``install_log_redaction`` replaces any registered secret (and anything shaped like a KSeF token or a
bearer JWT) with ``***`` before a record is written anywhere.
"""

from __future__ import annotations

import logging
import re
import threading

_lock = threading.Lock()
_known_secrets: set[str] = set()

# KSeF tokens look like "20251010-EC-XXXXXXXXXX-XXXXXXXXXX-XX|nip-5210537039|<64 hex>"; JWTs are three
# base64url parts. Both are masked even when nobody registered them.
_PATTERNS = [
    re.compile(r"\b\d{8}-EC-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}\|[^\s\"']+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._-]{16,}"),
]


def register_secret(value: str | bytes | None) -> None:
    """Remember a secret so that it is masked wherever it would be logged."""
    if not value:
        return
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if len(text) >= 6:
        with _lock:
            _known_secrets.add(text)


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_known_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``logger`` (default: root) and to new records via the root."""
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    target.addFilter(flt)
    for handler in target.handlers:
        handler.addFilter(flt)
