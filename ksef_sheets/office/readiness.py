"""The client readiness questionnaire (ankieta gotowości) and its score — pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from ksef_sheets.office.model import Client

READY = "gotowy"
PARTLY = "częściowo"
NOT_READY = "niegotowy"
NO_ANSWERS = "brak ankiety"
READINESS_STATUSES = (READY, PARTLY, NOT_READY, NO_ANSWERS)


@dataclass(frozen=True)
class Question:
    field: str
    header: str  # the short column header in the workbook
    text: str  # the question as the client reads it
    # The answer that means "ready".
    good_answer: bool
    # What to clarify when the answer is not the good one.
    blocker: str = ""


QUESTIONS: tuple[Question, ...] = (
    Question(
        "knows_ksef",
        "Zna KSeF i swój termin?",
        "Czy znają Państwo KSeF i swój termin obowiązku?",
        True,
        "nie zna KSeF — wyślij mail edukacyjny",
    ),
    Question(
        "software_integrated",
        "Program wysyła do KSeF?",
        "Czy Państwa program do faktur wysyła faktury do KSeF?",
        True,
        "program bez KSeF — zaproponuj aplikację",
    ),
    Question(
        "needs_registration_help",
        "Potrzebuje pomocy z logowaniem / ZAW-FA?",
        "Czy potrzebują Państwo pomocy z pierwszym logowaniem do KSeF (ZAW-FA, profil zaufany)?",
        False,
        "potrzebuje pomocy z pierwszym logowaniem lub ZAW-FA",
    ),
    Question(
        "will_authorise_office",
        "Nada biuru uprawnienia?",
        "Czy nadadzą Państwo biuru uprawnienia w KSeF?",
        True,
        "nie chce upoważnić biura — rozważ scenariusz 1",
    ),
)


@dataclass(frozen=True)
class Readiness:
    score: int  # 0–100
    status: str
    unanswered: tuple[str, ...]
    blockers: tuple[str, ...]


def _good(question: Question, answer: bool, scenario: int | None) -> bool:
    # In scenario 1 the office needs no access, so not authorising it is no obstacle.
    if question.field == "will_authorise_office" and scenario == 1:
        return True
    return answer == question.good_answer


def readiness(client: Client) -> Readiness:
    """How ready a client is for KSeF work with the office, from its questionnaire answers."""
    answers = {q.field: getattr(client, q.field) for q in QUESTIONS}
    unanswered = tuple(q.header for q in QUESTIONS if answers[q.field] is None)
    if len(unanswered) == len(QUESTIONS):
        return Readiness(0, NO_ANSWERS, unanswered, ())
    good = [
        q for q in QUESTIONS if answers[q.field] is not None and _good(q, answers[q.field], client.scenario)
    ]
    blockers = tuple(
        q.blocker
        for q in QUESTIONS
        if answers[q.field] is not None and not _good(q, answers[q.field], client.scenario)
    )
    score = round(100 * len(good) / len(QUESTIONS))
    if score == 100:
        status = READY
    elif score >= 50:
        status = PARTLY
    else:
        status = NOT_READY
    return Readiness(score, status, unanswered, blockers)
