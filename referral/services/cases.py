"""Cases: create one (with its referrals, consent records and audit events, in one transaction), open it
(audited, only by someone allowed to), close it and erase it.

A case keeps coarse columns in clear and seals everything identifying (identity, answers, the plan) in one
payload. Each referral carries, sealed to its agency's public key, only the identity fields that agency needs.
Referrals go only to agencies cleared by ``agency_clearance`` (P-29): a data-sharing agreement in force and an
enrolled key that matches the key pinned in the pathway and has not expired. Any other referral is *held*:
recorded, without a payload, with an audit event, for the administrator to resolve.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select

from ..engine import GuidelineSet, Plan, build_plan
from ..engine.errors import GuidelineError, Reporter
from ..engine.schema import Agency as PathwayAgency
from ..models import Agency, AgencyKey, Case, ConsentRecord, Post, Referral, User, now_utc, utc
from ..vault import KeyDestroyed, SealedDataInvalid, Vault
from . import audit
from .intake import IdentityForm

DUE_AFTER = {"immediate": timedelta(0), "within_24h": timedelta(hours=24), "routine": timedelta(days=14)}
READ_ROLES = ("official", "supervisor")
ERASE_ROLES = ("admin", "supervisor")
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
POST_PHONE = re.compile(r"^\+?[0-9 ()-]+$")  # ASCII digits only: read out on the phone in any language
POST_PHONE_MAX = 40


class CaseRefused(ValueError):
    """The case cannot be created as given; ``problems`` are (field or fact, rule) pairs with no values."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {rule}" for name, rule in problems))


class CaseStatusRefused(ValueError):
    """The case is not in a state that allows this (closing a case that is not open, reopening one not closed)."""


class CaseUnavailable(LookupError):
    """No such case, or not yours: deliberately one error, so that it does not tell which."""

    def __init__(self) -> None:
        super().__init__("no such case, or no access to it")


@dataclass(frozen=True)
class OpenedCase:
    case: Case
    payload: Mapping[str, object]


class PostPhoneInvalid(ValueError):
    """A post's telephone that is not a telephone number (digits, spaces, +, - and brackets, at most 40)."""


def post_phone(text: str | None) -> str | None:
    """A post's duty telephone as stored: runs of spaces made one, None when empty; PostPhoneInvalid unless it
    is digits, spaces, dashes and brackets with at most a leading +, holds three digits or more and fits 40."""
    phone = " ".join((text or "").split())
    if not phone:
        return None
    if len(phone) > POST_PHONE_MAX or not POST_PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 3:
        raise PostPhoneInvalid("a telephone number is digits, spaces, +, - and brackets")
    return phone


def ensure_post(*, session: Session, code: str, country: str, name: str, phone: str | None = None,
                actor_id: int | None = None) -> Post:
    """The post with ``code``, created (audited) when missing; an existing post is left as it is.

    ``phone`` is its duty telephone (``post_phone``'s rule; PostPhoneInvalid otherwise).
    """
    post = session.exec(select(Post).where(Post.code == code)).first()
    if post is None:
        post = Post(code=code, country=country.lower(), name=name or code, phone=post_phone(phone))
        session.add(post)
        session.flush()
        audit.record(session, action="post.create", actor_id=actor_id, object_type="post",
                     object_id=str(post.id), detail={"code": code, "country": country.lower()})
    return post


def _reference(session: Session, post: Post) -> str:
    while True:
        token = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        reference = f"{post.code}-{token}"
        if session.exec(select(Case.id).where(Case.reference == reference)).first() is None:
            return reference


def _check_facts(gset: GuidelineSet, raw: Mapping[str, object]) -> dict[str, object]:
    report = Reporter("facts")
    facts = gset.vocab.normalise(raw, report)
    errors = [p for p in report.problems if p.is_error]
    if errors:
        # The message template may quote the value; only the fact's name and the code leave this function.
        names = [str(name) for name in raw if name not in facts]
        raise CaseRefused([(name, errors[0].code.slug if len(errors) == 1 else "not accepted") for name in names]
                          or [("facts", "not accepted")])
    return facts


def _jsonable(facts: Mapping[str, object]) -> dict[str, object]:
    return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in facts.items()}


# -- creating a case --------------------------------------------------------------------------------------------

