"""Training workshops (issue 7), the trainer's side: choose scenarios and open a workshop, show its join code and
QR code, follow it live on a projector, export the results (CSV, PDF), and write scenarios.

The trainees' side (join, walk, debrief, certificate) is in training_trainee.py, on this same blueprint.
Training data is fictional and apart from real work: these views never touch the case store, the audit trail or
the statistics, and a workshop that is not the trainer's answers 404 like one that does not exist (not audited:
training leaves no trace in the audit trail of real cases).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..db import get_db
from ..guidelines import current_guidelines
from ..models import Trainee, TrainingRun, Workshop
from ..services import training as service
from ..services import training_results
from ..services.scenario_library import Library, load_library, save_scenario, scenario_document
from . import training_pages as pages
from .access import allow, current_user
from .training_forms import form_values, parse_scenario

bp = Blueprint("training", __name__, url_prefix="/training")

NAV = [("training.index", _l("Training"), ("trainer",))]
LIVE_REFRESH_SECONDS = 15


def library() -> Library:
    """The scenario library and the trainers' own scenarios."""
    settings = current_app.extensions["referral.settings"]
    return load_library(current_guidelines(), settings.guidelines_dir, settings.data_dir)


def _workshop(code: str) -> Workshop:
    """The trainer's own workshop of this code; 404 for any other."""
    with get_db().read_session() as db:
        workshop = service.trainers_workshop(session=db, trainer=current_user(), code=code)
    if workshop is None:
        abort(404)
    return workshop


def _results(workshop: Workshop) -> training_results.Results:
    with get_db().read_session() as db:
        return training_results.results(session=db, workshop=workshop)


@bp.get("/")
@allow("trainer")
def index() -> str:
    with get_db().read_session() as db:
        workshops = service.trainer_workshops(session=db, trainer=current_user())
    return render_template("training/index.html", **pages.index_page(library(), workshops))


@bp.post("/")
@allow("trainer")
def open_workshop() -> Response | tuple[str, int]:
    found, form = library(), request.form
    with get_db().session() as db:
        try:
            workshop = service.open_workshop(session=db, trainer=current_user(), title=form.get("title", ""),
                                             scenario_ids=form.getlist("scenario"), mode=form.get("mode", ""),
                                             known=found.usable)
        except service.TrainingRefused as refused:
            with get_db().read_session() as reading:
                workshops = service.trainer_workshops(session=reading, trainer=current_user())
            page = pages.index_page(found, workshops, form, pages.refusal(refused.reason))
            return render_template("training/index.html", **page), 200
        db.commit()
    return redirect(url_for("training.live", code=workshop.code), code=303)


@bp.get("/workshops/<code>")
@allow("trainer")
def live(code: str) -> tuple[str, int, dict[str, str]]:
    """The live view for a projector: join code and QR code, who has finished, and what was missed. It reloads
    itself (a Refresh header: no script needed)."""
    workshop = _workshop(code)
    join_url = url_for("training.join_form", code=workshop.code, _external=True)
    page = pages.live_page(current_guidelines(), library(), _results(workshop), join_url)
    return render_template("training/live.html", **page), 200, {"Refresh": str(LIVE_REFRESH_SECONDS)}


@bp.post("/workshops/<code>/close")
@allow("trainer")
def close(code: str) -> Response:
    with get_db().session() as db:
        workshop = service.trainers_workshop(session=db, trainer=current_user(), code=code)
        if workshop is None:
            abort(404)
        service.close_workshop(session=db, workshop=workshop)
        db.commit()
    flash(_("The workshop is closed: no one can join or start a scenario. The results stay."), "info")
    return redirect(url_for("training.live", code=code), code=303)


@bp.get("/workshops/<code>/results.csv")
@allow("trainer")
def results_csv(code: str) -> Response:
    workshop = _workshop(code)
    return Response(training_results.results_csv(_results(workshop)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="workshop-{workshop.code}.csv"'})


@bp.get("/workshops/<code>/report.pdf")
@allow("trainer")
def report(code: str) -> Response:
    workshop = _workshop(code)
    page = pages.report_page(current_guidelines(), library(), _results(workshop))
    return pages.pdf_response("training/report_pdf.html", f"workshop-{workshop.code}.pdf", **page)


@bp.get("/workshops/<code>/runs/<int:run_id>")
@allow("trainer")
def trainee_debrief(code: str, run_id: int) -> str:
    """One trainee's debrief, as the trainee sees it."""
    workshop = _workshop(code)
    with get_db().read_session() as db:
        run = db.get(TrainingRun, run_id)
        trainee = db.get(Trainee, run.trainee_id) if run is not None else None
    scenario = library().scenarios.get(run.scenario_id) if run is not None else None
    if trainee is None or trainee.workshop_id != workshop.id or scenario is None or run.debrief is None:
        abort(404)
    page = pages.debrief_page(current_guidelines(), library(), scenario, run)
    return render_template("training/debrief.html", **page, trainee=trainee, workshop=workshop, for_trainer=True)


@bp.route("/scenarios/new", methods=["GET", "POST"], defaults={"scenario_id": None})
@bp.route("/scenarios/<scenario_id>/edit", methods=["GET", "POST"])
@allow("trainer")
def author(scenario_id: str | None) -> str | Response | tuple[str, int]:
    """Write or change a scenario; it is saved only if the trees give exactly the expected plan."""
    gset, found = current_guidelines(), library()
    if scenario_id is not None and scenario_id not in found.scenarios:
        abort(404)
    if request.method == "GET":
        document = scenario_document(found.scenarios[scenario_id]) if scenario_id else {}
        values = form_values(document, found.texts.get(scenario_id, {}) if scenario_id else {})
        return render_template("training/author.html", **pages.author_page(gset, scenario_id, values))
    document, translations, errors = parse_scenario(gset, request.form, editing=scenario_id)
    if not errors and scenario_id is None and document["id"] in found.scenarios:
        errors["id"] = _("A scenario with this id exists already: choose another id, or edit that scenario.")
    result = None if errors else save_scenario(
        gset=gset, data_dir=current_app.extensions["referral.settings"].data_dir, document=document,
        translations=translations)
    if result is not None and result.saved:
        flash(_("The trees give exactly the expected plan: the scenario is saved."), "info")
        return redirect(url_for("training.index"), code=303)
    page = pages.author_page(gset, scenario_id, form_values(document, translations), errors, result)
    return render_template("training/author.html", **page), 200


from . import training_trainee  # noqa: E402,F401 - the trainees' views, on this blueprint
