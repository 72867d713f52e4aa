"""The slip's follow-up gives the post's duty telephone when the post has one, left to right in every language,
and never tells an agency to call a number the slip does not give."""

from __future__ import annotations

import json

import pytest

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import Post
from referral.services import slips
from referral.services.intake import load_identity_form
from referral.services.slip_data import gather
from tests.conftest import DEMO_GUIDELINES, PROJECT_ROOT
from tests.slips.conftest import by_kind, pdf_text, set_slip_language

PHONE = "+7 (7172) 00-01-01"
# The follow-up in each slip language: the label, and words of the sentence with and without a number.
FOLLOW_UP = {
    "en": ("Post telephone", "call the post", "contact the post named on this slip"),
    "ru": ("Телефон поста", "позвоните на пост", "свяжитесь с постом, указанным в этом направлении"),
    "kk": ("Бекет телефоны", "бекетке қоңырау шалып", "осы жолдамада көрсетілген бекетпен байланысып"),
    "fa_AF": ("تلفن پوسته", "به پوسته زنگ بزنید", "که نام آن در این برگه آمده است"),  # pdftotext drops the ZWNJ
    "tg": ("Телефони посгоҳ", "ба посгоҳ занг занед", "бо посгоҳе, ки дар ин варақа номбар шудааст"),
}
CALLS = ("call", "позвоните", "қоңырау", "زنگ", "занг")  # "call" in the slip languages (tg too)


def set_phone(app, post_id: int, phone: str | None) -> None:  # noqa: ANN001
    with get_db(app).session() as db:
        post = db.get(Post, post_id)
        post.phone = phone
        db.add(post)
        db.commit()


def words(pdf: bytes, tmp_path) -> str:  # noqa: ANN001
    """The slip's text with every run of white space made one (pdftotext breaks lines where the slip does)."""
    return " ".join(pdf_text(pdf, tmp_path).split())


@pytest.mark.parametrize("code", list(FOLLOW_UP))
def test_a_slip_gives_the_posts_telephone_and_says_to_call_it(app, make, render, staff, tmp_path, code):
    set_phone(app, staff.post.id, PHONE)
    referral = by_kind(make(), "unhcr")
    set_slip_language(app, referral.agency_id, code)
    text = words(render(referral).pdf, tmp_path)
    label, call, contact = FOLLOW_UP[code]
    assert PHONE in text and label in text  # the number whole, its groups and brackets in order
    if code != "fa_AF":  # pdftotext puts the parts of a mixed right-to-left line in an order of its own
        assert f"{label}: {PHONE}" in text
    assert call in text and contact not in text


@pytest.mark.parametrize("code", list(FOLLOW_UP))
def test_without_a_telephone_the_slip_sends_to_the_post_without_a_number_to_call(app, make, render, tmp_path, code):
    referral = by_kind(make(), "unhcr")
    set_slip_language(app, referral.agency_id, code)
    text = words(render(referral).pdf, tmp_path)
    label, _call, contact = FOLLOW_UP[code]
    assert contact in text and label not in text
    assert not any(call in text.lower() for call in CALLS), text
    assert "Demo post one" in text and "XD-01" in text  # the post the sentence points to is on the slip


def test_a_slip_with_a_second_language_labels_the_telephone_in_both(app, make, render, staff, tmp_path):
    set_phone(app, staff.post.id, PHONE)
    referral = by_kind(make(), "health")
    set_slip_language(app, referral.agency_id, "ru")
    text = words(render(referral, second_language="en").pdf, tmp_path)
    assert f"Телефон поста / Post telephone: {PHONE}" in text


# What a slip's data signature covered before posts had a telephone (SlipData format 1).
SIGNED_BEFORE = {"format", "referral_id", "reference", "kind", "requested_as", "urgency", "created_at", "due_at",
                 "post_code", "post_name", "country", "official", "agency", "agency_contact", "identity", "person",
                 "communication", "categories", "needs", "must_not", "consent", "guidelines", "shortened"}


def test_the_telephone_is_signed_and_a_post_without_one_signs_what_it_signed_before(app, make, render, staff):
    referral = by_kind(make(), "unhcr")
    gset, form, vault = load_guidelines(DEMO_GUIDELINES), load_identity_form(PROJECT_ROOT / "forms"), \
        app.extensions["vault"]

    def signed() -> dict:
        with app.app_context(), get_db(app).read_session() as db:
            return json.loads(gather(session=db, vault=vault, gset=gset, form=form, referral=referral).canonical())

    def code_checks(code: str) -> bool:
        with app.app_context(), get_db(app).read_session() as db:
            return slips.check_verification_code(session=db, vault=vault, gset=gset, form=form,
                                                 referral=referral, code=code)

    assert set(signed()) == SIGNED_BEFORE
    before = render(referral).verification_code
    set_phone(app, staff.post.id, PHONE)
    assert signed()["post_phone"] == PHONE and set(signed()) == SIGNED_BEFORE | {"post_phone"}
    with_phone = render(referral).verification_code
    assert with_phone != before and code_checks(with_phone) and not code_checks(before)  # as a renamed post
    set_phone(app, staff.post.id, None)
    assert code_checks(before)  # no number: the same data and the same code as before posts had one
