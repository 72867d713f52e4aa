"""Delivery (brief §3.5): the agency's inbox (only its own referrals, most urgent and overdue first), opening one
(audited, with the agency's key), the slip, receipt, accept or decline with a reason; the post's list with what is
overdue, and confirmation by phone with the acknowledgement code."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from referral.db import get_db
from referral.models import AuditEvent, Referral, User, now_utc
from referral.services import delivery, slips
from tests.slips.conftest import by_kind, markers
from tests.web.conftest import csrf_token, sign_in


def events(app, action: str) -> int:
    with get_db(app).read_session() as db:
        return db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)).one()


def refreshed(app, referral: Referral) -> Referral:
    with get_db(app).read_session() as db:
        return db.get(Referral, referral.id)


@pytest.fixture
def officer(app, officer_of):
    """officer(referral) -> a test client signed in as an officer of the referral's agency."""
    def make(referral: Referral):
        client = app.test_client()
        assert sign_in(client, officer_of(referral.agency_id)).status_code == 303
        return client

    return make


def test_an_officer_sees_only_the_referrals_to_the_agency(app, make, officer):
    made = make()
    unhcr, health = by_kind(made, "unhcr"), by_kind(made, "health")
    page = officer(unhcr).get("/inbox").get_data(as_text=True)
    assert unhcr.id in page and health.id not in page
    assert made.identity["given_name"] not in page  # the list decrypts nothing


def test_an_officer_of_agency_x_gets_404_for_a_referral_to_agency_y_and_it_is_audited(app, make, officer):
    made = make()
    client = officer(by_kind(made, "unhcr"))
    other = by_kind(made, "health")
    app.config["WTF_CSRF_ENABLED"] = False
    for method, url in (("GET", f"/inbox/{other.id}"), ("GET", f"/inbox/{other.id}/slip"),
                        ("POST", f"/inbox/{other.id}/answer"), ("POST", f"/inbox/{other.id}/receipt"),
                        ("GET", "/inbox/" + "0" * 32), ("GET", "/inbox/not-an-id")):
        before = events(app, "referral.access.denied")
        response = client.open(url, method=method, data={"decision": "accepted"})
        assert response.status_code == 404, url
        assert events(app, "referral.access.denied") == before + 1, url
    assert refreshed(app, other).status == "pending"


def test_opening_a_referral_shows_what_the_agency_needs_and_is_audited(app, make, officer):
    made = make()
    referral = by_kind(made, "health")
    before = events(app, "referral.open")
    page = officer(referral).get(f"/inbox/{referral.id}").get_data(as_text=True)
    assert events(app, "referral.open") == before + 1
    found = markers(made.identity)
    assert found["given_name"] in page and found["family_name"] in page and found["notes"] in page
    assert found["document_number"] not in page and found["nationality"] not in page  # not for health care
    assert "Never do this" in page


def test_the_slip_downloads_with_a_file_name_from_the_referral_id_and_verifies(app, make, officer):
    made = make()
    referral = by_kind(made, "unhcr")
    before = events(app, "slip.download")
    response = officer(referral).get(f"/inbox/{referral.id}/slip")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="referral-slip-{referral.id}.pdf"'
    assert response.headers["Cache-Control"].startswith("no-store")
    assert slips.check_slip(app.extensions["vault"], response.data).genuine
    assert events(app, "slip.download") == before + 1
    assert refreshed(app, referral).slip_status == "ready"


def test_accept_and_decline_are_posted_with_csrf_audited_and_final(app, make, officer):
    made = make()
    unhcr, legal = by_kind(made, "unhcr"), by_kind(made, "legal_aid")
    client = officer(unhcr)
    token = csrf_token(client, f"/inbox/{unhcr.id}")
    assert client.post(f"/inbox/{unhcr.id}/answer", data={"decision": "accepted"}).status_code == 400  # no CSRF
    client.post(f"/inbox/{unhcr.id}/answer", data={"decision": "declined", "csrf_token": token})
    assert refreshed(app, unhcr).status == "pending"  # a refusal needs a reason
    before = events(app, "referral.decline")
    client.post(f"/inbox/{unhcr.id}/answer", data={"decision": "declined", "reason": "no_capacity",
                                                   "csrf_token": token})
    answered = refreshed(app, unhcr)
    assert (answered.status, answered.status_reason) == ("declined", "no_capacity")
    assert answered.acknowledged_at is not None and answered.acknowledged_via == "inbox"
    assert events(app, "referral.decline") == before + 1
    client.post(f"/inbox/{unhcr.id}/answer", data={"decision": "accepted", "csrf_token": token})
    assert refreshed(app, unhcr).status == "declined"  # answered once, for good
    other = officer(legal)
    other_token = csrf_token(other, f"/inbox/{legal.id}")
    other.post(f"/inbox/{legal.id}/receipt", data={"csrf_token": other_token})
    assert refreshed(app, legal).acknowledged_at is not None and refreshed(app, legal).status == "pending"
    other.post(f"/inbox/{legal.id}/answer", data={"decision": "accepted", "csrf_token": other_token})
    assert refreshed(app, legal).status == "accepted"


