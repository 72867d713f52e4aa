"""The screening service without the web: drafts are sealed and bound to their id and save count, only the owner
opens one, the path replays the walk in order even after a change, and the stages cannot be skipped."""

from __future__ import annotations

import pytest

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import Draft, User
from referral.services import screening as service
from referral.services.intake import load_identity_form
from tests.conftest import DEMO_GUIDELINES, PROJECT_ROOT

GSET = load_guidelines(DEMO_GUIDELINES)
FORM = load_identity_form(PROJECT_ROOT / "forms")


@pytest.fixture
def settings(settings):
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


@pytest.fixture
def world(app, staff):
    """(database, vault, the official, the stranger of the other post)."""
    with get_db(app).read_session() as db:
        official, stranger = db.get(User, staff.by_role["official"]), db.get(User, staff.stranger)
    return get_db(app), app.extensions["vault"], official, stranger


def answer_all(db, vault, screening, user, facts) -> None:  # noqa: ANN001
    while (path := service.walk_path(GSET, screening.answers)).pending is not None:
        question = path.pending
        service.record_answer(session=db, vault=vault, gset=GSET, screening=screening, user=user,
                              tree=question.tree.id, node=question.node.id, value=facts.get(question.fact, "unknown"))


def test_a_draft_opens_only_for_its_owner_and_only_as_sealed(world):
    database, vault, official, stranger = world
    with database.session() as db:
        first = service.start(session=db, vault=vault, gset=GSET, user=official, language="fa_AF")
        second = service.start(session=db, vault=vault, gset=GSET, user=official, language="ru")
        db.commit()
    with database.session() as db:
        assert service.load(session=db, vault=vault, user=official, draft_id=first.id).language == "fa_AF"
        for draft_id in (first.id, "0" * 32, "not-an-id", ""):
            with pytest.raises(service.DraftUnavailable):
                service.load(session=db, vault=vault, user=stranger, draft_id=draft_id)
        # Another draft's sealed payload, or this draft's older one, does not open in its place.
        a, b = db.get(Draft, first.id), db.get(Draft, second.id)
        a.sealed_payload, a.wrapped_key = b.sealed_payload, b.wrapped_key
        db.add(a)
        db.commit()
        with pytest.raises(service.DraftUnavailable):
            service.load(session=db, vault=vault, user=official, draft_id=first.id)
        old = (b.sealed_payload, b.wrapped_key)
        reopened = service.load(session=db, vault=vault, user=official, draft_id=second.id)
        service.record_answer(session=db, vault=vault, gset=GSET, screening=reopened, user=official,
                              tree="demo-first-contact", node="q_emergency", value="no")
        db.commit()
        b = db.get(Draft, second.id)
        b.sealed_payload, b.wrapped_key = old
        db.add(b)
        db.commit()
        with pytest.raises(service.DraftUnavailable):
            service.load(session=db, vault=vault, user=official, draft_id=second.id)


def test_the_path_keeps_the_walks_order_after_a_change(world):
    database, vault, official, _ = world
    facts = {"medical_emergency": "no", "age_apparent": "adult", "age_years": 30, "asylum_wish": "none",
             "fears_return": "no", "indicators": frozenset(), "group_size": 1, "sex": "female", "pregnant": "no",
             "companion": "none"}
    with database.session() as db:
        screening = service.start(session=db, vault=vault, gset=GSET, user=official, language="ru")
        answer_all(db, vault, screening, official, facts)
        before = [step.question.node.id for step in service.walk_path(GSET, screening.answers).steps]
        service.record_answer(session=db, vault=vault, gset=GSET, screening=screening, user=official,
                              tree="demo-first-contact", node="q_emergency", value="no")  # the same answer again
        service.record_answer(session=db, vault=vault, gset=GSET, screening=screening, user=official,
                              tree="demo-first-contact", node="q_age_look", value="adult")
        after = [step.question.node.id for step in service.walk_path(GSET, screening.answers).steps]
        assert screening.answers.last().node == "q_age_look"  # the records moved; the path did not
        assert before == after and before[:3] == ["q_emergency", "q_age_look", "q_age"]
        service.record_answer(session=db, vault=vault, gset=GSET, screening=screening, user=official,
                              tree="demo-family", node="q_sex", value="male")
        path = service.walk_path(GSET, screening.answers)
        assert screening.voided == (("demo-family", "q_pregnant"),)
        assert [s.question.node.id for s in path.steps][-1] == "q_companion"


def test_stages_cannot_be_skipped(world):
    database, vault, official, _ = world
    with database.session() as db:
        screening = service.start(session=db, vault=vault, gset=GSET, user=official, language="ru")
        with pytest.raises(service.NotReady) as stage:
            service.record_consent(session=db, vault=vault, gset=GSET, form=FORM, screening=screening,
                                   user=official, decisions={})
        assert stage.value.stage == "questions"
        answer_all(db, vault, screening, official, {"medical_emergency": "yes"})
        for call in (lambda: service.record_identity(session=db, vault=vault, gset=GSET, form=FORM,
                                                     screening=screening, user=official, values={"given_name": "x"}),
                     lambda: service.submit(session=db, vault=vault, gset=GSET, form=FORM, screening=screening,
                                            user=official)):
            with pytest.raises(service.NotReady) as stage:
                call()
            assert stage.value.stage == "consent"
        with pytest.raises(service.AnswerRejected):  # a decision for every destination, and no other
            service.record_consent(session=db, vault=vault, gset=GSET, form=FORM, screening=screening,
                                   user=official, decisions={"consular": True})
        with pytest.raises(service.QuestionGone):
            service.record_answer(session=db, vault=vault, gset=GSET, screening=screening, user=official,
                                  tree="demo-family", node="q_pregnant", value="yes")
        with pytest.raises(service.AnswerRejected):
            service.record_answer(session=db, vault=vault, gset=GSET, screening=screening, user=official,
                                  tree="demo-first-contact", node="q_age", value=500)
