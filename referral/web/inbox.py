"""Referrals once sent: the agency's inbox and the post's list (blueprint "inbox").

- An **agency officer** (a user with an agency) sees the referrals addressed to the agency, most urgent and
  overdue first; opens one (audited: the payload is opened with the agency's private key through the vault);
  downloads its slip; confirms receipt; accepts, or declines with a reason.
- An **official or supervisor** sees the referrals of the post with their status and what is overdue, downloads
  slips (a slip that could not be rendered yet shows as pending and is tried again), and enters the
  acknowledgement code an agency off the system reads out on the phone.

A referral that is not the user's answers 404, exactly like one that does not exist, and the refusal is audited.
URLs carry referral ids only; slip file names are made from the referral id.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ..db import get_db
from ..guidelines import current_guidelines
from ..i18n import LOCALES
from ..models import Case, Referral
from ..services import audit, delivery, slips
from ..services.intake import load_identity_form
from .access import allow, current_user, deny
from .inbox_forms import REASONS, AnswerForm, PhoneForm, ReceiptForm
from .labels import labels

bp = Blueprint("inbox", __name__)

NAV = [("inbox.index", _l("Inbox"), ("agency_officer",)),
       ("inbox.sent", _l("Referrals sent"), ("official", "supervisor"))]
_REFERRAL_ID = re.compile(r"^[0-9a-f]{32}$")


@bp.context_processor
def words() -> dict[str, object]:
    return {**labels(), "REASONS": REASONS}


def _load(referral_id: str, finder) -> Referral:  # noqa: ANN001
    """The referral if ``finder`` gives it to this user; otherwise an audited 404."""
    with get_db().read_session() as db:
        referral = finder(session=db, user=current_user(), referral_id=referral_id)
    if referral is None:
        deny("referral.access.denied", "referral", referral_id if _REFERRAL_ID.match(referral_id) else None)
    return referral


def _slip(referral: Referral, back: str) -> Response | tuple[str, int]:
    """Render, sign and send the slip; if it cannot be rendered now it stays pending (R-05) and the user is told."""
    settings, vault = current_app.extensions["referral.settings"], current_app.extensions["vault"]
    second = request.args.get("second")
    second = second if second in LOCALES else None
    slip, reason = None, ""
    with get_db().read_session() as db:
        try:
            slip = slips.render_slip(session=db, vault=vault, gset=current_guidelines(),
                                     form=load_identity_form(settings.forms_dir), referral=referral,
                                     second_language=second)
        except slips.RenderFailed as exc:
            reason = exc.reason
        except slips.SlipUnavailable:
            reason = "unavailable"
        case = db.get(Case, referral.case_id)
    if reason == "unavailable":  # held, erased: there is no slip to give
        deny("slip.unavailable", "referral", referral.id)
    user = current_user()
    with get_db().session() as db:
        row = db.get(Referral, referral.id)
        slips.record_result(session=db, referral=row, produced=slip is not None, reason=reason, actor_id=user.id,
                            post_id=case.post_id if case else None, audited=False)
        if slip is not None:
            audit.record(db, action="slip.download", actor_id=user.id, post_id=user.post_id,
                         object_type="referral", object_id=referral.id, detail={"role": user.role})
        db.commit()
    if slip is None:
        return render_template("inbox/slip_pending.html", back=back), 503
    response = make_response(slip.pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{slip.filename}"'
    return response


# -- the agency -------------------------------------------------------------------------------------------------

@bp.get("/inbox")
@allow("agency_officer")
def index() -> str:
    with get_db().read_session() as db:
        rows = delivery.inbox(session=db, user=current_user())
    return render_template("inbox/index.html", rows=rows)


@bp.get("/inbox/<referral_id>")
@allow("agency_officer")
def show(referral_id: str) -> str:
    referral = _load(referral_id, delivery.for_agency)
    payload, problem = None, None
    with get_db().session() as db:
        row = db.get(Referral, referral.id)
        try:
            payload = delivery.open_for_agency(session=db, vault=current_app.extensions["vault"],
                                               user=current_user(), referral=row)
        except delivery.ReferralUnreadable as exc:
            problem = exc.reason
        db.commit()
    return render_template("inbox/show.html", referral=row, payload=payload, problem=problem,
                           answer_form=AnswerForm(), receipt_form=ReceiptForm(), vocab=current_guidelines().vocab,
                           form_labels=load_identity_form(current_app.extensions["referral.settings"].forms_dir))


@bp.get("/inbox/<referral_id>/slip")
@allow("agency_officer")
def slip(referral_id: str) -> Response | tuple[str, int]:
    return _slip(_load(referral_id, delivery.for_agency), url_for("inbox.show", referral_id=referral_id))


@bp.post("/inbox/<referral_id>/receipt")
@allow("agency_officer")
def receipt(referral_id: str) -> Response:
    referral = _load(referral_id, delivery.for_agency)
    if ReceiptForm().validate_on_submit():
        with get_db().session() as db:
            delivery.acknowledge(session=db, user=current_user(), referral=db.get(Referral, referral.id))
            db.commit()
        flash(_("Receipt confirmed. The post can see it."), "info")
    return redirect(url_for("inbox.show", referral_id=referral.id), code=303)


@bp.post("/inbox/<referral_id>/answer")
@allow("agency_officer")
def answer(referral_id: str) -> Response | str:
    referral = _load(referral_id, delivery.for_agency)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for field in (form.decision, form.reason) for e in field.errors)
              or _("Your answer was not recorded. Try again."), "error")
        return redirect(url_for("inbox.show", referral_id=referral.id), code=303)
    with get_db().session() as db:
        try:
            delivery.answer(session=db, user=current_user(), referral=db.get(Referral, referral.id),
                            decision=form.decision.data, reason=form.reason.data or None)
            db.commit()
            flash(_("Your answer was sent to the post."), "info")
        except delivery.AnswerRefused:
            db.rollback()
            flash(_("This referral has been answered already."), "error")
    return redirect(url_for("inbox.index"), code=303)


# -- the post ---------------------------------------------------------------------------------------------------

@bp.get("/referrals")
@allow("official", "supervisor")
def sent() -> str:
    only = request.args.get("only", "open")
    only = only if only in ("all", "open", "overdue") else "open"
    with get_db().read_session() as db:
        rows = delivery.sent(session=db, user=current_user(), only=only)
    return render_template("inbox/sent.html", rows=rows, only=only)


@bp.get("/referrals/<referral_id>")
@allow("official", "supervisor")
def sent_referral(referral_id: str) -> str:
    referral = _load(referral_id, delivery.for_post)
    with get_db().read_session() as db:
        case = db.get(Case, referral.case_id)
        rows = [row for row in delivery.sent(session=db, user=current_user()) if row.id == referral.id]
    return render_template("inbox/sent_referral.html", referral=referral, case=case, row=rows[0] if rows else None,
                           phone_form=PhoneForm())


@bp.get("/referrals/<referral_id>/slip")
@allow("official", "supervisor")
def sent_slip(referral_id: str) -> Response | tuple[str, int]:
    return _slip(_load(referral_id, delivery.for_post), url_for("inbox.sent_referral", referral_id=referral_id))


@bp.post("/referrals/<referral_id>/phone")
@allow("official", "supervisor")
def phone(referral_id: str) -> Response:
    referral = _load(referral_id, delivery.for_post)
    form = PhoneForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for field in form for e in field.errors) or _("Nothing was recorded."), "error")
        return redirect(url_for("inbox.sent_referral", referral_id=referral.id), code=303)
    expected = slips.acknowledgement_code(current_app.extensions["vault"], referral.id)
    with get_db().session() as db:
        try:
            matched = delivery.confirm_by_phone(session=db, user=current_user(), referral=db.get(Referral, referral.id),
                                                code=form.code.data, expected=expected, outcome=form.outcome.data,
                                                reason=form.reason.data or None)
        except delivery.AnswerRefused:
            db.rollback()
            flash(_("This referral has been answered already."), "error")
            return redirect(url_for("inbox.sent_referral", referral_id=referral.id), code=303)
        db.commit()
    if matched:
        flash(_("The agency's confirmation is recorded."), "info")
    else:
        flash(_("This is not the code of this referral's slip. Nothing was recorded; check the code with the "
                "agency."), "error")
    return redirect(url_for("inbox.sent_referral", referral_id=referral.id), code=303)
