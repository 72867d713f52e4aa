"""Screening drafts: the sealed copy of a screening in progress, and its start, opening, saving and shredding.

A draft lives on the server only, sealed like a case: every save seals its payload under a fresh data key, with
the draft id and the save count as associated data (so an older copy cannot be put back into the row). Nothing of
a screening is kept in the browser; a dropped connection or a closed tab loses nothing, the next visit resumes.

Answer, consent and identity are saved optimistically (``_save``): the draft is read without a lock, the change
computed, and the write succeeds only if the draft's save count is still the one read (else DraftChanged, and the
caller reads again), so no writer holds the database's write lock while it walks trees. Submit is different: it
locks the draft's row (``load(lock=True)``), because it must create exactly one case (screening_submit.py).

Split out of services/screening.py, which still re-exports the public names; this module imports no other
screening module, so the others can build on it without an import cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from ..engine import Answers, GuidelineError, GuidelineSet
from ..models import Draft, Post, User, now_utc
from ..vault import KeyDestroyed, SealedDataInvalid, Vault
from . import audit

PAYLOAD_VERSION = 1
_DRAFT_ID = re.compile(r"^[0-9a-f]{32}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")  # the `language` fact's form (guidelines/facts.yaml)


class DraftUnavailable(LookupError):
    """No such draft, not yours, or no longer open: deliberately one error, so that it does not tell which."""

    def __init__(self) -> None:
        super().__init__("no such draft, or no access to it")


class DraftChanged(Exception):
    """Another request saved the draft after it was read (a second tap): read it again and redo the change."""


class NoPathway(LookupError):
    """The post's country has no referral pathway in the guidelines: a screening there could not refer anyone."""


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
