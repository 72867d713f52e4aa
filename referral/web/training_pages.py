"""What the training pages show, in words: built here so that the views stay thin and the templates simple.

The question page and the plan are the screening's own (screening/_question.html, screening/_plan.html, with
``answer_fields`` and ``plan_page``), so trainees see exactly what officials see. The phrases to say are shown in
the interface language: in a workshop the person is played by a colleague.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, render_template, url_for
from flask_babel import gettext

from ..engine import GuidelineSet, Question, build_plan
from ..engine.scenarios import Scenario
from ..i18n import current_locale
from ..models import Trainee, TrainingRun, Workshop
from ..services import training as service
from ..services.scenario_library import Library
from ..services.screening import Path
from ..services.training_results import Results
from . import screening_pages as pages
from .answer_labels import values_label
from .labels import CATEGORIES, DESTINATIONS, URGENCY, label

PLAN_FIELDS = ("categories", "destinations", "urgency", "must_not", "group_mode", "refused",
               "kept_despite_refusal", "dropped")
TOP = 5  # how many of the most missed items the live view lists


def common() -> dict[str, object]:
    """What every training page needs: translators and labels (the person's language is the interface's)."""
    info = current_locale()
    return {"t": pages.t, "say": pages.person_translator(info.code), "person": info, "label": label,
            "CATEGORIES": CATEGORIES, "URGENCY": URGENCY, "DESTINATIONS": DESTINATIONS}


def texts(library: Library, scenario: Scenario) -> dict[str, str]:
    """The scenario's title, narrative and teaching point in the interface language."""
    code = current_locale().code
    return {key: library.text(scenario, key, code) or pages.t(getattr(scenario, key))
            for key in ("title", "narrative", "teaching_point")}


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an inline SVG (the content security policy allows data: images only)."""
    import segno

    return segno.make(text, error="m").svg_data_uri(border=2, omitsize=True)


def _plan(gset: GuidelineSet, scenario: Scenario, run: TrainingRun) -> dict[str, object]:
    """The trainee's plan now, with the person's refusals the scenario tells of (as the debrief scores it)."""
    refused = sorted(set(scenario.consent_refused) | set(scenario.facts.get("consent_refused") or ()))
    return build_plan(gset, service.answers_of(run), scenario.country, refused).to_dict()


# -- trainee pages ----------------------------------------------------------------------------------------------

def home_page(library: Library, workshop: Workshop, trainee: Trainee,
              runs: Mapping[str, TrainingRun]) -> dict[str, object]:
    rows = [{"id": sid, "title": texts(library, library.scenarios[sid])["title"], "run": runs.get(sid)}
            for sid in workshop.scenario_ids if sid in library.scenarios]
    return {"workshop": workshop, "trainee": trainee, "rows": rows,
            "finished": [row for row in rows if row["run"] and row["run"].finished_at]}


def walk_page(library: Library, workshop: Workshop, scenario: Scenario, run: TrainingRun) -> dict[str, object]:
    """What every page of a walk shows: the banner, the scenario and its narrative."""
    return {**common(), "workshop": workshop, "scenario": scenario, "run": run, "texts": texts(library, scenario)}


def edit_url(run: TrainingRun, question: Question) -> str:
    return url_for("training.edit", run_id=run.id, tree=question.tree.id, node=question.node.id)


def question_page(gset: GuidelineSet, path: Path, run: TrainingRun, question: Question, value: object,
                  error: str | None = None, typed: str | None = None) -> dict[str, object]:
    number = path.index(question.tree.id, question.node.id)
    previous = path.steps[number - 1] if number else (path.steps[-1] if number is None and path.steps else None)
    return {**pages.answer_fields(gset, question, value, typed), "error": error,
            "position": (number if number is not None else len(path.steps)) + 1, "editing": number is not None,
            "back_url": edit_url(run, previous.question) if previous else None,
            "answer_url": url_for("training.answer", run_id=run.id, tree=question.tree.id, node=question.node.id)}


def review_page(gset: GuidelineSet, scenario: Scenario, run: TrainingRun, path: Path) -> dict[str, object]:
    """Every answer with where to change it, and the plan they give, before the trainee finishes."""
    answers = [{"text": pages.t(step.question.node.text), "answer": values_label(step.question.fact, step.value),
                "url": edit_url(run, step.question)} for step in path.steps]
    return {**pages.plan_page(gset, _plan(gset, scenario, run)), "answers": answers, "say": None,
            "back_url": edit_url(run, path.steps[-1].question) if path.steps else None}


def role_card(gset: GuidelineSet, library: Library, scenario: Scenario) -> dict[str, object]:
    """For the colleague who plays the person: the story, and how to answer each question the trees ask."""
    path = service.expected_path(gset, scenario)
    lines = [{"text": pages.t(step.question.node.text), "aloud": bool(step.question.node.say),
              "answer": values_label(step.question.fact, step.value)} for step in path.steps]
    return {"texts": texts(library, scenario), "lines": lines}


# -- the debrief ------------------------------------------------------------------------------------------------

def _words(gset: GuidelineSet, name: str, code: object) -> str:
    """One value of a plan's field in words."""
    if name == "urgency":
        return str(label(URGENCY, code))
    if name == "group_mode":
        return gettext("Yes") if code else gettext("No")
    if name == "categories":
        return str(label(CATEGORIES, code))
    if name == "must_not":
        return pages.t(gset.vocab.must_not.get(code, code))
    return str(label(DESTINATIONS, code))


