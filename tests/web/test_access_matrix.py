"""Every route for every role (P-14): the route inventory comes from the app, so a new route cannot escape.

A route declares its roles (`@allow`) or that it is public (`@public`); anything else is closed. For a role
that is not allowed, a route answers 404, exactly as for something that does not exist, and the denial is
audited. Signed out, a page sends to the sign-in page and a form post is refused.
"""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from referral.db import get_db
from referral.models import ROLES, AuditEvent
from referral.web.access import PUBLIC


def inventory(app) -> list[tuple[str, str, str, frozenset]]:
    """(endpoint, method, url, allowed roles) for every route; path arguments get values that match nothing."""
    rows = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "allowed_roles", frozenset())
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "ZZ-NOTHING").replace(f"<int:{argument}>", "999999")
            url = url.replace(f"<string:{argument}>", "ZZ-NOTHING").replace(f"<path:{argument}>", "ZZ-NOTHING")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rows.append((rule.endpoint, method, url, roles))
    return rows


def test_every_route_declares_who_may_use_it(app):
    undeclared = [endpoint for endpoint, _method, _url, roles in inventory(app) if not roles]
    assert undeclared == []


def denials(app) -> int:
    with get_db(app).read_session() as db:
        return db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("%denied"))).one()


@pytest.mark.parametrize("role", ROLES)
def test_a_role_gets_404_from_every_route_not_meant_for_it(app, staff, signed_in, role):
    client = signed_in(role)
    app.config["WTF_CSRF_ENABLED"] = False  # the role check must hold on its own, before any form check
    for endpoint, method, url, roles in inventory(app):
        if roles is PUBLIC or role in roles:
            continue
        before = denials(app)
        response = client.open(url, method=method)
        assert response.status_code == 404, (role, endpoint, method, response.status_code)
        assert denials(app) == before + 1, (role, endpoint)


def test_signed_out_pages_send_to_sign_in_and_posts_are_refused(app):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    for endpoint, method, url, roles in inventory(app):
        if roles is PUBLIC:
            continue
        response = client.open(url, method=method)
        if method == "GET":
            assert response.status_code == 302 and response.headers["Location"].endswith("/login"), endpoint
        else:
            assert response.status_code == 401, endpoint
