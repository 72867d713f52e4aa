"""`referral demo seed`: a demonstration installation that can be tried at once, on fictional data only.

It adds what is missing and changes nothing that exists, so it is safe to run again: a post in every country
that has a referral pathway (with a fictional duty telephone), one account per role, and the fictional cases of
deploy/demo-cases.json (each with an idempotency key, so a second run finds them instead of making copies). The
accounts' passwords are written here and printed, for a demonstration only; the command refuses to run in
production.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlmodel import select

from ..config import PROJECT_ROOT
from ..guidelines import current_guidelines
from ..models import Agency, Case, Post, User
from ..services import audit, slips
from ..services.cases import CaseRefused, PostPhoneInvalid, close_case, create_case, ensure_post
from ..services.intake import IdentityInvalid, load_identity_form
from ..services.organisation import ensure_agency, set_post_phone
from ..services.users import create_user, find_user, verify_password
from . import store

DEMO_CASES = PROJECT_ROOT / "deploy" / "demo-cases.json"
HOME_COUNTRY = "kz"  # the accounts' post; its demonstration post gets most of the cases
# A duty telephone for each demonstration post, printed on its slips: the country's calling code and an area
# code, then an exchange of zeros that is not in service. Fictional, like everything the seed makes.
DEMO_PHONES = {"kz": "+7 7172 00 01 01", "kg": "+996 312 00 01 02", "tj": "+992 37 000 01 03",
               "tm": "+993 12 00 01 04", "uz": "+998 71 000 01 05", "az": "+994 12 000 01 06",
               "tr": "+90 312 000 01 07"}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    password: str  # demonstration only
    agency_kind: str | None = None


ACCOUNTS = (
    DemoAccount("admin", "admin", "demo-admin-password"),
    DemoAccount("demo-official", "official", "demo-official-password"),
    DemoAccount("demo-supervisor", "supervisor", "demo-supervisor-password"),
    DemoAccount("demo-agency", "agency_officer", "demo-agency-password", agency_kind="unhcr"),
    DemoAccount("demo-trainer", "trainer", "demo-trainer-password"),
)

demo_group = AppGroup("demo", help="A demonstration installation on fictional data (never on a real server).")


@demo_group.command("seed")
@click.option("--cases", "cases_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=DEMO_CASES, show_default=True, help="The fictional cases (and their posts) to add.")
def seed_command(cases_file: Path) -> None:
    """Add demonstration posts, one account per role and fictional cases; print the accounts."""
    settings, vault, database = store.settings(), store.vault(), store.database()
    if settings.env == "production":
        raise click.ClickException("demonstration accounts and cases are never created in production")
    data = _read(cases_file)
    gset = current_guidelines()
    with database.session() as session:
        posts = _posts(session, gset, data.get("posts") or [])
        session.commit()
        accounts = _accounts(session, gset, posts[HOME_COUNTRY] if HOME_COUNTRY in posts else None)
        session.commit()
        created, found = _cases(session, vault, gset, load_identity_form(settings.forms_dir), posts, accounts,
                                data.get("cases") or [], enrol=True)
        audit.checkpoint(session, vault, settings.audit_anchor_file)
    # Their slips too, as a screening's submit does: the demonstration shows referrals ready, not "Slip pending".
    outcomes = slips.produce_pending(database=database, vault=vault, gset=gset,
                                     form=load_identity_form(settings.forms_dir))
    ready = sum(1 for _referral, outcome in outcomes if outcome == "ready")
    click.echo(f"posts: {', '.join(sorted({p.code for p in posts.values()}))}")
    click.echo(f"cases: {created} created, {found} there already")
    left = len(outcomes) - ready
    click.echo(f"slips: {ready} produced" + (f", {left} still pending" if left else ""))
    _print_accounts(accounts)


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise click.ClickException(f"{path.name} is not a readable JSON file") from None
    if not isinstance(data, dict):
        raise click.ClickException('the file must be {"posts": [...], "cases": [...]}')
    return data


def _posts(session, gset, listed: list) -> dict[str, Post]:  # noqa: ANN001
    """The file's posts, then a demonstration post in every pathway country the file leaves out; by code too.

    Each has a duty telephone (the file's, or DEMO_PHONES'); a post seeded before posts had one is given it.
    """
    countries = {code.lower() for code in gset.pathways}
    by_key: dict[str, Post] = {}
    for entry in listed:
        if isinstance(entry, dict) and str(entry.get("country", "")).lower() in countries:
            country = str(entry["country"]).lower()
            phone = entry.get("phone") or DEMO_PHONES.get(country)
            try:
                post = ensure_post(session=session, code=str(entry["code"]), country=country,
                                   name=str(entry.get("name") or entry["code"]),
                                   phone=str(phone) if phone else None)
            except PostPhoneInvalid:
                raise click.ClickException(f"post {entry['code']}: the phone is not a telephone number") from None
            by_key.setdefault(post.country, post)
            by_key[post.code] = post
    for country in sorted(countries - set(by_key)):
        post = ensure_post(session=session, code=f"{country.upper()}-DEMO-1", country=country,
                           name=f"Demonstration post, {gset.pathways[country.upper()].name} (fictional)",
                           phone=DEMO_PHONES.get(country))
        by_key[country] = by_key[post.code] = post
    for post in {post.id: post for post in by_key.values()}.values():
        if post.phone is None and DEMO_PHONES.get(post.country):
            set_post_phone(session=session, post=post, phone=DEMO_PHONES[post.country], actor_id=None)
    return by_key


def _accounts(session, gset, home: Post | None) -> list[tuple[DemoAccount, User, str]]:  # noqa: ANN001
    """Each demonstration account, created when missing; with where it belongs."""
    out = []
    for account in ACCOUNTS:
        user = find_user(session=session, username=account.username)
        if user is None:
            post_id = agency_id = None
            if account.agency_kind and home is not None:
                agency_id = ensure_agency(session=session, gset=gset, country=home.country,
                                          kind=account.agency_kind).id
            elif account.role in ("official", "supervisor", "trainer") and home is not None:
                post_id = home.id
            user = create_user(session=session, username=account.username, password=account.password,
                               role=account.role, post_id=post_id, agency_id=agency_id)
        where = ""
        if user.post_id is not None:
            where = session.get(Post, user.post_id).code
        elif user.agency_id is not None:
            agency = session.get(Agency, user.agency_id)
            where = f"{agency.country.upper()}: {agency.name}"
        out.append((account, user, where))
    return out


def _cases(session, vault, gset, form, posts: dict[str, Post], accounts, entries: list,  # noqa: ANN001
           enrol: bool) -> tuple[int, int]:
    """Create the file's cases that are not there yet; the home post's by its official, the others by admin."""
    users = {account.role: user for account, user, _where in accounts}
    created = found = 0
    for number, entry in enumerate(entries, 1):
        post = posts.get(str(entry.get("post"))) if isinstance(entry, dict) else None
        key = entry.get("idempotency_key") if isinstance(entry, dict) else None
        if post is None or not key:
            raise click.ClickException(f"case #{number}: needs a post of the file and an idempotency_key")
        if session.exec(select(Case.id).where(Case.idempotency_key == key)).first() is not None:
            found += 1
            continue
        at_home = users["official"].post_id == post.id
        author = users["official"] if at_home else users["admin"]
        try:
            case = create_case(session=session, vault=vault, gset=gset, form=form, user=author, post=post,
                               facts=entry.get("facts") or {}, identity=entry.get("identity") or {},
                               consent_refused=entry.get("consent_refused") or (), idempotency_key=key,
                               enrol_agency_keys=enrol)
            if entry.get("closed"):
                close_case(session=session, user=users["supervisor"] if at_home else author, case=case)
            session.commit()
        except (CaseRefused, IdentityInvalid) as exc:
            session.rollback()
            raise click.ClickException(f"case #{number}: not created: {exc}") from None
        created += 1
    return created, found


def _print_accounts(accounts) -> None:  # noqa: ANN001
    click.echo("")
    click.echo("Demonstration accounts. These passwords are for this demonstration ONLY: never use them, or this")
    click.echo("installation, for real cases.")
    for account, user, where in accounts:
        if verify_password(user, account.password):
            shown = account.password
        else:
            shown = "(not the demonstration password: it was set or changed by someone)"
        place = f"  [{where}]" if where else ""
        click.echo(f"  {account.role:<15} user {account.username:<16} password {shown}{place}")
