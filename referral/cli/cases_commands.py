"""`referral cases import|purge|erase`: the paper-fallback import, the retention job and erasure on request.

Output names cases by reference only; no command prints, logs or echoes personal data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlmodel import select

from ..guidelines import current_guidelines
from ..models import Referral
from ..services import audit
from ..services.cases import (
    CaseRefused,
    CaseUnavailable,
    PostPhoneInvalid,
    create_case,
    ensure_post,
    erase_case,
    find_case,
)
from ..services.intake import IdentityInvalid, load_identity_form
from ..services.retention import purge
from ..web.sessions import purge_expired  # Flask's side: the services must not import the web layer
from . import store

cases_group = AppGroup("cases", help="Case records: import, retention purge, erasure.")


def _read_import(path: Path) -> tuple[list[dict], list[dict]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        # The position says where; the text around it (possibly personal) is not repeated.
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise click.ClickException(f"{path.name} is not a readable JSON file{where}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cases", []), list) \
            or not isinstance(data.get("posts", []), list):
        raise click.ClickException('the file must be {"posts": [...], "cases": [...]}')
    return data.get("posts", []), data.get("cases", [])


@cases_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", default="admin", show_default=True, help="The user recorded as creating them.")
def import_command(file: Path, username: str) -> None:
    """Create the cases of FILE (paper forms typed in while a post was offline), exactly as the web does.

    Prints one line per case, starting with its reference. A case that cannot be created is reported by its
    position in the file (and what is wrong, never the value) and the others still go in.
    """
    posts, cases = _read_import(file)
    settings, vault, database = store.settings(), store.vault(), store.database()
    gset, form = current_guidelines(), load_identity_form(settings.forms_dir)
    failed = 0
    with database.session() as session:
        user = store.acting_user(session, username)
        known = {}
        for entry in posts:
            if not isinstance(entry, dict) or not entry.get("code") or not entry.get("country"):
                raise click.ClickException("every post needs a code and a country")
            try:
                known[entry["code"]] = ensure_post(session=session, code=str(entry["code"]),
                                                   country=str(entry["country"]), name=str(entry.get("name", "")),
                                                   phone=str(entry["phone"]) if entry.get("phone") else None,
                                                   actor_id=user.id)
            except PostPhoneInvalid:
                raise click.ClickException(f"post {entry['code']}: the phone is not a telephone number") from None
        session.commit()
        for number, entry in enumerate(cases, 1):
            post = known.get(entry.get("post")) if isinstance(entry, dict) else None
            if post is None:
                click.echo(f"case #{number}: skipped: its post is not among the file's posts", err=True)
                failed += 1
                continue
            try:
                case = create_case(session=session, vault=vault, gset=gset, form=form, user=user, post=post,
                                   facts=entry.get("facts") or {}, identity=entry.get("identity") or {},
                                   consent_refused=entry.get("consent_refused") or (),
                                   idempotency_key=entry.get("idempotency_key"),
                                   enrol_agency_keys=settings.env != "production")
                session.commit()
            except (CaseRefused, IdentityInvalid) as exc:
                session.rollback()
                click.echo(f"case #{number}: not created: {exc}", err=True)
                failed += 1
                continue
            held = f", {sum(r.status == 'held' for r in case_referrals(session, case.id))} held"
            click.echo(f"{case.reference}  post {post.code}  urgency {case.urgency}  "
                       f"referrals {len(case_referrals(session, case.id))}{held}")
        audit.checkpoint(session, vault, settings.audit_anchor_file)
    if failed:
        click.echo(f"{failed} of {len(cases)} cases were not created", err=True)
        sys.exit(1)


def case_referrals(session, case_id: str) -> list:  # noqa: ANN001
    return list(session.exec(select(Referral).where(Referral.case_id == case_id)))


@cases_group.command("purge")
def purge_command() -> None:
    """Shred closed cases past the retention period (REFERRAL_RETENTION_DAYS) and screening drafts left open
    longer than REFERRAL_DRAFT_MAX_HOURS, and delete expired sign-in sessions; running it twice is harmless."""
    settings, database = store.settings(), store.database()
    with database.session() as session:
        purged = purge(session=session, database=database, retention_days=settings.retention_days,
                       tombstones=settings.tombstones_file, draft_max_hours=settings.draft_max_hours)
        audit.checkpoint(session, store.vault(), settings.audit_anchor_file)
    sessions = purge_expired(current_app, current_app.session_interface)
    for reference in purged.expired:
        click.echo(f"{reference}  shredded (retention period over)")
    for reference in purged.replayed:
        click.echo(f"{reference}  shredded again (erased after the restored backup was taken)")
    click.echo(f"{len(purged.expired) + len(purged.replayed)} cases shredded")
    click.echo(f"{len(purged.drafts)} screening drafts shredded (open for more than {settings.draft_max_hours} "
               "hours without a save)")
    click.echo(f"{sessions} expired sessions deleted")


@cases_group.command("erase")
@click.argument("reference")
@click.option("--as", "username", default="admin", show_default=True, help="The user recorded as erasing it.")
def erase_command(reference: str, username: str) -> None:
    """Erase case REFERENCE now: its data key is destroyed, so nothing identifying can be read again."""
    settings, database = store.settings(), store.database()
    with database.session() as session:
        user = store.acting_user(session, username)
        case = find_case(session=session, reference=reference)
        if case is None:
            raise click.ClickException("no case with that reference")
        if case.status == "erased":
            click.echo(f"{case.reference}  was erased already")
            return
        try:
            erase_case(session=session, database=database, user=user, case=case,
                       tombstones=settings.tombstones_file)
        except CaseUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        audit.checkpoint(session, store.vault(), settings.audit_anchor_file)
    click.echo(f"{case.reference}  erased")
