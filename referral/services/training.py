"""Training workshops (issue 7): trainees walk fictional scenarios on the very trees the officials use, and are
scored against the guideline with the comparison `referral scenarios check` makes (engine/debrief.py).

A trainer opens a workshop with scenarios from the library; trainees join with its code and a display name (no
account, no personal data: the trees ask only codes and numbers, and no identity or consent step exists here).
A run keeps its answers as ``Answers.to_json`` in clear: the data is fictional by construction, so it is never
sealed, and nothing here touches the case store (cases, referrals, drafts), the audit trail or the statistics.
When a run is finished its debrief is stored, so that the results stand as scored even if a tree changes later.
Functions take the caller's session; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..engine import Answers, GuidelineSet, Question, answer, next_step
from ..engine.debrief import Debrief, debrief
from ..engine.scenarios import Scenario
from ..models import WORKSHOP_MODES, Trainee, TrainingRun, User, Workshop, now_utc
from .screening import Path, question_at, walk_path

CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY346789"  # no 0/O, 1/I, 2/Z, 5/S: read aloud and typed on a tablet
JOIN_CODE_LENGTH = 6
RESUME_CODE_LENGTH = 8
NAME_LENGTH = 40
TITLE_LENGTH = 120
MAX_SCENARIOS = 12
EXPECTATION_FIELDS = ("categories", "destinations", "urgency", "must_not", "group_mode", "refused",
                      "kept_despite_refusal", "dropped")


class TrainingRefused(ValueError):
    """A training action that cannot be done; ``reason`` is a code the pages put into words (never input)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def clean_code(text: str | None) -> str:
    """A code as typed (any case, spaces or hyphens) in its stored form."""
    return "".join(ch for ch in (text or "").upper() if ch in CODE_ALPHABET)[:16]


def _token_hash(workshop_id: int, resume_code: str) -> str:
    return hashlib.sha256(f"{workshop_id}:{clean_code(resume_code)}".encode()).hexdigest()


# -- workshops (the trainer) ------------------------------------------------------------------------------------

def open_workshop(*, session: Session, trainer: User, title: str, scenario_ids: Sequence[str], mode: str,
                  known: Iterable[str]) -> Workshop:
    """Open a workshop on the chosen scenarios (in the order given); TrainingRefused names what is wrong."""
    title = " ".join((title or "").split())
    chosen = list(dict.fromkeys(scenario_ids))
    if not title or len(title) > TITLE_LENGTH:
        raise TrainingRefused("title")
    if not chosen or len(chosen) > MAX_SCENARIOS or not set(chosen) <= set(known):
        raise TrainingRefused("scenarios")
    if mode not in WORKSHOP_MODES:
        raise TrainingRefused("mode")
    for _ in range(20):
        code = new_code(JOIN_CODE_LENGTH)
        if session.exec(select(Workshop.id).where(Workshop.code == code)).first() is None:
            break
    workshop = Workshop(code=code, trainer_id=trainer.id, title=title, scenario_ids=chosen, mode=mode)
    session.add(workshop)
    session.flush()
    return workshop


def trainer_workshops(*, session: Session, trainer: User) -> list[Workshop]:
    return list(session.exec(select(Workshop).where(Workshop.trainer_id == trainer.id)
                             .order_by(Workshop.created_at.desc()).limit(50)))


def trainers_workshop(*, session: Session, trainer: User, code: str) -> Workshop | None:
    """The workshop of this code if this trainer opened it; None otherwise (not there, or not theirs)."""
    return session.exec(select(Workshop).where(Workshop.code == clean_code(code),
                                               Workshop.trainer_id == trainer.id)).first()


def close_workshop(*, session: Session, workshop: Workshop) -> None:
    """No one joins or starts a scenario any more; finished debriefs stay readable."""
    if workshop.closed_at is None:
        workshop.closed_at = now_utc()
        session.add(workshop)


# -- trainees ---------------------------------------------------------------------------------------------------

def join(*, session: Session, code: str, display_name: str) -> tuple[Trainee, str]:
    """Join an open workshop under a display name; returns the trainee and a resume code to show once."""
    name = " ".join((display_name or "").split())
    workshop = session.exec(select(Workshop).where(Workshop.code == clean_code(code))).first()
    if workshop is None or workshop.closed_at is not None:
        raise TrainingRefused("code")
    if not name or len(name) > NAME_LENGTH:
        raise TrainingRefused("name")
    taken = session.exec(select(Trainee.id).where(Trainee.workshop_id == workshop.id,
                                                  Trainee.display_name == name)).first()
    if taken is not None:
        raise TrainingRefused("name_taken")
    resume_code = new_code(RESUME_CODE_LENGTH)
    trainee = Trainee(workshop_id=workshop.id, display_name=name, token_hash=_token_hash(workshop.id, resume_code))
    session.add(trainee)
    try:
        session.flush()
    except IntegrityError:  # the same name joined at the same moment
        session.rollback()
        raise TrainingRefused("name_taken") from None
    return trainee, resume_code


