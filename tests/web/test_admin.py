"""Administration: a created user can sign in, a disabled one is signed out at once, dangerous actions ask for
the password again after five minutes and have no effect until then (P-13), every form needs its CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.models import Agency, AgencyKey, AuditEvent, Post, User, WebSession, now_utc
from tests.web.conftest import PASSWORD, csrf_token, sign_in

NEW_PASSWORD = "a-first-password-for-anna"


def actions(app) -> list[str]:
    with get_db(app).read_session() as db:
        return [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.seq))]


def user_named(app, username: str) -> User | None:
    with get_db(app).read_session() as db:
        return db.exec(select(User).where(User.username == username)).first()


def make_stale(client) -> None:
    with client.session_transaction() as session:
        session["signed_in_at"] = (now_utc() - timedelta(minutes=5, seconds=1)).isoformat()


def new_user(client, **fields):
    data = {"username": "anna", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "role": "trainer",
            "post": "0", "agency": "", **fields}
    return client.post("/admin/users/new", data={"csrf_token": csrf_token(client, "/admin/users/new"), **data})


def test_the_admin_creates_a_user_who_can_then_sign_in(app, staff, signed_in):
    admin = signed_in("admin")
    response = new_user(admin, role="official", post=str(staff.post.id))
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/users")
    created = user_named(app, "anna")
    assert created.role == "official" and created.post_id == staff.post.id and created.active
    assert "user.create" in actions(app)
    assert "anna" in admin.get("/admin/users").get_data(as_text=True)
    assert sign_in(app.test_client(), "anna", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(("fields", "message"), [
    ({"role": "official"}, "This role belongs to a post"),
    ({"role": "agency_officer"}, "An agency officer belongs to an agency"),
    ({"username": "Anna Smith"}, "lower-case letters"),
    ({"password": "qwerty123456", "confirm": "qwerty123456"}, "not a common one"),
    ({"confirm": "something-else-entirely"}, "not the same"),
])
def test_a_user_that_cannot_be_created_is_explained_next_to_the_field(app, staff, signed_in, fields, message):
    response = new_user(signed_in("admin"), **fields)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert user_named(app, fields.get("username", "anna")) is None


def test_a_taken_user_name_is_refused(app, staff, signed_in):
    response = new_user(signed_in("admin"), username="official", post=str(staff.post.id))
    assert "This user name is taken" in response.get_data(as_text=True)


def test_an_agency_officer_is_created_for_an_agency_of_a_pathway(app, staff, signed_in):
    response = new_user(signed_in("admin"), role="agency_officer", agency="kz:unhcr")
    assert response.status_code == 303
    with get_db(app).read_session() as db:
        agency = db.get(Agency, user_named(app, "anna").agency_id)
    assert (agency.country, agency.kind) == ("kz", "unhcr")


def test_disabling_a_user_signs_him_or_her_out_at_once(app, staff, signed_in):
    official = signed_in("official")
    assert official.get("/password").status_code == 200
    admin = signed_in("admin")
    response = admin.post(f"/admin/users/{staff.by_role['official']}/disable",
                          data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert response.status_code == 303
    with get_db(app).read_session() as db:
        assert not db.get(User, staff.by_role["official"]).active
        assert db.exec(select(WebSession).where(WebSession.user_id == staff.by_role["official"])).first() is None
    gone = official.get("/password")
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/login")
    assert sign_in(app.test_client(), "official").status_code == 200  # refused: the sign-in page again
    assert "user.disable" in actions(app)
    admin.post(f"/admin/users/{staff.by_role['official']}/enable",
               data={"csrf_token": csrf_token(admin, "/admin/users")})
    assert sign_in(app.test_client(), "official").status_code == 303


def test_the_admin_cannot_disable_his_or_her_own_account(app, staff, signed_in):
    admin = signed_in("admin")
    admin.post(f"/admin/users/{staff.by_role['admin']}/disable", data={"csrf_token": csrf_token(admin, "/admin/")})
    assert user_named(app, "admin").active


def test_stale_sign_ins_must_confirm_the_password_before_anything_happens(app, staff, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/")
    make_stale(admin)
    asked = admin.get("/admin/users/new")
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/reauth")
    for url, data in (("/admin/users/new", {"username": "anna", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                            "role": "admin", "post": "0", "agency": ""}),
                      (f"/admin/users/{staff.by_role['official']}/disable", {}),
                      ("/admin/agencies/kz/unhcr/key", {}),
                      (f"/admin/posts/{staff.post.code}/phone", {"phone": "+7 700 111 22 33"})):
        response = admin.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 303 and response.headers["Location"].endswith("/reauth"), url
    assert user_named(app, "anna") is None and user_named(app, "official").active
    with get_db(app).read_session() as db:
        assert db.exec(select(AgencyKey)).first() is None
        assert db.get(Post, staff.post.id).phone != "+7 700 111 22 33"
    wrong = admin.post("/reauth", data={"csrf_token": token, "password": "not-the-password"})
    assert wrong.status_code == 200 and "reauth.failed" in actions(app)
    assert admin.get("/admin/users/new").status_code == 303  # still stale
    confirmed = admin.post("/reauth", data={"csrf_token": token, "password": PASSWORD})
    assert confirmed.status_code == 303 and "reauth.ok" in actions(app)
    assert admin.get("/admin/users/new").status_code == 200


def test_a_post_only_route_returns_to_its_list_after_confirming(app, staff, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/")
    make_stale(admin)
    admin.post(f"/admin/users/{staff.by_role['official']}/disable", data={"csrf_token": token})
    back = admin.post("/reauth", data={"csrf_token": token, "password": PASSWORD})
    assert back.headers["Location"].endswith("/admin/")


def test_posts_are_created_in_a_country_with_a_pathway(app, staff, signed_in):
    admin = signed_in("admin")

    def create(**data):
        return admin.post("/admin/posts/new", data={"csrf_token": csrf_token(admin, "/admin/posts/new"),
                                                    "code": "KZ-NEW-1", "country": "kz", "name": "New post", **data})

    assert create(country="zz").status_code == 200  # not among the pathways' countries
    assert create(code="kz new").status_code == 200
    assert create().status_code == 303
    assert "A post with this code exists already." in create().get_data(as_text=True)
    with get_db(app).read_session() as db:
        post = db.exec(select(Post).where(Post.code == "KZ-NEW-1")).one()
    assert post.country == "kz" and "post.create" in actions(app)
    assert "KZ-NEW-1" in admin.get("/admin/posts").get_data(as_text=True)


def test_agencies_are_listed_per_country_and_a_key_is_enrolled_once(app, staff, signed_in):
    admin = signed_in("admin")
    page = admin.get("/admin/agencies").get_data(as_text=True)
    for country in ("KZ", "KG", "TJ", "TM", "UZ", "AZ", "TR"):
        assert f"<h2>{country}" in page
    token = csrf_token(admin, "/admin/agencies")
    assert admin.post("/admin/agencies/kz/unhcr/key", data={"csrf_token": token}).status_code == 303
    assert admin.post("/admin/agencies/kz/unhcr/key", data={"csrf_token": token}).status_code == 303
    with get_db(app).read_session() as db:
        agency = db.exec(select(Agency).where(Agency.country == "kz", Agency.kind == "unhcr")).one()
        keys = list(db.exec(select(AgencyKey).where(AgencyKey.agency_id == agency.id)))
    assert len(keys) == 1 and keys[0].fingerprint in admin.get("/admin/agencies").get_data(as_text=True)
    assert actions(app).count("agency.key.enrol") == 1
    assert admin.post("/admin/agencies/kz/no_such_kind/key", data={"csrf_token": token}).status_code == 404


def test_every_post_route_of_the_app_needs_a_csrf_token(app, staff, signed_in):
    client = signed_in("admin")
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = re.sub(r"<[^>]+>", "x", re.sub(r"<int:[^>]+>", "1", rule.rule))
        assert client.post(url, data={}).status_code == 400, rule.endpoint
    assert user_named(app, "admin").active


def test_guessing_the_password_at_the_confirmation_locks_it_like_the_sign_in(app, staff, signed_in):
    admin = signed_in("admin")
    token = csrf_token(admin, "/admin/")
    make_stale(admin)
    for _ in range(5):
        admin.post("/reauth", data={"csrf_token": token, "password": "not-the-password"})
    locked = admin.post("/reauth", data={"csrf_token": token, "password": PASSWORD})
    assert locked.status_code == 429 and "reauth.throttled" in actions(app)
    assert admin.get("/admin/users/new").status_code == 303  # still not confirmed


def test_the_agencies_page_shows_what_production_would_hold_outside_production(app, staff, signed_in):
    """P-29: the national pathways name no data-sharing agreement yet; outside production the page says so and
    that their referrals are let through, and it says that production holds them."""
    page = signed_in("admin").get("/admin/agencies").get_data(as_text=True)
    assert "No data-sharing agreement in the pathway" in page
    assert "Referrals are let through (not production)" in page and "In production they are held." in page
    assert "Referrals are held" not in page.replace("Referrals are held.", "")
