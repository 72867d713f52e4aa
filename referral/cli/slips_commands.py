"""`referral slips render|verify|check-code|key`: batch printing at the post, the retry job, checking slips.

Output names referrals by id and cases by reference only. Slip files hold personal data: they are written
readable by their owner only, into a folder the official chose, and the command says so.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlmodel import select

from ..guidelines import current_guidelines
from ..models import Referral
from ..services import audit, slips
from ..services.cases import find_case
from ..services.intake import load_identity_form
from ..services.slip_signature import key_fingerprint
from . import store

slips_group = AppGroup("slips", help="Referral slips: render them for printing, produce pending ones, verify a file.")


def _write(folder: Path, slip: slips.Slip) -> Path:
    path = folder / slip.filename
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(slip.pdf)
    return path


@slips_group.command("render")
@click.argument("reference", required=False)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDF files (created if missing). Without it nothing is written.")
@click.option("--pending", is_flag=True, help="Produce every slip still pending, of every case (the retry job).")
@click.option("--second-language", default=None, help="Labels in a second language too (a locale code, e.g. en).")
@click.option("--as", "username", default="admin", show_default=True, help="The user recorded as producing them.")
def render_command(reference: str | None, out_dir: Path | None, pending: bool, second_language: str | None,
                   username: str) -> None:
    """Render the slips of case REFERENCE (all its referrals, for a batch print at the post), or with --pending
    every slip that could not be produced yet. One line per referral: its id, destination and the outcome."""
    if bool(reference) == pending:
        raise click.UsageError("give a case REFERENCE, or --pending")
    settings, vault, database = store.settings(), store.vault(), store.database()
    gset, form = current_guidelines(), load_identity_form(settings.forms_dir)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[tuple[str, Path]] = []

    def sink(slip: slips.Slip) -> None:
        if out_dir is not None:
            written.append((slip.referral_id, _write(out_dir, slip)))

    with database.read_session() as session:
        actor = store.acting_user(session, username).id
        if pending:
            referrals = None
        else:
            case = find_case(session=session, reference=reference.strip().upper())
            if case is None:
                raise click.ClickException("no case with that reference")
            referrals = list(session.exec(select(Referral).where(Referral.case_id == case.id)
                                          .order_by(Referral.due_at, Referral.kind)))
    if referrals is None:
        outcomes = [(referral_id, None, outcome) for referral_id, outcome in slips.produce_pending(
            database=database, vault=vault, gset=gset, form=form, actor_id=actor, sink=sink)]
    else:
        outcomes = [(referral.id, referral.kind, slips.produce_one(
            database=database, vault=vault, gset=gset, form=form, referral=referral, actor_id=actor, sink=sink,
            second_language=second_language)) for referral in referrals]
    for referral_id, kind, outcome in outcomes:
        words = {"ready": "slip produced", "held": "held: no slip until the agency's key is set up",
                 "erased": "erased: no slip"}.get(outcome, f"slip pending ({outcome})")
        click.echo(f"{referral_id}  {kind or ''}  {words}".replace("    ", "  "))
    if written:
        with database.session() as session:  # a slip written to a file leaves the system: audited, one by one
            for referral_id, _path in written:
                audit.record(session, action="slip.written", actor_id=actor, object_type="referral",
                             object_id=referral_id)
            session.commit()
    for _referral_id, path in written:
        click.echo(f"wrote {path}")
    if written:
        click.echo("These files hold personal data: print them, hand them over, then delete them.", err=True)
    if any(outcome not in ("ready", "held", "erased") for _, _, outcome in outcomes):
        sys.exit(1)


@slips_group.command("verify")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust", "trusted", multiple=True,
              help="Another deployment's slip key (64 hex digits) to accept; the keys folder's "
                   f"'{slips.TRUSTED_KEYS_FILE}' file lists more.")
def verify_command(files: tuple[Path, ...], trusted: tuple[str, ...]) -> None:
    """Say whether each FILE is a genuine referral slip: signed by a deployment this one trusts (which one, by its
    key fingerprint) and untouched since. Exits 1 if any is not."""
    try:
        extra = [bytes.fromhex(key) for key in trusted]
    except ValueError:
        raise click.UsageError("--trust takes a key as 64 hexadecimal digits") from None
    vault, failed = store.vault(), 0
    own = key_fingerprint(vault.signing_public_key)
    for path in files:
        check = slips.check_slip(vault, path.read_bytes(), extra)
        if not check.found:
            click.echo(f"{path.name}: NOT GENUINE: {check.problem or 'no slip signature found'}")
        elif not check.untouched:
            click.echo(f"{path.name}: NOT GENUINE: the file was changed after it was signed "
                       f"(it claims deployment key {check.fingerprint})")
        elif not check.trusted:
            click.echo(f"{path.name}: NOT GENUINE here: signed by deployment key {check.fingerprint}, which this "
                       f"deployment does not trust (its own key is {own})")
        else:
            which = "this deployment" if check.fingerprint == own else "a trusted deployment"
            click.echo(f"{path.name}: GENUINE: signed by {which} (key {check.fingerprint}), untouched; "
                       f"referral {check.referral_id}, verification code {check.verification_code}")
        failed += not check.genuine
    if failed:
        sys.exit(1)


@slips_group.command("check-code")
@click.argument("referral_id")
@click.argument("code")
def check_code_command(referral_id: str, code: str) -> None:
    """Say whether CODE is the verification code printed on the slip of REFERRAL_ID (a paper copy's QR code)."""
    settings, vault = store.settings(), store.vault()
    with store.database().read_session() as session:
        referral = session.get(Referral, referral_id.strip().lower())
        try:
            matches = referral is not None and slips.check_verification_code(
                session=session, vault=vault, gset=current_guidelines(), form=load_identity_form(settings.forms_dir),
                referral=referral, code=code)
        except slips.SlipUnavailable:
            matches = False
    click.echo("the code matches this referral's slip" if matches else "NO MATCH: not the code of this referral's slip")
    if not matches:
        sys.exit(1)


@slips_group.command("key")
def key_command() -> None:
    """Print this deployment's slip key, for other deployments to trust (their keys folder's trusted-slip-keys)."""
    key = store.vault().signing_public_key
    click.echo(f"{key.hex()}  # fingerprint {key_fingerprint(key)}")
