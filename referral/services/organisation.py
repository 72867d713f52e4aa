"""Posts and agencies as the administrator sees them: create a post, list agencies per country, enrol a key.

A post's country must have a referral pathway (a case at a post without one could refer nobody). An agency
row is made from its pathway entry the first time something needs it (a user of the agency, a key, a
referral); its public key is enrolled here, and whether referrals can go to it depends on the key being pinned
in the pathway as well (SECURITY.md P-29): the list says which agencies are ready and what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from ..engine import GuidelineSet
from ..models import Agency, AgencyKey, Post
from ..vault import Vault
from . import audit
from .cases import enrol_agency_key, ensure_post

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


def create_post(*, session: Session, gset: GuidelineSet, code: str, country: str, name: str,
                actor_id: int | None) -> Post:
    """Add a post (audited, caller commits). Its code is upper-case letters, digits and dashes, and unique."""
    code, country = code.strip().upper(), country.strip().lower()
    if not POST_CODE.match(code):
        raise OrganisationRefused("code_form")
    if country not in dict(pathway_countries(gset)):
        raise OrganisationRefused("no_pathway")
    if session.exec(select(Post.id).where(Post.code == code)).first() is not None:
        raise OrganisationRefused("code_taken")
    return ensure_post(session=session, code=code, country=country, name=name.strip() or code, actor_id=actor_id)


@dataclass(frozen=True)
class AgencyLine:
    country: str
    kind: str
    name: str
    slip_language: str
    agency_id: int | None  # None: no row yet (nothing has needed it)
    fingerprint: str | None  # the enrolled, active key
    pinned: str  # the fingerprint written in the pathway, or ""
    state: str  # ready | no_key | not_pinned | mismatch | not_in_pathway


def _state(fingerprint: str | None, pinned: str, in_pathway: bool) -> str:
    if not in_pathway:
        return "not_in_pathway"
    if fingerprint is None:
        return "no_key"
    if not pinned:
        return "not_pinned"
    return "ready" if pinned.lower() == fingerprint else "mismatch"


def agencies_by_country(*, session: Session, gset: GuidelineSet) -> dict[str, list[AgencyLine]]:
    """Every agency of every pathway, with its row and key if any, plus rows whose pathway entry is gone."""
    rows = {(a.country, a.kind): a for a in session.exec(select(Agency))}
    keys = {k.agency_id: k.fingerprint for k in session.exec(select(AgencyKey).where(AgencyKey.retired_at.is_(None))
                                                             .order_by(AgencyKey.id))}
    out: dict[str, list[AgencyLine]] = {}
    for code, pathway in sorted(gset.pathways.items()):
        country = code.lower()
        for kind, entry in sorted(pathway.agencies.items()):
            row = rows.pop((country, kind), None)
            fingerprint = keys.get(row.id) if row else None
            out.setdefault(country, []).append(AgencyLine(
                country, kind, entry.name, entry.slip_language, row.id if row else None, fingerprint,
                entry.key_fingerprint, _state(fingerprint, entry.key_fingerprint, True)))
    for (country, kind), row in sorted(rows.items()):
        out.setdefault(country, []).append(AgencyLine(country, kind, row.name, row.slip_language, row.id,
                                                      keys.get(row.id), "", "not_in_pathway"))
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
