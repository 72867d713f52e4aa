"""Training scenarios: fictional encounters that are also the regression suite of the trees.

A scenario file (guidelines/scenarios/<id>.yaml) gives a persona's facts and what the referral plan must say.
It is read with the same machinery and error codes as a tree, so a national team meets one kind of message;
then its facts go through `build_plan` exactly as a screening would, and every difference from the expectation
is listed. Registering ``check_scenarios`` in ``EXTRA_CHECKS`` makes `referral guidelines check` read them too:
a broken scenario file is an error, a plan that no longer matches is a warning (G171), so that changing a tree
never stops the application from starting; `referral scenarios check` treats a difference as a failure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .answers import Answers
from .errors import ErrorCode, GuidelineError, Reporter, did_you_mean
from .facts import Vocabulary, check_keys
from .guideline_set import EXTRA_CHECKS, GuidelineSet
from .loader import read_yaml
from .marked_yaml import MarkedDict
from .plan import NO_NEED, Plan

SCENARIO_KEYS = {"id", "title", "narrative", "country", "facts", "consent_refused", "expect", "teaching_point",
                 "tags", "brief_example"}
REQUIRED_KEYS = ("id", "title", "narrative", "country", "facts", "expect", "teaching_point")
TEXT_KEYS = ("title", "narrative", "teaching_point")
EXPECT_KEYS = {"categories", "destinations", "urgency", "must_not", "group_mode", "refused",
               "kept_despite_refusal", "dropped"}
EXPECT_REQUIRED = ("categories", "destinations", "urgency", "must_not")
BRIEF_KEYS = {"number", "categories", "destinations", "urgency", "key_must_not", "note"}
# What a plan is compared on, and the words each field holds (for the vocabulary check).
SET_FIELDS = {"categories": "category", "destinations": "destination", "must_not": "must_not",
              "refused": "destination", "kept_despite_refusal": "destination", "dropped": "destination"}


@dataclass(frozen=True)
class Expectation:
    """What the plan must say. Sets compare as sets; fields left out of the file expect nothing (empty, false)."""

    categories: frozenset[str]
    destinations: frozenset[str]
    urgency: str
    must_not: frozenset[str]
    group_mode: bool = False
    refused: frozenset[str] = frozenset()
    kept_despite_refusal: frozenset[str] = frozenset()
    dropped: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BriefRow:
    """A worked example of brief §4.3, as the brief gives it, with a note wherever the plan must differ."""

    number: int
    categories: frozenset[str]
    destinations: frozenset[str]
    urgency: str
    key_must_not: frozenset[str]
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    narrative: str
    country: str
    facts: Mapping[str, object]
    expect: Expectation
    teaching_point: str
    consent_refused: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    brief: BriefRow | None = None
    file: str = ""
    lines: Mapping[str, int] = field(default_factory=dict)  # line of each `expect` field, for the messages


@dataclass(frozen=True)
class Difference:
    """One field of the plan that is not what the scenario expects."""

    field: str
    expected: object
    got: object

    def __str__(self) -> str:
        if isinstance(self.expected, frozenset) and isinstance(self.got, frozenset):
            parts = [f"expected {_show(self.expected)}, got {_show(self.got)}"]
            if self.expected - self.got:
                parts.append(f"missing {_show(self.expected - self.got)}")
            if self.got - self.expected:
                parts.append(f"unexpected {_show(self.got - self.expected)}")
            return f"{self.field}: " + "; ".join(parts)
        return f"{self.field}: expected {_show(self.expected)}, got {_show(self.got)}"


def _show(value: object) -> str:
    if isinstance(value, frozenset | set | tuple | list):
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


# -- reading ---------------------------------------------------------------------------------------------------

def scenario_files(root: Path) -> list[Path]:
    return sorted((Path(root) / "scenarios").glob("*.yaml"))


def load_scenarios(gset: GuidelineSet, root: Path, report: Reporter) -> list[Scenario]:
    """Every scenario of ``root``/scenarios that has no error; problems go to ``report`` (one file each).

    Ids are unique because each must be its file name (G170)."""
    scenarios = []
    for path in scenario_files(root):
        scenario = load_scenario(path, gset, report.for_file(_relative(path, Path(root))))
        if scenario is not None:
            scenarios.append(scenario)
    return scenarios


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load_scenario(path: Path, gset: GuidelineSet, report: Reporter) -> Scenario | None:
    """Read and check one scenario file; None when it has any error (every error is reported)."""
    before = len(report.problems)
    raw = read_yaml(path, report)
    if raw is None:
        return None
    sid = raw.get("id") if isinstance(raw.get("id"), str) else path.stem
    check_keys(raw, SCENARIO_KEYS, report, "a scenario", sid)
    for key in REQUIRED_KEYS:
        if key not in raw:
            report.add(ErrorCode.MISSING_KEY, raw.line, sid, key=key, where="a scenario")
    if "id" in raw and raw.get("id") != path.stem:
        report.add(ErrorCode.SCENARIO_ID, raw.line_of("id"), sid, id=raw.get("id"), stem=path.stem)
    texts = {key: _text(raw, key, report, sid) for key in TEXT_KEYS}
    country = str(raw.get("country", ""))
    if "country" in raw and country.upper() not in gset.pathways:
        report.add(ErrorCode.UNKNOWN_COUNTRY, raw.line_of("country"), sid,
                   "known: " + ", ".join(sorted(p.lower() for p in gset.pathways)), country=country)
    facts = _facts(raw, gset.vocab, report, sid)
    refused = _words(raw, "consent_refused", "destination", gset.vocab, report, sid)
    expect, lines = _expectation(raw.get("expect"), raw.line_of("expect"), gset.vocab, report, sid)
    brief = _brief_row(raw.get("brief_example"), raw.line_of("brief_example"), gset.vocab, report, sid)
    tags = _words(raw, "tags", None, gset.vocab, report, sid)
    if expect is not None:
        _check_consistency(expect, refused, brief, raw, report, sid)
    if len(report.problems) > before or expect is None:
        return None
    return Scenario(id=sid, title=texts["title"], narrative=texts["narrative"], country=country.lower(),
                    facts=facts, expect=expect, teaching_point=texts["teaching_point"],
                    consent_refused=tuple(refused), tags=tuple(tags), brief=brief, file=report.file, lines=lines)


def _text(raw: MarkedDict, key: str, report: Reporter, sid: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (key in raw and not value.strip()):
        report.add(ErrorCode.BAD_TYPE, raw.line_of(key), sid, key=key, where="a scenario", expected="a text",
                   got=type(value).__name__ if not isinstance(value, str) else "an empty text")
        return ""
    return " ".join(value.split())


def _facts(raw: MarkedDict, vocab: Vocabulary, report: Reporter, sid: str) -> dict[str, object]:
    facts = raw.get("facts")
    if facts is None:
        return {}
    if not isinstance(facts, MarkedDict):
        report.add(ErrorCode.BAD_TYPE, raw.line_of("facts"), sid, key="facts", where="a scenario",
                   expected="a mapping of fact to value", got=type(facts).__name__)
        return {}
    check_keys(facts, set(facts), report, "the facts", sid)  # every key is allowed here: this reports doubled ones
    node_report = _NodeReporter(report, sid)
    return vocab.normalise(facts, node_report, facts.line_of)


class _NodeReporter(Reporter):
    """A reporter that names the scenario as the node of every problem (``normalise`` names none)."""

    def __init__(self, report: Reporter, sid: str):
        super().__init__(report.file, report.problems)
        self._sid = sid

    def add(self, code: ErrorCode, line: int | None = None, node: str | None = None, hint: str | None = None,
            **details: object) -> None:
        super().add(code, line, node or self._sid, hint, **details)


def _words(raw: MarkedDict, key: str, kind: str | None, vocab: Vocabulary, report: Reporter,
           sid: str) -> list[str]:
    """A list of words under ``key``, each checked against the vocabulary's ``kind`` (None: any text)."""
    value = raw.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        report.add(ErrorCode.BAD_TYPE, raw.line_of(key), sid, key=key, where="a scenario", expected="a list",
                   got=type(value).__name__)
        return []
    words = [str(item) for item in value]
    for word in words:
        _check_word(kind, word, vocab, report, raw.line_of(key), sid)
    return words


