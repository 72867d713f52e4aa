"""The shipped guidelines (guidelines/trees): they check clean, cite their sources, ask each fact once, and
give the combination rules of brief §4.2 that the engine leaves to the trees (R2, R3, R6, R8)."""

from __future__ import annotations

import pytest

from referral.engine import Answers, answer, build_plan, check_guidelines, load_guidelines, next_step, walk_all
from referral.engine.schema import FindingNode, QuestionNode
from tests.conftest import GUIDELINES

TREES = ("unhcr-2016", "iom-2018")


@pytest.fixture(scope="module")
def gset():
    return load_guidelines(GUIDELINES)


def plan(gset, **facts):
    return build_plan(gset, facts)


def test_the_shipped_guidelines_check_without_any_problem():
    gset, problems = check_guidelines(GUIDELINES)
    assert [str(p) for p in problems] == []
    assert tuple(tree.id for tree in gset.trees) == TREES  # unhcr-2016 is walked first


def test_every_node_cites_a_section_of_the_brief_and_none_claims_to_be_verified(gset):
    for tree in gset.trees:
        for node in tree.nodes.values():
            source = node.source
            assert source.section.startswith("brief §"), (tree.id, node.id)
            assert source.basis in ("R", "D", "B"), (tree.id, node.id)
            # Neither guideline's text was available (brief §0.1): nothing is verified against it yet.
            assert source.verified is False, (tree.id, node.id)
            assert all(ref.startswith("S") for ref in source.refs), (tree.id, node.id)


def test_every_question_has_a_text_for_the_official_and_a_phrase_or_an_observation_mark(gset):
    for tree in gset.trees:
        for node in tree.nodes.values():
            if isinstance(node, QuestionNode):
                assert node.text, node.id
                assert isinstance(node.say, str), node.id
                assert not (node.private and not node.say), f"{node.id}: an observation needs no privacy"


SENSITIVE = {"fears_return", "medical_conditions", "sexual_assault_hours_ago", "pregnant"}


def test_sensitive_matters_are_asked_only_in_private(gset):
    private = {node.fact for tree in gset.trees for node in tree.nodes.values()
               if isinstance(node, QuestionNode) and node.private}
    assert SENSITIVE <= private
    violence = [node for node in gset.tree("iom-2018").nodes.values()
                if isinstance(node, QuestionNode) and "sexual_violence_disclosed" in node.options]
    assert violence and all(node.private for node in violence)


def test_each_fact_and_each_value_of_a_set_fact_is_asked_by_one_question_only(gset):
    asked: dict[tuple[str, str | None], str] = {}
    for tree in gset.trees:
        for node in tree.nodes.values():
            if not isinstance(node, QuestionNode):
                continue
            keys = [(node.fact, option) for option in node.options] if node.answer_type == "multi" else [
                (node.fact, None)]
            for key in keys:
                assert key not in asked, f"{tree.id}/{node.id} asks {key} again (first: {asked.get(key)})"
                asked[key] = f"{tree.id}/{node.id}"


def test_every_category_is_found_by_some_finding(gset):
    found = {node.category for tree in gset.trees for node in tree.nodes.values() if isinstance(node, FindingNode)}
    assert found == set(gset.vocab.categories)


def test_mass_arrival_is_a_group_mode_finding(gset):
    group = [node for node in gset.tree("unhcr-2016").nodes.values()
             if isinstance(node, FindingNode) and node.group_mode]
    assert [node.id for node in group] == ["f_mass_arrival"]
    result = plan(gset, group_size=345, companion="family_group")
    assert result.group_mode and result.urgency == "immediate"
    assert not plan(gset, group_size=3).group_mode


# -- the three hard cases --------------------------------------------------------------------------------------

def test_fear_said_only_indirectly_is_found_without_a_request(gset):
    result = plan(gset, age_apparent="adult", age_years=35, asylum_wish="none", fears_return="yes")
    assert "asylum_seeker" in result.categories
    assert {"national_asylum_authority", "unhcr", "legal_aid"} <= set(result.destinations)
    assert {"MN01", "MN02"} <= set(result.must_not)


def test_a_child_who_says_he_is_an_adult_is_treated_as_a_child(gset):
    result = plan(gset, age_years=19, age_apparent="child", companion="unverified_relative")
    assert "separated_child" in result.categories
    assert "child_protection" in result.destinations and result.urgency == "immediate"
    assert "MN12" in result.must_not
    first_contact = walk_all(gset, {"age_years": 19, "age_apparent": "child"}, complete=True)[0]
    assert first_contact.tree.id == "unhcr-2016" and "i_age_doubt" in first_contact.visited


