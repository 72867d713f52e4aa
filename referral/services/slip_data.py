"""What one referral slip says, gathered from the sealed case and the clear rows, before any word is translated.

The slip carries only what its destination needs (SECURITY.md P-16): the identity fields that forms/identity.yaml
marks as needed by the kinds the referral stands for (``IdentityForm.needed_for``, the same rule that filled the
referral's payload sealed to the agency), the categories of the findings that named those kinds, and the facts
of ``NEEDS_SHOWN_TO`` only where the destination is listed. The must-not list goes to everyone (brief §4.2 R2:
the protection flags travel with the person).

``SlipData.canonical()`` is the exact content the deployment signs (the slip's data signature).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session, select

from ..engine import GuidelineSet
from ..models import Agency, Case, ConsentRecord, Post, Referral, User, utc
from ..vault import KeyDestroyed, SealedDataInvalid, Vault
from .intake import IdentityForm

FORMAT = 1
MAX_TEXT = 4000  # a value longer than this is cut on the slip (the case keeps it whole)
EVERY_KIND = None
# Facts shown as "specific needs", and the destination kinds that see them (None: every kind but consular).
NEEDS_SHOWN_TO: Mapping[str, frozenset[str] | None] = {
    "medical_emergency": EVERY_KIND,  # only that the person went to health care first; no details
    "medical_conditions": frozenset({"health"}),
    "pregnant": frozenset({"health"}),
    "sexual_assault_hours_ago": frozenset({"health"}),
    "disability": EVERY_KIND,  # everyone who meets the person must be able to accommodate
}
PERSON_FACTS = ("sex", "age_years", "age_apparent", "presumed_minor")
COMMUNICATION_FACTS = ("language", "interpreter_needed", "preferred_interviewer_sex")


class SlipUnavailable(LookupError):
    """This referral has no slip: it is held (no agency key), erased, or its case cannot be opened."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"no slip for this referral ({reason})")


