"""Screenings in progress (drafts): start, answer, go back and change, consent, identity, submit, abandon.

A draft lives on the server only, sealed like a case: every save seals its payload under a fresh data key, with
the draft id and the save count as associated data (so an older copy cannot be put back into the row). Nothing of
a screening is kept in the browser; a dropped connection or a closed tab loses nothing, the next visit resumes.

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

Answer, consent and identity are saved optimistically: the draft is read without a lock, the change computed,
and the write succeeds only if the draft's save count is still the one read (else DraftChanged, and the caller
reads again), so no writer holds the database's write lock while it walks trees. Submit is different: it locks
the draft's row, because it must create exactly one case.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ..engine import Answers, GuidelineError, GuidelineSet, Plan, Question, answer, build_plan, next_step
from ..i18n import language_fact
from ..models import Case, ConsentRecord, Draft, Post, User, now_utc, utc
from ..vault import KeyDestroyed, SealedDataInvalid, Vault
from . import audit
from .cases import create_case
from .intake import IdentityForm, IdentityInvalid

PAYLOAD_VERSION = 1
STAGES = ("questions", "consent", "identity", "review")
_DRAFT_ID = re.compile(r"^[0-9a-f]{32}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")  # the `language` fact's form (guidelines/facts.yaml)


class DraftUnavailable(LookupError):
    """No such draft, not yours, or no longer open: deliberately one error, so that it does not tell which."""

    def __init__(self) -> None:
        super().__init__("no such draft, or no access to it")


class NotReady(Exception):
    """The draft is not yet at the stage this action needs; ``stage`` is where it is."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        super().__init__(f"the screening is at the {stage} stage")


class DraftChanged(Exception):
    """Another request saved the draft after it was read (a second tap): read it again and redo the change."""


class NoPathway(LookupError):
    """The post's country has no referral pathway in the guidelines: a screening there could not refer anyone."""


class AnswerRejected(ValueError):
    """The answer does not fit the question (the message never holds the value)."""


class QuestionGone(LookupError):
    """The question is not (or no longer) on the screening's path: an earlier change took it away."""


@dataclass
class Screening:
    """An opened draft: the sealed payload in the engine's terms, and the draft's clear columns."""

    draft: Draft
    post: Post
    language: str
    answers: Answers = field(default_factory=Answers)
    consent: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> {"decision", "at"}
    consent_for: tuple[str, ...] = ()  # the destination kinds the recorded consent was given for
    identity: dict[str, str] = field(default_factory=dict)
    voided: tuple[tuple[str, str], ...] = ()  # (tree, node) of the answers the last change cleared

    @property
    def id(self) -> str:
        return self.draft.id

    @property
    def country(self) -> str:
        return self.post.country

    def payload(self) -> dict[str, object]:
        return {"v": PAYLOAD_VERSION, "language": self.language, "answers": self.answers.to_json(),
                "consent": self.consent, "consent_for": list(self.consent_for), "identity": self.identity,
                "voided": [list(pair) for pair in self.voided]}


@dataclass(frozen=True)
class Step:
    """A question on the screening's path, and the answer it has."""

    question: Question
    value: object


@dataclass(frozen=True)
class Path:
    """The questions in the order the walk asks them: the answered ones, then the pending one (if any)."""

    steps: tuple[Step, ...]
    pending: Question | None

    def index(self, tree: str, node: str) -> int | None:
        for number, step in enumerate(self.steps):
            if (step.question.tree.id, step.question.node.id) == (tree, node):
                return number
        return None


@dataclass(frozen=True)
class Plans:
    """The plan before any refusal (what consent is asked for), the mandatory kinds with their reasons, and
    the plan after the recorded decisions (what is submitted)."""

    base: Plan
    mandatory: Mapping[str, str]
    final: Plan


# -- drafts -----------------------------------------------------------------------------------------------------

