"""Which parts of the trees the scenario library exercises, and which it never reaches.

A node no scenario reaches is a node no regression test protects and no trainee ever meets; the coverage
report names them so that a national team adapting a tree knows which scenario to add. Each scenario's facts
are walked through every tree in complete mode (unanswered questions count as unknown), as a plan is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .guideline_set import GuidelineSet
from .scenarios import Scenario
from .schema import FindingNode


@dataclass(frozen=True)
class TreeCoverage:
    tree: str
    nodes: tuple[str, ...]  # every node, in file order
    findings: frozenset[str]  # the finding nodes among them
    reached_by: Mapping[str, tuple[str, ...]]  # node -> the scenarios that reach it

    @property
    def reached(self) -> frozenset[str]:
        return frozenset(node for node in self.nodes if self.reached_by.get(node))

    def unreached_nodes(self) -> list[str]:
        """Nodes other than findings that no scenario reaches."""
        return [node for node in self.nodes if node not in self.reached and node not in self.findings]

    def unreached_findings(self) -> list[str]:
        return [node for node in self.nodes if node not in self.reached and node in self.findings]


@dataclass(frozen=True)
class Coverage:
    trees: tuple[TreeCoverage, ...]
    categories: tuple[str, ...]  # every category of the vocabulary
    expected_categories: frozenset[str]  # the categories some scenario expects

    @property
    def total(self) -> int:
        return sum(len(tree.nodes) for tree in self.trees)

    @property
    def reached(self) -> int:
        return sum(len(tree.reached) for tree in self.trees)

    def uncovered_categories(self) -> list[str]:
        return [category for category in self.categories if category not in self.expected_categories]

    def complete(self) -> bool:
        return self.reached == self.total and not self.uncovered_categories()


def coverage(gset: GuidelineSet, scenarios: Iterable[Scenario]) -> Coverage:
    """Walk every scenario through every tree and record which nodes each one reaches."""
    from . import walk_all

    scenarios = list(scenarios)
    reached: dict[str, dict[str, list[str]]] = {tree.id: {} for tree in gset.trees}
    for scenario in scenarios:
        for walk in walk_all(gset, scenario.facts, complete=True):
            for node in dict.fromkeys(walk.visited):
                reached[walk.tree.id].setdefault(node, []).append(scenario.id)
    trees = tuple(
        TreeCoverage(tree=tree.id, nodes=tuple(tree.nodes),
                     findings=frozenset(n.id for n in tree.nodes.values() if isinstance(n, FindingNode)),
                     reached_by={node: tuple(ids) for node, ids in reached[tree.id].items()})
        for tree in gset.trees)
    expected = frozenset(c for scenario in scenarios for c in scenario.expect.categories)
    return Coverage(trees, gset.vocab.categories, expected)


def coverage_text(cover: Coverage) -> str:
    """The coverage report as the command line prints it."""
    lines = [f"Coverage: {cover.reached} of {cover.total} nodes reached by at least one scenario."]
    for tree in cover.trees:
        lines.append(f"  {tree.tree}: {len(tree.reached)} of {len(tree.nodes)} nodes")
        unreached_findings = tree.unreached_findings()
        unreached = tree.unreached_nodes()
        if unreached_findings:
            lines.append("    findings no scenario reaches: " + ", ".join(unreached_findings))
        if unreached:
            lines.append("    other nodes no scenario reaches: " + ", ".join(unreached))
    missing = cover.uncovered_categories()
    lines.append("  categories no scenario expects: " + (", ".join(missing) if missing else "none"))
    return "\n".join(lines)
