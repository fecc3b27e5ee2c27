"""From the entry table's rows to FA(3) XML: one ``PendingInvoice`` per invoice number.

Each cell is checked on its own first, so a problem is reported with the file, the sheet row and the
column header; then the invoice is assembled (``SalesInvoice.from_data``) and built
(``build_invoice_xml``, XSD + business rules). A bad invoice carries its Polish ``error`` and is not
sent; the others are. Values that are the same for the whole invoice (dates, buyer, currency,
payment) may be typed in its first row only; a different value in a later row is an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ksef_sheets.errors import UserError
from ksef_sheets.fa3 import EU_COUNTRY_CODES, RATE_CODES, SalesInvoice, build_invoice_xml, parse_invoice
from ksef_sheets.identifiers import nip_problem, normalize_nip
from ksef_sheets.send import entry_columns as E
from ksef_sheets.send.model import PendingInvoice

# EU member states whose buyers are identified by a VAT-EU number (a Polish buyer has a NIP).
_EU = EU_COUNTRY_CODES - {"PL"}
INVOICE_LEVEL = (
    E.H_ISSUED,
    E.H_SOLD,
    E.H_BUYER_NIP,
    E.H_BUYER_NAME,
    E.H_BUYER_ADDRESS,
    E.H_COUNTRY,
    E.H_CURRENCY,
    E.H_EXCHANGE,
    E.H_DUE,
    E.H_METHOD,
    E.H_ACCOUNT,
    E.H_SPLIT,
    E.H_EXEMPTION,
)


class CellProblem(Exception):
    def __init__(self, row: int, header: str, message: str) -> None:
        super().__init__(message)
        self.row, self.header, self.message = row, header, message


# --------------------------------------------------------------------------------------------
# Cells


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("to nie jest liczba")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    cleaned = re.sub(r"[\s\u00a0]", "", str(value)).replace(",", ".")
    try:
        result = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"„{text(value)}” nie jest liczbą") from None
    if not result.is_finite():
        raise ValueError(f"„{text(value)}” nie jest liczbą")
    return result


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"„{raw}” nie jest datą (RRRR-MM-DD)")


def parse_rate(value: Any) -> str:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if 0 < number < 1:  # a cell formatted as percent: 0.23
            number *= 100
        raw = format(number.normalize(), "f")
    else:
        raw = text(value).replace("%", "").strip()
    aliases = {
        "0": "0 KR",
        "np": "np I",
        "ZW": "zw",
        "OO": "oo",
        "NP": "np I",
        "NP I": "np I",
        "NP II": "np II",
    }
    code = aliases.get(raw, aliases.get(raw.upper(), raw))
    if code in RATE_CODES:
        return code
    raise ValueError(f"stawka „{text(value)}” jest nieznana; dozwolone: {', '.join(E.RATE_CHOICES)}")


def parse_method(value: Any) -> int:
    raw = text(value).lower()
    if raw in E.PAYMENT_METHODS:
        return E.PAYMENT_METHODS[raw]
    if raw.isdigit() and 1 <= int(raw) <= 7:
        return int(raw)
    raise ValueError(f"„{text(value)}” nie jest formą płatności; dozwolone: {', '.join(E.PAYMENT_METHODS)}")


def parse_yes(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in ("tak", "t", "1", "x", "true", "yes"):
        return True
    if raw in ("nie", "n", "0", "false", "no", ""):
        return False
    raise ValueError(f"„{text(value)}” — wpisz Tak albo Nie")


def _cell(row_no: int, row: dict[str, Any], header: str, parse: Any) -> Any:
    value = row.get(header)
    if _blank(value):
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise CellProblem(row_no, header, str(exc)) from None


# --------------------------------------------------------------------------------------------
# Invoices


def group_rows(
    rows: Sequence[tuple[int, dict[str, Any]]],
) -> list[tuple[str, list[tuple[int, dict[str, Any]]]]]:
    """Rows grouped by invoice number, in order of first appearance; rows without a number keep ""."""
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for row_no, row in rows:
        groups.setdefault(text(row.get(E.H_NUMBER)), []).append((row_no, row))
    return list(groups.items())


def invoices_from_sheet(
    sheet: E.EntrySheet, *, seller_nip: str, seller_name: str, seller_address: str
) -> list[PendingInvoice]:
    """Every pending invoice of the entry workbook, built and validated (or carrying its error)."""
    name = sheet.path.name
    result: list[PendingInvoice] = []
    for number, rows in group_rows(E.pending_rows(sheet)):
        numbers = tuple(r for r, _ in rows)
        if not number:
            for row_no, _ in rows:
                result.append(
                    PendingInvoice(
                        number="",
                        source=f"{name}, wiersz {row_no}",
                        origin="arkusz",
                        rows=(row_no,),
                        error=f"{name}, wiersz {row_no}, kolumna „{E.H_NUMBER}”: brak numeru faktury.",
                    )
                )
            continue
        pending = PendingInvoice(
            number=number, source=f"{name}, {E.row_range(numbers)}", origin="arkusz", rows=numbers
        )
        try:
            invoice = invoice_from_rows(
                number,
                rows,
                seller_nip=seller_nip,
                seller_name=seller_name or sheet.seller_name,
                seller_address=seller_address or sheet.seller_address,
                seller_account=sheet.seller_account,
                where=name,
            )
            pending.xml = build_invoice_xml(invoice)
            pending.issue_date = invoice.issue_date
            pending.currency = invoice.currency
            pending.buyer = invoice.buyer.name if invoice.buyer else ""
            parsed = parse_invoice(pending.xml, source=number)
            pending.gross = parsed.total_text
        except CellProblem as exc:
            pending.error = f"{name}, wiersz {exc.row}, kolumna „{exc.header}”: {exc.message}."
        except UserError as exc:
            pending.error = f"{name}, faktura {number} ({E.row_range(numbers)}): {exc.message}"
        result.append(pending)
    return result


def invoice_from_rows(
    number: str,
    rows: Sequence[tuple[int, dict[str, Any]]],
    *,
    seller_nip: str,
    seller_name: str,
    seller_address: str,
    seller_account: str,
    where: str,
) -> SalesInvoice:
    """One ``SalesInvoice`` from the rows of one invoice number; ``CellProblem``/``UserError`` on bad input."""
    first_no, _first = rows[0]
    head, origin = _invoice_head(number, rows)

    def head_value(header: str, parse: Any) -> Any:
        return _cell(origin[header], head, header, parse)

    issue = head_value(E.H_ISSUED, parse_date)
    if issue is None:
        raise CellProblem(first_no, E.H_ISSUED, "brak daty wystawienia")
    sold = head_value(E.H_SOLD, parse_date)
    currency, exchange = _currency(head_value, origin)
    buyer = _buyer(head, origin)
    payment = _payment(head_value, origin, seller_account)
    lines = [_line(row_no, row) for row_no, row in rows]
    data: dict[str, Any] = {
        "number": number,
        "issue_date": issue,
        "sale_date": sold,
        "seller": {
            "name": seller_name,
            "nip": seller_nip,
            "address1": seller_address,
            "bank_account": seller_account or None,
        },
        "buyer": buyer,
        "currency": currency,
        "exchange_rate": exchange,
        "lines": lines,
        "payment": payment,
        "split_payment": bool(head_value(E.H_SPLIT, parse_yes)),
        "exemption_basis": head_value(E.H_EXEMPTION, text) or None,
    }
    if not seller_name:
        raise UserError(f"podaj nazwę sprzedawcy w komórce „Sprzedawca (nazwa)” nad tabelą ({where}).")
    if not seller_address:
        raise UserError(f"podaj adres sprzedawcy w komórce „Adres sprzedawcy” nad tabelą ({where}).")
    if not data["seller"]["bank_account"] or len(str(data["seller"]["bank_account"])) < 10:
        data["seller"]["bank_account"] = None
    return SalesInvoice.from_data(data, source=number)


def _invoice_head(
    number: str, rows: Sequence[tuple[int, dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The invoice-level values (from whichever row has them; rows must agree) and their rows."""
    first_no, _first = rows[0]
    head: dict[str, Any] = {}
    for header in INVOICE_LEVEL:
        origin_row = None
        for row_no, row in rows:
            value = row.get(header)
            if _blank(value):
                continue
            if origin_row is None:
                head[header], origin_row = value, row_no
            elif text(value) != text(head[header]) and value != head[header]:
                raise CellProblem(
                    row_no,
                    header,
                    f"wartość „{text(value)}” różni się od wiersza {origin_row} tej samej faktury {number}",
                )
    origin = {h: next((r for r, row in rows if not _blank(row.get(h))), first_no) for h in INVOICE_LEVEL}
    return head, origin


