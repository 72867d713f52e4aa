"""Scoring a trainee's walk against a scenario (issue 7): the same standard the trees are held to."""

from __future__ import annotations

import pytest

from referral.engine import Answers, answer, load_guidelines, next_step
from referral.engine.debrief import debrief, summarize
from referral.engine.errors import Reporter
from referral.engine.scenarios import load_scenarios
from tests.conftest import GUIDELINES


@pytest.fixture(scope="module")
def gset():
    return load_guidelines(GUIDELINES)


@pytest.fixture(scope="module")
def girl(gset):
    scenarios = {s.id: s for s in load_scenarios(gset, GUIDELINES, Reporter("scenarios"))}
    return scenarios["example-1-girl-with-passport-holder"]


def walk_as_trainee(gset, facts) -> Answers:
    """Answer every question the trees ask from ``facts``, as a trainee at a tablet would."""
    answers = Answers()
    while (question := next_step(gset, answers)) is not None:
        value = facts.get(question.fact, "unknown")
        if question.node.answer_type == "multi":
            value = (frozenset(value) if isinstance(value, list | tuple | frozenset) else frozenset())
            value &= frozenset(question.node.options)
        answers = answer(gset, answers, question, value)
    return answers


def test_a_trainee_who_answers_as_the_scenario_says_gets_a_correct_plan(gset, girl):
    result = debrief(gset, girl, walk_as_trainee(gset, girl.facts))
    assert result.correct and result.divergences == () and result.first_divergence is None


def test_a_missed_trafficking_indicator_shows_what_was_missed_and_where(gset, girl):
    facts = dict(girl.facts)
    facts["indicators"] = frozenset(girl.facts["indicators"]) - {"deceptive_job_offer", "unknown_work_address",
                                                                 "companion_answers_for_person"}
    facts["documents"] = frozenset(girl.facts["documents"]) - {"held_by_other"}
    result = debrief(gset, girl, walk_as_trainee(gset, facts))
    assert not result.correct
    assert "victim_of_trafficking" in result.missed("categories")
    assert "anti_trafficking" in result.missed("destinations")
    first = result.first_divergence
    assert first.changed_plan and first.fact in ("documents", "indicators")
    assert first.section  # the guideline section that explains it
    stats = summarize([result, debrief(gset, girl, walk_as_trainee(gset, girl.facts))])[girl.id]
    assert stats.finished == 2 and stats.correct == 1 and stats.share_correct == 0.5
    assert stats.missed_categories["victim_of_trafficking"] == 1
    assert stats.wrong_questions[(first.tree, first.node)] == 1


def test_an_answer_that_differs_without_changing_the_plan_is_listed_but_not_first(gset, girl):
    facts = {**girl.facts, "language": "ru"}
    result = debrief(gset, girl, walk_as_trainee(gset, facts))
    assert result.correct
    assert [d.fact for d in result.divergences] == ["language"]
    assert result.divergences[0].changed_plan is False
