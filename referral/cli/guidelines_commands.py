"""`referral guidelines ...`: check the guideline files like a compiler, and draw a tree."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click

from ..config import Settings
from ..engine import check_guidelines, load_guidelines
from ..engine.errors import GuidelineError
from ..engine.graph import tree_to_dot


def default_guidelines_dir() -> Path:
    return Settings.from_env().guidelines_dir


@click.group("guidelines")
def guidelines_group() -> None:
    """Check and draw the guideline files (trees, pathways, scenarios)."""


@guidelines_group.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
def check_command(path: Path | None, output: str) -> None:
    """Check every tree, pathway and scenario under PATH (default: the configured guidelines folder).

    Exits with 1 when there is any error; warnings alone do not fail.
    """
    root = path or default_guidelines_dir()
    gset, problems = check_guidelines(root)
    errors = [p for p in problems if p.is_error]
    if output == "json":
        click.echo(json.dumps([{"code": p.code.code, "name": p.code.slug, "severity": p.code.severity.value,
                                "file": p.file, "line": p.line, "node": p.node, "message": p.message,
                                "hint": p.hint} for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(str(problem), err=problem.is_error)
        click.echo(f"{len(gset.trees)} trees, {len(gset.pathways)} pathways: "
                   f"{len(errors)} errors, {len(problems) - len(errors)} warnings")
    sys.exit(1 if errors else 0)


@guidelines_group.command("graph")
@click.argument("tree_id")
@click.option("--guidelines", "root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Guidelines folder (default: the configured one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write OUTPUT.dot, and OUTPUT.svg where Graphviz is installed; without it, print DOT.")
def graph_command(tree_id: str, root: Path | None, output: Path | None) -> None:
    """Draw TREE_ID as a Graphviz graph, for trainers and reviewers."""
    try:
        gset = load_guidelines(root or default_guidelines_dir())
        dot = tree_to_dot(gset.tree(tree_id), gset.vocab)
    except GuidelineError as exc:
        raise click.ClickException(str(exc)) from exc
    if output is None:
        click.echo(dot, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    dot_path = output.with_suffix(".dot")
    dot_path.write_text(dot, encoding="utf-8")
    click.echo(f"wrote {dot_path}")
    graphviz = shutil.which("dot")
    if graphviz is None:
        click.echo("Graphviz is not installed (Debian package 'graphviz'): no SVG written", err=True)
        return
    svg_path = output.with_suffix(".svg")
    subprocess.run([graphviz, "-Tsvg", str(dot_path), "-o", str(svg_path)], check=True)  # noqa: S603
    click.echo(f"wrote {svg_path}")