def _check_word(kind: str | None, word: str, vocab: Vocabulary, report: Reporter, line: int, sid: str) -> None:
    known, code = {
        "category": (vocab.categories, ErrorCode.UNKNOWN_CATEGORY),
        "destination": (tuple(vocab.destinations), ErrorCode.UNKNOWN_DESTINATION),
        "must_not": (tuple(vocab.must_not), ErrorCode.UNKNOWN_MUST_NOT),
    }.get(kind, ((), None))
    if code is not None and word not in known:
        report.add(code, line, sid, did_you_mean(word, known), **{kind: word})


def _urgency(raw: MarkedDict, vocab: Vocabulary, report: Reporter, sid: str) -> str:
    level = str(raw.get("urgency", ""))
    if level not in vocab.urgency:
        report.add(ErrorCode.UNKNOWN_URGENCY, raw.line_of("urgency"), sid, urgency=level,
                   allowed=", ".join(vocab.urgency))
    return level


def _expectation(raw: object, line: int, vocab: Vocabulary, report: Reporter,
                 sid: str) -> tuple[Expectation | None, dict[str, int]]:
    if not isinstance(raw, MarkedDict):
        if raw is not None:
            report.add(ErrorCode.BAD_TYPE, line, sid, key="expect", where="a scenario", expected="a mapping",
                       got=type(raw).__name__)
        return None, {}
    check_keys(raw, EXPECT_KEYS, report, "the expectation", sid)
    for key in EXPECT_REQUIRED:
        if key not in raw:
            report.add(ErrorCode.MISSING_KEY, raw.line, sid, key=key, where="`expect`")
    sets = {name: frozenset(_words(raw, name, kind, vocab, report, sid)) for name, kind in SET_FIELDS.items()}
    group_mode = raw.get("group_mode", False)
    if not isinstance(group_mode, bool):
        report.add(ErrorCode.BAD_TYPE, raw.line_of("group_mode"), sid, key="group_mode", where="`expect`",
                   expected="true or false", got=group_mode)
        group_mode = False
    expect = Expectation(urgency=_urgency(raw, vocab, report, sid), group_mode=group_mode, **sets)
    return expect, {key: raw.line_of(key) for key in EXPECT_KEYS}


