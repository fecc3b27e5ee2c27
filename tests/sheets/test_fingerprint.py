"""``inputs_fingerprint`` sums up the same inputs to the same value as the form it had when the
workbooks in use were written (a different value would rebuild every unchanged workbook once)."""

from __future__ import annotations

import hashlib
from datetime import date
from types import SimpleNamespace
from typing import Any

from ksef_sheets.sheets.invoice_fingerprint import WORKBOOK_FORMAT, inputs_fingerprint


def _reference(client_name: str, scenario: int | None, invoices: list[Any], decisions: dict[str, Any]) -> str:
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(repr(part).encode("utf-8"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")

    add(WORKBOOK_FORMAT, client_name, scenario)
    for invoice in sorted(invoices, key=lambda i: i.ksef_number):
        add(invoice.ksef_number, invoice.subject_type, invoice.sha256)
        d = decisions.get(invoice.ksef_number)
        if d is not None:
            add(d.status, d.comment, d.booked_on, d.person, d.client_decision, d.client_remark)
    return digest.hexdigest()


def test_the_fingerprint_is_unchanged_and_sees_every_input() -> None:
    invoices = [
        SimpleNamespace(ksef_number=f"5210537039-20260{m}01-ABCDEF{m:06d}-{m:02X}", subject_type=s, sha256=h)
        for m, s, h in ((3, "Subject2", "ab" * 32), (1, "Subject1", "cd" * 32), (2, "Subject2", "ef" * 32))
    ]
    decisions = {
        invoices[0].ksef_number: SimpleNamespace(
            status="Zaksięgowana",
            comment="„cytat” i 'apostrof'\n\\",
            booked_on=date(2026, 5, 4),
            person="Anna Żak",
            client_decision=None,
            client_remark="",
        )
    }
    for name, scenario in (("Nowak IT — Jan Nowak", 2), ("", None)):
        got = inputs_fingerprint(name, scenario, invoices, decisions)  # type: ignore[arg-type]
        assert got == _reference(name, scenario, invoices, decisions)
    base = inputs_fingerprint("A", 1, invoices, decisions)  # type: ignore[arg-type]
    decisions[invoices[0].ksef_number].person = "Jan"
    assert inputs_fingerprint("A", 1, invoices, decisions) != base  # type: ignore[arg-type]
    assert inputs_fingerprint("A", 1, invoices[:2], {}) != inputs_fingerprint("A", 1, invoices, {})  # type: ignore[arg-type]
