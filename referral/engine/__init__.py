"""The decision engine: guideline files in, the next question or a referral plan out.

Pure Python: no Flask, no database, no cryptography. The same calls serve the command line, the web, training
and the tests:

    gset = load_guidelines("guidelines")
    step = next_step(gset, answers)              # a Question, or None when every tree is done
    plan = build_plan(gset, answers, country="kz")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .answers import AnswerRecord, Answers
from .errors import ErrorCode, GuidelineError, Problem
from .facts import Vocabulary, normalise_value
from .guideline_set import GuidelineSet, check_guidelines, load_guidelines
from .plan import Plan, merge
from .walk import Finding, Question, TreeWalk, walk_tree

__all__ = [
    "AnswerRecord", "Answers", "ErrorCode", "Finding", "GuidelineError", "GuidelineSet", "Plan", "Problem",
    "Question", "Vocabulary", "answer", "build_plan", "check_guidelines", "load_guidelines", "next_step",
    "walk_all",
]


def _as_answers(facts: Answers | Mapping[str, object]) -> Answers:
    return facts if isinstance(facts, Answers) else Answers.given(facts)


def walk_all(gset: GuidelineSet, facts: Answers | Mapping[str, object], complete: bool = False) -> list[TreeWalk]:
    """Walk every tree, in order, over one shared set of facts."""
    answers = _as_answers(facts)
    values = gset.vocab.with_derived(answers.values)
    return [walk_tree(tree, gset.vocab, answers, values, complete) for tree in gset.trees]


def next_step(gset: GuidelineSet, facts: Answers | Mapping[str, object]) -> Question | None:
    """The next question across all trees, or None when every tree has reached its end."""
    answers = _as_answers(facts)
    values = gset.vocab.with_derived(answers.values)
    for tree in gset.trees:
        walk = walk_tree(tree, gset.vocab, answers, values)
        if walk.pending is not None:
            return walk.pending
    return None


def answer(gset: GuidelineSet, answers: Answers, question: Question, value: object) -> Answers:
    """Record the answer to ``question``; an answer that changes an earlier one voids what depended on it."""
    spec = gset.vocab.facts[question.fact]
    value = normalise_value(spec, value)
    if question.node.answer_type == "multi":
        if value == "unknown" and not question.node.allow_unknown:
            raise ValueError(f"{question.node.id} needs an answer")
        if value != "unknown" and (not isinstance(value, frozenset) or not value <= frozenset(question.node.options)):
            raise ValueError(f"answer to {question.node.id} must be a subset of its options, or unknown")
    elif not spec.accepts(value) or (question.choices and value not in question.choices):
        raise ValueError(f"'{value}' is not an answer to {question.node.id}")
    record = question.record()
    if any((r.tree, r.node) == (record.tree, record.node) for r in answers.records):
        return answers.change(record, value)[0]
    return answers.record(record, value)


def build_plan(gset: GuidelineSet, facts: Answers | Mapping[str, object], country: str | None = None,
               consent_refused: Iterable[str] | None = None) -> Plan:
    """The merged referral plan. Questions not answered count as `unknown` and are listed as missing facts."""
    answers = _as_answers(facts)
    pathway = gset.pathway(country)
    values = gset.vocab.with_derived(answers.values)
    walks = [walk_tree(tree, gset.vocab, answers, values, complete=True) for tree in gset.trees]
    findings = [finding for walk in walks for finding in walk.findings]
    missing = set().union(*(walk.missing for walk in walks)) if walks else set()
    refused = consent_refused if consent_refused is not None else answers.values.get("consent_refused") or ()
    if refused == "unknown":
        refused = ()
    notices = [node.text for walk in walks for node in walk.notices]
    return merge(gset.vocab, findings, values, pathway, refused, missing, notices)
from . import scenarios  # noqa: E402,F401  (registers the scenario check with `guidelines check`)