def create_case(*, session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm, user: User, post: Post,
                facts: Mapping[str, object], identity: Mapping[str, object],
                consent_refused: Iterable[str] = (), idempotency_key: str | None = None,
                enrol_agency_keys: bool = False, now: datetime | None = None) -> Case:
    """Run the engine and store the case, its referrals, consent records and audit events (caller commits).

    The same ``idempotency_key`` twice gives the first case back. ``enrol_agency_keys`` (development and
    demonstrations only) generates a key pair for an agency that has none, instead of holding its referral.
    """
    if idempotency_key:
        existing = session.exec(select(Case).where(Case.idempotency_key == idempotency_key)).first()
        if existing is not None:
            return existing
    checked = _check_facts(gset, facts)
    refused = sorted(set(consent_refused))
    unknown = [kind for kind in refused if kind not in gset.vocab.destinations]
    if unknown:
        raise CaseRefused([("consent_refused", "names a destination kind that does not exist")])
    person = form.clean(identity)
    try:
        plan = build_plan(gset, checked, post.country, refused)
    except GuidelineError:
        raise CaseRefused([("post", "the guidelines have no referral pathway for the post's country")]) from None
    moment = utc(now) or now_utc()

    case = Case(reference=_reference(session, post), post_id=post.id, created_by=user.id, created_at=moment,
                country=post.country, urgency=plan.urgency, categories=list(plan.categories),
                guideline_versions={tree.id: tree.version for tree in gset.trees},
                idempotency_key=idempotency_key)
    payload = {"identity": person, "facts": _jsonable(checked), "consent_refused": refused,
               "plan": plan.to_dict()}
    sealed = vault.seal_case_payload(case.id, case.seal_count, payload)
    case.sealed_payload, case.wrapped_key, case.kek_id = sealed.payload, sealed.wrapped_key, sealed.kek_id
    session.add(case)
    session.flush()

    for kind, decision, reason in _consents(plan):
        session.add(ConsentRecord(case_id=case.id, kind=kind, decision=decision, reason=reason,
                                  recorded_at=moment, recorded_by=user.id))
    held = 0
    for planned in plan.referrals:
        referral = _referral(session, vault, gset, form, case, plan, planned, person, moment, enrol_agency_keys,
                             user)
        held += referral.status == "held"
    audit.record(session, action="case.create", actor_id=user.id, post_id=post.id, object_type="case",
                 object_id=case.id, at=moment,
                 detail={"referrals": len(plan.referrals), "held": held, "urgency": plan.urgency})
    session.flush()
    return case


def _consents(plan: Plan) -> list[tuple[str, str, str | None]]:
    rows = []
    for kind in plan.destinations:
        reason = plan.kept_despite_refusal.get(kind)
        rows.append((kind, "kept_by_rule", reason) if reason else (kind, "given", None))
    rows.extend((kind, "refused", None) for kind in plan.refused)
    return rows


def _referral(session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm, case: Case, plan: Plan,
              planned, person: Mapping[str, str], moment: datetime, enrol: bool, user: User) -> Referral:  # noqa: ANN001
    referral = Referral(case_id=case.id, kind=planned.kind, requested_as=list(planned.requested_as),
                        urgency=planned.urgency, due_at=moment + DUE_AFTER.get(planned.urgency, timedelta(0)),
                        created_at=moment, updated_at=moment)
    agency, key, reason = _agency_and_key(session, vault, gset, case.country, planned, enrol, user, moment.date())
    referral.agency_id = agency.id if agency else None
    if key is None:
        referral.status, referral.status_reason = "held", reason
    else:
        referral.agency_key_id = key.id
        wanted = form.needed_for(planned.requested_as)
        referral.sealed_payload = vault.seal_for_agency(key.public_key, referral.id, {
            "case_reference": case.reference, "kind": planned.kind, "requested_as": list(planned.requested_as),
            "urgency": planned.urgency, "identity": {k: v for k, v in person.items() if k in wanted},
            "categories": sorted({f.category for f in plan.findings
                                  if set(f.node.destinations) & set(planned.requested_as)}),
            "must_not": list(plan.must_not),
        })
    session.add(referral)
    session.flush()
    if key is None:
        audit.record(session, action="referral.held", actor_id=user.id, post_id=case.post_id,
                     object_type="referral", object_id=referral.id, at=moment,
                     detail={"kind": planned.kind, "reason": reason})
    elif reason:
        # Only the development shortcut lets a referral through with a reason: it is recorded all the same, so
        # that a demonstration shows what production would have held.
        audit.record(session, action="referral.unapproved", actor_id=user.id, post_id=case.post_id,
                     object_type="referral", object_id=referral.id, at=moment,
                     detail={"kind": planned.kind, "reason": reason, "held": False})
    return referral


