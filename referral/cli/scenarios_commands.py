"""`referral scenarios check`: run the training scenarios as the regression suite of the trees.

`referral guidelines check` only warns when a plan no longer matches a scenario (a national team editing a
tree must still be able to start the application); this command is the strict one, for CI and for the team
that changes a tree: it prints every difference, expected against got, and exits non-zero on any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..engine import check_guidelines
from ..engine.errors import GuidelineError, Reporter
from ..engine.scenario_coverage import coverage, coverage_text
from ..engine.scenarios import check_scenario, load_scenarios
from .guidelines_commands import default_guidelines_dir


@click.group("scenarios")
def scenarios_group() -> None:
    """Run the training scenarios, which are also the regression suite of the trees."""


@scenarios_group.command("check")
@click.argument("ids", nargs=-1)
@click.option("--guidelines", "root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Guidelines folder (default: the configured one).")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Also list the tree nodes and findings that no scenario reaches.")
def check_command(ids: tuple[str, ...], root: Path | None, show_coverage: bool) -> None:
    """Run every scenario (or only IDS) through the trees and compare each plan with its expectation.

    Exits with 1 when a guideline file has an error or any scenario differs.
    """
    root = root or default_guidelines_dir()
    gset, problems = check_guidelines(root)
    errors = [p for p in problems if p.is_error]
    for problem in errors:
        click.echo(str(problem), err=True)
    if errors:
        click.echo(f"{len(errors)} errors in the guideline files: no scenario was run", err=True)
        sys.exit(1)
    scenarios = load_scenarios(gset, root, Reporter(str(root)))
    if ids:
        unknown = sorted(set(ids) - {s.id for s in scenarios})
        if unknown:
            raise click.ClickException("no scenario " + ", ".join(unknown))
        scenarios = [s for s in scenarios if s.id in ids]
    failed = 0
    for scenario in scenarios:
        try:
            differences = [str(d) for d in check_scenario(gset, scenario)]
        except GuidelineError as exc:
            differences = [p.message for p in exc.problems]
        if differences:
            failed += 1
            click.echo(f"FAIL {scenario.id}  ({scenario.file})")
            for difference in differences:
                click.echo(f"     {difference}")
        else:
            click.echo(f"ok   {scenario.id}")
    click.echo(f"{len(scenarios)} scenarios: {len(scenarios) - failed} passed, {failed} failed")
    if show_coverage:
        click.echo(coverage_text(coverage(gset, scenarios)))
    sys.exit(1 if failed else 0)