def _all_words(gset: GuidelineSet, name: str, codes: frozenset) -> list[str]:
    return [_words(gset, name, code) for code in sorted(codes)]


def _field_names() -> dict[str, str]:
    return {"categories": gettext("Categories"), "destinations": gettext("Referred to"),
            "urgency": gettext("Urgency"), "must_not": gettext("Must not"),
            "group_mode": gettext("Mass arrival"), "refused": gettext("Declined by the person"),
            "kept_despite_refusal": gettext("Referred although declined"),
            "dropped": gettext("Not used")}


def plan_rows(gset: GuidelineSet, expect: Mapping[str, object], plan: Mapping[str, object]) -> list[dict[str, object]]:
    """The expected plan and the trainee's, field by field, each item marked missed or added."""
    got = {"categories": plan["categories"], "destinations": plan["destinations"], "urgency": plan["urgency"],
           "must_not": plan["must_not"], "group_mode": plan["group_mode"], "refused": plan["consent"]["refused"],
           "kept_despite_refusal": plan["consent"]["kept_despite_refusal"],
           "dropped": [item["kind"] for item in plan["dropped"]]}
    names, rows = _field_names(), []
    for name in PLAN_FIELDS:
        expected, mine = expect[name], got[name]
        if name == "group_mode" and not expected and not mine:
            continue
        if name in ("urgency", "group_mode"):
            same = expected == mine
            rows.append({"name": names[name], "same": same, "expected": [(expected, _words(gset, name, expected), "")],
                         "mine": [(mine, _words(gset, name, mine), "" if same else "differs")]})
            continue
        expected, mine = frozenset(expected), frozenset(mine)
        if not expected and not mine and name not in ("categories", "destinations", "must_not"):
            continue
        rows.append({"name": names[name], "same": expected == mine,
                     "expected": [(c, _words(gset, name, c), "" if c in mine else "missed") for c in sorted(expected)],
                     "mine": [(c, _words(gset, name, c), "" if c in expected else "added") for c in sorted(mine)]})
    return rows


def path_rows(gset: GuidelineSet, scenario: Scenario, run: TrainingRun,
              first: service.Debrief | None) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The trainee's questions with their answer and the scenario's; then the questions of the expected walk that
    the trainee was never asked."""
    mine = service.walk_path(gset, service.answers_of(run))
    divergence = first.first_divergence if first else None
    rows = []
    for number, step in enumerate(mine.steps, 1):
        question, expected = step.question, service.scenario_answer(scenario, step.question)
        rows.append({"number": number, "text": pages.t(question.node.text),
                     "mine": values_label(question.fact, step.value),
                     "expected": values_label(question.fact, expected), "same": step.value == expected,
                     "section": question.node.source.section,
                     "first": divergence is not None and (divergence.tree, divergence.node) == (
                         question.tree.id, question.node.id)})
    asked = {(s.question.tree.id, s.question.node.id) for s in mine.steps}
    unasked = [{"text": pages.t(s.question.node.text), "expected": values_label(s.question.fact, s.value),
                "section": s.question.node.source.section}
               for s in service.expected_path(gset, scenario).steps
               if (s.question.tree.id, s.question.node.id) not in asked]
    return rows, unasked


def debrief_page(gset: GuidelineSet, library: Library, scenario: Scenario, run: TrainingRun) -> dict[str, object]:
    result = service.stored_debrief(run)
    first = result.first_divergence if result else None
    node = gset.tree(first.tree).nodes[first.node] if first else None
    rows, unasked = path_rows(gset, scenario, run, result)
    return {**common(), "scenario": scenario, "run": run, "texts": texts(library, scenario), "result": result,
            "plan_rows": plan_rows(gset, service.stored_expectation(run, scenario), run.debrief["plan"]),
            "path_rows": rows, "unasked": unasked,
            "first": first, "first_text": pages.t(node.text) if node else "",
            "first_given": values_label(first.fact, first.given) if first else [],
            "first_expected": values_label(first.fact, first.expected) if first else []}


# -- the trainer's pages ----------------------------------------------------------------------------------------

def _question_text(gset: GuidelineSet, tree: str, node: str) -> tuple[str, str]:
    found = gset.tree(tree).nodes.get(node)
    return (pages.t(found.text), found.source.section) if found is not None else (node, "")


def scenario_stats(gset: GuidelineSet, library: Library, results: Results) -> list[dict[str, object]]:
    """Per scenario: finished, share correct, and the most missed categories and must-nots and most wrongly
    answered questions."""
    out = []
    for sid in results.workshop.scenario_ids:
        stats = results.stats.get(sid)
        scenario = library.scenarios.get(sid)
        out.append({
            "id": sid, "title": texts(library, scenario)["title"] if scenario else sid, "stats": stats,
            "percent": round(100 * stats.share_correct) if stats else None,
            "categories": [(label(CATEGORIES, c), n) for c, n in stats.missed_categories.most_common(TOP)]
            if stats else [],
            "must_not": [(c, pages.t(gset.vocab.must_not.get(c, c)), n)
                         for c, n in stats.missed_must_nots.most_common(TOP)] if stats else [],
            "questions": [(*_question_text(gset, tree, node), n)
                          for (tree, node), n in stats.wrong_questions.most_common(TOP)] if stats else []})
    return out


def live_page(gset: GuidelineSet, library: Library, results: Results, join_url: str) -> dict[str, object]:
    scenarios = scenario_stats(gset, library, results)
    return {"workshop": results.workshop, "results": results, "scenarios": scenarios, "join_url": join_url,
            "qr": qr_data_uri(join_url)}


def pdf_response(template: str, filename: str, **context: object) -> Response:
    """A PDF of a training template, rendered by the slips' locked-down WeasyPrint renderer."""
    from ..services.slips import renderer

    pdf = renderer().pdf(render_template(template, **context), seconds=20)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def refusal(reason: str) -> str:
    """A refused training action in words (``TrainingRefused.reason``)."""
    return {
        "title": gettext("Give the workshop a title (at most 120 characters)."),
        "scenarios": gettext("Choose between one and twelve scenarios."),
        "mode": gettext("Choose how trainees walk the scenarios."),
        "code": gettext("No open workshop has this code. Check it with the trainer."),
        "name": gettext("Choose a display name of at most 40 characters."),
        "name_taken": gettext("Someone in this workshop already uses this name: add an initial or choose another."),
        "resume": gettext("This resume code does not belong to this workshop. Check both codes."),
        "closed": gettext("The workshop is closed: no new scenario can be started."),
        "scenario": gettext("This scenario is not part of the workshop."),
        "unfinished": gettext("Some questions are still unanswered."),
        "finished": gettext("This scenario is finished: its answers can no longer be changed."),
    }.get(reason, gettext("This cannot be done."))


