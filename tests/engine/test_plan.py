"""Merging findings into one plan by the combination rules of brief §4.2, on the demonstration set."""

from __future__ import annotations

import pytest

from referral.engine import build_plan, load_guidelines
from tests.conftest import DEMO_GUIDELINES


@pytest.fixture(scope="module")
def demo():
    return load_guidelines(DEMO_GUIDELINES)


BASE = {"medical_emergency": "no", "age_apparent": "adult", "age_years": 30, "asylum_wish": "none",
        "fears_return": "no", "indicators": frozenset(), "group_size": 1, "sex": "male", "companion": "none"}


def plan(demo, country="xd", consent_refused=None, **facts):
    return build_plan(demo, {**BASE, **facts}, country, consent_refused)


def test_nothing_found_gives_no_specific_need_and_information_only(demo):
    result = plan(demo)
    assert result.categories == ("no_specific_protection_need",)
    assert result.destinations == () and result.referrals == ()
    assert result.urgency == "routine"
    assert result.must_do == ("Give information on rights and services in a language the person understands.",)


def test_no_specific_need_disappears_once_anything_is_found(demo):
    result = plan(demo, indicators=frozenset({"wages_withheld"}))
    assert result.categories == ("migrant_worker_vulnerable",)


def test_r1_union_of_destinations_most_urgent_level_and_every_must_not(demo):
    result = plan(demo, medical_emergency="yes", asylum_wish="explicit", removal_imminent="no")
    assert result.categories == ("serious_medical_condition", "asylum_seeker")
    assert result.destinations == ("health", "national_asylum_authority", "unhcr", "legal_aid")
    assert result.urgency == "immediate"  # the medical finding wins over the asylum finding's within_24h
    assert result.must_not == ("MN01", "MN02", "MN08", "MN09", "MN16")
    by_kind = {r.kind: r.urgency for r in result.referrals}
    assert by_kind["health"] == "immediate" and by_kind["legal_aid"] == "within_24h"


def test_urgency_rises_where_the_finding_says_so(demo):
    assert plan(demo, asylum_wish="explicit", removal_imminent="yes").urgency == "immediate"
    assert plan(demo, asylum_wish="explicit", removal_imminent="unknown").urgency == "within_24h"


def test_r4_consular_contact_is_dropped_once_protection_is_asked_for(demo):
    worker = plan(demo, indicators=frozenset({"wages_withheld"}))
    assert "consular" in worker.destinations
    for facts in ({"asylum_wish": "indirect"}, {"fears_return": "yes"}):
        result = plan(demo, indicators=frozenset({"wages_withheld"}), **facts)
        assert "consular" not in result.destinations
        assert result.dropped == {"consular": "protection_asked_no_consular_contact"}
        assert {"MN01", "MN02"} <= set(result.must_not)


def test_r5_an_adult_may_refuse_a_referral_and_the_must_nots_stay(demo):
    result = plan(demo, asylum_wish="explicit", consent_refused=["legal_aid"])
    assert "legal_aid" not in result.destinations
    assert result.refused == ("legal_aid",)
    assert {"MN01", "MN02"} <= set(result.must_not)


def test_r5_a_child_s_refusal_does_not_stop_child_protection(demo):
    result = plan(demo, age_years=15, age_apparent="child", consent_refused=["child_protection"])
    assert "child_protection" in result.destinations
    assert result.kept_despite_refusal == {"child_protection": "child_protection_duty"}
    assert result.refused == ()


def test_r5_life_saving_care_goes_on_despite_a_refusal(demo):
    result = plan(demo, medical_emergency="yes", consent_refused=["health"])
    assert result.kept_despite_refusal == {"health": "life_saving_care"}


def test_consent_can_come_in_the_facts_too(demo):
    result = build_plan(demo, {**BASE, "asylum_wish": "explicit", "consent_refused": frozenset({"legal_aid"})}, "xd")
    assert result.refused == ("legal_aid",)


def test_r10_a_kind_the_country_lacks_goes_to_its_fallback_and_the_must_nots_stay(demo):
    result = plan(demo, asylum_wish="explicit")
    unhcr = next(r for r in result.referrals if r.kind == "unhcr")
    assert unhcr.requested_as == ("national_asylum_authority", "unhcr")
    assert unhcr.to_dict()["fallback_for"] == ["national_asylum_authority"]
    assert unhcr.agency["name"] == "UNHCR office (demonstration)"
    assert "national_asylum_authority" in result.destinations  # what the guideline asks is still shown
    assert {"MN01", "MN02"} <= set(result.must_not)


def test_without_a_country_the_plan_names_kinds_but_no_agency(demo):
    result = plan(demo, country=None, asylum_wish="explicit")
    assert result.country is None
    assert all(r.agency is None for r in result.referrals)


def test_group_mode_for_a_mass_arrival(demo):
    assert plan(demo, group_size=300).group_mode is True
    assert plan(demo, group_size=3).group_mode is False


def test_each_finding_keeps_its_source_and_the_answers_that_led_to_it(demo):
    result = plan(demo, age_years=16, age_apparent="unclear", companion="unrelated_adult")
    (finding,) = [f for f in result.findings if f.category == "separated_child"]
    assert finding.source()["tree"] == "demo-first-contact" and finding.source()["node"] == "f_separated"
    assert finding.source()["section"] and finding.source()["verified_against_primary"] is False
    assert finding.because == {"age_years": 16, "companion": "unrelated_adult", "presumed_minor": "yes"}
    assert finding.urgency == "immediate"


def test_facts_not_given_are_unknown_and_listed(demo):
    result = build_plan(demo, {"medical_emergency": "no"}, "xd")
    assert "age_years" in result.missing_facts and "medical_emergency" not in result.missing_facts
    assert "presumed_minor" not in result.missing_facts  # derived facts are never missing


FACTS_MD_KEYS = {"country", "group_mode", "findings", "categories", "destinations", "agencies", "urgency",
                 "must_not", "consent", "missing_facts"}


def test_the_plan_as_json_has_every_key_facts_md_shows(demo):
    data = plan(demo, asylum_wish="explicit").to_dict()
    assert FACTS_MD_KEYS <= set(data)
    assert {"refused", "kept_despite_refusal"} <= set(data["consent"])
    finding = data["findings"][0]
    assert {"category", "destinations", "urgency", "must_not", "must_do", "source"} <= set(finding)
    assert {"tree", "node", "section"} <= set(finding["source"])
    assert {"kind", "name"} <= set(data["agencies"][0])


def test_national_rules_come_with_the_plan_when_they_apply(demo):
    leaflet = "Give every person the information leaflet in a language he or she understands."
    irregular = "After an irregular crossing, the asylum request is passed to UNHCR within 24 hours."
    assert plan(demo).national_rules == (leaflet,)
    assert plan(demo, asylum_wish="explicit", entry="irregular_crossing").national_rules == (leaflet, irregular)
    assert plan(demo, asylum_wish="explicit", entry="at_checkpoint").national_rules == (leaflet,)
    assert plan(demo, country=None).national_rules == ()
