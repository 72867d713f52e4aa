"""Walk the trees over one shared set of facts: find the next question, or collect the findings.

A tree is walked from its start node. A question whose fact is already known (answered in any tree, given in a
file, or derived) is passed through; the first question whose fact is not known stops that tree. Info nodes met
on the way travel with the next question as notices. In ``complete`` mode (a plan from a file of facts) an
unanswered question counts as answered `unknown` and its fact is listed as missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .answers import AnswerRecord, Answers
from .conditions import UNKNOWN
from .facts import Vocabulary
from .schema import EndNode, FindingNode, InfoNode, Node, QuestionNode, Tree


@dataclass(frozen=True)
class Question:
    """The next thing to ask: the node, what its answer may be, and what led to it."""

    tree: Tree
    node: QuestionNode
    choices: tuple[str, ...]  # answer buttons of a choice question
    depends_on: frozenset[str]
    notices: tuple[InfoNode, ...] = ()

    @property
    def fact(self) -> str:
        return self.node.fact

    def record(self) -> AnswerRecord:
        """The record that answering this question adds to the screening's answers."""
        options = self.node.options if self.node.answer_type == "multi" else ()
        return AnswerRecord(self.tree.id, self.node.id, self.node.fact, options, self.depends_on)


@dataclass(frozen=True)
class Finding:
    """A finding node reached, with the answers that led to it and where in the guidelines it comes from."""

    tree: str
    node: FindingNode
    urgency: str
    because: Mapping[str, object]

    @property
    def category(self) -> str:
        return self.node.category

    def source(self) -> dict[str, object]:
        return {"tree": self.tree, "node": self.node.id, **self.node.source.to_dict()}


@dataclass
class TreeWalk:
    """What walking one tree produced."""

    tree: Tree
    pending: Question | None = None
    findings: list[Finding] = field(default_factory=list)
    notices: list[InfoNode] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)
    ended: bool = False


def walk_tree(tree: Tree, vocab: Vocabulary, answers: Answers, facts: Mapping[str, object],
              complete: bool = False) -> TreeWalk:
    """Walk ``tree`` as far as the known facts allow. ``facts`` are ``answers.values`` with derived facts."""
    result = TreeWalk(tree)
    decisions: list[tuple[frozenset[str], str | None]] = []  # (facts read at a fork, where its branches join)
    # Notices already shown: those before a question this tree itself asked. A question answered in another
    # tree was never shown here, so the notices before it still travel with the next question.
    asked_here = {record.node for record in answers.records if record.tree == tree.id}
    fresh: list[InfoNode] = []
    node_id: str | None = tree.start
    for _ in range(len(tree.nodes) + 1):  # a tree that passed validation has no cycle; this guards one that did not
        node = tree.nodes.get(node_id) if node_id else None
        if node is None:
            return result
        result.visited.append(node.id)
        decisions = [d for d in decisions if d[1] != node.id]
        if isinstance(node, EndNode):
            result.ended = True
            return result
        if isinstance(node, QuestionNode) and not answers.covers(node.fact, node.options):
            if not complete:
                depends = vocab.base_inputs(_decisive(decisions))
                result.pending = Question(tree, node, _choices(node, vocab), depends, tuple(fresh))
                return result
            result.missing.add(node.fact)
        if isinstance(node, QuestionNode) and node.id in asked_here:
            fresh = []
        elif isinstance(node, FindingNode):
            result.findings.append(_finding(tree, node, vocab, facts, _decisive(decisions)))
        elif isinstance(node, InfoNode):
            result.notices.append(node)
            fresh.append(node)
        node_id, read = _route(node, facts)
        if len(set(node.targets())) > 1:
            decisions.append((read, tree.joins.get(node.id)))
    return result


def _decisive(decisions: list[tuple[frozenset[str], str | None]]) -> set[str]:
    """The facts read at the forks whose branches have not joined again: they explain where the walk is."""
    return set().union(*(read for read, _join in decisions))


def _choices(node: QuestionNode, vocab: Vocabulary) -> tuple[str, ...]:
    if node.answer_type != "choice":
        return ()
    spec = vocab.facts.get(node.fact)
    values = spec.choices() if spec else tuple(a.value for a in node.answers)
    return tuple(v for v in values if node.allow_unknown or v != UNKNOWN)


def _route(node: Node, facts: Mapping[str, object]) -> tuple[str | None, frozenset[str]]:
    """The next node, and the facts read to choose it: an answer's own `next` first, then the routes in order."""
    read: set[str] = set()
    if isinstance(node, QuestionNode):
        read.add(node.fact)
        value = facts.get(node.fact, UNKNOWN)
        for answer in node.answers:
            if answer.value == value and answer.next:
                return answer.next, frozenset(read)
    for route in node.routes:
        read |= route.when.facts()
        if route.when.holds(facts):
            return route.target, frozenset(read)
    return None, frozenset(read)


def _finding(tree: Tree, node: FindingNode, vocab: Vocabulary, facts: Mapping[str, object],
             decisive: set[str]) -> Finding:
    urgency = node.urgency
    reasons = set(decisive)
    for rule in node.raise_urgency:
        if rule.when.holds(facts):
            reasons |= rule.when.facts()
            if vocab.urgency_rank(rule.level) < vocab.urgency_rank(urgency):
                urgency = rule.level
    because = {fact: _plain(facts.get(fact, UNKNOWN)) for fact in sorted(reasons)}
    return Finding(tree.id, node, urgency, because)


def _plain(value: object) -> object:
    return sorted(value) if isinstance(value, frozenset) else value
