"""Merge the findings of every tree into one referral plan, by the combination rules of the brief (§4.2).

R1  union of destinations, the most urgent level wins, every must-not is kept;
R4  a kind whose `never_when` holds (consular contact once protection is asked for) is dropped from the plan;
R5  an adult may refuse a referral; a kind whose `mandatory_when` holds is kept despite the refusal, with why;
R10 a kind the country has no agency for goes to the pathway's fallback kind, and the must-nots stay.
`no_specific_protection_need` only stands when no other category was found (§2.15).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .facts import Vocabulary
from .schema import Pathway
from .walk import Finding

NO_NEED = "no_specific_protection_need"


@dataclass(frozen=True)
class Referral:
    """One agency to refer to: the kinds it stands for, and the most urgent level of the findings behind it."""

    kind: str
    urgency: str
    requested_as: tuple[str, ...]
    agency: Mapping[str, object] | None

    def to_dict(self) -> dict[str, object]:
        data = dict(self.agency or {"kind": self.kind, "name": None})
        data.update(kind=self.kind, urgency=self.urgency, requested_as=list(self.requested_as),
                    fallback_for=[kind for kind in self.requested_as if kind != self.kind])
        return data


@dataclass(frozen=True)
class Plan:
    country: str | None
    group_mode: bool
    findings: tuple[Finding, ...]
    categories: tuple[str, ...]
    destinations: tuple[str, ...]
    referrals: tuple[Referral, ...]
    urgency: str
    must_not: tuple[str, ...]
    must_do: tuple[str, ...]
    tell_person: tuple[str, ...]
    refused: tuple[str, ...] = ()
    kept_despite_refusal: Mapping[str, str] = field(default_factory=dict)
    dropped: Mapping[str, str] = field(default_factory=dict)
    missing_facts: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    national_rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The plan in the shape FACTS.md shows, plus the details the pages and slips need."""
        return {
            "country": self.country,
            "group_mode": self.group_mode,
            "findings": [finding_dict(f) for f in self.findings],
            "categories": list(self.categories),
            "destinations": list(self.destinations),
            "agencies": [r.to_dict() for r in self.referrals],
            "urgency": self.urgency,
            "must_not": list(self.must_not),
            "must_do": list(self.must_do),
            "tell_person": list(self.tell_person),
            "consent": {"refused": list(self.refused),
                        "kept_despite_refusal": list(self.kept_despite_refusal),
                        "reasons": dict(self.kept_despite_refusal)},
            "dropped": [{"kind": k, "reason": r} for k, r in self.dropped.items()],
            "missing_facts": list(self.missing_facts),
            "national_rules": list(self.national_rules),
        }


def finding_dict(finding: Finding) -> dict[str, object]:
    node = finding.node
    return {"category": node.category, "destinations": list(node.destinations), "urgency": finding.urgency,
            "must_not": list(node.must_not), "must_do": list(node.must_do), "tell_person": node.tell_person,
            "group_mode": node.group_mode, "source": finding.source(), "because": dict(finding.because)}


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def merge(vocab: Vocabulary, findings: list[Finding], facts: Mapping[str, object], pathway: Pathway | None,
          consent_refused: Iterable[str] = (), missing: Iterable[str] = (), notices: Iterable[str] = ()) -> Plan:
    """Apply R1, R4, R5 and R10 to the findings of all trees."""
    if any(f.category != NO_NEED for f in findings):
        findings = [f for f in findings if f.category != NO_NEED]
    categories = frozenset(f.category for f in findings)
    wanted: dict[str, str] = {}  # kind -> most urgent level of the findings naming it
    for finding in findings:
        for kind in finding.node.destinations:
            wanted[kind] = _most_urgent(vocab, wanted.get(kind), finding.urgency)

    dropped = {}
    for kind in list(wanted):
        for rule in vocab.destinations[kind].never_when:
            if rule.when.holds(facts, categories):
                dropped[kind] = rule.reason
                del wanted[kind]
                break

    refused, kept = [], {}
    for kind in _unique(consent_refused):
        if kind not in wanted:
            continue
        reason = next((r.reason for r in vocab.destinations[kind].mandatory_when if r.when.holds(facts, categories)),
                      None)
        if reason:
            kept[kind] = reason
        else:
            refused.append(kind)
            del wanted[kind]

    urgency = vocab.urgency[-1]
    for finding in findings:
        urgency = _most_urgent(vocab, urgency, finding.urgency)
    return Plan(
        country=pathway.country if pathway else None,
        group_mode=any(f.node.group_mode for f in findings),
        findings=tuple(findings),
        categories=_unique(f.category for f in findings),
        destinations=tuple(wanted),
        referrals=_resolve(vocab, wanted, pathway),
        urgency=urgency,
        must_not=tuple(sorted({code for f in findings for code in f.node.must_not})),
        must_do=_unique(line for f in findings for line in f.node.must_do),
        tell_person=_unique(f.node.tell_person for f in findings),
        refused=tuple(refused),
        kept_despite_refusal=kept,
        dropped=dropped,
        missing_facts=tuple(sorted(set(missing))),
        notices=_unique(notices),
        national_rules=tuple(rule.text for rule in (pathway.rules if pathway else ())
                             if rule.when.holds(facts, categories)),
    )


def _most_urgent(vocab: Vocabulary, a: str | None, b: str) -> str:
    if a is None:
        return b
    return a if vocab.urgency_rank(a) <= vocab.urgency_rank(b) else b


def _resolve(vocab: Vocabulary, wanted: Mapping[str, str], pathway: Pathway | None) -> tuple[Referral, ...]:
    """One referral per receiving kind; kinds the country lacks are folded into their fallback (R10)."""
    by_kind: dict[str, tuple[str, list[str], Mapping[str, object] | None]] = {}
    for kind, urgency in wanted.items():
        target, agency = kind, None
        resolved = pathway.resolve(kind) if pathway else None
        if resolved is not None:
            found, _chain = resolved
            target, agency = found.kind, found.to_dict()
        level, requested, _ = by_kind.get(target, (urgency, [], agency))
        by_kind[target] = (_most_urgent(vocab, level, urgency), [*requested, kind], agency)
    return tuple(Referral(kind, level, tuple(requested), agency)
                 for kind, (level, requested, agency) in by_kind.items())
