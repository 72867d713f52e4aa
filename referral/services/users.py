"""Users and their passwords (argon2id). Tests swap in fast hashing parameters through a fixture."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from ..models import ROLES, User, now_utc
from . import audit

# At least SecureDrop's parameters: argon2id, 64 MiB, 4 passes, 2 lanes.
HASHER = PasswordHasher(time_cost=4, memory_cost=64 * 1024, parallelism=2)
MIN_PASSWORD = 12
MAX_PASSWORD = 128


class PasswordRejected(ValueError):
    """A password that does not meet the rules; the message never repeats it."""


def _common_passwords() -> frozenset[str]:
    """The 3,000 most common passwords (from zxcvbn's frequency list, which ships as a package)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:3000])


COMMON_PASSWORDS = _common_passwords()


def check_password_rules(password: str) -> None:
    """Length only, plus the common-password list: no composition rules (P-11)."""
    if len(password) < MIN_PASSWORD:
        raise PasswordRejected(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise PasswordRejected(f"a password has at most {MAX_PASSWORD} characters")
    if password.lower() in COMMON_PASSWORDS:
        raise PasswordRejected("this password is one of the most common ones")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def create_user(*, session: Session, username: str, password: str, role: str, post_id: int | None = None,
                agency_id: int | None = None, actor_id: int | None = None) -> User:
    """Add a user (audited, in the caller's transaction)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    check_password_rules(password)
    user = User(username=username, password_hash=hash_password(password), role=role, post_id=post_id,
                agency_id=agency_id, password_changed_at=now_utc())
    session.add(user)
    session.flush()
    audit.record(session, action="user.create", actor_id=actor_id, object_type="user", object_id=str(user.id),
                 detail={"role": role})
    return user


def change_password(*, session: Session, user: User, password: str) -> None:
    """Set a new password (audited, in the caller's transaction); the caller ends the user's sessions."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = now_utc()
    session.add(user)
    audit.record(session, action="user.password", actor_id=user.id, object_type="user", object_id=str(user.id))


def set_user_active(*, session: Session, user: User, active: bool, actor_id: int | None = None) -> None:
    """Disable an account, or enable it again (audited, in the caller's transaction).

    A disabled user cannot sign in, and the web checks ``active`` on every request; the caller also deletes the
    user's sessions, so that a tablet signed in as that user is signed out at once.
    """
    user.active = active
    session.add(user)
    audit.record(session, action="user.enable" if active else "user.disable", actor_id=actor_id,
                 object_type="user", object_id=str(user.id))