def start(*, session: Session, vault: Vault, gset: GuidelineSet, user: User, language: str) -> Screening:
    """Start a screening of one person for ``user`` at the user's post, with the person's language."""
    if not _LANGUAGE.fullmatch(language or ""):
        raise ValueError("the person's language must be a code such as ru or fa_AF")
    post = session.get(Post, user.post_id) if user.post_id is not None else None
    if post is None:
        raise DraftUnavailable()
    try:
        gset.pathway(post.country)
    except GuidelineError:
        raise NoPathway(post.country) from None
    draft = Draft(user_id=user.id, post_id=post.id)
    screening = Screening(draft, post, language)
    _seal(vault, screening)
    session.add(draft)
    session.flush()
    audit.record(session, action="screening.start", actor_id=user.id, post_id=post.id, object_type="draft",
                 object_id=draft.id)
    return screening


def load(*, session: Session, vault: Vault, user: User, draft_id: str, lock: bool = False,
         statuses: tuple[str, ...] = ("open",)) -> Screening:
    """Open one of the user's drafts; anything else (missing, another's, shredded) is DraftUnavailable.

    ``lock`` takes the row for the rest of the transaction, so that two taps on one button queue up.
    """
    if not _DRAFT_ID.fullmatch(draft_id or ""):
        raise DraftUnavailable()
    # The draft and its post in one query: every question page and every answer pays for this read.
    query = select(Draft, Post).join(Post, Post.id == Draft.post_id).where(Draft.id == draft_id)
    found = session.exec(query.with_for_update(of=Draft) if lock else query).first()
    if found is None:
        raise DraftUnavailable()
    draft, post = found
    if draft.user_id != user.id or draft.status not in statuses:
        raise DraftUnavailable()
    if draft.status != "open":
        return Screening(draft, post, "")
    try:
        data = vault.open_case_payload(draft.id, draft.seal_count, draft.sealed_payload, draft.wrapped_key,
                                       draft.kek_id)
    except (KeyDestroyed, SealedDataInvalid):
        raise DraftUnavailable() from None
    return Screening(draft, post, str(data.get("language") or "en"), Answers.from_json(data.get("answers") or {}),
                     dict(data.get("consent") or {}), tuple(data.get("consent_for") or ()),
                     dict(data.get("identity") or {}), tuple(tuple(p) for p in data.get("voided") or ()))


def open_drafts(*, session: Session, vault: Vault, user: User) -> list[Screening]:
    """The user's open screenings, the most recently changed first (to resume one)."""
    drafts = session.exec(select(Draft.id).where(Draft.user_id == user.id, Draft.status == "open")
                          .order_by(Draft.updated_at.desc()).limit(20)).all()
    out = []
    for draft_id in drafts:
        try:
            out.append(load(session=session, vault=vault, user=user, draft_id=draft_id))
        except DraftUnavailable:
            continue
    return out


def _seal(vault: Vault, screening: Screening) -> None:
    draft = screening.draft
    draft.seal_count += 1
    sealed = vault.seal_case_payload(draft.id, draft.seal_count, screening.payload())
    draft.sealed_payload, draft.wrapped_key, draft.kek_id = sealed.payload, sealed.wrapped_key, sealed.kek_id
    draft.updated_at = now_utc()


