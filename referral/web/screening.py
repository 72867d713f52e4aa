"""The screening, for officials: start, one question per page, Back and change, the plan, consent, identity, submit.

Every page reads the sealed draft on the server (nothing of a screening lives in the browser); every POST changes
it and redirects (PRG), and no GET changes anything. URLs carry the draft id and node ids only. A draft that is
not the official's own answers 404, exactly like one that does not exist, and the refusal is audited.
A form sent back with a mistake is shown again with what was entered and a message beside the field, as a page
(200, like the sign-in form), because no 4xx or 5xx body may repeat input (SECURITY.md P-18).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session
from werkzeug.wrappers import Response

from ..db import get_db
from ..guidelines import current_guidelines
from ..i18n import LOCALES
from ..models import Case
from ..services import screening as service
from ..services import slips
from ..services.cases import CaseRefused, CaseUnavailable, open_case
from ..services.consent_form import load_consent_form
from ..services.intake import IdentityInvalid, load_identity_form
from ..vault import KeyDestroyed, SealedDataInvalid
from . import screening_pages as pages
from .access import allow, current_user, deny
from .identity_forms import identity_form_class
from .screening_answers import parse_answer, parse_consent

bp = Blueprint("screening", __name__, url_prefix="/screening")

NAV = [("screening.start", _l("New screening"), ("official",))]

T = TypeVar("T")

STAGE_ENDPOINTS = {"questions": "screening.question", "consent": "screening.plan",
                   "identity": "screening.identity", "review": "screening.review"}


# -- loading a draft (the only way a view gets one) -------------------------------------------------------------

def _vault():  # noqa: ANN202
    return current_app.extensions["vault"]


def _forms():  # noqa: ANN202
    return load_identity_form(current_app.extensions["referral.settings"].forms_dir)


def _denied(draft_id: str) -> None:
    deny("screening.access.denied", "draft", draft_id if service._DRAFT_ID.fullmatch(draft_id) else None)


def _read(draft_id: str, statuses: tuple[str, ...] = ("open",)) -> service.Screening:
    """The user's draft, read only; a submitted one sends to its case, anything not the user's answers 404."""
    with get_db().read_session() as db:
        try:
            screening = service.load(session=db, vault=_vault(), user=current_user(), draft_id=draft_id,
                                     statuses=(*statuses, "submitted"))
        except service.DraftUnavailable:
            screening = None
    if screening is None:
        _denied(draft_id)
    if screening.draft.status not in statuses:
        abort(redirect(url_for("screening.done", draft_id=draft_id), code=303))
    return screening


@contextmanager
def _writing(draft_id: str, statuses: tuple[str, ...] = ("open",)) -> Iterator[tuple[Session, service.Screening]]:
    """The user's draft, locked for this transaction (two taps on a button queue up instead of racing)."""
    with get_db().session() as db:
        try:
            screening = service.load(session=db, vault=_vault(), user=current_user(), draft_id=draft_id,
                                     lock=True, statuses=(*statuses, "submitted"))
        except service.DraftUnavailable:
            screening = None
        if screening is not None and screening.draft.status in statuses:
            yield db, screening
            return
    if screening is None:
        _denied(draft_id)
    abort(redirect(url_for("screening.done", draft_id=draft_id), code=303))


def _saving(screening: service.Screening, change: Callable[[Session, service.Screening], T]) -> T:
    """Store a change computed on a draft read without a lock, in one short transaction (R-03).

    ``change`` computes first and writes last, so the write lock is held only for the write. When another
    request (a second tap) saved in between, the change is made again under the draft's row lock, where it
    cannot lose a second time.
    """
    with get_db().session() as db:
        try:
            result = change(db, screening)
        except service.DraftChanged:
            db.rollback()
        else:
            db.commit()
            return result
    with _writing(screening.id) as (db, current):
        result = change(db, current)
        db.commit()
    return result


def _to_stage(draft_id: str, stage: str) -> Response:
    return redirect(url_for(STAGE_ENDPOINTS[stage], draft_id=draft_id), code=303)


def _at_least(screening: service.Screening, wanted: str) -> service.Progress:
    """Send to the stage the screening is at when it has not reached ``wanted`` (no identity before consent)."""
    progress = service.progress(current_guidelines(), _forms(), screening)
    if not progress.reached(wanted):
        abort(_to_stage(screening.id, progress.stage))
    return progress


# -- start and resume -------------------------------------------------------------------------------------------

@bp.get("/")
@allow("official")
def start(error: str | None = None) -> str:
    with get_db().read_session() as db:
        drafts = service.open_drafts(session=db, vault=_vault(), user=current_user())
    return render_template("screening/start.html", drafts=drafts, locales=LOCALES, error=error)


@bp.post("/")
@allow("official")
def begin() -> Response | str:
    language = request.form.get("language", "")
    if language not in LOCALES:
        return start(_("Choose the language the person understands best."))
    with get_db().session() as db:
        try:
            screening = service.start(session=db, vault=_vault(), gset=current_guidelines(), user=current_user(),
                                      language=language)
        except service.NoPathway:
            return start(_("The guidelines have no referral pathway for the country of your post. "
                           "Ask the administrator."))
        db.commit()
    return redirect(url_for("screening.question", draft_id=screening.id), code=303)


