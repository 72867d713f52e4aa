"""Training workshops (issue 7), the trainees' side: join with the code and a display name, walk the real trees
with the scenario in view, see the debrief, download a certificate.

A trainee has no account. The pages are public, and each one is checked by the trainee id that joining put in
the (server-side) session; a run that is not the trainee's answers 404. Nothing asks for identity or consent:
the trees ask only codes and numbers, and the scenario is fictional. Every POST redirects (PRG); a form sent back
with a mistake is shown again as a page (200), never as a 4xx that repeats what was typed (SECURITY.md P-18).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlmodel import Session
from werkzeug.wrappers import Response

from ..db import get_db
from ..engine.scenarios import Scenario
from ..guidelines import current_guidelines
from ..models import Trainee, TrainingRun, Workshop
from ..services import training as service
from . import training_pages as pages
from .access import public
from .screening_answers import parse_answer
from .training import bp as training_bp
from .training import library

TRAINEE = "trainee_id"  # the only thing about a trainee the session holds


@dataclass(frozen=True)
class Walk:
    trainee: Trainee
    workshop: Workshop
    run: TrainingRun
    scenario: Scenario


def _trainee() -> tuple[Trainee, Workshop]:
    """The trainee of this browser; a browser that has not joined goes to the join page."""
    with get_db().read_session() as db:
        found = service.trainee_and_workshop(session=db, trainee_id=session.get(TRAINEE))
    if found is None:
        abort(redirect(url_for("training.join_form"), code=303))
    return found


@contextmanager
def _walk(run_id: int, write: bool = False) -> Iterator[tuple[Session, Walk]]:
    """The trainee's own run (404 for any other), in a session that may write when ``write``."""
    trainee, workshop = _trainee()
    database = get_db()
    with database.session() if write else database.read_session() as db:
        run = service.load_run(session=db, trainee=trainee, run_id=run_id)
        scenario = library().scenarios.get(run.scenario_id) if run is not None else None
        if scenario is None:
            abort(404)
        yield db, Walk(trainee, workshop, run, scenario)


def _page(walk: Walk) -> dict[str, object]:
    return pages.walk_page(library(), walk.workshop, walk.scenario, walk.run)


# -- joining ----------------------------------------------------------------------------------------------------

@training_bp.get("/join")
@public
def join_form() -> str:
    return render_template("training/join.html", code=service.clean_code(request.args.get("code")), name="")


@training_bp.post("/join")
@public
def join() -> Response | str:
    code, name = service.clean_code(request.form.get("code")), request.form.get("name", "")
    with get_db().session() as db:
        try:
            trainee, resume_code = service.join(session=db, code=code, display_name=name)
        except service.TrainingRefused as refused:
            return render_template("training/join.html", code=code, name=name[:service.NAME_LENGTH],
                                   error=pages.refusal(refused.reason))
        db.commit()
    session[TRAINEE] = trainee.id
    flash(_("Your resume code is %(code)s. Note it: with it and the workshop code you can come back to your "
            "scenarios if this tablet signs you out.", code=f"{resume_code[:4]}-{resume_code[4:]}"), "info")
    return redirect(url_for("training.home"), code=303)


@training_bp.post("/resume")
@public
def resume() -> Response | str:
    code = service.clean_code(request.form.get("code"))
    with get_db().read_session() as db:
        try:
            trainee = service.resume(session=db, code=code, resume_code=request.form.get("resume_code", ""))
        except service.TrainingRefused as refused:
            return render_template("training/join.html", code=code, name="", resume_error=pages.refusal(refused.reason))
    session[TRAINEE] = trainee.id
    return redirect(url_for("training.home"), code=303)


@training_bp.post("/leave")
@public
def leave() -> Response:
    session.pop(TRAINEE, None)
    return redirect(url_for("training.join_form"), code=303)


# -- the trainee's workshop -------------------------------------------------------------------------------------

@training_bp.get("/me")
@public
def home() -> str:
    trainee, workshop = _trainee()
    with get_db().read_session() as db:
        runs = service.runs_of(session=db, trainee=trainee)
    return render_template("training/home.html", **pages.home_page(library(), workshop, trainee, runs))


@training_bp.post("/me/start")
@public
def start() -> Response:
    trainee, workshop = _trainee()
    with get_db().session() as db:
        try:
            run = service.start_run(session=db, trainee=trainee, workshop=workshop,
                                    scenario_id=request.form.get("scenario", ""))
        except service.TrainingRefused as refused:
            flash(pages.refusal(refused.reason), "error")
            return redirect(url_for("training.home"), code=303)
        db.commit()
    return redirect(url_for("training.question", run_id=run.id), code=303)


