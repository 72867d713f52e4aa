"""Signing in and out on shared tablets: P-07 (sessions end), P-08 (opaque, rotated), P-09 (nothing left
behind), P-10 (throttling), P-11 (passwords), P-15 (CSRF)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.models import AuditEvent, WebSession, now_utc
from referral.services.users import PasswordRejected, check_password_rules
from tests.web.conftest import PASSWORD, csrf_token, sign_in


def cookie(client):
    return client.get_cookie("referral")


def sessions(app) -> list[WebSession]:
    with get_db(app).read_session() as db:
        return list(db.exec(select(WebSession)))


def actions(app) -> list[str]:
    with get_db(app).read_session() as db:
        return [event.action for event in db.exec(select(AuditEvent).order_by(AuditEvent.seq))]


def test_signing_in_rotates_an_opaque_token_with_hardened_cookie(app, staff):
    client = app.test_client()
    csrf_token(client)
    before = cookie(client).value
    response = sign_in(client, "official")
    assert response.status_code == 303
    after = cookie(client)
    assert after.value != before  # no session fixation
    assert after.http_only and after.same_site == "Strict" and after.path == "/"
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header
    # The token says nothing: it is not a signed JSON payload that could be read without the key.
    padded = after.value + "=" * (-len(after.value) % 4)
    assert b"user" not in base64.urlsafe_b64decode(padded)
    assert {row.id for row in sessions(app)} >= {__import__("hashlib").sha256(after.value.encode()).hexdigest()}
    assert "login.ok" in actions(app)


def test_two_sign_ins_give_two_different_sessions(app, staff):
    first, second = app.test_client(), app.test_client()
    sign_in(first, "official")
    sign_in(second, "official")
    assert cookie(first).value != cookie(second).value


def test_a_wrong_password_says_so_without_saying_which_part_and_keeps_the_name(app, staff):
    client = app.test_client()
    response = sign_in(client, "official", "not-the-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The user name or the password is not right." in page
    assert 'value="official"' in page and "not-the-password" not in page
    assert actions(app)[-1] == "login.failed"


def test_five_failures_lock_the_account_and_not_another(app, staff):
    client = app.test_client()
    for _ in range(5):
        sign_in(client, "official", "wrong-password-xx")
    assert sign_in(client, "official").status_code == 429
    assert sign_in(app.test_client(), "supervisor").status_code == 303
    assert "login.throttled" in actions(app)


def test_password_spraying_from_one_address_is_stopped(app, staff):
    client = app.test_client()
    for number in range(20):
        sign_in(client, f"nobody-{number}", "wrong-password-xx")
    assert sign_in(client, "supervisor").status_code == 429


def test_a_session_ends_after_ten_idle_minutes_on_the_server(app, staff, signed_in):
    client = signed_in("supervisor")
    interface = app.session_interface
    start = now_utc()
    interface.now = lambda: start + timedelta(minutes=9, seconds=59)
    assert client.get("/password").status_code == 200
    interface.now = lambda: start + timedelta(minutes=9, seconds=59) + timedelta(minutes=10, seconds=1)
    response = client.get("/password")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert all(row.user_id is None for row in sessions(app))
    assert "Your session ended. Sign in again." in client.get("/login").get_data(as_text=True)


def test_a_session_ends_after_eight_hours_however_busy(app, staff, signed_in):
    client = signed_in("official")
    interface = app.session_interface
    start = now_utc()
    for minutes in range(0, 8 * 60, 9):
        interface.now = lambda minutes=minutes: start + timedelta(minutes=minutes)
        assert client.get("/password").status_code == 200
    interface.now = lambda: start + timedelta(hours=8, seconds=1)
    assert client.get("/password").status_code == 302


def test_signing_out_clears_the_tablet_and_the_old_cookie_is_useless(app, staff, signed_in):
    client = signed_in("official")
    token = cookie(client).value
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert cookie(client) is None
    thief = app.test_client()
    thief.set_cookie("referral", token)
    assert thief.get("/password").status_code == 302
    assert "logout" in actions(app)


def test_changing_the_password_signs_out_every_tablet(app, staff, signed_in):
    client, other_tablet = signed_in("official"), signed_in("official")
    response = client.post("/password", data={"current": PASSWORD, "new": "a-new-long-password-2026",
                                              "confirm": "a-new-long-password-2026",
                                              "csrf_token": csrf_token(client, "/password")})
    assert response.status_code == 303
    assert other_tablet.get("/password").status_code == 302
    assert sign_in(app.test_client(), "official", "a-new-long-password-2026").status_code == 303


def test_a_common_or_short_password_is_refused_and_a_long_one_accepted():
    for weak in ("short-pw", "qwerty123456", "1q2w3e4r5t6y", "LeaveMeAlone"):
        with pytest.raises(PasswordRejected):
            check_password_rules(weak)
    check_password_rules("correct horse battery staple " * 2)


def test_a_post_without_its_csrf_token_is_refused(app, staff):
    client = app.test_client()
    response = client.post("/login", data={"username": "official", "password": PASSWORD})
    assert response.status_code == 400
    assert cookie(client) is None or all(row.user_id is None for row in sessions(app))


def test_signed_in_pages_are_never_cached(app, staff, signed_in):
    client = signed_in("official")
    response = client.get("/password")
    assert response.headers["Cache-Control"] == "no-store"
    assert 'autocomplete="current-password"' in response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "landing"), [("official", "/screening/"), ("supervisor", "/cases/"),
                                               ("agency_officer", "/inbox"), ("trainer", "/"),
                                               ("admin", "/admin/")])
def test_each_role_lands_where_its_work_is(app, staff, role, landing):
    response = sign_in(app.test_client(), role)
    assert response.status_code == 303
    assert response.headers["Location"] == landing
