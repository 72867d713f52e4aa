"""Words for the answers of the screening: the values of facts (guidelines/facts.yaml) and the derived facts.

A node may give an answer its own ``label`` in the tree; otherwise the word comes from here: first a word for the
value of that fact (``companion: none`` is "Alone"), then a word for the value, and for a value a national team
added without a word here, the value itself with spaces. Categories, destinations and urgency are in labels.py.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .labels import lookup

# Translators: the answer offered on every question: the person does not know, or does not want to say.
UNKNOWN = _l("Unknown / refuses to answer")
# Translators: the answer to a question with several boxes to tick, when none applies.
NONE_OF_THESE = _l("None of these")

VALUES = {
    "yes": _l("Yes"), "no": _l("No"), "unknown": UNKNOWN,
    # age, sex
    "child": _l("A child"), "adult": _l("An adult"), "unclear": _l("Unclear"),
    "female": _l("Female"), "male": _l("Male"), "other": _l("Other"), "undisclosed": _l("Does not say"),
    "any": _l("Either"), "not_asked": _l("Not asked"),
    # companions
    "none": _l("None"), "parent_or_caregiver": _l("A parent or caregiver"),
    "verified_relative": _l("A relative, relationship verified"),
    "unverified_relative": _l("A relative, relationship not verified"), "unrelated_adult": _l("An unrelated adult"),
    "group_leader": _l("A group leader or driver"), "spouse_or_partner": _l("A spouse or partner"),
    "family_group": _l("Family members"),
    # entry
    "at_checkpoint": _l("At the checkpoint"), "irregular_crossing": _l("Crossed irregularly"),
    "airport_arrival": _l("Arrival at the airport"), "airport_transit": _l("In transit at the airport"),
    "exit_checkpoint": _l("Leaving the country"), "in_detention": _l("In detention"),
    # asking for protection
    "explicit": _l("Asked clearly"), "indirect": _l("Asked in other words or gestures"),
    "hesitant": _l("Hesitant, not sure"),
    # medical conditions
    "bleeding_wound": _l("Bleeding wound"), "infection_fever": _l("Infection or fever"),
    "heat_exhaustion": _l("Heat exhaustion"), "hypothermia": _l("Hypothermia"), "dehydration": _l("Dehydration"),
    "labour": _l("In labour"), "insulin_missed": _l("Insulin missed"),
    "art_interrupted": _l("HIV treatment interrupted"), "treatment_interrupted": _l("Other treatment interrupted"),
    "self_harm": _l("Self-harm"), "catheter_needed": _l("Needs a catheter"),
    "chronic_condition": _l("A chronic condition"),
    # disability
    "mobility": _l("Mobility"), "sensory": _l("Seeing or hearing"), "cognitive": _l("Understanding or memory"),
    "psychosocial": _l("Psychosocial"),
    # documents
    "valid_passport": _l("A valid passport"), "valid_visa": _l("A valid visa"), "no_visa": _l("No visa"),
    "expired_passport": _l("An expired passport"), "false_or_altered": _l("False or altered documents"),
    "held_by_other": _l("Documents held by someone else"), "soviet_passport": _l("A Soviet passport"),
    "birth_certificate": _l("A birth certificate"), "parental_travel_consent": _l("Parents' consent to travel"),
    "parental_consent_doubtful": _l("Parents' consent in doubt"), "refugee_document": _l("A refugee document"),
    "protection_request_note": _l("A note asking for protection"),
    # indicators
    "from_conflict_country": _l("Comes from a country in conflict"),
    "persecuted_group_member": _l("Belongs to a persecuted group"),
    "relative_persecuted": _l("A relative was persecuted"), "extradition_request": _l("An extradition request"),
    "refuses_to_board_or_return": _l("Refuses to board or to return"), "injuries_visible": _l("Visible injuries"),
    "scars_or_burns": _l("Scars or burns"), "signs_of_trauma": _l("Signs of trauma"),
    "fear_of_uniforms": _l("Fear of uniforms"), "memory_gaps": _l("Gaps in memory"),
    "self_harm_talk": _l("Talks of self-harm"),
    "companion_answers_for_person": _l("A companion answers for the person"),
    "controlled_by_companion": _l("Controlled by a companion"),
    "documents_held_by_other": _l("Documents held by another person"),
    "debt_to_recruiter_or_smuggler": _l("A debt to a recruiter or smuggler"),
    "deceptive_job_offer": _l("A deceptive job offer"), "unknown_work_address": _l("Does not know the work address"),
    "wages_withheld": _l("Wages withheld"), "restricted_movement": _l("Movement restricted"),
    "forced_sexual_exploitation": _l("Forced sexual exploitation"), "forced_domestic_work": _l("Forced domestic work"),
    "child_begging_or_working": _l("A child begging or working"),
    "relationship_unverified": _l("Relationship to the adult not verified"),
    "forced_marriage_risk": _l("Risk of forced marriage"), "forced_recruitment_risk": _l("Risk of forced recruitment"),
    "abandoned_by_smugglers": _l("Abandoned by smugglers"), "hidden_in_vehicle": _l("Hidden in a vehicle"),
    "dehydration_or_exposure": _l("Dehydration or exposure"),
    "sexual_violence_disclosed": _l("Sexual violence disclosed"),
    "domestic_violence_disclosed": _l("Violence at home disclosed"),
    "no_nationality_recognised": _l("No nationality recognised"), "lost_documents": _l("Documents lost"),
    "birth_unregistered": _l("Birth not registered"), "reentry_ban": _l("A re-entry ban"),
    "stranded_no_means": _l("Stranded without means"), "confusion_or_memory_loss": _l("Confusion or memory loss"),
    "separated_from_family": _l("Separated from family"),
    "sexual_orientation_disclosed": _l("Sexual orientation disclosed"),
}

# Where one word means different things for different facts: fact -> value -> word.
FACT_VALUES = {
    "companion": {"none": _l("Nobody: travelling alone")},
    "asylum_wish": {"none": _l("No request")},
    "documents": {"none": _l("No documents")},
    "sex": {"other": _l("Another sex")},
}

DERIVED = {
    "presumed_minor": _l("Treated as a child (age in doubt or under 18)"),
    "older_person": _l("Aged 60 or more"),
}


def value_label(fact: str, value: object) -> object:
    """The word for one value of ``fact``."""
    word = str(value)
    return lookup(word, FACT_VALUES.get(fact, {}), VALUES, default=word.replace("_", " "))


def values_label(fact: str, value: object) -> list[object]:
    """Words for a value that may be a set (a list or frozenset of values) or a single value."""
    if isinstance(value, list | tuple | set | frozenset):
        return [value_label(fact, item) for item in sorted(value)] or [NONE_OF_THESE]
    return [value_label(fact, value)]
