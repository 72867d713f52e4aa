"""A post's duty telephone (printed on its slips): given when the post is created or later, checked with a clear
message that keeps what was typed, shown in the list, audited when it changes."""

from __future__ import annotations

import html

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.models import AuditEvent, Post
from referral.services import users
from referral.services.cases import PostPhoneInvalid, post_phone
from tests.test_translations import app_with_catalogues_compiled
from tests.web.conftest import PASSWORD, csrf_token, sign_in

MESSAGE = "Write a telephone number: digits, spaces, +, - and brackets, at most 40 characters."


def create(admin, **fields):
    data = {"code": "KZ-NEW-1", "country": "kz", "name": "New post", "phone": "", **fields}
    return admin.post("/admin/posts/new", data={"csrf_token": csrf_token(admin, "/admin/posts/new"), **data})


def post_coded(app, code: str) -> Post | None:
    with get_db(app).read_session() as db:
        return db.exec(select(Post).where(Post.code == code)).first()


def events(app, action: str) -> list[AuditEvent]:
    with get_db(app).read_session() as db:
        return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


@pytest.mark.parametrize(("typed", "stored"), [
    ("+7 (7172) 00-01-01", "+7 (7172) 00-01-01"),
    ("  8 800   000 00 00 ", "8 800 000 00 00"),  # runs of spaces made one
    ("112", "112"),
    ("", None),  # optional
])
def test_a_post_is_created_with_or_without_a_duty_telephone(app, staff, signed_in, typed, stored):
    admin = signed_in("admin")
    assert create(admin, phone=typed).status_code == 303
    assert post_coded(app, "KZ-NEW-1").phone == stored
    detail = events(app, "post.create")[-1].detail
    assert detail == '{"code":"KZ-NEW-1","country":"kz"}'  # the event keeps its shape


@pytest.mark.parametrize("typed", [
    "call 112",  # letters
    "+7 700 000 00 00 ext. 5",
    "7 + 700",  # a plus only in front
    "++7 700",
    "۰۷۰۰۱۲۳۴",  # digits of another script: the slip must show digits every agency reads out alike
    "+7 700 000/00",
    "12",  # too few digits to be a number
    "1" * 41,
])
def test_a_telephone_that_is_not_one_is_refused_and_what_was_typed_stays(app, staff, signed_in, typed):
    admin = signed_in("admin")
    response = create(admin, phone=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and MESSAGE in page
    assert f'value="{html.escape(typed)}"' in page  # kept, to be corrected rather than typed again
    assert 'value="KZ-NEW-1"' in page and 'value="New post"' in page
    assert post_coded(app, "KZ-NEW-1") is None


def test_the_message_is_in_the_users_language(settings, tmp_path):
    app = app_with_catalogues_compiled(settings, tmp_path)  # the catalogues as they are in the tree
    get_db(app).upgrade()
    try:
        with get_db(app).session() as db:
            users.create_user(session=db, username="admin", password=PASSWORD, role="admin")
            db.commit()
        admin = app.test_client()
        assert sign_in(admin, "admin").status_code == 303
        response = admin.post("/admin/posts/new", headers={"Accept-Language": "ru"}, data={
            "csrf_token": csrf_token(admin, "/admin/posts/new"), "code": "KZ-NEW-1", "country": "kz",
            "name": "Пост", "phone": "звоните"})
        page = response.get_data(as_text=True)
        assert "Введите номер телефона: цифры, пробелы, +, - и скобки, не более 40 символов." in page
        assert 'value="звоните"' in page
    finally:
        get_db(app).dispose()


def test_the_posts_list_shows_the_telephone_and_it_can_be_set_changed_and_removed(app, staff, signed_in):
    admin = signed_in("admin")
    listed = admin.get("/admin/posts").get_data(as_text=True)
    assert "Duty telephone" in listed and "/admin/posts/XD-01/phone" in listed
    page = "/admin/posts/XD-01/phone"

    def save(phone: str):
        return admin.post(page, data={"csrf_token": csrf_token(admin, page), "phone": phone})

    assert save("+998 71 000 01 05").status_code == 303
    assert post_coded(app, "XD-01").phone == "+998 71 000 01 05"
    assert '<span dir="ltr">+998 71 000 01 05</span>' in admin.get("/admin/posts").get_data(as_text=True)
    assert 'value="+998 71 000 01 05"' in admin.get(page).get_data(as_text=True)  # the form starts from it

    refused = save("ask the duty officer")
    assert refused.status_code == 200 and MESSAGE in refused.get_data(as_text=True)
    assert 'value="ask the duty officer"' in refused.get_data(as_text=True)
    assert post_coded(app, "XD-01").phone == "+998 71 000 01 05"

    assert save("+998 71 000 01 05").status_code == 303  # the same number: nothing to audit
    assert save("").status_code == 303
    assert post_coded(app, "XD-01").phone is None
    updates = events(app, "post.update")
    assert [(e.object_type, e.object_id, e.detail) for e in updates] == [
        ("post", str(staff.post.id), '{"changed":["phone"],"code":"XD-01"}')] * 2
    assert admin.get("/admin/posts/ZZ-NOTHING/phone").status_code == 404


def test_the_rule_is_the_services_own():
    assert post_phone(" (0312) 00-01-02 ") == "(0312) 00-01-02"
    assert post_phone(None) is None and post_phone("   ") is None
    for bad in ("+", "1-2", "+7 700 000 00 00 000 000 000 000 000 00 0"):
        with pytest.raises(PostPhoneInvalid):
            post_phone(bad)
