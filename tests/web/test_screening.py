"""The screening, as an official walks it on a tablet (issue 5 items 2-4): with the demonstration guidelines,
from the choice of the person's language to the case, going back and changing, unknown answers, consent, only the
identity fields needed, and a submit that creates one case however often it is tapped (R-02).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import func, select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import AuditEvent, Case, ConsentRecord, Draft, Referral
from tests.conftest import DEMO_GUIDELINES
from tests.web.screening_nav import Official, identity_fields_on, text_of

ASYLUM_EMERGENCY = {"medical_emergency": "yes", "age_apparent": "adult", "age_years": 30, "asylum_wish": "explicit",
                    "removal_imminent": "no", "indicators": frozenset(), "group_size": 1, "sex": "male",
                    "companion": "none"}
# Only health care: a man in a medical emergency who asks for nothing else.
HEALTH_ONLY = {**ASYLUM_EMERGENCY, "asylum_wish": "none", "fears_return": "no"}


@pytest.fixture
def settings(settings):
    """The demonstration guidelines: their country is Demoland (xd), the staff fixture's posts."""
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


@pytest.fixture
def official(signed_in) -> Official:
    return Official(signed_in("official"), load_guidelines(DEMO_GUIDELINES))


def rows(app, model, *where):  # noqa: ANN001, ANN201
    with get_db(app).read_session() as db:
        return list(db.exec(select(model).where(*where)))


def audit_count(app) -> int:
    with get_db(app).read_session() as db:
        return db.exec(select(func.count()).select_from(AuditEvent)).one()


def test_a_full_screening_in_dari_from_the_language_to_the_case(app, staff, official):
    page = official.starts("fa_AF").get_data(as_text=True)
    assert 'class="phrase" lang="fa-AF" dir="rtl"' in page  # the phrase for the person, marked as Dari
    assert '<html lang="en" dir="ltr">' in page  # the official's interface stays English

    asked = official.walks(ASYLUM_EMERGENCY)
    assert asked[0] == "demo-first-contact/q_emergency" and "demo-family/q_companion" in asked

    plan = official.get(f"/screening/{official.draft}/plan").get_data(as_text=True)
    words = text_of(plan)
    assert plan.index('class="must-not"') < plan.index("Refer to") < plan.index("Why")  # must-nots first
    assert "Do not delay emergency medical care" in words and "MN16" in words
    assert "District hospital (demonstration)" in words and "UNHCR office (demonstration)" in words
    assert "Immediate" in words
    assert "Also stands for: National asylum authority" in words  # Demoland has no asylum authority (R10)
    assert "Because of these answers:" in words and "brief §2.9, §4.2 R2" in words
    assert 'lang="fa-AF" dir="rtl"' in plan  # what to tell the person, in Dari too

    consent = official.get(f"/screening/{official.draft}/consent").get_data(as_text=True)
    assert "Life or health is at risk; emergency care goes ahead." in text_of(consent)  # kept whatever the answer
    response = official.consents({"health": True, "national_asylum_authority": True, "unhcr": True,
                                  "legal_aid": False})
    assert response.request.path.endswith("/identity")
    fields = identity_fields_on(response.get_data(as_text=True))
    assert "phone" in fields and "document_number" in fields  # UNHCR needs them

    response = official.enters_identity({"given_name": "Ahmad", "family_name": "Karimi", "date_of_birth": "",
                                         "document_number": "", "phone": "+992 90 000 0000",
                                         "nationality": "AF", "notes": ""})
    assert response.request.path.endswith("/review")
    review = text_of(response.get_data(as_text=True))
    assert "Declined by the person, not referred: Legal aid" in review and "Ahmad" in review

    response = official.submits()
    assert response.request.path.endswith("/done")
    cases = rows(app, Case, Case.idempotency_key == official.draft)
    assert len(cases) == 1
    assert cases[0].reference in text_of(response.get_data(as_text=True))
    kinds = sorted(r.kind for r in rows(app, Referral, Referral.case_id == cases[0].id))
    assert kinds == ["health", "unhcr"]  # legal aid declined; the asylum authority goes to UNHCR
    draft = rows(app, Draft, Draft.id == official.draft)[0]
    assert (draft.status, draft.case_id, draft.sealed_payload, draft.wrapped_key) == ("submitted", cases[0].id,
                                                                                       None, None)
    consents = {c.kind: c.decision for c in rows(app, ConsentRecord, ConsentRecord.case_id == cases[0].id)}
    assert consents == {"health": "given", "national_asylum_authority": "given", "unhcr": "given",
                        "legal_aid": "refused"}
    # Back after submitting, or any page of the draft, leads to the case, not to the answers.
    assert official.get(f"/screening/{official.draft}/next").request.path.endswith("/done")


