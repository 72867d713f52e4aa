"""Degrade safely (SECURITY.md R-05): when a slip cannot be rendered (an error, the time limit), the case and
its referrals stay saved, the slip shows as pending, and the retry job (`referral slips render --pending`), or the
next download, produces it."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import AuditEvent, Case, Referral
from referral.services import slip_pdf, slips
from referral.services.intake import load_identity_form
from referral.services.slip_pdf import RenderFailed
from tests.slips.conftest import by_kind


def events(app, action: str) -> int:
    with get_db(app).read_session() as db:
        return db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)).one()


def statuses(app, case_id: str) -> dict[str, str]:
    with get_db(app).read_session() as db:
        return {r.kind: r.slip_status for r in db.exec(select(Referral).where(Referral.case_id == case_id))
                if r.status != "held"}


def produce(app, case_id: str | None = None) -> list[tuple[str, str]]:
    settings = app.extensions["referral.settings"]
    with app.app_context():
        return slips.produce_pending(database=get_db(app), vault=app.extensions["vault"],
                                     gset=load_guidelines(settings.guidelines_dir),
                                     form=load_identity_form(settings.forms_dir), case_id=case_id)


@pytest.fixture
def broken_renderer(monkeypatch):
    def fail(self, html, finisher=None, seconds=None):  # noqa: ANN001
        raise RenderFailed("error")

    monkeypatch.setattr(slip_pdf.Renderer, "pdf", fail)
    return monkeypatch


def test_a_failing_renderer_keeps_the_case_and_leaves_the_slips_pending(app, make, broken_renderer):
    made = make()
    outcomes = produce(app, made.case.id)
    assert outcomes and {outcome for _, outcome in outcomes} == {"error"}
    with get_db(app).read_session() as db:
        assert db.get(Case, made.case.id) is not None
    assert set(statuses(app, made.case.id).values()) == {"pending"}
    assert events(app, "slip.failed") == len(outcomes)


def test_the_post_sees_slip_pending_and_a_download_says_so(app, make, signed_in, broken_renderer):
    made = make()
    produce(app, made.case.id)
    client = signed_in("official")
    listing = client.get("/referrals").get_data(as_text=True)
    assert made.case.reference in listing and "Slip pending" in listing
    referral = by_kind(made, "unhcr")
    response = client.get(f"/referrals/{referral.id}/slip")
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "Slip pending" in response.get_data(as_text=True)


def test_the_retry_job_produces_the_pending_slips_once_rendering_works(app, make, broken_renderer):
    made = make()
    produce(app, made.case.id)
    broken_renderer.undo()
    result = app.test_cli_runner().invoke(args=["slips", "render", "--pending"])
    assert result.exit_code == 0, result.output
    assert result.output.count("slip produced") == len(statuses(app, made.case.id))
    assert set(statuses(app, made.case.id).values()) == {"ready"}
    assert events(app, "slip.produced") == len(statuses(app, made.case.id))
    again = app.test_cli_runner().invoke(args=["slips", "render", "--pending"])
    assert again.exit_code == 0 and "slip produced" not in again.output  # nothing left to do


def test_a_slip_over_its_time_limit_fails_as_a_timeout_and_a_later_download_produces_it(app, make, render,
                                                                                          signed_in):
    made = make()
    referral = by_kind(made, "health")
    with pytest.raises(RenderFailed) as failed:
        render(referral, time_limit=0.001)
    assert failed.value.reason == "timeout"
    response = signed_in("official").get(f"/referrals/{referral.id}/slip")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert statuses(app, made.case.id)["health"] == "ready"