def _save(session: Session, vault: Vault, screening: Screening) -> None:
    """Seal and store the payload, if the draft is still as it was read (its save count): optimistic concurrency.

    Everything costly (walking the trees, computing plans, sealing) happens before this, so a writer holds the
    database's write lock only for this UPDATE and its audit event, not while it thinks; two taps that raced
    are told apart here, and the loser (DraftChanged) starts again from what the winner saved.
    """
    draft = screening.draft
    count = draft.seal_count + 1
    sealed = vault.seal_case_payload(draft.id, count, screening.payload())
    values = {"seal_count": count, "sealed_payload": sealed.payload, "wrapped_key": sealed.wrapped_key,
              "kek_id": sealed.kek_id, "updated_at": now_utc()}
    done = session.execute(update(Draft).where(Draft.id == draft.id, Draft.seal_count == draft.seal_count,
                                               Draft.status == "open").values(**values)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise DraftChanged()
    for key, value in values.items():
        set_committed_value(draft, key, value)


def _shred(screening: Screening) -> None:
    draft = screening.draft
    draft.sealed_payload = draft.wrapped_key = draft.kek_id = None
    draft.updated_at = now_utc()


def abandon(*, session: Session, screening: Screening, user: User) -> None:
    """Give up a screening: its sealed data is destroyed."""
    _shred(screening)
    screening.draft.status = "abandoned"
    session.add(screening.draft)
    audit.record(session, action="screening.abandon", actor_id=user.id, post_id=screening.post.id,
                 object_type="draft", object_id=screening.id)


# -- questions --------------------------------------------------------------------------------------------------

_PATHS: OrderedDict[str, tuple[GuidelineSet, Path]] = OrderedDict()
_PATHS_LOCK = threading.Lock()
_PATHS_KEPT = 256


def walk_path(gset: GuidelineSet, answers: Answers) -> Path:
    """Replay the walk over the answers: the questions in the order they are asked, each with its answer.

    The records of ``answers`` are not in walk order once an answer has been changed, so Back and the list of
    answers follow this replay instead. A replay costs one walk per answer; the last few are remembered, so the
    page after an answer does not replay what the answer's post just did (the key holds no value in clear).
    """
    key = hashlib.sha256(json.dumps(answers.to_json(), sort_keys=True).encode()).hexdigest()
    with _PATHS_LOCK:
        known = _PATHS.get(key)
        if known is not None and known[0] is gset:
            _PATHS.move_to_end(key)
            return known[1]
    path = _replay(gset, answers)
    with _PATHS_LOCK:
        _PATHS[key] = (gset, path)
        while len(_PATHS) > _PATHS_KEPT:
            _PATHS.popitem(last=False)
    return path


def _replay(gset: GuidelineSet, answers: Answers) -> Path:
    replay, steps = Answers(), []
    for _ in range(len(answers.records) + 1):
        question = next_step(gset, replay)
        if question is None:
            return Path(tuple(steps), None)
        record = question.record()
        if not any((r.tree, r.node) == (record.tree, record.node) for r in answers.records):
            return Path(tuple(steps), question)
        value = answers.part(record) if record.options else answers.values.get(question.fact)
        steps.append(Step(question, value))
        replay = replay.record(record, value)
    return Path(tuple(steps), next_step(gset, replay))


def question_at(path: Path, tree: str, node: str) -> Question | None:
    """The question (tree, node) if it is on the path: answered already, or the pending one."""
    number = path.index(tree, node)
    if number is not None:
        return path.steps[number].question
    if path.pending is not None and (path.pending.tree.id, path.pending.node.id) == (tree, node):
        return path.pending
    return None


def record_answer(*, session: Session, vault: Vault, gset: GuidelineSet, screening: Screening, user: User,
                  tree: str, node: str, value: object, path: Path | None = None) -> None:
    """Answer the pending question, or change an earlier one (which voids the answers reached through it).

    ``path`` is the current one, when the caller has it already. The session is used only to store the result
    (``_save``), so ``screening`` may come from a read session; DraftChanged when another request saved first.
    """
    path = path or walk_path(gset, screening.answers)
    number = path.index(tree, node)
    question = question_at(path, tree, node)
    if question is None:
        raise QuestionGone(f"{tree}/{node}")
    before = {(r.tree, r.node) for r in screening.answers.records}
    try:
        updated = answer(gset, screening.answers, question, value)
    except ValueError:
        raise AnswerRejected(f"not an answer to {tree}/{node}") from None
    kept = {(r.tree, r.node) for r in updated.records}
    screening.voided = tuple(sorted(before - kept - {(tree, node)}))
    screening.answers = updated
    _save(session, vault, screening)
    audit.record(session, action="screening.answer", actor_id=user.id, post_id=screening.post.id,
                 object_type="draft", object_id=screening.id,
                 detail={"changed": number is not None, "voided": len(screening.voided)})


# -- plan, consent and identity ---------------------------------------------------------------------------------

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


# -- submitting -------------------------------------------------------------------------------------------------

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
