"""Sign-in throttling: failed attempts per account and per client address, kept under keyed hashes.

Five failures for one account within 15 minutes lock that account's sign-in for the rest of the window; twenty
from one address (password spraying across accounts) lock that address. Other accounts are not affected.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from ..models import LoginFailure, now_utc

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20


def key_for(secret: str, kind: str, value: str) -> str:
    """A keyed hash: the table never holds an account name or an address in clear."""
    return hmac.new(secret.encode(), f"{kind}:{value.strip().lower()}".encode(), hashlib.sha256).hexdigest()


def is_locked(*, session: Session, account_key: str, address_key: str, now: datetime | None = None) -> bool:
    since = (now or now_utc()) - WINDOW

    def failures(key: str) -> int:
        return session.exec(select(func.count()).select_from(LoginFailure)
                            .where(LoginFailure.key == key, LoginFailure.at >= since)).one()

    return failures(account_key) >= ACCOUNT_LIMIT or failures(address_key) >= ADDRESS_LIMIT


def record_failure(*, session: Session, account_key: str, address_key: str, now: datetime | None = None) -> None:
    moment = now or now_utc()
    session.add(LoginFailure(key=account_key, at=moment))
    session.add(LoginFailure(key=address_key, at=moment))


def clear_account(*, session: Session, account_key: str, now: datetime | None = None) -> None:
    """A successful sign-in forgets the account's failures, and every failure older than the window."""
    session.exec(delete(LoginFailure).where(LoginFailure.key == account_key))
    session.exec(delete(LoginFailure).where(LoginFailure.at < (now or now_utc()) - WINDOW))
