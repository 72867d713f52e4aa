"""Score a trainee's walk against a scenario: the plan side by side with the expected one, and the first
question where the trainee's answer led away from it, with the guideline section that explains it.

The comparison is the one `referral scenarios check` makes (``scenarios.compare``), so a trainee is held to
exactly the standard the trees are held to. Aggregates for the trainer's live view come from the same records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from . import build_plan
from .answers import Answers
from .conditions import UNKNOWN
from .guideline_set import GuidelineSet
from .plan import Plan
from .scenarios import Difference, Scenario, compare


@dataclass(frozen=True)
class Divergence:
    """An answer that differs from the scenario's facts, where it was asked, and what the guideline says."""

    tree: str
    node: str
    fact: str
    expected: object
    given: object
    section: str
    changed_plan: bool


@dataclass(frozen=True)
class Debrief:
    scenario: str
    plan: Plan | None  # None for a debrief read back from storage (``from_json``): the plan's dict is kept apart
    differences: tuple[Difference, ...]
    divergences: tuple[Divergence, ...] = field(default=())

    @property
    def correct(self) -> bool:
        return not self.differences

    @property
    def first_divergence(self) -> Divergence | None:
        """The first answer that changed the plan; failing that, the first answer that differs at all."""
        return next((d for d in self.divergences if d.changed_plan), None) or next(iter(self.divergences), None)

    def missed(self, name: str) -> frozenset[str]:
        return frozenset().union(*(d.expected - d.got for d in self.differences
                                   if d.field == name and isinstance(d.expected, frozenset)))

    def added(self, name: str) -> frozenset[str]:
        return frozenset().union(*(d.got - d.expected for d in self.differences
                                   if d.field == name and isinstance(d.expected, frozenset)))


    def to_json(self) -> dict[str, object]:
        """The debrief as plain JSON (without the plan), to store beside a finished run."""
        return {"scenario": self.scenario,
                "differences": [{"field": d.field, "expected": _plain(d.expected), "got": _plain(d.got),
                                 "set": isinstance(d.expected, frozenset)} for d in self.differences],
                "divergences": [asdict(d) for d in self.divergences]}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Debrief:
        """A stored debrief again: enough for ``missed``, ``added``, ``first_divergence`` and ``summarize``."""
        def value(item: Mapping[str, object], key: str) -> object:
            return frozenset(item[key]) if item.get("set") else item[key]

        differences = tuple(Difference(d["field"], value(d, "expected"), value(d, "got"))
                            for d in data.get("differences", ()))
        divergences = tuple(Divergence(**d) for d in data.get("divergences", ()))
        return cls(str(data["scenario"]), None, differences, divergences)


def _part(value: object, options: tuple[str, ...]) -> object:
    """The part of a set answer that one question covered (a set fact may be asked in several parts)."""
    if not options:
        return value
    chosen = value if isinstance(value, frozenset) else frozenset()
    return chosen & frozenset(options)


def _plain(value: object) -> object:
    return sorted(value) if isinstance(value, frozenset) else value


def _expected_value(scenario: Scenario, fact: str, options: tuple[str, ...]) -> object:
    value = scenario.facts.get(fact, frozenset() if options else UNKNOWN)
    if options and isinstance(value, list | tuple):
        value = frozenset(value)
    return _part(value, options)


def _summary(plan: Plan) -> tuple:
    return (frozenset(plan.categories), frozenset(plan.destinations), plan.urgency, frozenset(plan.must_not))


def debrief(gset: GuidelineSet, scenario: Scenario, answers: Answers) -> Debrief:
    """Compare a trainee's answers with a scenario: the plan's differences, and where the answers went wrong."""
    refused = sorted(set(scenario.consent_refused) | set(scenario.facts.get("consent_refused") or ()))
    plan = build_plan(gset, answers, scenario.country, refused)
    mine = _summary(plan)
    divergences = []
    for record in answers.records:
        given = answers.part(record) if record.options else answers.values.get(record.fact, UNKNOWN)
        expected = _expected_value(scenario, record.fact, record.options)
        if given == expected:
            continue
        corrected = answers.record(record, expected)  # this one answer as the scenario has it, the rest as given
        changed = _summary(build_plan(gset, corrected, scenario.country, refused)) != mine
        node = gset.tree(record.tree).nodes[record.node]
        divergences.append(Divergence(record.tree, record.node, record.fact, _plain(expected), _plain(given),
                                      node.source.section, changed))
    return Debrief(scenario.id, plan, tuple(compare(scenario.expect, plan)), tuple(divergences))


@dataclass(frozen=True)
class ScenarioStats:
    scenario: str
    finished: int
    correct: int
    missed_categories: Counter
    missed_must_nots: Counter
    wrong_questions: Counter  # (tree, node) -> how many trainees answered it against the scenario

    @property
    def share_correct(self) -> float:
        return self.correct / self.finished if self.finished else 0.0


def summarize(debriefs: Iterable[Debrief]) -> Mapping[str, ScenarioStats]:
    """Per scenario: how many finished, the share of correct plans, the most missed categories and must-nots,
    and the questions most answered against the scenario's facts (for the trainer's live view)."""
    grouped: dict[str, list[Debrief]] = {}
    for item in debriefs:
        grouped.setdefault(item.scenario, []).append(item)
    stats = {}
    for scenario_id, items in grouped.items():
        stats[scenario_id] = ScenarioStats(
            scenario=scenario_id, finished=len(items), correct=sum(item.correct for item in items),
            missed_categories=Counter(c for item in items for c in item.missed("categories")),
            missed_must_nots=Counter(c for item in items for c in item.missed("must_not")),
            wrong_questions=Counter((d.tree, d.node) for item in items for d in item.divergences))
    return stats
