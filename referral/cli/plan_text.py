"""A referral plan as plain text for the terminal: what to do first, then the details and the reasons."""

from __future__ import annotations

from ..engine import Plan
from ..engine.facts import Vocabulary
from ..engine.plan import finding_dict


def plan_as_text(plan: Plan, vocab: Vocabulary) -> str:
    lines = [f"REFERRAL PLAN{' for ' + plan.country if plan.country else ''}",
             f"Urgency: {plan.urgency.upper()}"]
    if plan.group_mode:
        lines.append("GROUP MODE: mass arrival - triage first, register by household.")
    lines.append("Categories: " + (", ".join(plan.categories) or "none"))
    lines.append("")
    lines.append("MUST NOT:")
    lines += [f"  {code}  {vocab.must_not.get(code, '')}" for code in plan.must_not] or ["  (none)"]
    lines.append("")
    lines.append("REFER TO:")
    for referral in plan.referrals:
        agency = referral.agency or {}
        name = agency.get("name") or "(no agency: no pathway chosen)"
        via = [kind for kind in referral.requested_as if kind != referral.kind]
        extra = f" - also for {', '.join(via)} (fallback)" if via else ""
        contact = f", {agency['contact']}" if agency.get("contact") else ""
        lines.append(f"  [{referral.urgency}] {referral.kind}: {name}{contact}{extra}")
    if not plan.referrals:
        lines.append("  (no referral)")
    if plan.must_do:
        lines += ["", "MUST DO:"] + [f"  - {line}" for line in plan.must_do]
    if plan.national_rules:
        lines += ["", "NATIONAL RULES:"] + [f"  - {line}" for line in plan.national_rules]
    if plan.tell_person:
        lines += ["", "TELL THE PERSON:"] + [f"  - {line}" for line in plan.tell_person]
    if plan.refused or plan.kept_despite_refusal or plan.dropped:
        lines += ["", "CONSENT AND EXCLUSIONS:"]
        lines += [f"  declined by the person: {kind}" for kind in plan.refused]
        lines += [f"  kept despite refusal: {kind} - {vocab.consent_reasons.get(reason, reason)}"
                  for kind, reason in plan.kept_despite_refusal.items()]
        lines += [f"  not used: {kind} - {vocab.consent_reasons.get(reason, reason)}"
                  for kind, reason in plan.dropped.items()]
    lines += ["", "WHY:"]
    for finding in plan.findings:
        data = finding_dict(finding)
        source = data["source"]
        because = ", ".join(f"{fact}={_show(value)}" for fact, value in data["because"].items()) or "always"
        checked = "checked against the primary text" if source["verified_against_primary"] else "not yet checked"
        lines.append(f"  {finding.category} ({finding.urgency}): because {because}")
        lines.append(f"      source: {source['tree']}/{source['node']}, {source['section']} "
                     f"[{source['basis']}], {checked}")
    if plan.missing_facts:
        lines += ["", "Not known (counted as unknown): " + ", ".join(plan.missing_facts)]
    return "\n".join(lines)


def _show(value: object) -> str:
    return "[" + ", ".join(value) + "]" if isinstance(value, list) else str(value)
