"""What the case pages show: a post's list from coarse columns only, and one opened case in full.

The list never touches sealed data: it reads the clear columns of cases and referrals (reference, date,
urgency, categories, statuses), so listing a post's cases decrypts nothing and needs no audit event per row.
The detail page is built from a case that ``cases.open_case`` has already opened, and audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ..engine import GuidelineSet
from ..models import Agency, Case, ConsentRecord, Post, Referral, User
from .cases import OpenedCase
from .intake import IdentityForm
from .slip_data import has_slip

PAGE_SIZE = 50
LIST_FILTERS = ("open", "closed", "erased", "all")


@dataclass(frozen=True)
class CaseRow:
    reference: str
    created_at: datetime
    urgency: str
    categories: tuple[str, ...]
    status: str
    referrals: tuple[tuple[str, str], ...]  # (destination kind, referral status)


@dataclass(frozen=True)
class CasePage:
    rows: tuple[CaseRow, ...]
    page: int
    has_more: bool


def list_cases(*, session: Session, user: User, status: str = "open", page: int = 1) -> CasePage:
    """The cases ``user`` may list, newest first: a supervisor sees the post's, an official his or her own.

    Any other role, or a user without a post, gets an empty list (the views do not offer it to them anyway).
    """
    page = max(page, 1)
    if user.post_id is None or user.role not in ("supervisor", "official"):
        return CasePage((), page, False)
    query = select(Case.id, Case.reference, Case.created_at, Case.urgency, Case.categories, Case.status) \
        .where(Case.post_id == user.post_id)
    if user.role == "official":
        query = query.where(Case.created_by == user.id)
    if status in LIST_FILTERS and status != "all":
        query = query.where(Case.status == status)
    query = query.order_by(Case.created_at.desc(), Case.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    found = list(session.exec(query))
    ids = [row[0] for row in found[:PAGE_SIZE]]
    referrals: dict[str, list[tuple[str, str]]] = {case_id: [] for case_id in ids}
    if ids:
        for case_id, kind, state in session.exec(select(Referral.case_id, Referral.kind, Referral.status)
                                                 .where(Referral.case_id.in_(ids)).order_by(Referral.kind)):
            referrals[case_id].append((kind, state))
    rows = tuple(CaseRow(reference, created_at, urgency, tuple(categories or ()), state, tuple(referrals[case_id]))
                 for case_id, reference, created_at, urgency, categories, state in found[:PAGE_SIZE])
    return CasePage(rows, page, len(found) > PAGE_SIZE)


@dataclass(frozen=True)
class ReferralLine:
    kind: str
    agency: str | None
    urgency: str
    due_at: datetime
    status: str
    reason: str | None
    id: str = ""
    has_slip: bool = False  # addressed to an agency, and neither held nor erased: a slip can be printed


@dataclass(frozen=True)
class ConsentLine:
    kind: str
    decision: str
    reason: str | None  # the text of the rule that kept a refused referral, when there is one
    recorded_at: datetime


@dataclass(frozen=True)
class CaseDetails:
    case: Case
    post: Post | None
    identity: tuple[tuple[str, str], ...]  # (field label, value) in the form's order
    plan: Mapping[str, object]
    must_not: tuple[tuple[str, str], ...]  # (code, text)
    referrals: tuple[ReferralLine, ...]
    consents: tuple[ConsentLine, ...]


def case_details(*, session: Session, opened: OpenedCase, gset: GuidelineSet, form: IdentityForm) -> CaseDetails:
    """Everything the case page shows, from an opened case and its clear rows (referrals, consent records)."""
    case = opened.case
    person = opened.payload.get("identity") or {}
    identity = tuple((spec.label, str(person[name])) for name, spec in form.fields.items() if person.get(name))
    # A field that the form no longer has is still shown, under its own name, rather than hidden.
    identity += tuple((name, str(value)) for name, value in person.items() if name not in form.fields and value)
    plan = opened.payload.get("plan") or {}
    must_not = tuple((code, gset.vocab.must_not.get(code, code)) for code in plan.get("must_not") or ())
    agencies = dict(session.exec(select(Agency.id, Agency.name)).all())
    referrals = tuple(
        ReferralLine(r.kind, agencies.get(r.agency_id), r.urgency, r.due_at, r.status, r.status_reason, r.id,
                     has_slip(r))
        for r in session.exec(select(Referral).where(Referral.case_id == case.id).order_by(Referral.due_at,
                                                                                           Referral.kind)))
    consents = tuple(
        ConsentLine(c.kind, c.decision, gset.vocab.consent_reasons.get(c.reason, c.reason) if c.reason else None,
                    c.recorded_at)
        for c in session.exec(select(ConsentRecord).where(ConsentRecord.case_id == case.id)
                              .order_by(ConsentRecord.id)))
    return CaseDetails(case, session.get(Post, case.post_id), identity, plan, must_not, referrals, consents)
