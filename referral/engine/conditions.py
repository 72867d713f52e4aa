"""Structured conditions over facts: `all` / `any` / `not` over `fact`, `op`, `value` tests. No code in the data.

A fact that is not given counts as `unknown`. Comparisons of numbers and tests on sets are false for an unknown
fact; `eq`, `ne`, `in` and `not_in` compare words literally, so `{fact: fears_return, op: eq, value: unknown}`
is how a tree asks about an unknown answer. Plan-level rules may also test `{category: ...}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

UNKNOWN = "unknown"

# Operators each fact type accepts, and whether the operator takes a list of values.
OPERATORS: dict[str, dict[str, str]] = {
    "tri": {"eq": "one", "ne": "one", "in": "list", "not_in": "list", "known": "none", "unknown": "none"},
    "enum": {"eq": "one", "ne": "one", "in": "list", "not_in": "list", "known": "none", "unknown": "none"},
    "code": {"eq": "one", "ne": "one", "in": "list", "not_in": "list", "known": "none", "unknown": "none"},
    "int": {"eq": "one", "ne": "one", "lt": "one", "le": "one", "gt": "one", "ge": "one",
            "known": "none", "unknown": "none"},
    "set": {"has": "one", "has_any": "list", "has_all": "list", "has_none": "list",
            "empty": "none", "known": "none", "unknown": "none"},
}


def is_unknown(value: object) -> bool:
    return value is None or value == UNKNOWN


class Condition:
    """Base of the condition tree; ``holds`` decides, ``facts`` lists the facts it reads."""

    def holds(self, facts: Mapping[str, object], categories: frozenset[str] = frozenset()) -> bool:
        raise NotImplementedError

    def facts(self) -> frozenset[str]:
        raise NotImplementedError


@dataclass(frozen=True)
class FactTest(Condition):
    fact: str
    op: str
    value: object = None

    def holds(self, facts: Mapping[str, object], categories: frozenset[str] = frozenset()) -> bool:
        actual = facts.get(self.fact)
        op, expected = self.op, self.value
        if op == "unknown":
            return is_unknown(actual)
        if op == "known":
            return not is_unknown(actual)
        if actual is None:
            actual = UNKNOWN
        if op == "eq":
            return actual == expected
        if op == "ne":
            return actual != expected
        if op == "in":
            return actual in expected
        if op == "not_in":
            return actual not in expected
        if isinstance(actual, frozenset | set | list | tuple):
            return _set_test(op, frozenset(actual), expected)
        if isinstance(actual, int) and not isinstance(actual, bool):
            return _compare(op, actual, expected)
        return False

    def facts(self) -> frozenset[str]:
        return frozenset({self.fact})


def _set_test(op: str, actual: frozenset, expected: object) -> bool:
    if op == "has":
        return expected in actual
    if op == "has_any":
        return not actual.isdisjoint(expected)
    if op == "has_all":
        return actual.issuperset(expected)
    if op == "has_none":
        return actual.isdisjoint(expected)
    if op == "empty":
        return not actual
    return False


def _compare(op: str, actual: int, expected: object) -> bool:
    if not isinstance(expected, int):
        return False
    return {"lt": actual < expected, "le": actual <= expected,
            "gt": actual > expected, "ge": actual >= expected}.get(op, False)


@dataclass(frozen=True)
class CategoryTest(Condition):
    category: str

    def holds(self, facts: Mapping[str, object], categories: frozenset[str] = frozenset()) -> bool:
        return self.category in categories

    def facts(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class All(Condition):
    items: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, object], categories: frozenset[str] = frozenset()) -> bool:
        return all(item.holds(facts, categories) for item in self.items)

    def facts(self) -> frozenset[str]:
        return frozenset().union(*(item.facts() for item in self.items))


@dataclass(frozen=True)
class AnyOf(Condition):
    items: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, object], categories: frozenset[str] = frozenset()) -> bool:
        return any(item.holds(facts, categories) for item in self.items)

    def facts(self) -> frozenset[str]:
        return frozenset().union(*(item.facts() for item in self.items))


@dataclass(frozen=True)
class Not(Condition):
    item: Condition

    def holds(self, facts: Mapping[str, object], categories: frozenset[str] = frozenset()) -> bool:
        return not self.item.holds(facts, categories)

    def facts(self) -> frozenset[str]:
        return self.item.facts()


ALWAYS = All(())
