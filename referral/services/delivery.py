"""Delivery and feedback of referrals (brief §3.3 item 7, §3.5): the agency's inbox, opening a referral with the
agency's key, receipt, accept or decline; the post's list of what it sent and what is overdue; confirmation by
phone for an agency that is not on the system.

Lists read clear columns only (reference, kind, urgency, dates, statuses): nothing is decrypted to list. Each
function that changes a referral records one audit event and leaves the commit to the caller. A referral that is
not the user's is ``None`` for the caller to answer 404, the same as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ..models import Agency, AgencyKey, Case, Referral, User, now_utc, utc
from ..vault import SealedDataInvalid, Vault, VaultError
from . import audit
from .slip_signature import same_code

URGENCY_ORDER = {"immediate": 0, "within_24h": 1, "routine": 2}
VISIBLE_TO_AGENCY = ("pending", "accepted", "declined")
DECLINE_REASONS = ("outside_mandate", "no_capacity", "person_not_reached", "already_assisted",
                   "referred_elsewhere", "other")
PHONE_OUTCOMES = ("received", "accepted", "declined")
POST_ROLES = ("official", "supervisor")


class ReferralUnreadable(RuntimeError):
    """The referral's payload does not open here: the agency's private key is not on this server, or the payload
    was damaged. ``reason`` is key_missing or integrity."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the referral could not be opened ({reason})")


class AnswerRefused(ValueError):
    """The referral cannot take this answer (already answered, or an unknown reason)."""


@dataclass(frozen=True)
class ReferralRow:
    id: str
    reference: str
    kind: str
    agency: str
    urgency: str
    created_at: datetime
    due_at: datetime
    status: str
    status_reason: str | None
    acknowledged_at: datetime | None
    slip_status: str
    overdue: bool


def is_overdue(referral: Referral, now: datetime) -> bool:
    """Open, not acknowledged, and past its deadline: the post must chase it (brief §3.5)."""
    return referral.status == "pending" and referral.acknowledged_at is None and utc(referral.due_at) < now


def _order(row: ReferralRow) -> tuple:
    """Open before answered; overdue first; then the most urgent; then the earliest deadline."""
    return (row.status != "pending", not row.overdue, URGENCY_ORDER.get(row.urgency, 9), row.due_at, row.id)


def _rows(session: Session, query, now: datetime) -> list[ReferralRow]:  # noqa: ANN001
    agencies = dict(session.exec(select(Agency.id, Agency.name)).all())
    rows = [ReferralRow(r.id, reference, r.kind, agencies.get(r.agency_id, ""), r.urgency, utc(r.created_at),
                        utc(r.due_at), r.status, r.status_reason, utc(r.acknowledged_at), r.slip_status,
                        is_overdue(r, now))
            for r, reference in session.exec(query)]
    return sorted(rows, key=_order)


# -- the agency's side ------------------------------------------------------------------------------------------

def inbox(*, session: Session, user: User, now: datetime | None = None) -> list[ReferralRow]:
    """The referrals addressed to the user's agency, most urgent and overdue first."""
    if user.role != "agency_officer" or user.agency_id is None:
        return []
    query = select(Referral, Case.reference).join(Case, Case.id == Referral.case_id) \
        .where(Referral.agency_id == user.agency_id, Referral.status.in_(VISIBLE_TO_AGENCY),
               Case.status != "erased")
    return _rows(session, query, utc(now) or now_utc())


def for_agency(*, session: Session, user: User, referral_id: str) -> Referral | None:
    """The referral if it is addressed to the user's agency (and can be shown to it); otherwise None."""
    referral = session.get(Referral, referral_id)
    if referral is None or user.role != "agency_officer" or user.agency_id is None \
            or referral.agency_id != user.agency_id or referral.status not in VISIBLE_TO_AGENCY:
        return None
    case = session.get(Case, referral.case_id)
    return referral if case is not None and case.status != "erased" else None


def open_for_agency(*, session: Session, vault: Vault, user: User, referral: Referral) -> Mapping[str, object]:
    """The referral's payload, opened with the agency's private key through the vault (audited; caller commits)."""
    key = session.get(AgencyKey, referral.agency_key_id) if referral.agency_key_id else None
    try:
        if key is None or referral.sealed_payload is None:
            raise SealedDataInvalid("the referral")
        payload = vault.open_as_agency(key.fingerprint, referral.id, referral.sealed_payload)
    except SealedDataInvalid:
        reason = "integrity"
    except (VaultError, OSError, ValueError):
        reason = "key_missing"
    else:
        audit.record(session, action="referral.open", actor_id=user.id, object_type="referral",
                     object_id=referral.id, detail={"agency": user.agency_id})
        return payload
    audit.record(session, action="referral.open.failed", actor_id=user.id, object_type="referral",
                 object_id=referral.id, detail={"reason": reason})
    raise ReferralUnreadable(reason)


