"""Plain factory functions for storage tests: a post with its people, and cases made the way the web makes them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import Case, Post, User
from referral.services.cases import create_case, ensure_post
from referral.services.intake import load_identity_form
from referral.services.users import create_user

PASSWORD = "a-long-test-password"
FACTS = {"fears_return": "yes", "age_years": 15, "companion": "none", "medical_emergency": "yes"}
IDENTITY = {"given_name": "Test", "family_name": "Person", "phone": "+000 111"}


@dataclass
class People:
    post: Post
    official: User
    supervisor: User
    admin: User
    stranger: User  # an official of another post


def make_people(session) -> People:  # noqa: ANN001
    post = ensure_post(session=session, code="XD-01", country="xd", name="Demo post one")
    other = ensure_post(session=session, code="XD-02", country="xd", name="Demo post two")
    people = People(
        post=post,
        official=create_user(session=session, username="official", password=PASSWORD, role="official",
                             post_id=post.id),
        supervisor=create_user(session=session, username="supervisor", password=PASSWORD, role="supervisor",
                               post_id=post.id),
        admin=create_user(session=session, username="admin", password=PASSWORD, role="admin"),
        stranger=create_user(session=session, username="stranger", password=PASSWORD, role="official",
                             post_id=other.id),
    )
    session.commit()
    return people


def make_case(app: Flask, session, people: People, identity=None, facts=None, refused=(), now=None) -> Case:  # noqa: ANN001
    settings = app.extensions["referral.settings"]
    case = create_case(session=session, vault=app.extensions["vault"], gset=load_guidelines(settings.guidelines_dir),
                       form=load_identity_form(settings.forms_dir), user=people.official, post=people.post,
                       facts=facts or FACTS, identity=identity or IDENTITY, consent_refused=refused,
                       enrol_agency_keys=True, now=now)
    session.commit()
    return case


def open_session(app: Flask):  # noqa: ANN201
    return get_db(app).session()
