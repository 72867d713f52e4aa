"""The answers of one screening: values, what each answer depended on, and how a change ripples.

A fact is asked once for all trees. Each answer remembers the facts that were consulted on the way to its
question; changing an answer therefore invalidates exactly the answers whose question was reached through it
(and, in turn, those reached through them). Everything here is plain data, so a draft can be sealed and stored
as JSON and restored on another request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .conditions import UNKNOWN, is_unknown


@dataclass(frozen=True)
class AnswerRecord:
    """One question answered: where it was asked, which options of a set it covered, what led to it."""

    tree: str
    node: str
    fact: str
    options: tuple[str, ...] = ()
    depends_on: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Answers:
    """Facts known so far. A set fact listed in ``checked`` is known only for those of its values.

    A set fact is often asked in parts (the indicators seen, then those heard). A part the person would not or
    could not answer is kept in ``unknown``: it counts as asked, and the fact is `unknown` unless another part
    found something. So a refusal is never read as "none of these": a test for an empty set, or for any of its
    values, is false for an unknown fact, and the record says which part was refused.
    """

    values: Mapping[str, object] = field(default_factory=dict)
    checked: Mapping[str, frozenset[str]] = field(default_factory=dict)
    records: tuple[AnswerRecord, ...] = ()
    unknown: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def given(cls, facts: Mapping[str, object]) -> Answers:
        """Facts given all at once (a file, a scenario): every given set fact counts as fully checked."""
        return cls(values=dict(facts))

    def covers(self, fact: str, options: tuple[str, ...] = ()) -> bool:
        """Whether ``fact`` is known (for a set fact asked in part: whether all ``options`` were put)."""
        if fact not in self.values:
            return False
        if fact in self.checked:
            return set(options) <= self.checked[fact]
        return True

    def record(self, record: AnswerRecord, value: object) -> Answers:
        """Add (or replace) the answer to one question."""
        values = dict(self.values)
        checked = dict(self.checked)
        unknown = dict(self.unknown)
        if record.options:
            part = frozenset(record.options)
            old = values.get(record.fact)
            found = (old - part if isinstance(old, frozenset) else frozenset()) | \
                (frozenset() if is_unknown(value) else frozenset(value if isinstance(value, frozenset) else ()))
            refused = (unknown.get(record.fact, frozenset()) - part) | (part if is_unknown(value) else frozenset())
            checked[record.fact] = checked.get(record.fact, frozenset()) | part
            _set_part(values, unknown, record.fact, found, refused)
        else:
            values[record.fact] = value
        others = tuple(r for r in self.records if (r.tree, r.node) != (record.tree, record.node))
        return Answers(values, checked, (*others, record), unknown)

    def change(self, record: AnswerRecord, value: object) -> tuple[Answers, frozenset[str]]:
        """Change one answer; return the new answers and the facts whose answers are now void."""
        old_value = self.values.get(record.fact)
        updated = self.record(record, value)
        if old_value == updated.values.get(record.fact):
            return updated, frozenset()
        return updated._invalidate({record.fact}, keep=(record.tree, record.node))

    def forget(self, tree: str, node: str) -> tuple[Answers, frozenset[str]]:
        """Take one answer back, and every answer that depended on it."""
        for record in self.records:
            if (record.tree, record.node) == (tree, node):
                return self._drop([record])._invalidate({record.fact}, keep=None)
        return self, frozenset()

    def _invalidate(self, changed: set[str], keep: tuple[str, str] | None) -> tuple[Answers, frozenset[str]]:
        dropped: list[AnswerRecord] = []
        frontier = set(changed)
        remaining = list(self.records)
        while frontier:
            hit = [r for r in remaining if r.depends_on & frontier and (r.tree, r.node) != keep]
            if not hit:
                break
            dropped += hit
            remaining = [r for r in remaining if r not in hit]
            frontier = {r.fact for r in hit}
        return self._drop(dropped), frozenset(r.fact for r in dropped)

    def _drop(self, records: list[AnswerRecord]) -> Answers:
        values = dict(self.values)
        checked = dict(self.checked)
        unknown = dict(self.unknown)
        for record in records:
            if record.options and record.fact in checked:
                part = frozenset(record.options)
                checked[record.fact] = checked[record.fact] - part
                current = values.get(record.fact)
                found = current - part if isinstance(current, frozenset) else frozenset()
                _set_part(values, unknown, record.fact, found, unknown.get(record.fact, frozenset()) - part)
                if not checked[record.fact]:
                    del checked[record.fact]
                    values.pop(record.fact, None)
            else:
                values.pop(record.fact, None)
        gone = {(r.tree, r.node) for r in records}
        return replace(self, values=values, checked=checked, unknown=unknown,
                       records=tuple(r for r in self.records if (r.tree, r.node) not in gone))

    def part(self, record: AnswerRecord) -> object:
        """The answer to one question that asked part of a set fact: the values found in it, or `unknown`."""
        if record.options and frozenset(record.options) <= self.unknown.get(record.fact, frozenset()):
            return UNKNOWN
        value = self.values.get(record.fact)
        return frozenset(value if isinstance(value, frozenset) else ()) & frozenset(record.options)

    def last(self) -> AnswerRecord | None:
        """The most recent answer: what Back returns to."""
        return self.records[-1] if self.records else None

    # -- a draft as plain JSON ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        return {
            "values": {k: sorted(v) if isinstance(v, frozenset) else v for k, v in self.values.items()},
            "set_facts": sorted(k for k, v in self.values.items() if isinstance(v, frozenset)),
            "checked": {k: sorted(v) for k, v in self.checked.items()},
            "unknown": {k: sorted(v) for k, v in self.unknown.items()},
            "records": [{"tree": r.tree, "node": r.node, "fact": r.fact, "options": list(r.options),
                         "depends_on": sorted(r.depends_on)} for r in self.records],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Answers:
        set_facts = set(data.get("set_facts", ()))
        values = {k: frozenset(v) if k in set_facts else v for k, v in data.get("values", {}).items()}
        checked = {k: frozenset(v) for k, v in data.get("checked", {}).items()}
        records = tuple(AnswerRecord(r["tree"], r["node"], r["fact"], tuple(r.get("options", ())),
                                     frozenset(r.get("depends_on", ()))) for r in data.get("records", ()))
        unknown = {k: frozenset(v) for k, v in data.get("unknown", {}).items()}
        return cls(values, checked, records, unknown)


def _set_part(values: dict[str, object], unknown: dict[str, frozenset[str]], fact: str, found: frozenset[str],
              refused: frozenset[str]) -> None:
    """A set fact from its parts: what was found; `unknown` when nothing was found and a part was refused."""
    values[fact] = found if found or not refused else UNKNOWN
    if refused:
        unknown[fact] = refused
    else:
        unknown.pop(fact, None)
