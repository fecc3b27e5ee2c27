"""The emulator's invoice store: FA(3) → metadata, the metadata query and single download.

- ``InvoiceStore`` (``emu.invoices``) keeps every accepted invoice once (seller = Podmiot1), with the
  metadata KSeF derives from it (PROTOCOL.md §25) and the dates KSeF assigns (invoicing,
  acquisition = KSeF number, permanent storage). Sending (``sessions.py``) and seeding (``seed.py``)
  put invoices in; the query, download and export endpoints read them.
- ``POST /invoices/query/metadata`` (§14): every filter of ``InvoiceQueryFilters``, paging, the
  10,000-record cap with ``isTruncated``, the 3-month window, Warsaw time for dates without an
  offset, ``permanentStorageHwmDate``.
- ``GET /invoices/ksef/{ksefNumber}`` (§13): the original bytes with ``x-ms-meta-hash``.

Also the helpers the other invoice modules share: request-body parsing into pydantic models with
KSeF's 21405 error, AES-256-CBC and the RSA-OAEP unwrapping of the caller's symmetric key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from random import Random
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ksef_sheets.emulator.errors import bad_request, validation_error
from ksef_sheets.identifiers import is_valid_ksef_number, make_ksef_number

if TYPE_CHECKING:
    from ksef_sheets.emulator.core import Emulator

WARSAW = ZoneInfo("Europe/Warsaw")
FA3_NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
FA3_FORM_CODE: dict[str, str] = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
INVOICE_READ = {"InvoiceRead"}
KSEF_NUMBER_PATTERN = re.compile(
    r"^([1-9](\d[1-9]|[1-9]\d)\d{7})-(20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3})(0[1-9]|1[0-2])"
    r"(0[1-9]|[12]\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$"
)  # the spec's KsefNumber pattern (format only; the checksum is not part of it)
MAX_INVOICE_BYTES = 3_000_000  # the bigger of the two KSeF limits (with attachments, §11)

# RodzajFaktury → InvoiceMetadata.invoiceType (PROTOCOL.md §20)
INVOICE_TYPES: dict[str, str] = {
    "VAT": "Vat",
    "KOR": "Kor",
    "ZAL": "Zal",
    "ROZ": "Roz",
    "UPR": "Upr",
    "KOR_ZAL": "KorZal",
    "KOR_ROZ": "KorRoz",
}
SUBJECT_TYPES = ("Subject1", "Subject2", "Subject3", "SubjectAuthorized")

_NET_FIELDS = (
    "P_13_1",
    "P_13_2",
    "P_13_3",
    "P_13_4",
    "P_13_5",
    "P_13_6_1",
    "P_13_6_2",
    "P_13_6_3",
    "P_13_7",
    "P_13_8",
    "P_13_9",
    "P_13_10",
    "P_13_11",
)
_VAT_FIELDS = ("P_14_1", "P_14_2", "P_14_3", "P_14_4", "P_14_5")


# ---------------------------------------------------------------------------------------------
# time


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


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    days_in_month = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30]
    days_in_month += [31, 31, 30, 31, 30, 31]
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month[month - 1]))


def within_three_months(start: datetime, end: datetime) -> bool:
    """Valid when the span is at most 3 months in UTC or in Warsaw time (CL 2.0.1)."""
    for zone in (UTC, WARSAW):
        a, b = start.astimezone(zone), end.astimezone(zone)
        if b <= add_months(a, 3):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# request bodies


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


_M = TypeVar("_M", bound=BaseModel)


def _error_details(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        where = ".".join(str(part) for part in err["loc"])
        out.append(f"{where}: {err['msg']}" if where else str(err["msg"]))
    return out


async def read_body(request: Request, model: type[_M]) -> _M:
    """The JSON body as ``model``; 400/21001 when unreadable, 400/21405 when it breaks the schema."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(
            21001, "Nieczytelna treść.", [f"Nieprawidłowy JSON: {exc}"], request=request
        ) from None
    if not isinstance(data, dict):
        raise validation_error(["Treść żądania musi być obiektem JSON."], request=request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(_error_details(exc), request=request) from None


def query_int(request: Request, name: str, default: int, low: int, high: int | None = None) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise validation_error(
            [f"{name}: wartość '{text}' nie jest liczbą całkowitą."], request=request
        ) from None
    if value < low or (high is not None and value > high):
        bounds = f"{low}–{high}" if high is not None else f"≥ {low}"
        raise validation_error([f"{name}: wartość {value} poza zakresem {bounds}."], request=request)
    return value


def decode_b64(text: str, what: str, request: Request) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError):
        raise validation_error([f"{what}: nieprawidłowe kodowanie Base64."], request=request) from None


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# ---------------------------------------------------------------------------------------------
# symmetric crypto (AES-256-CBC / PKCS#7, IV sent separately — PROTOCOL.md §3)


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


