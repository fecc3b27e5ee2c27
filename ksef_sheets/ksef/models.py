"""Pydantic models of the KSeF API 2.0 bodies the office uses (checked against ``openapi.json``).

Only what the client reads is modelled; unknown fields are ignored (the spec asks clients to, see
PROTOCOL §2). Field names are snake_case in Python and camelCase on the wire.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

SubjectType = Literal["Subject1", "Subject2", "Subject3", "SubjectAuthorized"]
DateType = Literal["Issue", "Invoicing", "PermanentStorage"]


class KsefModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_api(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


class TokenInfo(KsefModel):
    token: str = Field(repr=False)
    valid_until: dt.datetime


class StatusInfo(KsefModel):
    code: int
    description: str = ""
    details: list[str] | None = None


class PublicKeyCertificate(KsefModel):
    certificate: str = Field(repr=False)
    certificate_id: str | None = None
    public_key_id: str | None = None
    valid_from: dt.datetime
    valid_to: dt.datetime
    usage: list[str]


class AuthenticationChallengeResponse(KsefModel):
    challenge: str
    timestamp: dt.datetime
    timestamp_ms: int
    client_ip: str | None = None


class AuthenticationInitResponse(KsefModel):
    reference_number: str
    authentication_token: TokenInfo


class AuthenticationOperationStatusResponse(KsefModel):
    start_date: dt.datetime | None = None
    status: StatusInfo
    is_token_redeemed: bool | None = None
    refresh_token_valid_until: dt.datetime | None = None


class AuthenticationTokensResponse(KsefModel):
    access_token: TokenInfo
    refresh_token: TokenInfo


class AuthenticationTokenRefreshResponse(KsefModel):
    access_token: TokenInfo


# --- invoice queries -------------------------------------------------------------------------------


class DateRange(KsefModel):
    date_type: DateType
    from_: dt.datetime = Field(alias="from")
    to: dt.datetime | None = None
    restrict_to_permanent_storage_hwm_date: bool | None = None


class BuyerIdentifierFilter(KsefModel):
    type: Literal["Nip", "VatUe", "Other", "None"]
    value: str | None = None


class AmountFilter(KsefModel):
    type: Literal["Brutto", "Netto", "Vat"]
    from_: Decimal | None = Field(default=None, alias="from")
    to: Decimal | None = None


class InvoiceQueryFilters(KsefModel):
    """``InvoiceQueryFilters``: what to list or export (PROTOCOL §14)."""

    subject_type: SubjectType
    date_range: DateRange
    ksef_number: str | None = None
    invoice_number: str | None = None
    amount: AmountFilter | None = None
    seller_nip: str | None = None
    buyer_identifier: BuyerIdentifierFilter | None = None
    currency_codes: list[str] | None = None
    invoicing_mode: Literal["Online", "Offline"] | None = None
    is_self_invoicing: bool | None = None
    form_type: Literal["FA", "PEF", "FA_RR"] | None = None
    invoice_types: list[str] | None = None
    has_attachment: bool | None = None


class FormCode(KsefModel):
    system_code: str
    schema_version: str
    value: str


FA3_FORM_CODE = FormCode(system_code="FA (3)", schema_version="1-0E", value="FA")


class Party(KsefModel):
    nip: str | None = None
    name: str | None = None


class Identifier(KsefModel):
    type: str
    value: str | None = None


class Buyer(KsefModel):
    identifier: Identifier
    name: str | None = None


class ThirdSubject(KsefModel):
    identifier: Identifier
    name: str | None = None
    role: int | None = None


class AuthorizedSubject(KsefModel):
    nip: str
    name: str | None = None
    role: int | None = None


class InvoiceMetadata(KsefModel):
    ksef_number: str
    invoice_number: str
    issue_date: dt.date
    invoicing_date: dt.datetime
    acquisition_date: dt.datetime
    permanent_storage_date: dt.datetime
    seller: Party
    buyer: Buyer
    net_amount: Decimal
    gross_amount: Decimal
    vat_amount: Decimal
    currency: str
    invoicing_mode: str
    invoice_type: str
    form_code: FormCode
    is_self_invoicing: bool = False
    has_attachment: bool = False
    invoice_hash: str
    hash_of_corrected_invoice: str | None = None
    third_subjects: list[ThirdSubject] | None = None
    authorized_subject: AuthorizedSubject | None = None


class QueryInvoicesMetadataResponse(KsefModel):
    has_more: bool
    is_truncated: bool
    permanent_storage_hwm_date: dt.datetime | None = None
    invoices: list[InvoiceMetadata]


# --- exports --------------------------------------------------------------------------------------


class InvoicePackagePart(KsefModel):
    ordinal_number: int
    part_name: str
    method: str = "GET"
    url: str = Field(repr=False)
    part_size: int
    part_hash: str
    encrypted_part_size: int
    encrypted_part_hash: str
    expiration_date: dt.datetime | None = None


class InvoicePackage(KsefModel):
    invoice_count: int
    size: int
    parts: list[InvoicePackagePart]
    is_truncated: bool
    last_issue_date: dt.date | None = None
    last_invoicing_date: dt.datetime | None = None
    last_permanent_storage_date: dt.datetime | None = None
    permanent_storage_hwm_date: dt.datetime | None = None
    compression_type: str = "Zip"


class InvoiceExportStatusResponse(KsefModel):
    status: StatusInfo
    completed_date: dt.datetime | None = None
    package_expiration_date: dt.datetime | None = None
    package: InvoicePackage | None = None


# --- sessions -------------------------------------------------------------------------------------


class OpenOnlineSessionResponse(KsefModel):
    reference_number: str
    valid_until: dt.datetime | None = None


class InvoiceStatusInfo(KsefModel):
    code: int
    description: str = ""
    details: list[str] | None = None
    extensions: dict[str, str | None] | None = None


class SessionInvoiceStatusResponse(KsefModel):
    ordinal_number: int
    invoice_number: str | None = None
    ksef_number: str | None = None
    reference_number: str
    invoice_hash: str
    invoice_file_name: str | None = None
    acquisition_date: dt.datetime | None = None
    invoicing_date: dt.datetime | None = None
    permanent_storage_date: dt.datetime | None = None
    upo_download_url: str | None = Field(default=None, repr=False)
    invoicing_mode: str | None = None
    status: InvoiceStatusInfo


class UpoPage(KsefModel):
    reference_number: str
    download_url: str = Field(repr=False)
    download_url_expiration_date: dt.datetime | None = None


class UpoInfo(KsefModel):
    pages: list[UpoPage]


class SessionStatusResponse(KsefModel):
    status: StatusInfo
    date_created: dt.datetime | None = None
    date_updated: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    upo: UpoInfo | None = None
    invoice_count: int | None = None
    successful_invoice_count: int | None = None
    failed_invoice_count: int | None = None


class PartUploadRequest(KsefModel):
    ordinal_number: int
    method: str
    url: str = Field(repr=False)
    headers: dict[str, str | None] = Field(default_factory=dict)


class OpenBatchSessionResponse(KsefModel):
    reference_number: str
    part_upload_requests: list[PartUploadRequest]


# --- permissions ----------------------------------------------------------------------------------


class Permission(KsefModel):
    """One row of any ``/permissions/query/*`` answer (personal, persons, entities)."""

    id: str
    permission_scope: str
    description: str = ""
    permission_state: str | None = None
    start_date: dt.datetime | None = None
    can_delegate: bool | None = None
    context_identifier: Identifier | None = None
    authorized_identifier: Identifier | None = None
    target_identifier: Identifier | None = None
    author_identifier: Identifier | None = None
    subject_person_details: dict[str, Any] | None = None
    subject_entity_details: dict[str, Any] | None = None


class PermissionsPage(KsefModel):
    permissions: list[Permission]
    has_more: bool
    owner_permissions: list[str] | None = None
