"""A set fact asked in parts, and a part the person would not or could not answer: a refusal is kept apart from
"none of these", so that no rule reads it as an absence."""

from __future__ import annotations

import json

import pytest

from referral.engine import Answers, answer, build_plan, load_guidelines, next_step
from referral.engine.answers import AnswerRecord
from referral.engine.conditions import FactTest
from tests.conftest import DEMO_GUIDELINES
from tests.engine.test_walk import ADULT, walk

SEEN = AnswerRecord("t", "q_seen", "indicators", ("controlled_by_companion", "documents_held_by_other"))
HEARD = AnswerRecord("t", "q_heard", "indicators", ("wages_withheld", "deceptive_job_offer"))


@pytest.fixture(scope="module")
def demo():
    return load_guidelines(DEMO_GUIDELINES)


def test_a_refused_tick_box_question_is_asked_once_and_leaves_the_fact_unknown(demo):
    answers, asked = walk(demo, {**ADULT, "indicators": "unknown"})
    assert asked.count("demo-first-contact/q_indicators") == 1 and next_step(demo, answers) is None
    assert answers.values["indicators"] == "unknown"
    assert answers.unknown["indicators"] == frozenset(demo.tree("demo-first-contact").nodes["q_indicators"].options)
    facts = demo.vocab.with_derived(answers.values)
    assert not FactTest("indicators", "empty").holds(facts)  # not "none of these"
    assert FactTest("indicators", "unknown").holds(facts)
    none, _ = walk(demo, {**ADULT, "indicators": frozenset()})
    assert FactTest("indicators", "empty").holds(demo.vocab.with_derived(none.values))
    build_plan(demo, answers, "xd")  # a plan is still made


def test_parts_found_and_refused_are_kept_apart():
    answers = Answers().record(SEEN, "unknown").record(HEARD, frozenset({"wages_withheld"}))
    assert answers.values["indicators"] == frozenset({"wages_withheld"})  # what was found counts
    assert answers.part(SEEN) == "unknown" and answers.part(HEARD) == frozenset({"wages_withheld"})
    assert answers.covers("indicators", SEEN.options + HEARD.options)  # both parts were asked

    nothing_heard = Answers().record(SEEN, "unknown").record(HEARD, frozenset())
    assert nothing_heard.values["indicators"] == "unknown"  # a refusal and "none" elsewhere: still unknown


def test_changing_a_refused_part_and_forgetting_a_part_recompute_the_fact():
    answers = Answers().record(SEEN, "unknown").record(HEARD, frozenset({"wages_withheld"}))
    changed, _void = answers.change(SEEN, frozenset({"controlled_by_companion"}))
    assert changed.values["indicators"] == frozenset({"controlled_by_companion", "wages_withheld"})
    assert "indicators" not in changed.unknown
    forgotten, _void = answers.forget("t", "q_heard")
    assert forgotten.values["indicators"] == "unknown" and forgotten.part(SEEN) == "unknown"
    assert forgotten.unknown["indicators"] == frozenset(SEEN.options)


def test_a_refusal_survives_the_draft_as_json(demo):
    answers, _ = walk(demo, {**ADULT, "indicators": "unknown"})
    restored = Answers.from_json(json.loads(json.dumps(answers.to_json())))
    assert restored == answers and restored.values["indicators"] == "unknown"
    older = answers.to_json()
    del older["unknown"]  # a draft saved before refusals were kept apart still opens
    assert Answers.from_json(older).unknown == {}


def test_a_tick_box_answer_must_be_its_options_or_unknown(demo):
    answers, asked = walk(demo, {fact: value for fact, value in ADULT.items() if fact != "indicators"})
    question = next_step(demo, answers)
    assert asked[-1] == "demo-first-contact/q_indicators" and question.node.answer_type == "multi"
    with pytest.raises(ValueError):
        answer(demo, answers, question, frozenset({"not_an_option"}))
    assert answer(demo, answers, question, "unknown").values["indicators"] == "unknown"