def _currency(head_value: Any, origin: dict[str, int]) -> tuple[str, Decimal | None]:
    currency = (head_value(E.H_CURRENCY, text) or "PLN").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise CellProblem(
            origin[E.H_CURRENCY], E.H_CURRENCY, f"„{currency}” nie jest kodem waluty (np. PLN, EUR)"
        )
    exchange = head_value(E.H_EXCHANGE, parse_decimal)
    if currency != "PLN" and exchange is None:
        raise CellProblem(
            origin[E.H_EXCHANGE], E.H_EXCHANGE, f"faktura w walucie {currency} wymaga kursu waluty (NBP)"
        )
    if exchange is not None and exchange <= 0:
        raise CellProblem(origin[E.H_EXCHANGE], E.H_EXCHANGE, "kurs musi być większy od zera")
    return currency, exchange


def _payment(head_value: Any, origin: dict[str, int], seller_account: str) -> dict[str, Any] | None:
    due = head_value(E.H_DUE, parse_date)
    method = head_value(E.H_METHOD, parse_method)
    account = head_value(E.H_ACCOUNT, text) or None
    if account is None and method == 6 and seller_account:
        account = seller_account
    if account is not None:
        account = re.sub(r"[\s\-]", "", account)
        if not 10 <= len(account) <= 34:
            raise CellProblem(origin[E.H_ACCOUNT], E.H_ACCOUNT, "numer rachunku musi mieć od 10 do 34 znaków")
    if due or method or account:
        return {"due_date": due, "method": method, "bank_account": account}
    return None


