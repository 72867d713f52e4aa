"""Submitting a screening: the draft becomes exactly one case, and the draft's sealed copy is shredded.

Unlike the other steps, submit locks the draft's row (the caller loads it with ``lock=True``): the draft id is the
case's idempotency key, so however many taps reach it, one case is created and a repeated submit gives that case.

Split out of services/screening.py, which still re-exports ``submit``; it builds on the other screening modules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..engine import GuidelineSet
from ..i18n import language_fact
from ..models import Case, ConsentRecord, User
from ..vault import Vault
from . import audit
from .cases import create_case
from .intake import IdentityForm
from .screening_consent import _require, refused_kinds
from .screening_drafts import Screening, _shred


def submit(*, session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm, screening: Screening,
           user: User, enrol_agency_keys: bool = False) -> Case:
    """Create the case of a screening (once: a repeated submit gives the same case) and shred the draft.

    ``screening`` must have been loaded with ``lock=True`` and statuses open and submitted, so that concurrent
    submits of one draft queue on its row. The consent records take the moment the person decided.
    """
    if screening.draft.status == "submitted":
        return session.get(Case, screening.draft.case_id)
    fields = _require(gset, form, screening, "review").fields
    try:
        facts = dict(screening.answers.values)
        if screening.language and "language" not in facts:
            # Never asked on this walk: the language chosen at the start (the one the phrases were shown in) is
            # the person's, so the case and its slips still say which language the person needs.
            facts["language"] = language_fact(screening.language)
        case = create_case(session=session, vault=vault, gset=gset, form=form, user=user, post=screening.post,
                           facts=facts,
                           identity={name: screening.identity[name] for name in fields
                                     if screening.identity.get(name)},
                           consent_refused=refused_kinds(screening), idempotency_key=screening.id,
                           enrol_agency_keys=enrol_agency_keys)
    except IntegrityError:  # another process created it between our check and our insert (PostgreSQL)
        session.rollback()
        return session.exec(select(Case).where(Case.idempotency_key == screening.id)).one()
    for record in session.exec(select(ConsentRecord).where(ConsentRecord.case_id == case.id)):
        decided = screening.consent.get(record.kind, {}).get("at")
        if decided:
            record.recorded_at = datetime.fromisoformat(decided)
            session.add(record)
    _shred(screening)
    screening.draft.status, screening.draft.case_id = "submitted", case.id
    session.add(screening.draft)
    audit.record(session, action="screening.submit", actor_id=user.id, post_id=screening.post.id,
                 object_type="draft", object_id=screening.id, detail={"case": case.id})
    session.flush()
    return case
