"""Rotating the key-encryption key: every data key is re-wrapped under a new KEK, then the old one is gone.

Resumable: the next KEK is written first (``kek.next``) and both open cases until the rotation ends, so a run
killed at any point is finished by running it again.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text, update
from sqlmodel import Session

from ..models import Case, Draft
from ..vault import Vault
from . import audit

BATCH = 5000


# Every table whose rows carry a data key wrapped by the KEK: cases, and the screening drafts in progress.
WRAPPED_TABLES = (Case.__table__, Draft.__table__)


def _rewrap_all(session: Session, vault: Vault, target: str) -> int:
    return sum(_rewrap_table(session, vault, target, table) for table in WRAPPED_TABLES)


def _rewrap_table(session: Session, vault: Vault, target: str, table) -> int:  # noqa: ANN001
    if session.get_bind().dialect.name == "postgresql":
        # No row may be added under the old KEK while we re-wrap (the app's role holds UPDATE on the table).
        session.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))
    rows = session.execute(text(f"SELECT id, wrapped_key, kek_id FROM {table.name} "  # noqa: S608 - fixed names
                                "WHERE wrapped_key IS NOT NULL AND kek_id <> :target"), {"target": target}).all()
    statement = (update(table).where(table.c.id == bindparam("case_id"))
                 .values(wrapped_key=bindparam("key"), kek_id=target))
    done, batch = 0, []
    for case_id, wrapped in vault.rewrap(((r[0], r[1], r[2]) for r in rows), target):
        batch.append({"case_id": case_id, "key": wrapped})
        if len(batch) >= BATCH:
            session.connection().execute(statement, batch)
            done, batch = done + len(batch), []
    if batch:
        session.connection().execute(statement, batch)
        done += len(batch)
    return done


def rotate_kek(*, session: Session, database, vault: Vault, actor_id: int | None = None) -> int:  # noqa: ANN001
    """Re-wrap every data key under a new KEK; return how many were re-wrapped. Audited."""
    target = vault.begin_rotation()
    count = _rewrap_all(session, vault, target)
    audit.record(session, action="keys.rotate", actor_id=actor_id, object_type="kek", object_id=target,
                 detail={"cases": count})
    session.commit()
    vault.end_rotation(target)
    # A case sealed by another process just before the new key became current: sweep once more.
    straggler_count = _rewrap_all(session, vault, target)
    session.commit()
    vault.forget_old_keks()
    session.expire_all()  # cases loaded before hold the old wrapped keys
    database.checkpoint_wal()
    return count + straggler_count
