"""Properties that must hold for any person, on every guideline set shipped: checked with Hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral.engine import Answers, build_plan, load_guidelines, next_step
from referral.engine.facts import FactSpec
from tests.conftest import DEMO_GUIDELINES, GUIDELINES

SETS = [DEMO_GUIDELINES] + ([GUIDELINES] if any((GUIDELINES / "trees").glob("*.yaml")) else [])
CODES = {"language": ["ru", "prs", "ps", "tg", "uz", "en", "unknown"],
         "country_of_origin": ["AF", "SY", "UZ", "none", "unknown"]}


def value_of(spec: FactSpec) -> st.SearchStrategy:
    if spec.type in ("tri", "enum"):
        return st.sampled_from(spec.choices())
    if spec.type == "set":
        return st.one_of(st.just("unknown"), st.frozensets(st.sampled_from(spec.values)))
    if spec.type == "int":
        return st.one_of(st.just("unknown"), st.integers(spec.minimum or 0, spec.maximum or 10_000))
    return st.sampled_from(CODES.get(spec.id, ["unknown"]))


def facts_for(gset) -> st.SearchStrategy:
    asked = {fid: spec for fid, spec in gset.vocab.facts.items() if not spec.derived}
    return st.fixed_dictionaries({}, optional={fid: value_of(spec) for fid, spec in asked.items()})


@pytest.fixture(scope="module", params=SETS, ids=lambda p: p.name)
def gset(request):
    return load_guidelines(request.param)


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(data=st.data())
def test_any_facts_give_a_question_or_a_plan_and_never_an_exception(gset, data):
    facts = data.draw(facts_for(gset))
    question = next_step(gset, Answers.given(facts))
    if question is not None:
        assert question.fact not in facts  # a fact given once is never asked again
    plan = build_plan(gset, facts, country=data.draw(st.sampled_from([None, *gset.pathways])))
    assert plan.urgency in gset.vocab.urgency
    assert set(plan.must_not) <= set(gset.vocab.must_not)


@FAST
@given(data=st.data())
def test_each_finding_names_its_source(gset, data):
    plan = build_plan(gset, data.draw(facts_for(gset)))
    for finding in plan.findings:
        source = finding.source()
        assert source["tree"] and source["node"] and source["section"]
        assert source["basis"] in ("R", "D", "B")


@FAST
@given(data=st.data())
def test_one_more_indicator_never_lowers_urgency_or_removes_a_destination(gset, data):
    facts = data.draw(facts_for(gset))
    spec = gset.vocab.facts["indicators"]
    before = facts.get("indicators")
    before = before if isinstance(before, frozenset) else frozenset()
    extra = data.draw(st.sampled_from([v for v in spec.values if v not in before] or [None]))
    if extra is None:
        return
    first = build_plan(gset, {**facts, "indicators": before})
    second = build_plan(gset, {**facts, "indicators": before | {extra}})
    rank = gset.vocab.urgency_rank
    assert rank(second.urgency) <= rank(first.urgency)
    # Consular contact is the one destination a new fact may rightly remove: R4 drops it once protection is
    # asked for, and an indicator may reveal exactly that.
    assert set(first.destinations) - {"consular"} <= set(second.destinations)