def test_a_trafficked_woman_who_calls_it_a_bad_job_is_found(gset):
    result = plan(gset, sex="female", age_years=34, age_apparent="adult", asylum_wish="none", fears_return="no",
                  indicators=["restricted_movement", "forced_domestic_work", "wages_withheld"])
    assert "victim_of_trafficking" in result.categories
    assert {"anti_trafficking", "iom"} <= set(result.destinations)
    assert {"MN03", "MN17", "MN19"} <= set(result.must_not)


# -- combination rules that come out of the trees' findings ---------------------------------------------------

def test_r2_life_first_sends_to_health_at_once(gset):
    result = plan(gset, medical_emergency="yes", asylum_wish="explicit")
    assert "health" in result.destinations and result.urgency == "immediate"
    assert "MN16" in result.must_not
    assert result.findings[0].category == "serious_medical_condition"  # its actions come first in the plan


def test_r3_a_child_victim_goes_to_child_protection_immediately_even_with_a_parent(gset):
    for indicators in (["sexual_violence_disclosed"], ["child_begging_or_working"], ["hidden_in_vehicle"]):
        result = plan(gset, age_years=13, age_apparent="child", companion="parent_or_caregiver",
                      indicators=indicators, sexual_assault_hours_ago=1000)
        assert "child_protection" in result.destinations, indicators
        assert result.urgency == "immediate", indicators
        assert {"MN05", "MN13"} <= set(result.must_not), indicators


def test_r3_a_child_keeps_child_protection_despite_a_refusal(gset):
    result = build_plan(gset, {"age_years": 14, "age_apparent": "child", "companion": "none"},
                        consent_refused=["child_protection"])
    assert "child_protection" in result.destinations
    assert result.kept_despite_refusal == {"child_protection": "child_protection_duty"}


def test_r6_a_controller_present_makes_trafficking_immediate(gset):
    base = dict(age_years=30, age_apparent="adult", indicators=["restricted_movement"])
    assert plan(gset, **base).urgency == "within_24h"
    controlled = plan(gset, **{**base, "indicators": ["restricted_movement", "controlled_by_companion"]})
    assert controlled.urgency == "immediate" and "MN04" in controlled.must_not
    driver = plan(gset, **{**base, "companion": "group_leader", "documents": ["held_by_other"]})
    assert driver.urgency == "immediate"


@pytest.mark.parametrize(("hours", "urgency"), [(10, "immediate"), (72, "immediate"), (120, "immediate"),
                                                (121, "within_24h")])
def test_r8_recent_sexual_violence_is_health_immediately(gset, hours, urgency):
    result = plan(gset, age_years=30, age_apparent="adult", indicators=["sexual_violence_disclosed"],
                  sexual_assault_hours_ago=hours)
    assert "health" in result.destinations and result.urgency == urgency


def test_a_parent_holding_the_childs_passport_is_not_a_sign_of_trafficking(gset):
    result = plan(gset, age_years=8, age_apparent="child", companion="parent_or_caregiver",
                  documents=["held_by_other"], indicators=[], asylum_wish="none", fears_return="no")
    assert result.categories == ("no_specific_protection_need",)


def test_a_regular_labour_migrant_gets_no_referral(gset):
    result = plan(gset, age_years=29, age_apparent="adult", sex="male", companion="none",
                  documents=["valid_passport", "valid_visa"], indicators=[], medical_conditions=[], disability=[],
                  asylum_wish="none", fears_return="no", country_of_origin="KG", medical_emergency="no")
    assert result.categories == ("no_specific_protection_need",)
    assert result.destinations == () and result.urgency == "routine"


# -- the trees asked one question at a time -------------------------------------------------------------------

def _interview(gset, facts):
    """Answer the questions one by one from ``facts``, as an official would; return the answers and the facts
    asked (a set fact per option)."""
    answers, asked = Answers(), []
    while (question := next_step(gset, answers)) is not None:
        node = question.node
        value = facts.get(question.fact, "unknown")
        if node.answer_type == "multi":
            given = set(value) if isinstance(value, list | set | frozenset) else set()
            value = frozenset(given & set(node.options))
            asked += [(question.fact, option) for option in node.options]
        else:
            asked.append((question.fact, None))
        answers = answer(gset, answers, question, value)
        assert len(asked) < 200
    return answers, asked


def test_an_interview_asks_every_fact_once_and_gives_the_plan_of_the_facts(gset):
    facts = {"medical_emergency": "no", "group_size": 2, "entry": "exit_checkpoint", "age_apparent": "child",
             "companion": "unrelated_adult", "documents": ["valid_passport", "held_by_other"],
             "indicators": ["companion_answers_for_person", "deceptive_job_offer"], "age_years": 15, "sex": "female",
             "asylum_wish": "none", "fears_return": "no", "pregnant": "no"}
    answers, asked = _interview(gset, facts)
    assert len(asked) == len(set(asked))
    assert build_plan(gset, answers).categories == build_plan(gset, facts).categories
