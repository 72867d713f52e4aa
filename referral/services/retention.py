"""Retention: closed cases are shredded once their retention period has run out; tombstones are replayed;
screening drafts left open too long are shredded.

All are idempotent: a second run finds nothing left to do. Coarse columns stay, so statistics are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, select

from ..models import Case, Draft, now_utc, utc
from . import audit
from .cases import shred

DRAFT_EXPIRED = "expired"  # the status of a draft shredded for staying open too long


def expired_cases(*, session: Session, retention_days: int, now: datetime | None = None) -> list[Case]:
    cutoff = (utc(now) or now_utc()) - timedelta(days=retention_days)
    return list(session.exec(select(Case).where(Case.status == "closed", Case.closed_at <= cutoff)))


def read_tombstones(path: Path | None) -> set[str]:
    if path is None or not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="ascii").splitlines() if line.strip()}


def replay_tombstones(*, session: Session, tombstones: Path | None, now: datetime | None = None) -> list[Case]:
    """Shred cases that were erased after the backup now restored was taken (caller commits)."""
    erased = read_tombstones(tombstones)
    if not erased:
        return []
    replayed = [case for case in session.exec(select(Case).where(Case.wrapped_key.is_not(None)))
                if case.id in erased]
    for case in replayed:
        shred(session=session, case=case, actor_id=None, action="case.purge", reason="tombstone", now=now)
    return replayed


def shred_stale_drafts(*, session: Session, max_hours: int, now: datetime | None = None) -> list[str]:
    """Shred open drafts not saved for ``max_hours``, like an abandon; return their ids (caller commits).

    Each draft is shredded by one UPDATE that checks again that it is still open and still stale, so a draft
    saved by its official between the look-up and the shredding is left alone; a save racing the other way finds
    the draft no longer open and fails as if it had been abandoned.
    """
    moment = utc(now) or now_utc()
    cutoff = moment - timedelta(hours=max_hours)
    stale = session.exec(select(Draft.id, Draft.post_id).where(Draft.status == "open", Draft.updated_at <= cutoff)
                         .order_by(Draft.updated_at)).all()
    shredded = []
    for draft_id, post_id in stale:
        done = session.execute(
            update(Draft).where(Draft.id == draft_id, Draft.status == "open", Draft.updated_at <= cutoff)
            .values(sealed_payload=None, wrapped_key=None, kek_id=None, status=DRAFT_EXPIRED, updated_at=moment)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:
            continue
        audit.record(session, action="screening.expire", actor_id=None, post_id=post_id, object_type="draft",
                     object_id=draft_id, at=moment, detail={"reason": "retention", "hours": max_hours})
        shredded.append(draft_id)
    return shredded


@dataclass(frozen=True)
class Purged:
    """What one run of the retention job shredded: case references, and the ids of stale drafts."""

    expired: list[str] = field(default_factory=list)  # closed cases past the retention period
    replayed: list[str] = field(default_factory=list)  # cases erased after the restored backup was taken
    drafts: list[str] = field(default_factory=list)  # screening drafts left open too long


def purge(*, session: Session, database, retention_days: int, tombstones: Path | None = None,  # noqa: ANN001
          draft_max_hours: int | None = None, now: datetime | None = None) -> Purged:
    """Shred expired cases, cases erased before a backup was restored and (given ``draft_max_hours``) stale
    drafts; then make sure no shredded byte stays in the database's live files."""
    expired = expired_cases(session=session, retention_days=retention_days, now=now)
    for case in expired:
        shred(session=session, case=case, actor_id=None, action="case.purge", reason="retention", now=now)
    replayed = replay_tombstones(session=session, tombstones=tombstones, now=now)
    drafts = ([] if draft_max_hours is None
              else shred_stale_drafts(session=session, max_hours=draft_max_hours, now=now))
    session.commit()
    if expired or replayed or drafts:
        database.scrub_after_erasure()
    return Purged([c.reference for c in expired], [c.reference for c in replayed], drafts)
