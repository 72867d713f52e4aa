"""A screening draft shredded by the retention job answers 404 to its own official, like any draft that is not
theirs, and is no longer offered to resume; a recent draft still opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from referral.db import get_db
from referral.engine import load_guidelines
from referral.models import Draft, User, now_utc
from referral.services import screening
from referral.services.retention import purge
from tests.conftest import DEMO_GUIDELINES


@pytest.fixture
def settings(settings):
    """The demonstration guidelines: their country is Demoland (xd), the staff fixture's posts."""
    return settings.with_overrides(guidelines_dir=DEMO_GUIDELINES)


def _start(app, user_id: int) -> str:  # noqa: ANN001
    with get_db(app).session() as db:
        opened = screening.start(session=db, vault=app.extensions["vault"], gset=load_guidelines(DEMO_GUIDELINES),
                                 user=db.get(User, user_id), language="ru")
        db.commit()
        return opened.id


def test_a_shredded_draft_answers_404_to_its_official(app, staff, signed_in):
    official = signed_in("official")
    stale, recent = _start(app, staff.by_role["official"]), _start(app, staff.by_role["official"])
    assert official.get(f"/screening/{stale}/next").status_code == 200
    settings = app.extensions["referral.settings"]
    with get_db(app).session() as db:
        db.execute(update(Draft).where(Draft.id == stale)
                   .values(updated_at=now_utc() - timedelta(hours=settings.draft_max_hours, minutes=1)))
        db.commit()
        assert purge(session=db, database=get_db(app), retention_days=settings.retention_days,
                     draft_max_hours=settings.draft_max_hours).drafts == [stale]

    for path in (f"/screening/{stale}", f"/screening/{stale}/next", f"/screening/{stale}/plan",
                 f"/screening/{stale}/done"):
        assert official.get(path).status_code == 404, path
    assert official.get(f"/screening/{recent}/next").status_code == 200
    listing = official.get("/screening/").get_data(as_text=True)
    assert recent in listing and stale not in listing
