"""Every validation error code, each provoked by one broken file. Tests assert codes, files, lines and nodes,
never wording."""

from __future__ import annotations

import pytest

from referral.engine import ErrorCode, GuidelineError, check_guidelines, load_guidelines
from tests.engine.guideline_files import PATHWAY, TREE, make_set


def _broken(old: str, new: str, text: str = TREE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


FINDING_NEXT = "    must_not: [MN01]\n    next: end\n"

TREE_CASES = [
    # (code, broken tree, node the problem names, a word the "did you mean" hint should offer)
    (ErrorCode.YAML_SYNTAX, "id: [t\nnodes: {", None, None),
    (ErrorCode.UNKNOWN_KEY, _broken("    text: Does", "    guidanse: Ask gently.\n    text: Does"), "q1", "guidance"),
    (ErrorCode.MISSING_KEY, _broken("start: q1\n", ""), None, None),
    (ErrorCode.BAD_TYPE, _broken("basis: R, verified: false}\n  - id: f1", "basis: R, verified: maybe}\n  - id: f1"),
     "q1", None),
    (ErrorCode.DUPLICATE_ID, _broken("  - id: f1\n", "  - id: end\n"), "end", None),
    (ErrorCode.DUPLICATE_KEY, _broken("    say: What", "    text: Again?\n    say: What"), "q1", None),
    (ErrorCode.UNKNOWN_FACT, _broken("sets: fears_return", "sets: fears_retrun"), "q1", "fears_return"),
    (ErrorCode.UNKNOWN_VALUE, _broken("{value: yes, next: f1}", "{value: perhaps, next: f1}"), "q1", None),
    (ErrorCode.UNKNOWN_OPERATOR,
     _broken("    next: end\n    source: {section: \"brief 2.1\", basis: R, verified: false}\n  - id: f1",
             "    next:\n      - when: {fact: fears_return, op: has, value: yes}\n        goto: f1\n      - goto: end\n"
             "    source: {section: \"brief 2.1\", basis: R, verified: false}\n  - id: f1"), "q1", None),
    (ErrorCode.UNKNOWN_NODE_KIND, _broken("kind: finding", "kind: findng"), "f1", "finding"),
    (ErrorCode.UNKNOWN_CATEGORY, _broken("category: asylum_seeker", "category: asylum_seker"), "f1", "asylum_seeker"),
    (ErrorCode.UNKNOWN_DESTINATION, _broken("destinations: [unhcr]", "destinations: [unhrc]"), "f1", "unhcr"),
    (ErrorCode.UNKNOWN_URGENCY, _broken("urgency: within_24h", "urgency: asap"), "f1", None),
    (ErrorCode.UNKNOWN_MUST_NOT, _broken("must_not: [MN01]", "must_not: [MN99]"), "f1", None),
    (ErrorCode.BAD_CONDITION,
     _broken("    next: end\n    source: {section: \"brief 2.1\", basis: R, verified: false}\n  - id: f1",
             "    next:\n      - when: {all: {fact: fears_return, op: eq, value: yes}}\n        goto: f1\n"
             "      - goto: end\n    source: {section: \"brief 2.1\", basis: R, verified: false}\n  - id: f1"),
     "q1", None),
    (ErrorCode.SETS_DERIVED_FACT, _broken("sets: fears_return", "sets: presumed_minor"), "q1", None),
    (ErrorCode.DANGLING_NEXT, _broken(FINDING_NEXT, "    must_not: [MN01]\n    next: ned\n"), "f1", "end"),
    (ErrorCode.UNREACHABLE_NODE,
     TREE + "  - id: lonely\n    kind: info\n    text: Nobody comes here.\n    next: end\n"
            "    source: {section: x, basis: D, verified: false}\n", "lonely", None),
    (ErrorCode.CYCLE, _broken(FINDING_NEXT, "    must_not: [MN01]\n    next: q1\n"), "q1", None),
    (ErrorCode.NO_WAY_ON, _broken(FINDING_NEXT, "    must_not: [MN01]\n"), "f1", None),
    (ErrorCode.MISSING_ANSWER, _broken("      - {value: yes, next: f1}\n    next: end\n",
                                       "      - {value: yes, next: f1}\n      - {value: no, next: end}\n"), "q1", None),
    (ErrorCode.MISSING_SOURCE,
     _broken("    next: end\n    source: {section: \"brief 2.1\", basis: R, verified: false}\n"
                                       "  - id: end", "    next: end\n  - id: end"), "f1", None),
]


@pytest.mark.parametrize(("code", "tree", "node", "suggestion"), TREE_CASES, ids=[c[0].code for c in TREE_CASES])
def test_each_tree_error_is_reported_with_its_code_file_line_and_node(tmp_path, code, tree, node, suggestion):
    root = make_set(tmp_path / "g", trees={"t": tree})
    _, problems = check_guidelines(root)
    matching = [p for p in problems if p.code is code]
    assert matching, [str(p) for p in problems]
    found = matching[0]
    assert found.file.endswith("trees/t.yaml")
    assert found.line is None or found.line >= 1
    if code is not ErrorCode.YAML_SYNTAX:
        assert found.line is not None
    assert found.node == node
    if suggestion:
        assert suggestion in (found.hint or "")
    with pytest.raises(GuidelineError) as raised:
        load_guidelines(root)
    assert code in {p.code for p in raised.value.problems}


def test_the_valid_small_set_has_no_problem(tmp_path):
    _, problems = check_guidelines(make_set(tmp_path / "g"))
    assert problems == []


def test_a_problem_names_the_line_it_is_on(tmp_path):
    tree = _broken("category: asylum_seeker", "category: refugee")
    root = make_set(tmp_path / "g", trees={"t": tree})
    _, problems = check_guidelines(root)
    (found,) = [p for p in problems if p.code is ErrorCode.UNKNOWN_CATEGORY]
    line = tree.splitlines().index("    category: refugee") + 1
    assert found.line == line
    assert str(found).startswith(f"{found.file}:{line}: error G114")


PATHWAY_CASES = [
    (ErrorCode.UNRESOLVED_DESTINATION, _broken("  health: {fallback: unhcr}\n", "", PATHWAY), "health"),
    (ErrorCode.FALLBACK_LOOP, _broken("  health: {fallback: unhcr}\n  legal_aid: {fallback: unhcr}\n",
                                      "  health: {fallback: legal_aid}\n  legal_aid: {fallback: health}\n", PATHWAY),
     "health"),
    (ErrorCode.UNKNOWN_LANGUAGE, _broken("slip_language: ru", "slip_language: Russian", PATHWAY), "unhcr"),
    (ErrorCode.UNKNOWN_DESTINATION, PATHWAY + "  embassy: {fallback: unhcr}\n", "embassy"),
    (ErrorCode.MISSING_KEY, _broken("name: UNHCR test office, ", "", PATHWAY), "unhcr"),
    (ErrorCode.BAD_DATE, _broken("slip_language: ru}",
                                 "slip_language: ru, agreement: {id: T-1, valid_until: 2027-02-30}}", PATHWAY),
     "unhcr"),
    (ErrorCode.BAD_DATE, _broken("slip_language: ru}", f"slip_language: ru, key_fingerprint: {'ab' * 32}, "
                                 "key_valid_until: 31.12.2027}", PATHWAY), "unhcr"),
    (ErrorCode.INCOMPLETE_AGREEMENT, _broken("slip_language: ru}",
                                             "slip_language: ru, agreement: {valid_until: 2027-12-31}}", PATHWAY),
     "unhcr"),
    (ErrorCode.INCOMPLETE_AGREEMENT, _broken("slip_language: ru}", "slip_language: ru, agreement: {id: T-1}}",
                                             PATHWAY), "unhcr"),
    (ErrorCode.KEY_DATE_WITHOUT_KEY, _broken("slip_language: ru}", "slip_language: ru, key_valid_until: 2027-12-31}",
                                             PATHWAY), "unhcr"),
    (ErrorCode.BAD_FINGERPRINT, _broken("slip_language: ru}", "slip_language: ru, key_fingerprint: ab12}", PATHWAY),
     "unhcr"),
]


@pytest.mark.parametrize(("code", "pathway", "node"), PATHWAY_CASES,
                         ids=[f"{c[0].code}-{n}" for n, c in enumerate(PATHWAY_CASES)])
def test_each_pathway_error_is_reported(tmp_path, code, pathway, node):
    _, problems = check_guidelines(make_set(tmp_path / "g", pathways={"zz": pathway}))
    matching = [p for p in problems if p.code is code]
    assert matching, [str(p) for p in problems]
    assert matching[0].file.endswith("pathways/zz.yaml")
    assert matching[0].node == node
    if code.code >= "G144":  # the agreement and key checks also name the line
        assert matching[0].line == pathway.splitlines().index(next(
            line for line in pathway.splitlines() if line.startswith("  unhcr:"))) + 1


def test_an_agreement_and_key_dates_are_read_into_the_model(tmp_path):
    fingerprint = "AB" * 32
    pathway = _broken("slip_language: ru}", f"slip_language: ru, key_fingerprint: {fingerprint}, "
                      "key_valid_until: \"2027-06-30\", agreement: {id: ZZ-DSA-7, valid_until: 2028-01-31}}",
                      PATHWAY)
    gset = load_guidelines(make_set(tmp_path / "g", pathways={"zz": pathway}))
    unhcr = gset.pathway("zz").agencies["unhcr"]
    assert (unhcr.key_fingerprint, unhcr.key_valid_until.isoformat()) == (fingerprint, "2027-06-30")
    assert (unhcr.agreement.id, unhcr.agreement.valid_until.isoformat()) == ("ZZ-DSA-7", "2028-01-31")
    plain = load_guidelines(make_set(tmp_path / "h")).pathway("zz").agencies["unhcr"]
    assert plain.agreement is None and plain.key_valid_until is None


def test_unknown_country_and_unknown_tree_are_errors_with_suggestions(tmp_path):
    gset = load_guidelines(make_set(tmp_path / "g"))
    with pytest.raises(GuidelineError) as raised:
        gset.pathway("zx")
    assert raised.value.problems[0].code is ErrorCode.UNKNOWN_COUNTRY
    assert "ZZ" in raised.value.problems[0].hint
    with pytest.raises(GuidelineError) as raised:
        gset.tree("tt")
    assert raised.value.problems[0].code is ErrorCode.UNKNOWN_TREE


def test_a_fact_asked_twice_on_one_path_is_a_warning_not_an_error(tmp_path):
    tree = _broken("    next: end\n    source: {section: \"brief 2.1\", basis: R, verified: false}\n  - id: f1",
                   "    next: q2\n    source: {section: \"brief 2.1\", basis: R, verified: false}\n"
                   "  - id: q2\n    kind: question\n    sets: fears_return\n    text: Again?\n    say: Again?\n"
                   "    next: end\n    source: {section: x, basis: D, verified: false}\n  - id: f1")
    root = make_set(tmp_path / "g", trees={"t": tree})
    _, problems = check_guidelines(root)
    assert [p.code for p in problems] == [ErrorCode.FACT_ASKED_TWICE]
    assert load_guidelines(root).warnings  # loads, and keeps the warning


def test_every_problem_of_a_file_is_reported_not_only_the_first(tmp_path):
    tree = _broken("category: asylum_seeker", "category: refugee")
    tree = _broken("urgency: within_24h", "urgency: soon", tree)
    tree = _broken("sets: fears_return", "sets: fear", tree)
    _, problems = check_guidelines(make_set(tmp_path / "g", trees={"t": tree}))
    codes = {p.code for p in problems}
    assert {ErrorCode.UNKNOWN_CATEGORY, ErrorCode.UNKNOWN_URGENCY, ErrorCode.UNKNOWN_FACT} <= codes


def test_a_broken_vocabulary_is_reported_in_facts_yaml(tmp_path):
    facts = (tmp_path / "facts.yaml")
    from tests.conftest import GUIDELINES

    text = (GUIDELINES / "facts.yaml").read_text(encoding="utf-8").replace("age_years: {type: int",
                                                                             "age_years: {type: integer")
    facts.write_text(text, encoding="utf-8")
    _, problems = check_guidelines(make_set(tmp_path / "g", facts=text))
    bad = [p for p in problems if p.code is ErrorCode.BAD_TYPE]
    assert bad and bad[0].file.endswith("facts.yaml") and bad[0].node == "age_years"


def test_yes_and_no_stay_words_not_booleans(tmp_path):
    gset = load_guidelines(make_set(tmp_path / "g"))
    (tree,) = gset.trees
    assert tree.nodes["q1"].answers[0].value == "yes"


def test_the_cli_check_exits_non_zero_and_lists_codes(tmp_path):
    from click.testing import CliRunner

    from referral.cli import main

    tree = _broken("category: asylum_seeker", "category: refugee")
    root = make_set(tmp_path / "g", trees={"t": tree})
    result = CliRunner().invoke(main, ["guidelines", "check", str(root), "--format", "json"])
    assert result.exit_code == 1
    assert '"code": "G114"' in result.output
    ok = CliRunner().invoke(main, ["guidelines", "check", str(make_set(tmp_path / "ok"))])
    assert ok.exit_code == 0, ok.output