@dataclass(frozen=True)
class SlipData:
    referral_id: str
    reference: str
    kind: str
    requested_as: tuple[str, ...]
    urgency: str
    created_at: datetime
    due_at: datetime
    post_code: str
    post_name: str
    post_phone: str  # the post's duty telephone, "" when it has none
    country: str
    official: str
    agency: str
    agency_contact: str
    language: str
    identity: tuple[tuple[str, str], ...]  # (field name, value) in the form's order
    person: tuple[tuple[str, object], ...]  # (fact, value)
    communication: tuple[tuple[str, object], ...]
    categories: tuple[str, ...]
    needs: tuple[tuple[str, str], ...]  # (fact, value), a set fact giving one pair per value
    must_not: tuple[str, ...]
    consent: tuple[tuple[str, str, str, datetime], ...]  # (kind, decision, reason code, recorded at)
    guidelines: tuple[tuple[str, str], ...]
    shortened: tuple[str, ...]  # identity fields cut to MAX_TEXT

    def canonical(self) -> bytes:
        """The slip's content as canonical JSON (sorted keys, UTC timestamps): what the data signature covers."""
        def default(value: object) -> object:
            if isinstance(value, datetime):
                return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
            raise TypeError(type(value).__name__)

        body = {"format": FORMAT, **asdict(self)}
        del body["language"]  # presentation: the same referral in another language is the same data
        if not body["post_phone"]:
            # A post without a telephone signs exactly what it signed before posts had one, so the verification
            # codes of slips printed then still check. A number, once set, is signed like the post's name.
            del body["post_phone"]
        return json.dumps(body, default=default, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode("utf-8")


def _shown(kinds: tuple[str, ...], fact: str) -> bool:
    allowed = NEEDS_SHOWN_TO[fact]
    if allowed is EVERY_KIND:
        return "consular" not in kinds
    return bool(allowed & set(kinds))


def _needs(facts: Mapping[str, object], kinds: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for fact in NEEDS_SHOWN_TO:
        value = facts.get(fact)
        if value in (None, "", "unknown", "no") or not _shown(kinds, fact):
            continue
        if fact == "sexual_assault_hours_ago":
            if isinstance(value, int) and value <= 120:
                out.append((fact, "72" if value <= 72 else "120"))
        elif isinstance(value, list):
            out.extend((fact, str(item)) for item in value)
        elif value == "yes":
            out.append((fact, "yes"))
    return tuple(out)


def _identity(form: IdentityForm, person: Mapping[str, object], kinds: tuple[str, ...]):  # noqa: ANN202
    wanted = form.needed_for(kinds)
    rows, shortened = [], []
    for name in form.fields:
        value = person.get(name)
        if name not in wanted or value in (None, ""):
            continue
        text = str(value)
        if len(text) > MAX_TEXT:
            text = text[:MAX_TEXT] + " […]"
            shortened.append(name)
        rows.append((name, text))
    return tuple(rows), tuple(shortened)


def _categories(plan: Mapping[str, object], kinds: tuple[str, ...]) -> tuple[str, ...]:
    found = []
    for finding in plan.get("findings") or ():
        if set(finding.get("destinations") or ()) & set(kinds) and finding.get("category") not in found:
            found.append(finding.get("category"))
    return tuple(found)


def has_slip(referral: Referral) -> bool:
    """Whether ``referral`` can have a slip: addressed to an agency, and neither held nor erased."""
    return referral.agency_id is not None and referral.status not in ("held", "erased")


def gather(*, session: Session, vault: Vault, gset: GuidelineSet, form: IdentityForm,
           referral: Referral) -> SlipData:
    """Everything the slip of ``referral`` prints; SlipUnavailable when there can be no slip."""
    if not has_slip(referral):
        raise SlipUnavailable(referral.status if referral.status in ("held", "erased") else "no_agency")
    case = session.get(Case, referral.case_id)
    if case is None or case.status == "erased":
        raise SlipUnavailable("erased")
    try:
        payload = vault.open_case_payload(case.id, case.seal_count, case.sealed_payload, case.wrapped_key,
                                          case.kek_id)
    except KeyDestroyed:
        raise SlipUnavailable("erased") from None
    except SealedDataInvalid:
        raise SlipUnavailable("integrity") from None
    agency = session.get(Agency, referral.agency_id)
    post = session.get(Post, case.post_id)
    official = session.get(User, case.created_by) if case.created_by else None
    pathway = gset.pathway(case.country)
    listed = pathway.agencies.get(referral.kind) if pathway else None
    facts = payload.get("facts") or {}
    kinds = tuple(referral.requested_as or (referral.kind,))
    identity, shortened = _identity(form, payload.get("identity") or {}, kinds)
    plan = payload.get("plan") or {}
    consents = session.exec(select(ConsentRecord).where(ConsentRecord.case_id == case.id,
                                                        ConsentRecord.kind.in_(kinds)).order_by(ConsentRecord.id))
    return SlipData(
        referral_id=referral.id, reference=case.reference, kind=referral.kind, requested_as=kinds,
        urgency=referral.urgency, created_at=utc(referral.created_at), due_at=utc(referral.due_at),
        post_code=post.code if post else "", post_name=post.name if post else "",
        post_phone=(post.phone or "") if post else "", country=case.country.upper(),
        official=official.username if official else "", agency=agency.name if agency else "",
        agency_contact=listed.contact if listed else "", language=agency.slip_language if agency else "en",
        identity=identity,
        person=tuple((fact, facts[fact]) for fact in PERSON_FACTS if facts.get(fact) not in (None, "")),
        communication=tuple((fact, facts[fact]) for fact in COMMUNICATION_FACTS if facts.get(fact) not in (None, "")),
        categories=_categories(plan, kinds), needs=_needs(facts, kinds),
        must_not=tuple(plan.get("must_not") or ()),
        consent=tuple((c.kind, c.decision, c.reason or "", utc(c.recorded_at)) for c in consents),
        guidelines=tuple(sorted((case.guideline_versions or {}).items())), shortened=shortened,
    )
