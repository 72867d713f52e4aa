"""`referral screen` and `referral guidelines graph`, run as a user would."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from referral.cli import main
from tests.conftest import DEMO_GUIDELINES, PROJECT_ROOT

FACTS = {"medical_emergency": True, "age_years": 15, "age_apparent": "child", "companion": "unrelated_adult",
         "asylum_wish": "explicit", "indicators": ["documents_held_by_other"], "consent_refused": ["legal_aid"]}
PLAN_KEYS = {"country", "group_mode", "findings", "categories", "destinations", "agencies", "urgency", "must_not",
             "consent", "missing_facts"}


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def facts_file(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps(FACTS), encoding="utf-8")
    return path


def test_screen_prints_the_plan_as_json_with_every_key(facts_file):
    result = run("screen", "--facts", str(facts_file), "--country", "xd", "--format", "json",
                 "--guidelines", str(DEMO_GUIDELINES))
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert PLAN_KEYS <= set(plan)
    assert plan["country"] == "XD" and plan["urgency"] == "immediate"
    assert "separated_child" in plan["categories"] and "victim_of_trafficking" in plan["categories"]
    assert plan["consent"]["refused"] == ["legal_aid"]
    assert "group_size" in plan["missing_facts"]
    assert all(f["source"]["section"] for f in plan["findings"])


def test_screen_accepts_yaml_and_prints_text(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("asylum_wish: indirect\nremoval_imminent: yes\n", encoding="utf-8")
    result = run("screen", "--facts", str(path), "--country", "xd", "--guidelines", str(DEMO_GUIDELINES))
    assert result.exit_code == 0, result.output
    assert "Urgency: IMMEDIATE" in result.output
    assert "MN01" in result.output and "national_asylum_authority (fallback)" in result.output


def test_a_misspelt_fact_is_refused_with_its_line_and_a_suggestion(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("asylum_wish: explicit\nage_yeers: 12\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["screen", "--facts", str(path), "--guidelines", str(DEMO_GUIDELINES)])
    assert result.exit_code != 0
    assert f"{path}:2" in result.output and "G110" in result.output and "age_years" in result.output


def test_a_value_the_fact_does_not_have_is_refused(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"asylum_wish": "maybe"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["screen", "--facts", str(path), "--guidelines", str(DEMO_GUIDELINES)])
    assert result.exit_code != 0 and "G111" in result.output


def test_an_unknown_country_is_refused_before_any_question(facts_file):
    result = CliRunner().invoke(main, ["screen", "--facts", str(facts_file), "--country", "qq",
                                       "--guidelines", str(DEMO_GUIDELINES)])
    assert result.exit_code != 0 and "G143" in result.output


def test_screen_asks_the_questions_one_by_one_and_can_go_back():
    # Emergency: no (2), looks: adult (2), age 34, wish: then go back (b) and give the age again as 70,
    # wish: none (4), fear: yes (1), removal: unknown (3), indicators: none, group: 2, sex: female (1),
    # pregnant: no (2), companion: spouse (7), then decline nothing.
    answers = ["2", "2", "34", "b", "70", "4", "1", "3", "", "2", "1", "2", "7", ""]
    result = run("screen", "--country", "xd", "--guidelines", str(DEMO_GUIDELINES), "--format", "json",
                 input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output[result.output.index("{"):])
    assert plan["categories"] == ["older_person", "asylum_seeker", "family_unity"]
    assert plan["missing_facts"] == []


def test_graph_writes_dot_and_svg(tmp_path):
    result = run("guidelines", "graph", "demo-first-contact", "--guidelines", str(DEMO_GUIDELINES),
                 "-o", str(tmp_path / "out" / "demo"))
    assert result.exit_code == 0, result.output
    dot = (tmp_path / "out" / "demo.dot").read_text(encoding="utf-8")
    assert dot.startswith('digraph "demo-first-contact"')
    assert '"q_age" -> "q_companion" [label="presumed_minor eq yes"]' in dot
    assert shutil.which("dot"), "Graphviz is missing: run deploy/install.sh"
    svg = (tmp_path / "out" / "demo.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "asylum_seeker" in svg


def test_graph_of_an_unknown_tree_fails_with_a_suggestion():
    result = CliRunner().invoke(main, ["guidelines", "graph", "demo-first", "--guidelines", str(DEMO_GUIDELINES)])
    assert result.exit_code != 0 and "G150" in result.output


def test_the_installed_referral_script_runs():
    script = PROJECT_ROOT / ".venv" / "bin" / "referral"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "referral.cli"]
    done = subprocess.run([*command, "guidelines", "check", str(DEMO_GUIDELINES)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "2 trees, 1 pathways: 0 errors" in done.stdout
