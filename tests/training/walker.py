"""What a trainee answers, question by question, when they read the scenario right (or miss something).

Shared by the service, web and browser tests, so that all three walk the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from referral.engine import Question

# A worked example of brief §4.3: a driver holds the workers' passports. Missing that one sign (documents held by
# someone else) loses the trafficking finding, and with it the anti-trafficking referral.
TRAFFICKING = "example-6-workers-passports-with-driver"


def answer_for(question: Question, facts: Mapping[str, object]) -> object:
    """The answer the scenario's facts give to ``question`` (a set question covers its own options only)."""
    value = facts.get(question.fact, "unknown")
    if question.node.answer_type == "multi":
        value = frozenset(value) if isinstance(value, frozenset | list | tuple) else frozenset()
        return value & frozenset(question.node.options)
    return value


def missing_held_documents(question: Question, value: object) -> object:
    """The trainee does not notice that someone else holds the passports."""
    if question.node.id == "q_documents" and isinstance(value, frozenset):
        return value - {"held_by_other"}
    return value
