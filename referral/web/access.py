"""Who may see what, decided in one place (SECURITY.md P-14).

Every view declares its roles with ``@allow(...)`` (or ``@public``); a view that declares nothing is closed. One
``before_request`` hook enforces the declaration for every route, so a new route cannot escape the check. What is
not yours, a route of another role or another post's case, answers 404 exactly like what does not exist, and
every denial is audited.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _

from ..db import get_db
from ..models import ROLES, Case, User
from ..services import audit
from ..services.cases import find_case, may_open

PUBLIC = frozenset({"*"})


def allow(*roles: str) -> Callable:
    """Declare the roles that may use a view."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def mark(view: Callable) -> Callable:
        view.allowed_roles = frozenset(roles)
        return view

    return mark


def public(view: Callable) -> Callable:
    """Declare a view open to anyone, signed in or not (the sign-in page, the start page)."""
    view.allowed_roles = PUBLIC
    return view


def current_user() -> User | None:
    """The signed-in user of this request, or None."""
    if "user" not in g:
        user_id = session.get("user_id")
        user = getattr(session, "user", None)  # read with the session row, at the start of the request
        if user is not None and user.id != user_id:
            user = None  # the session changed hands during this request (sign-in): read the new user
        if user is None and user_id is not None:
            with get_db().read_session() as db:
                user = db.get(User, user_id)
        g.user = user if user is not None and user.active else None
    return g.user


def deny(action: str = "access.denied", object_type: str | None = None, object_id: str | None = None):
    """Audit a denial and answer 404, so that a refusal looks like an absence."""
    user = current_user()
    with get_db().session() as db:
        audit.record(db, action=action, actor_id=user.id if user else None, post_id=user.post_id if user else None,
                     object_type=object_type, object_id=object_id, detail={"endpoint": request.endpoint or ""})
        db.commit()
    abort(404)


def _enforce() -> object:
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None  # unknown URLs are 404 anyway; static files hold nothing personal
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "allowed_roles", None)
    if roles is PUBLIC:
        return None
    user = current_user()
    if user is None:
        if getattr(session, "ended", False):
            flash(_("Your session ended. Sign in again."), "info")
        if request.method == "GET":
            return redirect(url_for("auth.login"))
        abort(401)
    if not roles or user.role not in roles:
        deny()
    return None


def load_case_or_404(reference: str) -> Case:
    """The only way a view gets a case: it must exist and be the user's to see; otherwise 404, audited."""
    user = current_user()
    with get_db().read_session() as db:
        case = find_case(session=db, reference=reference)
    if case is None or user is None or not may_open(user, case):
        deny("case.access.denied", "case", case.id if case else None)
    return case


def init_app(app: Flask) -> None:
    app.before_request(_enforce)

    @app.context_processor
    def user_context() -> dict[str, object]:
        return {"current_user": current_user()}
