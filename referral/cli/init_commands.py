"""`referral init`: keys, database and the first administrator. Safe to run again: it only adds what is missing."""

from __future__ import annotations

import os

import click

from ..config import ConfigError, Settings
from ..vault import VaultError, provision_keys

ADMIN = "admin"


@click.command("init")
def init_command() -> None:
    """Create the keys, the database schema and the administrator `admin` (REFERRAL_ADMIN_PASSWORD or a prompt)."""
    try:
        settings = Settings.from_env()
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for created in provision_keys(settings.keys_dir, settings.kek_file, settings.kek_from_env):
            click.echo(f"created the {created} in {settings.keys_dir}")
        from .. import create_app

        app = create_app(settings)
    except (ConfigError, VaultError) as exc:
        raise click.ClickException(str(exc)) from exc
    with app.app_context():
        _init_database(app)


def _init_database(app) -> None:  # noqa: ANN001
    from ..db import get_db
    from ..services import audit
    from ..services.retention import replay_tombstones
    from ..services.users import PasswordRejected, create_user, find_user

    database = get_db(app)
    database.upgrade()
    click.echo("database schema is up to date")
    settings = app.extensions["referral.settings"]
    with database.session() as session:
        if find_user(session=session, username=ADMIN) is None:
            password = os.environ.get("REFERRAL_ADMIN_PASSWORD") or click.prompt(
                "Password for the administrator 'admin'", hide_input=True, confirmation_prompt=True)
            try:
                create_user(session=session, username=ADMIN, password=password, role="admin")
            except PasswordRejected as exc:
                raise click.ClickException(str(exc)) from exc
            session.commit()
            click.echo("created the administrator 'admin'")
        else:
            click.echo("the administrator 'admin' exists already; its password is unchanged")
        # A database restored from a backup must not bring erased cases back (P-05).
        replayed = replay_tombstones(session=session, tombstones=settings.tombstones_file)
        session.commit()
        if replayed:
            database.scrub_after_erasure()
            click.echo(f"shredded {len(replayed)} cases erased after the backup was taken")
        audit.checkpoint(session, app.extensions["vault"], settings.audit_anchor_file)
