"""The fact vocabulary (guidelines/facts.yaml): facts and their values, derived facts, and the words of a plan.

Every other guideline file is checked against this vocabulary, and every set of facts that reaches the engine
is normalised by it, so a misspelt fact or value can never pass silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .conditions import OPERATORS, UNKNOWN, All, AnyOf, CategoryTest, Condition, FactTest, Not, is_unknown
from .errors import ErrorCode, Reporter, did_you_mean
from .marked_yaml import MarkedDict, MarkedList, YamlSyntaxError, load_file

TRI = ("yes", "no")
FACT_TYPES = tuple(OPERATORS)
_FACT_KEYS = {"type", "values", "values_from", "min", "max", "pattern", "asked"}
_TOP_KEYS = {"facts", "derived", "categories", "destinations", "urgency", "must_not", "consent_reasons"}


@dataclass(frozen=True)
class FactSpec:
    """One fact: its type, the values it may take, and whether a tree may ask it."""

    id: str
    type: str
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    asked: bool = True
    derived: bool = False

    def choices(self) -> tuple[str, ...]:
        """The words an answer may be, `unknown` included (empty for int and code facts)."""
        if self.type == "tri":
            return (*TRI, UNKNOWN)
        if self.type == "enum":
            return (*self.values, UNKNOWN)
        if self.type == "set":
            return self.values
        return ()

    def accepts(self, value: object) -> bool:
        """Whether ``value`` (already normalised) is a valid value of this fact."""
        if is_unknown(value):
            return True
        if self.type in ("tri", "enum"):
            return value in self.choices()
        if self.type == "set":
            return isinstance(value, frozenset) and value <= frozenset(self.values)
        if self.type == "int":
            return (isinstance(value, int) and not isinstance(value, bool)
                    and (self.minimum is None or value >= self.minimum)
                    and (self.maximum is None or value <= self.maximum))
        if self.type == "code":
            return isinstance(value, str) and bool(re.fullmatch(self.pattern or r"\S+", value))
        return False

    def describe(self) -> str:
        if self.type in ("tri", "enum", "set"):
            return "one of " + ", ".join(self.choices())
        if self.type == "int":
            return f"a whole number from {self.minimum} to {self.maximum}, or unknown"
        return f"a code matching {self.pattern}, or unknown"


@dataclass(frozen=True)
class DerivedFact:
    """A fact computed from others: `yes` when ``yes_when`` holds, `no` when ``no_when`` holds, else unknown."""

    id: str
    yes_when: Condition
    no_when: Condition | None

    def value(self, facts: Mapping[str, object]) -> str:
        if self.yes_when.holds(facts):
            return "yes"
        if self.no_when is not None and self.no_when.holds(facts):
            return "no"
        return UNKNOWN

    def inputs(self) -> frozenset[str]:
        extra = self.no_when.facts() if self.no_when else frozenset()
        return self.yes_when.facts() | extra


@dataclass(frozen=True)
class ConsentRule:
    """A situation in which a destination is kept despite a refusal, or dropped whatever the findings say."""

    when: Condition
    reason: str


@dataclass(frozen=True)
class DestinationSpec:
    id: str
    mandatory_when: tuple[ConsentRule, ...] = ()
    never_when: tuple[ConsentRule, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    facts: Mapping[str, FactSpec]
    derived: Mapping[str, DerivedFact]
    categories: tuple[str, ...]
    destinations: Mapping[str, DestinationSpec]
    urgency: tuple[str, ...]
    must_not: Mapping[str, str]
    consent_reasons: Mapping[str, str] = field(default_factory=dict)
    file: str = "guidelines/facts.yaml"

    def urgency_rank(self, level: str) -> int:
        """Smaller is more urgent."""
        return self.urgency.index(level)

    def with_derived(self, facts: Mapping[str, object]) -> dict[str, object]:
        """The facts with every derived fact computed (a derived fact given in the input is recomputed)."""
        result = {k: v for k, v in facts.items() if k not in self.derived}
        for derived in self.derived.values():
            result[derived.id] = derived.value(result)
        return result

    def base_inputs(self, fact_ids: frozenset[str]) -> frozenset[str]:
        """Replace derived facts by the asked facts they are computed from."""
        out = set()
        for fact in fact_ids:
            out |= self.derived[fact].inputs() if fact in self.derived else {fact}
        return frozenset(out)

    # -- reading conditions -------------------------------------------------------------------------------

    def compile_condition(self, raw: object, report: Reporter, line: int, node: str | None,
                          allow_categories: bool = False) -> Condition:
        """Turn a condition as written in YAML into a Condition, reporting every problem found."""
        if not isinstance(raw, MarkedDict):
            report.add(ErrorCode.BAD_CONDITION, line, node, detail=f"got {type(raw).__name__}")
            return All(())
        line = raw.line or line
        combinators = [key for key in ("all", "any", "not") if key in raw]
        if combinators:
            key = combinators[0]
            extra = set(raw) - {key}
            if extra or len(combinators) > 1:
                report.add(ErrorCode.BAD_CONDITION, line, node, detail=f"'{key}' stands alone, found {sorted(raw)}")
            if key == "not":
                return Not(self.compile_condition(raw["not"], report, line, node, allow_categories))
            items = raw[key]
            if not isinstance(items, MarkedList):
                report.add(ErrorCode.BAD_CONDITION, line, node, detail=f"'{key}' takes a list")
                return All(())
            compiled = tuple(self.compile_condition(item, report, items.line_of(i), node, allow_categories)
                             for i, item in enumerate(items))
            return All(compiled) if key == "all" else AnyOf(compiled)
        if "category" in raw and allow_categories:
            if raw["category"] not in self.categories:
                report.add(ErrorCode.UNKNOWN_CATEGORY, line, node, did_you_mean(raw["category"], self.categories),
                           category=raw["category"])
            return CategoryTest(str(raw["category"]))
        return self._compile_test(raw, report, line, node)

    def _compile_test(self, raw: MarkedDict, report: Reporter, line: int, node: str | None) -> Condition:
        for key in raw:
            if key not in ("fact", "op", "value"):
                report.add(ErrorCode.UNKNOWN_KEY, raw.line_of(key), node,
                           did_you_mean(key, ["fact", "op", "value", "all", "any", "not"]),
                           key=key, where="a condition")
        if "fact" not in raw or "op" not in raw:
            report.add(ErrorCode.BAD_CONDITION, line, node, detail="a test needs 'fact' and 'op'")
            return All(())
        fact_id, op = raw["fact"], raw["op"]
        spec = self.facts.get(fact_id)
        if spec is None:
            report.add(ErrorCode.UNKNOWN_FACT, raw.line_of("fact"), node, did_you_mean(fact_id, self.facts),
                       fact=fact_id)
            return FactTest(str(fact_id), str(op), raw.get("value"))
        arity = OPERATORS[spec.type].get(op)
        if arity is None:
            report.add(ErrorCode.UNKNOWN_OPERATOR, raw.line_of("op"), node,
                       did_you_mean(op, OPERATORS[spec.type]), op=op, type=spec.type)
            return FactTest(fact_id, str(op), raw.get("value"))
        value = raw.get("value")
        if arity == "none":
            return FactTest(fact_id, op)
        if arity == "list":
            if not isinstance(value, list):
                report.add(ErrorCode.BAD_TYPE, raw.line_of("value"), node, key="value",
                           where=f"a '{op}' test", expected="a list", got=type(value).__name__)
                return FactTest(fact_id, op, frozenset())
            for item in value:
                self._check_value(spec, item, report, raw.line_of("value"), node)
            return FactTest(fact_id, op, frozenset(value))
        self._check_value(spec, value, report, raw.line_of("value"), node)
        return FactTest(fact_id, op, value)

    def _check_value(self, spec: FactSpec, value: object, report: Reporter, line: int, node: str | None) -> None:
        candidate = frozenset([value]) if spec.type == "set" and not is_unknown(value) else value
        if not spec.accepts(candidate):
            report.add(ErrorCode.UNKNOWN_VALUE, line, node, did_you_mean(value, spec.choices()),
                       value=value, fact=spec.id, allowed=spec.describe())

    # -- reading facts given by a person, a file or a scenario ----------------------------------------------

    def normalise(self, raw: Mapping[str, object], report: Reporter, line_of=None) -> dict[str, object]:
        """Check and normalise facts from outside (JSON, YAML, a form): sets become frozensets, booleans tri."""
        out: dict[str, object] = {}
        for fact_id, value in raw.items():
            line = line_of(fact_id) if line_of else None
            spec = self.facts.get(fact_id)
            if spec is None or spec.derived:
                code = ErrorCode.SETS_DERIVED_FACT if spec is not None else ErrorCode.UNKNOWN_FACT
                report.add(code, line, None, did_you_mean(fact_id, self.facts), fact=fact_id)
                continue
            value = normalise_value(spec, value)
            if not spec.accepts(value):
                report.add(ErrorCode.UNKNOWN_VALUE, line, None, did_you_mean(str(value), spec.choices()),
                           value=_show(value), fact=fact_id, allowed=spec.describe())
                continue
            out[fact_id] = value
        return out


def normalise_value(spec: FactSpec, value: object) -> object:
    """Bring a value from JSON or a form into the engine's form, without judging whether it is allowed."""
    if value is None:
        return UNKNOWN
    if spec.type == "tri" and isinstance(value, bool):
        return "yes" if value else "no"
    if spec.type == "set":
        if isinstance(value, list | tuple | set | frozenset):
            return frozenset(value)
        return UNKNOWN if value == UNKNOWN else value
    if spec.type == "int" and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _show(value: object) -> str:
    return ", ".join(sorted(map(str, value))) if isinstance(value, frozenset) else str(value)


