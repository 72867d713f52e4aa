"""Posts and agencies as the administrator sees them: create a post or change its duty telephone, list agencies
per country, enrol a key.

A post's country must have a referral pathway (a case at a post without one could refer nobody). An agency
row is made from its pathway entry the first time something needs it (a user of the agency, a key, a
referral); its public key is enrolled here. Whether referrals can go to it is decided by ``agency_clearance``
(SECURITY.md P-29: an agreement in force, the key pinned in the pathway, neither expired): the list says which
agencies are ready, what is missing, and which agreement or key runs out soon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from ..engine import GuidelineSet
from ..models import Agency, AgencyKey, Post, now_utc
from ..vault import Vault
from . import audit, cases
from .cases import PostPhoneInvalid, agency_clearance, enrol_agency_key, ensure_post, post_phone

POST_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


class OrganisationRefused(ValueError):
    """A post or agency change that cannot be made; ``reason`` is a short code the page turns into words."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def pathway_countries(gset: GuidelineSet) -> list[tuple[str, str]]:
    """(lower-case country code, name) of every country with a pathway, in code order."""
    return sorted((code.lower(), pathway.name) for code, pathway in gset.pathways.items())


def list_posts(*, session: Session) -> list[Post]:
    return list(session.exec(select(Post).order_by(Post.country, Post.code)))


def _phone(text: str | None) -> str | None:
    try:
        return post_phone(text)
    except PostPhoneInvalid:
        raise OrganisationRefused("phone_form") from None


def create_post(*, session: Session, gset: GuidelineSet, code: str, country: str, name: str,
                phone: str | None = None, actor_id: int | None) -> Post:
    """Add a post (audited, caller commits). Its code is upper-case letters, digits and dashes, and unique;
    its duty telephone, if given, is a telephone number (``cases.post_phone``)."""
    code, country = code.strip().upper(), country.strip().lower()
    if not POST_CODE.match(code):
        raise OrganisationRefused("code_form")
    if country not in dict(pathway_countries(gset)):
        raise OrganisationRefused("no_pathway")
    if session.exec(select(Post.id).where(Post.code == code)).first() is not None:
        raise OrganisationRefused("code_taken")
    return ensure_post(session=session, code=code, country=country, name=name.strip() or code,
                       phone=_phone(phone), actor_id=actor_id)


def find_post(*, session: Session, code: str) -> Post | None:
    return session.exec(select(Post).where(Post.code == code)).first()


def set_post_phone(*, session: Session, post: Post, phone: str | None, actor_id: int | None) -> bool:
    """Change a post's duty telephone (None or "" removes it); audited when it changes, caller commits.

    The slips made afterwards print the new number (and get a new verification code: the number is signed).
    """
    phone = _phone(phone)
    if phone == post.phone:
        return False
    post.phone = phone
    session.add(post)
    audit.record(session, action="post.update", actor_id=actor_id, object_type="post", object_id=str(post.id),
                 detail={"code": post.code, "changed": ["phone"]})
    return True


# An agreement or key that ends within this time is flagged, so that a renewal can be signed or pinned in time.
EXPIRY_WARNING = timedelta(days=30)
STATES = {cases.NOT_IN_PATHWAY: "not_in_pathway", cases.AGREEMENT_MISSING: "no_agreement",
          cases.AGREEMENT_EXPIRED: "agreement_expired", cases.KEY_MISSING: "no_key",
          cases.KEY_NOT_PINNED: "not_pinned", cases.KEY_MISMATCH: "mismatch", cases.KEY_EXPIRED: "key_expired"}


@dataclass(frozen=True)
class AgencyLine:
    country: str
    kind: str
    name: str
    slip_language: str
    agency_id: int | None  # None: no row yet (nothing has needed it)
    fingerprint: str | None  # the enrolled, active key
    pinned: str  # the fingerprint written in the pathway, or ""
    # ready, or the first of `problems`: not_in_pathway | no_agreement | agreement_expired | no_key | not_pinned |
    # mismatch | key_expired
    state: str
    problems: tuple[str, ...] = ()  # every state that stops referrals in production, in the order checked
    held: bool = False  # referrals to it are held now (outside production some problems are let through)
    agreement_id: str = ""
    agreement_until: date | None = None
    key_until: date | None = None
    expiring: tuple[str, ...] = ()  # "agreement", "key": in force, but ending within EXPIRY_WARNING