def _brief_row(raw: object, line: int, vocab: Vocabulary, report: Reporter, sid: str) -> BriefRow | None:
    if raw is None:
        return None
    if not isinstance(raw, MarkedDict):
        report.add(ErrorCode.BAD_TYPE, line, sid, key="brief_example", where="a scenario", expected="a mapping",
                   got=type(raw).__name__)
        return None
    check_keys(raw, BRIEF_KEYS, report, "`brief_example`", sid)
    number = raw.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        report.add(ErrorCode.BAD_TYPE, raw.line_of("number"), sid, key="number", where="`brief_example`",
                   expected="the number of the worked example in brief §4.3", got=number)
        number = 0
    return BriefRow(number=number,
                    categories=frozenset(_words(raw, "categories", "category", vocab, report, sid)),
                    destinations=frozenset(_words(raw, "destinations", "destination", vocab, report, sid)),
                    urgency=_urgency(raw, vocab, report, sid),
                    key_must_not=frozenset(_words(raw, "key_must_not", "must_not", vocab, report, sid)),
                    note=" ".join(str(raw.get("note", "")).split()))


def _check_consistency(expect: Expectation, refused: Iterable[str], brief: BriefRow | None, raw: MarkedDict,
                       report: Reporter, sid: str) -> None:
    """Expectations that no plan can ever meet, whatever the trees say (G172)."""
    line = raw.line_of("expect")
    problems = []
    if NO_NEED in expect.categories and len(expect.categories) > 1:
        problems.append(f"'{NO_NEED}' never stands together with another category")
    for name in ("refused", "dropped"):
        both = expect.destinations & getattr(expect, name)
        if both:
            problems.append(f"{_show(both)} both expected and {name}")
    asked = set(refused) | set(_fact_refusals(raw))
    for name in ("refused", "kept_despite_refusal"):
        extra = getattr(expect, name) - asked
        if extra:
            problems.append(f"{name} {_show(extra)} was never refused (see consent_refused)")
    if brief is not None:
        line = raw.line_of("brief_example")
        if brief.categories != expect.categories or brief.urgency != expect.urgency:
            problems.append("the brief's categories and urgency must be the expected ones")
        if not brief.key_must_not <= expect.must_not:
            problems.append(f"key must-nots {_show(brief.key_must_not - expect.must_not)} are not expected")
        if brief.destinations != expect.destinations and not brief.note:
            problems.append("the destinations differ from the brief's: say why in `note`")
    for detail in problems:
        report.add(ErrorCode.IMPOSSIBLE_EXPECTATION, line, sid, detail=detail)