# -- loading facts.yaml ---------------------------------------------------------------------------------------

def load_vocabulary(path: Path, report: Reporter) -> Vocabulary:
    """Read guidelines/facts.yaml; problems go to ``report`` and a best-effort vocabulary is returned."""
    try:
        raw = load_file(path)
    except YamlSyntaxError as exc:
        report.add(ErrorCode.YAML_SYNTAX, exc.line, detail=str(exc))
        raw = MarkedDict()
    if not isinstance(raw, MarkedDict):
        report.add(ErrorCode.BAD_TYPE, 1, key="(file)", where="facts.yaml", expected="a mapping",
                   got=type(raw).__name__)
        raw = MarkedDict()
    check_keys(raw, _TOP_KEYS, report, "facts.yaml", None)
    facts = _read_facts(raw.get("facts") or MarkedDict(), raw, report)
    categories = tuple(raw.get("categories") or ())
    urgency = tuple(raw.get("urgency") or ("immediate", "within_24h", "routine"))
    must_not = dict(raw.get("must_not") or {})
    derived_raw = raw.get("derived") or MarkedDict()
    for fact_id in derived_raw:
        facts[fact_id] = FactSpec(fact_id, "tri", asked=False, derived=True)
    vocab = Vocabulary(facts, {}, categories, {}, urgency, must_not, dict(raw.get("consent_reasons") or {}),
                       report.file)
    derived = {fact_id: _read_derived(vocab, fact_id, spec, report) for fact_id, spec in derived_raw.items()}
    destinations = {kind: _read_destination(vocab, kind, spec or MarkedDict(), report)
                    for kind, spec in (raw.get("destinations") or MarkedDict()).items()}
    return Vocabulary(facts, derived, categories, destinations, urgency, must_not, vocab.consent_reasons,
                      report.file)


