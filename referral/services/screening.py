"""Screenings in progress (drafts): start, answer, go back and change, consent, identity, submit, abandon.

The stages follow ARCHITECTURE.md, in this order, and none can be skipped:

1. ``questions``: the engine's next question until every tree has ended;
2. ``consent``: the plan is shown and the person's decision is recorded for each destination kind (brief §3.4;
   a refusal of a mandatory referral is recorded and the referral kept, §4.2 R5);
3. ``identity``: only the identity fields that the remaining destinations need (forms/identity.yaml);
4. ``review``: then submit, which creates exactly one case whatever the number of taps (the draft id is the
   case's idempotency key) and shreds the draft's sealed copy.

Changing an answer at any time may change the destinations: the consent recorded for another set of destinations
no longer counts, and the identity step follows the new set, so the stages are computed, never stored.
Audit events carry counts and codes only. Functions take the caller's session; the caller commits.

This module is where callers find all of it (``from ..services import screening as service``). The code lives
in one module per part, split along the old module's sections to keep each under the size the style guide aims
for; each builds only on those before it, so none imports this one and there is no import cycle:

- screening_drafts.py: the sealed draft: start, open, save (optimistically), shred, abandon;
- screening_questions.py: the walk replayed over the answers; answering or changing a question;
- screening_consent.py: the plans, the stage a screening has reached, the person's consent and identity;
- screening_submit.py: submit, which turns a draft into exactly one case.
"""

from __future__ import annotations

from .screening_consent import (
    STAGES,
    NotReady,
    Plans,
    Progress,
    consent_complete,
    identity_problems,
    needed_fields,
    plans,
    progress,
    record_consent,
    record_identity,
    refused_kinds,
    requested_kinds,
    stage,
)
from .screening_drafts import _DRAFT_ID as _DRAFT_ID  # web/screening.py tells a draft id from junk in the audit
from .screening_drafts import (
    PAYLOAD_VERSION,
    DraftChanged,
    DraftUnavailable,
    NoPathway,
    Screening,
    abandon,
    load,
    open_drafts,
    start,
)
from .screening_questions import AnswerRejected, Path, QuestionGone, Step, question_at, record_answer, walk_path
from .screening_submit import submit

__all__ = [
    "PAYLOAD_VERSION", "STAGES",
    "AnswerRejected", "DraftChanged", "DraftUnavailable", "NoPathway", "NotReady", "QuestionGone",
    "Path", "Plans", "Progress", "Screening", "Step",
    "start", "load", "open_drafts", "abandon",
    "walk_path", "question_at", "record_answer",
    "plans", "refused_kinds", "consent_complete", "requested_kinds", "needed_fields", "identity_problems",
    "progress", "stage", "record_consent", "record_identity",
    "submit",
]