# Why referrals to an agency are held, in the order they are checked; the first one found is the referral's reason.
AGREEMENT_MISSING, AGREEMENT_EXPIRED = "agency_agreement_missing", "agency_agreement_expired"
KEY_MISSING, KEY_NOT_PINNED = "agency_key_missing", "agency_key_not_pinned"
KEY_MISMATCH, KEY_EXPIRED = "agency_key_mismatch", "agency_key_expired"
NOT_IN_PATHWAY = "no_agency_in_pathway"
# What the development shortcut lets through (SECURITY.md P-29 holds them in production): the demonstration has
# no signed agreements, and its keys are generated on the spot rather than pinned.
DEVELOPMENT_ALLOWS = frozenset({AGREEMENT_MISSING, KEY_MISSING, KEY_NOT_PINNED})


@dataclass(frozen=True)
class Clearance:
    """Whether an agency may receive referrals now: every reason against it, and whether they hold referrals."""

    problems: tuple[str, ...]
    let_through: frozenset[str] = frozenset()  # problems the development shortcut forgives

    @property
    def held(self) -> bool:
        return any(p not in self.let_through for p in self.problems)

    @property
    def reason(self) -> str | None:
        """The reason a referral carries: the first problem that holds it, else the first one let through."""
        holding = [p for p in self.problems if p not in self.let_through]
        return (holding or list(self.problems) or [None])[0]


def agency_clearance(entry: PathwayAgency | None, fingerprint: str | None, *, today: date,
                     development: bool = False) -> Clearance:
    """May the agency of pathway ``entry``, whose enrolled key has ``fingerprint`` (None: no key), receive
    referrals on ``today``? The one place that decides it, for case creation and for the administrator's page.

    Agreement and key dates are last valid days, inclusive. ``development`` is the demonstration shortcut
    (never in production): a missing agreement is let through, and so is a key that is not pinned or not yet
    enrolled (the caller then enrols one); an expired agreement or key, or a pinned key that differs, still holds.
    """
    if entry is None:
        return Clearance((NOT_IN_PATHWAY,))
    problems = []
    if entry.agreement is None:
        problems.append(AGREEMENT_MISSING)
    elif entry.agreement.valid_until < today:
        problems.append(AGREEMENT_EXPIRED)
    pinned = entry.key_fingerprint.lower()
    if fingerprint is None:
        problems.append(KEY_MISSING)
    elif not pinned:
        problems.append(KEY_NOT_PINNED)
    elif pinned != fingerprint.lower():
        problems.append(KEY_MISMATCH)
    if pinned and entry.key_valid_until is not None and entry.key_valid_until < today:
        problems.append(KEY_EXPIRED)
    allowed = DEVELOPMENT_ALLOWS if development else frozenset()
    if development and pinned and fingerprint is None:
        allowed = allowed - {KEY_MISSING}  # a pinned key is a real agency's: generating another would not match
    return Clearance(tuple(problems), allowed)


def _agency_and_key(session: Session, vault: Vault, gset: GuidelineSet, country: str, planned, enrol: bool,
                    user: User, today: date) -> tuple[Agency | None, AgencyKey | None, str | None]:  # noqa: ANN001
    """The receiving agency and its usable key (with the reason let through in development, if any), or no key
    and the reason the referral must be held."""
    if not planned.agency:
        return None, None, NOT_IN_PATHWAY
    agency = session.exec(select(Agency).where(Agency.country == country, Agency.kind == planned.kind)).first()
    if agency is None:
        agency = Agency(country=country, kind=planned.kind, name=str(planned.agency.get("name") or planned.kind),
                        slip_language=str(planned.agency.get("slip_language") or "en"))
        session.add(agency)
        session.flush()
    key = session.exec(select(AgencyKey).where(AgencyKey.agency_id == agency.id, AgencyKey.retired_at.is_(None))
                       .order_by(AgencyKey.id.desc())).first()
    pathway = gset.pathway(country)
    entry = pathway.agencies.get(planned.kind) if pathway else None
    clearance = agency_clearance(entry, key.fingerprint if key else None, today=today, development=enrol)
    if clearance.held:
        return agency, None, clearance.reason
    if key is None:  # only the development shortcut gets here: no key pinned and none enrolled yet
        key = enrol_agency_key(session=session, vault=vault, agency=agency, actor_id=user.id)
        clearance = agency_clearance(entry, key.fingerprint, today=today, development=enrol)
    return agency, key, clearance.reason