def check_public_key_id(emu: Emulator, info: EncryptionInfo, request: Request) -> None:
    """400/21470 for a ``publicKeyId`` that is not the emulator's SymmetricKeyEncryption key."""
    if info.public_key_id and not emu.keys.knows_public_key_id(info.public_key_id, "SymmetricKeyEncryption"):
        raise bad_request(
            21470,
            "Przesłany identyfikator klucza jest nieznany lub wskazuje na wycofany klucz.",
            [f"Klucz o identyfikatorze {info.public_key_id} nie jest wspierany."],
            request=request,
        )


def unwrap_symmetric_key(emu: Emulator, info: EncryptionInfo) -> tuple[bytes, bytes] | None:
    """(key, iv) or None when the key cannot be decrypted (status 415 of the operation)."""
    try:
        wrapped = base64.b64decode(info.encrypted_symmetric_key, validate=True)
        iv = base64.b64decode(info.initialization_vector, validate=True)
        key = emu.keys.decrypt("SymmetricKeyEncryption", wrapped)
    except (ValueError, TypeError):
        return None
    if len(key) != 32 or len(iv) != 16:
        return None
    return key, iv


# ---------------------------------------------------------------------------------------------
# FA(3) → metadata


class InvoiceXmlError(ValueError):
    """The invoice file cannot be read as an FA(3) document; ``details`` go into the status."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_xml(xml: bytes) -> etree._Element:
    """Hardened parse: no DTD, no entities, no network, no BOM, UTF-8 only, size cap."""
    if len(xml) > MAX_INVOICE_BYTES:
        raise InvoiceXmlError(
            f"Plik faktury ma {len(xml)} bajtów, więcej niż dopuszczalne {MAX_INVOICE_BYTES}."
        )
    if xml.startswith(b"\xef\xbb\xbf"):
        raise InvoiceXmlError("Plik faktury zaczyna się od znacznika BOM; KSeF wymaga UTF-8 bez BOM.")
    try:
        xml.decode("utf-8")
    except UnicodeDecodeError:
        raise InvoiceXmlError("Plik faktury nie jest zapisany w UTF-8.") from None
    try:
        root = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise InvoiceXmlError(f"Plik faktury nie jest poprawnym XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvoiceXmlError("Plik faktury zawiera deklarację DTD, której KSeF nie przyjmuje.")
    encoding = (tree.docinfo.encoding or "UTF-8").upper()
    if encoding not in ("UTF-8", "UTF8"):
        raise InvoiceXmlError(f"Prolog XML deklaruje kodowanie {encoding}; KSeF wymaga UTF-8.")
    for node in root.iter(etree.ProcessingInstruction):
        raise InvoiceXmlError(f"Plik faktury zawiera instrukcję przetwarzania <?{node.target}?>.")
    return root


def _dec(text: str | None) -> Decimal:
    if text is None or not text.strip():
        return Decimal(0)
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return Decimal(0)


@dataclass
class InvoiceFacts:
    """What KSeF reads from an FA(3) document (PROTOCOL.md §25)."""

    seller_nip: str
    seller_name: str | None
    buyer_type: str  # Nip | VatUe | Other | None
    buyer_value: str | None
    buyer_name: str | None
    invoice_number: str
    issue_date: date
    fa_type: str  # RodzajFaktury as in the XML
    invoice_type: str  # metadata enum
    currency: str
    gross: Decimal
    net: Decimal
    vat: Decimal
    is_self_invoicing: bool
    has_attachment: bool
    form_code: dict[str, str]
    third_subjects: list[dict[str, Any]] = field(default_factory=list)
    authorized: dict[str, Any] | None = None


def _identifier(ident: etree._Element | None, ns: dict[str, str]) -> tuple[str, str | None]:
    if ident is None:
        return "None", None
    nip = ident.findtext("f:NIP", namespaces=ns)
    if nip:
        return "Nip", nip.strip()
    internal = ident.findtext("f:IDWew", namespaces=ns)
    if internal:
        return "InternalId", internal.strip()
    vat_ue = ident.findtext("f:NrVatUE", namespaces=ns)
    if vat_ue:
        return "VatUe", f"{(ident.findtext('f:KodUE', namespaces=ns) or '').strip()}{vat_ue.strip()}"[:50]
    other = ident.findtext("f:NrID", namespaces=ns)
    if other:
        return "Other", other.strip()[:50]
    return "None", None


def invoice_facts(root: etree._Element) -> InvoiceFacts:
    """Read the metadata fields; raises ``InvoiceXmlError`` when mandatory ones are missing."""
    ns = {"f": root.nsmap.get(None) or FA3_NS}
    if etree.QName(root).localname != "Faktura":
        raise InvoiceXmlError("Element główny dokumentu nie jest <Faktura>.")
    code = root.find("f:Naglowek/f:KodFormularza", ns)
    form_code = {
        "systemCode": (code.get("kodSystemowy") if code is not None else None) or "",
        "schemaVersion": (code.get("wersjaSchemy") if code is not None else None) or "",
        "value": (code.text or "").strip() if code is not None else "",
    }
    seller = root.find("f:Podmiot1/f:DaneIdentyfikacyjne", ns)
    seller_nip = (seller.findtext("f:NIP", namespaces=ns) or "").strip() if seller is not None else ""
    fa = root.find("f:Fa", ns)
    if not seller_nip or fa is None:
        raise InvoiceXmlError("Brak wymaganych elementów Podmiot1/DaneIdentyfikacyjne/NIP lub Fa.")
    buyer = root.find("f:Podmiot2/f:DaneIdentyfikacyjne", ns)
    buyer_type, buyer_value = _identifier(buyer, ns)
    number = (fa.findtext("f:P_2", namespaces=ns) or "").strip()
    issue_text = (fa.findtext("f:P_1", namespaces=ns) or "").strip()
    fa_type = (fa.findtext("f:RodzajFaktury", namespaces=ns) or "").strip()
    try:
        issue = date.fromisoformat(issue_text)
    except ValueError:
        raise InvoiceXmlError(f"Pole P_1 ma nieprawidłową datę „{issue_text}”.") from None
    if not number:
        raise InvoiceXmlError("Brak numeru faktury (P_2).")
    currency = (fa.findtext("f:KodWaluty", namespaces=ns) or "PLN").strip()
    net = sum((_dec(fa.findtext(f"f:{name}", namespaces=ns)) for name in _NET_FIELDS), Decimal(0))
    vat = Decimal(0)
    for name in _VAT_FIELDS:
        in_pln = fa.findtext(f"f:{name}W", namespaces=ns)
        vat += _dec(
            in_pln if currency != "PLN" and in_pln is not None else fa.findtext(f"f:{name}", namespaces=ns)
        )
    thirds: list[dict[str, Any]] = []
    for third in root.findall("f:Podmiot3", ns):
        ident = third.find("f:DaneIdentyfikacyjne", ns)
        kind, value = _identifier(ident, ns)
        role_text = third.findtext("f:Rola", namespaces=ns)
        entry: dict[str, Any] = {"identifier": {"type": kind}, "role": int(role_text) if role_text else 0}
        if value:
            entry["identifier"]["value"] = value
        third_name = ident.findtext("f:Nazwa", namespaces=ns) if ident is not None else None
        if third_name:
            entry["name"] = third_name[:512]
        thirds.append(entry)
    authorized = None
    upo = root.find("f:PodmiotUpowazniony", ns)
    if upo is not None:
        a_nip = (upo.findtext("f:DaneIdentyfikacyjne/f:NIP", namespaces=ns) or "").strip()
        if a_nip:
            authorized = {"nip": a_nip, "role": int(upo.findtext("f:RolaPU", namespaces=ns) or 0)}
            a_name = upo.findtext("f:DaneIdentyfikacyjne/f:Nazwa", namespaces=ns)
            if a_name:
                authorized["name"] = a_name[:512]
    return InvoiceFacts(
        seller_nip=seller_nip,
        seller_name=(seller.findtext("f:Nazwa", namespaces=ns) if seller is not None else None),
        buyer_type=buyer_type,
        buyer_value=buyer_value,
        buyer_name=(buyer.findtext("f:Nazwa", namespaces=ns) if buyer is not None else None),
        invoice_number=number,
        issue_date=issue,
        fa_type=fa_type,
        invoice_type=INVOICE_TYPES.get(fa_type, "Vat"),
        currency=currency,
        gross=_dec(fa.findtext("f:P_15", namespaces=ns)),
        net=net,
        vat=vat,
        is_self_invoicing=(fa.findtext("f:Adnotacje/f:P_17", namespaces=ns) or "").strip() == "1",
        has_attachment=root.find("f:Zalacznik", ns) is not None,
        form_code=form_code,
        third_subjects=thirds,
        authorized=authorized,
    )


def parse_invoice(xml: bytes) -> InvoiceFacts:
    return invoice_facts(parse_xml(xml))


# ---------------------------------------------------------------------------------------------
# the store


def assign_ksef_number(seller_nip: str, accepted: datetime, rng: Random | None = None) -> str:
    """A new KSeF number: seller NIP, acceptance day (Warsaw), 12 random hex digits, CRC-8 (§12)."""
    technical = f"{rng.getrandbits(48):012X}" if rng is not None else secrets.token_hex(6).upper()
    return make_ksef_number(seller_nip, accepted.astimezone(WARSAW).date(), technical)


@dataclass(frozen=True)
class StoredInvoice:
    ksef_number: str
    invoice_hash: str
    invoicing_date: datetime
    acquisition_date: datetime
    permanent_storage_date: datetime
    invoicing_mode: str
    metadata: dict[str, Any]


@dataclass
class NewInvoice:
    """One invoice to store in bulk (``InvoiceStore.store_many``)."""

    xml: bytes
    accepted_at: datetime
    invoicing_at: datetime | None = None
    stored_at: datetime | None = None
    offline: bool = False
    session_ref: str | None = None
    hash_of_corrected: str | None = None
    facts: InvoiceFacts | None = None
    ksef_number: str | None = None  # given by seeding (which refers to it in later invoices); else assigned


SCHEMA = """
CREATE TABLE IF NOT EXISTS invoice (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ksef_number TEXT NOT NULL UNIQUE,
    seller_nip TEXT NOT NULL,
    buyer_type TEXT NOT NULL,
    buyer_value TEXT,
    invoice_number TEXT NOT NULL,
    fa_type TEXT NOT NULL,
    invoice_type TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    invoicing_us INTEGER NOT NULL,
    acquisition_us INTEGER NOT NULL,
    storage_us INTEGER NOT NULL,
    currency TEXT NOT NULL,
    gross REAL NOT NULL,
    net REAL NOT NULL,
    vat REAL NOT NULL,
    mode TEXT NOT NULL,
    self_invoicing INTEGER NOT NULL,
    has_attachment INTEGER NOT NULL,
    form_value TEXT NOT NULL,
    invoice_hash TEXT NOT NULL,
    session_ref TEXT,
    meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoice_seller_storage ON invoice(seller_nip, storage_us);
CREATE INDEX IF NOT EXISTS invoice_buyer_storage ON invoice(buyer_value, storage_us);
CREATE INDEX IF NOT EXISTS invoice_seller_invoicing ON invoice(seller_nip, invoicing_us);
CREATE INDEX IF NOT EXISTS invoice_buyer_invoicing ON invoice(buyer_value, invoicing_us);
CREATE INDEX IF NOT EXISTS invoice_seller_issue ON invoice(seller_nip, issue_date);
CREATE INDEX IF NOT EXISTS invoice_buyer_issue ON invoice(buyer_value, issue_date);
CREATE INDEX IF NOT EXISTS invoice_duplicate ON invoice(seller_nip, fa_type, invoice_number);
CREATE TABLE IF NOT EXISTS invoice_xml (
    ksef_number TEXT PRIMARY KEY,
    xml BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS invoice_party (
    ksef_number TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    identifier TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoice_party_lookup ON invoice_party(subject_type, identifier);
"""


def init_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


_DATE_COLUMNS = {"Issue": "issue_date", "Invoicing": "invoicing_us", "PermanentStorage": "storage_us"}


@dataclass
class QueryPlan:
    """A validated filter set turned into SQL over ``invoice`` (shared by the query and exports)."""

    where: str
    params: list[Any]
    order_column: str
    hwm: datetime | None
    date_type: str


class InvoiceStore:
    """``emu.invoices``: store, look up and query invoices.

    Knobs for tests: ``query_cap`` (10,000 in KSeF), ``storage_delay`` (acquisition → permanent
    storage), ``hwm_lag`` (how far ``permanentStorageHwmDate`` trails the clock).
    """

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.db: sqlite3.Connection = emu.db
        self.query_cap = 10_000
        self.storage_delay = timedelta(milliseconds=500)
        self.hwm_lag = timedelta(seconds=1)
        init_schema(self.db)

    # -- writing ---------------------------------------------------------------------------

    def store(
        self,
        xml: bytes,
        *,
        accepted_at: datetime,
        invoicing_at: datetime | None = None,
        stored_at: datetime | None = None,
        offline: bool = False,
        session_ref: str | None = None,
        hash_of_corrected: str | None = None,
        facts: InvoiceFacts | None = None,
        rng: Random | None = None,
    ) -> StoredInvoice:
        """Accept one invoice: assign its KSeF number and dates, keep its metadata and bytes."""
        item = NewInvoice(
            xml, accepted_at, invoicing_at, stored_at, offline, session_ref, hash_of_corrected, facts
        )
        return self.store_many([item], rng=rng)[0]

    def store_many(self, items: Sequence[NewInvoice], *, rng: Random | None = None) -> list[StoredInvoice]:
        """Bulk variant (one transaction, ``executemany``); ``rng`` makes KSeF numbers reproducible."""
        rows, xml_rows, party_rows, out = [], [], [], []
        for item in items:
            facts = item.facts or parse_invoice(item.xml)
            accepted = truncate_ms(item.accepted_at)
            invoicing = truncate_ms(item.invoicing_at or accepted)
            stored = truncate_ms(item.stored_at or accepted + self.storage_delay)
            ksef_number = item.ksef_number or assign_ksef_number(facts.seller_nip, accepted, rng)
            offline = item.offline or facts.issue_date < invoicing.astimezone(WARSAW).date()
            mode = "Offline" if offline else "Online"
            invoice_hash = b64_sha256(item.xml)
            meta = self._metadata(facts, ksef_number, invoicing, accepted, stored, mode, invoice_hash, item)
            rows.append(
                (
                    ksef_number,
                    facts.seller_nip,
                    facts.buyer_type,
                    facts.buyer_value,
                    facts.invoice_number,
                    facts.fa_type,
                    facts.invoice_type,
                    facts.issue_date.isoformat(),
                    to_us(invoicing),
                    to_us(accepted),
                    to_us(stored),
                    facts.currency,
                    meta["grossAmount"],
                    meta["netAmount"],
                    meta["vatAmount"],
                    mode,
                    int(facts.is_self_invoicing),
                    int(facts.has_attachment),
                    facts.form_code.get("value") or "FA",
                    invoice_hash,
                    item.session_ref,
                    json.dumps(meta, ensure_ascii=False, separators=(",", ":")),
                )
            )
            xml_rows.append((ksef_number, item.xml))
            for third in facts.third_subjects:
                value = third["identifier"].get("value")
                if value:
                    party_rows.append((ksef_number, "Subject3", value))
            if facts.authorized:
                party_rows.append((ksef_number, "SubjectAuthorized", facts.authorized["nip"]))
            out.append(StoredInvoice(ksef_number, invoice_hash, invoicing, accepted, stored, mode, meta))
        db = self.db
        in_transaction = db.in_transaction
        if not in_transaction:
            db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT INTO invoice(ksef_number, seller_nip, buyer_type, buyer_value, invoice_number, fa_type,"
                " invoice_type, issue_date, invoicing_us, acquisition_us, storage_us, currency, gross, net, vat,"
                " mode, self_invoicing, has_attachment, form_value, invoice_hash, session_ref, meta)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            db.executemany("INSERT INTO invoice_xml(ksef_number, xml) VALUES(?, ?)", xml_rows)
            db.executemany(
                "INSERT INTO invoice_party(ksef_number, subject_type, identifier) VALUES(?, ?, ?)", party_rows
            )
            if not in_transaction:
                db.execute("COMMIT")
        except BaseException:
            if not in_transaction:
                db.execute("ROLLBACK")
            raise
        return out

    @staticmethod
    def _metadata(
        facts: InvoiceFacts,
        ksef_number: str,
        invoicing: datetime,
        accepted: datetime,
        stored: datetime,
        mode: str,
        invoice_hash: str,
        item: NewInvoice,
    ) -> dict[str, Any]:
        seller: dict[str, Any] = {"nip": facts.seller_nip}
        if facts.seller_name:
            seller["name"] = facts.seller_name[:512]
        identifier: dict[str, Any] = {"type": facts.buyer_type}
        if facts.buyer_value:
            identifier["value"] = facts.buyer_value
        buyer: dict[str, Any] = {"identifier": identifier}
        if facts.buyer_name:
            buyer["name"] = facts.buyer_name[:512]
        meta: dict[str, Any] = {
            "ksefNumber": ksef_number,
            "invoiceNumber": facts.invoice_number,
            "issueDate": facts.issue_date.isoformat(),
            "invoicingDate": iso_ms(invoicing),
            "acquisitionDate": iso_ms(accepted),
            "permanentStorageDate": iso_ms(stored),
            "seller": seller,
            "buyer": buyer,
            "netAmount": float(round(facts.net, 2)),
            "grossAmount": float(round(facts.gross, 2)),
            "vatAmount": float(round(facts.vat, 2)),
            "currency": facts.currency,
            "invoicingMode": mode,
            "invoiceType": facts.invoice_type,
            "formCode": dict(facts.form_code) if facts.form_code.get("systemCode") else dict(FA3_FORM_CODE),
            "isSelfInvoicing": facts.is_self_invoicing,
            "hasAttachment": facts.has_attachment,
            "invoiceHash": invoice_hash,
            "thirdSubjects": facts.third_subjects,
        }
        if item.hash_of_corrected:
            meta["hashOfCorrectedInvoice"] = item.hash_of_corrected
        if facts.authorized:
            meta["authorizedSubject"] = facts.authorized
        return meta

    # -- reading ---------------------------------------------------------------------------

    def find_duplicate(
        self, seller_nip: str, fa_type: str, invoice_number: str
    ) -> tuple[str, str | None] | None:
        """(ksefNumber, session reference) of an earlier invoice with the same seller, type and P_2."""
        row = self.db.execute(
            "SELECT ksef_number, session_ref FROM invoice WHERE seller_nip = ? AND fa_type = ? AND invoice_number = ?",
            (seller_nip, fa_type, invoice_number),
        ).fetchone()
        return (row[0], row[1]) if row else None

    def get(self, ksef_number: str) -> tuple[dict[str, Any], bytes] | None:
        row = self.db.execute(
            "SELECT i.meta, x.xml FROM invoice i JOIN invoice_xml x USING(ksef_number) WHERE i.ksef_number = ?",
            (ksef_number,),
        ).fetchone()
        return (json.loads(row[0]), bytes(row[1])) if row else None

    def xml_of(self, ksef_numbers: Sequence[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for start in range(0, len(ksef_numbers), 500):
            chunk = list(ksef_numbers[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for number, xml in self.db.execute(
                f"SELECT ksef_number, xml FROM invoice_xml WHERE ksef_number IN ({marks})",  # noqa: S608 - placeholders only
                chunk,
            ):
                out[number] = bytes(xml)
        return out

    def visible_to(self, ksef_number: str, context_value: str) -> bool:
        row = self.db.execute(
            "SELECT seller_nip, buyer_value FROM invoice WHERE ksef_number = ?", (ksef_number,)
        ).fetchone()
        if row is None:
            return False
        if context_value in (row[0], row[1]):
            return True
        return (
            self.db.execute(
                "SELECT 1 FROM invoice_party WHERE ksef_number = ? AND identifier = ?",
                (ksef_number, context_value),
            ).fetchone()
            is not None
        )

    def hwm(self) -> datetime:
        """``permanentStorageHwmDate``: everything stored up to it is complete and will not change."""
        return truncate_ms(self.emu.clock.now() - self.hwm_lag)

    def plan(self, filters: QueryFilters, context_value: str, request: Request) -> QueryPlan:
        """Validate the filter set (3-month window, HWM) and build its SQL; raises KSeF's 400s."""
        now = self.emu.clock.now()
        rng = filters.date_range
        try:
            start = parse_query_datetime(rng.from_)
            end = parse_query_datetime(rng.to) if rng.to else now
        except ValueError as exc:
            raise validation_error([f"dateRange: nieprawidłowa data ({exc})."], request=request) from None
        hwm = self.hwm() if rng.date_type == "PermanentStorage" else None
        if rng.restrict_to_hwm:
            current_hwm = self.hwm()
            if start > current_hwm:
                raise bad_request(
                    21183,
                    "Zakres filtrowania wykracza poza dostępny zakres danych.",
                    [
                        "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym "
                        "restrictToPermanentStorageHwmDate."
                    ],
                    request=request,
                )
        if end < start:
            raise validation_error(["dateRange: data 'to' jest wcześniejsza niż 'from'."], request=request)
        if not within_three_months(start, end):
            raise validation_error(
                ["dateRange: zakres dat nie może przekraczać 3 miesięcy."],
                request=request,
            )
        if rng.restrict_to_hwm:
            end = min(end, current_hwm)
        if filters.ksef_number is not None and not is_valid_ksef_number(filters.ksef_number):
            raise validation_error(["ksefNumber: nieprawidłowy numer KSeF."], request=request)
        where = ["i.storage_us <= ?"]
        params: list[Any] = [to_us(now)]
        subject = filters.subject_type
        if subject == "Subject1":
            where.append("i.seller_nip = ?")
            params.append(context_value)
        elif subject == "Subject2":
            where.append("i.buyer_value = ?")
            params.append(context_value)
        else:
            where.append(
                "i.ksef_number IN (SELECT ksef_number FROM invoice_party WHERE subject_type = ? AND identifier = ?)"
            )
            params += [subject, context_value]
        column = _DATE_COLUMNS[rng.date_type]
        if rng.date_type == "Issue":
            where.append("i.issue_date >= ? AND i.issue_date <= ?")
            params += [start.astimezone(WARSAW).date().isoformat(), end.astimezone(WARSAW).date().isoformat()]
        else:
            where.append(f"i.{column} >= ? AND i.{column} <= ?")
            params += [to_us(start), to_us(end)]
        if filters.ksef_number:
            where.append("i.ksef_number = ?")
            params.append(filters.ksef_number)
        if filters.invoice_number:
            where.append("i.invoice_number = ?")
            params.append(filters.invoice_number)
        if filters.amount is not None:
            amount_column = {"Brutto": "gross", "Netto": "net", "Vat": "vat"}[filters.amount.type]
            if filters.amount.from_ is not None:
                where.append(f"i.{amount_column} >= ?")
                params.append(filters.amount.from_)
            if filters.amount.to is not None:
                where.append(f"i.{amount_column} <= ?")
                params.append(filters.amount.to)
        if filters.seller_nip:
            where.append("i.seller_nip = ?")
            params.append(filters.seller_nip)
        if filters.buyer_identifier is not None:
            where.append("i.buyer_type = ?")
            params.append(filters.buyer_identifier.type)
            if filters.buyer_identifier.value:
                where.append("i.buyer_value = ?")
                params.append(filters.buyer_identifier.value)
        if filters.currency_codes:
            where.append(f"i.currency IN ({','.join('?' * len(filters.currency_codes))})")
            params += filters.currency_codes
        if filters.invoicing_mode:
            where.append("i.mode = ?")
            params.append(filters.invoicing_mode)
        if filters.is_self_invoicing is not None:
            where.append("i.self_invoicing = ?")
            params.append(int(filters.is_self_invoicing))
        if filters.form_type:
            where.append("i.form_value = ?")
            params.append(filters.form_type)
        if filters.invoice_types:
            where.append(f"i.invoice_type IN ({','.join('?' * len(filters.invoice_types))})")
            params += filters.invoice_types
        if filters.has_attachment is not None:
            where.append("i.has_attachment = ?")
            params.append(int(filters.has_attachment))
        return QueryPlan(" AND ".join(where), params, column, hwm, rng.date_type)

    def select(
        self,
        plan: QueryPlan,
        *,
        descending: bool = False,
        offset: int = 0,
        limit: int = 10,
        columns: str = "i.meta",
    ) -> list[sqlite3.Row]:
        direction = "DESC" if descending else "ASC"
        order = f"i.{plan.order_column} {direction}"
        if plan.order_column == "issue_date":
            order += f", i.storage_us {direction}"
        sql = (
            f"SELECT {columns} FROM invoice i WHERE {plan.where} ORDER BY {order}, i.seq {direction}"  # noqa: S608 - fixed columns
            " LIMIT ? OFFSET ?"
        )
        return self.db.execute(sql, [*plan.params, limit, offset]).fetchall()

    def query_page(
        self, plan: QueryPlan, *, page_offset: int, page_size: int, descending: bool
    ) -> tuple[list[str], bool, bool]:
        """(invoices as stored JSON texts, hasMore, isTruncated) for one page under the record cap."""
        cap = self.query_cap
        start = page_offset * page_size
        if start >= cap:
            beyond = self.select(plan, descending=descending, offset=cap, limit=1, columns="1")
            return [], bool(beyond), bool(beyond)
        end = min(start + page_size, cap)
        rows = self.select(plan, descending=descending, offset=start, limit=end - start + 1)
        more = len(rows) > end - start
        return [row[0] for row in rows[: end - start]], more, more and end == cap


# ---------------------------------------------------------------------------------------------
# routes


def routes(emu: Emulator) -> list[BaseRoute]:
    store = emu.invoices

    async def query_metadata(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=INVOICE_READ)
        emu.limits.check(request, ctx, "invoiceMetadata")
        page_offset = query_int(request, "pageOffset", 0, 0)
        page_size = query_int(request, "pageSize", 10, 10, 250)
        sort_order = request.query_params.get("sortOrder", "Asc")
        if sort_order not in ("Asc", "Desc"):
            raise validation_error([f"sortOrder: niedozwolona wartość '{sort_order}'."], request=request)
        filters = await read_body(request, QueryFilters)
        plan = store.plan(filters, ctx.context_value, request)
        invoices, has_more, truncated = store.query_page(
            plan, page_offset=page_offset, page_size=page_size, descending=sort_order == "Desc"
        )
        head = json.dumps(
            {
                "hasMore": has_more,
                "isTruncated": truncated,
                "permanentStorageHwmDate": iso_ms(plan.hwm) if plan.hwm else None,
            }
        )
        # The stored metadata is already compact JSON: splice it instead of decoding and re-encoding.
        body = f'{head[:-1]},"invoices":[{",".join(invoices)}]}}'
        return Response(body.encode("utf-8"), media_type="application/json")

    async def download(request: Request) -> Response:
        ctx = await emu.authorize(request, any_of=INVOICE_READ)
        emu.limits.check(request, ctx, "invoiceDownload")
        number = request.path_params["ksefNumber"]
        if not KSEF_NUMBER_PATTERN.match(number):
            raise validation_error(
                [f"ksefNumber: '{number}' nie jest prawidłowym numerem KSeF."], request=request
            )
        found = store.get(number)
        if found is None or not store.visible_to(number, ctx.context_value):
            raise bad_request(
                21164,
                "Faktura o podanym identyfikatorze nie istnieje.",
                [f"Faktura o numerze KSeF {number} nie została znaleziona."],
                request=request,
            )
        meta, xml = found
        if datetime.fromisoformat(meta["permanentStorageDate"]) > emu.clock.now():
            raise bad_request(
                21165,
                "Faktura o podanym numerze KSeF nie jest jeszcze dostępna.",
                [
                    f"Faktura o numerze KSeF {number} została przetworzona, ale nie jest jeszcze dostępna do "
                    "pobrania. Spróbuj ponownie później."
                ],
                request=request,
            )
        return Response(xml, media_type="application/xml", headers={"x-ms-meta-hash": b64_sha256(xml)})

    return [
        Route("/invoices/query/metadata", query_metadata, methods=["POST"]),
        Route("/invoices/ksef/{ksefNumber}", download, methods=["GET"]),
    ]


def chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
