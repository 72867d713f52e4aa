"""Walking the trees: the next question, facts shared between trees, derived facts, notices, going back."""

from __future__ import annotations

import pytest

from referral.engine import Answers, answer, build_plan, load_guidelines, next_step
from tests.conftest import DEMO_GUIDELINES


@pytest.fixture(scope="module")
def demo():
    return load_guidelines(DEMO_GUIDELINES)


def walk(gset, replies: dict[str, object], answers: Answers | None = None) -> tuple[Answers, list[str]]:
    """Answer questions from ``replies`` (by fact) until one is asked that has no reply; return what was asked."""
    answers = answers or Answers()
    asked = []
    while (question := next_step(gset, answers)) is not None:
        asked.append(f"{question.tree.id}/{question.node.id}")
        if question.fact not in replies:
            break
        answers = answer(gset, answers, question, replies[question.fact])
    return answers, asked


ADULT = {"medical_emergency": "no", "age_apparent": "adult", "age_years": 30, "asylum_wish": "explicit",
         "removal_imminent": "no", "indicators": frozenset(), "group_size": 1, "sex": "male",
         "companion": "none"}


def test_trees_are_walked_in_order_and_the_first_question_is_life_first(demo):
    question = next_step(demo, Answers())
    assert (question.tree.id, question.node.id, question.fact) == ("demo-first-contact", "q_emergency",
                                                                   "medical_emergency")
    assert question.choices == ("yes", "no", "unknown")


def test_an_adult_walks_both_trees_and_is_asked_the_shared_fact_once(demo):
    answers, asked = walk(demo, ADULT)
    assert next_step(demo, answers) is None
    assert asked == ["demo-first-contact/q_emergency", "demo-first-contact/q_age_look", "demo-first-contact/q_age",
                     "demo-first-contact/q_wish", "demo-first-contact/q_removal", "demo-first-contact/q_indicators",
                     "demo-first-contact/q_group", "demo-family/q_sex", "demo-family/q_companion"]


def test_a_child_answers_companion_in_the_first_tree_and_the_second_tree_does_not_ask_it_again(demo):
    child = {**ADULT, "age_years": 15, "companion": "family_group"}
    answers, asked = walk(demo, child)
    assert next_step(demo, answers) is None
    assert "demo-first-contact/q_companion" in asked
    assert "demo-family/q_companion" not in asked
    assert "family_unity" in build_plan(demo, answers).categories  # the second tree used the shared answer


def test_derived_facts_are_computed_never_asked(demo):
    answers, asked = walk(demo, {**ADULT, "age_years": 19, "age_apparent": "child"})
    assert all("presumed_minor" not in a for a in asked)
    assert "demo-first-contact/q_companion" in asked  # looks like a child: benefit of the doubt (MN12)
    plan = build_plan(demo, answers)
    assert "unaccompanied_child" in plan.categories


def test_info_nodes_travel_with_the_next_question(demo):
    answers, _ = walk(demo, {k: v for k, v in ADULT.items() if k != "indicators"})
    question = next_step(demo, answers)
    assert question.node.id == "q_indicators"
    assert [notice.id for notice in question.notices] == ["i_information"]


def test_a_multi_question_records_only_its_options(demo):
    answers, _ = walk(demo, {**ADULT, "indicators": frozenset({"wages_withheld"})})
    assert answers.values["indicators"] == frozenset({"wages_withheld"})
    assert answers.checked["indicators"] == frozenset(demo.tree("demo-first-contact").nodes["q_indicators"].options)


def test_an_answer_outside_the_choices_is_refused(demo):
    question = next_step(demo, Answers())
    with pytest.raises(ValueError):
        answer(demo, Answers(), question, "perhaps")


def test_changing_an_answer_voids_exactly_the_answers_reached_through_it(demo):
    answers, _ = walk(demo, ADULT)
    record = next(r for r in answers.records if r.fact == "asylum_wish")
    changed, void = answers.change(record, "none")
    # removal_imminent was only asked because protection was asked for; everything after the join stays.
    assert void == frozenset({"removal_imminent"})
    assert "removal_imminent" not in changed.values
    assert changed.values["indicators"] == frozenset() and changed.values["group_size"] == 1
    question = next_step(demo, changed)
    assert question.fact == "fears_return"


def test_changing_the_age_of_an_adult_to_a_child_asks_only_what_is_new(demo):
    replies = {k: v for k, v in ADULT.items() if k != "companion"}
    answers, asked = walk(demo, replies)
    assert asked[-1] == "demo-family/q_companion"  # not answered yet
    record = next(r for r in answers.records if r.fact == "age_years")
    changed, void = answers.change(record, 15)
    assert void == frozenset()  # what came after the age fork's join does not depend on the age
    question = next_step(demo, changed)
    assert (question.tree.id, question.node.id) == ("demo-first-contact", "q_companion")
    assert question.depends_on >= {"age_years", "age_apparent"}


def test_a_shared_fact_already_answered_is_used_at_once_when_a_change_reaches_it(demo):
    answers, _ = walk(demo, ADULT)  # companion "none" was answered in the second tree
    record = next(r for r in answers.records if r.fact == "age_years")
    changed, _ = answers.change(record, 15)
    assert next_step(demo, changed) is None
    assert "unaccompanied_child" in build_plan(demo, changed).categories


def test_an_edit_then_the_new_answers_give_the_same_plan_as_a_fresh_walk(demo):
    answers, _ = walk(demo, ADULT)
    record = next(r for r in answers.records if r.fact == "asylum_wish")
    changed, _ = answers.change(record, "none")
    replies = {**ADULT, "asylum_wish": "none", "fears_return": "yes"}
    edited, _ = walk(demo, replies, changed)
    fresh, _ = walk(demo, replies)
    assert build_plan(demo, edited, "xd").to_dict() == build_plan(demo, fresh, "xd").to_dict()


def test_back_forgets_the_last_answer_and_what_hung_on_it(demo):
    answers, _ = walk(demo, {"medical_emergency": "yes"})
    last = answers.last()
    assert last.fact == "medical_emergency"
    back, void = answers.forget(last.tree, last.node)
    assert back.values == {} and void == frozenset()
    assert next_step(demo, back).node.id == "q_emergency"


def test_a_draft_survives_a_round_trip_through_json(demo):
    import json

    answers, _ = walk(demo, {**ADULT, "indicators": frozenset({"wages_withheld"})})
    restored = Answers.from_json(json.loads(json.dumps(answers.to_json())))
    assert restored == answers
    assert next_step(demo, restored) is None


def test_a_file_of_facts_counts_every_set_fact_as_fully_checked(demo):
    assert Answers.given({"indicators": frozenset()}).covers("indicators", ("wages_withheld",))


def test_a_notice_is_shown_once_with_the_question_after_it_not_with_every_later_one(demo):
    replies = {k: v for k, v in ADULT.items() if k not in ("indicators", "group_size")}
    answers, _ = walk(demo, replies)
    question = next_step(demo, answers)
    assert question.node.id == "q_indicators" and [n.id for n in question.notices] == ["i_information"]
    answers = answer(demo, answers, question, frozenset())
    later = next_step(demo, answers)
    assert later.node.id == "q_group" and later.notices == ()
