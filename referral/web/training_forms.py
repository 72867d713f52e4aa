"""The scenario authoring form: its fields come from the vocabulary (guidelines/facts.yaml), and what it posts is
read back into the shape of a scenario file. Errors are translated and never repeat what was typed.

Field names: ``id``, ``country``, ``title``/``narrative``/``teaching_point`` (English, the message ids) and
``<key>.<locale>`` for the other interface languages, ``fact.<fact>`` (one value, or several boxes for a set
fact), ``consent_refused``, ``expect.<field>`` and ``tags``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..engine import GuidelineSet
from ..engine.schema import QuestionNode
from ..i18n import interface_locales
from ..services.scenario_library import EXPECT_SETS, SCENARIO_ID, TEXT_KEYS
from . import screening_pages as pages
from .answer_labels import value_label
from .labels import CATEGORIES, DESTINATIONS, URGENCY, label

TEXT_LIMITS = {"title": 200, "narrative": 4000, "teaching_point": 2000}


def translation_locales() -> list:
    """The interface languages a trainer may write the texts in, besides English."""
    return [info for info in interface_locales() if info.code != "en"]


def _in_walk_order(gset: GuidelineSet) -> list[str]:
    """The facts in the order the trees first ask them (then any other), as a trainee will meet them."""
    asked = [node.fact for tree in gset.trees for node in tree.nodes.values() if isinstance(node, QuestionNode)]
    return list(dict.fromkeys([*asked, *gset.vocab.facts]))


def fact_fields(gset: GuidelineSet) -> list[dict[str, object]]:
    """One field per fact a tree asks: its question as the label, and its values in words."""
    fields = []
    for fact in _in_walk_order(gset):
        spec = gset.vocab.facts[fact]
        if not spec.asked or spec.derived:
            continue
        options = [(value, value_label(fact, value)) for value in spec.choices()]
        fields.append({"name": fact, "label": pages.fact_label(gset, fact), "type": spec.type, "options": options,
                       "low": spec.minimum, "high": spec.maximum})
    return fields


def expect_options(gset: GuidelineSet) -> dict[str, list[tuple[str, object]]]:
    vocab = gset.vocab
    destinations = [(kind, label(DESTINATIONS, kind)) for kind in vocab.destinations]
    return {"categories": [(code, label(CATEGORIES, code)) for code in vocab.categories],
            "destinations": destinations, "refused": destinations, "kept_despite_refusal": destinations,
            "dropped": destinations, "must_not": [(code, pages.t(text)) for code, text in vocab.must_not.items()],
            "urgency": [(level, label(URGENCY, level)) for level in vocab.urgency]}


def _fact_value(spec, raw: MultiDict, name: str) -> tuple[object, str | None]:  # noqa: ANN001
    """The value of one fact as posted; (None, None) when not given."""
    if spec.type == "set":
        picked = raw.getlist(name)
        return (picked, None) if set(picked) <= set(spec.values) else (None, _("Tick only the boxes shown."))
    typed = raw.get(name, "").strip()
    if not typed:
        return None, None
    if spec.type in ("tri", "enum"):
        return (typed, None) if typed in spec.choices() else (None, _("Choose one of the answers."))
    if spec.type == "int":
        low, high = spec.minimum or 0, spec.maximum if spec.maximum is not None else 10**9
        if typed.isdigit() and len(typed) < 10 and low <= int(typed) <= high:
            return int(typed), None
        return None, _("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)
    return (typed, None) if re.fullmatch(spec.pattern or r"\S+", typed) else (
        None, _("This is not a code of the form expected."))


def parse_scenario(gset: GuidelineSet, raw: MultiDict, editing: str | None = None
                   ) -> tuple[dict[str, object], dict[str, dict[str, str]], dict[str, str]]:
    """(the scenario document, the texts in other languages, the errors by field name)."""
    errors: dict[str, str] = {}
    scenario_id = editing or raw.get("id", "").strip().lower()
    if not SCENARIO_ID.fullmatch(scenario_id):
        errors["id"] = _("Use 3 to 80 small letters, digits and hyphens, starting with a letter or digit.")
    document: dict[str, object] = {"id": scenario_id}
    for key in TEXT_KEYS:
        document[key] = " ".join(raw.get(key, "").split())
        if not document[key] or len(document[key]) > TEXT_LIMITS[key]:
            errors[key] = _("Write this text (at most %(limit)s characters).", limit=TEXT_LIMITS[key])
    document["country"] = raw.get("country", "").lower()
    if document["country"].upper() not in gset.pathways:
        errors["country"] = _("Choose a country.")
    facts = {}
    for fact, spec in gset.vocab.facts.items():
        if spec.asked and not spec.derived:
            value, error = _fact_value(spec, raw, f"fact.{fact}")
            if error:
                errors[f"fact.{fact}"] = error
            elif value is not None:
                facts[fact] = value
    document["facts"] = facts
    refused = raw.getlist("consent_refused")
    if refused:
        document["consent_refused"] = refused
    options = expect_options(gset)
    expect: dict[str, object] = {name: raw.getlist(f"expect.{name}") for name in EXPECT_SETS}
    for name in EXPECT_SETS:
        if not set(expect[name]) <= {code for code, _word in options[name]}:
            errors[f"expect.{name}"] = _("Tick only the boxes shown.")
    expect["urgency"] = raw.get("expect.urgency", "")
    if expect["urgency"] not in gset.vocab.urgency:
        errors["expect.urgency"] = _("Choose the urgency.")
    expect["group_mode"] = raw.get("expect.group_mode") == "yes"
    document["expect"] = expect
    words = re.split(r"[\s,]+", raw.get("tags", "").lower())
    tags = [word for word in words if re.fullmatch(r"[a-z0-9_-]{1,40}", word)]
    if tags:
        document["tags"] = tags
    translations = {info.code: {key: raw.get(f"{key}.{info.code}", "") for key in TEXT_KEYS}
                    for info in translation_locales()}
    return document, translations, errors


def form_values(document: Mapping[str, object], translations: Mapping[str, Mapping[str, str]]) -> dict[str, object]:
    """What the form shows: a flat mapping from field name to value (a list for boxes)."""
    values: dict[str, object] = {key: document.get(key, "") for key in ("id", "country", *TEXT_KEYS)}
    for fact, value in (document.get("facts") or {}).items():
        values[f"fact.{fact}"] = sorted(value) if isinstance(value, list | tuple | frozenset | set) else str(value)
    values["consent_refused"] = list(document.get("consent_refused") or [])
    for name, value in (document.get("expect") or {}).items():
        values[f"expect.{name}"] = value
    values["tags"] = " ".join(document.get("tags") or [])
    for code, texts in translations.items():
        for key, text in texts.items():
            values[f"{key}.{code}"] = text
    return values
