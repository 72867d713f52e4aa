"""The questions of a screening: the walk replayed over its answers, and answering or changing a question.

Changing an earlier answer voids the answers that were reached only through it; the walk, not the order of the
stored records, says which questions are on the path and in what order (``walk_path``).

Split out of services/screening.py, which still re-exports the public names; it builds on screening_drafts.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import Session

from ..engine import Answers, GuidelineSet, Question, answer, next_step
from ..models import User
from ..vault import Vault
from . import audit
from .screening_drafts import Screening, _save


class AnswerRejected(ValueError):
    """The answer does not fit the question (the message never holds the value)."""


class QuestionGone(LookupError):
    """The question is not (or no longer) on the screening's path: an earlier change took it away."""


@dataclass(frozen=True)
class Step:
    """A question on the screening's path, and the answer it has."""

    question: Question
    value: object


@dataclass(frozen=True)
class Path:
    """The questions in the order the walk asks them: the answered ones, then the pending one (if any)."""

    steps: tuple[Step, ...]
    pending: Question | None

    def index(self, tree: str, node: str) -> int | None:
        for number, step in enumerate(self.steps):
            if (step.question.tree.id, step.question.node.id) == (tree, node):
                return number
        return None


_PATHS: OrderedDict[str, tuple[GuidelineSet, Path]] = OrderedDict()
_PATHS_LOCK = threading.Lock()
_PATHS_KEPT = 256


def walk_path(gset: GuidelineSet, answers: Answers) -> Path:
    """Replay the walk over the answers: the questions in the order they are asked, each with its answer.

    The records of ``answers`` are not in walk order once an answer has been changed, so Back and the list of
    answers follow this replay instead. A replay costs one walk per answer; the last few are remembered, so the
    page after an answer does not replay what the answer's post just did (the key holds no value in clear).
    """
    key = hashlib.sha256(json.dumps(answers.to_json(), sort_keys=True).encode()).hexdigest()
    with _PATHS_LOCK:
        known = _PATHS.get(key)
        if known is not None and known[0] is gset:
            _PATHS.move_to_end(key)
            return known[1]
    path = _replay(gset, answers)
    with _PATHS_LOCK:
        _PATHS[key] = (gset, path)
        while len(_PATHS) > _PATHS_KEPT:
            _PATHS.popitem(last=False)
    return path


def _replay(gset: GuidelineSet, answers: Answers) -> Path:
    replay, steps = Answers(), []
    for _ in range(len(answers.records) + 1):
        question = next_step(gset, replay)
        if question is None:
            return Path(tuple(steps), None)
        record = question.record()
        if not any((r.tree, r.node) == (record.tree, record.node) for r in answers.records):
            return Path(tuple(steps), question)
        value = answers.part(record) if record.options else answers.values.get(question.fact)
        steps.append(Step(question, value))
        replay = replay.record(record, value)
    return Path(tuple(steps), next_step(gset, replay))


def question_at(path: Path, tree: str, node: str) -> Question | None:
    """The question (tree, node) if it is on the path: answered already, or the pending one."""
    number = path.index(tree, node)
    if number is not None:
        return path.steps[number].question
    if path.pending is not None and (path.pending.tree.id, path.pending.node.id) == (tree, node):
        return path.pending
    return None


def record_answer(*, session: Session, vault: Vault, gset: GuidelineSet, screening: Screening, user: User,
                  tree: str, node: str, value: object, path: Path | None = None) -> None:
    """Answer the pending question, or change an earlier one (which voids the answers reached through it).

    ``path`` is the current one, when the caller has it already. The session is used only to store the result
    (``_save``), so ``screening`` may come from a read session; DraftChanged when another request saved first.
    """
    path = path or walk_path(gset, screening.answers)
    number = path.index(tree, node)
    question = question_at(path, tree, node)
    if question is None:
        raise QuestionGone(f"{tree}/{node}")
    before = {(r.tree, r.node) for r in screening.answers.records}
    try:
        updated = answer(gset, screening.answers, question, value)
    except ValueError:
        raise AnswerRejected(f"not an answer to {tree}/{node}") from None
    kept = {(r.tree, r.node) for r in updated.records}
    screening.voided = tuple(sorted(before - kept - {(tree, node)}))
    screening.answers = updated
    _save(session, vault, screening)
    audit.record(session, action="screening.answer", actor_id=user.id, post_id=screening.post.id,
                 object_type="draft", object_id=screening.id,
                 detail={"changed": number is not None, "voided": len(screening.voided)})
