"""Typed KSeF errors with Polish messages a member of staff understands.

Every error carries the HTTP status, the KSeF exception code (``exceptionCode`` of the legacy body,
``errors[].code`` of problem-details, or the status code of an asynchronous operation) and the
server's own description, already passed through ``redact``. Messages are built from identifiers
(NIP, reference numbers, KSeF numbers) only — never from a token, key or password.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.redaction import redact

# Names of permissions as the office knows them from the KSeF screens.
PERMISSION_NAMES_PL = {
    "InvoiceRead": "InvoiceRead (przeglądanie faktur)",
    "InvoiceWrite": "InvoiceWrite (wystawianie faktur)",
    "CredentialsRead": "CredentialsRead (przeglądanie uprawnień)",
    "CredentialsManage": "CredentialsManage (zarządzanie uprawnieniami)",
    "Introspection": "Introspection (historia sesji)",
}

# What KSeF's exception codes mean, in words for the office (PROTOCOL §17).
_CODE_MESSAGES_PL: dict[int, str] = {
    21111: "wyzwanie uwierzytelniające jest nieprawidłowe lub wygasło",
    21115: "certyfikat jest nieprawidłowy",
    21117: "identyfikator podmiotu z certyfikatu nie pasuje do typu kontekstu",
    21401: "żądanie uwierzytelnienia nie jest zgodne ze schematem XSD",
    21405: "KSeF odrzucił dane wejściowe (błąd walidacji)",
    9101: "podpisany dokument jest nieprawidłowy",
    9102: "dokument nie ma podpisu",
    9103: "dokument ma zbyt wiele podpisów",
    9105: "podpis XAdES jest nieprawidłowy",
    21301: "KSeF odmówił wydania tokenów dostępowych (tokeny już odebrane, token KSeF unieważniony albo status na to nie pozwala)",
    21304: "KSeF nie zna tej operacji uwierzytelnienia",
    21308: "poświadczenia należą do osoby zmarłej",
    21470: "KSeF nie zna wskazanego klucza publicznego",
    21155: "w sesji wysłano już maksymalną liczbę faktur",
    21164: "faktura o tym numerze KSeF nie istnieje",
    21165: "faktura jest przetwarzana i nie jest jeszcze dostępna — spróbuj później",
    21173: "sesja o tym numerze nie istnieje",
    21175: "wynik eksportu nie istnieje",
    21178: "UPO nie zostało znalezione",
    21180: "stan sesji nie pozwala na tę operację",
    21181: "żądanie eksportu jest nieprawidłowe dla tego kontekstu",
    21182: "w tym kontekście trwa już zbyt wiele eksportów (limit 10 jednocześnie)",
    21183: "data początkowa jest późniejsza niż data kompletności danych (HWM)",
    21402: "rozmiar faktury nie zgadza się z deklarowanym",
    21403: "skrót faktury nie zgadza się z deklarowanym",
    21418: "token kontynuacji jest nieprawidłowy",
}

# Asynchronous authentication status codes (PROTOCOL §4.4).
_AUTH_STATUS_PL: dict[int, str] = {
    415: "uwierzytelniający podmiot nie ma żadnych uprawnień w tym kontekście",
    425: "uwierzytelnienie zostało unieważnione",
    450: "token KSeF jest nieprawidłowy, nieaktywny lub unieważniony",
    460: "certyfikat jest nieprawidłowy, unieważniony, zawieszony albo jego łańcuch nie został zweryfikowany",
    470: "poświadczenia należą do osoby zmarłej",
    480: "kontekst jest zablokowany przez KSeF (podejrzenie incydentu bezpieczeństwa)",
    500: "nieznany błąd po stronie KSeF",
    550: "operacja została anulowana przez system — spróbuj ponownie",
}


class KsefError(UserError):
    """Anything KSeF refused or could not do; ``message`` is Polish and secret-free."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        description: str | None = None,
        details: Iterable[str] = (),
        context_nip: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(redact(message), hint=redact(hint) if hint else None)
        self.status = status
        self.code = code
        self.description = redact(description) if description else None
        self.details = [redact(str(d)) for d in details]
        self.context_nip = context_nip


class KsefAuthenticationError(KsefError):
    """Login failed (bad token/certificate, status ≥ 400) or the bearer token was refused (401)."""


class KsefPermissionError(KsefError):
    """The office lacks a permission in the client's context (403, auth status 415)."""

    def __init__(self, message: str, *, missing: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.missing = list(missing)


class KsefRateLimitError(KsefError):
    """429 after the retries the client allows itself."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class KsefUnavailableError(KsefError):
    """KSeF did not answer (timeouts, dropped connections, 5xx) even after retrying."""


class KsefNotFoundError(KsefError):
    """The invoice / session / export does not exist (21164, 21173, 21175, 21178, 404, 410)."""


class KsefNotReadyError(KsefError):
    """The resource exists but is not available yet (21165)."""


class KsefBadRequestError(KsefError):
    """KSeF rejected the request (400) for a reason other than the ones above."""


class KsefPackageError(KsefError):
    """An export package, invoice or UPO failed an integrity or safety check (hash, zip entry, size)."""


class KsefPublicKeyError(KsefError):
    """21470: the public key id is unknown — the client refreshes keys and retries once."""


def code_message(code: int | None) -> str | None:
    return _CODE_MESSAGES_PL.get(code) if code is not None else None


def auth_status_message(code: int) -> str:
    return _AUTH_STATUS_PL.get(code, f"KSeF zwrócił status {code}")


def who(context_nip: str | None) -> str:
    return f"w kontekście klienta {context_nip}" if context_nip else "w KSeF"


def missing_permissions_message(context_nip: str | None, required: list[str]) -> str:
    # KSeF lists every alternative (e.g. EnforcementOperations for bailiffs); an office needs only
    # the ones it can be granted.
    relevant = [p for p in required if p in PERMISSION_NAMES_PL] or required
    names = " lub ".join(relevant) if relevant else "wymaganego uprawnienia"
    if context_nip:
        return f"Klient {context_nip} nie nadał biuru uprawnienia {names}."
    return f"Biuro nie ma w KSeF uprawnienia {names}."


def parse_error_body(body: Any) -> tuple[int | None, str | None, list[str]]:
    """Extract (code, description, details) from any of KSeF's error shapes (PROTOCOL §17)."""
    if not isinstance(body, dict):
        return None, None, []
    exception = body.get("exception")
    if isinstance(exception, dict):
        items = exception.get("exceptionDetailList") or []
        if items and isinstance(items[0], dict):
            first = items[0]
            return (
                _as_int(first.get("exceptionCode")),
                first.get("exceptionDescription"),
                [str(d) for d in first.get("details") or []],
            )
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return (
            _as_int(first.get("code")),
            first.get("description"),
            [str(d) for d in first.get("details") or []],
        )
    status = body.get("status")
    if isinstance(status, dict):  # legacy 429 body
        return (
            _as_int(status.get("code")),
            status.get("description"),
            [str(d) for d in status.get("details") or []],
        )
    detail = body.get("detail")
    return None, str(detail) if detail else None, []


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
