"""Reading the screening's forms: an answer to one question, the consent decisions. Errors are translated and
never repeat what was typed.

The question form sends ``value`` (one radio, several boxes, or a typed number or code) and ``action``: ``save``,
``none`` (none of the boxes applies) or ``unknown`` (the person does not know or will not say).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..engine import GuidelineSet, Plan, Question


def parse_answer(gset: GuidelineSet, question: Question, form: MultiDict) -> tuple[object, str | None]:
    """The answer as the engine takes it, or (None, the message to show beside the question)."""
    node, spec = question.node, gset.vocab.facts[question.fact]
    action = form.get("action", "save")
    if node.answer_type == "choice":
        value = form.get("value", "")
        return (value, None) if value in question.choices else (None, _("Choose one of the answers."))
    if node.answer_type == "multi":
        if action == "none":
            return frozenset(), None
        if action == "unknown":  # kept apart from "none of these": a refusal is not an absence
            return ("unknown", None) if node.allow_unknown else (None, _("An answer is needed here."))
        picked = frozenset(form.getlist("value"))
        return (picked, None) if picked <= frozenset(node.options) else (None, _("Tick only the boxes shown."))
    if action == "unknown":
        return ("unknown", None) if node.allow_unknown else (None, _("An answer is needed here."))
    typed = form.get("value", "").strip()
    if node.answer_type == "number":
        number = int(typed) if typed.isdigit() and len(typed) < 10 else None
        low, high = spec.minimum or 0, spec.maximum if spec.maximum is not None else 10**9
        if number is None or not low <= number <= high:
            return None, _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
        return number, None
    for candidate in (typed, typed.upper(), typed.lower()):
        if candidate and re.fullmatch(spec.pattern or r"\S+", candidate):
            return candidate, None
    return None, _("This is not a code of the form expected. Check it, or choose Unknown.")


def parse_consent(base: Plan, form: Mapping[str, str]) -> tuple[dict[str, bool] | None, dict[str, str]]:
    """The decision for every destination of the plan (True: agrees), or None when one is missing; and the
    choices as sent, so that the page shows them again."""
    chosen = {kind: form.get(f"consent-{kind}", "") for kind in base.destinations}
    chosen = {kind: value for kind, value in chosen.items() if value in ("yes", "no")}
    if set(chosen) != set(base.destinations):
        return None, chosen
    return {kind: value == "yes" for kind, value in chosen.items()}, chosen