def index_page(library: Library, workshops: list[Workshop], form: Mapping[str, object] | None = None,
               error: str | None = None) -> dict[str, object]:
    """The trainer's workshops, and the scenarios to choose from (the trainers' own marked as such)."""
    chosen = set(form.getlist("scenario")) if form is not None else set()
    scenarios = [{"id": s.id, "title": texts(library, s)["title"], "tags": s.tags, "own": s.id in library.authored,
                  "chosen": s.id in chosen, "stale": s.id in library.stale} for s in library.scenarios.values()]
    return {"workshops": workshops, "scenarios": scenarios, "error": error,
            "title": (form or {}).get("title", ""), "mode": (form or {}).get("mode", "solo")}


def report_page(gset: GuidelineSet, library: Library, results: Results) -> dict[str, object]:
    """The workshop report (PDF): the figures of the live view, and each trainee's result per scenario."""
    return {"workshop": results.workshop, "results": results, "scenarios": scenario_stats(gset, library, results),
            "lang": current_locale()}


def certificate_page(library: Library, workshop: Workshop, trainee: Trainee,
                     runs: Mapping[str, TrainingRun]) -> dict[str, object]:
    done = [(texts(library, library.scenarios[sid])["title"], runs[sid]) for sid in workshop.scenario_ids
            if sid in runs and runs[sid].finished_at and sid in library.scenarios]
    return {"workshop": workshop, "trainee": trainee, "done": done, "lang": current_locale()}


def author_page(gset: GuidelineSet, scenario_id: str | None, values: Mapping[str, object],
                errors: Mapping[str, str] | None = None, result: object = None) -> dict[str, object]:
    """The authoring form, what is wrong with it, and where the trees disagree with the expected plan."""
    from .training_forms import expect_options, fact_fields, translation_locales

    names, differences = _field_names(), []
    for difference in getattr(result, "differences", ()):
        name, expected, got = difference.field, difference.expected, difference.got
        sets = isinstance(expected, frozenset)
        differences.append({
            "name": names.get(name, name),
            "expected": _all_words(gset, name, expected) if sets else [_words(gset, name, expected)],
            "got": _all_words(gset, name, got) if sets else [_words(gset, name, got)],
            "missing": _all_words(gset, name, expected - got) if sets else [],
            "unexpected": _all_words(gset, name, got - expected) if sets else []})
    return {"scenario_id": scenario_id, "values": values, "errors": errors or {},
            "problems": getattr(result, "problems", ()), "differences": differences,
            "facts": fact_fields(gset), "options": expect_options(gset), "locales": translation_locales(),
            "countries": sorted(gset.pathways.values(), key=lambda p: p.country), "t": pages.t}
