"""KSeF API 2.0 client: environments, crypto, login (token, XAdES), endpoints, limits, errors.

Public API (what the fetch and send parts code against)::

    from ksef_sheets.ksef import KsefClient, RateLimiter, InvoiceQueryFilters, DateRange

    async with KsefClient(base_url, transport=None, limiter=None, timeout=30.0, clock=None) as client:
        session = await client.login(context_nip, credential)          # TokenCredential | CertificateCredential
        # or: await client.login_with_token(context_nip, token_str_or_TokenCredential)
        # or: await client.login_with_certificate(context_nip, cert_credential,
        #                                         subject_identifier="certificateSubject")
        async with session:                                            # logs out (revokes) on exit
            page = await session.query_metadata(filters, page_offset=0, page_size=250)  # QueryInvoicesMetadataResponse
            async for meta in session.iter_metadata(filters): ...     # InvoiceMetadata, deduplicated, handles isTruncated
            xml = await session.download_invoice(ksef_number)         # bytes, x-ms-meta-hash checked
            result = await session.export_invoices(filters)           # ExportResult
            #   result.invoices {ksefNumber: xml bytes}, result.metadata [InvoiceMetadata], result.entries,
            #   result.is_truncated, result.last_permanent_storage_date, result.permanent_storage_hwm_date
            #   (lower level: start_export / wait_for_export / download_export)
            perms = await session.query_permissions("personal")       # list[Permission]; also "persons", "entities"
            op = await grant_indirect(session, subject_type="Pesel", subject_value=…, first_name=…,
                                      last_name=…, target_nip=client_nip, permissions=["InvoiceRead"],
                                      description=…)      # OperationResult after polling; also
            op = await revoke_permission(session, permission_id)     # /permissions/operations/{ref}
            limits = await session.rate_limits()                       # {group: LimitValues}; limiter adopts them
            async with await session.open_online_session() as online:  # OnlineSession (closes on exit)
                ref = await online.send_invoice(xml)
                st = await online.wait_for_invoice(ref)                # .ksef_number, .status.code
                upo = await online.invoice_upo(invoice_reference=ref)
            await session.refresh(); await session.logout()
            # KSeF certificates (only after a XAdES login; ksef/certificates.py):
            enrolled = await enrol_certificate(session, "biuro-ksef")  # key made locally → .credential
            infos = await query_certificates(session); await revoke_certificate(session, serial)

``filters`` is an ``InvoiceQueryFilters`` model or the same dict in the API's camelCase.

``RateLimiter(limits=PRODUCTION_LIMITS, clock=SystemClock())`` is shared per run; after the first
login the client reads ``GET /rate-limits`` once and the limiter adopts it (``adopt_server_limits``).
For simulations pass one clock to the limiter and the client and the emulator's "now"::

    clock = CallbackClock(now=emu.clock.timestamp, advance=lambda s: emu.clock.advance(timedelta(seconds=s)))
    KsefClient(url, limiter=RateLimiter(clock=clock), clock=clock, now=emu.clock.now)

Sessions refresh the access token before it expires (and after a 401) and log in again with the same
credential when the refresh token has expired. 429 waits the full ``Retry-After``; 5xx, timeouts and
dropped connections are retried (backoff + jitter) only for idempotent calls.
Every error is a subclass of ``KsefError`` (itself ``ksef_sheets.errors.UserError``) with a Polish
message, ``status`` (HTTP), ``code`` (KSeF exception/status code) and ``context_nip``.
"""

from __future__ import annotations