def test_each_answer_is_posted_and_redirected_and_the_draft_is_sealed_on_every_save(app, staff, official):
    official.starts("ru")
    tree, node, _page = official.sees_question()
    response = official.answers(tree, node, "no")
    assert response.history[0].status_code == 303  # post, redirect, get
    draft = rows(app, Draft, Draft.id == official.draft)[0]
    assert draft.seal_count == 2 and b"medical_emergency" not in draft.sealed_payload  # sealed, not clear JSON
    tree2, node2, _ = official.sees_question()
    assert (tree2, node2) == ("demo-first-contact", "q_age_look")


def test_back_shows_the_previous_answer_chosen_and_a_change_voids_what_depended_on_it(app, staff, official):
    official.starts("ps")
    official.walks({**ASYLUM_EMERGENCY, "removal_imminent": "yes"})
    plan = text_of(official.get(f"/screening/{official.draft}/plan").get_data(as_text=True))
    assert "Asylum-seeker" in plan

    # Back from the plan goes to the last question; Back again to the one before, its answer chosen.
    back = re.search(r'href="([^"]+)">Back<', official.get(f"/screening/{official.draft}/plan").get_data(as_text=True))
    page = official.get(back.group(1)).get_data(as_text=True)
    assert "/q/demo-family/q_companion" in back.group(1)
    assert re.search(r'value="none" checked', page)

    wish = official.get(f"/screening/{official.draft}/q/demo-first-contact/q_wish").get_data(as_text=True)
    assert re.search(r'value="explicit" checked', wish)
    response = official.answers("demo-first-contact", "q_wish", "none")  # changed: no request after all
    page = response.get_data(as_text=True)
    assert response.request.path.endswith("/next")  # the removal question is gone; fear of return is asked
    assert "Is a refusal of entry, a return or a removal under way?" in text_of(page)  # named as cleared
    assert official.question_on(page)[1] == "q_fear"
    official.walks({"fears_return": "no"})
    plan = text_of(official.get(f"/screening/{official.draft}/plan").get_data(as_text=True))
    assert "Asylum-seeker" not in plan  # the plan follows the change


def test_going_back_and_keeping_the_answer_steps_forward_through_the_answers(app, staff, official):
    official.starts("tg")
    official.walks(HEALTH_ONLY)
    response = official.answers("demo-first-contact", "q_age_look", "adult")  # the same answer again
    assert response.request.path.endswith("/q/demo-first-contact/q_age")  # the next answered question
    assert 'value="30"' in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["choice", "number", "multi"])
def test_unknown_or_refuses_is_offered_and_recorded(app, staff, official, kind):
    official.starts("uz")
    facts = {"medical_emergency": "no", "age_apparent": "adult"}
    official.walks(facts | {"age_years": 40, "asylum_wish": "none", "fears_return": "no", "indicators": frozenset(),
                            "group_size": 1, "sex": "male", "companion": "none"}
                   | {{"choice": "medical_emergency", "number": "age_years", "multi": "indicators"}[kind]: "unknown"})
    answers = official.get(f"/screening/{official.draft}/plan").get_data(as_text=True)
    label = "Unknown / refuses to answer"  # for tick boxes too: a refusal is not "none of these"
    wanted = {"choice": "life or health at risk", "number": "say he or she is", "multi": "seen or been told"}[kind]
    line = next(line for line in text_of(answers).splitlines() if wanted in line)
    assert label in line


def test_every_question_page_offers_unknown_and_large_answers(app, staff, official):
    official.starts("en")
    tree, node, page = official.sees_question()
    assert "Unknown / refuses to answer" in page and page.count('class="answer"') == 3
    official.answers(tree, node, "no")
    official.answers("demo-first-contact", "q_age_look", "adult")
    page = official.sees_question()[2]  # a number question
    assert 'inputmode="numeric"' in page and 'name="action" value="unknown"' in page


def test_a_wrong_number_is_refused_beside_the_question_and_nothing_is_recorded(app, staff, official):
    official.starts("en")
    tree, node, _ = official.sees_question()
    official.answers(tree, node, "no")
    official.answers("demo-first-contact", "q_age_look", "adult")
    response = official.answers("demo-first-contact", "q_age", "two hundred")
    assert response.status_code == 200
    assert 'role="alert"' in response.get_data(as_text=True) and "whole number from 0 to 120" in text_of(
        response.get_data(as_text=True))
    assert official.sees_question()[1] == "q_age"


