"""`referral scenarios check` and `referral guidelines report`, run as a user would."""

from __future__ import annotations

from click.testing import CliRunner

from referral.cli import main
from referral.engine.scenarios import scenario_files
from tests.conftest import GUIDELINES, PROJECT_ROOT
from tests.engine.test_scenarios import GOOD, make_set


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_every_shipped_scenario_passes():
    result = run("scenarios", "check", "--guidelines", str(GUIDELINES))
    assert result.exit_code == 0, result.output
    count = len(scenario_files(GUIDELINES))
    assert f"{count} scenarios: {count} passed, 0 failed" in result.output
    assert "FAIL" not in result.output


def test_coverage_lists_nothing_unreached_for_the_shipped_trees():
    result = run("scenarios", "check", "--coverage", "--guidelines", str(GUIDELINES))
    assert result.exit_code == 0, result.output
    assert "no scenario reaches" not in result.output
    assert "categories no scenario expects: none" in result.output
    assert "unhcr-2016:" in result.output and "iom-2018:" in result.output


def test_a_difference_fails_and_is_printed_expected_against_got(tmp_path):
    root = make_set(tmp_path, {"good": GOOD.replace("urgency: within_24h", "urgency: routine").replace(
        "legal_aid]", "legal_aid, health]")})
    result = run("scenarios", "check", "--coverage", "--guidelines", str(root))
    assert result.exit_code == 1
    assert "FAIL good" in result.output
    assert "urgency: expected routine, got within_24h" in result.output
    assert "missing [health]" in result.output
    assert "1 scenarios: 0 passed, 1 failed" in result.output
    assert "findings no scenario reaches" in result.output


def test_only_the_scenarios_named_are_run_and_an_unknown_name_fails(tmp_path):
    root = make_set(tmp_path, {"good": GOOD})
    result = run("scenarios", "check", "good", "--guidelines", str(root))
    assert result.exit_code == 0 and "ok   good" in result.output
    result = run("scenarios", "check", "nobody", "--guidelines", str(root))
    assert result.exit_code == 1 and "no scenario nobody" in result.output


def test_a_broken_scenario_stops_both_checks_with_its_code(tmp_path):
    root = make_set(tmp_path, {"good": GOOD.replace("id: good", "id: other")})
    result = run("scenarios", "check", "--guidelines", str(root))
    assert result.exit_code == 1 and "G170" in result.output
    result = run("guidelines", "check", str(root))
    assert result.exit_code == 1 and "G170 scenario-id" in result.output


def test_the_committed_guidelines_report_is_up_to_date():
    result = run("guidelines", "report", "--guidelines", str(GUIDELINES))
    assert result.exit_code == 0, result.output
    committed = (PROJECT_ROOT / "docs" / "guidelines.md").read_text(encoding="utf-8")
    assert result.output == committed, "run: referral guidelines report -o docs/guidelines.md"


def test_the_report_names_the_nodes_of_every_category_and_the_open_questions(tmp_path):
    output = tmp_path / "out" / "guidelines.md"
    result = run("guidelines", "report", "--guidelines", str(GUIDELINES), "-o", str(output))
    assert result.exit_code == 0
    text = output.read_text(encoding="utf-8")
    assert "### victim_of_trafficking" in text and "iom-2018/f_trafficking" in text
    assert "unhcr-2016/f_asylum" in text and "S08" in text
    assert "## Open questions a national team must settle (brief §7)" in text
    assert "11. " in text
