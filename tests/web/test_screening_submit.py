"""R-02: a double-tapped Submit, concurrent posts of one draft and a retry after a timeout give exactly one case,
and every response leads to the same case. Run on SQLite and on a throwaway PostgreSQL server, where the posts
really run side by side (SQLite queues writers; PostgreSQL queues them on the draft's row lock).
"""

from __future__ import annotations

import re
import threading

import pytest
from sqlmodel import select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import AuditEvent, Case, Referral
from tests.conftest import DEMO_GUIDELINES
from tests.storage.conftest import APP_ROLE, OWNER, new_pg_database, pg_server  # noqa: F401 - fixtures
from tests.web.screening_nav import Official

ADULT_ASYLUM = {"medical_emergency": "no", "age_apparent": "adult", "age_years": 30, "asylum_wish": "explicit",
                "removal_imminent": "no", "indicators": frozenset(), "group_size": 1, "sex": "male",
                "companion": "none"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(settings, request):
    settings = settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)
    if request.param == "postgres":
        server = request.getfixturevalue("pg_server")
        name = new_pg_database(server)
        settings = settings.with_overrides(database_url_override=server.url(APP_ROLE, name),
                                           database_admin_url=server.url(OWNER, name))
    return settings


@pytest.fixture
def ready(app, staff, signed_in) -> Official:
    """An official with a screening ready to submit."""
    official = Official(signed_in("official"), load_guidelines(DEMO_GUIDELINES))
    official.starts("fa_AF")
    official.walks(ADULT_ASYLUM)
    official.consents({"national_asylum_authority": True, "unhcr": True, "legal_aid": True})
    response = official.enters_identity({"given_name": "Test", "phone": "+000"})
    assert response.request.path.endswith("/review")
    return official


def same_browser(app, official: Official):  # noqa: ANN201
    """Another connection of the same tablet: the same session cookie."""
    client = app.test_client()
    client.set_cookie("referral", official.client.get_cookie("referral").value)
    return client


def cases_of(app, draft: str) -> list[Case]:
    with get_db(app).read_session() as db:
        return list(db.exec(select(Case).where(Case.idempotency_key == draft)))


def test_concurrent_submits_of_one_draft_create_one_case(app, ready):
    url, token = f"/screening/{ready.draft}/submit", ready.token
    clients = [same_browser(app, ready) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def tap(client) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(url, data={"csrf_token": token})
        answers.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=tap, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [(303, f"/screening/{ready.draft}/done")] * len(clients)
    cases = cases_of(app, ready.draft)
    assert len(cases) == 1
    with get_db(app).read_session() as db:
        created = db.exec(select(AuditEvent).where(AuditEvent.action == "case.create",
                                                   AuditEvent.object_id == cases[0].id)).all()
        referrals = db.exec(select(Referral).where(Referral.case_id == cases[0].id)).all()
    assert len(created) == 1 and sorted(r.kind for r in referrals) == ["legal_aid", "unhcr"]
    references = {same_browser(app, ready).get(f"/screening/{ready.draft}/done").get_data(as_text=True)
                  .count(cases[0].reference) > 0 for _ in range(3)}
    assert references == {True}  # every response leads to the same case


def test_a_double_tap_and_a_retry_after_a_timeout_give_the_first_case(app, ready):
    first = ready.submits(follow=False)
    second = ready.submits(follow=False)  # the second tap
    retry = same_browser(app, ready).post(f"/screening/{ready.draft}/submit", data={"csrf_token": ready.token})
    assert {r.headers["Location"] for r in (first, second, retry)} == {f"/screening/{ready.draft}/done"}
    assert len(cases_of(app, ready.draft)) == 1


def test_a_dropped_connection_before_submit_loses_no_answer(app, ready):
    """The tablet lost the page after the identity step: a new connection finds the draft at the same stage."""
    again = same_browser(app, ready).get(f"/screening/{ready.draft}")
    assert again.headers["Location"].endswith("/review")
    page = same_browser(app, ready).get(f"/screening/{ready.draft}/review").get_data(as_text=True)
    assert "+000" in page and "Test" in page


def test_concurrent_taps_on_an_answer_are_all_stored_once_without_holding_the_lock(app, staff, signed_in):
    """Answers are saved optimistically: the draft is read without a lock, and a tap that lost the race reads
    again and redoes its change, so every tap gets the same page and the draft ends with the answer."""
    official = Official(signed_in("official"), load_guidelines(DEMO_GUIDELINES))
    official.starts("ru")
    official.sees_question()
    official.post("/screening/", {"language": "ru"})  # a token for the session (and a second draft, unused)
    clients = [same_browser(app, official) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, str]] = []

    def tap(client, value: str) -> None:  # noqa: ANN001
        barrier.wait()
        response = client.post(f"/screening/{official.draft}/q/demo-first-contact/q_emergency",
                               data={"csrf_token": official.token, "value": value})
        answers.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=tap, args=(client, "yes" if n % 2 else "no"))
               for n, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 8 and {status for status, _ in answers} == {303}
    page = same_browser(app, official).get(f"/screening/{official.draft}/q/demo-first-contact/q_emergency")
    assert len(re.findall(r'value="(?:yes|no)" checked', page.get_data(as_text=True))) == 1  # one of them won
    with get_db(app).read_session() as db:
        saves = db.exec(select(AuditEvent).where(AuditEvent.action == "screening.answer",
                                                 AuditEvent.object_id == official.draft)).all()
    assert len(saves) == 8  # each tap stored once, none lost, none twice


def test_submitting_produces_the_slips_so_the_post_sees_them_ready(app, ready):
    """The slips are rendered right after the case is saved (R-05: a failure would leave them pending)."""
    ready.submits(follow=False)
    [case] = cases_of(app, ready.draft)
    with get_db(app).read_session() as db:
        referrals = list(db.exec(select(Referral).where(Referral.case_id == case.id)))
        produced = set(db.exec(select(AuditEvent.object_id).where(AuditEvent.action == "slip.produced")))
    with_agency = [r for r in referrals if r.agency_id is not None and r.status != "held"]
    assert with_agency and all(r.slip_status == "ready" for r in with_agency)
    assert produced == {r.id for r in with_agency}
    page = ready.client.get("/referrals").get_data(as_text=True)
    assert "Slip pending" not in page


def test_a_slip_that_cannot_be_rendered_at_submit_stays_pending_and_the_case_is_saved(app, ready, monkeypatch):
    from referral.services import slip_pdf

    def broken(self, html, **options):  # noqa: ANN001, ARG001
        raise slip_pdf.RenderFailed("error")

    monkeypatch.setattr(slip_pdf.Renderer, "pdf", broken)
    response = ready.submits(follow=False)
    assert response.headers["Location"] == f"/screening/{ready.draft}/done"
    [case] = cases_of(app, ready.draft)
    with get_db(app).read_session() as db:
        referrals = list(db.exec(select(Referral).where(Referral.case_id == case.id)))
        failed = list(db.exec(select(AuditEvent).where(AuditEvent.action == "slip.failed")))
    assert referrals and all(r.slip_status == "pending" for r in referrals)
    assert failed
    assert "Slip pending" in ready.client.get("/referrals").get_data(as_text=True)