def test_only_the_identity_fields_the_chosen_destinations_need_are_asked(app, staff, official):
    official.starts("ru")
    official.walks(HEALTH_ONLY)
    identity = official.get(f"/screening/{official.draft}/identity")
    assert identity.request.path.endswith("/plan")  # no identity before consent (P-17)
    response = official.consents({"health": True})
    assert identity_fields_on(response.get_data(as_text=True)) == {"given_name", "family_name", "date_of_birth",
                                                                   "notes"}


def test_when_every_referral_is_declined_no_identity_is_asked(app, staff, official):
    official.starts("ru")
    official.walks({**HEALTH_ONLY, "medical_emergency": "no", "age_years": 70})  # an older man: health, red crescent
    response = official.consents({"health": False, "red_crescent": False})
    assert response.request.path.endswith("/review") and identity_fields_on(response.get_data(as_text=True)) == set()
    official.submits()
    case = rows(app, Case, Case.idempotency_key == official.draft)[0]
    assert rows(app, Referral, Referral.case_id == case.id) == []
    assert {c.decision for c in rows(app, ConsentRecord, ConsentRecord.case_id == case.id)} == {"refused"}


def test_a_childs_refusal_of_child_protection_is_recorded_and_the_referral_kept(app, staff, official):
    official.starts("fa_AF")
    official.walks({"medical_emergency": "no", "age_apparent": "child", "age_years": 15, "companion": "none",
                    "asylum_wish": "none", "fears_return": "no", "indicators": frozenset(), "group_size": 1,
                    "sex": "male"})
    consent = text_of(official.get(f"/screening/{official.draft}/consent").get_data(as_text=True))
    assert "The person is or may be a child." in consent
    assert "child protection is informed whatever the consent" in consent
    official.consents({"child_protection": False})
    official.enters_identity({"given_name": "A", "family_name": "", "date_of_birth": "", "phone": "", "notes": ""})
    official.submits()
    case = rows(app, Case, Case.idempotency_key == official.draft)[0]
    assert [r.kind for r in rows(app, Referral, Referral.case_id == case.id)] == ["child_protection"]
    record = rows(app, ConsentRecord, ConsentRecord.case_id == case.id)[0]
    assert (record.kind, record.decision, record.reason) == ("child_protection", "kept_by_rule",
                                                             "child_protection_duty")


def test_bad_identity_gets_a_message_beside_the_field_and_nothing_entered_is_lost(app, staff, official):
    official.starts("ru")
    official.walks(HEALTH_ONLY)
    official.consents({"health": True})
    entered = {"given_name": "Ольга", "family_name": "Петрова", "date_of_birth": "31.02.1990",
               "notes": "Needs insulin"}
    response = official.enters_identity(entered)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="date_of_birth"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="date_of_birth"', page)
    assert 'id="date_of_birth-error" role="alert">Write the date as year-month-day' in page
    for value in ("Ольга", "Петрова", "31.02.1990", "Needs insulin"):
        assert value in page  # kept in the form
    again = official.get(f"/screening/{official.draft}/identity").get_data(as_text=True)
    assert "Ольга" in again and "31.02.1990" in again  # and in the sealed draft: a closed tab loses nothing
    response = official.enters_identity({**entered, "date_of_birth": "1990-02-28"})
    assert response.request.path.endswith("/review")


@pytest.mark.parametrize("field,value,message", [
    ("given_name", "x" * 101, "Use at most 100 characters."),
    ("given_name", "two\nlines", "Write this on one line."),
    ("date_of_birth", "1990-13-01", "Write the date as year-month-day"),
])
def test_identity_rules_have_their_own_messages(app, staff, official, field, value, message):
    official.starts("ru")
    official.walks(HEALTH_ONLY)
    official.consents({"health": True})
    page = official.enters_identity({field: value}).get_data(as_text=True)
    assert f'id="{field}-error" role="alert">{message}' in page


def test_a_closed_tab_loses_nothing_the_next_visit_resumes_the_open_draft(app, staff, official, signed_in):
    official.starts("fa_AF")
    tree, node, _ = official.sees_question()
    official.answers(tree, node, "yes")
    other_tablet = Official(signed_in("official"), official.gset)  # signed in again, a new browser
    start = other_tablet.get("/screening/").get_data(as_text=True)
    assert f"/screening/{official.draft}" in start and "1 answer" in text_of(start) and "دری" in start
    resumed = other_tablet.get(f"/screening/{official.draft}")
    assert resumed.request.path.endswith("/next")
    assert Official.question_on(resumed.get_data(as_text=True))[1] == "q_age_look"


def test_discarding_a_draft_destroys_its_answers(app, staff, official):
    official.starts("en")
    tree, node, _ = official.sees_question()
    official.answers(tree, node, "no")
    official.post(f"/screening/{official.draft}/abandon")
    draft = rows(app, Draft, Draft.id == official.draft)[0]
    assert (draft.status, draft.sealed_payload, draft.wrapped_key) == ("abandoned", None, None)
    assert official.client.get(f"/screening/{official.draft}/next").status_code == 404


