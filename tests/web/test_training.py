"""Training workshops in the web: the trainer opens a workshop, trainees join from their own tablets (no
account), walk the real trees, and the trainer's live view and the debriefs show exactly what went right and
wrong; nothing reaches the case store or the audit trail."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlmodel import func, select

from referral.db import get_db
from referral.models import AuditEvent, Case, ConsentRecord, Draft, Referral, TrainingRun, WebSession
from referral.services import users
from referral.services.scenario_library import load_library
from tests.conftest import GUIDELINES
from tests.training.walker import TRAFFICKING
from tests.web.screening_nav import IDENTITY_INPUT, text_of
from tests.web.training_nav import TraineeAt, missing_held, open_workshop

SCENARIOS = [TRAFFICKING, "example-1-girl-with-passport-holder", "boy-says-he-is-nineteen"]


@pytest.fixture
def gset(app):
    from referral.guidelines import current_guidelines

    with app.app_context():
        return current_guidelines()


@pytest.fixture
def facts(gset, settings):
    return dict(load_library(gset, GUIDELINES, settings.data_dir).scenarios[TRAFFICKING].facts)


def store_counts(app) -> dict[str, int]:
    with get_db(app).read_session() as db:
        return {model.__tablename__: db.exec(select(func.count()).select_from(model)).one()
                for model in (Case, Referral, Draft, ConsentRecord, AuditEvent)}


@pytest.fixture
def workshop(staff, signed_in):
    trainer = signed_in("trainer")
    return trainer, open_workshop(trainer, SCENARIOS)


def test_the_trainer_sees_the_join_code_and_a_qr_code_and_the_view_reloads_itself(workshop):
    trainer, code = workshop
    page = trainer.get(f"/training/workshops/{code}")
    assert page.status_code == 200 and page.headers["Refresh"] == "15"
    html = page.get_data(as_text=True)
    assert code in html and 'src="data:image/svg+xml' in html
    assert f"/training/join?code={code}" in html
    assert "No one has joined yet." in html
    assert code in trainer.get("/training/").get_data(as_text=True)


def test_a_workshop_without_scenarios_is_not_opened(staff, signed_in):
    trainer = signed_in("trainer")
    token = re.search(r'name="csrf_token" value="([^"]+)"', trainer.get("/training/").get_data(as_text=True))[1]
    response = trainer.post("/training/", data={"csrf_token": token, "title": "Day 2", "mode": "solo"})
    assert response.status_code == 200
    assert "Choose between one and twelve scenarios." in response.get_data(as_text=True)


def test_two_trainees_the_live_view_and_the_debriefs_show_exactly_what_happened(app, workshop, gset, facts):
    trainer, code = workshop
    before = store_counts(app)
    aliya, bakyt = TraineeAt(app.test_client(), gset), TraineeAt(app.test_client(), gset)
    assert aliya.joins(code, "Aliya").request.path == "/training/me"
    assert "Your resume code is" in aliya.pages[-1]
    bakyt.joins(code, "Bakyt")
    right = aliya.walks(aliya.starts(TRAFFICKING), facts)
    wrong = bakyt.walks(bakyt.starts(TRAFFICKING), facts, missing_held)

    right_text, wrong_text = text_of(right.get_data(as_text=True)), text_of(wrong.get_data(as_text=True))
    assert "Your plan is the plan the guideline expects." in right_text
    assert "Where your answers led away" not in right_text
    assert "Your plan differs from the plan the guideline expects." in wrong_text
    assert "Where your answers led away from the expected plan" in wrong_text
    assert re.search(r"Presumed victim of trafficking\s+missed", wrong_text)
    assert re.search(r"Anti-trafficking\s+missed", wrong_text)
    assert "Documents held by someone else" in wrong_text and "§2.1.2" in wrong_text

    live = text_of(trainer.get(f"/training/workshops/{code}").get_data(as_text=True))
    assert re.search(r"Aliya\s+✓ as expected\s+-\s+-", live) and re.search(r"Bakyt\s+✗ differs\s+-\s+-", live)
    assert "50% correct plans" in live and "1 of 2 finished" in live
    assert re.search(r"Presumed victim of trafficking\s+× 1", live)
    stats = live.split("Questions most answered against the facts")[1]
    assert re.search(r"Which documents does the person have, and who holds them\?\s+× 1", stats), stats[:400]

    rows = list(csv.DictReader(io.StringIO(trainer.get(f"/training/workshops/{code}/results.csv")
                                           .get_data(as_text=True))))
    assert [(r["trainee"], r["correct"], r["missed_categories"]) for r in rows] == [
        ("Aliya", "yes", ""), ("Bakyt", "no", "victim_of_trafficking")]
    assert store_counts(app) == before


def test_trainee_pages_say_training_ask_no_identity_and_keep_to_their_own_runs(app, workshop, gset, facts):
    _trainer, code = workshop
    stranger = app.test_client()
    assert stranger.get("/training/me").headers["Location"].endswith("/training/join")
    aliya, bakyt = TraineeAt(app.test_client(), gset), TraineeAt(app.test_client(), gset)
    aliya.joins(code, "Aliya")
    bakyt.joins(code, "Bakyt")
    run = aliya.starts(TRAFFICKING)
    assert bakyt.client.get(f"/training/runs/{run}").status_code == 404
    assert bakyt.client.get(f"/training/runs/{run}/debrief").status_code == 404
    aliya.walks(run, facts)
    for page in aliya.pages:
        assert "A fictional person, in a workshop." in page
        assert IDENTITY_INPUT.search(page) is None
    # The session holds the trainee's id and nothing else about them.
    with get_db(app).read_session() as db:
        data = " ".join(row.data for row in db.exec(select(WebSession)))
    assert "Aliya" not in data and '"trainee_id"' in data
    # A finished run is final.
    again = aliya.answers(run, "unhcr-2016", "q_emergency", "yes")
    assert again.request.path.endswith("/debrief")


def test_joining_with_a_wrong_code_or_a_taken_name_is_explained(app, workshop, gset):
    _trainer, code = workshop
    tablet = TraineeAt(app.test_client(), gset)
    wrong = tablet.joins("ZZZZ99", "Dana")
    assert wrong.status_code == 200 and "No open workshop has this code." in wrong.get_data(as_text=True)
    tablet.joins(code, "Dana")
    other = TraineeAt(app.test_client(), gset)
    assert "already uses this name" in other.joins(code, "Dana").get_data(as_text=True)


def test_a_trainee_comes_back_with_the_resume_code(app, workshop, gset):
    _trainer, code = workshop
    tablet = TraineeAt(app.test_client(), gset)
    tablet.joins(code, "Dana")
    resume_code = re.search(r"Your resume code is ([A-Z0-9]{4}-[A-Z0-9]{4})", tablet.pages[-1])[1]
    later = TraineeAt(app.test_client(), gset)
    page = later.post("/training/resume", {"code": code, "resume_code": resume_code})
    assert page.request.path == "/training/me" and "You take part as Dana." in page.get_data(as_text=True)


def test_another_trainer_cannot_see_the_workshop(app, workshop):
    _trainer, code = workshop
    with get_db(app).session() as db:
        users.create_user(session=db, username="trainer2", password="a-long-test-password", role="trainer")
        db.commit()
    from tests.web.conftest import sign_in

    other = app.test_client()
    sign_in(other, "trainer2")
    for url in (f"/training/workshops/{code}", f"/training/workshops/{code}/results.csv",
                f"/training/workshops/{code}/report.pdf"):
        assert other.get(url).status_code == 404


def test_the_report_and_the_certificate_are_pdfs(app, workshop, gset, facts):
    trainer, code = workshop
    tablet = TraineeAt(app.test_client(), gset)
    tablet.joins(code, "Dana")
    assert tablet.get("/training/me/certificate.pdf").request.path == "/training/me"  # nothing finished yet
    tablet.walks(tablet.starts(TRAFFICKING), facts)
    certificate = tablet.client.get("/training/me/certificate.pdf")
    report = trainer.get(f"/training/workshops/{code}/report.pdf")
    for response in (certificate, report):
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(certificate.data)).pages).split())
    assert "Dana" in text and "Workers whose passports are held by the driver" in text
    assert 'filename="training-certificate.pdf"' in certificate.headers["Content-Disposition"]


def test_role_play_shows_a_role_card_for_the_partner(app, staff, signed_in, gset):
    trainer = signed_in("trainer")
    code = open_workshop(trainer, [TRAFFICKING], mode="roleplay")
    tablet = TraineeAt(app.test_client(), gset)
    tablet.joins(code, "Dana")
    tablet.starts(TRAFFICKING)
    assert "Role card for your partner" in tablet.pages[-1]
    card = text_of(tablet.get(f"/training/me/role-card/{TRAFFICKING}").get_data(as_text=True))
    assert "Role card: you play the person" in card and "Documents held by someone else" in card
    partner = TraineeAt(app.test_client(), gset)  # the partner, on a tablet of their own
    partner.joins(code, "Eli")
    assert "Role card for the partner" in partner.pages[-1]
    own_card = partner.get(f"/training/me/role-card/{TRAFFICKING}").get_data(as_text=True)
    assert "Documents held by someone else" in own_card
    assert partner.client.get("/training/me/role-card/boy-says-he-is-nineteen").status_code == 404  # not in it
    solo = open_workshop(trainer, [TRAFFICKING], title="Solo day")
    alone = TraineeAt(app.test_client(), gset)
    alone.joins(solo, "Fay")
    assert alone.client.get(f"/training/me/role-card/{TRAFFICKING}").status_code == 404  # no role play here


def test_the_trainer_opens_a_trainees_debrief_from_the_live_view(app, workshop, gset, facts):
    trainer, code = workshop
    tablet = TraineeAt(app.test_client(), gset)
    tablet.joins(code, "Dana")
    tablet.walks(tablet.starts(TRAFFICKING), facts, missing_held)
    with get_db(app).read_session() as db:
        run = db.exec(select(TrainingRun)).one()
    page = text_of(trainer.get(f"/training/workshops/{code}/runs/{run.id}").get_data(as_text=True))
    assert "Debrief of Dana" in page and "Where your answers led away" in page
