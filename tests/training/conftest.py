"""Training fixtures: the shipped guidelines, and a trainer (no post needed)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from referral.db import get_db
from referral.engine import load_guidelines
from referral.services import users
from tests.conftest import GUIDELINES


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def gset():
    return load_guidelines(GUIDELINES)


@pytest.fixture
def trainer_user(app):
    with get_db(app).session() as db:
        user = users.create_user(session=db, username="trainer", password="a-long-test-password", role="trainer")
        db.commit()
        return user