@bp.get("/<draft_id>")
@allow("official")
def resume(draft_id: str) -> Response:
    screening = _read(draft_id)
    return _to_stage(draft_id, service.stage(current_guidelines(), _forms(), screening))


# -- questions --------------------------------------------------------------------------------------------------

@bp.get("/<draft_id>/next")
@allow("official")
def question(draft_id: str) -> str | Response:
    screening, gset = _read(draft_id), current_guidelines()
    path = service.walk_path(gset, screening.answers)
    if path.pending is None:
        return redirect(url_for("screening.plan", draft_id=draft_id), code=303)
    return render_template("screening/question.html",
                           **pages.question_page(gset, screening, path, path.pending, None))


@bp.get("/<draft_id>/q/<tree>/<node>")
@allow("official")
def edit(draft_id: str, tree: str, node: str) -> str | Response:
    """An answered question again, its answer chosen: Back, or "change" from the list of answers."""
    screening, gset = _read(draft_id), current_guidelines()
    path = service.walk_path(gset, screening.answers)
    number = path.index(tree, node)
    if number is None:  # the pending question, or one an earlier change took away
        return redirect(url_for("screening.question", draft_id=draft_id), code=303)
    step = path.steps[number]
    return render_template("screening/question.html",
                           **pages.question_page(gset, screening, path, step.question, step.value))


@bp.get("/<draft_id>/show/<tree>/<node>")
@allow("official")
def show(draft_id: str, tree: str, node: str) -> str | Response:
    """A question's phrases full screen in the person's language, when the official turns the tablet round."""
    screening, gset = _read(draft_id), current_guidelines()
    path = service.walk_path(gset, screening.answers)
    asked = service.question_at(path, tree, node)
    if asked is None:
        return redirect(url_for("screening.question", draft_id=draft_id), code=303)
    return render_template("screening/show.html", **pages.show_page(screening, path, asked))


@bp.post("/<draft_id>/q/<tree>/<node>")
@allow("official")
def answer(draft_id: str, tree: str, node: str) -> Response | tuple[str, int]:
    screening, gset = _read(draft_id), current_guidelines()
    path = service.walk_path(gset, screening.answers)
    asked = service.question_at(path, tree, node)
    if asked is None:
        return _question_gone(draft_id)
    value, error = parse_answer(gset, asked, request.form)
    if error is not None:
        page = pages.question_page(gset, screening, path, asked, value, error, request.form.get("value", ""))
        return render_template("screening/question.html", **page), 200

    def change(db: Session, current: service.Screening) -> service.Screening:
        service.record_answer(session=db, vault=_vault(), gset=gset, screening=current, user=current_user(),
                              tree=tree, node=node, value=value)
        return current

    try:
        screening = _saving(screening, change)
    except (service.QuestionGone, service.AnswerRejected):  # another tap changed the path meanwhile
        return _question_gone(draft_id)
    path = service.walk_path(gset, screening.answers)  # after the write: no lock is held while it is computed
    number = path.index(tree, node)
    if number is not None and number + 1 < len(path.steps):  # an earlier answer: on to the one after it
        return redirect(pages.edit_url(draft_id, path.steps[number + 1].question), code=303)
    return redirect(url_for("screening.question", draft_id=draft_id), code=303)


def _question_gone(draft_id: str) -> Response:
    flash(_("That question is no longer asked after an earlier answer was changed."), "info")
    return redirect(url_for("screening.question", draft_id=draft_id), code=303)


# -- plan, consent, identity, review, submit --------------------------------------------------------------------

@bp.get("/<draft_id>/plan")
@allow("official")
def plan(draft_id: str) -> str:
    screening, gset = _read(draft_id), current_guidelines()
    progress = _at_least(screening, "consent")
    found, path = progress.plans, progress.path
    shown = found.final if progress.reached("identity") else found.base
    return render_template("screening/plan.html", **pages.common(screening), **pages.plan_page(gset, shown.to_dict()),
                           answers=pages.answers_list(gset, screening, path),
                           back_url=pages.edit_url(draft_id, path.steps[-1].question) if path.steps else None)


@bp.route("/<draft_id>/consent", methods=["GET", "POST"])
@allow("official")
def consent(draft_id: str) -> str | Response | tuple[str, int]:
    gset, form = current_guidelines(), _forms()
    if request.method == "GET":
        screening = _read(draft_id)
        progress = _at_least(screening, "consent")
        return render_template("screening/consent.html", **_consent_page(screening, progress, None))
    screening = _read(draft_id)
    progress = _at_least(screening, "consent")
    decisions, chosen = parse_consent(progress.plans.base, request.form)
    if decisions is None:
        page = _consent_page(screening, progress, chosen, _("Record the person's answer for every service."))
        return render_template("screening/consent.html", **page), 200
    def change(db: Session, current: service.Screening) -> service.Screening:
        service.record_consent(session=db, vault=_vault(), gset=gset, form=form, screening=current,
                               user=current_user(), decisions=decisions)
        return current

    try:
        screening = _saving(screening, change)
    except (service.NotReady, service.AnswerRejected):  # the plan changed meanwhile: ask again
        return redirect(url_for("screening.resume", draft_id=draft_id), code=303)
    return _to_stage(draft_id, service.stage(gset, form, screening))