def test_the_inbox_puts_overdue_and_most_urgent_first(app, make):
    cases = [make() for _ in range(4)]
    agency_id = by_kind(cases[0], "unhcr").agency_id
    now = now_utc()
    shapes = [("routine", timedelta(days=10), "pending"), ("immediate", timedelta(hours=1), "pending"),
              ("within_24h", timedelta(hours=-2), "pending"), ("immediate", timedelta(hours=-5), "accepted")]
    with get_db(app).session() as db:
        for made, (urgency, due, status) in zip(cases, shapes, strict=True):
            row = db.get(Referral, by_kind(made, "unhcr").id)
            row.urgency, row.due_at, row.status = urgency, now + due, status
            db.add(row)
        officer = User(username="sorter", password_hash="x", role="agency_officer", agency_id=agency_id)
        db.add(officer)
        db.commit()
        rows = delivery.inbox(session=db, user=officer, now=now)
    assert [row.reference for row in rows] == [cases[i].case.reference for i in (2, 1, 0, 3)]
    assert [row.overdue for row in rows] == [True, False, False, False]


def test_the_post_sees_status_and_overdue_and_confirms_by_phone(app, make, signed_in, staff):
    made = make()
    referral = by_kind(made, "health")  # immediate: overdue as soon as it is made, until acknowledged
    client = signed_in("official")
    listing = client.get("/referrals?only=overdue").get_data(as_text=True)
    assert made.case.reference in listing and "Overdue" in listing
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "The agency confirmed by phone" in page
    with app.app_context():
        code = slips.acknowledgement_code(app.extensions["vault"], referral.id)
    assert code not in page  # the post must hear it from the agency, not read it off the screen
    token = csrf_token(client, f"/referrals/{referral.id}")
    client.post(f"/referrals/{referral.id}/phone", data={"code": "AAAA-AAAA", "outcome": "received",
                                                         "csrf_token": token})
    assert refreshed(app, referral).acknowledged_at is None and events(app, "referral.phone.failed") == 1
    client.post(f"/referrals/{referral.id}/phone", data={"code": code.lower().replace("-", " "),
                                                         "outcome": "accepted", "csrf_token": token})
    done = refreshed(app, referral)
    assert (done.status, done.acknowledged_via) == ("accepted", "phone")
    assert events(app, "referral.phone.confirmed") == 1
    assert not delivery.is_overdue(done, now_utc())


def test_a_post_cannot_see_another_posts_referrals(app, make, staff):
    made = make()
    referral = by_kind(made, "unhcr")
    client = app.test_client()
    assert sign_in(client, "stranger").status_code == 303
    assert made.case.reference not in client.get("/referrals?only=all").get_data(as_text=True)
    before = events(app, "referral.access.denied")
    for url in (f"/referrals/{referral.id}", f"/referrals/{referral.id}/slip"):
        assert client.get(url).status_code == 404
    assert events(app, "referral.access.denied") == before + 2
    assert re.fullmatch(r"[0-9a-f]{32}", referral.id)


def test_an_erased_case_leaves_no_referral_in_the_inbox_or_the_posts_list(app, make, officer, staff):
    from referral.models import Case
    from referral.services.cases import shred

    made = make()
    referral = by_kind(made, "unhcr")
    client = officer(referral)
    with get_db(app).session() as db:
        shred(session=db, case=db.get(Case, made.case.id), actor_id=None, action="case.erase", reason="request")
        db.commit()
    assert referral.id not in client.get("/inbox").get_data(as_text=True)
    assert client.get(f"/inbox/{referral.id}").status_code == 404
    with get_db(app).read_session() as db:
        official = db.get(User, staff.by_role["official"])
        assert delivery.sent(session=db, user=official, only="all") == []


def test_the_post_is_told_in_words_why_a_referral_is_held(app, make, signed_in):
    referral = by_kind(make(), "health")
    with get_db(app).session() as db:
        row = db.get(Referral, referral.id)
        row.status, row.status_reason = "held", "agency_agreement_expired"
        db.add(row)
        db.commit()
    page = signed_in("official").get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "held because the agency's data-sharing agreement has ended" in page
    assert "Tell the administrator" in page and f"/referrals/{referral.id}/slip" not in page