from ksef_sheets.ksef.certificates import (
    CertificateLimits,
    EnrolledCertificate,
    KsefCertificateInfo,
    certificate_limits,
    enrol_certificate,
    load_certificate_pair,
    query_certificates,
    retrieve_certificates,
    revoke_certificate,
)
from ksef_sheets.ksef.client import KsefClient
from ksef_sheets.ksef.connection import PollPolicy, RetryPolicy
from ksef_sheets.ksef.credentials import (
    TOKEN_END_DATE,
    CertificateCredential,
    TokenCredential,
    make_person_certificate,
    make_seal_certificate,
)
from ksef_sheets.ksef.environments import BASE_URLS, base_url_for
from ksef_sheets.ksef.errors import (
    KsefAuthenticationError,
    KsefBadRequestError,
    KsefError,
    KsefNotFoundError,
    KsefNotReadyError,
    KsefPackageError,
    KsefPermissionError,
    KsefRateLimitError,
    KsefUnavailableError,
)
from ksef_sheets.ksef.exports import ExportHandle, ExportResult
from ksef_sheets.ksef.grants import OperationResult, grant_indirect, revoke_permission, wait_for_operation
from ksef_sheets.ksef.limits import (
    PRODUCTION_LIMITS,
    CallbackClock,
    Clock,
    LimitValues,
    ManualClock,
    NoLimiter,
    RateLimiter,
    SystemClock,
    group_for,
)
from ksef_sheets.ksef.models import (
    FA3_FORM_CODE,
    DateRange,
    FormCode,
    InvoiceMetadata,
    InvoiceQueryFilters,
    Permission,
    QueryInvoicesMetadataResponse,
    SessionInvoiceStatusResponse,
)
from ksef_sheets.ksef.package import METADATA_NAME
from ksef_sheets.ksef.permissions import (
    PERMISSION_LABELS,
    ClientPermissions,
    OfficeAccess,
    holds_nothing,
    permission_label,
    read_office_access,
    read_permissions,
)
from ksef_sheets.ksef.permissions_report import PermissionLine, read_permission_lines
from ksef_sheets.ksef.qr import (
    CERTIFICATE_LABEL,
    OFFLINE_LABEL,
    OfflineSigner,
    kod_i_url,
    kod_ii_url,
    qr_base_for,
    verify_signature,
)
from ksef_sheets.ksef.sending import BatchSession, OnlineSession
from ksef_sheets.ksef.session import KsefSession

__all__ = [
    "BASE_URLS",
    "CERTIFICATE_LABEL",
    "FA3_FORM_CODE",
    "METADATA_NAME",
    "OFFLINE_LABEL",
    "PERMISSION_LABELS",
    "PRODUCTION_LIMITS",
    "TOKEN_END_DATE",
    "BatchSession",
    "CallbackClock",
    "CertificateCredential",
    "CertificateLimits",
    "ClientPermissions",
    "Clock",
    "DateRange",
    "EnrolledCertificate",
    "ExportHandle",
    "ExportResult",
    "FormCode",
    "InvoiceMetadata",
    "InvoiceQueryFilters",
    "KsefAuthenticationError",
    "KsefBadRequestError",
    "KsefCertificateInfo",
    "KsefClient",
    "KsefError",
    "KsefNotFoundError",
    "KsefNotReadyError",
    "KsefPackageError",
    "KsefPermissionError",
    "KsefRateLimitError",
    "KsefSession",
    "KsefUnavailableError",
    "LimitValues",
    "ManualClock",
    "NoLimiter",
    "OfficeAccess",
    "OfflineSigner",
    "OnlineSession",
    "OperationResult",
    "Permission",
    "PermissionLine",
    "PollPolicy",
    "QueryInvoicesMetadataResponse",
    "RateLimiter",
    "RetryPolicy",
    "SessionInvoiceStatusResponse",
    "SystemClock",
    "TokenCredential",
    "base_url_for",
    "certificate_limits",
    "enrol_certificate",
    "grant_indirect",
    "group_for",
    "holds_nothing",
    "kod_i_url",
    "kod_ii_url",
    "load_certificate_pair",
    "make_person_certificate",
    "make_seal_certificate",
    "permission_label",
    "qr_base_for",
    "query_certificates",
    "read_office_access",
    "read_permission_lines",
    "read_permissions",
    "retrieve_certificates",
    "revoke_certificate",
    "revoke_permission",
    "verify_signature",
    "wait_for_operation",
]
