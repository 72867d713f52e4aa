"""What the storage commands share: the running app's database, vault, settings and acting user."""

from __future__ import annotations

import click
from flask import current_app

from ..config import Settings
from ..db import Database, get_db
from ..models import User
from ..services.users import find_user
from ..vault import Vault


def settings() -> Settings:
    return current_app.extensions["referral.settings"]


def vault() -> Vault:
    return current_app.extensions["vault"]


def database() -> Database:
    return get_db()


def acting_user(session, username: str) -> User:  # noqa: ANN001
    user = find_user(session=session, username=username)
    if user is None or not user.active:
        raise click.ClickException(f"no active user '{username}': run `referral init` first, or pass --as")
    return user
