"""`referral demo seed`: a post in every pathway country, one account per role (printed, and able to sign in),
the fictional cases; safe to run twice; refused in production. `make demo` seeds with it and serves with gunicorn."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlmodel import func, select

from referral.db import get_db
from referral.models import ROLES, AuditEvent, Case, Post, User
from referral.services import users
from tests.conftest import PROJECT_ROOT, ready_app

COUNTRIES = {"kz", "kg", "tj", "tm", "uz", "az", "tr"}


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def counts(app) -> tuple[int, int, int]:
    with get_db(app).read_session() as db:
        return tuple(db.exec(select(func.count()).select_from(table)).one() for table in (Post, User, Case))


def test_seed_makes_a_demonstration_and_is_safe_to_run_twice(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    after_first = counts(app)
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert counts(app) == after_first
    assert "cases: 0 created" in second.output
    assert re.search(r"slips: [1-9][0-9]* produced", first.output) and "slips: 0 produced" in second.output
    with get_db(app).read_session() as db:  # every referral that can have a slip shows it ready
        from referral.models import Referral
        from referral.services.slip_data import has_slip

        referrals = list(db.exec(select(Referral)))
        assert referrals and all(r.slip_status == "ready" for r in referrals if has_slip(r))
    with get_db(app).read_session() as db:
        posts = list(db.exec(select(Post)))
        people = list(db.exec(select(User)))
        cases = list(db.exec(select(Case)))
        assert db.exec(select(func.count()).select_from(AuditEvent)).one() > 0
    assert {post.country for post in posts} == COUNTRIES
    assert sorted(user.role for user in people) == sorted(ROLES)
    assert len(cases) >= 5 and {"open", "closed"} <= {case.status for case in cases}
    assert "demonstration ONLY" in first.output
    # Every printed password signs its account in.
    for user in people:
        line = next(line for line in second.output.splitlines() if f" user {user.username} " in line)
        password = line.split(" password ")[1].split()[0]
        assert users.verify_password(user, password), user.username


def test_a_changed_password_is_not_printed(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo", "seed"])
    with get_db(app).session() as db:
        official = users.find_user(session=db, username="demo-official")
        users.change_password(session=db, user=official, password="a-new-password-of-her-own")
        db.commit()
    result = runner.invoke(args=["demo", "seed"])
    line = next(line for line in result.output.splitlines() if " user demo-official " in line)
    assert "demo-official-password" not in line and "not the demonstration password" in line


def test_seed_refuses_to_run_in_production(settings):
    app = ready_app(settings.with_overrides(env="production", secret_key="p" * 40))
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "never created in production" in result.output
    assert counts(app) == (0, 0, 0)
    get_db(app).dispose()


def test_make_demo_seeds_then_serves_with_gunicorn():
    script = (PROJECT_ROOT / "deploy" / "demo.sh").read_text(encoding="utf-8")
    assert "referral demo seed" in script
    assert "referral serve" in script and "referral run" not in script


def test_every_demonstration_post_has_a_fictional_duty_telephone_even_one_seeded_before(app):
    from referral.cli.demo_commands import DEMO_PHONES
    from referral.services.cases import ensure_post, post_phone

    def updates() -> int:
        with get_db(app).read_session() as db:
            return db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "post.update")).one()

    with get_db(app).session() as db:  # a demonstration seeded before posts had a telephone
        ensure_post(session=db, code="KZ-DEMO-1", country="kz", name="Demonstration road crossing (fictional)")
        db.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with get_db(app).read_session() as db:
        phones = {post.country: post.phone for post in db.exec(select(Post))}
    assert phones == DEMO_PHONES and all(post_phone(phone) == phone for phone in phones.values())
    assert updates() == 1  # KZ-DEMO-1 was given its number
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert updates() == 1