def _fact_refusals(raw: MarkedDict) -> list[str]:
    facts = raw.get("facts")
    value = facts.get("consent_refused") if isinstance(facts, MarkedDict) else None
    return [str(v) for v in value] if isinstance(value, list) else []


# -- running ---------------------------------------------------------------------------------------------------

def run_scenario(gset: GuidelineSet, scenario: Scenario) -> Plan:
    """The plan for the scenario's facts, exactly as `referral screen --facts` would make it."""
    from . import build_plan

    facts = dict(scenario.facts)
    refused = set(scenario.consent_refused) | set(facts.pop("consent_refused", None) or ())
    return build_plan(gset, Answers.given(facts), scenario.country, sorted(refused))


def compare(expect: Expectation, plan: Plan) -> list[Difference]:
    """Every field in which ``plan`` differs from ``expect``."""
    got = {
        "categories": frozenset(plan.categories),
        "destinations": frozenset(plan.destinations),
        "urgency": plan.urgency,
        "must_not": frozenset(plan.must_not),
        "group_mode": plan.group_mode,
        "refused": frozenset(plan.refused),
        "kept_despite_refusal": frozenset(plan.kept_despite_refusal),
        "dropped": frozenset(plan.dropped),
    }
    return [Difference(name, getattr(expect, name), value) for name, value in got.items()
            if getattr(expect, name) != value]


def check_scenario(gset: GuidelineSet, scenario: Scenario) -> list[Difference]:
    return compare(scenario.expect, run_scenario(gset, scenario))


def check_scenarios(gset: GuidelineSet, root: Path, report: Reporter) -> None:
    """The `guidelines check` hook: read every scenario, and run them when the trees themselves are sound."""
    if not (Path(root) / "scenarios").is_dir():
        return
    trees_sound = not any(p.is_error for p in report.problems)
    for scenario in load_scenarios(gset, root, report):
        if not trees_sound:
            continue
        file_report = report.for_file(scenario.file)
        try:
            differences = check_scenario(gset, scenario)
        except GuidelineError as exc:
            file_report.add(ErrorCode.SCENARIO_NOT_RUN, 1, scenario.id, scenario=scenario.id,
                            detail="; ".join(p.message for p in exc.problems))
            continue
        for difference in differences:
            file_report.add(ErrorCode.SCENARIO_DIFFERS, scenario.lines.get(difference.field), scenario.id,
                            scenario=scenario.id, difference=str(difference))


if check_scenarios not in EXTRA_CHECKS:
    EXTRA_CHECKS.append(check_scenarios)
