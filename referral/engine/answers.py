"""The answers of one screening: values, what each answer depended on, and how a change ripples.

A fact is asked once for all trees. Each answer remembers the facts that were consulted on the way to its
question; changing an answer therefore invalidates exactly the answers whose question was reached through it
(and, in turn, those reached through them). Everything here is plain data, so a draft can be sealed and stored
as JSON and restored on another request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace


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
    """Facts known so far. A set fact listed in ``checked`` is known only for those of its values."""

    values: Mapping[str, object] = field(default_factory=dict)
    checked: Mapping[str, frozenset[str]] = field(default_factory=dict)
    records: tuple[AnswerRecord, ...] = ()

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
        if record.options:
            old = values.get(record.fact)
            kept = frozenset() if not isinstance(old, frozenset) else old - frozenset(record.options)
            values[record.fact] = kept | frozenset(value if isinstance(value, frozenset) else ())
            checked[record.fact] = checked.get(record.fact, frozenset()) | frozenset(record.options)
        else:
            values[record.fact] = value
        others = tuple(r for r in self.records if (r.tree, r.node) != (record.tree, record.node))
        return Answers(values, checked, (*others, record))

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
        for record in records:
            if record.options and record.fact in checked:
                checked[record.fact] = checked[record.fact] - frozenset(record.options)
                current = values.get(record.fact)
                if isinstance(current, frozenset):
                    values[record.fact] = current - frozenset(record.options)
                if not checked[record.fact]:
                    del checked[record.fact]
                    values.pop(record.fact, None)
            else:
                values.pop(record.fact, None)
        gone = {(r.tree, r.node) for r in records}
        return replace(self, values=values, checked=checked,
                       records=tuple(r for r in self.records if (r.tree, r.node) not in gone))

    def last(self) -> AnswerRecord | None:
        """The most recent answer: what Back returns to."""
        return self.records[-1] if self.records else None

    # -- a draft as plain JSON ---------------------------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        return {
            "values": {k: sorted(v) if isinstance(v, frozenset) else v for k, v in self.values.items()},
            "set_facts": sorted(k for k, v in self.values.items() if isinstance(v, frozenset)),
            "checked": {k: sorted(v) for k, v in self.checked.items()},
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
        return cls(values, checked, records)