def resume(*, session: Session, code: str, resume_code: str) -> Trainee:
    """The trainee whose resume code this is, in the workshop of ``code`` (open or closed)."""
    workshop = session.exec(select(Workshop).where(Workshop.code == clean_code(code))).first()
    trainee = None
    if workshop is not None:
        trainee = session.exec(select(Trainee).where(
            Trainee.token_hash == _token_hash(workshop.id, resume_code))).first()
    if trainee is None:
        raise TrainingRefused("resume")
    return trainee


def trainee_and_workshop(*, session: Session, trainee_id: object) -> tuple[Trainee, Workshop] | None:
    if not isinstance(trainee_id, int):
        return None
    trainee = session.get(Trainee, trainee_id)
    return (trainee, session.get(Workshop, trainee.workshop_id)) if trainee is not None else None


def runs_of(*, session: Session, trainee: Trainee) -> dict[str, TrainingRun]:
    """The trainee's runs by scenario id."""
    return {run.scenario_id: run for run in session.exec(select(TrainingRun)
                                                         .where(TrainingRun.trainee_id == trainee.id))}


# -- runs -------------------------------------------------------------------------------------------------------

def start_run(*, session: Session, trainee: Trainee, workshop: Workshop, scenario_id: str) -> TrainingRun:
    """The trainee's run of a scenario of the workshop: the one begun already, or a new one (one per scenario:
    a finished run is final, so the trainer's figures count first attempts)."""
    if scenario_id not in workshop.scenario_ids:
        raise TrainingRefused("scenario")
    run = runs_of(session=session, trainee=trainee).get(scenario_id)
    if run is not None:
        return run
    if workshop.closed_at is not None:
        raise TrainingRefused("closed")
    run = TrainingRun(trainee_id=trainee.id, scenario_id=scenario_id, answers=Answers().to_json())
    session.add(run)
    session.flush()
    return run


def load_run(*, session: Session, trainee: Trainee, run_id: int) -> TrainingRun | None:
    """The run if it is this trainee's; None otherwise."""
    run = session.get(TrainingRun, run_id)
    return run if run is not None and run.trainee_id == trainee.id else None


def answers_of(run: TrainingRun) -> Answers:
    return Answers.from_json(run.answers or {})


def record_answer(*, session: Session, gset: GuidelineSet, run: TrainingRun, tree: str, node: str,
                  value: object) -> Path:
    """Answer the pending question of the run, or change an earlier one (what depended on it is asked again)."""
    if run.finished_at is not None:
        raise TrainingRefused("finished")
    answers = answers_of(run)
    question = question_at(walk_path(gset, answers), tree, node)
    if question is None:
        raise TrainingRefused("question")
    try:
        updated = answer(gset, answers, question, value)
    except ValueError:
        raise TrainingRefused("answer") from None
    run.answers = updated.to_json()
    session.add(run)
    session.flush()
    return walk_path(gset, updated)


def finish_run(*, session: Session, gset: GuidelineSet, run: TrainingRun, scenario: Scenario) -> Debrief:
    """Score a run whose questions are all answered, and keep its debrief and plan."""
    if run.finished_at is not None:
        raise TrainingRefused("finished")
    answers = answers_of(run)
    if next_step(gset, answers) is not None:
        raise TrainingRefused("unfinished")
    result = debrief(gset, scenario, answers)
    run.debrief = {**result.to_json(), "plan": result.plan.to_dict(), "expect": _expectation(scenario)}
    run.correct, run.finished_at = result.correct, now_utc()
    session.add(run)
    session.flush()
    return result


def stored_debrief(run: TrainingRun) -> Debrief | None:
    return Debrief.from_json(run.debrief) if run.debrief else None


def _expectation(scenario: Scenario) -> dict[str, object]:
    """The scenario's expected plan as plain JSON."""
    out: dict[str, object] = {}
    for name in EXPECTATION_FIELDS:
        value = getattr(scenario.expect, name)
        out[name] = sorted(value) if isinstance(value, frozenset) else value
    return out


def stored_expectation(run: TrainingRun, scenario: Scenario) -> dict[str, object]:
    """The expected plan the run was scored against (the scenario may have been edited since)."""
    return (run.debrief or {}).get("expect") or _expectation(scenario)


def scenario_answer(scenario: Scenario, question: Question) -> object:
    """The answer the scenario's facts give to ``question``: unknown when they say nothing; for a question that
    asks part of a set, that part."""
    value = scenario.facts.get(question.fact, "unknown")
    if question.node.answer_type == "multi":
        value = frozenset(value) if isinstance(value, frozenset | list | tuple) else frozenset()
        return value & frozenset(question.node.options)
    return value


def expected_path(gset: GuidelineSet, scenario: Scenario) -> Path:
    """The questions the trees ask, and the answers, when everything is answered as the scenario's facts say."""
    answers = Answers()
    while (question := next_step(gset, answers)) is not None:
        answers = answer(gset, answers, question, scenario_answer(scenario, question))
    return walk_path(gset, answers)
