"""Words for the codes that cases, referrals and users carry (categories, urgency, statuses, roles).

The codes come from guidelines/facts.yaml and models.py; the pages show these translated words instead, and fall
back to the code itself for a code a national team added without a label here.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "asylum_seeker": _l("Asylum-seeker"),
    "unaccompanied_child": _l("Unaccompanied child"),
    "separated_child": _l("Separated child"),
    "victim_of_trafficking": _l("Presumed victim of trafficking"),
    "smuggled_migrant_at_risk": _l("Smuggled migrant at risk"),
    "sgbv_survivor": _l("Survivor of sexual or gender-based violence"),
    "stateless_or_at_risk": _l("Stateless or at risk of statelessness"),
    "disability": _l("Person with a disability"),
    "older_person": _l("Older person"),
    "serious_medical_condition": _l("Serious medical condition"),
    "pregnant_or_lactating": _l("Pregnant or breastfeeding"),
    "woman_at_risk": _l("Woman at risk"),
    "torture_or_trauma_survivor": _l("Survivor of torture or trauma"),
    "migrant_worker_vulnerable": _l("Migrant worker in a vulnerable situation"),
    "family_unity": _l("Family unity"),
    "lgbti_at_risk": _l("LGBTI person at risk"),
    "no_specific_protection_need": _l("No specific protection need"),
}

URGENCY = {
    "immediate": _l("Immediate"),
    "within_24h": _l("Within 24 hours"),
    "routine": _l("Routine"),
}

DESTINATIONS = {
    "national_asylum_authority": _l("National asylum authority"),
    "unhcr": _l("UNHCR"),
    "iom": _l("IOM"),
    "child_protection": _l("Child protection"),
    "anti_trafficking": _l("Anti-trafficking"),
    "health": _l("Health care"),
    "legal_aid": _l("Legal aid"),
    "psychosocial": _l("Psychosocial support"),
    "red_crescent": _l("Red Crescent"),
    "consular": _l("Consulate"),
}

CASE_STATUSES = {
    "open": _l("Open"),
    "closed": _l("Closed"),
    "erased": _l("Erased"),
}

REFERRAL_STATUSES = {
    "pending": _l("Pending"),
    "held": _l("Held"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "erased": _l("Erased"),
}

# Why a referral is held (services/cases.py, SECURITY.md P-29), in words for the post's official.
HELD_REASONS = {
    "agency_agreement_missing": _l("the agency has no data-sharing agreement in the pathway"),
    "agency_agreement_expired": _l("the agency's data-sharing agreement has ended"),
    "agency_key_missing": _l("the agency's key is not enrolled"),
    "agency_key_not_pinned": _l("the agency's key is not pinned in the pathway"),
    "agency_key_mismatch": _l("the agency's enrolled key differs from the one pinned in the pathway"),
    "agency_key_expired": _l("the agency's pinned key has expired"),
    "no_agency_in_pathway": _l("the pathway names no agency for this referral"),
}

CONSENT_DECISIONS = {
    # Translators: the person agreed that this agency is told.
    "given": _l("Consent given"),
    # Translators: the person did not agree that this agency is told.
    "refused": _l("Consent refused"),
    # Translators: the person refused, but a rule (a child, a medical emergency) keeps the referral.
    "kept_by_rule": _l("Kept by rule despite refusal"),
}

ROLES = {
    "official": _l("Border official"),
    "supervisor": _l("Supervisor"),
    "agency_officer": _l("Agency officer"),
    "trainer": _l("Trainer"),
    "admin": _l("Administrator"),
}


def lookup(code: str | None, *tables: Mapping[str, object], default: object | None = None) -> object:
    """The word the first of ``tables`` that has one gives ``code``; else ``default``, else the code itself.

    The one way to read the tables of words, here and in answer_labels.py: the most specific table comes first,
    and a code that no table has a word for (one a national team added) is shown, never an error.
    """
    code = code or ""
    for table in tables:
        word = table.get(code)
        if word is not None:
            return word
    return code if default is None else default


def label(table: Mapping[str, object], code: str | None) -> object:
    """The word for ``code``, or the code itself when there is none."""
    return lookup(code, table)


def labels() -> dict[str, object]:
    """What templates need to turn codes into words."""
    return {"label": label, "CATEGORIES": CATEGORIES, "URGENCY": URGENCY, "DESTINATIONS": DESTINATIONS,
            "CASE_STATUSES": CASE_STATUSES, "REFERRAL_STATUSES": REFERRAL_STATUSES,
            "CONSENT_DECISIONS": CONSENT_DECISIONS, "ROLES": ROLES, "HELD_REASONS": HELD_REASONS}
