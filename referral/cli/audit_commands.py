"""`referral audit verify` and `referral keys rotate`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from ..services import audit
from ..services.keys import rotate_kek
from . import store

audit_group = AppGroup("audit", help="The audit trail.")
keys_group = AppGroup("keys", help="The vault's keys.")


@audit_group.command("verify")
def verify_command() -> None:
    """Check every link of the audit chain and its signed checkpoints; name the first broken event."""
    with store.database().read_session() as session:
        report = audit.verify_chain(session, store.vault(), store.settings().audit_anchor_file)
    click.echo(str(report))
    sys.exit(0 if report.ok else 1)


@keys_group.command("rotate")
@click.option("--as", "username", default="admin", show_default=True, help="The user recorded as doing it.")
def rotate_command(username: str) -> None:
    """Re-wrap every case's data key under a new key-encryption key; the old KEK then opens nothing."""
    vault = store.vault()
    with store.database().session() as session:
        user = store.acting_user(session, username)
        count = rotate_kek(session=session, database=store.database(), vault=vault, actor_id=user.id)
        audit.checkpoint(session, vault, store.settings().audit_anchor_file)
    click.echo(f"re-wrapped {count} data keys under the new key-encryption key {vault.current_kek_id}")
