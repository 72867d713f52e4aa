"""The shipped national pathways (guidelines/pathways/*.yaml): complete, well formed, and R10 for Uzbekistan.

The pathways are checked in a temporary set of their own (facts.yaml + pathways, no trees), so that these tests do
not depend on the state of the national trees. Plans are built with the demonstration trees and the shipped
pathways; when the national trees exist, the Uzbek plan is also built with them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from referral.engine import build_plan, check_guidelines, load_guidelines
from tests.conftest import DEMO_GUIDELINES, GUIDELINES

PATHWAY_FILES = sorted((GUIDELINES / "pathways").glob("*.yaml"))
COUNTRIES = [path.stem for path in PATHWAY_FILES]
EXPECTED = {"kz", "kg", "tj", "tm", "uz", "az", "tr"}
SLIP_LANGUAGES = {"ru", "kk", "ky", "tg", "uz", "tk", "az", "tr", "en"}
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
# The only telephone numbers the brief gives: helpline 150 (KZ, S50) and hotline 189 (KG, S51). An unconfirmed
# contact must not carry any other number of three digits or more.
BRIEF_NUMBERS = {"150", "189"}

ASYLUM_REQUEST = {"medical_emergency": "no", "age_apparent": "adult", "age_years": 30, "sex": "male",
                  "companion": "none", "group_size": 1, "asylum_wish": "explicit", "fears_return": "yes",
                  "removal_imminent": "no", "indicators": frozenset()}


def _set(root: Path, trees: Path | None) -> Path:
    """A guideline set in ``root``: the shared vocabulary, every shipped pathway, and the trees of ``trees``."""
    shutil.copy(GUIDELINES / "facts.yaml", root / "facts.yaml")
    shutil.copytree(GUIDELINES / "pathways", root / "pathways")
    (root / "trees").mkdir()
    for tree in sorted(trees.glob("*.yaml")) if trees else ():
        shutil.copy(tree, root / "trees" / tree.name)
    return root


@pytest.fixture(scope="module")
def pathway_set(tmp_path_factory):
    gset, problems = check_guidelines(_set(tmp_path_factory.mktemp("pathways"), None))
    assert [f"{p.file}:{p.line} {p.code}" for p in problems] == []
    return gset


@pytest.fixture(scope="module")
def demo_set(tmp_path_factory):
    return load_guidelines(_set(tmp_path_factory.mktemp("demo-with-pathways"), DEMO_GUIDELINES / "trees"))


def test_every_country_of_the_brief_has_a_pathway(pathway_set):
    assert EXPECTED <= set(COUNTRIES)
    assert {cc.upper() for cc in COUNTRIES} == set(pathway_set.pathways)


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_destination_kind_resolves_to_an_agency(pathway_set, country):
    pathway = pathway_set.pathway(country)
    assert pathway.country == country.upper()
    for kind in pathway_set.vocab.destinations:
        resolved = pathway.resolve(kind)
        assert resolved is not None, f"{country}: {kind} reaches no agency"
        agency, chain = resolved
        assert agency.name, f"{country}: {kind} resolves to an agency without a name"
        assert agency.contact, f"{country}: {kind} has no contact (write 'to be confirmed by the national team')"
        assert (kind in pathway.agencies) == (chain == ())


@pytest.mark.parametrize("country", COUNTRIES)
def test_slip_languages_are_valid_codes(pathway_set, country):
    for kind, agency in pathway_set.pathway(country).agencies.items():
        assert LANGUAGE_CODE.match(agency.slip_language), f"{country}: {kind}: {agency.slip_language!r}"
        assert agency.slip_language in SLIP_LANGUAGES, f"{country}: {kind}: {agency.slip_language!r}"


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_agency_cites_its_source_and_unconfirmed_contacts_carry_no_invented_numbers(pathway_set, country):
    pathway = pathway_set.pathway(country)
    assert pathway.rules, f"{country}: no national rules"
    for kind, agency in pathway.agencies.items():
        assert "brief §" in agency.source, f"{country}: {kind} has no source"
        if not agency.confirmed:
            assert set(re.findall(r"\d{3,}", agency.contact)) <= BRIEF_NUMBERS, f"{country}: {kind}: {agency.contact}"


def test_uzbekistan_has_no_asylum_authority_and_falls_back_to_unhcr(pathway_set):
    uz = pathway_set.pathway("uz")
    assert "national_asylum_authority" not in uz.agencies
    assert uz.fallbacks["national_asylum_authority"] == "unhcr"
    agency, chain = uz.resolve("national_asylum_authority")
    assert agency.kind == "unhcr" and "UNHCR" in agency.name
    assert chain == ("national_asylum_authority",)


def test_the_other_central_asian_states_have_their_own_asylum_authority(pathway_set):
    for country in ("kz", "kg", "tj", "tm"):
        agency, chain = pathway_set.pathway(country).resolve("national_asylum_authority")
        assert chain == () and agency.kind == "national_asylum_authority"
    assert "Ministry of Labour" in pathway_set.pathway("kz").agencies["national_asylum_authority"].name


def _assert_uzbek_asylum_plan(plan):
    assert plan.country == "UZ"
    assert "asylum_seeker" in plan.categories
    assert {"MN01", "MN02"} <= set(plan.must_not)  # R10: the fallback keeps every must-not
    by_kind = {r.kind: r for r in plan.referrals}
    assert "national_asylum_authority" not in by_kind
    unhcr = by_kind["unhcr"]
    assert "national_asylum_authority" in unhcr.requested_as
    assert "UNHCR" in unhcr.agency["name"]
    assert "national_asylum_authority" in unhcr.to_dict()["fallback_for"]
    assert "consular" not in plan.destinations  # R4


def test_an_explicit_asylum_request_in_uzbekistan_goes_to_unhcr_with_mn01_and_mn02(demo_set):
    _assert_uzbek_asylum_plan(build_plan(demo_set, ASYLUM_REQUEST, country="uz"))


def test_the_same_request_in_kazakhstan_goes_to_the_ministry_of_labour(demo_set):
    plan = build_plan(demo_set, ASYLUM_REQUEST, country="kz")
    by_kind = {r.kind: r for r in plan.referrals}
    assert by_kind["national_asylum_authority"].requested_as == ("national_asylum_authority",)
    assert "Ministry of Labour" in by_kind["national_asylum_authority"].agency["name"]
    assert "UNHCR" in by_kind["unhcr"].agency["name"]


@pytest.mark.skipif(not any((GUIDELINES / "trees").glob("*.yaml")), reason="the national trees are not written yet")
def test_an_explicit_asylum_request_in_uzbekistan_with_the_national_trees():
    _assert_uzbek_asylum_plan(build_plan(load_guidelines(GUIDELINES), ASYLUM_REQUEST, country="uz"))


KZ_ONE_DAY_RULE = "A person who entered irregularly must apply within 1 day"


def test_the_kazakh_one_day_rule_is_shown_after_an_irregular_crossing_only(demo_set):
    # The national trees are not needed: demo_set holds the demonstration trees (which find asylum_seeker for
    # `asylum_wish: explicit`) and the shipped pathways.
    irregular = build_plan(demo_set, {**ASYLUM_REQUEST, "entry": "irregular_crossing"}, country="kz")
    assert "asylum_seeker" in irregular.categories
    assert any(rule.startswith(KZ_ONE_DAY_RULE) for rule in irregular.national_rules)
    assert not any("official crossing point" in rule for rule in irregular.national_rules)

    checkpoint = build_plan(demo_set, {**ASYLUM_REQUEST, "entry": "at_checkpoint"}, country="kz")
    assert "asylum_seeker" in checkpoint.categories
    assert not any(KZ_ONE_DAY_RULE in rule for rule in checkpoint.national_rules)
    assert any("official crossing point" in rule for rule in checkpoint.national_rules)
    assert checkpoint.to_dict()["national_rules"] == list(checkpoint.national_rules)


def test_the_kazakh_one_day_rule_is_not_shown_without_an_asylum_request(demo_set):
    facts = {**ASYLUM_REQUEST, "asylum_wish": "none", "fears_return": "no", "entry": "irregular_crossing"}
    plan = build_plan(demo_set, facts, country="kz")
    assert "asylum_seeker" not in plan.categories
    assert not any(KZ_ONE_DAY_RULE in rule for rule in plan.national_rules)
