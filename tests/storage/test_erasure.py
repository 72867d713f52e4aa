"""P-04 and P-06: erasure destroys the data key and leaves its bytes in no live file; the retention purge
shreds exactly the expired cases, once, and keeps the coarse statistics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlmodel import select

from referral.cli import main
from referral.models import AuditEvent, Case, Referral, now_utc
from referral.services.cases import CaseUnavailable, close_case, erase_case, open_case
from referral.services.retention import purge
from referral.vault import KeyDestroyed
from tests.storage.canary import every_file
from tests.storage.factories import make_case, make_people, open_session


def _env(settings) -> dict[str, str]:  # noqa: ANN001
    return {"REFERRAL_DATA_DIR": str(settings.data_dir), "REFERRAL_GUIDELINES_DIR": str(settings.guidelines_dir),
            "REFERRAL_ENV": "testing", "REFERRAL_DATABASE_URL": settings.database_url_override or "",
            "REFERRAL_DATABASE_ADMIN_URL": settings.database_admin_url or ""}


def _live_files(backend, settings, request, tmp_path):  # noqa: ANN001
    if backend == "sqlite":
        return [p for p in settings.data_dir.iterdir() if p.is_file()]
    server = request.getfixturevalue("pg_server")
    database = settings.database_url_override.rsplit("/", 1)[1]
    server.psql("VACUUM", database=database)
    server.psql("CHECKPOINT")
    return every_file(server.data_dir / "base") + [server.dump(database, tmp_path / "after-erase.sql")]


def test_erase_leaves_no_wrapped_key_and_the_case_never_opens(backend, store_app, store_settings, request, tmp_path):
    vault = store_app.extensions["vault"]
    with open_session(store_app) as session:
        people = make_people(session)
        keep, gone = make_case(store_app, session, people), make_case(store_app, session, people)
        wrapped, sealed = bytes(gone.wrapped_key), bytes(gone.sealed_payload)
        referral_blobs = [bytes(r.sealed_payload) for r in
                          session.exec(select(Referral).where(Referral.case_id == gone.id))]
    store_app.extensions["referral.db"].dispose()  # the command below is another process in real life

    result = CliRunner().invoke(main, ["cases", "erase", gone.reference], env=_env(store_settings),
                                catch_exceptions=False)
    assert result.exit_code == 0 and result.output.strip() == f"{gone.reference}  erased"

    with open_session(store_app) as session:
        with pytest.raises(KeyDestroyed):
            open_case(session=session, vault=vault, user=people.official, reference=gone.reference)
        assert open_case(session=session, vault=vault, user=people.official, reference=keep.reference).payload
        erased = session.get(Case, gone.id)
        assert erased.status == "erased" and erased.urgency and erased.categories  # statistics survive
        actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.object_id == gone.id))]
        assert actions == ["case.create", "case.erase", "case.open.failed"]
    store_app.extensions["referral.db"].dispose()

    needles = [wrapped, sealed, *referral_blobs]
    for path in _live_files(backend, store_settings, request, tmp_path):
        data = path.read_bytes()
        assert not any(needle in data for needle in needles), f"erased bytes survive in {path.name}"
    assert gone.id in store_settings.tombstones_file.read_text()


def test_only_allowed_roles_erase(store_app):
    with open_session(store_app) as session:
        people = make_people(session)
        case = make_case(store_app, session, people)
        for user in (people.official, people.stranger):
            with pytest.raises(CaseUnavailable):
                erase_case(session=session, database=store_app.extensions["referral.db"], user=user, case=case)
        assert session.get(Case, case.id).wrapped_key is not None
        with pytest.raises(CaseUnavailable):  # another post's official cannot open it either
            open_case(session=session, vault=store_app.extensions["vault"], user=people.stranger,
                      reference=case.reference)


def test_retention_purge_shreds_exactly_the_expired_cases_once(store_app):
    settings = store_app.extensions["referral.settings"]
    database = store_app.extensions["referral.db"]
    now = now_utc()
    period = timedelta(days=settings.retention_days)
    with open_session(store_app) as session:
        people = make_people(session)
        expired, fresh, still_open = (make_case(store_app, session, people) for _ in range(3))
        close_case(session=session, user=people.supervisor, case=expired, now=now - period - timedelta(seconds=1))
        close_case(session=session, user=people.supervisor, case=fresh, now=now - period + timedelta(seconds=1))
        session.commit()
        first = purge(session=session, database=database, retention_days=settings.retention_days, now=now)
        second = purge(session=session, database=database, retention_days=settings.retention_days, now=now)
        assert (first.expired, first.replayed, first.drafts) == ([expired.reference], [], [])
        assert (second.expired, second.replayed, second.drafts) == ([], [], [])
        statuses = {c.id: c.status for c in session.exec(select(Case))}
        assert statuses == {expired.id: "erased", fresh.id: "closed", still_open.id: "open"}
        purges = session.exec(select(AuditEvent).where(AuditEvent.action == "case.purge")).all()
        assert [(e.object_id, e.actor_id) for e in purges] == [(expired.id, None)]


def test_a_restored_backup_does_not_bring_erased_cases_back(store_app, backend, store_settings):
    """P-05: tombstones kept beside the keys are replayed after a restore (by `referral init` or the purge)."""
    if backend != "sqlite":
        return  # the restore below copies the SQLite file; tombstones work the same on PostgreSQL
    database = store_app.extensions["referral.db"]
    with open_session(store_app) as session:
        people = make_people(session)
        cases = [make_case(store_app, session, people) for _ in range(10)]
    database.checkpoint_wal()
    db_file = store_settings.data_dir / "referral.sqlite3"
    backup = db_file.read_bytes()
    with open_session(store_app) as session:
        for case in cases:
            erase_case(session=session, database=database, user=people.admin, case=session.get(Case, case.id),
                       tombstones=store_settings.tombstones_file)
    database.dispose()
    for leftover in store_settings.data_dir.glob("referral.sqlite3-*"):
        leftover.unlink()
    db_file.write_bytes(backup)
    result = CliRunner().invoke(main, ["init"], env={**_env(store_settings), "REFERRAL_ADMIN_PASSWORD": "x" * 12},
                                catch_exceptions=False)
    assert result.exit_code == 0 and "shredded 10 cases" in result.output
    with create_engine(database.url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM cases WHERE wrapped_key IS NOT NULL")).scalar() == 0
