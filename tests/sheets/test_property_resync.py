"""Property: staff edits made in the workbook, interleaved with re-syncs bringing new invoices,
are never lost; no row is duplicated; no archived invoice is missing.

Edits are made with openpyxl on the written file (as a person saving in Excel would leave it);
the model below is what the person expects to see after every refresh.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ksef_sheets.config import OfficeConfig, OfficeFolder
from ksef_sheets.files import excel_lock_file
from ksef_sheets.sheets.invoice_columns import (
    H_BOOKED,
    H_COMMENT,
    H_KSEF,
    H_NUMBER,
    H_PERSON,
    H_STATUS,
    STATUS_NEW,
    STATUSES,
)
from ksef_sheets.sheets.invoice_refresh import refresh_invoice_workbooks
from ksef_sheets.sheets.safe_text import set_text
from ksef_sheets.sync.archive import Archive
from tests.sheets.factory import CLIENT_NIP, archive_invoices, purchase, sale

EXTRA_HEADERS = ("Konto", "MPK", "Płatność", "Uwagi biura")
# Text a person might type, including formula-like text (which must stay text).
TEXT = st.one_of(
    st.sampled_from(["=SUMA(A1:A3)", "+48 600", "-1", "@SUM(A1)", "zapłacono", "ok", "Zażółć gęślą jaźń"]),
    st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), min_size=1, max_size=20).map(
        str.strip
    ),
).filter(bool)


@dataclass
class Model:
    purchases: list[str] = field(default_factory=list)
    sales: list[str] = field(default_factory=list)
    staff: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    own_rows: list[dict[str, Any]] = field(default_factory=list)
    headers_added: list[str] = field(default_factory=list)
    # The baseline a refresh compares cells with (what the workbook showed at the last refresh),
    # what the archive holds now, and what the cells show now.
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    archive: dict[str, dict[str, Any]] = field(default_factory=dict)
    shown: dict[str, dict[str, Any]] = field(default_factory=dict)
    displayed: set[str] = field(default_factory=set)
    locked: bool = False

    def add(self, numbers: list[str], kinds: list[str]) -> None:
        for number, kind in zip(numbers, kinds, strict=True):
            (self.purchases if kind == "p" else self.sales).append(number)
            self.staff[number] = {H_STATUS: STATUS_NEW, H_COMMENT: None, H_BOOKED: None, H_PERSON: None}

    def synced(self, rewritten: bool) -> None:
        self.archive = {n: dict(v) for n, v in self.staff.items()}
        if rewritten:
            self.shown = {n: dict(v) for n, v in self.staff.items()}
            self.displayed = set(self.staff)
        # Open in Excel: the archive took the edits, the workbook still shows what it showed.
        self.written = {n: dict(v) for n, v in self.shown.items()}

    def editable(self) -> list[str]:
        return [n for n in self.purchases + self.sales if n in self.displayed]

    def edited(self, number: str, header: str, value: Any) -> None:
        """A cell typed in the workbook: it counts only when it differs from the baseline."""
        self.shown[number][header] = value
        if value == self.written[number][header]:
            self.staff[number][header] = self.archive[number][header]
        else:
            self.staff[number][header] = value


invoice_spec = st.tuples(st.sampled_from("ps"), st.integers(0, 360))
edit = st.one_of(
    st.tuples(
        st.just("staff"), st.integers(0, 10**6), st.sampled_from([H_STATUS]), st.sampled_from(STATUSES)
    ),
    st.tuples(
        st.just("staff"), st.integers(0, 10**6), st.sampled_from([H_COMMENT, H_PERSON]), st.none() | TEXT
    ),
    st.tuples(
        st.just("staff"),
        st.integers(0, 10**6),
        st.just(H_BOOKED),
        st.none() | st.dates(date(2026, 1, 1), date(2027, 12, 31)),
    ),
    st.tuples(st.just("own_row"), TEXT, TEXT),
    st.tuples(
        st.just("column"),
        st.sampled_from(EXTRA_HEADERS),
        st.integers(0, 10**6),
        TEXT | st.integers(-999, 999),
    ),
    st.tuples(st.just("resync"), st.lists(invoice_spec, max_size=3)),
    # A decision arriving in the archive from elsewhere (the client's answer, another person).
    st.tuples(st.just("archive"), st.integers(0, 10**6), st.sampled_from(STATUSES)),
    # The workbook is opened in Excel (its owner file appears) or closed again.
    st.tuples(st.just("lock")),
)


def _headers(ws: Any) -> dict[str, int]:
    return {c.value: c.column for c in ws[1] if c.value is not None}


def _apply_edits(path: Path, edits: list[tuple[Any, ...]], model: Model) -> None:
    wb = load_workbook(path)
    invoices = model.editable()
    for step in edits:
        kind = step[0]
        if kind in ("staff", "column"):
            number = invoices[step[2 if kind == "column" else 1] % len(invoices)]
            ws = wb["Zakupy"] if number in model.purchases else wb["Sprzedaż"]
            headers = _headers(ws)
            row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, headers[H_KSEF]).value == number)
            if kind == "staff":
                _, _, header, value = step
                cell = ws.cell(row, headers[header])
                if isinstance(value, date):
                    cell.value = datetime(value.year, value.month, value.day)
                else:
                    set_text(cell, value)
                model.edited(number, header, value)
            else:
                _, header, _, value = step
                if header not in headers:
                    ws.cell(1, ws.max_column + 1, header)
                    headers = _headers(ws)
                cell = ws.cell(row, headers[header])
                if isinstance(value, str):
                    set_text(cell, value)
                else:
                    cell.value = value
                model.extra.setdefault(number, {})[f"{ws.title}:{header}"] = value
                if (ws.title, header) not in model.headers_added:
                    model.headers_added.append((ws.title, header))  # type: ignore[arg-type]
        elif kind == "own_row":
            _, number_text, comment = step
            ws = wb["Zakupy"]
            headers = _headers(ws)
            row = ws.max_row + 1
            set_text(ws.cell(row, headers[H_NUMBER]), number_text)
            set_text(ws.cell(row, headers[H_COMMENT]), comment)
            model.own_rows.append({H_NUMBER: number_text, H_COMMENT: comment})
    wb.save(path)


def _check(path: Path, archive: Archive, model: Model) -> None:
    wb = load_workbook(path)
    for sheet, all_expected in (("Zakupy", model.purchases), ("Sprzedaż", model.sales)):
        # While the workbook is open in Excel it keeps showing what it showed (and what was typed).
        expected = [n for n in all_expected if n in model.displayed]
        ws = wb[sheet]
        headers = _headers(ws)
        rows = [
            {h: ws.cell(r, c).value for h, c in headers.items()}
            for r in range(2, ws.max_row + 1)
            if any(ws.cell(r, c).value is not None for c in headers.values())
        ]
        numbers = [row[H_KSEF] for row in rows if row[H_KSEF]]
        assert len(numbers) == len(set(numbers)), "duplicate invoice row"
        assert sorted(numbers) == sorted(expected), "invoice missing or extra"
        for row in rows:
            number = row[H_KSEF]
            if not number:
                continue
            for header, value in (model.shown if model.locked else model.staff)[number].items():
                shown = row[header]
                if isinstance(value, date):
                    assert shown == datetime(value.year, value.month, value.day)
                else:
                    assert shown == value, (number, header, shown, value)
            for key, value in model.extra.get(number, {}).items():
                sheet_name, header = key.split(":", 1)
                if sheet_name == sheet:
                    assert row[header] == value
        own = [{H_NUMBER: r[H_NUMBER], H_COMMENT: r[H_COMMENT]} for r in rows if not r[H_KSEF]]
        expected_own = model.own_rows if sheet == "Zakupy" else []
        assert sorted(map(repr, own)) == sorted(map(repr, expected_own)), "own rows changed"
        # Formula-like text typed by a person stays a text cell.
        for r in range(2, ws.max_row + 1):
            assert ws.cell(r, headers[H_COMMENT]).data_type != "f"
    decisions = archive.decisions_for(CLIENT_NIP)
    for number, staff in model.staff.items():
        d = decisions[number]
        assert (d.status, d.comment, d.booked_on, d.person) == (
            staff[H_STATUS],
            staff[H_COMMENT],
            staff[H_BOOKED],
            staff[H_PERSON],
        )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    initial=st.lists(invoice_spec, min_size=1, max_size=4),
    steps=st.lists(edit, min_size=1, max_size=10),
)
def test_no_edit_lost_no_duplicate_no_invoice_missing(
    initial: list[tuple[str, int]], steps: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        office = OfficeFolder(Path(tmp) / "biuro")
        office.save_config(OfficeConfig(office_nip="5275260184", office_name="Biuro", clients=[CLIENT_NIP]))
        model = Model()
        counter = iter(range(1, 10_000))
        with Archive.open(office) as archive:

            def arrive(specs: list[tuple[str, int]]) -> None:
                invoices, kinds = [], []
                for kind, day in specs:
                    issue = date(2026, 1, 1) + timedelta(days=day)
                    n = next(counter)
                    invoices.append(purchase(f"FZ/{n}", issue) if kind == "p" else sale(f"FS/{n}", issue))
                    kinds.append(kind)
                model.add(archive_invoices(archive, invoices), kinds)
                report = refresh_invoice_workbooks(office)
                if model.locked:
                    assert all(w.locked or w.unchanged for w in report.workbooks), report.messages()
                else:
                    assert report.ok, report.messages()
                model.synced(rewritten=not model.locked)

            arrive(initial)
            path = office.invoice_workbook(CLIENT_NIP, 2026)
            pending: list[tuple[Any, ...]] = []
            for step in [
                *steps,
                *([("lock",)] if sum(s[0] == "lock" for s in steps) % 2 else []),
                ("resync", []),
            ]:
                if step[0] == "lock":
                    lock = excel_lock_file(office.invoice_workbook(CLIENT_NIP, 2026))
                    model.locked = not model.locked
                    if model.locked:
                        lock.write_bytes(b"owner")
                    else:
                        lock.unlink()
                elif step[0] == "archive":
                    _, index, status = step
                    invoices = model.purchases + model.sales
                    number = invoices[index % len(invoices)]
                    current = archive.decisions_for(CLIENT_NIP)[number]
                    archive.save_decisions([replace(current, status=status, updated_at=None)])
                    model.archive[number][H_STATUS] = status
                    model.staff[number][H_STATUS] = status
                elif step[0] == "resync":
                    if pending:
                        _apply_edits(path, pending, model)
                        pending = []
                    arrive(step[1])
                    _check(path, archive, model)
                else:
                    pending.append(step)