def enrol_agency_key(*, session: Session, vault: Vault, agency: Agency, actor_id: int | None = None) -> AgencyKey:
    """Generate a key pair for ``agency`` (the private half stays in the keys folder) and enrol its public key."""
    public, fingerprint = vault.new_agency_key()
    key = AgencyKey(agency_id=agency.id, public_key=public, fingerprint=fingerprint)
    session.add(key)
    session.flush()
    audit.record(session, action="agency.key.enrol", actor_id=actor_id, object_type="agency",
                 object_id=str(agency.id), detail={"key": fingerprint[:16]})
    return key


# -- opening, closing and erasing -------------------------------------------------------------------------------

def may_open(user: User | None, case: Case) -> bool:
    return bool(user and user.active and user.role in READ_ROLES and user.post_id == case.post_id)


def find_case(*, session: Session, reference: str) -> Case | None:
    return session.exec(select(Case).where(Case.reference == reference)).first()


def open_case(*, session: Session, vault: Vault, user: User, reference: str) -> OpenedCase:
    """Decrypt a case for a user allowed to see it. Every attempt is audited and committed before returning.

    Raises CaseUnavailable (missing or not allowed: the same error), KeyDestroyed (erased) or SealedDataInvalid.
    """
    case = find_case(session=session, reference=reference)
    if case is None or not may_open(user, case):
        audit.record(session, action="case.open.denied", actor_id=user.id, post_id=user.post_id,
                     object_type="case", object_id=case.id if case else None)
        session.commit()
        raise CaseUnavailable()
    try:
        payload = vault.open_case_payload(case.id, case.seal_count, case.sealed_payload, case.wrapped_key,
                                          case.kek_id)
    except (KeyDestroyed, SealedDataInvalid) as exc:
        session.rollback()
        reason = "erased" if isinstance(exc, KeyDestroyed) else "integrity"
        audit.record(session, action="case.open.failed", actor_id=user.id, post_id=user.post_id,
                     object_type="case", object_id=case.id, detail={"reason": reason})
        session.commit()
        raise
    audit.record(session, action="case.open", actor_id=user.id, post_id=user.post_id, object_type="case",
                 object_id=case.id)
    session.commit()
    return OpenedCase(case, payload)


def close_case(*, session: Session, user: User, case: Case, now: datetime | None = None) -> None:
    """Close an open case (the retention period starts); caller commits. Raises CaseStatusRefused otherwise."""
    if case.status != "open":
        raise CaseStatusRefused("only an open case can be closed")
    case.status, case.closed_at = "closed", utc(now) or now_utc()
    session.add(case)
    audit.record(session, action="case.close", actor_id=user.id, post_id=case.post_id, object_type="case",
                 object_id=case.id)


def reopen_case(*, session: Session, user: User, case: Case) -> None:
    """Reopen a closed case (its retention period stops); caller commits. An erased case cannot come back."""
    if case.status != "closed":
        raise CaseStatusRefused("only a closed case can be reopened")
    case.status, case.closed_at = "open", None
    session.add(case)
    audit.record(session, action="case.reopen", actor_id=user.id, post_id=case.post_id, object_type="case",
                 object_id=case.id)


def shred(*, session: Session, case: Case, actor_id: int | None, action: str, reason: str,
          now: datetime | None = None) -> None:
    """Destroy a case's data key and every sealed copy we hold; keep the coarse columns (caller commits)."""
    case.sealed_payload = case.wrapped_key = case.kek_id = None
    case.status, case.erased_at = "erased", utc(now) or now_utc()
    session.add(case)
    for referral in session.exec(select(Referral).where(Referral.case_id == case.id)):
        referral.sealed_payload = None
        session.add(referral)
    audit.record(session, action=action, actor_id=actor_id, post_id=case.post_id, object_type="case",
                 object_id=case.id, detail={"reason": reason})


def erase_case(*, session: Session, database, user: User, case: Case, tombstones: Path | None = None,  # noqa: ANN001
               reason: str = "request") -> None:
    """Crypto-shred a case on request (P-04): commit, leave no copy in the SQLite WAL, note a tombstone."""
    if not user.active or user.role not in ERASE_ROLES or (user.role == "supervisor"
                                                          and user.post_id != case.post_id):
        audit.record(session, action="case.erase.denied", actor_id=user.id, post_id=user.post_id,
                     object_type="case", object_id=case.id)
        session.commit()
        raise CaseUnavailable()
    shred(session=session, case=case, actor_id=user.id, action="case.erase", reason=reason)
    session.commit()
    database.scrub_after_erasure()
    if tombstones is not None:
        note_tombstone(tombstones, case.id)


def note_tombstone(path: Path, case_id: str) -> None:
    """Remember an erased case outside the database, so that a restored backup is shredded again (P-05)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, case_id.encode("ascii") + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
