"""Reading KSeF's answers: JSON bodies into models, errors into ``KsefError``s, headers, links.

Shared by the connection and the session calls; nothing here sends a request.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.models import InvoiceQueryFilters
from ksef_sheets.redaction import redact, register_secret

M = TypeVar("M", bound=BaseModel)


def error_for_response(response: httpx.Response, operation: str, context_nip: str | None) -> E.KsefError:
    """The ``KsefError`` subclass and Polish message for a KSeF answer ≥ 400."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    code, description, details = E.parse_error_body(body)
    where = f"{op_label(operation)}{E.who(context_nip)}"
    kwargs: dict[str, Any] = {
        "status": status,
        "code": code,
        "description": description,
        "details": details,
        "context_nip": context_nip,
    }
    reason = E.code_message(code) or (redact(description) if description else f"HTTP {status}")
    if status == 400:
        if code == 21470:
            return E.KsefPublicKeyError(f"KSeF nie zna użytego klucza publicznego ({where}).", **kwargs)
        if code in (21164, 21173, 21175, 21178, 21304):
            return E.KsefNotFoundError(f"KSeF: {reason} ({where}).", **kwargs)
        if code == 21165:
            return E.KsefNotReadyError(f"KSeF: {reason} ({where}).", **kwargs)
        extra = f" Szczegóły: {redact('; '.join(details))}" if details else ""
        return E.KsefBadRequestError(
            f"KSeF odrzucił żądanie ({where}): {reason} (kod {code}).{extra}", **kwargs
        )
    if status == 401:
        return E.KsefAuthenticationError(
            f"KSeF nie przyjął tokenu dostępowego ({where}) — sesja wygasła albo została unieważniona; zaloguj się ponownie.",
            **kwargs,
        )
    if status == 403:
        reason_code = body.get("reasonCode") if isinstance(body, dict) else None
        security = body.get("security") if isinstance(body, dict) else None
        security = security if isinstance(security, dict) else {}
        if reason_code == "missing-permissions":
            required = [str(p) for p in security.get("requiredAnyOfPermissions") or []]
            return E.KsefPermissionError(
                E.missing_permissions_message(context_nip, required), missing=required, **kwargs
            )
        if reason_code == "ip-not-allowed":
            return E.KsefPermissionError(
                f"KSeF nie przyjmuje żądań z adresu IP {security.get('clientIp', '?')} ({where}) — sprawdź politykę adresów IP.",
                **kwargs,
            )
        return E.KsefPermissionError(
            f"KSeF odmówił dostępu ({where}): {redact(description or str(reason_code or 'brak uprawnień'))}.",
            **kwargs,
        )
    if status in (404, 410):
        return E.KsefNotFoundError(f"KSeF: zasób nie istnieje lub wygasł ({where}).", **kwargs)
    if status == 429:
        return E.KsefRateLimitError(
            f"KSeF wciąż odrzuca zapytania z powodu limitu ({where}). Spróbuj ponownie później.",
            retry_after=retry_after(response.headers.get("Retry-After")),
            **kwargs,
        )
    if status >= 500:
        return E.KsefUnavailableError(
            f"KSeF zgłosił błąd serwera {status} ({where}). Spróbuj ponownie za kilka minut.", **kwargs
        )
    return E.KsefError(f"KSeF zwrócił nieoczekiwany status {status} ({where}).", **kwargs)


def filters_body(filters: InvoiceQueryFilters | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(filters, InvoiceQueryFilters):
        return filters.to_api()
    return dict(filters)


def aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (aware(when) - dt.datetime.now(dt.UTC)).total_seconds())


def op_label(operation: str) -> str:
    return f"{operation} " if operation else ""


def bad_part_hash(ordinal: int, label: str, context_nip: str | None) -> E.KsefPackageError:
    return E.KsefPackageError(
        f"Część {ordinal} paczki {label} ma inny skrót niż podany przez KSeF — odrzucono.",
        context_nip=context_nip,
    )


def register_storage_link(url: str) -> None:
    """A storage link carries its signature (SAS) in the query: masked wherever it would be logged."""
    query = urlsplit(url).query
    register_secret(query)
    for name, value in parse_qsl(query):
        if name.lower() == "sig":  # also as a server might echo it back, decoded
            register_secret(value)


def loggable(path: str) -> str:
    # Storage links carry signatures in the query string: never log them.
    return path.split("?")[0]


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise E.KsefError(
            f"KSeF zwrócił nieczytelną odpowiedź ({what}).", status=response.status_code
        ) from None
    if not isinstance(data, dict):
        raise E.KsefError(f"KSeF zwrócił nieoczekiwaną odpowiedź ({what}).", status=response.status_code)
    return data


def parse_model(response: httpx.Response, model: type[M], what: str) -> M:
    try:
        return model.model_validate(response.json())
    except (ValueError, ValidationError):
        raise E.KsefError(
            f"KSeF zwrócił odpowiedź niezgodną ze specyfikacją ({what}).", status=response.status_code
        ) from None


def parse_list(response: httpx.Response, model: type[M], what: str) -> list[M]:
    try:
        data = response.json()
        if not isinstance(data, list):
            raise ValueError("not a list")
        return [model.model_validate(item) for item in data]
    except (ValueError, ValidationError):
        raise E.KsefError(
            f"KSeF zwrócił odpowiedź niezgodną ze specyfikacją ({what}).", status=response.status_code
        ) from None
