"""The plan of a screening, where the screening stands (its stage), and the person's consent and identity.

The stages follow ARCHITECTURE.md (services/screening.py lists them) and are computed from the answers, never
stored: changing an answer may change the destinations, and then the consent recorded for another set of
destinations no longer counts, and the identity step asks for what the new set needs.

Split out of services/screening.py, which still re-exports the public names; it builds on screening_drafts.py and
screening_questions.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ..engine import GuidelineSet, Plan, build_plan
from ..models import User, now_utc, utc
from ..vault import Vault
from . import audit
from .intake import IdentityForm, IdentityInvalid
from .screening_drafts import Screening, _save
from .screening_questions import AnswerRejected, Path, walk_path

STAGES = ("questions", "consent", "identity", "review")


class NotReady(Exception):
    """The draft is not yet at the stage this action needs; ``stage`` is where it is."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        super().__init__(f"the screening is at the {stage} stage")


@dataclass(frozen=True)
class Plans:
    """The plan before any refusal (what consent is asked for), the mandatory kinds with their reasons, and
    the plan after the recorded decisions (what is submitted)."""

    base: Plan
    mandatory: Mapping[str, str]
    final: Plan


def plans(gset: GuidelineSet, screening: Screening) -> Plans:
    """The plans of a screening whose questions are done (unanswered ones count as unknown)."""
    base = build_plan(gset, screening.answers, screening.country, consent_refused=())
    mandatory = build_plan(gset, screening.answers, screening.country,
                           consent_refused=base.destinations).kept_despite_refusal
    final = build_plan(gset, screening.answers, screening.country, consent_refused=refused_kinds(screening))
    return Plans(base, dict(mandatory), final)


def refused_kinds(screening: Screening) -> list[str]:
    return sorted(kind for kind in screening.consent_for
                  if screening.consent.get(kind, {}).get("decision") == "refused")


def consent_complete(screening: Screening, base: Plan) -> bool:
    """Whether a decision was recorded for exactly the destinations the plan has now."""
    return (screening.consent_for == tuple(sorted(base.destinations))
            and all(kind in screening.consent for kind in base.destinations))


def requested_kinds(final: Plan) -> list[str]:
    """The destination kinds the referrals of a plan stand for (a fallback agency stands for several)."""
    return sorted({kind for referral in final.referrals for kind in referral.requested_as})


def needed_fields(form: IdentityForm, final: Plan) -> list[str]:
    """The identity fields to ask, in the form's order: those the remaining referrals need, none without one."""
    kinds = requested_kinds(final)
    if not kinds:
        return []
    wanted = form.needed_for(kinds)
    return [name for name in form.fields if name in wanted]


def identity_problems(form: IdentityForm, screening: Screening, fields: list[str]) -> list[tuple[str, str]]:
    """What is wrong with the identity entered for ``fields`` ([] when it may be submitted)."""
    try:
        form.clean({name: screening.identity[name] for name in fields if name in screening.identity})
    except IdentityInvalid as exc:
        return exc.problems
    return []


@dataclass(frozen=True)
class Progress:
    """Where a screening stands, with what was computed to find out (so a page need not compute it again)."""

    stage: str  # questions, consent, identity or review
    path: Path
    plans: Plans | None = None  # once the questions are done
    fields: tuple[str, ...] = ()  # the identity fields to ask, once consent is recorded

    def reached(self, wanted: str) -> bool:
        return STAGES.index(self.stage) >= STAGES.index(wanted)


def progress(gset: GuidelineSet, form: IdentityForm, screening: Screening) -> Progress:
    """Where the screening stands. The stages are computed from the answers, never stored (see the top)."""
    path = walk_path(gset, screening.answers)
    if path.pending is not None:
        return Progress("questions", path)
    found = plans(gset, screening)
    if not consent_complete(screening, found.base):
        return Progress("consent", path, found)
    fields = tuple(needed_fields(form, found.final))
    if not set(fields) <= set(screening.identity) or identity_problems(form, screening, list(fields)):
        return Progress("identity", path, found, fields)
    return Progress("review", path, found, fields)


def stage(gset: GuidelineSet, form: IdentityForm, screening: Screening) -> str:
    """Where the screening stands: questions, consent, identity or review."""
    return progress(gset, form, screening).stage


def _require(gset: GuidelineSet, form: IdentityForm, screening: Screening, wanted: str) -> Progress:
    found = progress(gset, form, screening)
    if not found.reached(wanted):
        raise NotReady(found.stage)
    return found


def record_consent(*, session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm,
                   screening: Screening, user: User, decisions: Mapping[str, bool],
                   now: datetime | None = None) -> Plans:
    """Record the person's decision (True: agrees) for every destination kind of the plan, with the time."""
    base = _require(gset, form, screening, "consent").plans.base
    if set(decisions) != set(base.destinations):
        raise AnswerRejected("a decision is needed for each destination, and for no other")
    moment = (utc(now) or now_utc()).isoformat()
    screening.consent = {kind: {"decision": "given" if decisions[kind] else "refused", "at": moment}
                         for kind in sorted(decisions)}
    screening.consent_for = tuple(sorted(decisions))
    _save(session, vault, screening)
    found = plans(gset, screening)
    audit.record(session, action="screening.consent", actor_id=user.id, post_id=screening.post.id,
                 object_type="draft", object_id=screening.id,
                 detail={"given": sum(decisions.values()), "refused": len(found.final.refused),
                         "kept": len(found.final.kept_despite_refusal)})
    return found


def record_identity(*, session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm,
                    screening: Screening, user: User, values: Mapping[str, str]) -> list[tuple[str, str]]:
    """Keep what was entered for the needed fields (even when wrong, so nothing is lost); return the problems."""
    fields = list(_require(gset, form, screening, "identity").fields)
    screening.identity.update({name: str(values.get(name) or "") for name in fields})
    _save(session, vault, screening)
    problems = identity_problems(form, screening, fields)
    audit.record(session, action="screening.identity", actor_id=user.id, post_id=screening.post.id,
                 object_type="draft", object_id=screening.id,
                 detail={"fields": len(fields), "valid": not problems})
    return problems
