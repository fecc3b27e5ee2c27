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

from lxml import etree

from ksef_sheets.fa3.problems import Problem, Severity
from ksef_sheets.fa3.rates import BUCKETS, RATE_CODES
from ksef_sheets.fa3.safe_xml import NS
from ksef_sheets.fa3.schema import element_path
from ksef_sheets.fa3.tree import Node, to_decimal
from ksef_sheets.identifiers import is_valid_ksef_number, nip_check_digit

T = f"{{{NS}}}"
CORRECTIONS = frozenset({"KOR", "KOR_ZAL", "KOR_ROZ"})
MPP_THRESHOLD = Decimal(15000)


def _find(node: Node | None, path: str) -> Node | None:
    return node.get(path) if node is not None else None


def _findall(node: Node | None, path: str) -> list[Node]:
    if node is None:
        return []
    *parents, last = path.split("/")
    nodes = [node]
    for name in parents:
        nodes = [k for n in nodes for k in n.all(name)]
    return [k for n in nodes for k in n.all(last)]


def _text(node: Node | None) -> str | None:
    return node.text if node is not None else None


def _dec(node: Node | None) -> Decimal | None:
    return to_decimal(node.text) if node is not None else None


def _problem(code: str, severity: Severity, message: str, node: Node | None) -> Problem:
    if node is None:
        return Problem(code, severity, message)
    return Problem(code, severity, message, element_path(node.el), node.el.sourceline)


_BUCKET_FIELDS = frozenset(
    name for b in BUCKETS for name in (b.net_field, b.vat_field, b.vat_pln_field) if name is not None
)


def _present(fa: Node) -> set[str]:
    """Names of the summary fields the invoice has (a net field comes with its VAT field)."""
    prefix_len = len(fa.el.tag) - 2  # "{ns}Fa" -> len("{ns}")
    names = {tag[prefix_len:] for tag in fa.kids}
    return names & _BUCKET_FIELDS


def _pl(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def check_rules(root: etree._Element | Node) -> list[Problem]:
    if not isinstance(root, Node):
        root = Node(root)
    fa = _find(root, "Fa")
    problems: list[Problem] = []
    problems.extend(_nips(root))
    if fa is None:
        return problems
    kind = _text(_find(fa, "RodzajFaktury")) or ""
    for rule in (_vat_rates, _total, _lines, _payment_dates, _bank_accounts, _currency, _annotations):
        problems.extend(rule(root, fa, kind))
    problems.extend(_third_party_flags(root))
    problems.extend(_correction(fa, kind))
    return problems


def _nips(root: Node) -> Iterator[Problem]:
    for path, who in (
        ("Podmiot1/DaneIdentyfikacyjne/NIP", "sprzedawcy (Podmiot1)"),
        ("Podmiot2/DaneIdentyfikacyjne/NIP", "nabywcy (Podmiot2)"),
        ("Podmiot3/DaneIdentyfikacyjne/NIP", "podmiotu trzeciego (Podmiot3)"),
        ("PodmiotUpowazniony/DaneIdentyfikacyjne/NIP", "podmiotu upoważnionego"),
    ):
        for el in _findall(root, path):
            value = _text(el)
            if value and len(value) == 10 and value.isdigit() and nip_check_digit(value[:9]) != int(value[9]):
                yield _problem("NIP_CHECKSUM", "error", f"NIP {who} {value} ma błędną cyfrę kontrolną.", el)


def _vat_rates(root: Node, fa: Node, kind: str) -> Iterator[Problem]:
    per_bucket: dict[str, int] = {}
    for row in fa.all("FaWiersz"):
        code = RATE_CODES.get(row.s("P_12") or "")
        if code is not None:
            per_bucket[code[0]] = per_bucket.get(code[0], 0) + 1
    for bucket in BUCKETS:
        if bucket.vat_field is None or bucket.net_field not in _present(fa):
            continue
        net_el, vat_el = _find(fa, bucket.net_field), _find(fa, bucket.vat_field)
        net, vat = _dec(net_el), _dec(vat_el)
        if net is None or vat is None:
            continue
        if not bucket.rates:  # OSS: the rate of the consumer's country, at most 27% in the EU
            if abs(vat) > abs(net) * Decimal("0.27") + Decimal("0.01"):
                yield _problem(
                    "VAT_RATE_MISMATCH",
                    "warning",
                    f"Podatek {bucket.vat_field} = {_pl(vat)} przekracza 27% netto {bucket.net_field} = {_pl(net)} "
                    "(najwyższa stawka w UE).",
                    vat_el,
                )
            continue
        # Per-line rounding may move the sum by up to a grosz per line.
        tol = Decimal("0.01") * max(2, per_bucket.get(bucket.key, 0))
        expected = [net * pct / 100 for pct in bucket.rates]
        if all(abs(vat - e) > tol for e in expected):
            pct_text = " albo ".join(f"{p}%" for p in bucket.rates)
            yield _problem(
                "VAT_RATE_MISMATCH",
                "error",
                f"Kwota podatku {bucket.vat_field} = {_pl(vat)} nie odpowiada stawce {pct_text} od netto "
                f"{bucket.net_field} = {_pl(net)} (oczekiwano ok. {_pl(expected[0])}).",
                vat_el,
            )


def _total(root: Node, fa: Node, kind: str) -> Iterator[Problem]:
    p15_el = _find(fa, "P_15")
    p15 = _dec(p15_el)
    if p15 is None:
        return
    parts: list[Decimal] = []
    present = _present(fa)
    for bucket in BUCKETS:
        if bucket.net_field not in present:
            continue
        for name in (bucket.net_field, bucket.vat_field):
            if name:
                value = _dec(_find(fa, name))
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
            p15_el,
        )


