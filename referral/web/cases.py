"""Cases of a post: the list, one case (opening it is audited), close, reopen and erase on request.

Who sees what (decided here, enforced by ``access.load_case_or_404`` and ``services.cases.may_open``):

- a **supervisor** lists every case of his or her post, opens any of them, closes, reopens and erases them
  (erasing asks for the password again: SECURITY.md P-06b, P-13);
- an **official** lists only the cases he or she created (what a shared tablet shows at a glance stays small),
  but may open any case of the post by its reference, as ``may_open`` allows: a colleague may need to continue
  a case started on another shift. Officials do not close, reopen or erase;
- anyone else, and anyone of another post, gets 404 for a case, exactly as for a reference that does not
  exist, and the refusal is audited.

Case URLs carry the case's reference (the post code and eight random characters), never anything about the person.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import InputRequired

from ..db import get_db
from ..guidelines import current_guidelines
from ..models import Case
from ..services.case_views import LIST_FILTERS, case_details, list_cases
from ..services.cases import CaseStatusRefused, CaseUnavailable, close_case, erase_case, open_case, reopen_case
from ..services.intake import load_identity_form
from ..vault import KeyDestroyed, SealedDataInvalid
from .access import allow, current_user, load_case_or_404
from .labels import labels
from .reauth import fresh_auth_required

bp = Blueprint("cases", __name__, url_prefix="/cases")

NAV = [("cases.index", _l("Cases of the post"), ("supervisor",)),
       ("cases.index", _l("My cases"), ("official",))]


class EraseForm(FlaskForm):
    reference = StringField(_l("Type the case reference to confirm"),
                            validators=[InputRequired(message=_l("Type the case reference."))])


@bp.context_processor
def words() -> dict[str, object]:
    return labels()


@bp.get("/")
@allow("supervisor", "official")
def index() -> str:
    status = request.args.get("status", "open")
    status = status if status in LIST_FILTERS else "open"
    page = request.args.get("page", 1, type=int) or 1
    with get_db().read_session() as db:
        listing = list_cases(session=db, user=current_user(), status=status, page=page)
    return render_template("cases/index.html", listing=listing, status=status, filters=LIST_FILTERS)


@bp.get("/find")
@allow("supervisor", "official")
def find() -> Response:
    """Go to the case whose reference was typed (what is not the user's to see then answers 404, audited)."""
    reference = request.args.get("reference", "").strip().upper()
    if not reference:
        return redirect(url_for("cases.index"), code=303)
    return redirect(url_for("cases.view", reference=reference), code=303)


@bp.get("/<reference>")
@allow("supervisor", "official")
def view(reference: str) -> str | tuple[str, int]:
    case = load_case_or_404(reference)
    settings = current_app.extensions["referral.settings"]
    with get_db().session() as db:
        try:
            opened = open_case(session=db, vault=current_app.extensions["vault"], user=current_user(),
                               reference=case.reference)
        except CaseUnavailable:
            abort(404)
        except KeyDestroyed:
            return render_template("cases/erased.html", case=case)
        except SealedDataInvalid:
            return render_template("errors/error.html", code=500, message=_(
                "This case record cannot be read: it may have been altered. Tell the administrator.")), 500
    with get_db().read_session() as db:  # the rest only reads: no write lock held while the page is built
        details = case_details(session=db, opened=opened, gset=current_guidelines(),
                               form=load_identity_form(settings.forms_dir))
    return render_template("cases/view.html", details=details, case=details.case)


@bp.post("/<reference>/close")
@allow("supervisor")
def close(reference: str) -> Response:
    return _change(reference, close_case, lambda ref: _("Case %(reference)s is closed.", reference=ref),
                   _("Only an open case can be closed."))


@bp.post("/<reference>/reopen")
@allow("supervisor")
def reopen(reference: str) -> Response:
    return _change(reference, reopen_case, lambda ref: _("Case %(reference)s is open again.", reference=ref),
                   _("Only a closed case can be reopened."))


def _change(reference: str, action: Callable, done: Callable[[str], str], refused: str) -> Response:
    """Apply a status change (audited by the service) to a case the user may see."""
    found = load_case_or_404(reference)
    with get_db().session() as db:
        try:
            action(session=db, user=current_user(), case=db.get(Case, found.id))
        except CaseStatusRefused:
            flash(refused, "error")
        else:
            db.commit()
            flash(done(found.reference), "info")
    return redirect(url_for("cases.index", status="all"), code=303)


@bp.route("/<reference>/erase", methods=["GET", "POST"])
@allow("supervisor")
@fresh_auth_required
def erase(reference: str) -> str | Response:
    """Erase a case at the person's request: its data key is destroyed; only the coarse columns stay."""
    case = load_case_or_404(reference)
    form = EraseForm()
    if case.status == "erased":
        flash(_("This case was erased already."), "info")
        return redirect(url_for("cases.index"), code=303)
    if form.validate_on_submit():
        if form.reference.data.strip().upper() != case.reference.upper():
            form.reference.errors = [_("This is not the reference of this case.")]
            return render_template("cases/erase.html", case=case, form=form)
        settings, database = current_app.extensions["referral.settings"], get_db()
        with database.session() as db:
            erase_case(session=db, database=database, user=current_user(), case=db.get(Case, case.id),
                       tombstones=settings.tombstones_file)
        flash(_("Case %(reference)s is erased. Nothing identifying can be read again.", reference=case.reference),
              "info")
        return redirect(url_for("cases.index"), code=303)
    return render_template("cases/erase.html", case=case, form=form)