def _line(row_no: int, row: dict[str, Any]) -> dict[str, Any]:
    item = text(row.get(E.H_ITEM))
    if not item:
        raise CellProblem(row_no, E.H_ITEM, "brak opisu towaru lub usługi")
    price = _cell(row_no, row, E.H_PRICE, parse_decimal)
    if price is None:
        raise CellProblem(row_no, E.H_PRICE, "brak ceny netto")
    quantity = _cell(row_no, row, E.H_QUANTITY, parse_decimal)
    if quantity is not None and quantity <= 0:
        raise CellProblem(row_no, E.H_QUANTITY, "ilość musi być większa od zera")
    rate = _cell(row_no, row, E.H_RATE, parse_rate)
    if rate is None:
        raise CellProblem(row_no, E.H_RATE, "brak stawki VAT")
    if len(item) > 512:
        raise CellProblem(row_no, E.H_ITEM, "opis jest dłuższy niż 512 znaków")
    return {
        "name": item,
        "quantity": quantity if quantity is not None else Decimal(1),
        "unit": text(row.get(E.H_UNIT)) or None,
        "unit_price": price,
        "rate": rate,
    }


def _buyer(head: dict[str, Any], origin: dict[str, int]) -> dict[str, Any] | None:
    raw_id = text(head.get(E.H_BUYER_NIP))
    name = text(head.get(E.H_BUYER_NAME))
    address = text(head.get(E.H_BUYER_ADDRESS))
    country = text(head.get(E.H_COUNTRY)).upper() or "PL"
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise CellProblem(origin[E.H_COUNTRY], E.H_COUNTRY, f"„{country}” nie jest dwuliterowym kodem kraju")
    if not raw_id and not name:
        return None  # a consumer without data (BrakID)
    buyer: dict[str, Any] = {"name": name, "address1": address, "country": country}
    if not name:
        raise CellProblem(origin[E.H_BUYER_NIP], E.H_BUYER_NAME, "podaj nazwę nabywcy")
    if raw_id and country == "PL":
        problem = nip_problem(raw_id)
        if problem:
            raise CellProblem(origin[E.H_BUYER_NIP], E.H_BUYER_NIP, problem.rstrip("."))
        buyer["nip"] = normalize_nip(raw_id)
    elif raw_id and country in _EU:
        vat = re.sub(r"[\s\-.]", "", raw_id).upper()
        if vat.startswith(country):
            vat = vat[len(country) :]
        if not re.fullmatch(r"[0-9A-Z+*]{1,12}", vat):
            raise CellProblem(origin[E.H_BUYER_NIP], E.H_BUYER_NIP, f"„{raw_id}” nie jest numerem VAT UE")
        buyer.update(eu_code=country, eu_vat=vat)
    elif raw_id:
        buyer["tax_id"] = raw_id
    return buyer
