"""The scenario library: every scenario passes, together they reach every node, the worked examples of brief
§4.3 come out as the brief prints them, and a broken scenario file is reported with its own codes."""

from __future__ import annotations

import shutil

import pytest

from referral.engine import (
    Answers,
    ErrorCode,
    GuidelineError,
    answer,
    build_plan,
    check_guidelines,
    load_guidelines,
    next_step,
)
from referral.engine import scenarios as scenario_module
from referral.engine.errors import Reporter
from referral.engine.scenario_coverage import coverage, coverage_text
from referral.engine.scenarios import check_scenario, load_scenarios, scenario_files
from tests.conftest import GUIDELINES

SCENARIO_IDS = [path.stem for path in scenario_files(GUIDELINES)]

# Brief §4.3 as printed: categories, destinations, urgency, key must-nots.
BRIEF_EXAMPLES = {
    1: ({"separated_child", "victim_of_trafficking"}, {"child_protection", "anti_trafficking"}, "immediate",
        {"MN04", "MN13", "MN03"}),
    2: ({"asylum_seeker", "serious_medical_condition"}, {"health", "national_asylum_authority", "unhcr", "legal_aid"},
        "immediate", {"MN01", "MN02", "MN16"}),
    3: ({"victim_of_trafficking", "asylum_seeker"},
        {"anti_trafficking", "iom", "national_asylum_authority", "unhcr", "psychosocial"}, "immediate",
        {"MN01", "MN02", "MN03"}),
    4: ({"stateless_or_at_risk", "asylum_seeker"}, {"national_asylum_authority", "unhcr", "legal_aid"}, "within_24h",
        {"MN01", "MN02"}),
    5: ({"asylum_seeker", "sgbv_survivor", "family_unity"},
        {"health", "psychosocial", "national_asylum_authority", "unhcr"}, "immediate", {"MN01", "MN06", "MN10"}),
    6: ({"victim_of_trafficking", "migrant_worker_vulnerable"}, {"anti_trafficking", "iom"}, "immediate",
        {"MN04", "MN17"}),
}
# Where the brief contradicts itself: §2.0 and §2.1 (and examples 2 and 4) send every asylum-seeker to legal
# aid, rows 3 and 5 leave it out, and no rule of §4.2 removes it. The plans keep it; the scenarios say why.
CONTRADICTIONS = {3: {"legal_aid"}, 5: {"legal_aid"}}


@pytest.fixture(scope="module")
def gset():
    return load_guidelines(GUIDELINES)


@pytest.fixture(scope="module")
def library(gset):
    report = Reporter("guidelines")
    scenarios = load_scenarios(gset, GUIDELINES, report)
    assert [str(p) for p in report.problems] == []
    return {scenario.id: scenario for scenario in scenarios}


def test_the_library_has_at_least_thirty_scenarios_each_with_its_teaching_point(library):
    assert len(library) >= 30
    for scenario in library.values():
        assert scenario.narrative and scenario.teaching_point and scenario.title
        assert scenario.country in {"kz", "kg", "tj", "tm", "uz", "az", "tr"}


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_every_scenario_gives_the_plan_it_expects(gset, library, scenario_id):
    differences = check_scenario(gset, library[scenario_id])
    assert [str(d) for d in differences] == []


@pytest.mark.parametrize("scenario_id", SCENARIO_IDS)
def test_asked_one_question_at_a_time_each_scenario_gives_the_same_plan(gset, library, scenario_id):
    """The trees ask every fact they decide on before deciding, and ask it once: an official answering the
    questions in order from the scenario's facts gets the plan of the facts given all at once."""
    scenario = library[scenario_id]
    answers, asked = Answers(), []
    while (question := next_step(gset, answers)) is not None:
        value = scenario.facts.get(question.fact, "unknown")
        if question.node.answer_type == "multi":
            value = (value if isinstance(value, frozenset) else frozenset()) & frozenset(question.node.options)
            asked += [(question.fact, option) for option in question.node.options]
        else:
            asked.append((question.fact, None))
        answers = answer(gset, answers, question, value)
    assert len(asked) == len(set(asked))
    interviewed = build_plan(gset, answers, scenario.country, scenario.consent_refused)
    given = build_plan(gset, scenario.facts, scenario.country, scenario.consent_refused)
    for name in ("categories", "destinations", "must_not"):
        assert set(getattr(interviewed, name)) == set(getattr(given, name)), name
    assert interviewed.urgency == given.urgency


def test_every_category_is_expected_by_some_scenario(gset, library):
    expected = {c for scenario in library.values() for c in scenario.expect.categories}
    assert expected == set(gset.vocab.categories)


