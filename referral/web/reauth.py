"""Re-authentication before dangerous actions (SECURITY.md P-13).

A view marked ``@fresh_auth_required`` runs only if its user typed the password in the last five minutes
(``session["signed_in_at"]``, set at sign-in and here). Otherwise it has no effect: a page asks for the password
and then goes back to where the user was (the page of the form, for a form post: what was posted is not
replayed). Failed confirmations count against the account like failed sign-ins, so a tablet left signed in
cannot be used to guess the password.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from ..db import get_db
from ..models import ROLES, User, now_utc, utc
from ..services import audit, throttle
from ..services.users import MAX_PASSWORD, verify_password
from .access import allow, current_user
from .auth import home_for

bp = Blueprint("reauth", __name__)

FRESH_FOR = timedelta(minutes=5)
_NEXT = "reauth_next"


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=_l("Enter your password.")),
        Length(max=MAX_PASSWORD, message=_l("This password is too long."))])


def is_fresh(now: datetime | None = None) -> bool:
    """Whether this session's user typed the password less than five minutes ago."""
    try:
        moment = utc(datetime.fromisoformat(session.get("signed_in_at") or ""))
    except (TypeError, ValueError):
        return False
    return timedelta(0) <= (now or now_utc()) - moment <= FRESH_FOR


def _come_back_to() -> str:
    """Where to return after confirming: this page, or for a post-only route the page of its blueprint."""
    rule = request.url_rule
    if request.method == "GET" or (rule is not None and "GET" in (rule.methods or ())):
        return request.path
    index = f"{request.blueprint}.index"
    return url_for(index) if index in current_app.view_functions else url_for("home.index")


def fresh_auth_required(view: Callable) -> Callable:
    """Run ``view`` only after a recent password entry; otherwise ask for the password, with no effect."""
    @wraps(view)
    def wrapped(*args: object, **kwargs: object) -> object:
        if is_fresh():
            return view(*args, **kwargs)
        session[_NEXT] = _come_back_to()
        flash(_("For this action, confirm your password first."), "info")
        return redirect(url_for("reauth.confirm"), code=303)

    return wrapped


@bp.route("/reauth", methods=["GET", "POST"])
@allow(*ROLES)
def confirm() -> str | Response | tuple[str, int]:
    form = ReauthForm()
    user = current_user()
    if not form.validate_on_submit():
        return render_template("reauth/confirm.html", form=form)
    secret = current_app.config["SECRET_KEY"]
    account = throttle.key_for(secret, "account", user.username)
    address = throttle.key_for(secret, "address", request.remote_addr or "")
    with get_db().session() as db:
        if throttle.is_locked(session=db, account_key=account, address_key=address):
            audit.record(db, action="reauth.throttled", actor_id=user.id, post_id=user.post_id)
            db.commit()
            return render_template("reauth/confirm.html", form=form, locked=True), 429
        if not verify_password(db.get(User, user.id), form.password.data):
            throttle.record_failure(session=db, account_key=account, address_key=address)
            audit.record(db, action="reauth.failed", actor_id=user.id, post_id=user.post_id)
            db.commit()
            form.password.errors = [_("The password is not right.")]
            return render_template("reauth/confirm.html", form=form)
        throttle.clear_account(session=db, account_key=account)
        audit.record(db, action="reauth.ok", actor_id=user.id, post_id=user.post_id)
        db.commit()
    session["signed_in_at"] = now_utc().isoformat()
    return redirect(_local(session.pop(_NEXT, None)) or home_for(user.role), code=303)


def _local(target: str | None) -> str | None:
    """Only a path of this site (it was set by the server, but a path is all it may ever be)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
