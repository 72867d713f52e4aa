"""The person's language, chosen when the screening starts, offered again when the real trees ask for it."""

from __future__ import annotations

import re

import pytest

from referral.db import get_db
from referral.engine import load_guidelines
from referral.services import users
from referral.services.organisation import ensure_post
from tests.conftest import GUIDELINES
from tests.web.conftest import PASSWORD, sign_in
from tests.web.screening_nav import ACTION, Official


@pytest.fixture
def settings(settings):
    """The real trees: they ask the language (the demonstration ones do not)."""
    return settings.with_overrides(guidelines_dir=GUIDELINES)


@pytest.fixture
def kazakh_official(app) -> Official:
    with get_db(app).session() as db:
        post = ensure_post(session=db, code="KZ-T-1", country="kz", name="Test post")
        users.create_user(session=db, username="kz-official", password=PASSWORD, role="official", post_id=post.id)
        db.commit()
    client = app.test_client()
    assert sign_in(client, "kz-official").status_code == 303
    return Official(client, load_guidelines(GUIDELINES))


def test_the_language_question_offers_the_language_chosen_at_the_start(kazakh_official):
    real = kazakh_official
    real.starts("fa_AF")
    # An adult asylum-seeker arriving alone: the walk reaches the language question after the first contact.
    facts = {"medical_emergency": "no", "group_size": 1, "entry": "at_checkpoint", "removal_imminent": "no",
             "age_apparent": "adult", "companion": "none", "documents": ["valid_passport"], "indicators": []}
    for _ in range(40):
        found = ACTION.search(real.pages[-1])
        assert found, "the walk ended before the language question"
        tree, node = found.group("tree"), found.group("node")
        if node == "q_language":
            assert re.search(r'<input id="answer-value" name="value" type="text" value="prs"', real.pages[-1])
            return
        value = facts.get(real.fact_of(tree, node))
        if value is None:
            real.answers(tree, node, action="unknown")
        else:
            real.answers(tree, node, value, action="none" if value == [] else "save")
    raise AssertionError("the language question was not reached")