def _read_facts(raw: MarkedDict, top: MarkedDict, report: Reporter) -> dict[str, FactSpec]:
    facts: dict[str, FactSpec] = {}
    destinations = tuple((top.get("destinations") or {}).keys())
    for fact_id, spec in raw.items():
        line = raw.line_of(fact_id)
        if not isinstance(spec, MarkedDict):
            report.add(ErrorCode.BAD_TYPE, line, fact_id, key=fact_id, where="facts", expected="a mapping",
                       got=type(spec).__name__)
            continue
        check_keys(spec, _FACT_KEYS, report, f"fact '{fact_id}'", fact_id)
        kind = spec.get("type")
        if kind not in FACT_TYPES:
            report.add(ErrorCode.BAD_TYPE, spec.line_of("type"), fact_id, did_you_mean(kind, FACT_TYPES),
                       key="type", where=f"fact '{fact_id}'", expected=" / ".join(FACT_TYPES), got=kind)
            continue
        values = destinations if spec.get("values_from") == "destinations" else tuple(spec.get("values") or ())
        facts[fact_id] = FactSpec(fact_id, kind, values, spec.get("min"), spec.get("max"), spec.get("pattern"),
                                  bool(spec.get("asked", True)))
    return facts


def _read_derived(vocab: Vocabulary, fact_id: str, spec: MarkedDict, report: Reporter) -> DerivedFact:
    check_keys(spec, {"yes_when", "no_when"}, report, f"derived fact '{fact_id}'", fact_id)
    yes_when = vocab.compile_condition(spec.get("yes_when"), report, spec.line, fact_id)
    no_when = (vocab.compile_condition(spec["no_when"], report, spec.line, fact_id)
               if "no_when" in spec else None)
    return DerivedFact(fact_id, yes_when, no_when)


def _read_destination(vocab: Vocabulary, kind: str, spec: MarkedDict, report: Reporter) -> DestinationSpec:
    check_keys(spec, {"mandatory_when", "never_when"}, report, f"destination '{kind}'", kind)

    def rules(key: str) -> tuple[ConsentRule, ...]:
        out = []
        for i, rule in enumerate(spec.get(key) or ()):
            line = spec[key].line_of(i)
            if not isinstance(rule, MarkedDict) or "when" not in rule or "reason" not in rule:
                report.add(ErrorCode.MISSING_KEY, line, kind, key="when' and 'reason", where=f"{key} of {kind}")
                continue
            if rule["reason"] not in vocab.consent_reasons:
                report.add(ErrorCode.MISSING_KEY, rule.line_of("reason"), kind, key=rule["reason"],
                           where="consent_reasons")
            out.append(ConsentRule(vocab.compile_condition(rule["when"], report, line, kind, allow_categories=True),
                                   rule["reason"]))
        return tuple(out)

    return DestinationSpec(kind, rules("mandatory_when"), rules("never_when"))


def check_keys(raw: MarkedDict, allowed: set[str], report: Reporter, where: str, node: str | None) -> None:
    """Report unknown and doubled keys of one mapping, with a suggestion for each unknown key."""
    for key in raw:
        if key not in allowed:
            report.add(ErrorCode.UNKNOWN_KEY, raw.line_of(key), node, did_you_mean(key, allowed),
                       key=key, where=where)
    for key, line in getattr(raw, "duplicate_keys", ()):
        report.add(ErrorCode.DUPLICATE_KEY, line, node, key=key)
