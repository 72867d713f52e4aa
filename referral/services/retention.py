"""Retention: closed cases are shredded once their retention period has run out; tombstones are replayed.

Both are idempotent: a second run finds nothing left to do. Coarse columns stay, so statistics are kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from ..models import Case, now_utc, utc
from .cases import shred


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


def purge(*, session: Session, database, retention_days: int, tombstones: Path | None = None,  # noqa: ANN001
          now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Shred expired cases and cases erased before a backup was restored; return both lists of references."""
    expired = expired_cases(session=session, retention_days=retention_days, now=now)
    for case in expired:
        shred(session=session, case=case, actor_id=None, action="case.purge", reason="retention", now=now)
    replayed = replay_tombstones(session=session, tombstones=tombstones, now=now)
    session.commit()
    if expired or replayed:
        database.scrub_after_erasure()
    return [c.reference for c in expired], [c.reference for c in replayed]
