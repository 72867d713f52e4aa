"""The cases of a post: the list reads coarse columns only, opening a case is audited once (P-19), what is not
yours answers 404 like what does not exist and the refusal is audited (P-14), close, reopen and erase are audited,
erasing asks for the password again (P-06b, P-13), every form needs its CSRF token (P-15), URLs carry only the
random reference (P-18)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import AuditEvent, Case, Post, User, now_utc
from referral.services import users
from referral.services.cases import create_case
from referral.services.intake import load_identity_form
from tests.conftest import DEMO_GUIDELINES
from tests.web.conftest import PASSWORD, csrf_token, sign_in

CANARY = {"given_name": "Cnryzyxw", "family_name": "Qvxlmtrp", "phone": "+000 555 0199"}
FACTS = {"fears_return": "yes", "age_years": 15, "companion": "none", "medical_emergency": "yes"}


@pytest.fixture
def settings(settings):
    """The demonstration guidelines: their country is Demoland (xd), the staff fixture's posts."""
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


def make_case(app, post_id: int, user_id: int, identity=None) -> str:
    """A case made the way the web makes it; returns its reference."""
    settings = app.extensions["referral.settings"]
    with get_db(app).session() as db:
        case = create_case(session=db, vault=app.extensions["vault"], gset=load_guidelines(settings.guidelines_dir),
                           form=load_identity_form(settings.forms_dir), user=db.get(User, user_id),
                           post=db.get(Post, post_id), facts=FACTS, identity=identity or CANARY,
                           enrol_agency_keys=True)
        db.commit()
        return case.reference


def events(app) -> list[AuditEvent]:
    with get_db(app).read_session() as db:
        return list(db.exec(select(AuditEvent).order_by(AuditEvent.seq)))


def status_of(app, reference: str) -> str:
    with get_db(app).read_session() as db:
        return db.exec(select(Case.status).where(Case.reference == reference)).one()


