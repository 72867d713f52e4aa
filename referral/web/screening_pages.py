"""What the screening pages show, in words: built here so that the views stay thin and the templates simple.

Texts from the guideline and form files are English message ids. They are translated here with ``gettext`` (not
with the templates' ``_``, which would treat a ``%`` in a guideline text as a placeholder); a phrase for the person
is translated under the person's language (``in_person_locale``) and the template marks it with its ``lang`` and
``dir``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import url_for
from flask_babel import pgettext

from ..engine import GuidelineSet, Plan, Question
from ..engine.schema import QuestionNode
from ..i18n import gettext, in_person_locale, language_fact, locale_info
from ..services.cases import OpenedCase
from ..services.consent_form import ConsentForm
from ..services.intake import IdentityForm
from ..services.screening import Path, Plans, Progress, Screening
from .answer_labels import DERIVED, NONE_OF_THESE, UNKNOWN, value_label, values_label
from .labels import CATEGORIES, DESTINATIONS, URGENCY, label

# Examples shown beside a code question, so the official knows the form expected.
CODE_EXAMPLES = {"language": "ru, fa_AF, ps", "country_of_origin": "AF, TJ, none"}


def t(text: str | None) -> str:
    """Translate a text from a data file into the interface language (no placeholders are filled in)."""
    return gettext(text) if text else ""


def person_translator(code: str | None) -> Callable[[str | None], str]:
    """A function translating texts into the person's language."""
    def say(text: str | None) -> str:
        if not text:
            return ""
        with in_person_locale(code):
            return gettext(text)
    return say


def common(screening: Screening) -> dict[str, object]:
    """What every page of one screening needs."""
    code = screening.language or None
    return {"screening": screening, "draft_id": screening.id, "t": t, "say": person_translator(code),
            "person": locale_info(code), "label": label, "CATEGORIES": CATEGORIES, "URGENCY": URGENCY,
            "DESTINATIONS": DESTINATIONS}


def edit_url(draft_id: str, question: Question) -> str:
    return url_for("screening.edit", draft_id=draft_id, tree=question.tree.id, node=question.node.id)


def _node_text(gset: GuidelineSet, tree_id: str, node_id: str) -> str:
    for tree in gset.trees:
        if tree.id == tree_id and isinstance(tree.nodes.get(node_id), QuestionNode):
            return t(tree.nodes[node_id].text)
    return node_id


def fact_label(gset: GuidelineSet, fact: str) -> object:
    """A fact in words: the question that asks it (the first one, in walk order), or the derived fact's name."""
    if fact in DERIVED:
        return DERIVED[fact]
    for tree in gset.trees:
        for node in tree.nodes.values():
            if isinstance(node, QuestionNode) and node.fact == fact:
                return t(node.text)
    return fact.replace("_", " ")


def _options(gset: GuidelineSet, question: Question, value: object) -> list[tuple[str, object, bool]]:
    node = question.node
    if node.answer_type == "multi":
        chosen = value if isinstance(value, frozenset) else frozenset()
        return [(option, value_label(node.fact, option), option in chosen) for option in node.options]
    own = {a.value: a.label for a in node.answers if a.label}
    return [(choice, t(own[choice]) if choice in own else value_label(node.fact, choice), choice == value)
            for choice in question.choices]


def answer_fields(gset: GuidelineSet, question: Question, value: object, typed: str | None = None) -> dict[str, object]:
    """The question and its answer form (screening/_question.html), shared with training."""
    spec = gset.vocab.facts[question.fact]
    if typed is None:
        typed = "" if value in (None, "unknown") or isinstance(value, frozenset) else str(value)
    return {"question": question, "node": question.node, "kind": question.node.answer_type,
            "options": _options(gset, question, value), "unknown_label": UNKNOWN, "none_label": NONE_OF_THESE,
            "typed": typed, "low": spec.minimum, "high": spec.maximum,
            "example": CODE_EXAMPLES.get(question.fact, "")}


def question_page(gset: GuidelineSet, screening: Screening, path: Path, question: Question, value: object,
                  error: str | None = None, typed: str | None = None) -> dict[str, object]:
    """The page of one question, with the answer it has (None when it is the pending one)."""
    number = path.index(question.tree.id, question.node.id)
    previous = path.steps[number - 1] if number else (path.steps[-1] if number is None and path.steps else None)
    if question.fact == "language" and value is None and typed is None and screening.language:
        typed = language_fact(screening.language)  # chosen at the start: the official confirms or corrects it
    return {
        **common(screening), **answer_fields(gset, question, value, typed),
        "show_url": url_for("screening.show", draft_id=screening.id, tree=question.tree.id, node=question.node.id)
        if question.node.say or any(notice.say for notice in question.notices) else None,
        "position": (number if number is not None else len(path.steps)) + 1, "editing": number is not None,
        "back_url": edit_url(screening.id, previous.question) if previous else None,
        "voided": [_node_text(gset, tree, node) for tree, node in screening.voided], "error": error,
    }


def person_answer_words(question: Question) -> list[str]:
    """Yes, no and "I do not know" in the person's language, to point at, when those are the question's answers."""
    # Translators: shown to the person, in the person's language, as an answer to point at; keep it plain.
    yes = pgettext("said to the person", "Yes")
    # Translators: shown to the person, in the person's language, as an answer to point at; keep it plain.
    no = pgettext("said to the person", "No")
    # Translators: shown to the person, in the person's language, as an answer to point at; keep it plain.
    unknown = pgettext("said to the person", "I do not know, or I do not want to say")
    words = {"yes": yes, "no": no, "unknown": unknown}
    if question.node.answer_type != "choice" or not set(question.choices) <= set(words):
        return []
    return [words[choice] for choice in question.choices]


