"""What the invoice routes share on the wire: KSeF's time formats (microsecond storage, millisecond
ISO output, Warsaw time for dates without an offset), the request bodies (parsed by
``request.read_strict``), base64 and SHA-256, AES-256-CBC and the RSA-OAEP unwrapping of the caller's
symmetric key (PROTOCOL.md §3)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.requests import Request

from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.emulator.keys import SYMMETRIC_USAGE, EmulatorKeys

WARSAW = ZoneInfo("Europe/Warsaw")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch; the store's sortable representation of a date-time."""
    return (moment.astimezone(UTC) - _EPOCH) // timedelta(milliseconds=1) * 1000


def from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


def iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def truncate_ms(moment: datetime) -> datetime:
    """KSeF prints milliseconds; every date the store assigns is cut to them so filters round-trip."""
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_query_datetime(text: str) -> datetime:
    """ISO-8601; without an offset the value is Warsaw local time (PROTOCOL.md §2)."""
    value = datetime.fromisoformat(text.replace("z", "Z"))
    return value.replace(tzinfo=WARSAW) if value.tzinfo is None else value


MAX_QUERY_SPAN = timedelta(days=100)


def within_query_span(start: datetime, end: datetime) -> bool:
    """Valid when ``end - start`` is at most 100 days, measured in UTC (openapi.json 2.9.0
    ``InvoiceQueryFilters.dateRange``: "Maksymalny dozwolony okres wynosi 100 dni w strefie UTC");
    the edge itself is allowed, one second more is not."""
    return end.astimezone(UTC) - start.astimezone(UTC) <= MAX_QUERY_SPAN


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class DateRange(_Body):
    date_type: Literal["Issue", "Invoicing", "PermanentStorage"] = Field(alias="dateType")
    from_: str = Field(alias="from")
    to: str | None = None
    restrict_to_hwm: bool | None = Field(default=None, alias="restrictToPermanentStorageHwmDate")


class AmountFilter(_Body):
    type: Literal["Brutto", "Netto", "Vat"]
    from_: float | None = Field(default=None, alias="from")
    to: float | None = None


class BuyerIdentifierFilter(_Body):
    type: Literal["Nip", "VatUe", "Other", "None"]
    value: str | None = Field(default=None, max_length=50)


class QueryFilters(_Body):
    subject_type: Literal["Subject1", "Subject2", "Subject3", "SubjectAuthorized"] = Field(
        alias="subjectType"
    )
    date_range: DateRange = Field(alias="dateRange")
    ksef_number: str | None = Field(default=None, alias="ksefNumber")
    invoice_number: str | None = Field(default=None, alias="invoiceNumber", max_length=256)
    amount: AmountFilter | None = None
    seller_nip: str | None = Field(
        default=None, alias="sellerNip", pattern=r"^[1-9]((\d[1-9])|([1-9]\d))\d{7}$"
    )
    buyer_identifier: BuyerIdentifierFilter | None = Field(default=None, alias="buyerIdentifier")
    currency_codes: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]] | None = Field(
        default=None, alias="currencyCodes"
    )
    invoicing_mode: Literal["Online", "Offline"] | None = Field(default=None, alias="invoicingMode")
    is_self_invoicing: bool | None = Field(default=None, alias="isSelfInvoicing")
    form_type: Literal["FA", "PEF", "FA_RR"] | None = Field(default=None, alias="formType")
    invoice_types: (
        list[
            Literal[
                "Vat",
                "Zal",
                "Kor",
                "Roz",
                "Upr",
                "KorZal",
                "KorRoz",
                "VatPef",
                "VatPefSp",
                "KorPef",
                "VatRr",
                "KorVatRr",
            ]
        ]
        | None
    ) = Field(default=None, alias="invoiceTypes")
    has_attachment: bool | None = Field(default=None, alias="hasAttachment")


class EncryptionInfo(_Body):
    encrypted_symmetric_key: str = Field(alias="encryptedSymmetricKey")
    initialization_vector: str = Field(alias="initializationVector")
    public_key_id: str | None = Field(default=None, alias="publicKeyId")


def decode_b64(text: str, what: str, request: Request) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise validation_error([f"{what}: nieprawidłowe kodowanie Base64."], request=request) from None


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def aes_encrypt(key: bytes, iv: bytes, plain: bytes) -> bytes:
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def aes_decrypt(key: bytes, iv: bytes, cipher: bytes) -> bytes:
    """Raises ``ValueError`` on a wrong key/IV or broken padding."""
    if len(cipher) == 0 or len(cipher) % 16:
        raise ValueError("ciphertext length is not a multiple of the block size")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(cipher) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def check_public_key_id(keys: EmulatorKeys, info: EncryptionInfo, request: Request) -> None:
    """400/21470 for a ``publicKeyId`` that is not the emulator's SymmetricKeyEncryption key."""
    if info.public_key_id and not keys.knows_public_key_id(info.public_key_id, SYMMETRIC_USAGE):
        raise bad_request(
            21470,
            "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
            [f"Klucz o identyfikatorze {info.public_key_id} nie jest wspierany."],
            request=request,
        )


def unwrap_symmetric_key(keys: EmulatorKeys, info: EncryptionInfo) -> tuple[bytes, bytes] | None:
    """(key, iv) or None when the key cannot be decrypted (status 415 of the operation)."""
    try:
        wrapped = base64.b64decode(info.encrypted_symmetric_key, validate=True)
        iv = base64.b64decode(info.initialization_vector, validate=True)
        key = keys.decrypt(SYMMETRIC_USAGE, wrapped)
    except (ValueError, TypeError):
        return None
    if len(key) != 32 or len(iv) != 16:
        return None
    return key, iv