def test_every_node_and_every_finding_of_both_trees_is_reached_by_a_scenario(gset, library):
    cover = coverage(gset, library.values())
    assert {tree.tree for tree in cover.trees} == {"unhcr-2016", "iom-2018"}
    for tree in cover.trees:
        assert tree.unreached_findings() == [], tree.tree
        assert tree.unreached_nodes() == [], tree.tree
    assert cover.complete(), coverage_text(cover)


@pytest.mark.parametrize("number", sorted(BRIEF_EXAMPLES))
def test_each_worked_example_gives_the_brief_s_plan(gset, library, number):
    categories, destinations, urgency, key_must_not = BRIEF_EXAMPLES[number]
    [scenario] = [s for s in library.values() if s.brief is not None and s.brief.number == number]
    # The file quotes the brief's row faithfully ...
    assert (set(scenario.brief.categories), set(scenario.brief.destinations), scenario.brief.urgency,
            set(scenario.brief.key_must_not)) == (categories, destinations, urgency, key_must_not)
    # ... and the plan gives it: destination kinds before the pathway resolves them.
    plan = build_plan(gset, scenario.facts, scenario.country)
    assert set(plan.categories) == categories
    assert plan.urgency == urgency
    assert key_must_not <= set(plan.must_not)  # the brief's column holds the key must-nots only
    assert set(plan.destinations) == destinations | CONTRADICTIONS.get(number, set())
    if number in CONTRADICTIONS:
        assert "contradicts itself" in scenario.brief.note


def _tagged(library, tag):
    found = [s for s in library.values() if tag in s.tags]
    assert found, tag
    return found


def test_the_three_hard_cases_are_found(gset, library):
    [fear] = _tagged(library, "indirect_fear")
    assert fear.facts["asylum_wish"] == "none" and fear.facts["fears_return"] == "yes"
    assert "asylum_seeker" in build_plan(gset, fear.facts).categories

    [boy] = _tagged(library, "age_in_doubt")
    assert boy.facts["age_years"] == 19 and boy.facts["age_apparent"] == "child"
    plan = build_plan(gset, boy.facts)
    assert "separated_child" in plan.categories and "child_protection" in plan.destinations

    [woman] = _tagged(library, "no_self_identification")
    assert woman.facts["sex"] == "female" and woman.facts["asylum_wish"] == "none"
    assert "victim_of_trafficking" in build_plan(gset, woman.facts).categories


def test_consent_is_refused_by_an_adult_and_kept_for_a_child(library):
    adults = [s for s in library.values() if s.expect.refused]
    assert any(s.facts.get("age_apparent") == "adult" for s in adults)
    children = [s for s in library.values() if "child_protection" in s.expect.kept_despite_refusal]
    assert children and all(s.facts.get("age_apparent") == "child" for s in children)


def test_a_labour_migrant_with_no_protection_need_is_in_the_library(library):
    assert library["labour-migrant-going-home"].expect.categories == {"no_specific_protection_need"}
    assert library["labour-migrant-going-home"].expect.destinations == frozenset()


# -- broken scenario files -------------------------------------------------------------------------------------

GOOD = """\
id: good
title: A man asks for protection
narrative: A man at the checkpoint asks not to be sent back.
country: kz
facts:
  age_years: 30
  age_apparent: adult
  asylum_wish: explicit
expect:
  categories: [asylum_seeker]
  destinations: [national_asylum_authority, unhcr, legal_aid]
  urgency: within_24h
  must_not: [MN01, MN02, MN03, MN08, MN09]
teaching_point: Any words asking for protection are a request.
"""


