"""P-06 for screenings in progress: a draft left open longer than REFERRAL_DRAFT_MAX_HOURS is shredded by the
retention job, like an abandon (sealed payload, wrapped key and KEK id gone, audited without personal data); a
recent one is untouched; the job is idempotent; `referral cases purge` counts drafts and expired sessions."""

from __future__ import annotations

import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import update
from sqlmodel import select

from referral.cli import main
from referral.config import Settings
from referral.engine import load_guidelines
from referral.models import AuditEvent, Draft, WebSession, now_utc
from referral.services import screening
from referral.services.retention import purge
from tests.storage.factories import make_people, open_session
from tests.storage.test_erasure import _env


def _start(app, session, user) -> str:  # noqa: ANN001
    settings = app.extensions["referral.settings"]
    opened = screening.start(session=session, vault=app.extensions["vault"],
                             gset=load_guidelines(settings.guidelines_dir), user=user, language="ru")
    session.commit()
    return opened.id


def _age(session, draft_id: str, when) -> None:  # noqa: ANN001
    session.execute(update(Draft).where(Draft.id == draft_id).values(updated_at=when))
    session.commit()


def test_stale_drafts_are_shredded_once_and_recent_ones_kept(store_app):
    settings = store_app.extensions["referral.settings"]
    database = store_app.extensions["referral.db"]
    now = now_utc()
    limit = timedelta(hours=settings.draft_max_hours)
    with open_session(store_app) as session:
        people = make_people(session)
        stale, recent, given_up = (_start(store_app, session, people.official) for _ in range(3))
        _age(session, stale, now - limit - timedelta(seconds=1))
        _age(session, recent, now - limit + timedelta(seconds=1))
        loaded = screening.load(session=session, vault=store_app.extensions["vault"], user=people.official,
                                draft_id=given_up)
        screening.abandon(session=session, screening=loaded, user=people.official)
        session.commit()
        _age(session, given_up, now - limit - timedelta(days=3))
        recent_before = session.get(Draft, recent).sealed_payload

        first = purge(session=session, database=database, retention_days=settings.retention_days,
                      draft_max_hours=settings.draft_max_hours, now=now)
        second = purge(session=session, database=database, retention_days=settings.retention_days,
                       draft_max_hours=settings.draft_max_hours, now=now)
        assert first.drafts == [stale] and second.drafts == []
        session.expire_all()
        drafts = {d.id: d for d in session.exec(select(Draft))}
        gone = drafts[stale]
        assert gone.status == "expired"
        assert gone.sealed_payload is None and gone.wrapped_key is None and gone.kek_id is None
        assert drafts[recent].status == "open" and drafts[recent].sealed_payload == recent_before
        assert drafts[given_up].status == "abandoned"
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "screening.expire")).all()
        assert [(e.object_id, e.actor_id, e.post_id) for e in events] == [(stale, None, people.post.id)]
        assert json.loads(events[0].detail) == {"reason": "retention", "hours": settings.draft_max_hours}
        # The official can no longer open it, and it is not offered to resume.
        vault = store_app.extensions["vault"]
        assert [s.id for s in screening.open_drafts(session=session, vault=vault, user=people.official)] == [recent]


def test_the_purge_command_counts_drafts_and_deletes_expired_sessions(store_app, store_settings):
    with open_session(store_app) as session:
        people = make_people(session)
        stale, recent = _start(store_app, session, people.official), _start(store_app, session, people.official)
        _age(session, stale, now_utc() - timedelta(hours=3))
        session.add(WebSession(id="a" * 64, user_id=people.official.id, last_seen=now_utc() - timedelta(hours=1)))
        session.add(WebSession(id="b" * 64, user_id=people.official.id, last_seen=now_utc()))
        # In use a minute ago, but signed in nine hours ago: past the 8-hour lifetime, so it goes too.
        session.add(WebSession(id="c" * 64, user_id=people.official.id, created_at=now_utc() - timedelta(hours=9),
                               last_seen=now_utc() - timedelta(minutes=1)))
        session.commit()
    store_app.extensions["referral.db"].dispose()  # the command is another process in real life

    env = {**_env(store_settings), "REFERRAL_DRAFT_MAX_HOURS": "2"}
    first = CliRunner().invoke(main, ["cases", "purge"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "1 screening drafts shredded" in first.output and "2 expired sessions deleted" in first.output
    again = CliRunner().invoke(main, ["cases", "purge"], env=env, catch_exceptions=False)
    assert "0 screening drafts shredded" in again.output and "0 expired sessions deleted" in again.output
    for word in ("Test", "Person", "+000"):  # nothing personal in what the job prints
        assert word not in first.output
    with open_session(store_app) as session:
        assert {d.id: d.status for d in session.exec(select(Draft))} == {stale: "expired", recent: "open"}
        assert [s.id for s in session.exec(select(WebSession))] == ["b" * 64]


def test_the_draft_limit_is_a_setting():
    assert Settings.from_env({}).draft_max_hours == 24
    assert Settings.from_env({"REFERRAL_DRAFT_MAX_HOURS": "6"}).draft_max_hours == 6