def _lines(root: Node, fa: Node, kind: str) -> Iterator[Problem]:
    correction = kind in CORRECTIONS
    seen: dict[str, Node] = {}
    for row in _findall(fa, "FaWiersz"):
        nr_el = _find(row, "NrWierszaFa")
        nr = _text(nr_el)
        if not correction and nr is not None:
            if nr in seen:
                yield _problem(
                    "LINE_NUMBER_DUPLICATE",
                    "error",
                    f"Numer wiersza NrWierszaFa = {nr} powtarza się (pierwszy raz w wierszu pliku {seen[nr].line}); "
                    "numery pozycji muszą być unikalne poza fakturą korygującą.",
                    nr_el,
                )
            elif nr_el is not None:
                seen[nr] = nr_el
        qty_el = _find(row, "P_8B")
        qty = _dec(qty_el)
        if not correction and qty is not None and qty < 0:
            yield _problem(
                "NEGATIVE_QUANTITY",
                "error",
                f"Ujemna ilość P_8B = {qty} w pozycji {nr or '?'} jest dozwolona tylko w fakturze korygującej.",
                qty_el,
            )
        if not correction and _text(_find(row, "StanPrzed")) == "1":
            yield _problem(
                "STAN_PRZED_OUTSIDE_CORRECTION",
                "warning",
                f"Pozycja {nr or '?'} ma znacznik StanPrzed, choć faktura nie jest korektą ({kind}).",
                _find(row, "StanPrzed"),
            )


_date_pattern = re.compile(r"\d{4}-\d{2}-\d{2}")


def _payment_dates(root: Node, fa: Node, kind: str) -> Iterator[Problem]:
    issued = _text(_find(fa, "P_1"))
    if not issued or len(issued) != 10 or _date_pattern.fullmatch(issued) is None:
        return
    for el in _findall(fa, "Platnosc/TerminPlatnosci/Termin"):
        due = _text(el)
        if due and due < issued and _date_pattern.fullmatch(due):
            yield _problem(
                "PAYMENT_DUE_BEFORE_ISSUE",
                "error",
                f"Termin płatności {due} jest wcześniejszy niż data wystawienia faktury P_1 = {issued}.",
                el,
            )