def make_set(tmp_path, scenarios: dict[str, str]):
    root = tmp_path / "guidelines"
    root.mkdir()
    shutil.copy(GUIDELINES / "facts.yaml", root / "facts.yaml")
    shutil.copytree(GUIDELINES / "trees", root / "trees")
    shutil.copytree(GUIDELINES / "pathways", root / "pathways")
    (root / "scenarios").mkdir()
    for name, text in scenarios.items():
        (root / "scenarios" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


def _broken(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def test_a_good_scenario_file_has_no_problem(tmp_path):
    _gset, problems = check_guidelines(make_set(tmp_path, {"good": GOOD}))
    assert problems == []


BROKEN = [
    (ErrorCode.YAML_SYNTAX, "id: [good\nexpect: {"),
    (ErrorCode.UNKNOWN_KEY, _broken("teaching_point:", "teaching_pont: x\nteaching_point:")),
    (ErrorCode.MISSING_KEY, _broken("teaching_point: Any words asking for protection are a request.\n", "")),
    (ErrorCode.MISSING_KEY, _broken("  urgency: within_24h\n", "")),
    (ErrorCode.BAD_TYPE, _broken("narrative: A man at the checkpoint asks not to be sent back.", "narrative: [a, b]")),
    (ErrorCode.BAD_TYPE, _broken("expect:\n", "expect: []\nignored:\n")),
    (ErrorCode.DUPLICATE_KEY, _broken("  age_years: 30\n", "  age_years: 30\n  age_years: 31\n")),
    (ErrorCode.UNKNOWN_FACT, _broken("  age_years: 30", "  age_year: 30")),
    (ErrorCode.UNKNOWN_VALUE, _broken("asylum_wish: explicit", "asylum_wish: perhaps")),
    (ErrorCode.UNKNOWN_CATEGORY, _broken("categories: [asylum_seeker]", "categories: [asylum_seker]")),
    (ErrorCode.UNKNOWN_DESTINATION, _broken("unhcr, legal_aid]", "unhrc, legal_aid]")),
    (ErrorCode.UNKNOWN_DESTINATION, _broken("expect:", "consent_refused: [lawyer]\nexpect:")),
    (ErrorCode.UNKNOWN_URGENCY, _broken("urgency: within_24h", "urgency: asap")),
    (ErrorCode.UNKNOWN_MUST_NOT, _broken("MN09]", "MN99]")),
    (ErrorCode.SETS_DERIVED_FACT, _broken("  asylum_wish: explicit", "  asylum_wish: explicit\n  presumed_minor: no")),
    (ErrorCode.UNKNOWN_COUNTRY, _broken("country: kz", "country: xx")),
    (ErrorCode.SCENARIO_ID, _broken("id: good", "id: other")),
    (ErrorCode.IMPOSSIBLE_EXPECTATION, _broken("categories: [asylum_seeker]",
                                               "categories: [asylum_seeker, no_specific_protection_need]")),
    (ErrorCode.IMPOSSIBLE_EXPECTATION, _broken("  must_not:", "  kept_despite_refusal: [health]\n  must_not:")),
    (ErrorCode.IMPOSSIBLE_EXPECTATION, _broken("teaching_point:", "brief_example:\n  number: 9\n"
                                               "  categories: [asylum_seeker]\n  destinations: [unhcr]\n"
                                               "  urgency: within_24h\n  key_must_not: [MN01]\nteaching_point:")),
]


@pytest.mark.parametrize(("code", "text"), BROKEN, ids=[f"{c.code}-{i}" for i, (c, _t) in enumerate(BROKEN)])
def test_a_broken_scenario_file_is_reported_with_its_code(tmp_path, code, text):
    _gset, problems = check_guidelines(make_set(tmp_path, {"good": text}))
    errors = [p for p in problems if p.is_error]
    assert code in {p.code for p in errors}, [str(p) for p in problems]
    assert all(p.file == "guidelines/scenarios/good.yaml" for p in errors)
    if code is not ErrorCode.YAML_SYNTAX:
        assert all(p.node in ("good", "other") and p.line for p in errors), [str(p) for p in errors]
    with pytest.raises(GuidelineError):
        load_guidelines(tmp_path / "guidelines")


def test_a_plan_that_no_longer_matches_is_a_warning_that_does_not_stop_the_set(tmp_path):
    root = make_set(tmp_path, {"good": _broken("urgency: within_24h", "urgency: routine")})
    _gset, problems = check_guidelines(root)
    assert [(p.code, p.node, p.is_error) for p in problems] == [(ErrorCode.SCENARIO_DIFFERS, "good", False)]
    assert "urgency: expected routine, got within_24h" in problems[0].message
    assert problems[0].line == 12
    load_guidelines(root)


def test_a_scenario_that_cannot_be_run_is_an_error(tmp_path, monkeypatch):
    def fail(gset, scenario):
        raise GuidelineError([])

    monkeypatch.setattr(scenario_module, "check_scenario", fail)
    _gset, problems = check_guidelines(make_set(tmp_path, {"good": GOOD}))
    assert [p.code for p in problems] == [ErrorCode.SCENARIO_NOT_RUN]


def test_scenarios_are_not_run_while_a_tree_has_errors(tmp_path):
    root = make_set(tmp_path, {"good": _broken("urgency: within_24h", "urgency: routine")})
    tree = root / "trees" / "iom-2018.yaml"
    tree.write_text(tree.read_text(encoding="utf-8").replace("category: disability", "category: disabled", 1),
                    encoding="utf-8")
    _gset, problems = check_guidelines(root)
    assert ErrorCode.UNKNOWN_CATEGORY in {p.code for p in problems}
    assert ErrorCode.SCENARIO_DIFFERS not in {p.code for p in problems}


def test_a_set_without_a_scenarios_folder_checks_as_before(tmp_path):
    root = make_set(tmp_path, {})
    (root / "scenarios").rmdir()
    assert check_guidelines(root)[1] == []