def _expiring(until: date | None, today: date) -> bool:
    return until is not None and today <= until <= today + EXPIRY_WARNING


def agencies_by_country(*, session: Session, gset: GuidelineSet, today: date | None = None,
                        development: bool = False) -> dict[str, list[AgencyLine]]:
    """Every agency of every pathway, with its row and key if any, plus rows whose pathway entry is gone.

    ``development`` says whether the development shortcut applies (not production), as case creation decides;
    ``today`` is the UTC date, as for a case created now.
    """
    today = today or now_utc().date()
    rows = {(a.country, a.kind): a for a in session.exec(select(Agency))}
    keys = {k.agency_id: k.fingerprint for k in session.exec(select(AgencyKey).where(AgencyKey.retired_at.is_(None))
                                                             .order_by(AgencyKey.id))}
    out: dict[str, list[AgencyLine]] = {}
    for code, pathway in sorted(gset.pathways.items()):
        country = code.lower()
        for kind, entry in sorted(pathway.agencies.items()):
            row = rows.pop((country, kind), None)
            fingerprint = keys.get(row.id) if row else None
            clearance = agency_clearance(entry, fingerprint, today=today, development=development)
            problems = tuple(STATES[p] for p in clearance.problems)
            agreement = entry.agreement
            expiring = tuple(what for what, until in (("agreement", agreement and agreement.valid_until),
                                                      ("key", entry.key_valid_until if entry.key_fingerprint else None))
                             if _expiring(until, today))
            out.setdefault(country, []).append(AgencyLine(
                country, kind, entry.name, entry.slip_language, row.id if row else None, fingerprint,
                entry.key_fingerprint, problems[0] if problems else "ready", problems, clearance.held,
                agreement.id if agreement else "", agreement.valid_until if agreement else None,
                entry.key_valid_until, expiring))
    for (country, kind), row in sorted(rows.items()):
        out.setdefault(country, []).append(AgencyLine(country, kind, row.name, row.slip_language, row.id,
                                                      keys.get(row.id), "", "not_in_pathway", ("not_in_pathway",),
                                                      True))
    return out


def ensure_agency(*, session: Session, gset: GuidelineSet, country: str, kind: str,
                  actor_id: int | None = None) -> Agency:
    """The agency row for a pathway entry, created (audited) from the pathway when missing."""
    country = country.lower()
    agency = session.exec(select(Agency).where(Agency.country == country, Agency.kind == kind)).first()
    if agency is not None:
        return agency
    pathway = gset.pathways.get(country.upper())
    entry = pathway.agencies.get(kind) if pathway else None
    if entry is None:
        raise OrganisationRefused("not_in_pathway")
    agency = Agency(country=country, kind=kind, name=entry.name, slip_language=entry.slip_language)
    session.add(agency)
    session.flush()
    audit.record(session, action="agency.create", actor_id=actor_id, object_type="agency", object_id=str(agency.id),
                 detail={"country": country, "kind": kind})
    return agency


def enrol_key(*, session: Session, vault: Vault, gset: GuidelineSet, country: str, kind: str,
              actor_id: int | None) -> AgencyKey:
    """Generate and enrol a key for an agency that has none (audited, caller commits).

    Replacing a key that is in use is a rotation, with its own procedure; it is refused here.
    """
    agency = ensure_agency(session=session, gset=gset, country=country, kind=kind, actor_id=actor_id)
    active = session.exec(select(AgencyKey.id).where(AgencyKey.agency_id == agency.id,
                                                     AgencyKey.retired_at.is_(None))).first()
    if active is not None:
        raise OrganisationRefused("key_exists")
    return enrol_agency_key(session=session, vault=vault, agency=agency, actor_id=actor_id)
