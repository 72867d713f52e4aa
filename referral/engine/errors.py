"""Problems found in guideline files, reported the way a compiler reports errors.

Every problem has a stable code (tests assert codes, never wording), the file, the line, the node and a
message that says what is wrong and what to do. Errors stop a guideline set from loading; warnings do not.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class ErrorCode(enum.Enum):
    """The catalogue of problems; the value is (code, short name, message template)."""

    YAML_SYNTAX = ("G100", "yaml-syntax", "the file is not valid YAML: {detail}")
    UNKNOWN_KEY = ("G101", "unknown-key", "unknown key '{key}' in {where}")
    MISSING_KEY = ("G102", "missing-key", "{where} needs the key '{key}'")
    BAD_TYPE = ("G103", "bad-type", "'{key}' in {where} must be {expected}, not {got}")
    DUPLICATE_ID = ("G104", "duplicate-id", "{what} '{id}' is defined twice (first on line {first_line})")
    DUPLICATE_KEY = ("G105", "duplicate-key", "the key '{key}' appears twice in one mapping")
    UNKNOWN_FACT = ("G110", "unknown-fact", "fact '{fact}' is not in the vocabulary (guidelines/facts.yaml)")
    UNKNOWN_VALUE = ("G111", "unknown-value", "'{value}' is not a value of fact '{fact}' ({allowed})")
    UNKNOWN_OPERATOR = ("G112", "unknown-operator", "operator '{op}' is unknown or does not fit a {type} fact")
    UNKNOWN_NODE_KIND = ("G113", "unknown-node-kind", "node kind '{kind}' is unknown")
    UNKNOWN_CATEGORY = ("G114", "unknown-category", "category '{category}' is not in the vocabulary")
    UNKNOWN_DESTINATION = ("G115", "unknown-destination", "destination kind '{destination}' is not in the vocabulary")
    UNKNOWN_URGENCY = ("G116", "unknown-urgency", "urgency '{urgency}' is not one of {allowed}")
    UNKNOWN_MUST_NOT = ("G117", "unknown-must-not", "must-not code '{must_not}' is not in the vocabulary")
    BAD_CONDITION = ("G118", "bad-condition", "a condition must be one of all/any/not/fact/category: {detail}")
    SETS_DERIVED_FACT = ("G119", "sets-derived-fact", "fact '{fact}' is derived and cannot be asked")
    DANGLING_NEXT = ("G120", "dangling-next", "'{target}' is not a node of this tree")
    UNREACHABLE_NODE = ("G121", "unreachable-node", "no path from the start node reaches this node")
    CYCLE = ("G122", "cycle", "the path {path} comes back to where it started")
    NO_WAY_ON = ("G123", "no-way-on", "the walk can stop here without reaching an end node: {detail}")
    MISSING_ANSWER = ("G124", "missing-answer", "no answer covers {value}: add it or a `next` for the rest")
    MISSING_SOURCE = ("G130", "missing-source", "the node must cite its source: {detail}")
    UNRESOLVED_DESTINATION = ("G140", "unresolved-destination",
                              "destination kind '{destination}' has neither an agency nor a fallback in {country}")
    FALLBACK_LOOP = ("G141", "fallback-loop", "the fallbacks {path} never reach an agency")
    UNKNOWN_LANGUAGE = ("G142", "unknown-language", "'{language}' is not a language code like 'ru' or 'fa_AF'")
    UNKNOWN_COUNTRY = ("G143", "unknown-country", "no pathway for country '{country}'")
    BAD_DATE = ("G144", "bad-date", "'{key}' of '{destination}' must be a date written YYYY-MM-DD, not {got}")
    INCOMPLETE_AGREEMENT = ("G145", "incomplete-agreement",
                            "the agreement of '{destination}' needs {detail}")
    KEY_DATE_WITHOUT_KEY = ("G146", "key-date-without-key",
                            "'{destination}' has key_valid_until but no key_fingerprint to apply it to")
    BAD_FINGERPRINT = ("G147", "bad-fingerprint",
                       "the key_fingerprint of '{destination}' must be 64 hexadecimal digits (SHA-256), not {got}")
    UNKNOWN_TREE = ("G150", "unknown-tree", "no tree with id '{tree}'")
    FACT_ASKED_TWICE = ("G160", "fact-asked-twice", "fact '{fact}' is already asked by node '{other}' on this path",
                        Severity.WARNING)
    SCENARIO_ID = ("G170", "scenario-id", "the scenario id '{id}' must be its file name without .yaml ('{stem}')")
    SCENARIO_DIFFERS = ("G171", "scenario-differs", "the plan differs from the expectation: {difference}",
                        Severity.WARNING)
    IMPOSSIBLE_EXPECTATION = ("G172", "impossible-expectation", "the expectation can never hold: {detail}")
    SCENARIO_NOT_RUN = ("G173", "scenario-not-run", "scenario '{scenario}' could not be run: {detail}")

    def __init__(self, code: str, slug: str, template: str, severity: Severity = Severity.ERROR):
        self.code = code
        self.slug = slug
        self.template = template
        self.severity = severity


@dataclass(frozen=True)
class Problem:
    """One problem, located in a file (and where known a line and a node)."""

    code: ErrorCode
    file: str
    line: int | None = None
    node: str | None = None
    message: str = ""
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.code.severity is Severity.ERROR

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        node = f" [node {self.node}]" if self.node else ""
        hint = f"; {self.hint}" if self.hint else ""
        return f"{where}: {self.code.severity.value} {self.code.code} {self.code.slug}{node}: {self.message}{hint}"


def problem(code: ErrorCode, file: str, line: int | None = None, node: str | None = None,
            hint: str | None = None, **details: object) -> Problem:
    """Build a problem whose message is the code's template filled with ``details``."""
    return Problem(code, file, line, node, code.template.format(**details), hint)


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """Suggest the closest known word, or None when nothing is close."""
    if not isinstance(word, str):
        return None
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


class GuidelineError(Exception):
    """Raised when guideline files have errors; carries every problem, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Reporter:
    """Collects the problems of one file; checks add to it instead of stopping at the first."""

    def __init__(self, file: str, problems: list[Problem] | None = None):
        self.file = file
        self.problems = problems if problems is not None else []

    def add(self, code: ErrorCode, line: int | None = None, node: str | None = None,
            hint: str | None = None, **details: object) -> None:
        self.problems.append(problem(code, self.file, line, node, hint, **details))

    def for_file(self, file: str) -> Reporter:
        """A reporter for another file that adds to the same list."""
        return Reporter(file, self.problems)