def show_page(screening: Screening, path: Path, question: Question) -> dict[str, object]:
    """The phrases of one question alone on the screen, in the person's language, for the person to read."""
    info = locale_info(screening.language or None)
    with in_person_locale(info.code):
        phrases = [gettext(notice.say) for notice in question.notices if notice.say]
        if question.node.say:
            phrases.append(gettext(question.node.say))
        words = person_answer_words(question)
    answered = path.index(question.tree.id, question.node.id) is not None
    return {"person": info, "phrases": phrases, "words": words,
            "return_url": edit_url(screening.id, question) if answered
            else url_for("screening.question", draft_id=screening.id)}


def answers_list(gset: GuidelineSet, screening: Screening, path: Path) -> list[dict[str, object]]:
    """Every answer in the order asked, in words, with where to change it."""
    return [{"text": t(step.question.node.text), "answer": values_label(step.question.fact, step.value),
             "url": edit_url(screening.id, step.question)} for step in path.steps]


def plan_page(gset: GuidelineSet, plan: Mapping[str, object]) -> dict[str, object]:
    """A plan (``Plan.to_dict()``, live or from a case) in words: must-nots first, then why each finding."""
    vocab = gset.vocab
    trees = {tree.id: tree for tree in gset.trees}
    why = []
    for finding in plan["findings"]:
        source = finding["source"]
        tree = trees.get(source["tree"])
        why.append({"category": label(CATEGORIES, finding["category"]), "urgency": label(URGENCY, finding["urgency"]),
                    "because": [(fact_label(gset, fact), values_label(fact, value))
                                for fact, value in finding["because"].items()],
                    "tree": t(tree.title) if tree else source["tree"], "section": source["section"],
                    "basis": source["basis"], "verified": source["verified_against_primary"]})
    reasons = plan["consent"]["reasons"]
    return {
        "plan": plan, "why": why,
        "must_not": [(code, t(vocab.must_not.get(code, code))) for code in plan["must_not"]],
        "kept": [(kind, t(vocab.consent_reasons.get(reason, reason))) for kind, reason in reasons.items()],
        "dropped": [(item["kind"], t(vocab.consent_reasons.get(item["reason"], item["reason"])))
                    for item in plan["dropped"]],
        "missing": [fact_label(gset, fact) for fact in plan["missing_facts"]],
    }


def fields_for(form: IdentityForm, kinds: list[str], asked: list[str]) -> list[object]:
    """The labels of the identity fields that a referral standing for ``kinds`` receives."""
    wanted = form.needed_for(kinds)
    return [t(form.fields[name].label) for name in asked if name in wanted]


def _agency_of(plan: Plan, kind: str) -> Mapping[str, object] | None:
    for referral in plan.referrals:
        if kind in referral.requested_as:
            return referral.agency or {"name": None}
    return None


def consent_page(gset: GuidelineSet, form: IdentityForm, consent: ConsentForm, found: Plans,
                 screening: Screening) -> dict[str, object]:
    """Each destination of the plan with the agency it goes to, what it would receive, its statement for the
    person, and, for a mandatory one, why it goes ahead whatever the answer."""
    every = list(form.fields)
    rows = [{"kind": kind, "name": label(DESTINATIONS, kind),
             "agency": (_agency_of(found.base, kind) or {}).get("name"),
             "statement": consent.statement(kind), "fields": fields_for(form, [kind], every),
             "kept_because": t(gset.vocab.consent_reasons.get(found.mandatory[kind], found.mandatory[kind]))
             if kind in found.mandatory else None}
            for kind in found.base.destinations]
    dropped = [(kind, t(gset.vocab.consent_reasons.get(reason, reason))) for kind, reason in found.base.dropped.items()]
    child = gset.vocab.with_derived(screening.answers.values).get("presumed_minor") == "yes"
    return {"rows": rows, "dropped": dropped, "form_text": consent, "child": child}


def receivers(form: IdentityForm, progress: Progress) -> list[dict[str, object]]:
    """Each agency of the final plan, and the identity fields it receives."""
    return [{"name": (r.agency or {}).get("name") or label(DESTINATIONS, r.kind),
             "fields": fields_for(form, list(r.requested_as), list(progress.fields))}
            for r in progress.plans.final.referrals]


def identity_page(form: IdentityForm, screening: Screening, progress: Progress, entered: object) -> dict[str, object]:
    """The identity fields asked, and which agency receives which of them."""
    return {**common(screening), "form": entered, "fields": progress.fields, "receivers": receivers(form, progress)}


def add_problems(entered: object, problems: list[tuple[str, str]]) -> None:
    """Show beside its field a problem the service found that the form's own checks did not."""
    for name, _rule in problems:
        field = getattr(entered, name, None)
        if field is not None and not field.errors:
            field.errors = [*field.errors, gettext("Check this field: it is not accepted as entered.")]


def review_page(gset: GuidelineSet, form: IdentityForm, screening: Screening, progress: Progress) -> dict[str, object]:
    """The final plan (after the person's decisions) and what each agency will receive, before submitting."""
    final = progress.plans.final
    entered = [(t(form.fields[name].label), screening.identity.get(name, "")) for name in progress.fields]
    return {**common(screening), **plan_page(gset, final.to_dict()), "entered": entered,
            "receivers": receivers(form, progress)}


def done_page(gset: GuidelineSet, screening: Screening, opened: OpenedCase) -> dict[str, object]:
    """The case's reference and its stored plan; the phrases for the person in the language recorded, if any."""
    language = opened.payload.get("facts", {}).get("language")
    page = {**common(screening), **plan_page(gset, opened.payload["plan"]), "case": opened.case}
    if isinstance(language, str) and language != "unknown":
        page.update(say=person_translator(language), person=locale_info(language))
    else:
        page.update(say=None)
    return page
