"""The database tables (SQLModel).

Cases keep coarse columns in clear, for routing and statistics (post, dates, guideline versions, categories,
urgency, status), and everything identifying in one sealed payload whose data key is wrapped by the vault.
Referrals hold a payload sealed to the receiving agency's public key. The audit trail is append-only and
hash-chained; it names actors and objects by id, never a person.

Timestamps are timezone-aware UTC (SQLite hands them back naive: use ``utc()``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

ROLES = ("admin", "official", "supervisor", "agency_officer", "trainer")
CASE_STATUSES = ("open", "closed", "erased")
REFERRAL_STATUSES = ("pending", "held", "accepted", "declined", "erased")
CONSENT_DECISIONS = ("given", "refused", "kept_by_rule")


def now_utc() -> datetime:
    return datetime.now(UTC)


def utc(moment: datetime | None) -> datetime | None:
    """A timestamp read back from the database as aware UTC (SQLite returns naive UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Post(SQLModel, table=True):
    __tablename__ = "posts"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    country: str = Field(max_length=8, index=True)  # lower-case ISO 3166 alpha-2: picks the pathway
    name: str = Field(max_length=200)
    # The post's duty telephone, printed on slips for agencies off the system (an office number, not personal data).
    phone: str | None = Field(default=None, max_length=40, nullable=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))


class Agency(SQLModel, table=True):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("country", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=8)
    kind: str = Field(max_length=64)  # a destination kind of guidelines/facts.yaml
    name: str = Field(max_length=200)
    slip_language: str = Field(default="en", max_length=16)
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))


class AgencyKey(SQLModel, table=True):
    """An agency's public key; the private half never enters the database."""

    __tablename__ = "agency_keys"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agencies.id", index=True)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    fingerprint: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    retired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=32)
    post_id: int | None = Field(default=None, foreign_key="posts.id")
    agency_id: int | None = Field(default=None, foreign_key="agencies.id")
    active: bool = True
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    password_changed_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    reference: str = Field(max_length=48, unique=True, index=True)  # printed on slips: post code + random
    post_id: int = Field(foreign_key="posts.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True), index=True)
    status: str = Field(default="open", max_length=16, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    erased_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    # Coarse, clear: routing and statistics only.
    country: str = Field(max_length=8)
    urgency: str = Field(max_length=32)
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    guideline_versions: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    idempotency_key: str | None = Field(default=None, max_length=64, unique=True, nullable=True)
    # Sealed: everything identifying. Both are set to NULL when the case is erased.
    seal_count: int = 1
    sealed_payload: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    wrapped_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    kek_id: str | None = Field(default=None, max_length=32, index=True)


class Referral(SQLModel, table=True):
    """One referral per receiving agency."""

    __tablename__ = "referrals"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    agency_id: int | None = Field(default=None, foreign_key="agencies.id", index=True)
    kind: str = Field(max_length=64)
    requested_as: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    urgency: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    status: str = Field(default="pending", max_length=16, index=True)
    status_reason: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    agency_key_id: int | None = Field(default=None, foreign_key="agency_keys.id")
    sealed_payload: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    # Delivery and feedback (brief §3.3 item 7, §3.5); coarse and clear. The slip itself is never stored: it is
    # rendered from the sealed case when asked for, and `slip_status` says whether that has worked yet.
    slip_status: str = Field(default="pending", max_length=16)  # pending (not produced yet, or failed), ready
    slip_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    acknowledged_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    acknowledged_via: str | None = Field(default=None, max_length=16)  # inbox, phone
    answered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class ConsentRecord(SQLModel, table=True):
    __tablename__ = "consent_records"

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="cases.id", index=True, max_length=32)
    kind: str = Field(max_length=64)
    decision: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=64)  # the rule that kept a refused referral
    recorded_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    recorded_by: int | None = Field(default=None, foreign_key="users.id")


class AuditEvent(SQLModel, table=True):
    """One link of the audit chain: ``hash = H(prev_hash, the fields)``; see services/audit.py."""

    __tablename__ = "audit_events"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=DateTime(timezone=True))
    actor_id: int | None = None
    post_id: int | None = None
    action: str = Field(max_length=64)
    object_type: str | None = Field(default=None, max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="{}", max_length=2000)  # canonical JSON of coarse values only
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the chain's head at some moment: a truncated or re-chained tail shows."""

    __tablename__ = "audit_checkpoints"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hash: str = Field(max_length=64)
    at: datetime = Field(sa_type=DateTime(timezone=True))
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class WebSession(SQLModel, table=True):
    """A signed-in (or about to sign in) browser: the cookie holds only a random token; its hash is the id.

    ``data`` holds no personal data: the user id, the interface language, the CSRF secret, the open draft's id.
    """

    __tablename__ = "web_sessions"

    id: str = Field(primary_key=True, max_length=64)  # SHA-256 of the cookie's token
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    data: str = Field(default="{}", max_length=4000)
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    authenticated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    last_seen: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True), index=True)


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, keyed by a keyed hash of the account name or of the client address (never in clear)."""

    __tablename__ = "login_failures"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, index=True)
    at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True), index=True)


class Draft(SQLModel, table=True):
    """A screening in progress, sealed like a case (the draft id is the associated data), so that a dropped
    connection or a closed tab loses no answer and nothing is kept in the browser."""

    __tablename__ = "drafts"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", index=True)
    post_id: int = Field(foreign_key="posts.id", index=True)
    status: str = Field(default="open", max_length=16, index=True)  # open, submitted, abandoned, expired
    case_id: str | None = Field(default=None, foreign_key="cases.id", max_length=32)
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True), index=True)
    seal_count: int = 0
    sealed_payload: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    wrapped_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    kek_id: str | None = Field(default=None, max_length=32, index=True)


# -- training (issue 7) -----------------------------------------------------------------------------------------
# Workshops walk fictional scenarios on the real trees. Their data is fictional by construction, so it is kept in
# clear and apart: never sealed, never in the case store (cases, referrals, drafts), the audit trail or statistics.

WORKSHOP_MODES = ("solo", "roleplay")


class Workshop(SQLModel, table=True):
    """A trainer's choice of scenarios, and the code that trainees join with (no account needed)."""

    __tablename__ = "workshops"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    trainer_id: int = Field(foreign_key="users.id", index=True)
    title: str = Field(max_length=120)
    scenario_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mode: str = Field(default="solo", max_length=16)  # solo, roleplay (WORKSHOP_MODES)
    created_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class Trainee(SQLModel, table=True):
    """Someone in a workshop: a display name only. The session keeps the trainee's id; ``token_hash`` is the
    SHA-256 of a resume code shown to the trainee, to come back after the tablet's session has ended."""

    __tablename__ = "trainees"
    __table_args__ = (UniqueConstraint("workshop_id", "display_name"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshops.id", index=True)
    display_name: str = Field(max_length=40)
    token_hash: str = Field(max_length=64, unique=True)
    joined_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))


class TrainingRun(SQLModel, table=True):
    """One trainee's walk of one scenario: the answers (``Answers.to_json``) and, once finished, the debrief's
    summary, kept so that the results stand as they were scored even if a tree changes later."""

    __tablename__ = "training_runs"
    __table_args__ = (UniqueConstraint("trainee_id", "scenario_id"),)

    id: int | None = Field(default=None, primary_key=True)
    trainee_id: int = Field(foreign_key="trainees.id", index=True)
    scenario_id: str = Field(max_length=100)
    answers: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    started_at: datetime = Field(default_factory=now_utc, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    correct: bool | None = None
    debrief: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
