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
    text: str
    # The answer that means "ready" (None: either answer is fine for this client).
    good_answer: bool


QUESTIONS: tuple[Question, ...] = (
    Question("knows_ksef", "Czy znają Państwo KSeF i swój termin obowiązku?", True),
    Question("software_integrated", "Czy Państwa program do faktur wysyła faktury do KSeF?", True),
    Question(
        "needs_registration_help",
        "Czy potrzebują Państwo pomocy z pierwszym logowaniem do KSeF (ZAW-FA, profil zaufany)?",
        False,
    ),
    Question("will_authorise_office", "Czy nadadzą Państwo biuru uprawnienia w KSeF?", True),
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
    unanswered = tuple(q.text for q in QUESTIONS if answers[q.field] is None)
    if len(unanswered) == len(QUESTIONS):
        return Readiness(0, NO_ANSWERS, unanswered, ())
    good = [
        q for q in QUESTIONS if answers[q.field] is not None and _good(q, answers[q.field], client.scenario)
    ]
    blockers = tuple(
        q.text
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
