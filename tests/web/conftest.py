"""Web fixtures: people of every role at a post, and signing them in the way a browser does."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from argon2 import PasswordHasher

from referral.db import get_db
from referral.models import ROLES, Post
from referral.services import users
from referral.services.cases import ensure_post

PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Argon2id with tiny parameters: the rules are tested, not the cost."""
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@dataclass
class Staff:
    post: Post
    other_post: Post
    by_role: dict[str, int]  # role -> user id at ``post``
    stranger: int  # an official of ``other_post``


@pytest.fixture
def staff(app) -> Staff:
    """One user per role at post XD-01 (the agency officer and the administrator belong to no post)."""
    with get_db(app).session() as db:
        post = ensure_post(session=db, code="XD-01", country="xd", name="Demo post one")
        other = ensure_post(session=db, code="XD-02", country="xd", name="Demo post two")
        ids = {}
        for role in ROLES:
            at_post = role in ("official", "supervisor", "trainer")
            user = users.create_user(session=db, username=role, password=PASSWORD, role=role,
                                     post_id=post.id if at_post else None)
            ids[role] = user.id
        stranger = users.create_user(session=db, username="stranger", password=PASSWORD, role="official",
                                     post_id=other.id)
        db.commit()
        return Staff(post, other, ids, stranger.id)


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert match, "no CSRF token on " + path
    return match.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


@pytest.fixture
def signed_in(app, staff):
    """A test client signed in as the given role."""
    def make(role: str):
        client = app.test_client()
        response = sign_in(client, role)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return make