def test_another_official_gets_404_for_your_draft_and_it_is_audited(app, staff, official, signed_in):
    from referral.services import users
    from tests.web.conftest import sign_in

    official.starts("en")
    with get_db(app).session() as db:
        users.create_user(session=db, username="colleague", password="a-long-test-password", role="official",
                          post_id=staff.post.id)
        db.commit()
    for username in ("colleague", "stranger"):
        client = app.test_client()
        sign_in(client, username)
        app.config["WTF_CSRF_ENABLED"] = False
        for method, path in [("GET", ""), ("GET", "/next"), ("GET", "/plan"), ("GET", "/consent"),
                             ("GET", "/identity"), ("GET", "/review"), ("GET", "/done"), ("GET", "/abandon"),
                             ("GET", "/q/demo-first-contact/q_emergency"),
                             ("POST", "/q/demo-first-contact/q_emergency"),
                             ("POST", "/consent"), ("POST", "/identity"), ("POST", "/submit"), ("POST", "/abandon")]:
            before = audit_count(app)
            response = client.open(f"/screening/{official.draft}{path}", method=method, data={"value": "yes"})
            assert response.status_code == 404, (username, method, path)
            assert audit_count(app) == before + 1
        app.config["WTF_CSRF_ENABLED"] = True
    denied = rows(app, AuditEvent, AuditEvent.action == "screening.access.denied")
    assert denied and all(e.object_id == official.draft for e in denied)
    assert rows(app, Draft, Draft.id == official.draft)[0].seal_count == 1  # nothing changed


def test_every_screening_post_needs_its_csrf_token(app, staff, official):
    official.starts("en")
    for path in ("/", f"/{official.draft}/q/demo-first-contact/q_emergency", f"/{official.draft}/consent",
                 f"/{official.draft}/identity", f"/{official.draft}/submit", f"/{official.draft}/abandon"):
        response = official.client.post(f"/screening{path}", data={"value": "yes", "language": "en"})
        assert response.status_code == 400, path


def test_pages_of_a_screening_change_nothing_when_read(app, staff, official):
    official.starts("en")
    official.walks(HEALTH_ONLY)
    official.consents({"health": True})
    official.enters_identity({"given_name": "A"})
    before = (audit_count(app), rows(app, Draft, Draft.id == official.draft)[0].seal_count)
    flushes = []
    listener = lambda session, _context, _instances: flushes.append(list(session.new | session.dirty))  # noqa: E731
    event.listen(OrmSession, "before_flush", listener)
    try:
        for path in ("", "/next", "/plan", "/consent", "/identity", "/review", "/abandon",
                     "/q/demo-first-contact/q_emergency"):
            assert official.client.get(f"/screening/{official.draft}{path}").status_code in (200, 303)
        official.client.get("/screening/")
    finally:
        event.remove(OrmSession, "before_flush", listener)
    assert flushes == []  # P-15: no ORM write at all while reading
    assert (audit_count(app), rows(app, Draft, Draft.id == official.draft)[0].seal_count) == before


def test_no_answer_lives_in_the_browser(app, staff, official):
    official.starts("en")
    official.walks(ASYLUM_EMERGENCY)
    official.get(f"/screening/{official.draft}/consent")
    for page in official.pages:
        hidden = re.findall(r'<input[^>]*type="hidden"[^>]*>', page)
        assert all('name="csrf_token"' in tag or 'name="next"' in tag for tag in hidden)
        assert "<script" not in page  # no script, so no localStorage either


def test_a_screening_cannot_start_at_a_post_whose_country_has_no_pathway(app, staff):
    from referral.services import users
    from referral.services.cases import ensure_post
    from tests.web.conftest import sign_in

    with get_db(app).session() as db:
        post = ensure_post(session=db, code="ZZ-01", country="zz", name="Nowhere")
        users.create_user(session=db, username="far", password="a-long-test-password", role="official",
                          post_id=post.id)
        db.commit()
    client = app.test_client()
    sign_in(client, "far")
    official = Official(client, load_guidelines(DEMO_GUIDELINES))
    page = official.post("/screening/", {"language": "ru"}).get_data(as_text=True)
    assert "no referral pathway for the country of your post" in text_of(page)
    assert rows(app, Draft) == []


def test_a_language_must_be_chosen_to_start(app, staff, official):
    page = official.post("/screening/", {"language": "xx"}).get_data(as_text=True)
    assert "Choose the language the person understands best." in text_of(page)
    assert rows(app, Draft) == []
