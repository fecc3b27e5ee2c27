"""Rows the toolkit generates for the staff-edited tables (merged by key, never overwriting staff columns)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from ksef_sheets.office import (
    AUTH_SENT,
    AUTH_SIGNED,
    CHECKLIST,
    FAQ,
    NO_ANSWERS,
    PLAN_STEPS,
    QUESTIONS,
    SCENARIOS,
    SECURITY_PROCEDURES,
    Client,
    readiness,
)
from ksef_sheets.sheets.office_specs import (
    SCENARIO_TOPICS,
    SHEET_CLIENTS,
    STATUS_DOING,
    STATUS_DONE,
    STATUS_TODO,
    TOPIC_COUNT,
)
from ksef_sheets.sheets.tables import Formula, Link

# -- generated rows -------------------------------------------------------------------------------


def client_link(client: Client) -> Link | str:
    if client.row:
        return Link(client.name or client.nip, f"#'{SHEET_CLIENTS}'!A{client.row}")
    return client.name


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else ("tak" if value else "nie")


def readiness_rows(
    clients: Iterable[Client], answered_on: dict[str, date] | None = None
) -> list[dict[str, Any]]:
    rows = []
    for c in clients:
        if not c.nip:
            continue
        r = readiness(c)
        row: dict[str, Any] = {
            "NIP": c.nip,
            "Klient": client_link(c),
            "Scenariusz": c.scenario,
            "Wynik": r.score,
            "Status": r.status,
            "Do wyjaśnienia": "; ".join([*(f"brak odpowiedzi: {q}" for q in r.unanswered[:1]), *r.blockers])
            if r.status != NO_ANSWERS
            else "wyślij ankietę",
        }
        for q in QUESTIONS:
            row[q.header] = _yes_no(getattr(c, q.field))
        if answered_on and c.nip in answered_on:
            row["Data ankiety"] = answered_on[c.nip]
        rows.append(row)
    return rows


# A demo office mid-rollout: what is done, what is in progress (one of it overdue), what is ahead.
_DEMO_DONE = {"1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "4.1", "5.2"}
_DEMO_OVERDUE = {"4.2"}
_DEMO_OWNERS = {"1.": "Anna Kowalska", "2.": "Marek Wójcik", "3.": "Ewa Lis"}


def checklist_rows(start: date, today: date, demo: bool) -> list[dict[str, Any]]:
    rows = []
    for item in CHECKLIST:
        due = start + timedelta(days=item.days)
        status = STATUS_TODO
        owner = "właściciel biura" if item.number.startswith(("4.", "5.")) else ""
        if demo:
            owner = _DEMO_OWNERS.get(item.number[:2], owner)
            if item.number in _DEMO_DONE:
                status = STATUS_DONE
            elif item.number in _DEMO_OVERDUE:
                status, due = STATUS_DOING, today - timedelta(days=5)
            else:
                status = STATUS_DOING if item.number < "4.4" else STATUS_TODO
                due = today + timedelta(days=item.days // 2)
        rows.append(
            {
                "Lp.": item.number,
                "Krok": f"{item.number.split('.')[0]}. {item.step}",
                "Zadanie": item.task,
                "Odpowiedzialny": owner,
                "Termin": due,
                "Status": status,
            }
        )
    return rows


def _plan_done(step: int, c: Client) -> bool:
    if step == 2:
        return c.software_integrated is not None
    if step == 3:
        return c.authorisation_status in (AUTH_SENT, AUTH_SIGNED) or c.knows_ksef is not None
    if step == 4:
        return c.scenario is not None
    if step == 5:
        return c.software_integrated is True
    if step == 6:
        return c.last_fetch is not None
    return False


def plan_rows(clients: Sequence[Client], start: date) -> tuple[list[dict[str, Any]], set[tuple[str, str]]]:
    rows: list[dict[str, Any]] = []
    done: set[tuple[str, str]] = set()
    for step in PLAN_STEPS:
        label = f"{step.number}. {step.title}"
        due = start + timedelta(days=step.days)
        if not step.per_client:
            rows.append(
                {"Etap": label, "NIP": "", "Klient": "wszyscy klienci", "Termin": due, "Status": STATUS_TODO}
            )
            if clients:
                done.add((label, ""))
            continue
        for c in clients:
            if not c.nip:
                continue
            if step.number == 5 and c.software_integrated is True and c.scenario != 3:
                continue
            if step.number == 6 and not c.pilot:
                continue
            rows.append(
                {
                    "Etap": label,
                    "NIP": c.nip,
                    "Klient": client_link(c),
                    "Termin": due,
                    "Status": STATUS_TODO,
                    "Odpowiedzialny": c.staff_member,
                }
            )
            if _plan_done(step.number, c):
                done.add((label, c.nip))
    return rows, done


def team_rows(clients: Sequence[Client]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    rows: list[dict[str, Any]] = []
    computed_keys: list[tuple[str, str]] = []
    by_staff: dict[str, list[Client]] = {}
    for c in clients:
        if c.nip:
            by_staff.setdefault(c.staff_member or "(nieprzypisani)", []).append(c)
    for person, mine in sorted(by_staff.items()):
        fetching = [c for c in mine if c.scenario in (2, 3)]
        issuing = [c for c in mine if c.scenario == 3]
        duties = [
            f"Opiekun {len(mine)} klientów: {', '.join(c.name or c.nip for c in mine)}.",
            "Prowadzi rejestr (uprawnienia, upoważnienia, aneksy) i następne kroki.",
        ]
        if fetching:
            duties.append(f"Pobiera faktury dla {len(fetching)} klientów i pilnuje ich weryfikacji.")
        if issuing:
            duties.append(f"Wystawia faktury w imieniu {len(issuing)} klientów (scenariusz 3).")
        key = ("Obowiązki", person)
        rows.append(
            {
                "Obszar": "Obowiązki",
                "Temat": person,
                "Opis": " ".join(duties),
                "Odpowiedzialny": person,
                "Częstotliwość": "stale",
            }
        )
        computed_keys.append(key)
    by_schedule: dict[str, list[Client]] = {}
    for c in clients:
        if c.nip and c.fetch_schedule and c.fetch_schedule != "nie pobieramy":
            by_schedule.setdefault(c.fetch_schedule, []).append(c)
    for schedule, mine in sorted(by_schedule.items()):
        rows.append(
            {
                "Obszar": "Harmonogram",
                "Temat": f"Pobieranie: {schedule}",
                "Opis": f"ksef-sheets fetch dla: {', '.join(c.name or c.nip for c in mine)}.",
                "Odpowiedzialny": ", ".join(sorted({c.staff_member for c in mine if c.staff_member}))
                or "opiekunowie",
                "Częstotliwość": schedule,
            }
        )
        computed_keys.append(("Harmonogram", f"Pobieranie: {schedule}"))
    for p in SECURITY_PROCEDURES:
        rows.append(
            {
                "Obszar": p.area,
                "Temat": p.topic,
                "Opis": p.description,
                "Odpowiedzialny": p.owner,
                "Częstotliwość": p.frequency,
            }
        )
    return rows, computed_keys


def faq_rows() -> list[dict[str, Any]]:
    return [
        {
            "Lp.": f.number,
            "Temat": f.topic,
            "Pytanie klienta": f.question,
            "Odpowiedź biura (do wklejenia w e-mail)": f.answer,
        }
        for f in FAQ
    ]


def scenario_rows(scenario_range: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for topic, getter in SCENARIO_TOPICS:
        rows.append({"Zagadnienie": topic, **{f"Scenariusz {n}": getter(s) for n, s in SCENARIOS.items()}})
    rows.append(
        {
            "Zagadnienie": TOPIC_COUNT,
            **{f"Scenariusz {n}": Formula(f"=COUNTIF({scenario_range},{n})") for n in SCENARIOS},
        }
    )
    return rows
