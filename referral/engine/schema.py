"""The guideline model: trees of nodes, pathways of agencies. Frozen dataclasses built by the loader.

Node kinds come from one registry (``NODE_KINDS``) that the loader, the validator, the walker and the graph
writer share, so adding a kind means adding it in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from .conditions import ALWAYS, Condition


@dataclass(frozen=True)
class Source:
    """Where a node comes from, and whether someone has checked it against the primary text."""

    section: str
    document: str = ""
    basis: str = "D"  # R: read in the source; D: derived from a related reference; B: background standard
    refs: tuple[str, ...] = ()
    verified: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"document": self.document, "section": self.section, "basis": self.basis,
                "refs": list(self.refs), "verified_against_primary": self.verified}


@dataclass(frozen=True)
class Route:
    """Go to ``target`` when ``when`` holds; routes are tried in order and the last one has no condition."""

    target: str
    when: Condition = ALWAYS
    line: int = 0


@dataclass(frozen=True)
class Node:
    id: str
    line: int
    source: Source
    routes: tuple[Route, ...] = ()

    kind = "node"

    def targets(self) -> tuple[str, ...]:
        return tuple(route.target for route in self.routes)


@dataclass(frozen=True)
class Answer:
    """One answer button of a question; ``next`` overrides the question's routes for this answer."""

    value: str
    label: str = ""
    next: str | None = None
    line: int = 0


@dataclass(frozen=True)
class QuestionNode(Node):
    fact: str = ""
    answer_type: str = "choice"  # choice (tri, enum), multi (set), number (int), code
    text: str = ""  # for the official, in the interface language
    say: str = ""  # the phrase to say to or show the person, in the person's language
    guidance: str = ""
    answers: tuple[Answer, ...] = ()  # choice questions
    options: tuple[str, ...] = ()  # multi questions: the values of the set put to the person here
    allow_unknown: bool = True
    private: bool = False  # sensitive: ask only out of hearing of companions

    kind = "question"

    def targets(self) -> tuple[str, ...]:
        return tuple(a.next for a in self.answers if a.next) + super().targets()


@dataclass(frozen=True)
class UrgencyRaise:
    when: Condition
    level: str


@dataclass(frozen=True)
class FindingNode(Node):
    category: str = ""
    destinations: tuple[str, ...] = ()
    urgency: str = "routine"
    raise_urgency: tuple[UrgencyRaise, ...] = ()
    must_not: tuple[str, ...] = ()
    must_do: tuple[str, ...] = ()
    tell_person: str = ""
    group_mode: bool = False

    kind = "finding"


@dataclass(frozen=True)
class InfoNode(Node):
    text: str = ""
    say: str = ""

    kind = "info"


@dataclass(frozen=True)
class EndNode(Node):
    text: str = ""

    kind = "end"


NODE_KINDS: dict[str, type[Node]] = {cls.kind: cls for cls in (QuestionNode, FindingNode, InfoNode, EndNode)}


@dataclass(frozen=True)
class Tree:
    id: str
    title: str
    document: str
    year: int
    version: str
    file: str
    start: str
    nodes: Mapping[str, Node]
    order: int = 100

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    @cached_property
    def joins(self) -> Mapping[str, str | None]:
        """For each node, its immediate post-dominator: where all its branches meet again (None if never).

        A decision taken at a node explains what the walk meets until it reaches that join; after it, every
        branch would have led to the same place. This is what makes a finding's "why" and an answer's
        dependencies exact.
        """
        post: dict[str, frozenset[str]] = {}

        def dominators(node_id: str, active: frozenset[str]) -> frozenset[str]:
            if node_id in post:
                return post[node_id]
            targets = [t for t in self.nodes[node_id].targets() if t in self.nodes and t not in active]
            common: frozenset[str] | None = None
            for target in targets:
                found = dominators(target, active | {node_id})
                common = found if common is None else common & found
            post[node_id] = frozenset({node_id}) | (common or frozenset())
            return post[node_id]

        joins: dict[str, str | None] = {}
        for node_id in self.nodes:
            below = dominators(node_id, frozenset()) - {node_id}
            joins[node_id] = next((p for p in below if post[p] == below), None)
        return joins


@dataclass(frozen=True)
class Agreement:
    """The data-sharing agreement with an agency (SECURITY.md P-29): its reference and last valid day."""

    id: str
    valid_until: date


@dataclass(frozen=True)
class Agency:
    kind: str
    name: str
    contact: str = ""
    slip_language: str = "en"
    confirmed: bool = False
    source: str = ""
    key_fingerprint: str = ""
    note: str = ""
    key_valid_until: date | None = None  # the pinned key's last valid day; None: no end date written
    agreement: Agreement | None = None  # None: no data-sharing agreement is known

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "contact": self.contact,
                "slip_language": self.slip_language, "confirmed": self.confirmed, "note": self.note}


@dataclass(frozen=True)
class PathwayRule:
    """A national rule that changes the flow (a deadline, where a request is lodged), shown when ``when`` holds."""

    text: str
    when: Condition = ALWAYS
    source: str = ""


@dataclass(frozen=True)
class Pathway:
    """One country's referral pathway: an agency, or a fallback kind, for each destination kind."""

    country: str  # ISO 3166 alpha-2, upper case
    name: str
    file: str
    version: str = ""
    agencies: Mapping[str, Agency] = field(default_factory=dict)
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    rules: tuple[PathwayRule, ...] = ()

    def resolve(self, kind: str) -> tuple[Agency, tuple[str, ...]] | None:
        """The agency that receives ``kind``, and the fallback chain walked to find it (empty when direct)."""
        chain: list[str] = []
        while kind not in self.agencies:
            if kind not in self.fallbacks or kind in chain:
                return None
            chain.append(kind)
            kind = self.fallbacks[kind]
        return self.agencies[kind], tuple(chain)
