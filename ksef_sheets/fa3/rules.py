"""Business rules beyond the XSD: what an accountant checks on an FA(3) invoice.

Each rule yields ``Problem``s with a stable code, a severity (``error``: the invoice is wrong and
must not be booked or sent as is; ``warning``: suspicious, a person should look), a Polish message,
the element path and the line. Rules read the parsed tree, never the raw text, and tolerate
missing or malformed parts (the XSD reports those), so they never crash on odd input.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from operator import mul

from lxml import etree

from ksef_sheets.fa3.problems import Problem, Severity
from ksef_sheets.fa3.rates import BUCKETS, RATE_CODES
from ksef_sheets.fa3.schema import element_path
from ksef_sheets.fa3.tree import Node, split_path, strip_text, to_decimal
from ksef_sheets.identifiers import is_valid_ksef_number

CORRECTIONS = frozenset({"KOR", "KOR_ZAL", "KOR_ROZ"})
MPP_THRESHOLD = Decimal(15000)
_EMPTY: list[etree._Element] = []


def _findall(node: Node | None, path: str) -> list[etree._Element]:
    """All elements along ``path`` (every branch, in document order), like ``Element.findall``."""
    if node is None:
        return _EMPTY
    parents, last = split_path(path)
    nodes = [node]
    for name in parents:
        nodes = [k for n in nodes for k in n.all(name)]
    if len(nodes) == 1:
        return nodes[0].elements(last)
    return [k for n in nodes for k in n.elements(last)]


def _problem(code: str, severity: Severity, message: str, el: etree._Element | None) -> Problem:
    # The path and line are worked out only here, for the few elements that have a problem.
    if el is None:
        return Problem(code, severity, message)
    return Problem(code, severity, message, element_path(el), el.sourceline)


_BUCKET_FIELDS = frozenset(
    name for b in BUCKETS for name in (b.net_field, b.vat_field, b.vat_pln_field) if name is not None
)


def _pl(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


class _Fa:
    """What several rules need from ``Fa``, looked up once per invoice."""

    __slots__ = ("kind", "node", "present", "rows", "texts")

    def __init__(self, fa: Node) -> None:
        self.node = fa
        self.texts = fa.texts
        self.kind = self.texts.get("RodzajFaktury") or ""
        # Names of the summary fields the invoice has (a net field comes with its VAT field).
        self.present = _BUCKET_FIELDS.intersection(fa.kids)
        self.rows = fa.all("FaWiersz")


def check_rules(root: etree._Element | Node) -> list[Problem]:
    if not isinstance(root, Node):
        root = Node(root)
    problems: list[Problem] = list(_nips(root))
    fa_node = root.child("Fa")
    if fa_node is None:
        return problems
    fa = _Fa(fa_node)
    for rule in (_vat_rates, _total, _lines, _payment_dates, _bank_accounts, _currency, _annotations):
        problems.extend(rule(fa))
    problems.extend(_third_party_flags(root))
    problems.extend(_correction(fa))
    return problems


_NIP_PLACES = (
    ("Podmiot1", "sprzedawcy (Podmiot1)"),
    ("Podmiot2", "nabywcy (Podmiot2)"),
    ("Podmiot3", "podmiotu trzeciego (Podmiot3)"),
    ("PodmiotUpowazniony", "podmiotu upoważnionego"),
)


_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def nip_checksum_wrong(value: str) -> bool:
    """``identifiers.nip_check_digit`` for ten digits, without a generator (it runs per party)."""
    total = sum(map(mul, map(int, value[:9]), _NIP_WEIGHTS)) % 11
    return total == 10 or total != int(value[9])


def _nips(root: Node) -> Iterator[Problem]:
    for section, who in _NIP_PLACES:
        for party in root.all(section):
            for ids in party.all("DaneIdentyfikacyjne"):
                for el in ids.elements("NIP"):
                    value = strip_text(el.text)
                    if value and len(value) == 10 and value.isdigit() and nip_checksum_wrong(value):
                        yield _problem(
                            "NIP_CHECKSUM", "error", f"NIP {who} {value} ma błędną cyfrę kontrolną.", el
                        )


def _rows_per_bucket(fa: _Fa) -> dict[str, int]:
    per_bucket: dict[str, int] = {}
    for row in fa.rows:
        code = RATE_CODES.get(row.texts.get("P_12") or "")
        if code is not None:
            per_bucket[code[0]] = per_bucket.get(code[0], 0) + 1
    return per_bucket


_CENT = Decimal("0.01")
_TWO_CENTS = Decimal("0.02")
OSS_MAX = Decimal("0.27")


def _vat_rates(fa: _Fa) -> Iterator[Problem]:
    texts = fa.texts
    per_bucket: dict[str, int] | None = None
    for bucket in BUCKETS:
        if bucket.vat_field is None or bucket.net_field not in fa.present:
            continue
        net, vat = to_decimal(texts.get(bucket.net_field)), to_decimal(texts.get(bucket.vat_field))
        if net is None or vat is None:
            continue
        if not bucket.rates:  # OSS: the rate of the consumer's country, at most 27% in the EU
            if abs(vat) > abs(net) * OSS_MAX + _CENT:
                yield _problem(
                    "VAT_RATE_MISMATCH",
                    "warning",
                    f"Podatek {bucket.vat_field} = {_pl(vat)} przekracza 27% netto {bucket.net_field} = {_pl(net)} "
                    "(najwyższa stawka w UE).",
                    fa.node.first(bucket.vat_field),
                )
            continue
        expected = [net * pct / 100 for pct in bucket.rates]
        # Per-line rounding may move the sum by up to a grosz per line, and never less than two
        # grosze: the lines are counted only when the difference is larger than that.
        gap = min(abs(vat - e) for e in expected)
        if gap <= _TWO_CENTS:
            continue
        if per_bucket is None:
            per_bucket = _rows_per_bucket(fa)
        if gap > _CENT * max(2, per_bucket.get(bucket.key, 0)):
            pct_text = " albo ".join(f"{p}%" for p in bucket.rates)
            yield _problem(
                "VAT_RATE_MISMATCH",
                "error",
                f"Kwota podatku {bucket.vat_field} = {_pl(vat)} nie odpowiada stawce {pct_text} od netto "
                f"{bucket.net_field} = {_pl(net)} (oczekiwano ok. {_pl(expected[0])}).",
                fa.node.first(bucket.vat_field),
            )


def _total(fa: _Fa) -> Iterator[Problem]:
    texts = fa.texts
    p15 = to_decimal(texts.get("P_15"))
    if p15 is None:
        return
    parts: list[Decimal] = []
    present = fa.present
    for bucket in BUCKETS:
        if bucket.net_field not in present:
            continue
        for name in (bucket.net_field, bucket.vat_field):
            if name:
                value = to_decimal(texts.get(name))
                if value is not None:
                    parts.append(value)
    if not parts:
        return
    expected = sum(parts, Decimal(0))
    if abs(p15 - expected) > Decimal("0.01"):
        yield _problem(
            "TOTAL_MISMATCH",
            "error",
            f"Kwota należności ogółem P_15 = {_pl(p15)} nie równa się sumie kwot netto i podatku (P_13_x + P_14_x) "
            f"= {_pl(expected)}.",
            fa.node.first("P_15"),
        )


def _lines(fa: _Fa) -> Iterator[Problem]:
    kind = fa.kind
    if kind in CORRECTIONS:  # every check below applies outside corrections only
        return
    seen: dict[str, etree._Element] = {}
    for row in fa.rows:
        texts = row.texts
        nr = texts.get("NrWierszaFa")
        if nr is not None:
            if nr in seen:
                yield _problem(
                    "LINE_NUMBER_DUPLICATE",
                    "error",
                    f"Numer wiersza NrWierszaFa = {nr} powtarza się (pierwszy raz w wierszu pliku {seen[nr].sourceline}); "
                    "numery pozycji muszą być unikalne poza fakturą korygującą.",
                    row.first("NrWierszaFa"),
                )
            else:
                seen[nr] = row.first("NrWierszaFa")
        qty = to_decimal(texts.get("P_8B"))
        if qty is not None and qty < 0:
            yield _problem(
                "NEGATIVE_QUANTITY",
                "error",
                f"Ujemna ilość P_8B = {qty} w pozycji {nr or '?'} jest dozwolona tylko w fakturze korygującej.",
                row.first("P_8B"),
            )
        if texts.get("StanPrzed") == "1":
            yield _problem(
                "STAN_PRZED_OUTSIDE_CORRECTION",
                "warning",
                f"Pozycja {nr or '?'} ma znacznik StanPrzed, choć faktura nie jest korektą ({kind}).",
                row.first("StanPrzed"),
            )


DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


def _payment_dates(fa: _Fa) -> Iterator[Problem]:
    issued = fa.texts.get("P_1")
    if not issued or len(issued) != 10 or DATE_PATTERN.fullmatch(issued) is None:
        return
    if "Platnosc" not in fa.texts:
        return
    for el in _findall(fa.node, "Platnosc/TerminPlatnosci/Termin"):
        due = strip_text(el.text)
        if due and due < issued and DATE_PATTERN.fullmatch(due):
            yield _problem(
                "PAYMENT_DUE_BEFORE_ISSUE",
                "error",
                f"Termin płatności {due} jest wcześniejszy niż data wystawienia faktury P_1 = {issued}.",
                el,
            )


_IBAN_LETTERS = {ord(ch): str(ord(ch) - 55) for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def nrb_is_valid(number: str) -> bool:
    """Polish NRB (26 digits, optionally with ``PL``) or any IBAN: the ISO 7064 mod-97 check."""
    cleaned = _BANK_SPACES.sub("", number).upper()
    if _NRB_DIGITS.fullmatch(cleaned):
        cleaned = "PL" + cleaned
    if not _IBAN.fullmatch(cleaned):
        return False
    moved = cleaned[4:] + cleaned[:4]
    return int(moved.translate(_IBAN_LETTERS)) % 97 == 1


_BANK_SPACES = re.compile(r"[\s-]")
_POLISH_NRB = re.compile(r"(PL)?\d{26}")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}")
_NRB_DIGITS = re.compile(r"\d{26}")
_DIGITS = re.compile(r"\d+")


def _mod97_ok(iban: str) -> bool:
    """The ISO 7064 mod-97 check of an IBAN already cleaned and upper-case."""
    return int((iban[4:] + iban[:4]).translate(_IBAN_LETTERS)) % 97 == 1


def _bank_accounts(fa: _Fa) -> Iterator[Problem]:
    if "Platnosc" not in fa.texts:
        return
    payments = fa.node.all("Platnosc")
    for account_kind in ("RachunekBankowy", "RachunekBankowyFaktora"):
        for payment in payments:
            for account in payment.all(account_kind):
                for el in account.elements("NrRB"):
                    yield from _bank_account(el)


def account_fault(value: str) -> str | None:
    """What is wrong with a bank account number: ``"nrb"`` (a Polish NRB with wrong check digits),
    ``"iban"`` (an IBAN with wrong check digits), ``"digits"`` (digits, but not 26) or ``None``."""
    cleaned = _BANK_SPACES.sub("", value).upper()
    if _POLISH_NRB.fullmatch(cleaned) is not None:
        return None if _mod97_ok(cleaned if cleaned.startswith("PL") else "PL" + cleaned) else "nrb"
    if _IBAN.fullmatch(cleaned):
        return None if _mod97_ok(cleaned) else "iban"
    return "digits" if _DIGITS.fullmatch(cleaned) else None


def _bank_account(el: etree._Element) -> Iterator[Problem]:
    value = strip_text(el.text)
    if not value:
        return
    fault = account_fault(value)
    if fault == "nrb":
        yield _problem(
            "BANK_ACCOUNT_CHECKSUM",
            "error",
            f"Numer rachunku {value} ma błędne cyfry kontrolne (NRB, kontrola modulo 97).",
            el,
        )
    elif fault == "iban":
        yield _problem(
            "BANK_ACCOUNT_CHECKSUM",
            "warning",
            f"Numer rachunku {value} wygląda na IBAN, ale ma błędne cyfry kontrolne.",
            el,
        )
    elif fault == "digits":
        cleaned = _BANK_SPACES.sub("", value).upper()
        yield _problem(
            "BANK_ACCOUNT_FORMAT",
            "warning",
            f"Numer rachunku {value} ma {len(cleaned)} cyfr; polski numer rachunku (NRB) ma 26 cyfr.",
            el,
        )


def _currency(fa: _Fa) -> Iterator[Problem]:
    texts = fa.texts
    currency = texts.get("KodWaluty") or "PLN"
    present = fa.present
    for bucket in BUCKETS:
        if not bucket.vat_pln_field or not bucket.vat_field:
            continue
        if bucket.vat_field not in present and bucket.vat_pln_field not in present:
            continue
        vat = to_decimal(texts.get(bucket.vat_field))
        w_present = bucket.vat_pln_field in texts
        if currency != "PLN" and vat is not None and vat != 0 and not w_present:
            yield _problem(
                "PLN_VAT_MISSING",
                "error",
                f"Faktura w walucie {currency} musi podawać podatek w złotych ({bucket.vat_pln_field}) obok {bucket.vat_field}.",
                fa.node.first(bucket.vat_field),
            )
        if currency == "PLN" and w_present:
            yield _problem(
                "PLN_VAT_UNEXPECTED",
                "warning",
                f"Pole {bucket.vat_pln_field} (podatek przeliczony na złote) występuje na fakturze w PLN.",
                fa.node.first(bucket.vat_pln_field),
            )


def _pln_total(fa: _Fa) -> Decimal | None:
    texts = fa.texts
    p15 = to_decimal(texts.get("P_15"))
    if p15 is None:
        return None
    if (texts.get("KodWaluty") or "PLN") == "PLN":
        return p15
    rate = to_decimal(texts.get("KursWalutyZ"))
    if rate is None:
        rates = [r for r in (to_decimal(row.texts.get("KursWaluty")) for row in fa.rows) if r]
        rate = max(rates) if rates else None
    return p15 * rate if rate else None


def _annotations(fa: _Fa) -> Iterator[Problem]:
    adn = fa.node.child("Adnotacje")
    if adn is None:
        return
    kind = fa.kind
    adn_texts = adn.texts
    p18a = adn_texts.get("P_18A")
    # The PLN total and the Annex 15 scan are needed only when MPP is marked or Annex 15 lines exist.
    annex15 = p18a == "2" and any(row.texts.get("P_12_Zal_15") == "1" for row in fa.rows)
    pln = _pln_total(fa) if p18a == "1" or annex15 else None
    if p18a == "1" and pln is not None and kind not in CORRECTIONS and abs(pln) <= MPP_THRESHOLD:
        yield _problem(
            "SPLIT_PAYMENT_BELOW_THRESHOLD",
            "warning",
            f"Oznaczenie „mechanizm podzielonej płatności” (P_18A = 1) przy należności {_pl(pln)} zł — "
            "obowiązek dotyczy kwot powyżej 15 000 zł.",
            adn.first("P_18A"),
        )
    if p18a == "2" and annex15 and pln is not None and pln > MPP_THRESHOLD and kind not in CORRECTIONS:
        yield _problem(
            "SPLIT_PAYMENT_MISSING",
            "error",
            f"Faktura na {_pl(pln)} zł obejmuje towary lub usługi z załącznika nr 15, "
            "a nie ma oznaczenia „mechanizm podzielonej płatności” (P_18A = 1).",
            adn.first("P_18A"),
        )
    p13_10 = to_decimal(fa.texts.get("P_13_10"))
    if p13_10 and adn_texts.get("P_18") == "2":
        yield _problem(
            "REVERSE_CHARGE_MARK_MISSING",
            "warning",
            "Faktura ma sprzedaż w odwrotnym obciążeniu (P_13_10), a brak oznaczenia „odwrotne obciążenie” (P_18 = 1).",
            adn.first("P_18"),
        )
    if to_decimal(fa.texts.get("P_13_7")) and adn.get("Zwolnienie/P_19N") is not None:
        yield _problem(
            "EXEMPTION_BASIS_MISSING",
            "error",
            "Faktura ma sprzedaż zwolnioną (P_13_7), a nie podaje podstawy zwolnienia (Zwolnienie/P_19 z P_19A, P_19B albo P_19C).",
            fa.node.first("P_13_7"),
        )


def _third_party_flags(root: Node) -> Iterator[Problem]:
    p2 = root.child("Podmiot2")
    if p2 is None:
        return
    p2_texts = p2.texts
    roles: set[str | None] | None = None
    for flag, role, who in (("JST", "8", "jednostki podrzędnej JST"), ("GV", "10", "członka grupy VAT")):
        if p2_texts.get(flag) != "1":
            continue
        if roles is None:
            roles = {p3.texts.get("Rola") for p3 in root.all("Podmiot3")}
        if role not in roles:
            yield _problem(
                f"{flag}_WITHOUT_PODMIOT3",
                "error",
                f"Znacznik {flag} = 1 (faktura dotyczy {who}) wymaga Podmiotu3 w roli {role}.",
                p2.first(flag),
            )


def _correction(fa: _Fa) -> Iterator[Problem]:
    kind = fa.kind
    if kind not in CORRECTIONS:
        return
    kind_el = fa.node.first("RodzajFaktury")
    texts = fa.texts
    if "DaneFaKorygowanej" not in texts:
        yield _problem(
            "CORRECTION_REFERENCE_MISSING",
            "error",
            f"Faktura korygująca ({kind}) musi wskazywać fakturę korygowaną (DaneFaKorygowanej).",
            kind_el,
        )
    if "TypKorekty" not in texts:
        yield _problem(
            "CORRECTION_TYPE_MISSING",
            "warning",
            "Brak typu korekty (TypKorekty 1/2/3) — trzeba ustalić okres ujęcia korekty w JPK.",
            kind_el,
        )
    for el in _findall(fa.node, "DaneFaKorygowanej/NrKSeFFaKorygowanej"):
        value = strip_text(el.text)
        if value and not is_valid_ksef_number(value):
            yield _problem(
                "KSEF_NUMBER_CHECKSUM",
                "warning",
                f"Numer KSeF faktury korygowanej {value} ma błędną sumę kontrolną.",
                el,
            )