@training_bp.get("/me/certificate.pdf")
@public
def certificate() -> Response:
    trainee, workshop = _trainee()
    with get_db().read_session() as db:
        runs = service.runs_of(session=db, trainee=trainee)
    page = pages.certificate_page(library(), workshop, trainee, runs)
    if not page["done"]:
        flash(_("Finish a scenario first: the certificate lists the scenarios completed."), "info")
        return redirect(url_for("training.home"), code=303)
    return pages.pdf_response("training/certificate_pdf.html", "training-certificate.pdf", **page)


# -- walking a scenario -----------------------------------------------------------------------------------------

@training_bp.get("/runs/<int:run_id>")
@public
def question(run_id: int) -> str | Response:
    with _walk(run_id) as (_db, walk):
        if walk.run.finished_at is not None:
            return redirect(url_for("training.debrief", run_id=run_id), code=303)
        gset = current_guidelines()
        path = service.walk_path(gset, service.answers_of(walk.run))
        if path.pending is None:
            return redirect(url_for("training.review", run_id=run_id), code=303)
        return render_template("training/question.html", **_page(walk),
                               **pages.question_page(gset, path, walk.run, path.pending, None))


@training_bp.get("/runs/<int:run_id>/q/<tree>/<node>")
@public
def edit(run_id: int, tree: str, node: str) -> str | Response:
    """An answered question again, its answer chosen: Back, or "change" from the list of answers."""
    with _walk(run_id) as (_db, walk):
        gset = current_guidelines()
        path = service.walk_path(gset, service.answers_of(walk.run))
        number = path.index(tree, node)
        if number is None or walk.run.finished_at is not None:
            return redirect(url_for("training.question", run_id=run_id), code=303)
        step = path.steps[number]
        return render_template("training/question.html", **_page(walk),
                               **pages.question_page(gset, path, walk.run, step.question, step.value))


@training_bp.post("/runs/<int:run_id>/q/<tree>/<node>")
@public
def answer(run_id: int, tree: str, node: str) -> str | Response:
    gset = current_guidelines()
    with _walk(run_id, write=True) as (db, walk):
        path = service.walk_path(gset, service.answers_of(walk.run))
        asked = service.question_at(path, tree, node)
        if asked is None or walk.run.finished_at is not None:
            return redirect(url_for("training.question", run_id=run_id), code=303)
        value, error = parse_answer(gset, asked, request.form)
        if error is not None:
            page = pages.question_page(gset, path, walk.run, asked, value, error, request.form.get("value", ""))
            return render_template("training/question.html", **_page(walk), **page)
        path = service.record_answer(session=db, gset=gset, run=walk.run, tree=tree, node=node, value=value)
        db.commit()
    number = path.index(tree, node)
    if number is not None and number + 1 < len(path.steps):  # an earlier answer: on to the one after it
        return redirect(pages.edit_url(walk.run, path.steps[number + 1].question), code=303)
    return redirect(url_for("training.question", run_id=run_id), code=303)


@training_bp.get("/runs/<int:run_id>/end")
@public
def review(run_id: int) -> str | Response:
    """Every question answered: the answers and the plan they give, before finishing."""
    with _walk(run_id) as (_db, walk):
        gset = current_guidelines()
        path = service.walk_path(gset, service.answers_of(walk.run))
        if path.pending is not None or walk.run.finished_at is not None:
            return redirect(url_for("training.question", run_id=run_id), code=303)
        page = {**_page(walk), **pages.review_page(gset, walk.scenario, walk.run, path)}  # no phrases to say here
        return render_template("training/review.html", **page)


@training_bp.post("/runs/<int:run_id>/finish")
@public
def finish(run_id: int) -> Response:
    with _walk(run_id, write=True) as (db, walk):
        try:
            service.finish_run(session=db, gset=current_guidelines(), run=walk.run, scenario=walk.scenario)
        except service.TrainingRefused:
            return redirect(url_for("training.question", run_id=run_id), code=303)
        db.commit()
    return redirect(url_for("training.debrief", run_id=run_id), code=303)


@training_bp.get("/runs/<int:run_id>/debrief")
@public
def debrief(run_id: int) -> str | Response:
    with _walk(run_id) as (_db, walk):
        if walk.run.debrief is None:
            return redirect(url_for("training.question", run_id=run_id), code=303)
        page = pages.debrief_page(current_guidelines(), library(), walk.scenario, walk.run)
        return render_template("training/debrief.html", **page, trainee=walk.trainee, workshop=walk.workshop)


@training_bp.get("/me/role-card/<scenario_id>")
@public
def role_card(scenario_id: str) -> str:
    """Role play: what the colleague playing the person needs, on the walker's tablet or on the partner's own
    (any trainee of a role-play workshop, for the workshop's scenarios)."""
    _, workshop = _trainee()
    scenario = library().scenarios.get(scenario_id)
    if workshop.mode != "roleplay" or scenario is None or scenario_id not in workshop.scenario_ids:
        abort(404)
    page = pages.role_card(current_guidelines(), library(), scenario)
    return render_template("training/role_card.html", **page, workshop=workshop)