def post_form(client, url: str, page: str, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


@pytest.fixture
def cases(app, staff):
    """A case of the staff's post made by its official, and one of the other post made by the stranger."""
    return {"ours": make_case(app, staff.post.id, staff.by_role["official"]),
            "theirs": make_case(app, staff.other_post.id, staff.stranger)}


def test_a_supervisor_lists_the_posts_cases_without_decrypting_anything(app, staff, cases, signed_in, monkeypatch):
    client = signed_in("supervisor")

    def refuse(*_args, **_kwargs):
        raise AssertionError("the list must not decrypt")

    monkeypatch.setattr(app.extensions["vault"], "open_case_payload", refuse)
    before = len(events(app))
    page = client.get("/cases/?status=all").get_data(as_text=True)
    assert cases["ours"] in page and cases["theirs"] not in page
    assert "Unaccompanied child" in page and "Immediate" in page  # coarse columns, in words
    assert not any(value in page for value in CANARY.values())
    assert len(events(app)) == before  # listing coarse columns is not opening a case


def test_an_official_lists_only_the_cases_he_or_she_created(app, staff, cases, signed_in):
    with get_db(app).session() as db:
        colleague = users.create_user(session=db, username="colleague", password=PASSWORD, role="official",
                                      post_id=staff.post.id)
        db.commit()
    theirs = make_case(app, staff.post.id, colleague.id)
    page = signed_in("official").get("/cases/").get_data(as_text=True)
    assert cases["ours"] in page and theirs not in page and cases["theirs"] not in page


def test_opening_a_case_shows_it_and_writes_exactly_one_audit_event(app, staff, cases, signed_in):
    client = signed_in("supervisor")
    before = len(events(app))
    response = client.get(f"/cases/{cases['ours']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert all(value in page for value in CANARY.values())  # identity
    assert "Never do this" in page and "Consent" in page and "Child protection" in page  # plan and consent
    new = events(app)[before:]
    assert [e.action for e in new] == ["case.open"]
    case_id = get_db(app).read_session().exec(select(Case.id).where(Case.reference == cases["ours"])).one()
    assert new[0].actor_id == staff.by_role["supervisor"] and new[0].post_id == staff.post.id
    assert new[0].object_id == case_id and new[0].at is not None


def test_an_official_of_the_post_may_open_a_colleagues_case(app, staff, cases, signed_in):
    # services.cases.may_open: officials and supervisors of the case's post.
    assert signed_in("official").get(f"/cases/{cases['ours']}").status_code == 200


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


@pytest.mark.parametrize("who", ["stranger", "other_supervisor"])
def test_another_posts_case_answers_404_like_a_missing_one_and_is_audited(app, staff, cases, who):
    with get_db(app).session() as db:
        users.create_user(session=db, username="other_supervisor", password=PASSWORD, role="supervisor",
                          post_id=staff.other_post.id)
        db.commit()
    client = app.test_client()
    assert sign_in(client, who).status_code == 303
    before = len(events(app))
    other = client.get(f"/cases/{cases['ours']}")
    missing = client.get("/cases/XD-01-NOSUCH00")
    assert other.status_code == missing.status_code == 404
    # A refusal looks exactly like an absence; only the CSRF token of the page's forms differs, when the two
    # requests fall in different seconds (the token carries its time).
    assert without_tokens(other.get_data(as_text=True)) == without_tokens(missing.get_data(as_text=True))
    new = events(app)[before:]
    assert [e.action for e in new] == ["case.access.denied", "case.access.denied"]
    assert not any(value in other.get_data(as_text=True) for value in CANARY.values())
    if who == "other_supervisor":
        token = csrf_token(client, "/cases/")
        for action in ("close", "reopen", "erase"):
            assert client.post(f"/cases/{cases['ours']}/{action}", data={"csrf_token": token}).status_code in (
                404, 303)
        assert status_of(app, cases["ours"]) == "open"


@pytest.mark.parametrize("role", ["agency_officer", "trainer", "admin"])
def test_roles_without_cases_cannot_see_them(app, staff, cases, signed_in, role):
    client = signed_in(role)
    before = len(events(app))
    assert client.get("/cases/").status_code == 404
    assert client.get(f"/cases/{cases['ours']}").status_code == 404
    assert [e.action for e in events(app)[before:]] == ["access.denied", "access.denied"]


def test_a_supervisor_closes_and_reopens_a_case_each_audited(app, staff, cases, signed_in):
    client = signed_in("supervisor")
    before = len(events(app))
    response = post_form(client, f"/cases/{cases['ours']}/close", "/cases/")
    assert response.status_code == 303 and status_of(app, cases["ours"]) == "closed"
    again = post_form(client, f"/cases/{cases['ours']}/close", "/cases/")
    assert again.status_code == 303 and status_of(app, cases["ours"]) == "closed"
    assert "Only an open case can be closed" in client.get(again.headers["Location"]).get_data(as_text=True)
    post_form(client, f"/cases/{cases['ours']}/reopen", "/cases/")
    assert status_of(app, cases["ours"]) == "open"
    assert [e.action for e in events(app)[before:]] == ["case.close", "case.reopen"]


def test_officials_do_not_close_cases(app, staff, cases, signed_in):
    client = signed_in("official")
    assert post_form(client, f"/cases/{cases['ours']}/close", "/cases/").status_code == 404
    assert status_of(app, cases["ours"]) == "open"


def make_stale(client) -> None:
    with client.session_transaction() as session:
        session["signed_in_at"] = (now_utc() - timedelta(minutes=6)).isoformat()


def test_erasing_asks_for_the_password_again_after_five_minutes(app, staff, cases, signed_in):
    client = signed_in("supervisor")
    make_stale(client)
    token = csrf_token(client, "/cases/")
    response = client.post(f"/cases/{cases['ours']}/erase", data={"csrf_token": token,
                                                                  "reference": cases["ours"]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/reauth")
    assert status_of(app, cases["ours"]) == "open"  # no effect
    confirmed = client.post("/reauth", data={"csrf_token": token, "password": PASSWORD})
    assert confirmed.headers["Location"].endswith(f"/cases/{cases['ours']}/erase")
    wrong = post_form(client, f"/cases/{cases['ours']}/erase", f"/cases/{cases['ours']}/erase", reference="XD-01-X")
    assert wrong.status_code == 200 and status_of(app, cases["ours"]) == "open"
    before = len(events(app))
    done = post_form(client, f"/cases/{cases['ours']}/erase", f"/cases/{cases['ours']}/erase",
                     reference=cases["ours"])
    assert done.status_code == 303 and status_of(app, cases["ours"]) == "erased"
    assert [e.action for e in events(app)[before:]] == ["case.erase"]
    page = client.get(f"/cases/{cases['ours']}").get_data(as_text=True)
    assert "This case was erased" in page and not any(value in page for value in CANARY.values())


def test_every_case_form_needs_its_csrf_token(app, staff, cases, signed_in):
    client = signed_in("supervisor")
    for action in ("close", "reopen", "erase"):
        assert client.post(f"/cases/{cases['ours']}/{action}", data={"reference": cases["ours"]}).status_code == 400
    assert status_of(app, cases["ours"]) == "open"


def test_case_urls_carry_the_random_reference_and_nothing_personal(app, staff, cases, signed_in):
    assert re.fullmatch(r"XD-01-[2-9A-HJKMNP-TV-Z]{8}", cases["ours"])
    client = signed_in("supervisor")
    pages = [client.get("/cases/?status=all").get_data(as_text=True),
             client.get(f"/cases/{cases['ours']}").get_data(as_text=True)]
    for page in pages:
        for url in re.findall(r'(?:href|action)="([^"]+)"', page):
            assert not any(value.lower() in url.lower() for value in CANARY.values()), url


def test_finding_a_case_by_reference_goes_to_it(app, staff, cases, signed_in):
    client = signed_in("official")
    response = client.get("/cases/find", query_string={"reference": cases["ours"].lower()})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/cases/{cases['ours']}")


def test_a_tampered_case_is_not_shown_and_the_failure_is_audited(app, staff, cases, signed_in):
    with get_db(app).session() as db:
        case = db.exec(select(Case).where(Case.reference == cases["ours"])).one()
        sealed = bytearray(case.sealed_payload)
        sealed[-1] ^= 1
        case.sealed_payload = bytes(sealed)
        db.add(case)
        db.commit()
    client = signed_in("supervisor")
    before = len(events(app))
    response = client.get(f"/cases/{cases['ours']}")
    assert response.status_code == 500 and "cannot be read" in response.get_data(as_text=True)
    assert [e.action for e in events(app)[before:]] == ["case.open.failed"]


def test_the_case_page_links_each_referral_and_its_slip_and_the_slip_downloads(app, staff, cases, signed_in):
    """Issue 6, resilience: the official prints or downloads a slip from the case; a held referral has none."""
    from referral.models import Referral

    with get_db(app).session() as db:
        case_id = db.exec(select(Case.id).where(Case.reference == cases["ours"])).one()
        referrals = list(db.exec(select(Referral).where(Referral.case_id == case_id).order_by(Referral.kind)))
        held = referrals[0]
        held.status = "held"
        db.add(held)
        db.commit()
        ids = [r.id for r in referrals]
    client = signed_in("official")
    page = client.get(f"/cases/{cases['ours']}").get_data(as_text=True)
    for referral_id in ids:
        assert f'href="/referrals/{referral_id}"' in page
    assert f'href="/referrals/{ids[0]}/slip"' not in page  # held: no slip to print
    for referral_id in ids[1:]:
        assert f'href="/referrals/{referral_id}/slip"' in page
    slip = client.get(f"/referrals/{ids[1]}/slip")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf" and slip.data.startswith(b"%PDF")

