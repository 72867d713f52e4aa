"""Sign-in, sign-out and password change on shared tablets (SECURITY.md P-07 to P-11)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..db import get_db
from ..models import now_utc
from ..services import audit, throttle
from ..services.users import PasswordRejected, change_password, find_user, verify_password
from .access import allow, current_user, public
from .forms import LoginForm, PasswordForm
from .sessions import end_sessions_of

bp = Blueprint("auth", __name__)

HOME_BY_ROLE = {"official": "screening.start", "supervisor": "cases.index", "agency_officer": "inbox.index",
                "trainer": "home.index", "admin": "admin.index"}


def home_for(role: str) -> str:
    """Where a role lands after signing in (a blueprint not installed yet falls back to the start page)."""
    endpoint = HOME_BY_ROLE.get(role, "home.index")
    return url_for(endpoint) if endpoint in current_app.view_functions else url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> str | Response | tuple[str, int]:
    if current_user() is not None:
        return redirect(home_for(current_user().role))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    secret = current_app.config["SECRET_KEY"]
    account = throttle.key_for(secret, "account", form.username.data)
    address = throttle.key_for(secret, "address", request.remote_addr or "")
    with get_db().session() as db:
        if throttle.is_locked(session=db, account_key=account, address_key=address):
            audit.record(db, action="login.throttled", detail={})
            db.commit()
            return render_template("auth/login.html", form=form, locked=True), 429
        user = find_user(session=db, username=form.username.data.strip())
        if user is None or not user.active or not verify_password(user, form.password.data):
            throttle.record_failure(session=db, account_key=account, address_key=address)
            audit.record(db, action="login.failed", actor_id=user.id if user else None, detail={})
            db.commit()
            form.password.errors = [_("The user name or the password is not right.")]
            return render_template("auth/login.html", form=form), 200
        throttle.clear_account(session=db, account_key=account)
        audit.record(db, action="login.ok", actor_id=user.id, post_id=user.post_id)
        db.commit()
    session.clear()
    session.rotate = True  # type: ignore[attr-defined] - a new token at sign-in: no session fixation
    session["user_id"] = user.id
    session["signed_in_at"] = now_utc().isoformat()
    return redirect(home_for(user.role), code=303)


@bp.post("/logout")
@public
def logout() -> Response:
    user = current_user()
    if user is not None:
        with get_db().session() as db:
            audit.record(db, action="logout", actor_id=user.id, post_id=user.post_id)
            db.commit()
    session.clear()
    session.destroy = True  # type: ignore[attr-defined]
    response = redirect(url_for("auth.login"), code=303)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.route("/password", methods=["GET", "POST"])
@allow("official", "supervisor", "agency_officer", "trainer", "admin")
def password() -> str | Response:
    form = PasswordForm()
    user = current_user()
    if form.validate_on_submit():
        with get_db().session() as db:
            fresh = db.get(type(user), user.id)
            if not verify_password(fresh, form.current.data):
                form.current.errors = [_("The current password is not right.")]
                return render_template("auth/password.html", form=form)
            try:
                change_password(session=db, user=fresh, password=form.new.data)
            except PasswordRejected:
                form.new.errors = [_("Choose a longer password that is not a common one.")]
                return render_template("auth/password.html", form=form)
            db.commit()
        end_sessions_of(current_app, user.id)  # every tablet signed in as this user is signed out
        session.clear()
        session.rotate = True  # type: ignore[attr-defined] - this tablet gets a fresh, signed-out session
        flash(_("Your password was changed. Sign in with the new one."), "info")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/password.html", form=form)
