"""Reading calls of a session: invoice metadata (paged, past ``isTruncated``), one invoice's XML,
the permissions held in the context and the effective rate limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal

from ksef_sheets.ksef import errors as E
from ksef_sheets.ksef.connection import MAX_DOCUMENT_BYTES
from ksef_sheets.ksef.crypto import sha256_b64
from ksef_sheets.ksef.limits import LimitValues, parse_limits
from ksef_sheets.ksef.models import (
    InvoiceMetadata,
    InvoiceQueryFilters,
    Permission,
    PermissionsPage,
    QueryInvoicesMetadataResponse,
)
from ksef_sheets.ksef.responses import aware, filters_body, json_object, parse_model
from ksef_sheets.ksef.session_base import SessionBase


class QueryCalls(SessionBase):
    """``KsefSession``'s queries (PROTOCOL §13–14, §11, §16)."""

    # --- invoices --------------------------------------------------------------------------------

    async def query_metadata(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        page_offset: int = 0,
        page_size: int = 250,
        *,
        sort_order: Literal["Asc", "Desc"] = "Asc",
    ) -> QueryInvoicesMetadataResponse:
        """One page of ``POST /invoices/query/metadata`` (page size 10–250)."""
        response = await self.request(
            "POST",
            "/invoices/query/metadata",
            params={"pageOffset": page_offset, "pageSize": page_size, "sortOrder": sort_order},
            json_body=filters_body(filters),
            idempotent=True,
            operation="wyszukiwanie faktur",
        )
        return parse_model(response, QueryInvoicesMetadataResponse, "lista faktur")

    async def iter_metadata(
        self,
        filters: InvoiceQueryFilters | Mapping[str, Any],
        *,
        page_size: int = 250,
        sort_order: Literal["Asc", "Desc"] = "Asc",
    ) -> AsyncIterator[InvoiceMetadata]:
        """Every matching invoice once: pages via ``pageOffset``; after 10,000 records
        (``isTruncated``) the date range restarts from the last record's date (PROTOCOL §14)."""
        current = (
            filters
            if isinstance(filters, InvoiceQueryFilters)
            else InvoiceQueryFilters.model_validate(dict(filters))
        )
        seen: set[str] = set()
        offset = 0
        while True:
            page = await self.query_metadata(current, offset, page_size, sort_order=sort_order)
            for item in page.invoices:
                if item.ksef_number not in seen:
                    seen.add(item.ksef_number)
                    yield item
            if not page.has_more:
                return
            if page.is_truncated and page.invoices:
                last = _date_of(page.invoices[-1], current.date_range.date_type)
                range_ = current.date_range
                if sort_order == "Asc":
                    if last <= aware(range_.from_):
                        raise E.KsefError(
                            f"Zbyt wiele faktur z tą samą datą w kontekście klienta {self.context_nip} — zawęź filtr.",
                            context_nip=self.context_nip,
                        )
                    range_ = range_.model_copy(update={"from_": last})
                else:
                    range_ = range_.model_copy(update={"to": last})
                current = current.model_copy(update={"date_range": range_})
                offset = 0
            else:
                offset += 1

    async def download_invoice(self, ksef_number: str) -> bytes:
        """The original invoice XML; its hash is checked against ``x-ms-meta-hash``."""
        response = await self.request(
            "GET",
            f"/invoices/ksef/{ksef_number}",
            accept="application/xml",
            max_bytes=MAX_DOCUMENT_BYTES,
            operation=f"pobranie faktury {ksef_number}",
        )
        data = response.content
        expected = response.headers.get("x-ms-meta-hash")
        if expected and expected != sha256_b64(data):
            raise E.KsefPackageError(
                f"Faktura {ksef_number} pobrana z KSeF ma inny skrót niż podany przez KSeF — plik odrzucono.",
                context_nip=self.context_nip,
            )
        return data

    # --- permissions and limits ------------------------------------------------------------------

    async def query_permissions(
        self,
        kind: Literal["personal", "persons", "entities"] = "personal",
        body: Mapping[str, Any] | None = None,
        *,
        page_size: int = 100,
    ) -> list[Permission]:
        """All pages of ``POST /permissions/query/{kind}/grants``.

        ``personal`` = what the logged-in subject (the office) holds in this context; ``persons``
        needs CredentialsRead/Manage and defaults to ``queryType=PermissionsInCurrentContext``.
        """
        payload = dict(body or {})
        if kind == "persons":
            payload.setdefault("queryType", "PermissionsInCurrentContext")
        result: list[Permission] = []
        offset = 0
        while True:
            response = await self.request(
                "POST",
                f"/permissions/query/{kind}/grants",
                params={"pageOffset": offset, "pageSize": page_size},
                json_body=payload,
                idempotent=True,
                operation="odczyt uprawnień",
            )
            page = parse_model(response, PermissionsPage, "lista uprawnień")
            result.extend(page.permissions)
            if not page.has_more:
                return result
            offset += 1

    async def rate_limits(self) -> dict[str, LimitValues]:
        """Effective limits (``GET /rate-limits``); the client's limiter adopts them."""
        response = await self.request("GET", "/rate-limits", operation="odczyt limitów")
        limits = parse_limits(json_object(response, "limity"))
        self.client.limiter.update(limits)
        return limits


def _date_of(item: InvoiceMetadata, date_type: str) -> dt.datetime:
    if date_type == "Issue":
        return dt.datetime.combine(item.issue_date, dt.time(), tzinfo=dt.UTC)
    if date_type == "Invoicing":
        return aware(item.invoicing_date)
    return aware(item.permanent_storage_date)