def acknowledge(*, session: Session, user: User, referral: Referral, via: str = "inbox",
                now: datetime | None = None) -> bool:
    """Record receipt (the first time only); whether anything changed. Audited; caller commits."""
    if referral.acknowledged_at is not None:
        return False
    moment = utc(now) or now_utc()
    referral.acknowledged_at, referral.acknowledged_via, referral.updated_at = moment, via, moment
    session.add(referral)
    audit.record(session, action="referral.receipt", actor_id=user.id, post_id=user.post_id,
                 object_type="referral", object_id=referral.id, detail={"via": via})
    return True


def answer(*, session: Session, user: User, referral: Referral, decision: str, reason: str | None = None,
           via: str = "inbox", now: datetime | None = None) -> None:
    """Accept, or decline with one of DECLINE_REASONS; acknowledges receipt too. Audited; caller commits."""
    if referral.status != "pending":
        raise AnswerRefused("this referral has been answered already")
    if decision not in ("accepted", "declined") or (decision == "declined" and reason not in DECLINE_REASONS):
        raise AnswerRefused("accept, or decline with one of the listed reasons")
    moment = utc(now) or now_utc()
    acknowledge(session=session, user=user, referral=referral, via=via, now=moment)
    referral.status, referral.status_reason = decision, reason if decision == "declined" else None
    referral.answered_at = referral.updated_at = moment
    session.add(referral)
    audit.record(session, action="referral.accept" if decision == "accepted" else "referral.decline",
                 actor_id=user.id, post_id=user.post_id, object_type="referral", object_id=referral.id,
                 detail={"via": via, "reason": reason or ""})


# -- the post's side --------------------------------------------------------------------------------------------

def sent(*, session: Session, user: User, only: str = "all", now: datetime | None = None) -> list[ReferralRow]:
    """The referrals of the user's post: status, deadline, overdue; ``only`` = all, open or overdue."""
    if user.role not in POST_ROLES or user.post_id is None:
        return []
    moment = utc(now) or now_utc()
    query = select(Referral, Case.reference).join(Case, Case.id == Referral.case_id) \
        .where(Case.post_id == user.post_id, Referral.status != "erased", Case.status != "erased")
    if only in ("open", "overdue"):
        query = query.where(Referral.status.in_(("pending", "held")))
    rows = _rows(session, query, moment)
    return [row for row in rows if row.overdue] if only == "overdue" else rows


def for_post(*, session: Session, user: User, referral_id: str) -> Referral | None:
    """The referral if it was sent by the user's post; otherwise None."""
    referral = session.get(Referral, referral_id)
    if referral is None or user.role not in POST_ROLES or user.post_id is None:
        return None
    case = session.get(Case, referral.case_id)
    return referral if case is not None and case.post_id == user.post_id else None


def confirm_by_phone(*, session: Session, user: User, referral: Referral, code: str, expected: str,
                     outcome: str = "received", reason: str | None = None, now: datetime | None = None) -> bool:
    """The post types the acknowledgement code an agency read out on the phone: when it matches, record receipt
    (and the answer the agency gave). A wrong code changes nothing. Audited either way; caller commits."""
    if outcome not in PHONE_OUTCOMES or (outcome == "declined" and reason not in DECLINE_REASONS):
        raise AnswerRefused("say what the agency answered; a refusal needs one of the listed reasons")
    if referral.status in ("held", "erased") or not same_code(code, expected):
        audit.record(session, action="referral.phone.failed", actor_id=user.id, post_id=user.post_id,
                     object_type="referral", object_id=referral.id)
        return False
    audit.record(session, action="referral.phone.confirmed", actor_id=user.id, post_id=user.post_id,
                 object_type="referral", object_id=referral.id, detail={"outcome": outcome})
    if outcome in ("accepted", "declined") and referral.status == "pending":
        answer(session=session, user=user, referral=referral, decision=outcome, reason=reason, via="phone", now=now)
    else:
        acknowledge(session=session, user=user, referral=referral, via="phone", now=now)
    return True