_IBAN_LETTERS = {ord(ch): str(ord(ch) - 55) for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def nrb_is_valid(number: str) -> bool:
    """Polish NRB (26 digits, optionally with ``PL``) or any IBAN: the ISO 7064 mod-97 check."""
    cleaned = re.sub(r"[\s-]", "", number).upper()
    if re.fullmatch(r"\d{26}", cleaned):
        cleaned = "PL" + cleaned
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", cleaned):
        return False
    moved = cleaned[4:] + cleaned[:4]
    return int(moved.translate(_IBAN_LETTERS)) % 97 == 1


def _bank_accounts(root: Node, fa: Node, kind: str) -> Iterator[Problem]:
    for el in _findall(fa, "Platnosc/RachunekBankowy/NrRB") + _findall(
        fa, "Platnosc/RachunekBankowyFaktora/NrRB"
    ):
        value = _text(el)
        if not value:
            continue
        cleaned = re.sub(r"[\s-]", "", value).upper()
        polish = bool(re.fullmatch(r"(PL)?\d{26}", cleaned))
        if polish and not nrb_is_valid(cleaned):
            yield _problem(
                "BANK_ACCOUNT_CHECKSUM",
                "error",
                f"Numer rachunku {value} ma błędne cyfry kontrolne (NRB, kontrola modulo 97).",
                el,
            )
        elif (
            not polish and re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", cleaned) and not nrb_is_valid(cleaned)
        ):
            yield _problem(
                "BANK_ACCOUNT_CHECKSUM",
                "warning",
                f"Numer rachunku {value} wygląda na IBAN, ale ma błędne cyfry kontrolne.",
                el,
            )
        elif not polish and re.fullmatch(r"\d+", cleaned):
            yield _problem(
                "BANK_ACCOUNT_FORMAT",
                "warning",
                f"Numer rachunku {value} ma {len(cleaned)} cyfr; polski numer rachunku (NRB) ma 26 cyfr.",
                el,
            )


def _currency(root: Node, fa: Node, kind: str) -> Iterator[Problem]:
    currency = _text(_find(fa, "KodWaluty")) or "PLN"
    present = _present(fa)
    for bucket in BUCKETS:
        if not bucket.vat_pln_field or not bucket.vat_field:
            continue
        if bucket.vat_field not in present and bucket.vat_pln_field not in present:
            continue
        vat_el = _find(fa, bucket.vat_field)
        vat = _dec(vat_el)
        w_el = _find(fa, bucket.vat_pln_field)
        if currency != "PLN" and vat is not None and vat != 0 and w_el is None:
            yield _problem(
                "PLN_VAT_MISSING",
                "error",
                f"Faktura w walucie {currency} musi podawać podatek w złotych ({bucket.vat_pln_field}) obok {bucket.vat_field}.",
                vat_el,
            )
        if currency == "PLN" and w_el is not None:
            yield _problem(
                "PLN_VAT_UNEXPECTED",
                "warning",
                f"Pole {bucket.vat_pln_field} (podatek przeliczony na złote) występuje na fakturze w PLN.",
                w_el,
            )


def _pln_total(fa: Node) -> Decimal | None:
    p15 = _dec(_find(fa, "P_15"))
    if p15 is None:
        return None
    if (_text(_find(fa, "KodWaluty")) or "PLN") == "PLN":
        return p15
    rate = _dec(_find(fa, "KursWalutyZ"))
    if rate is None:
        rates = [r for r in (_dec(_find(row, "KursWaluty")) for row in _findall(fa, "FaWiersz")) if r]
        rate = max(rates) if rates else None
    return p15 * rate if rate else None


def _annotations(root: Node, fa: Node, kind: str) -> Iterator[Problem]:
    adn = _find(fa, "Adnotacje")
    if adn is None:
        return
    p18a_el = _find(adn, "P_18A")
    p18a = _text(p18a_el)
    # The PLN total and the Annex 15 scan are needed only when MPP is marked or Annex 15 lines exist.
    annex15 = p18a == "2" and any(row.s("P_12_Zal_15") == "1" for row in fa.all("FaWiersz"))
    pln = _pln_total(fa) if p18a == "1" or annex15 else None
    if p18a == "1" and pln is not None and kind not in CORRECTIONS and abs(pln) <= MPP_THRESHOLD:
        yield _problem(
            "SPLIT_PAYMENT_BELOW_THRESHOLD",
            "warning",
            f"Oznaczenie „mechanizm podzielonej płatności” (P_18A = 1) przy należności {_pl(pln)} zł — "
            "obowiązek dotyczy kwot powyżej 15 000 zł.",
            p18a_el,
        )
    if p18a == "2" and annex15 and pln is not None and pln > MPP_THRESHOLD and kind not in CORRECTIONS:
        yield _problem(
            "SPLIT_PAYMENT_MISSING",
            "error",
            f"Faktura na {_pl(pln)} zł obejmuje towary lub usługi z załącznika nr 15, "
            "a nie ma oznaczenia „mechanizm podzielonej płatności” (P_18A = 1).",
            p18a_el,
        )
    p13_10 = _dec(_find(fa, "P_13_10"))
    if p13_10 and _text(_find(adn, "P_18")) == "2":
        yield _problem(
            "REVERSE_CHARGE_MARK_MISSING",
            "warning",
            "Faktura ma sprzedaż w odwrotnym obciążeniu (P_13_10), a brak oznaczenia „odwrotne obciążenie” (P_18 = 1).",
            _find(adn, "P_18"),
        )
    p13_7_el = _find(fa, "P_13_7")
    if _dec(p13_7_el) and _find(adn, "Zwolnienie/P_19N") is not None:
        yield _problem(
            "EXEMPTION_BASIS_MISSING",
            "error",
            "Faktura ma sprzedaż zwolnioną (P_13_7), a nie podaje podstawy zwolnienia (Zwolnienie/P_19 z P_19A, P_19B albo P_19C).",
            p13_7_el,
        )


def _third_party_flags(root: Node) -> Iterator[Problem]:
    roles = {_text(_find(p3, "Rola")) for p3 in _findall(root, "Podmiot3")}
    for flag, role, who in (("JST", "8", "jednostki podrzędnej JST"), ("GV", "10", "członka grupy VAT")):
        el = _find(root, f"Podmiot2/{flag}")
        if _text(el) == "1" and role not in roles:
            yield _problem(
                f"{flag}_WITHOUT_PODMIOT3",
                "error",
                f"Znacznik {flag} = 1 (faktura dotyczy {who}) wymaga Podmiotu3 w roli {role}.",
                el,
            )


def _correction(fa: Node, kind: str) -> Iterator[Problem]:
    if kind not in CORRECTIONS:
        return
    kind_el = _find(fa, "RodzajFaktury")
    if not _findall(fa, "DaneFaKorygowanej"):
        yield _problem(
            "CORRECTION_REFERENCE_MISSING",
            "error",
            f"Faktura korygująca ({kind}) musi wskazywać fakturę korygowaną (DaneFaKorygowanej).",
            kind_el,
        )
    if _find(fa, "TypKorekty") is None:
        yield _problem(
            "CORRECTION_TYPE_MISSING",
            "warning",
            "Brak typu korekty (TypKorekty 1/2/3) — trzeba ustalić okres ujęcia korekty w JPK.",
            kind_el,
        )
    for el in _findall(fa, "DaneFaKorygowanej/NrKSeFFaKorygowanej"):
        value = _text(el)
        if value and not is_valid_ksef_number(value):
            yield _problem(
                "KSEF_NUMBER_CHECKSUM",
                "warning",
                f"Numer KSeF faktury korygowanej {value} ma błędną sumę kontrolną.",
                el,
            )
