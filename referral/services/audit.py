"""The audit trail: append-only, hash-chained events naming who did what to which object, never a person.

Event ``n`` stores ``hash_n = SHA-256(canonical(n, at, actor, post, action, object, detail, hash_{n-1}))``, so
an edited, inserted, deleted or reordered row breaks every link after it, and ``verify_chain`` names the first.
A chain can also be cut short and re-chained (the hashes need no secret), so the head is checkpointed now and
then with the installation's signing key, in the database and in an anchor file outside it: a tail that is
shorter than a signed checkpoint, or differs from one, is reported.

Appends are serialised: SQLite's ``BEGIN IMMEDIATE`` already holds the write lock; PostgreSQL takes a
transaction-scoped advisory lock. On PostgreSQL the app's role cannot UPDATE or DELETE audit rows at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session, select

from ..models import AuditCheckpoint, AuditEvent, now_utc, utc

GENESIS = "0" * 64
_ADVISORY_LOCK = 72_011_001  # any constant; only the audit appender uses it
_EVENTS = AuditEvent.__table__
_SAFE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SAFE_WORD = re.compile(r"^[A-Za-z0-9_.:\-]{0,64}$")
CHECKPOINT_EVERY = 100


class AuditDetailRejected(ValueError):
    """An audit detail held something other than coarse values (ids, codes, counts)."""


def canonical_time(moment: datetime | str) -> str:
    """UTC, microseconds, 'Z'. SQLite hands back 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): reshaped without parsing."""
    if isinstance(moment, str):
        if len(moment) == 26 and moment[10] == " ":
            return f"{moment[:10]}T{moment[11:]}Z"
        moment = datetime.fromisoformat(moment)
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _field(value: object) -> str:
    return "\x00" if value is None else str(value)


def event_hash(seq: int, at: str, actor_id: int | None, post_id: int | None, action: str,
               object_type: str | None, object_id: str | None, detail: str, prev_hash: str) -> str:
    """SHA-256 over the fields joined by the unit separator; None is NUL, which no stored field can hold."""
    body = "\x1f".join((str(seq), at, _field(actor_id), _field(post_id), action, _field(object_type),
                        _field(object_id), detail, prev_hash))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def clean_detail(detail: Mapping[str, object] | None) -> str:
    """Canonical JSON of a detail made only of counts, flags and short codes; anything else is refused."""
    if not detail:
        return "{}"
    out: dict[str, object] = {}
    for key, value in detail.items():
        if not _SAFE_KEY.match(str(key)):
            raise AuditDetailRejected("audit detail keys are short lower-case words")
        if isinstance(value, list | tuple):
            if len(value) > 32 or not all(isinstance(v, str) and _SAFE_WORD.match(v) for v in value):
                raise AuditDetailRejected(f"audit detail '{key}' must be a short list of codes")
            out[key] = list(value)
        elif value is None or isinstance(value, bool | int):
            out[key] = value
        elif isinstance(value, str) and _SAFE_WORD.match(value):
            out[key] = value
        else:
            raise AuditDetailRejected(f"audit detail '{key}' must be a count, a flag or a code")
    return json.dumps(out, sort_keys=True, separators=(",", ":"))


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})


def record(session: Session, *, action: str, actor_id: int | None = None, post_id: int | None = None,
           object_type: str | None = None, object_id: str | None = None,
           detail: Mapping[str, object] | None = None, at: datetime | None = None) -> int:
    """Append one event in the caller's transaction: it commits, or rolls back, with the action it records.

    Returns the event's number. The row is written with a plain INSERT, not through the ORM's unit of work: every
    answer of a screening writes one, and the ORM's object and flush cost twice the statement itself.
    """
    detail_json = clean_detail(detail)
    _lock_chain(session)
    head = session.exec(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    moment = utc(at) if at is not None else now_utc()
    digest = event_hash(seq, canonical_time(moment), actor_id, post_id, action, object_type, object_id,
                        detail_json, prev)
    session.execute(insert(_EVENTS).values(seq=seq, at=moment, actor_id=actor_id, post_id=post_id, action=action,
                                           object_type=object_type, object_id=object_id, detail=detail_json,
                                           prev_hash=prev, hash=digest))
    return seq


# -- checkpoints ------------------------------------------------------------------------------------------------

def _checkpoint_bytes(seq: int, digest: str) -> bytes:
    return f"{seq}:{digest}".encode("ascii")


def checkpoint(session: Session, vault, anchor: Path | None = None) -> int:  # noqa: ANN001 - a Vault
    """Sign the chain's head into the database (committing) and, after the commit, into the anchor file."""
    head = session.exec(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if head is None:
        return 0
    seq, digest = head
    signature = vault.sign_checkpoint(_checkpoint_bytes(seq, digest))
    if session.get(AuditCheckpoint, seq) is None:
        session.add(AuditCheckpoint(seq=seq, hash=digest, at=now_utc(), signature=signature))
        session.commit()
    if anchor is not None:
        write_anchor(anchor, seq, digest, signature)
    return seq


def read_anchor(anchor: Path) -> tuple[int, str, bytes] | None:
    try:
        seq, digest, signature = anchor.read_text(encoding="ascii").split()
        return int(seq), digest, bytes.fromhex(signature)
    except FileNotFoundError:
        return None
    except ValueError:
        return (-1, "", b"")


def write_anchor(anchor: Path, seq: int, digest: str, signature: bytes) -> None:
    """Move the anchor forward (never back), atomically and durably."""
    current = read_anchor(anchor)
    if current is not None and current[0] >= seq:
        return
    anchor.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = anchor.with_name(f"{anchor.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, f"{seq} {digest} {signature.hex()}\n".encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, anchor)


# -- verification -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_broken: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.events} events"
        return f"audit chain BROKEN at event {self.first_broken}: {self.reason}"


def verify_rows(rows: Iterable[tuple]) -> tuple[ChainReport, dict[int, str]]:
    """Check links and hashes of rows (seq, at, actor, post, action, type, id, detail, prev, hash) in seq order.

    Returns the report and the hash of every event, for the checkpoint checks.
    """
    prev, expected, hashes = GENESIS, 1, {}
    for seq, at, actor_id, post_id, action, object_type, object_id, detail, prev_hash, digest in rows:
        if seq != expected:
            what = "is missing" if seq > expected else "is out of order or repeated"
            return ChainReport(False, expected - 1, expected, f"event {expected} {what}"), hashes
        if prev_hash != prev:
            return ChainReport(False, expected - 1, seq, "it does not link to the event before it"), hashes
        if event_hash(seq, canonical_time(at), actor_id, post_id, action, object_type, object_id, detail,
                      prev_hash) != digest:
            return ChainReport(False, expected - 1, seq, "its content does not match its hash"), hashes
        hashes[seq] = digest
        prev, expected = digest, expected + 1
    return ChainReport(True, expected - 1), hashes


def _batches(cursor, size: int = 10_000):  # noqa: ANN001, ANN202
    while rows := cursor.fetchmany(size):
        yield from rows


def verify_chain(session: Session, vault=None, anchor: Path | None = None) -> ChainReport:  # noqa: ANN001
    """Verify every link, then the signed checkpoints (database and anchor file) against the chain."""
    # The driver's own cursor: SQLAlchemy's row processing would cost more than the hashing.
    cursor = session.connection().connection.driver_connection.cursor()
    cursor.execute("SELECT seq, at, actor_id, post_id, action, object_type, object_id, detail, prev_hash, hash "
                   "FROM audit_events ORDER BY seq")
    report, hashes = verify_rows(_batches(cursor))
    cursor.close()
    if not report.ok or vault is None:
        return report
    marks = [(row.seq, row.hash, row.signature) for row in session.exec(select(AuditCheckpoint))]
    found = read_anchor(anchor) if anchor is not None else None
    if found is not None:
        marks.append(found)
    for seq, digest, signature in sorted(marks):
        if not vault.verify_checkpoint(_checkpoint_bytes(seq, digest), bytes(signature)):
            return ChainReport(False, report.events, seq, "a checkpoint of the chain is not validly signed")
        if seq > report.events:
            return ChainReport(False, report.events, report.events + 1,
                               f"the chain ends at event {report.events} but a signed checkpoint saw event "
                               f"{seq}: events were removed from the end")
        if hashes.get(seq) != digest:
            return ChainReport(False, report.events, seq,
                               f"the chain differs from the signed checkpoint at event {seq}: it was rewritten")
    return report