def _consent_page(screening: service.Screening, progress: service.Progress, chosen: dict[str, str] | None,
                  error: str | None = None) -> dict:
    gset, form, found = current_guidelines(), _forms(), progress.plans
    if chosen is None and progress.reached("identity"):
        chosen = {kind: "yes" if entry["decision"] == "given" else "no" for kind, entry in screening.consent.items()}
    return {**pages.common(screening), **pages.consent_page(gset, form, load_consent_form(
        current_app.extensions["referral.settings"].forms_dir), found, screening), "chosen": chosen or {},
        "error": error}


@bp.route("/<draft_id>/identity", methods=["GET", "POST"])
@allow("official")
def identity(draft_id: str) -> str | Response | tuple[str, int]:
    gset, form = current_guidelines(), _forms()
    forms_dir = current_app.extensions["referral.settings"].forms_dir
    if request.method == "GET":
        screening = _read(draft_id)
        progress = _at_least(screening, "identity")
        fields = progress.fields
        entered = identity_form_class(forms_dir, fields)(data={n: screening.identity.get(n, "") for n in fields})
        return render_template("screening/identity.html", **pages.identity_page(form, screening, progress, entered))
    screening = _read(draft_id)
    progress = _at_least(screening, "identity")
    entered = identity_form_class(forms_dir, progress.fields)()
    valid, values = entered.validate(), {n: entered[n].data or "" for n in progress.fields}
    try:
        problems = _saving(screening, lambda db, current: service.record_identity(
            session=db, vault=_vault(), gset=gset, form=form, screening=current, user=current_user(), values=values))
    except service.NotReady:  # consent changed meanwhile: the fields asked may differ
        return redirect(url_for("screening.resume", draft_id=draft_id), code=303)
    if valid and not problems:
        return redirect(url_for("screening.review", draft_id=draft_id), code=303)
    pages.add_problems(entered, problems)
    return render_template("screening/identity.html", **pages.identity_page(form, screening, progress, entered)), 200


@bp.get("/<draft_id>/review")
@allow("official")
def review(draft_id: str) -> str:
    screening = _read(draft_id)
    progress = _at_least(screening, "review")
    return render_template("screening/review.html",
                           **pages.review_page(current_guidelines(), _forms(), screening, progress))


@bp.post("/<draft_id>/submit")
@allow("official")
def submit(draft_id: str) -> Response:
    """Create the case: a second tap, a retry or a concurrent post of the same draft gets the same case."""
    settings = current_app.extensions["referral.settings"]
    with _writing(draft_id, statuses=("open", "submitted")) as (db, screening):
        try:
            service.submit(session=db, vault=_vault(), gset=current_guidelines(), form=_forms(), screening=screening,
                           user=current_user(), enrol_agency_keys=settings.env != "production")
        except service.NotReady as exc:
            return _to_stage(draft_id, exc.stage)
        except (CaseRefused, IdentityInvalid):
            db.rollback()
            flash(_("The case could not be created. Check what was entered and try again."), "error")
            return redirect(url_for("screening.identity", draft_id=draft_id), code=303)
        db.commit()
        case_id = screening.draft.case_id
    # The slips now, so that the post sees them ready rather than "pending"; a slip that cannot be rendered stays
    # pending (R-05: the case is saved already) for the next download or the retry timer. Nothing here raises.
    slips.produce_pending(database=get_db(), vault=_vault(), gset=current_guidelines(), form=_forms(),
                          case_id=case_id, actor_id=current_user().id)
    return redirect(url_for("screening.done", draft_id=draft_id), code=303)


@bp.get("/<draft_id>/done")
@allow("official")
def done(draft_id: str) -> str:
    """The case reference and its plan (opening the case is audited, like every opening)."""
    screening = _read(draft_id, statuses=("submitted",))
    with get_db().session() as db:
        case = db.get(Case, screening.draft.case_id)
        try:
            opened = open_case(session=db, vault=_vault(), user=current_user(), reference=case.reference)
        except (CaseUnavailable, KeyDestroyed, SealedDataInvalid):
            opened = None
    if opened is None:
        _denied(draft_id)
    return render_template("screening/done.html", **pages.done_page(current_guidelines(), screening, opened))


@bp.route("/<draft_id>/abandon", methods=["GET", "POST"])
@allow("official")
def abandon(draft_id: str) -> str | Response:
    if request.method == "GET":
        return render_template("screening/abandon.html", **pages.common(_read(draft_id)))
    with _writing(draft_id) as (db, screening):
        service.abandon(session=db, screening=screening, user=current_user())
        db.commit()
    flash(_("The screening was discarded and its answers destroyed."), "info")
    return redirect(url_for("screening.start"), code=303)
