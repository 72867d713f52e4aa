"""`referral screen`: a referral plan from a file of facts, or by answering the questions in the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..engine import Answers, GuidelineSet, Plan, answer, build_plan, load_guidelines, next_step
from ..engine.errors import GuidelineError, Reporter
from ..engine.marked_yaml import MarkedDict, YamlSyntaxError, load_file
from ..engine.walk import Question
from .guidelines_commands import default_guidelines_dir
from .plan_text import plan_as_text


@click.command("screen")
@click.option("--facts", "facts_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML or JSON file of facts; without it the questions are asked one by one.")
@click.option("--country", help="Country whose referral pathway resolves the destinations, e.g. kz.")
@click.option("--format", "output", type=click.Choice(["json", "text"]), default="text", show_default=True)
@click.option("--guidelines", "root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Guidelines folder (default: the configured one).")
def screen_command(facts_file: Path | None, country: str | None, output: str, root: Path | None) -> None:
    """Print the referral plan for one person. Facts not given count as unknown and are listed as missing."""
    try:
        gset = load_guidelines(root or default_guidelines_dir())
        gset.pathway(country)  # an unknown country fails before any question is asked
    except GuidelineError as exc:
        raise click.ClickException(str(exc)) from exc
    if facts_file is not None:
        answers = Answers.given(_read_facts(gset, facts_file))
    else:
        answers = _ask(gset)
        refused = click.prompt("Destinations the person declines (comma-separated, empty for none)",
                               default="", show_default=False, err=True)
        kinds = [kind.strip() for kind in refused.split(",") if kind.strip()]
        unknown = [kind for kind in kinds if kind not in gset.vocab.destinations]
        if unknown:
            raise click.ClickException(f"unknown destination kinds: {', '.join(unknown)}")
        answers = Answers.given({**answers.values, "consent_refused": frozenset(kinds)})
    plan = build_plan(gset, answers, country)
    _print(plan, gset, output)


def _read_facts(gset: GuidelineSet, path: Path) -> dict[str, object]:
    try:
        raw = load_file(path)
    except YamlSyntaxError as exc:
        raise click.ClickException(f"{path}:{exc.line}: not valid YAML or JSON: {exc}") from exc
    if not isinstance(raw, MarkedDict):
        raise click.ClickException(f"{path}: the facts must be a mapping of fact to value")
    report = Reporter(str(path))
    facts = gset.vocab.normalise(raw, report, raw.line_of)
    if report.problems:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{len(report.problems)} problems in {path}")
    return facts


def _print(plan: Plan, gset: GuidelineSet, output: str) -> None:
    if output == "json":
        click.echo(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(plan_as_text(plan, gset.vocab))


# -- asking in the terminal -------------------------------------------------------------------------------------

def _ask(gset: GuidelineSet) -> Answers:
    """Ask every question the trees reach; `b` goes back one answer."""
    answers = Answers()
    while (question := next_step(gset, answers)) is not None:
        for notice in question.notices:
            click.echo(f"\n  i  {notice.text}", err=True)
        value = _prompt(question, gset)
        if value is _BACK:
            last = answers.last()
            if last is None:
                click.echo("  (nothing to go back to)", err=True)
            else:
                answers, _void = answers.forget(last.tree, last.node)
            continue
        answers = answer(gset, answers, question, value)
    return answers


_BACK = object()


def _prompt(question: Question, gset: GuidelineSet) -> object:
    node = question.node
    click.echo(f"\n[{question.tree.id} / {node.id}] {node.text}", err=True)
    if node.say:
        click.echo(f'  Say: "{node.say}"', err=True)
    if node.guidance:
        click.echo(f"  ({node.guidance})", err=True)
    if node.answer_type in ("choice", "multi"):
        options = question.choices if node.answer_type == "choice" else node.options
        for number, option in enumerate(options, 1):
            click.echo(f"  {number}. {option}", err=True)
    while True:
        hint = {"choice": "number", "multi": "numbers separated by commas, empty for none",
                "number": "a whole number, or 'unknown'", "code": "a code, or 'unknown'"}[node.answer_type]
        raw = click.prompt(f"  answer ({hint}; b = back)", default="", show_default=False, err=True).strip()
        if raw.lower() == "b":
            return _BACK
        value = _parse(raw, question)
        if value is not None:
            return value
        click.echo("  That is not one of the answers; please try again.", err=True)


def _parse(raw: str, question: Question) -> object | None:
    node = question.node
    if node.answer_type == "choice":
        if raw.isdigit() and 1 <= int(raw) <= len(question.choices):
            return question.choices[int(raw) - 1]
        return raw if raw in question.choices else None
    if node.answer_type == "multi":
        picked = set()
        for part in filter(None, (p.strip() for p in raw.split(","))):
            if part.isdigit() and 1 <= int(part) <= len(node.options):
                picked.add(node.options[int(part) - 1])
            elif part in node.options:
                picked.add(part)
            else:
                return None
        return frozenset(picked)
    if node.answer_type == "number":
        if raw in ("", "unknown", "?"):
            return "unknown"
        return int(raw) if raw.isdigit() else None
    return raw or "unknown"
